package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	sq "github.com/Masterminds/squirrel"

	"github.com/typeddelete/typeddelete"
)

// Relation correctness: what a Commit deletes through relations depends
// on the rows, never on the order of declarations or statements.

// TestBulkFilterOnChildren checks that a bulk delete whose filter reads
// its children deletes the rows the filter matched before anything
// changed, with their children: the filter is not evaluated again after
// the children are gone.
func TestBulkFilterOnChildren(t *testing.T) {
	ctx := context.Background()
	t.Run("a Cascade", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planTeams)
			s := tdb.session()
			hasA := typeddelete.Raw[planTeam](sq.Expr("EXISTS (SELECT 1 FROM projects p WHERE p.team_id = teams.id AND p.name = ?)", "a"))
			d, err := typeddelete.Query[planTeam](s).Filter(hasA).Delete()
			planMust(t, "Query.Delete", err)
			planMust(t, "Commit", s.Commit(ctx))
			if n, ok := d.RowsAffected(); n != 1 || !ok {
				t.Errorf("RowsAffected() = %d, %v; want 1, true", n, ok)
			}
			p.expect(t, map[string][]string{"teams": {"2|blue", "3|green"}, "projects": {"20|2", "30|3"}, "tasks": {"200|20", "300|30"}})
		})
	})
	t.Run("a SetNull", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planAuthors)
			s := tdb.session()
			wroteX := typeddelete.Raw[planAuthor](sq.Expr("EXISTS (SELECT 1 FROM books b WHERE b.author_id = authors.id AND b.title = ?)", "x"))
			d, err := typeddelete.Query[planAuthor](s).Filter(wroteX).Delete()
			planMust(t, "Query.Delete", err)
			planMust(t, "Commit", s.Commit(ctx))
			if n, _ := d.RowsAffected(); n != 1 {
				t.Errorf("RowsAffected() = %d, want 1", n)
			}
			p.expect(t, map[string][]string{"authors": {"2"}, "books": {"10|NULL", "11|NULL", "20|2"}})
		})
	})
}

// A parent whose children reference a UNIQUE column rather than its key,
// of the key's type: only the catalog tells the relation follows the
// wrong column.

type refParent struct {
	ID   int64 `db:"id,pk"`
	Code int64 `db:"code"`
}

func (refParent) TableName() string { return "ref_parents" }
func (refParent) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[refChild](typeddelete.Cascade, "parent_code")}
}

type refChild struct {
	ID         int64 `db:"id,pk"`
	ParentCode int64 `db:"parent_code"`
}

func (refChild) TableName() string { return "ref_children" }

// TestRelationOnAnotherColumnIsRefused checks that a relation whose
// foreign key references a column other than the parent's key is refused
// at first use, before anything is sent, instead of cascading by key
// values to the wrong rows.
func TestRelationOnAnotherColumnIsRefused(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		tdb.exec(t, "CREATE TABLE ref_parents (id BIGINT PRIMARY KEY, code BIGINT NOT NULL UNIQUE)",
			"CREATE TABLE ref_children (id BIGINT PRIMARY KEY, parent_code BIGINT NOT NULL, FOREIGN KEY (parent_code) REFERENCES ref_parents(code))",
			"INSERT INTO ref_parents (id, code) VALUES (1, 2), (2, 1)",
			"INSERT INTO ref_children (id, parent_code) VALUES (10, 1), (20, 2)")
		log := &mockLog{}
		s := tdb.session(typeddelete.WithLogger(slog.New(log)))
		planMust(t, "Delete", s.Delete(&refParent{ID: 1}))
		err := s.Commit(context.Background())
		if !errors.Is(err, typeddelete.ErrInvalidRelation) || !strings.Contains(err.Error(), "ref_children(parent_code) references ref_parents(code)") {
			t.Fatalf("Commit error = %v, want ErrInvalidRelation naming ref_children(parent_code) and ref_parents(code)", err)
		}
		planNothingButCatalog(t, log)
		if n := tdb.count(t, "ref_children"); n != 2 {
			t.Errorf("%d rows left in ref_children, want 2", n)
		}
	})
}

// A parent whose children reference its text column code, declared as if
// they referenced its integer key.

type wrongParent struct {
	ID   int64  `db:"id,pk"`
	Code string `db:"code"`
}

func (wrongParent) TableName() string { return "wrong_parents" }
func (wrongParent) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[wrongChild](typeddelete.Cascade, "parent_code")}
}

type wrongChild struct {
	ID         int64  `db:"id,pk"`
	ParentCode string `db:"parent_code"`
}

func (wrongChild) TableName() string { return "wrong_children" }

