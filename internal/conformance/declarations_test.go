package conformance_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/typeddelete/typeddelete"
)

// Declarations a user moving from SQLAlchemy, Django, GORM or bun
// expects: referenced columns, many-to-many, SetDefault and SetValue, and
// cycles a cleared reference breaks.

// Parents whose children reference the UNIQUE column code. Ids and codes
// cross (id 1 has code "2"), so following keys instead of codes would
// reach the wrong rows.

type refsParent struct {
	ID   int64  `db:"id,pk"`
	Code string `db:"code"`
	Name string `db:"name"`
}

func (refsParent) TableName() string { return "refs_parents" }
func (refsParent) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[refsChild](typeddelete.Cascade, "parent_code").References("code"),
		typeddelete.HasMany[refsNote](typeddelete.SetNull, "parent_code").References("code"),
		typeddelete.HasMany[refsPin](typeddelete.Restrict, "parent_code").References("code"),
	}
}

type refsChild struct {
	ID         int64  `db:"id,pk"`
	ParentCode string `db:"parent_code"`
}

func (refsChild) TableName() string { return "refs_children" }

type refsNote struct {
	ID         int64   `db:"id,pk"`
	ParentCode *string `db:"parent_code"`
}

func (refsNote) TableName() string { return "refs_notes" }

type refsPin struct {
	ID         int64  `db:"id,pk"`
	ParentCode string `db:"parent_code"`
}

func (refsPin) TableName() string { return "refs_pins" }

// refsByName follows a column that is not unique: refused by the catalog.
type refsByName struct {
	ID   int64  `db:"id,pk"`
	Code string `db:"code"`
	Name string `db:"name"`
}

func (refsByName) TableName() string { return "refs_parents" }
func (refsByName) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[refsLoose](typeddelete.Cascade, "parent_name").References("name")}
}

type refsLoose struct {
	ID         int64  `db:"id,pk"`
	ParentName string `db:"parent_name"`
}

func (refsLoose) TableName() string { return "refs_loose" }

var refsTables = planFixture{
	tables: []planTable{
		{"refs_parents", "id, code", "1"}, {"refs_children", "id, parent_code", "1"},
		{"refs_notes", "id, parent_code", "1"}, {"refs_pins", "id, parent_code", "1"}, {"refs_loose", "id", "1"},
	},
	setup: func(string) []string {
		return []string{
			"CREATE TABLE refs_parents (id BIGINT PRIMARY KEY, code VARCHAR(20) NOT NULL UNIQUE, name VARCHAR(20) NOT NULL)",
			"CREATE TABLE refs_children (id BIGINT PRIMARY KEY, parent_code VARCHAR(20) NOT NULL, FOREIGN KEY (parent_code) REFERENCES refs_parents(code))",
			"CREATE TABLE refs_notes (id BIGINT PRIMARY KEY, parent_code VARCHAR(20), FOREIGN KEY (parent_code) REFERENCES refs_parents(code))",
			"CREATE TABLE refs_pins (id BIGINT PRIMARY KEY, parent_code VARCHAR(20) NOT NULL, FOREIGN KEY (parent_code) REFERENCES refs_parents(code))",
			"CREATE TABLE refs_loose (id BIGINT PRIMARY KEY, parent_name VARCHAR(20) NOT NULL)",
			"INSERT INTO refs_parents (id, code, name) VALUES (1, '2', 'same'), (2, '1', 'same'), (3, '3', 'other')",
			"INSERT INTO refs_children (id, parent_code) VALUES (10, '1'), (20, '2'), (21, '2')",
			"INSERT INTO refs_notes (id, parent_code) VALUES (100, '1'), (200, '2')",
			"INSERT INTO refs_pins (id, parent_code) VALUES (1000, '1')",
			"INSERT INTO refs_loose (id, parent_name) VALUES (1, 'same')",
		}
	},
}

