package conformance_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/typeddelete/typeddelete"
)

// The soft-delete lifecycle: soft delete, the trash (OnlyDeleted),
// Restore, sentinel columns and the database's clock.

type lcTeam struct {
	ID        int64      `db:"id,pk"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (lcTeam) TableName() string { return "lc_teams" }
func (lcTeam) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[lcProject](typeddelete.Cascade, "team_id"),
		typeddelete.HasMany[lcNote](typeddelete.Cascade, "team_id"),
	}
}

type lcProject struct {
	ID        int64      `db:"id,pk"`
	TeamID    int64      `db:"team_id"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (lcProject) TableName() string { return "lc_projects" }
func (lcProject) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[lcTask](typeddelete.Cascade, "project_id")}
}

type lcTask struct {
	ID        int64      `db:"id,pk"`
	ProjectID int64      `db:"project_id"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (lcTask) TableName() string { return "lc_tasks" }

// lcNote cannot be soft-deleted: a soft delete of its team leaves it.
type lcNote struct {
	ID     int64 `db:"id,pk"`
	TeamID int64 `db:"team_id"`
}

func (lcNote) TableName() string { return "lc_notes" }

// lcFolder is a tree.
type lcFolder struct {
	ID        int64      `db:"id,pk"`
	ParentID  *int64     `db:"parent_id"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (lcFolder) TableName() string { return "lc_folders" }
func (lcFolder) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[lcFolder](typeddelete.Cascade, "parent_id")}
}

// lcPlain cannot be soft-deleted.
type lcPlain struct {
	ID int64 `db:"id,pk"`
}

func (lcPlain) TableName() string { return "lc_notes" }

// lcState shows live rows as "id" and soft-deleted rows as "id*".
const lcState = "CASE WHEN deleted_at IS NULL THEN CAST(id AS CHAR(20)) ELSE " + "CONCAT(CAST(id AS CHAR(20)), '*') END"

// lcTables, for the dialect named name: team 1 with projects 10 and 11 (tasks 100, 101 and 110) and
// a note; team 2 with project 20 (task 200); a folder tree 1 > 2 > 3 and
// a folder 4.
func lcTables(name string) planFixture {
	ts := "TIMESTAMP NULL"
	state := lcState
	if name == "mysql" {
		ts = "DATETIME(6) NULL" // microseconds, as the stamps
	}
	if name == "sqlite" || name == "postgres" {
		state = "CASE WHEN deleted_at IS NULL THEN CAST(id AS VARCHAR(20)) ELSE CAST(id AS VARCHAR(20)) || '*' END"
	}
	return planFixture{
		tables: []planTable{
			{"lc_teams", state, "id"}, {"lc_projects", state, "id"}, {"lc_tasks", state, "id"},
			{"lc_notes", "id", "1"}, {"lc_folders", state, "id"},
		},
		setup: func(string) []string {
			return []string{
				"CREATE TABLE lc_teams (id BIGINT PRIMARY KEY, deleted_at " + ts + ")",
				"CREATE TABLE lc_projects (id BIGINT PRIMARY KEY, team_id BIGINT NOT NULL, deleted_at " + ts + ", FOREIGN KEY (team_id) REFERENCES lc_teams(id))",
				"CREATE TABLE lc_tasks (id BIGINT PRIMARY KEY, project_id BIGINT NOT NULL, deleted_at " + ts + ", FOREIGN KEY (project_id) REFERENCES lc_projects(id))",
				"CREATE TABLE lc_notes (id BIGINT PRIMARY KEY, team_id BIGINT NOT NULL, FOREIGN KEY (team_id) REFERENCES lc_teams(id))",
				"CREATE TABLE lc_folders (id BIGINT PRIMARY KEY, parent_id BIGINT NULL, deleted_at " + ts + ", FOREIGN KEY (parent_id) REFERENCES lc_folders(id))",
				"INSERT INTO lc_teams (id) VALUES (1), (2)",
				"INSERT INTO lc_projects (id, team_id) VALUES (10, 1), (11, 1), (20, 2)",
				"INSERT INTO lc_tasks (id, project_id) VALUES (100, 10), (101, 10), (110, 11), (200, 20)",
				"INSERT INTO lc_notes (id, team_id) VALUES (1, 1)",
				"INSERT INTO lc_folders (id, parent_id) VALUES (1, NULL), (2, 1), (3, 2), (4, NULL)",
			}
		},
	}
}