// TestRelationOfAnotherTypeIsRefusedWithoutCatalog checks that, without
// the catalog, a relation whose foreign key cannot hold the values of the
// parent's key (text codes following integer ids) is refused at Delete,
// before anything is sent: SQLite and MariaDB would compare '1' with 1 and
// delete another parent's children.
func TestRelationOfAnotherTypeIsRefusedWithoutCatalog(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		tdb.exec(t, "CREATE TABLE wrong_parents (id BIGINT PRIMARY KEY, code VARCHAR(20) NOT NULL UNIQUE)",
			"CREATE TABLE wrong_children (id BIGINT PRIMARY KEY, parent_code VARCHAR(20) NOT NULL)",
			"INSERT INTO wrong_parents (id, code) VALUES (1, '2'), (2, '1')",
			"INSERT INTO wrong_children (id, parent_code) VALUES (10, '1'), (20, '2')")
		log := &mockLog{}
		s := tdb.session(typeddelete.WithoutSchemaIntrospection(), typeddelete.WithLogger(slog.New(log)))
		err := s.Delete(&wrongParent{ID: 1})
		want := "typeddelete: Delete argument 0: invalid relation: conformance_test.wrongParent.Relations()[0]: " +
			"wrong_children.parent_code (string) cannot hold the values of wrong_parents.id (int64), the column it is declared to reference; " +
			"if it references another column of the parent, declare it with References"
		if !errors.Is(err, typeddelete.ErrInvalidRelation) || err.Error() != want {
			t.Fatalf("Delete error = %v, want %s", err, want)
		}
		if err := s.Commit(context.Background()); err != nil {
			t.Errorf("Commit after the refused Delete: %v, want nil (nothing pending)", err)
		}
		if work := planWork(log); len(work) > 0 {
			t.Errorf("the session sent %q; want nothing", work)
		}
		for table, want := range map[string]int{"wrong_parents": 2, "wrong_children": 2} {
			if n := tdb.count(t, table); n != want {
				t.Errorf("%d rows left in %s, want %d", n, table, want)
			}
		}
	})
}

// Restrict and Protect against two paths to one table: top cascades to
// b1 and to b2; b1 restricts bottoms (or protects them), b2 cascades to
// bottoms. rTop declares b1 first, rTopRev b2 first.

type rTop struct {
	ID int64 `db:"id,pk"`
}

func (rTop) TableName() string { return "r_tops" }
func (rTop) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[rB1](typeddelete.Cascade, "top_id"),
		typeddelete.HasMany[rB2](typeddelete.Cascade, "top_id"),
	}
}

type rTopRev struct {
	ID int64 `db:"id,pk"`
}

func (rTopRev) TableName() string { return "r_tops" }
func (rTopRev) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[rB2](typeddelete.Cascade, "top_id"),
		typeddelete.HasMany[rB1](typeddelete.Cascade, "top_id"),
	}
}

type rTopProtect struct {
	ID int64 `db:"id,pk"`
}

func (rTopProtect) TableName() string { return "r_tops" }
func (rTopProtect) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[rB2](typeddelete.Cascade, "top_id"),
		typeddelete.HasMany[rB1Protect](typeddelete.Cascade, "top_id"),
	}
}

type rB1 struct {
	ID    int64 `db:"id,pk"`
	TopID int64 `db:"top_id"`
}

func (rB1) TableName() string { return "r_b1" }
func (rB1) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[rBottom](typeddelete.Restrict, "b1_id")}
}

type rB1Protect struct {
	ID    int64 `db:"id,pk"`
	TopID int64 `db:"top_id"`
}

func (rB1Protect) TableName() string { return "r_b1" }
func (rB1Protect) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[rBottom](typeddelete.Protect, "b1_id")}
}

type rB2 struct {
	ID    int64 `db:"id,pk"`
	TopID int64 `db:"top_id"`
}

func (rB2) TableName() string { return "r_b2" }
func (rB2) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[rBottom](typeddelete.Cascade, "b2_id")}
}

type rBottom struct {
	ID   int64 `db:"id,pk"`
	B1ID int64 `db:"b1_id"`
	B2ID int64 `db:"b2_id"`
}

func (rBottom) TableName() string { return "r_bottoms" }