// TestReferencesFollowsTheReferencedColumn checks that a relation
// declared with References follows the parent's code, not its key, for
// Cascade, SetNull and Restrict, from registered objects and from a bulk
// delete, with the statement Preview shows.
func TestReferencesFollowsTheReferencedColumn(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		p := planSetup(t, tdb, refsTables)
		s := tdb.session()
		planMust(t, "Delete", s.Delete(&refsParent{ID: 1, Code: "ignored: the database's code counts"}))
		pv, err := s.Preview(ctx)
		planMust(t, "Preview", err)
		inner := map[string]string{"postgres": `"id" = ANY($1)`, "mysql": "`id` IN (1)"}[tdb.Dialect.Name()]
		if inner == "" {
			inner = `"id" IN (?)`
		}
		q := tdb.Dialect.Quote
		want := "DELETE FROM " + q("refs_children") + " WHERE " + q("parent_code") + " IN (SELECT " + q("code") + " FROM " + q("refs_parents") + " WHERE " + inner + ")"
		if !previewHas(pv, want) {
			t.Errorf("Preview statements %v; want %s", previewSQL(pv), want)
		}
		planMust(t, "Commit", s.Commit(ctx))
		p.expect(t, map[string][]string{
			"refs_parents": {"2|1", "3|3"}, "refs_children": {"10|1"}, "refs_notes": {"100|1", "200|NULL"},
			"refs_pins": {"1000|1"}, "refs_loose": {"1"},
		})
		res := s.LastCommit()
		if res.Deleted["refs_children"] != 2 || res.Updated["refs_notes"] != 1 {
			t.Errorf("LastCommit() = %+v; want 2 refs_children deleted, 1 refs_notes updated", res)
		}

		// Parent 2 (code "1") has a pin: Restrict counts it by code.
		_, err = typeddelete.Query[refsParent](s).FilterBy("code", "1").Delete()
		planMust(t, "Query.Delete", err)
		err = s.Commit(ctx)
		var re *typeddelete.RestrictError
		if !errors.As(err, &re) || re.Child != "refs_pins" || re.Count != 1 {
			t.Fatalf("Commit error = %v; want a RestrictError on refs_pins for 1 row", err)
		}
		planMust(t, "Rollback", s.Rollback(ctx))
		p.expect(t, map[string][]string{
			"refs_parents": {"2|1", "3|3"}, "refs_children": {"10|1"}, "refs_notes": {"100|1", "200|NULL"},
			"refs_pins": {"1000|1"}, "refs_loose": {"1"},
		})

		// A referenced column that is not unique is refused before
		// anything is sent.
		log := &mockLog{}
		s = tdb.session(typeddelete.WithLogger(slog.New(log)))
		planMust(t, "Delete", s.Delete(&refsByName{ID: 3}))
		err = s.Commit(ctx)
		if !errors.Is(err, typeddelete.ErrInvalidRelation) || !strings.Contains(err.Error(), "refs_parents(name), which is neither the primary key nor a unique key") {
			t.Fatalf("Commit error = %v; want ErrInvalidRelation naming refs_parents(name)", err)
		}
		planNothingButCatalog(t, log)
	})
}

// Posts and tags linked through post_tags, declared on both sides. Ids
// overlap, so a wrong column would unlink the wrong rows.

type mmPost struct {
	ID int64 `db:"id,pk"`
}

func (mmPost) TableName() string { return "mm_posts" }
func (mmPost) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.ManyToMany[mmTag]("mm_post_tags", "post_id", "tag_id")}
}

type mmTag struct {
	ID int64 `db:"id,pk"`
}

func (mmTag) TableName() string { return "mm_tags" }
func (mmTag) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.ManyToMany[mmPost]("mm_post_tags", "tag_id", "post_id")}
}

// Documents with a composite text key and labels with a text key.

type mmDoc struct {
	Tenant string `db:"tenant,pk"`
	Slug   string `db:"slug,pk"`
}

func (mmDoc) TableName() string { return "mm_docs" }
func (mmDoc) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.ManyToMany[mmLabel]("mm_doc_labels", "tenant", "slug", "label")}
}

type mmLabel struct {
	Name string `db:"name,pk"`
}

func (mmLabel) TableName() string { return "mm_labels" }
func (mmLabel) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.ManyToMany[mmDoc]("mm_doc_labels", "label", "tenant", "slug")}
}

// A soft-deletable post.