// TestRestoreFollowsTheStamp checks that Restore brings back the rows a
// soft delete cascaded to, by their stamp: a project soft-deleted before
// its team stays in the trash when the team comes back. Objects reflect
// each Commit in memory.
func TestRestoreFollowsTheStamp(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		p := planSetup(t, tdb, lcTables(tdb.Dialect.Name()))
		s := tdb.session()

		// Project 11 first, then its team.
		planMust(t, "Delete", s.Delete(&lcProject{ID: 11}))
		planMust(t, "Commit", s.Commit(ctx))
		time.Sleep(2 * time.Millisecond) // a later stamp
		team := &lcTeam{ID: 1}
		planMust(t, "Delete", s.Delete(team))
		planMust(t, "Commit", s.Commit(ctx))
		if team.DeletedAt == nil {
			t.Fatal("team.DeletedAt is nil after the soft delete; want the stamp")
		}
		stored, err := typeddelete.Query[lcTeam](s).OnlyDeleted().Get(ctx, int64(1))
		planMust(t, "OnlyDeleted().Get", err)
		if stored.DeletedAt == nil || !stored.DeletedAt.Equal(*team.DeletedAt) {
			t.Errorf("stored deleted_at = %v, object's = %v; want the same stamp", stored.DeletedAt, team.DeletedAt)
		}
		want := map[string][]string{
			"lc_teams": {"1*", "2"}, "lc_projects": {"10*", "11*", "20"}, "lc_tasks": {"100*", "101*", "110*", "200"},
			"lc_notes": {"1"}, "lc_folders": {"1", "2", "3", "4"},
		}
		p.expect(t, want)

		// Restore the team: project 10 and its tasks come back, project
		// 11, soft-deleted on its own before, stays in the trash.
		planMust(t, "Restore", s.Restore(team))
		pv, err := s.Preview(ctx)
		planMust(t, "Preview", err)
		for _, line := range []string{"Restore lc_teams 1:", "restores 1 row of lc_teams", "restores 1 row of lc_projects (Cascade from lc_teams)", "restores 2 rows of lc_tasks (Cascade from lc_projects)"} {
			if !strings.Contains(pv.String(), line) {
				t.Errorf("Preview:\n%s\nwant a line %q", pv, line)
			}
		}
		planMust(t, "Commit", s.Commit(ctx))
		if team.DeletedAt != nil {
			t.Errorf("team.DeletedAt = %v after Restore; want nil", team.DeletedAt)
		}
		if got := s.LastCommit().Restored; got["lc_teams"] != 1 || got["lc_projects"] != 1 || got["lc_tasks"] != 2 {
			t.Errorf("LastCommit().Restored = %v; want 1 lc_teams, 1 lc_projects, 2 lc_tasks", got)
		}
		want["lc_teams"], want["lc_projects"], want["lc_tasks"] = []string{"1", "2"}, []string{"10", "11*", "20"}, []string{"100", "101", "110*", "200"}
		p.expect(t, want)

		// A tree: the descendants come back with their root.
		planMust(t, "Delete", s.Delete(&lcFolder{ID: 2}))
		planMust(t, "Commit", s.Commit(ctx))
		time.Sleep(2 * time.Millisecond)
		planMust(t, "Delete", s.Delete(&lcFolder{ID: 1}))
		planMust(t, "Commit", s.Commit(ctx))
		want["lc_folders"] = []string{"1*", "2*", "3*", "4"}
		p.expect(t, want)
		d, err := typeddelete.Query[lcFolder](s).FilterBy("id", int64(2)).Restore()
		planMust(t, "Query.Restore", err)
		planMust(t, "Commit", s.Commit(ctx))
		if n, ok := d.RowsAffected(); n != 2 || !ok {
			t.Errorf("RowsAffected() = %d, %v; want 2, true: folder 2 and its descendant in the same table", n, ok)
		}
		want["lc_folders"] = []string{"1*", "2", "3", "4"}
		p.expect(t, want)
	})
}