// TestRestrictDoesNotDependOnDeclarationOrder checks Django's RESTRICT: a
// restricted row the same Commit deletes through another Cascade does not
// block it, one that would remain does, whichever relation is declared
// first; and PROTECT, which blocks both.
func TestRestrictDoesNotDependOnDeclarationOrder(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T, tdb *testDB, survivor bool) {
		tdb.exec(t, "CREATE TABLE r_tops (id BIGINT PRIMARY KEY)",
			"CREATE TABLE r_b1 (id BIGINT PRIMARY KEY, top_id BIGINT NOT NULL, FOREIGN KEY (top_id) REFERENCES r_tops(id))",
			"CREATE TABLE r_b2 (id BIGINT PRIMARY KEY, top_id BIGINT NOT NULL, FOREIGN KEY (top_id) REFERENCES r_tops(id))",
			"CREATE TABLE r_bottoms (id BIGINT PRIMARY KEY, b1_id BIGINT NOT NULL, b2_id BIGINT NOT NULL, FOREIGN KEY (b1_id) REFERENCES r_b1(id), FOREIGN KEY (b2_id) REFERENCES r_b2(id))",
			"INSERT INTO r_tops (id) VALUES (1), (2)",
			"INSERT INTO r_b1 (id, top_id) VALUES (10, 1), (20, 2)",
			"INSERT INTO r_b2 (id, top_id) VALUES (11, 1), (21, 2)",
			// Bottom 100 goes with top 1 through b2 11.
			"INSERT INTO r_bottoms (id, b1_id, b2_id) VALUES (100, 10, 11)")
		if survivor {
			// Bottom 101 references b1 10 but hangs under top 2 through b2 21.
			tdb.exec(t, "INSERT INTO r_bottoms (id, b1_id, b2_id) VALUES (101, 10, 21)")
		}
	}
	tops := map[string]any{"b1 declared first": &rTop{ID: 1}, "b2 declared first": &rTopRev{ID: 1}}
	for order, top := range tops {
		t.Run("with "+order+" a restricted row the Commit deletes anyway does not block it", func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				setup(t, tdb, false)
				s := tdb.session()
				planMust(t, "Delete", s.Delete(top))
				planMust(t, "Commit", s.Commit(ctx))
				for table, want := range map[string]int{"r_tops": 1, "r_b1": 1, "r_b2": 1, "r_bottoms": 0} {
					if n := tdb.count(t, table); n != want {
						t.Errorf("%d rows left in %s, want %d", n, table, want)
					}
				}
			})
		})
		t.Run("with "+order+" a restricted row that would remain blocks it", func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				setup(t, tdb, true)
				s := tdb.session()
				planMust(t, "Delete", s.Delete(top))
				err := s.Commit(ctx)
				var re *typeddelete.RestrictError
				if !errors.As(err, &re) || *re != (typeddelete.RestrictError{Parent: "r_b1", Child: "r_bottoms", Count: 1, Policy: typeddelete.Restrict}) {
					t.Fatalf("Commit error = %v, want a RestrictError of r_b1 for 1 row of r_bottoms", err)
				}
				if n := tdb.count(t, "r_bottoms"); n != 2 {
					t.Errorf("%d rows left in r_bottoms, want both", n)
				}
			})
		})
	}
	t.Run("Protect blocks even a row the Commit deletes anyway", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			setup(t, tdb, false)
			s := tdb.session()
			planMust(t, "Delete", s.Delete(&rTopProtect{ID: 1}))
			err := s.Commit(ctx)
			var re *typeddelete.RestrictError
			if !errors.As(err, &re) || *re != (typeddelete.RestrictError{Parent: "r_b1", Child: "r_bottoms", Count: 1, Policy: typeddelete.Protect}) {
				t.Fatalf("Commit error = %v, want a Protect RestrictError of r_b1 for 1 row of r_bottoms", err)
			}
			if n := tdb.count(t, "r_tops"); n != 2 {
				t.Errorf("%d rows left in r_tops, want 2", n)
			}
		})
	})
}

// A tree with two self-references: parent_id, known only from the
// catalog, and next_id to a sibling, declared SetNull.

type linkNode struct {
	ID       int64  `db:"id,pk"`
	ParentID *int64 `db:"parent_id"`
	NextID   *int64 `db:"next_id"`
}

func (linkNode) TableName() string { return "link_nodes" }
func (linkNode) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[linkNode](typeddelete.SetNull, "next_id")}
}