type mmSoftPost struct {
	ID        int64      `db:"id,pk"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (mmSoftPost) TableName() string { return "mm_soft_posts" }
func (mmSoftPost) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.ManyToMany[mmTag]("mm_soft_post_tags", "post_id", "tag_id")}
}

var mmTables = planFixture{
	tables: []planTable{
		{"mm_posts", "id", "1"}, {"mm_tags", "id", "1"}, {"mm_post_tags", "post_id, tag_id", "1, 2"},
		{"mm_docs", "tenant, slug", "1, 2"}, {"mm_labels", "name", "1"}, {"mm_doc_labels", "tenant, slug, label", "1, 2, 3"},
		{"mm_soft_posts", "id, CASE WHEN deleted_at IS NULL THEN 'live' ELSE 'deleted' END", "1"},
		{"mm_soft_post_tags", "post_id, tag_id", "1, 2"},
	},
	setup: func(string) []string {
		return []string{
			"CREATE TABLE mm_posts (id BIGINT PRIMARY KEY)",
			"CREATE TABLE mm_tags (id BIGINT PRIMARY KEY)",
			"CREATE TABLE mm_post_tags (post_id BIGINT NOT NULL, tag_id BIGINT NOT NULL, PRIMARY KEY (post_id, tag_id), " +
				"FOREIGN KEY (post_id) REFERENCES mm_posts(id), FOREIGN KEY (tag_id) REFERENCES mm_tags(id))",
			"INSERT INTO mm_posts (id) VALUES (1), (2)",
			"INSERT INTO mm_tags (id) VALUES (1), (2), (3)",
			"INSERT INTO mm_post_tags (post_id, tag_id) VALUES (1, 1), (1, 2), (2, 2), (2, 3)",
			"CREATE TABLE mm_docs (tenant VARCHAR(20) NOT NULL, slug VARCHAR(40) NOT NULL, PRIMARY KEY (tenant, slug))",
			"CREATE TABLE mm_labels (name VARCHAR(20) PRIMARY KEY)",
			"CREATE TABLE mm_doc_labels (tenant VARCHAR(20) NOT NULL, slug VARCHAR(40) NOT NULL, label VARCHAR(20) NOT NULL, " +
				"PRIMARY KEY (tenant, slug, label), FOREIGN KEY (tenant, slug) REFERENCES mm_docs(tenant, slug), FOREIGN KEY (label) REFERENCES mm_labels(name))",
			"INSERT INTO mm_docs (tenant, slug) VALUES ('a', 'x'), ('a', 'y'), ('b', 'x')",
			"INSERT INTO mm_labels (name) VALUES ('red'), ('blue')",
			"INSERT INTO mm_doc_labels (tenant, slug, label) VALUES ('a', 'x', 'red'), ('a', 'x', 'blue'), ('a', 'y', 'red'), ('b', 'x', 'red')",
			"CREATE TABLE mm_soft_posts (id BIGINT PRIMARY KEY, deleted_at TIMESTAMP NULL)",
			"CREATE TABLE mm_soft_post_tags (post_id BIGINT NOT NULL, tag_id BIGINT NOT NULL, PRIMARY KEY (post_id, tag_id), " +
				"FOREIGN KEY (post_id) REFERENCES mm_soft_posts(id), FOREIGN KEY (tag_id) REFERENCES mm_tags(id))",
			"INSERT INTO mm_soft_posts (id) VALUES (1), (2)",
			"INSERT INTO mm_soft_post_tags (post_id, tag_id) VALUES (1, 1), (2, 1)",
		}
	},
}

// TestManyToMany checks that deleting a row of either side of a
// many-to-many relation removes exactly its join rows, set-based and
// before the row, keeps the far side, works for composite text keys, and
// that a soft delete leaves the join rows while a hard delete removes
// them.
func TestManyToMany(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		p := planSetup(t, tdb, mmTables)
		want := map[string][]string{
			"mm_posts": {"1", "2"}, "mm_tags": {"1", "2", "3"}, "mm_post_tags": {"1|1", "1|2", "2|2", "2|3"},
			"mm_docs": {"a|x", "a|y", "b|x"}, "mm_labels": {"blue", "red"}, "mm_doc_labels": {"a|x|blue", "a|x|red", "a|y|red", "b|x|red"},
			"mm_soft_posts": {"1|live", "2|live"}, "mm_soft_post_tags": {"1|1", "2|1"},
		}
		s := tdb.session()

		planMust(t, "Delete", s.Delete(&mmPost{ID: 1}))
		planMust(t, "Commit", s.Commit(ctx))
		want["mm_posts"], want["mm_post_tags"] = []string{"2"}, []string{"2|2", "2|3"}
		p.expect(t, want)
		if got := s.LastCommit().Deleted; got["mm_post_tags"] != 2 || got["mm_posts"] != 1 || got["mm_tags"] != 0 {
			t.Errorf("LastCommit().Deleted = %v; want 2 mm_post_tags and 1 mm_posts", got)
		}

		// The other side, as a bulk delete.
		_, err := typeddelete.Query[mmTag](s).FilterBy("id", []int64{2, 3}).Delete()
		planMust(t, "Query.Delete", err)
		planMust(t, "Commit", s.Commit(ctx))
		want["mm_tags"], want["mm_post_tags"] = []string{"1"}, nil
		p.expect(t, want)

		// Composite text keys on one side, a text key on the other.
		planMust(t, "Delete", s.Delete(&mmDoc{Tenant: "a", Slug: "x"}))
		planMust(t, "Commit", s.Commit(ctx))
		want["mm_docs"], want["mm_doc_labels"] = []string{"a|y", "b|x"}, []string{"a|y|red", "b|x|red"}
		p.expect(t, want)
		planMust(t, "Delete", s.Delete(&mmLabel{Name: "red"}))
		planMust(t, "Commit", s.Commit(ctx))
		want["mm_labels"], want["mm_doc_labels"] = []string{"blue"}, nil
		p.expect(t, want)

		// A soft delete keeps the links; a hard delete removes them.
		planMust(t, "Delete", s.Delete(&mmSoftPost{ID: 1}))
		planMust(t, "Commit", s.Commit(ctx))
		want["mm_soft_posts"] = []string{"1|deleted", "2|live"}
		p.expect(t, want)
		planMust(t, "HardDelete", s.HardDelete(&mmSoftPost{ID: 2}))
		planMust(t, "Commit", s.Commit(ctx))
		want["mm_soft_posts"], want["mm_soft_post_tags"] = []string{"1|deleted"}, []string{"1|1"}
		p.expect(t, want)
	})
}

// Owners and pets: a pet's owner_id goes to its default (owner 0,
// "nobody") and its keeper_id to the shelter (owner 9) when its owner or
// keeper is deleted.

type dvOwner struct {
	ID int64 `db:"id,pk"`
}

func (dvOwner) TableName() string { return "dv_owners" }
func (dvOwner) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[dvPet](typeddelete.SetDefault, "owner_id"),
		typeddelete.HasMany[dvPet](typeddelete.SetValue, "keeper_id").Value(int64(9)),
	}
}

type dvPet struct {
	ID       int64 `db:"id,pk"`
	OwnerID  int64 `db:"owner_id"`
	KeeperID int64 `db:"keeper_id"`
}

func (dvPet) TableName() string { return "dv_pets" }

// dvOwnerExpr is dv_owners with a SetDefault on a column whose default is
// an expression, which SQLite cannot set.
type dvOwnerExpr struct {
	ID int64 `db:"id,pk"`
}

func (dvOwnerExpr) TableName() string { return "dv_owners" }
func (dvOwnerExpr) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[dvPet](typeddelete.SetDefault, "owner_id"),
		typeddelete.HasMany[dvPet](typeddelete.SetDefault, "keeper_id"),
	}
}

var dvTables = planFixture{
	tables: []planTable{{"dv_owners", "id", "1"}, {"dv_pets", "id, owner_id, keeper_id", "1"}},
	setup: func(name string) []string {
		keeperDefault := "9"
		if strings.HasPrefix(name, "sqlite") {
			keeperDefault = "(abs(-9))"
		}
		return []string{
			"CREATE TABLE dv_owners (id BIGINT PRIMARY KEY)",
			"CREATE TABLE dv_pets (id BIGINT PRIMARY KEY, owner_id BIGINT NOT NULL DEFAULT 0, keeper_id BIGINT NOT NULL DEFAULT " + keeperDefault + ", " +
				"FOREIGN KEY (owner_id) REFERENCES dv_owners(id), FOREIGN KEY (keeper_id) REFERENCES dv_owners(id))",
			"INSERT INTO dv_owners (id) VALUES (0), (1), (2), (9)",
			"INSERT INTO dv_pets (id, owner_id, keeper_id) VALUES (10, 1, 2), (20, 2, 1), (30, 1, 1)",
		}
	},
}

// TestSetDefaultAndSetValue checks both policies on every database,
// InnoDB included, which has no ON DELETE SET DEFAULT: the children's
// foreign keys change before the parent goes, and Preview says to what.
func TestSetDefaultAndSetValue(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		p := planSetup(t, tdb, dvTables)
		s := tdb.session()
		planMust(t, "Delete", s.Delete(&dvOwner{ID: 1}))
		pv, err := s.Preview(ctx)
		planMust(t, "Preview", err)
		for _, line := range []string{
			"sets dv_pets.owner_id to its default in 2 rows of dv_pets (SetDefault)",
			"sets dv_pets.keeper_id to 9 in 2 rows of dv_pets (SetValue)",
		} {
			if !strings.Contains(pv.String(), line) {
				t.Errorf("Preview:\n%s\nwant a line %q", pv, line)
			}
		}
		planMust(t, "Commit", s.Commit(ctx))
		p.expect(t, map[string][]string{"dv_owners": {"0", "2", "9"}, "dv_pets": {"10|0|2", "20|2|9", "30|0|9"}})
		if got := s.LastCommit().Updated["dv_pets"]; got != 4 {
			t.Errorf("LastCommit().Updated[dv_pets] = %d, want 4: two rows per relation", got)
		}

		if tdb.Dialect.Name() == "sqlite" {
			// SQLite has no SET col = DEFAULT: an expression default, or
			// no catalog to read it from, is refused before anything is
			// sent.
			for _, c := range []struct {
				what string
				obj  any
				opts []typeddelete.Option
				msg  string
			}{
				{"an expression default", &dvOwnerExpr{ID: 2}, nil, "the default abs(-9) is an expression"},
				{"no catalog", &dvOwner{ID: 2}, []typeddelete.Option{typeddelete.WithoutSchemaIntrospection()}, "without the catalog"},
			} {
				log := &mockLog{}
				s := tdb.session(append(c.opts, typeddelete.WithLogger(slog.New(log)))...)
				planMust(t, "Delete", s.Delete(c.obj))
				err := s.Commit(ctx)
				if !errors.Is(err, typeddelete.ErrInvalidRelation) || !strings.Contains(err.Error(), c.msg) {
					t.Errorf("%s: Commit error = %v; want ErrInvalidRelation saying %q", c.what, err, c.msg)
				}
				planNothingButCatalog(t, log)
			}
			p.expect(t, map[string][]string{"dv_owners": {"0", "2", "9"}, "dv_pets": {"10|0|2", "20|2|9", "30|0|9"}})
			return
		}
		// The servers set DEFAULT themselves, with or without the catalog.
		s = tdb.session(typeddelete.WithoutSchemaIntrospection())
		planMust(t, "Delete", s.Delete(&dvOwnerExpr{ID: 2}))
		planMust(t, "Commit", s.Commit(ctx))
		p.expect(t, map[string][]string{"dv_owners": {"0", "9"}, "dv_pets": {"10|0|9", "20|0|9", "30|0|9"}})
	})
}

// A person has a favourite ball; a ball has an owner. Deleting an owner
// cascades to the balls; deleting a ball clears the favourite.

type cyPerson struct {
	ID        int64  `db:"id,pk"`
	FavBallID *int64 `db:"fav_ball_id"`
}

func (cyPerson) TableName() string { return "cy_persons" }
func (cyPerson) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[cyBall](typeddelete.Cascade, "owner_id")}
}

type cyBall struct {
	ID      int64 `db:"id,pk"`
	OwnerID int64 `db:"owner_id"`
}

func (cyBall) TableName() string { return "cy_balls" }
func (cyBall) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[cyPerson](typeddelete.SetNull, "fav_ball_id")}
}

// cyPersonBare and cyBallBare declare no reference cleared first.
type cyPersonBare struct {
	ID        int64  `db:"id,pk"`
	FavBallID *int64 `db:"fav_ball_id"`
}

func (cyPersonBare) TableName() string { return "cy_persons" }
func (cyPersonBare) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[cyBallBare](typeddelete.Cascade, "owner_id")}
}

type cyBallBare struct {
	ID      int64 `db:"id,pk"`
	OwnerID int64 `db:"owner_id"`
}

func (cyBallBare) TableName() string { return "cy_balls" }

var cyTables = planFixture{
	tables: []planTable{{"cy_persons", "id, fav_ball_id", "1"}, {"cy_balls", "id, owner_id", "1"}},
	setup: func(name string) []string {
		persons := "CREATE TABLE cy_persons (id BIGINT PRIMARY KEY, fav_ball_id BIGINT NULL)"
		fk := "ALTER TABLE cy_persons ADD FOREIGN KEY (fav_ball_id) REFERENCES cy_balls(id)"
		if strings.HasPrefix(name, "sqlite") {
			// SQLite adds no foreign key to a table, but takes one to a
			// table that does not exist yet.
			persons = "CREATE TABLE cy_persons (id BIGINT PRIMARY KEY, fav_ball_id BIGINT NULL REFERENCES cy_balls(id))"
			fk = "SELECT 1"
		}
		return []string{
			persons,
			"CREATE TABLE cy_balls (id BIGINT PRIMARY KEY, owner_id BIGINT NOT NULL, FOREIGN KEY (owner_id) REFERENCES cy_persons(id))",
			fk,
			"INSERT INTO cy_persons (id) VALUES (1), (2), (3)",
			"INSERT INTO cy_balls (id, owner_id) VALUES (10, 1), (20, 2), (30, 3), (31, 3)",
			"UPDATE cy_persons SET fav_ball_id = id * 10",
		}
	},
}

// TestCycleBrokenByClearedReference checks SQLAlchemy's post_update case:
// two tables that reference each other are deleted when one reference is
// declared SetNull, which is cleared first, whether one row or both are
// registered; without such a declaration the Commit fails with ErrCycle
// and sends nothing.
func TestCycleBrokenByClearedReference(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		p := planSetup(t, tdb, cyTables)
		want := map[string][]string{"cy_persons": {"1|10", "2|20", "3|30"}, "cy_balls": {"10|1", "20|2", "30|3", "31|3"}}

		// No reference cleared, or cleared by one model of cy_balls
		// and not by another: ErrCycle, nothing sent.
		for _, objs := range [][]any{{&cyBallBare{ID: 10}, &cyPersonBare{ID: 1}}, {&cyBallBare{ID: 10}, &cyPerson{ID: 1}}} {
			log := &mockLog{}
			s := tdb.session(typeddelete.WithLogger(slog.New(log)))
			planMust(t, "Delete", s.Delete(objs...))
			err := s.Commit(ctx)
			if !errors.Is(err, typeddelete.ErrCycle) || !strings.Contains(err.Error(), "no SetNull, SetDefault or SetValue relation breaks the cycle") {
				t.Fatalf("Commit of %T, %T: error = %v; want ErrCycle saying no relation breaks the cycle", objs[0], objs[1], err)
			}
			planNothingButCatalog(t, log)
		}
		p.expect(t, want)

		// One person: its balls cascade, its favourite is cleared first.
		s := tdb.session()
		planMust(t, "Delete", s.Delete(&cyPerson{ID: 1}))
		planMust(t, "Commit", s.Commit(ctx))
		want = map[string][]string{"cy_persons": {"2|20", "3|30"}, "cy_balls": {"20|2", "30|3", "31|3"}}
		p.expect(t, want)

		// A person and a ball both registered, in either order.
		planMust(t, "Delete", s.Delete(&cyPerson{ID: 2}, &cyBall{ID: 20}))
		planMust(t, "Commit", s.Commit(ctx))
		planMust(t, "Delete", s.Delete(&cyBall{ID: 30}, &cyPerson{ID: 3}))
		planMust(t, "Commit", s.Commit(ctx))
		p.expect(t, map[string][]string{"cy_persons": nil, "cy_balls": nil})
	})
}

// previewHas reports whether the Preview holds a statement with SQL q.
func previewHas(pv *typeddelete.Preview, q string) bool {
	for _, st := range pv.Statements {
		if st.SQL == q {
			return true
		}
	}
	return false
}

// previewSQL returns the SQL of the Preview's statements.
func previewSQL(pv *typeddelete.Preview) []string {
	var out []string
	for _, st := range pv.Statements {
		out = append(out, st.SQL)
	}
	return out
}

// Declarations that are refused at first use.

type declChild struct {
	ID       int64  `db:"id,pk"`
	ParentID int64  `db:"parent_id"`
	Code     string `db:"code"`
}

func (declChild) TableName() string { return "decl_children" }

type declRefSelf struct {
	ID       int64  `db:"id,pk"`
	Code     string `db:"code"`
	ParentID string `db:"parent_code"`
}

func (declRefSelf) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[declRefSelf](typeddelete.Cascade, "parent_code").References("code")}
}

type declRefUnknown struct{ ID int64 }

func (declRefUnknown) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[declChild](typeddelete.Cascade, "code").References("nope")}
}

type declValueOnCascade struct{ ID int64 }

func (declValueOnCascade) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[declChild](typeddelete.Cascade, "parent_id").Value(int64(0))}
}

type declNoValue struct{ ID int64 }

func (declNoValue) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[declChild](typeddelete.SetValue, "parent_id")}
}

type declValueCount struct{ ID int64 }

func (declValueCount) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[declChild](typeddelete.SetValue, "parent_id").Value(int64(1), int64(2))}
}

type declValueType struct{ ID int64 }

func (declValueType) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[declChild](typeddelete.SetValue, "parent_id").Value("zero")}
}

type declValueNil struct{ ID int64 }

func (declValueNil) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[declChild](typeddelete.SetValue, "parent_id").Value(nil)}
}

type declDefaultKey struct{ ID int64 }

func (declDefaultKey) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[declChild](typeddelete.SetDefault, "id")}
}

type declM2MCount struct{ ID int64 }

func (declM2MCount) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.ManyToMany[declChild]("links", "a_id")}
}

type declM2MColumn struct{ ID int64 }

func (declM2MColumn) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.ManyToMany[declChild]("links", "a_id", `b"id`)}
}