// TestTrashAndRestoreGuards checks OnlyDeleted reads and deletes, and that
// Restore has the guards of a delete: a filter, AtMost, a soft-deletable
// model, and missing keys reported.
func TestTrashAndRestoreGuards(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		p := planSetup(t, tdb, lcTables(tdb.Dialect.Name()))
		s := tdb.session()
		planMust(t, "Delete", s.Delete(&lcTeam{ID: 1}))
		planMust(t, "Commit", s.Commit(ctx))
		want := map[string][]string{
			"lc_teams": {"1*", "2"}, "lc_projects": {"10*", "11*", "20"}, "lc_tasks": {"100*", "101*", "110*", "200"},
			"lc_notes": {"1"}, "lc_folders": {"1", "2", "3", "4"},
		}
		p.expect(t, want)

		counts := map[string]func() (int64, error){
			"live":         func() (int64, error) { return typeddelete.Query[lcProject](s).Count(ctx) },
			"OnlyDeleted":  func() (int64, error) { return typeddelete.Query[lcProject](s).OnlyDeleted().Count(ctx) },
			"Unscoped":     func() (int64, error) { return typeddelete.Query[lcProject](s).Unscoped().Count(ctx) },
			"both, in any": func() (int64, error) { return typeddelete.Query[lcProject](s).Unscoped().OnlyDeleted().Count(ctx) },
		}
		for what, wantN := range map[string]int64{"live": 1, "OnlyDeleted": 2, "Unscoped": 3, "both, in any": 2} {
			n, err := counts[what]()
			if err != nil || n != wantN {
				t.Errorf("%s Count = %d, %v; want %d", what, n, err, wantN)
			}
		}

		// Guards, each refused before anything is sent.
		if _, err := typeddelete.Query[lcProject](s).OnlyDeleted().FilterBy("id", int64(10)).Delete(); !errors.Is(err, typeddelete.ErrInvalidValue) {
			t.Errorf("OnlyDeleted().Delete() error = %v; want ErrInvalidValue", err)
		}
		if _, err := typeddelete.Query[lcProject](s).Restore(); !errors.Is(err, typeddelete.ErrMissingWhere) {
			t.Errorf("Restore() without a filter: error = %v; want ErrMissingWhere", err)
		}
		if _, err := typeddelete.Query[lcPlain](s).FilterBy("id", int64(1)).Restore(); !errors.Is(err, typeddelete.ErrInvalidModel) {
			t.Errorf("Restore() of a model without soft delete: error = %v; want ErrInvalidModel", err)
		}
		if err := s.Restore(&lcPlain{ID: 1}); !errors.Is(err, typeddelete.ErrInvalidModel) {
			t.Errorf("Session.Restore of a model without soft delete: error = %v; want ErrInvalidModel", err)
		}
		if _, err := typeddelete.Query[lcPlain](s).OnlyDeleted().Count(ctx); !errors.Is(err, typeddelete.ErrInvalidModel) {
			t.Errorf("OnlyDeleted() of a model without soft delete: error = %v; want ErrInvalidModel", err)
		}
		if o, b := s.Pending(); o != 0 || b != 0 {
			t.Fatalf("Pending() = %d, %d; want nothing registered", o, b)
		}

		// AtMost counts every row the restore reaches: 1 team, 2
		// projects, 3 tasks.
		_, err := typeddelete.Query[lcTeam](s).FilterBy("id", int64(1)).AtMost(5).Restore()
		planMust(t, "Restore", err)
		var tm *typeddelete.TooManyRowsError
		if err := s.Commit(ctx); !errors.As(err, &tm) || tm.Limit != 5 {
			t.Fatalf("Commit error = %v; want a TooManyRowsError with limit 5", err)
		}
		planMust(t, "Rollback", s.Rollback(ctx))
		p.expect(t, want)

		// A live row and a missing one are reported missing; strict row
		// counts refuse the Commit.
		planMust(t, "Restore", s.Restore(&lcTeam{ID: 2}, &lcTeam{ID: 9}))
		planMust(t, "Commit", s.Commit(ctx))
		if got := planMissing(s.LastCommit()); !slices.Equal(got, []string{"lc_teams:[2]", "lc_teams:[9]"}) {
			t.Errorf("Missing = %v; want lc_teams 2 and 9", got)
		}
		strict := tdb.session(typeddelete.WithStrictRowCounts())
		planMust(t, "Restore", strict.Restore(&lcTeam{ID: 1}, &lcTeam{ID: 2}))
		var stale *typeddelete.StaleDataError
		if err := strict.Commit(ctx); !errors.As(err, &stale) {
			t.Errorf("strict Commit error = %v; want a StaleDataError", err)
		}
		planMust(t, "Rollback", strict.Rollback(ctx))
		p.expect(t, want)

		// Emptying the trash: OnlyDeleted rows removed for real, children
		// first, live rows kept.
		_, err = typeddelete.Query[lcTask](s).OnlyDeleted().HardDelete().Delete()
		planMust(t, "OnlyDeleted().HardDelete().Delete()", err)
		planMust(t, "Commit", s.Commit(ctx))
		want["lc_tasks"] = []string{"200"}
		p.expect(t, want)
	})
}

// Sentinel soft-delete columns: 0 and the zero time mean live.

type lcEvent struct {
	ID        int64 `db:"id,pk"`
	DeletedAt int64 `db:"deleted_at,softdelete"`
}

func (lcEvent) TableName() string { return "lc_events" }