// TestTreesDeleteReferencingRowsFirst checks that rows of a table that
// references itself are deleted so that a row goes before every row it
// references, by every self-reference the catalog knows, reading the
// values the caller did not load; MySQL and MariaDB check such keys row by
// row and refuse any other order.
func TestTreesDeleteReferencingRowsFirst(t *testing.T) {
	ctx := context.Background()
	t.Run("rows registered by key alone, with a self-reference only the catalog knows", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planNodes)
			s := tdb.session()
			// Roots first: the worst order for the database.
			planMust(t, "Delete", s.Delete(&planNode{ID: 2}, &planNode{ID: 4}, &planNode{ID: 5}, &planNode{ID: 6}))
			planMust(t, "Commit", s.Commit(ctx))
			p.expect(t, map[string][]string{"nodes": {"1|NULL", "3|1", "7|NULL", "8|7"}})
		})
	})
	t.Run("a second self-reference, declared SetNull, orders the rows and nulls the survivors", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			tdb.exec(t, "CREATE TABLE link_nodes (id BIGINT PRIMARY KEY, parent_id BIGINT, next_id BIGINT, FOREIGN KEY (parent_id) REFERENCES link_nodes(id), FOREIGN KEY (next_id) REFERENCES link_nodes(id))",
				"INSERT INTO link_nodes (id, parent_id, next_id) VALUES (1, NULL, NULL), (3, 1, NULL)",
				"INSERT INTO link_nodes (id, parent_id, next_id) VALUES (2, 1, 3)",
				"INSERT INTO link_nodes (id, parent_id, next_id) VALUES (4, 2, NULL), (5, 1, 2)")
			p := &planDB{testDB: tdb, tables: []planTable{{"link_nodes", "id, parent_id, next_id", "1"}}}
			log := &mockLog{}
			s := tdb.session(typeddelete.WithLogger(slog.New(log)))
			planMust(t, "Delete", s.Delete(&linkNode{ID: 3}, &linkNode{ID: 2}, &linkNode{ID: 4}))
			planMust(t, "Commit", s.Commit(ctx))
			p.expect(t, map[string][]string{"link_nodes": {"1|NULL|NULL", "5|1|NULL"}})
			if got := s.LastCommit().Updated["link_nodes"]; got != 1 {
				t.Errorf("LastCommit().Updated = %d, want 1: row 5 only, not the rows deleted", got)
			}
		})
	})
	t.Run("no UPDATE is sent for SetNull children the same delete removes", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planStaffs)
			log := &mockLog{}
			s := tdb.session(typeddelete.WithLogger(slog.New(log)))
			_, err := typeddelete.Query[planStaff](s).Filter(typeddelete.Raw[planStaff](sq.Expr("id > ?", 1))).Delete()
			planMust(t, "Query.Delete", err)
			planMust(t, "Commit", s.Commit(ctx))
			if work := planWork(log); slices.ContainsFunc(work, func(q string) bool { return strings.HasPrefix(q, "UPDATE") }) {
				t.Errorf("statements %q include an UPDATE of rows the Commit deletes", work)
			}
			p.expect(t, map[string][]string{"staff": {"1|NULL"}})
		})
	})
	t.Run("no UPDATE is sent for SetNull children an earlier delete of the Commit removed", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planAuthors)
			log := &mockLog{}
			s := tdb.session(typeddelete.WithLogger(slog.New(log)))
			planMust(t, "Delete", s.Delete(&planAuthor{ID: 1}, &planBook{ID: 10}, &planBook{ID: 11}))
			planMust(t, "Commit", s.Commit(ctx))
			if work := planWork(log); slices.ContainsFunc(work, func(q string) bool { return strings.HasPrefix(q, "UPDATE") }) {
				t.Errorf("statements %q include an UPDATE of rows the Commit deleted", work)
			}
			p.expect(t, map[string][]string{"authors": {"2"}, "books": {"20|2"}})
		})
	})
}

// TestHooksRunInDeleteOrder checks that BeforeDelete and AfterDelete run
// children first, each around the statement that deletes its rows.
func TestHooksRunInDeleteOrder(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		planSetup(t, tdb, planShips)
		s := tdb.session()
		h := &planHooks{}
		planMust(t, "Delete", s.Delete(&planShip{ID: 1, Name: "ark"}))
		planMust(t, "Commit", s.Commit(h.with(context.Background())))
		want := []string{"crew.before 10", "crew.before 11", "crew.after 10", "crew.after 11", "ship.before 1", "ship.after 1"}
		if got := h.inOrder(); !slices.Equal(got, want) {
			t.Errorf("hook calls = %q, want %q", got, want)
		}
	})
}

// xCommit previews the work registered on s, commits it and checks that
// the Commit did what the Preview said.
func xCommit(t *testing.T, s *typeddelete.Session) error {
	t.Helper()
	ctx := context.Background()
	pv, err := s.Preview(ctx)
	planMust(t, "Preview", err)
	err = s.Commit(ctx)
	if (err == nil) != (pv.Err() == nil) {
		t.Fatalf("Commit error = %v, Preview.Err = %v", err, pv.Err())
	}
	if err == nil {
		previewMatch(t, pv, s.LastCommit())
	}
	return err
}

// Restrict and Protect against soft-deleted children.

type xFolder struct {
	ID        int64      `db:"id,pk"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (xFolder) TableName() string { return "x_folders" }
func (xFolder) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[xDoc](typeddelete.Restrict, "folder_id")}
}

type xFolderProtect struct {
	ID        int64      `db:"id,pk"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (xFolderProtect) TableName() string { return "x_folders" }
func (xFolderProtect) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[xDoc](typeddelete.Protect, "folder_id")}
}