// TestBadDeclarations checks that each invalid use of References, Value,
// SetValue, SetDefault and ManyToMany is an ErrInvalidRelation naming the
// problem, from Session.Delete, with nothing sent.
func TestBadDeclarations(t *testing.T) {
	tests := []struct {
		obj  any
		text string
	}{
		{&declRefSelf{ID: 1}, "References on a relation of conformance_test.declRefSelf to itself is not supported"},
		{&declRefUnknown{ID: 1}, `References: "nope" is not a column`},
		{&declValueOnCascade{ID: 1}, "Value is for SetValue relations, not Cascade"},
		{&declNoValue{ID: 1}, "SetValue needs Value(...)"},
		{&declValueCount{ID: 1}, "Value got 2 value(s) for 1 foreign-key column(s)"},
		{&declValueType{ID: 1}, "SetValue: value 0 (string) does not fit decl_children.parent_id of type int64"},
		{&declValueNil{ID: 1}, "SetValue: value 0 (<nil>) does not fit decl_children.parent_id of type int64"},
		{&declDefaultKey{ID: 1}, "SetDefault on decl_children.id, part of the primary key"},
		{&declM2MCount{ID: 1}, `ManyToMany through "links": 1 column(s) for 1 referencing decl_m2_m_counts and 1 referencing decl_children`},
		{&declM2MColumn{ID: 1}, `ManyToMany: "b\"id" is not a valid column name`},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			s, mock, log := newMockSession(t)
			err := s.Delete(tt.obj)
			if !errors.Is(err, typeddelete.ErrInvalidRelation) || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("Delete error = %v; want ErrInvalidRelation containing %q", err, tt.text)
			}
			mockPending(t, s, 0, 0)
			mockVerify(t, mock)
			mockNothingSent(t, log)
		})
	}
}