type lcLog struct {
	ID        int64     `db:"id,pk"`
	DeletedAt time.Time `db:"deleted_at,softdelete"`
}

func (lcLog) TableName() string { return "lc_logs" }

// TestSentinelSoftDelete checks soft delete, reads and Restore of a NOT
// NULL soft-delete column: Unix seconds with 0 live, and a time with the
// zero time live, stamped with the database's clock. TiDB, in its default
// NO_ZERO_DATE mode, refuses to store the zero time, so there only the
// Unix seconds are checked, and the refusal.
func TestSentinelSoftDelete(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		ts := "TIMESTAMP NOT NULL"
		if tdb.Dialect.Name() == "mysql" {
			ts = "DATETIME(6) NOT NULL"
		}
		tdb.exec(t, "CREATE TABLE lc_events (id BIGINT PRIMARY KEY, deleted_at BIGINT NOT NULL DEFAULT 0)",
			"INSERT INTO lc_events (id) VALUES (1), (2)",
			"CREATE TABLE lc_logs (id BIGINT PRIMARY KEY, deleted_at "+ts+")")
		zeroTime := !strings.HasPrefix(tdb.Name, "tidb")
		for _, id := range []int64{1, 2} {
			_, err := tdb.DB.ExecContext(ctx, tdb.rebind("INSERT INTO lc_logs (id, deleted_at) VALUES (?, ?)"), id, time.Time{})
			switch {
			case !zeroTime && (err == nil || !strings.Contains(err.Error(), "Incorrect datetime value")):
				t.Fatalf("inserting the zero time: error = %v; want TiDB's Incorrect datetime value", err)
			case zeroTime && err != nil:
				t.Fatal(err)
			}
		}
		log := &mockLog{}
		s := tdb.session(typeddelete.WithDatabaseClock(), typeddelete.WithLogger(slog.New(log)))
		before := time.Now().Add(-time.Minute)
		ev, lg := &lcEvent{ID: 1}, &lcLog{ID: 1}
		objs := []any{ev}
		if zeroTime {
			objs = append(objs, lg)
		}
		planMust(t, "Delete", s.Delete(objs...))
		planMust(t, "Commit", s.Commit(ctx))
		if !slices.ContainsFunc(log.stmts, func(st mockLogged) bool { return st.msg == "typeddelete: read clock" }) {
			t.Errorf("no clock read logged; want one with WithDatabaseClock")
		}
		if ev.DeletedAt < before.Unix() || zeroTime && lg.DeletedAt.Before(before) {
			t.Errorf("stamps %d and %v; want the database's time now", ev.DeletedAt, lg.DeletedAt)
		}
		counts := map[string]func(context.Context) (int64, error){
			"live events": typeddelete.Query[lcEvent](s).Count, "deleted events": typeddelete.Query[lcEvent](s).OnlyDeleted().Count,
		}
		if zeroTime {
			counts["live logs"], counts["deleted logs"] = typeddelete.Query[lcLog](s).Count, typeddelete.Query[lcLog](s).OnlyDeleted().Count
		}
		for what, q := range counts {
			if n, err := q(ctx); n != 1 || err != nil {
				t.Errorf("%s: Count = %d, %v; want 1", what, n, err)
			}
		}
		storedEv, err := typeddelete.Query[lcEvent](s).Unscoped().Get(ctx, int64(1))
		planMust(t, "Get", err)
		if storedEv.DeletedAt != ev.DeletedAt {
			t.Errorf("stored stamp %d, object's %d: want the same", storedEv.DeletedAt, ev.DeletedAt)
		}
		if zeroTime {
			storedLg, err := typeddelete.Query[lcLog](s).Unscoped().Get(ctx, int64(1))
			planMust(t, "Get", err)
			if !storedLg.DeletedAt.Equal(lg.DeletedAt) {
				t.Errorf("stored stamp %v, object's %v: want the same", storedLg.DeletedAt, lg.DeletedAt)
			}
		}

		planMust(t, "Restore", s.Restore(objs...))
		planMust(t, "Commit", s.Commit(ctx))
		if ev.DeletedAt != 0 || !lg.DeletedAt.IsZero() {
			t.Errorf("after Restore: %d, %v; want 0 and the zero time", ev.DeletedAt, lg.DeletedAt)
		}
		delete(counts, "deleted events")
		delete(counts, "deleted logs")
		for what, q := range counts {
			if n, err := q(ctx); n != 2 || err != nil {
				t.Errorf("%s after Restore: Count = %d, %v; want 2", what, n, err)
			}
		}
	})
}