type xDoc struct {
	ID        int64      `db:"id,pk"`
	FolderID  int64      `db:"folder_id"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (xDoc) TableName() string { return "x_docs" }

// TestRestrictCountsSoftDeletedChildrenOnDelete checks that a soft-deleted
// child, whose row still references its parent, refuses a delete of the
// parent under Restrict and Protect (rather than the database's foreign
// key refusing it), and does not refuse a soft delete, which leaves the
// parent's row in place; a live child refuses both.
func TestRestrictCountsSoftDeletedChildrenOnDelete(t *testing.T) {
	const live, gone = "live", "deleted"
	cases := []struct {
		name     string
		register func(s *typeddelete.Session) error
		refused  *typeddelete.RestrictError
		folders  []string // rows of x_folders after
	}{
		{
			name:     "Restrict refuses a delete of a folder whose only document is soft-deleted",
			register: func(s *typeddelete.Session) error { return s.HardDelete(&xFolder{ID: 1}) },
			refused:  &typeddelete.RestrictError{Parent: "x_folders", Child: "x_docs", Count: 1, Policy: typeddelete.Restrict},
		},
		{
			name:     "Protect refuses a delete of a folder whose only document is soft-deleted",
			register: func(s *typeddelete.Session) error { return s.HardDelete(&xFolderProtect{ID: 1}) },
			refused:  &typeddelete.RestrictError{Parent: "x_folders", Child: "x_docs", Count: 1, Policy: typeddelete.Protect},
		},
		{
			name:     "Restrict lets a soft delete of a folder whose only document is soft-deleted go",
			register: func(s *typeddelete.Session) error { return s.Delete(&xFolder{ID: 1}) },
			folders:  []string{"1|" + gone, "2|" + live, "3|" + live},
		},
		{
			name:     "Restrict refuses a soft delete of a folder with a live document",
			register: func(s *typeddelete.Session) error { return s.Delete(&xFolder{ID: 2}) },
			refused:  &typeddelete.RestrictError{Parent: "x_folders", Child: "x_docs", Count: 1, Policy: typeddelete.Restrict},
		},
		{
			name:     "Restrict lets a delete of a folder without documents go",
			register: func(s *typeddelete.Session) error { return s.HardDelete(&xFolder{ID: 3}) },
			folders:  []string{"1|" + live, "2|" + live},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				tdb.exec(t, "CREATE TABLE x_folders (id BIGINT PRIMARY KEY, deleted_at TIMESTAMP NULL)",
					"CREATE TABLE x_docs (id BIGINT PRIMARY KEY, folder_id BIGINT NOT NULL, deleted_at TIMESTAMP NULL, FOREIGN KEY (folder_id) REFERENCES x_folders(id))",
					"INSERT INTO x_folders (id) VALUES (1), (2), (3)",
					"INSERT INTO x_docs (id, folder_id, deleted_at) VALUES (10, 1, CURRENT_TIMESTAMP)",
					"INSERT INTO x_docs (id, folder_id) VALUES (20, 2)")
				state := "CASE WHEN deleted_at IS NULL THEN 'live' ELSE 'deleted' END"
				p := &planDB{testDB: tdb, tables: []planTable{{"x_folders", "id, " + state, "1"}, {"x_docs", "id, folder_id, " + state, "1"}}}
				seed := map[string][]string{"x_folders": {"1|" + live, "2|" + live, "3|" + live}, "x_docs": {"10|1|" + gone, "20|2|" + live}}
				s := tdb.session()
				planMust(t, "Delete", tc.register(s))
				err := xCommit(t, s)
				if tc.refused == nil {
					planMust(t, "Commit", err)
					p.expect(t, planWith(seed, map[string][]string{"x_folders": tc.folders}))
					return
				}
				var re *typeddelete.RestrictError
				if !errors.Is(err, typeddelete.ErrRestricted) || !errors.As(err, &re) || *re != *tc.refused {
					t.Fatalf("Commit error = %v, want %+v", err, *tc.refused)
				}
				if errors.Is(err, typeddelete.ErrForeignKey) {
					t.Errorf("Commit error = %v: the database refused it, the check did not", err)
				}
				p.expect(t, seed)
			})
		})
	}
}

// Work registered together is split into units (one per bulk delete, one
// per model of object deletes), which the planner may send in another
// order than they were registered. What a Commit deletes depends on
// neither order.

// Restrict across units: top cascades to b1, which restricts bottoms;
// keeper cascades to bottoms.

type xTop struct {
	ID int64 `db:"id,pk"`
}

func (xTop) TableName() string { return "x_tops" }
func (xTop) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[xB1](typeddelete.Cascade, "top_id")}
}

type xB1 struct {
	ID    int64 `db:"id,pk"`
	TopID int64 `db:"top_id"`
}

func (xB1) TableName() string { return "x_b1" }
func (xB1) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[xBottom](typeddelete.Restrict, "b1_id")}
}

// xTopProtect and xB1Protect are xTop and xB1 with Protect in place of
// Restrict.
type xTopProtect struct {
	ID int64 `db:"id,pk"`
}

func (xTopProtect) TableName() string { return "x_tops" }
func (xTopProtect) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[xB1Protect](typeddelete.Cascade, "top_id")}
}

type xB1Protect struct {
	ID    int64 `db:"id,pk"`
	TopID int64 `db:"top_id"`
}

func (xB1Protect) TableName() string { return "x_b1" }
func (xB1Protect) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[xBottom](typeddelete.Protect, "b1_id")}
}

type xKeeper struct {
	ID int64 `db:"id,pk"`
}

func (xKeeper) TableName() string { return "x_keepers" }
func (xKeeper) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[xBottom](typeddelete.Cascade, "keeper_id")}
}

type xBottom struct {
	ID       int64 `db:"id,pk"`
	B1ID     int64 `db:"b1_id"`
	KeeperID int64 `db:"keeper_id"`
}

func (xBottom) TableName() string { return "x_bottoms" }

// TestRestrictAcrossUnits checks that a Restrict or Protect relation lets
// go the rows another unit of the same Commit deletes, and refuses one
// that would remain, whichever unit was registered first.
func TestRestrictAcrossUnits(t *testing.T) {
	setup := func(t *testing.T, tdb *testDB, survivor bool) *planDB {
		tdb.exec(t, "CREATE TABLE x_tops (id BIGINT PRIMARY KEY)",
			"CREATE TABLE x_keepers (id BIGINT PRIMARY KEY)",
			"CREATE TABLE x_b1 (id BIGINT PRIMARY KEY, top_id BIGINT NOT NULL, FOREIGN KEY (top_id) REFERENCES x_tops(id))",
			"CREATE TABLE x_bottoms (id BIGINT PRIMARY KEY, b1_id BIGINT NOT NULL, keeper_id BIGINT NOT NULL, FOREIGN KEY (b1_id) REFERENCES x_b1(id), FOREIGN KEY (keeper_id) REFERENCES x_keepers(id))",
			"INSERT INTO x_tops (id) VALUES (1)", "INSERT INTO x_keepers (id) VALUES (1), (2)",
			"INSERT INTO x_b1 (id, top_id) VALUES (10, 1)",
			// Bottom 100 goes with keeper 1.
			"INSERT INTO x_bottoms (id, b1_id, keeper_id) VALUES (100, 10, 1)")
		if survivor {
			// Bottom 101 references b1 10 but hangs under keeper 2, kept.
			tdb.exec(t, "INSERT INTO x_bottoms (id, b1_id, keeper_id) VALUES (101, 10, 2)")
		}
		return &planDB{testDB: tdb, tables: []planTable{{"x_tops", "id", "1"}, {"x_keepers", "id", "1"}, {"x_b1", "id", "1"}, {"x_bottoms", "id", "1"}}}
	}
	seed := map[string][]string{"x_tops": {"1"}, "x_keepers": {"1", "2"}, "x_b1": {"10"}, "x_bottoms": {"100", "101"}}
	type registration struct {
		order  string
		objs   []any
		policy typeddelete.OnDelete
	}
	var regs []registration
	for _, policy := range []typeddelete.OnDelete{typeddelete.Restrict, typeddelete.Protect} {
		var top any = &xTop{ID: 1}
		if policy == typeddelete.Protect {
			top = &xTopProtect{ID: 1}
		}
		regs = append(regs,
			registration{fmt.Sprintf("with %s, Delete(top, keeper)", policy), []any{top, &xKeeper{ID: 1}}, policy},
			registration{fmt.Sprintf("with %s, Delete(keeper, top)", policy), []any{&xKeeper{ID: 1}, top}, policy})
	}
	for _, reg := range regs {
		order, objs := reg.order, reg.objs
		t.Run(order+" succeeds when the Commit deletes every restricted row", func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				p := setup(t, tdb, false)
				s := tdb.session()
				planMust(t, "Delete", s.Delete(objs...))
				planMust(t, "Commit", xCommit(t, s))
				p.expect(t, map[string][]string{"x_tops": nil, "x_keepers": {"2"}, "x_b1": nil, "x_bottoms": nil})
				want := map[string]int64{"x_tops": 1, "x_keepers": 1, "x_b1": 1, "x_bottoms": 1}
				if got := s.LastCommit().Deleted; !reflect.DeepEqual(got, want) {
					t.Errorf("LastCommit().Deleted = %v, want %v", got, want)
				}
			})
		})
		t.Run(order+" is refused when a restricted row would remain", func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				p := setup(t, tdb, true)
				s := tdb.session()
				planMust(t, "Delete", s.Delete(objs...))
				err := xCommit(t, s)
				var re *typeddelete.RestrictError
				want := typeddelete.RestrictError{Parent: "x_b1", Child: "x_bottoms", Count: 1, Policy: reg.policy}
				if !errors.Is(err, typeddelete.ErrRestricted) || !errors.As(err, &re) || *re != want {
					t.Fatalf("Commit error = %v, want %+v", err, want)
				}
				p.expect(t, seed)
				if o, b := s.Pending(); o != 2 || b != 0 {
					t.Errorf("Pending() = (%d, %d), want both deletes pending", o, b)
				}
			})
		})
	}
}

// SetNull across units: an author's books keep their rows with a NULL
// author; a publisher's books go with it.

type xPub struct {
	ID int64 `db:"id,pk"`
}

func (xPub) TableName() string { return "x_pubs" }
func (xPub) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[xBook](typeddelete.Cascade, "pub_id")}
}

type xAuthor struct {
	ID int64 `db:"id,pk"`
}

func (xAuthor) TableName() string { return "x_authors" }
func (xAuthor) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[xBook](typeddelete.SetNull, "author_id")}
}

type xBook struct {
	ID       int64  `db:"id,pk"`
	AuthorID *int64 `db:"author_id"`
	PubID    int64  `db:"pub_id"`
}

func (xBook) TableName() string { return "x_books" }

// TestSetNullAcrossUnits checks that no UPDATE is sent for children that
// another unit of the same Commit deletes, whichever was registered first,
// and that the children that remain are updated.
func TestSetNullAcrossUnits(t *testing.T) {
	for _, pubFirst := range []bool{false, true} {
		order, objs := "Delete(author, publisher)", []any{&xAuthor{ID: 1}, &xPub{ID: 1}}
		if pubFirst {
			order, objs = "Delete(publisher, author)", []any{&xPub{ID: 1}, &xAuthor{ID: 1}}
		}
		t.Run(order+" updates only the books that remain", func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				tdb.exec(t, "CREATE TABLE x_pubs (id BIGINT PRIMARY KEY)",
					"CREATE TABLE x_authors (id BIGINT PRIMARY KEY)",
					"CREATE TABLE x_books (id BIGINT PRIMARY KEY, author_id BIGINT, pub_id BIGINT NOT NULL, FOREIGN KEY (author_id) REFERENCES x_authors(id), FOREIGN KEY (pub_id) REFERENCES x_pubs(id))",
					"INSERT INTO x_pubs (id) VALUES (1), (2)", "INSERT INTO x_authors (id) VALUES (1)",
					// Book 10 goes with publisher 1; book 11 stays, without its author.
					"INSERT INTO x_books (id, author_id, pub_id) VALUES (10, 1, 1), (11, 1, 2)")
				p := &planDB{testDB: tdb, tables: []planTable{{"x_pubs", "id", "1"}, {"x_authors", "id", "1"}, {"x_books", "id, author_id, pub_id", "1"}}}
				log := &mockLog{}
				s := tdb.session(typeddelete.WithLogger(slog.New(log)))
				planMust(t, "Delete", s.Delete(objs...))
				before := len(log.sent())
				planMust(t, "Commit", xCommit(t, s))
				p.expect(t, map[string][]string{"x_pubs": {"2"}, "x_authors": nil, "x_books": {"11|NULL|2"}})
				res := s.LastCommit()
				if want := map[string]int64{"x_books": 1}; !reflect.DeepEqual(res.Updated, want) {
					t.Errorf("LastCommit().Updated = %v, want %v: book 11 only", res.Updated, want)
				}
				if want := map[string]int64{"x_pubs": 1, "x_authors": 1, "x_books": 1}; !reflect.DeepEqual(res.Deleted, want) {
					t.Errorf("LastCommit().Deleted = %v, want %v", res.Deleted, want)
				}
				var updates []string
				for _, st := range log.sent()[before:] {
					if strings.HasPrefix(st.sql, "UPDATE") {
						updates = append(updates, st.sql)
					}
				}
				if len(updates) != 1 {
					t.Errorf("the Commit sent the UPDATEs %q, want one, of book 11", updates)
				}
			})
		})
	}
}

// A team is deleted with its projects.

type xTeam struct {
	ID int64 `db:"id,pk"`
}

func (xTeam) TableName() string { return "x_teams" }
func (xTeam) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[xProject](typeddelete.Cascade, "team_id")}
}

type xProject struct {
	ID     int64  `db:"id,pk"`
	TeamID int64  `db:"team_id"`
	Status string `db:"status"`
}

func (xProject) TableName() string { return "x_projects" }

// TestBulkFilterAcrossUnits checks that a bulk delete matches the rows its
// filter matched before the Commit changed anything, even where another
// unit of the same Commit, registered before or after it, goes first and
// changes what the filter reads.
func TestBulkFilterAcrossUnits(t *testing.T) {
	for _, deleteFirst := range []bool{false, true} {
		order := "registered after"
		if deleteFirst {
			order = "registered before"
		}
		t.Run("a filter on children, with a delete of one of them "+order, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				p := &planDB{testDB: tdb, tables: []planTable{{"x_teams", "id", "1"}, {"x_projects", "id, team_id, status", "1"}}}
				tdb.exec(t, "CREATE TABLE x_teams (id BIGINT PRIMARY KEY)",
					"CREATE TABLE x_projects (id BIGINT PRIMARY KEY, team_id BIGINT NOT NULL, status VARCHAR(10) NOT NULL, FOREIGN KEY (team_id) REFERENCES x_teams(id))",
					"INSERT INTO x_teams (id) VALUES (1), (2)",
					"INSERT INTO x_projects (id, team_id, status) VALUES (10, 1, 'done'), (11, 1, 'open'), (20, 2, 'open')")
				s := tdb.session()
				if deleteFirst {
					planMust(t, "Delete", s.Delete(&xProject{ID: 10}))
				}
				done := typeddelete.Raw[xTeam](sq.Expr("EXISTS (SELECT 1 FROM x_projects p WHERE p.team_id = x_teams.id AND p.status = 'done')"))
				d, err := typeddelete.Query[xTeam](s).Filter(done).Delete()
				planMust(t, "Query.Delete", err)
				if !deleteFirst {
					planMust(t, "Delete", s.Delete(&xProject{ID: 10}))
				}
				planMust(t, "Commit", xCommit(t, s))
				if n, ok := d.RowsAffected(); n != 1 || !ok {
					t.Errorf("RowsAffected() = %d, %v; want 1, true: team 1 had a done project before the Commit", n, ok)
				}
				p.expect(t, map[string][]string{"x_teams": {"2"}, "x_projects": {"20|2|open"}})
				if got, want := s.LastCommit().Deleted, map[string]int64{"x_teams": 1, "x_projects": 2}; !reflect.DeepEqual(got, want) {
					t.Errorf("LastCommit().Deleted = %v, want %v", got, want)
				}
			})
		})
		t.Run("a filter on another table, for rows deleted without a read, with a delete "+order, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				p := planSetup(t, tdb, planOwners)
				s := tdb.session()
				if deleteFirst {
					planMust(t, "Delete", s.Delete(&planPet{ID: 20}))
				}
				// Every owner has a pet until pet 20, oscar's only one, goes.
				noPet := typeddelete.Raw[planOwner](sq.Expr("NOT EXISTS (SELECT 1 FROM pets p WHERE p.owner_id = owners.id)"))
				d, err := typeddelete.Query[planOwner](s).Filter(noPet).Delete()
				planMust(t, "Query.Delete", err)
				if !deleteFirst {
					planMust(t, "Delete", s.Delete(&planPet{ID: 20}))
				}
				planMust(t, "Commit", xCommit(t, s))
				if n, ok := d.RowsAffected(); n != 0 || !ok {
					t.Errorf("RowsAffected() = %d, %v; want 0, true: every owner had a pet before the Commit", n, ok)
				}
				p.expect(t, map[string][]string{"owners": {"1", "2"}, "pets": {"10|1|rex", "11|1|tom"}})
				if got, want := s.LastCommit().Deleted, map[string]int64{"pets": 1}; !reflect.DeepEqual(got, want) {
					t.Errorf("LastCommit().Deleted = %v, want %v", got, want)
				}
			})
		})
	}
	t.Run("hooks run once for a row a delete before the bulk delete removed", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planShips)
			s := tdb.session()
			planMust(t, "Delete", s.Delete(&planShip{ID: 1}))
			d, err := typeddelete.Query[planShip](s).Filter(typeddelete.Raw[planShip](sq.Expr("id <= ?", 2))).Delete()
			planMust(t, "Query.Delete", err)
			h := &planHooks{}
			planMust(t, "Commit", s.Commit(h.with(context.Background())))
			want := []string{"crew.before 10", "crew.before 11", "crew.after 10", "crew.after 11", "ship.before 1", "ship.after 1",
				"crew.before 20", "crew.after 20", "ship.before 2", "ship.after 2"}
			if got := h.inOrder(); !slices.Equal(got, want) {
				t.Errorf("hook calls = %q, want %q", got, want)
			}
			if n, _ := d.RowsAffected(); n != 1 {
				t.Errorf("RowsAffected() = %d, want 1: ship 1 was gone at its turn", n)
			}
			p.expect(t, map[string][]string{"ships": {"3"}, "crew": nil, "audit": nil})
		})
	})
	t.Run("DeleteReturning returns only the rows it deleted, not one a delete before it removed", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planOwners)
			s := tdb.session()
			planMust(t, "Delete", s.Delete(&planPet{ID: 10}))
			r, err := typeddelete.Query[planPet](s).Filter(typeddelete.Raw[planPet](sq.Expr("id < ?", 12))).DeleteReturning()
			planMust(t, "Query.DeleteReturning", err)
			planMust(t, "Commit", xCommit(t, s))
			if got := planFmt(r.Rows()); got != "[{ID:11 OwnerID:1 Name:tom}]" {
				t.Errorf("Rows() = %s, want pet 11 only", got)
			}
			p.expect(t, map[string][]string{"owners": {"1", "2"}, "pets": {"20|2|kit"}})
		})
	})
}