// TestRestoreStatements checks the exact statements of a Restore on each
// dialect: reads of the soft-deleted rows, children by their parent's
// stamp, locked where the database locks, then one UPDATE per table.
func TestRestoreStatements(t *testing.T) {
	ctx := context.Background()
	want := map[string][]string{
		"sqlite": {
			`SELECT "id" FROM "lc_teams" WHERE "id" IN (?) AND "deleted_at" IS NOT NULL`,
			`SELECT "id" FROM "lc_projects" WHERE "team_id" IN (?) AND "deleted_at" IS NOT NULL AND "lc_projects"."deleted_at" = (SELECT p."deleted_at" FROM "lc_teams" p WHERE p."id" = "lc_projects"."team_id")`,
			`SELECT "id" FROM "lc_tasks" WHERE "project_id" IN (?,?) AND "deleted_at" IS NOT NULL AND "lc_tasks"."deleted_at" = (SELECT p."deleted_at" FROM "lc_projects" p WHERE p."id" = "lc_tasks"."project_id")`,
			`UPDATE "lc_teams" SET "deleted_at" = ? WHERE "id" IN (?) AND "deleted_at" IS NOT NULL`,
			`UPDATE "lc_projects" SET "deleted_at" = ? WHERE "id" IN (?,?) AND "deleted_at" IS NOT NULL`,
			`UPDATE "lc_tasks" SET "deleted_at" = ? WHERE "id" IN (?,?,?) AND "deleted_at" IS NOT NULL`,
		},
		"postgres": {
			`SELECT "id" FROM "lc_teams" WHERE "id" = ANY($1) AND "deleted_at" IS NOT NULL FOR UPDATE`,
			`SELECT "id" FROM "lc_projects" WHERE "team_id" = ANY($1) AND "deleted_at" IS NOT NULL AND "lc_projects"."deleted_at" = (SELECT p."deleted_at" FROM "lc_teams" p WHERE p."id" = "lc_projects"."team_id") FOR UPDATE`,
			`SELECT "id" FROM "lc_tasks" WHERE "project_id" = ANY($1) AND "deleted_at" IS NOT NULL AND "lc_tasks"."deleted_at" = (SELECT p."deleted_at" FROM "lc_projects" p WHERE p."id" = "lc_tasks"."project_id") FOR UPDATE`,
			`UPDATE "lc_teams" SET "deleted_at" = $1 WHERE "id" = ANY($2) AND "deleted_at" IS NOT NULL`,
			`UPDATE "lc_projects" SET "deleted_at" = $1 WHERE "id" = ANY($2) AND "deleted_at" IS NOT NULL`,
			`UPDATE "lc_tasks" SET "deleted_at" = $1 WHERE "id" = ANY($2) AND "deleted_at" IS NOT NULL`,
		},
		"mysql": {
			"SELECT `id` FROM `lc_teams` WHERE `id` IN (1) AND `deleted_at` IS NOT NULL FOR UPDATE",
			"SELECT `id` FROM `lc_projects` WHERE `team_id` IN (1) AND `deleted_at` IS NOT NULL AND `lc_projects`.`deleted_at` = (SELECT p.`deleted_at` FROM `lc_teams` p WHERE p.`id` = `lc_projects`.`team_id`) FOR UPDATE",
			"SELECT `id` FROM `lc_tasks` WHERE `project_id` IN (10,11) AND `deleted_at` IS NOT NULL AND `lc_tasks`.`deleted_at` = (SELECT p.`deleted_at` FROM `lc_projects` p WHERE p.`id` = `lc_tasks`.`project_id`) FOR UPDATE",
			"UPDATE `lc_teams` SET `deleted_at` = ? WHERE `id` IN (1) AND `deleted_at` IS NOT NULL",
			"UPDATE `lc_projects` SET `deleted_at` = ? WHERE `id` IN (10,11) AND `deleted_at` IS NOT NULL",
			"UPDATE `lc_tasks` SET `deleted_at` = ? WHERE `id` IN (100,101,110) AND `deleted_at` IS NOT NULL",
		},
	}
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		planSetup(t, tdb, lcTables(tdb.Dialect.Name()))
		s := tdb.session()
		planMust(t, "Delete", s.Delete(&lcTeam{ID: 1}))
		planMust(t, "Commit", s.Commit(ctx))
		planMust(t, "Restore", s.Restore(&lcTeam{ID: 1}))
		pv, err := s.Preview(ctx)
		planMust(t, "Preview", err)
		if got, w := previewSQL(pv), want[tdb.Dialect.Name()]; !slices.Equal(got, w) {
			t.Errorf("Preview statements:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(w, "\n"))
		}
	})
}
