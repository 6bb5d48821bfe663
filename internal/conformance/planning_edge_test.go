package conformance_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/typeddelete/typeddelete"
)

// Edge cases of the planner: cascade cycles between models, versioned
// trees, hooks across a Flush, HardDelete absorbing Delete, soft-deleted
// parents, and one self-cascade per model.

type edgeLoopA struct {
	ID  int64  `db:"id,pk"`
	BID *int64 `db:"b_id"`
}

func (edgeLoopA) TableName() string { return "edge_loop_a" }
func (edgeLoopA) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[edgeLoopB](typeddelete.Cascade, "a_id")}
}

type edgeLoopB struct {
	ID  int64  `db:"id,pk"`
	AID *int64 `db:"a_id"`
}

func (edgeLoopB) TableName() string { return "edge_loop_b" }
func (edgeLoopB) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[edgeLoopA](typeddelete.Cascade, "b_id")}
}

type edgeVersionedCat struct {
	ID       int64  `db:"id,pk"`
	ParentID *int64 `db:"parent_id"`
	Version  int64  `db:"version,version"`
}

func (edgeVersionedCat) TableName() string { return "edge_vcats" }
func (edgeVersionedCat) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[edgeVersionedCat](typeddelete.Cascade, "parent_id")}
}

type edgeHooked struct {
	ID int64 `db:"id,pk"`
}

// edgeAfterCalls counts AfterDelete calls of edgeHooked across the test.
var edgeAfterCalls atomic.Int64

func (edgeHooked) TableName() string { return "edge_hooked" }
func (*edgeHooked) AfterDelete(context.Context, typeddelete.DBTX) error {
	edgeAfterCalls.Add(1)
	return nil
}

type edgePlain struct {
	ID int64 `db:"id,pk"`
}

func (edgePlain) TableName() string { return "edge_plain" }

type edgeNote struct {
	ID        int64      `db:"id,pk"`
	Title     string     `db:"title"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (edgeNote) TableName() string { return "edge_notes" }

type edgeFolder struct {
	ID        int64      `db:"id,pk"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (edgeFolder) TableName() string { return "edge_folders" }
func (edgeFolder) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[edgeFile](typeddelete.Cascade, "folder_id")}
}

type edgeFile struct {
	ID        int64      `db:"id,pk"`
	FolderID  int64      `db:"folder_id"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (edgeFile) TableName() string { return "edge_files" }

type edgeTwoTrees struct {
	ID       int64  `db:"id,pk"`
	ParentID *int64 `db:"parent_id"`
	OriginID *int64 `db:"origin_id"`
}

func (edgeTwoTrees) TableName() string { return "edge_two_trees" }
func (edgeTwoTrees) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[edgeTwoTrees](typeddelete.Cascade, "parent_id"),
		typeddelete.HasMany[edgeTwoTrees](typeddelete.Cascade, "origin_id"),
	}
}

func edgeMust(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestPlanningEdges(t *testing.T) {
	ctx := context.Background()

	t.Run("models that cascade to each other fail with ErrCycle and delete nothing", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			tdb.exec(t, "CREATE TABLE edge_loop_a (id BIGINT PRIMARY KEY, b_id BIGINT)",
				"CREATE TABLE edge_loop_b (id BIGINT PRIMARY KEY, a_id BIGINT)",
				"INSERT INTO edge_loop_a (id, b_id) VALUES (1, 1)", "INSERT INTO edge_loop_b (id, a_id) VALUES (1, 1)")
			s := tdb.session()
			edgeMust(t, "Delete", s.Delete(&edgeLoopA{ID: 1}))
			if err := s.Commit(ctx); !errors.Is(err, typeddelete.ErrCycle) {
				t.Fatalf("Commit error = %v, want ErrCycle", err)
			}
			if a, b := tdb.count(t, "edge_loop_a"), tdb.count(t, "edge_loop_b"); a != 1 || b != 1 {
				t.Fatalf("rows left a=%d b=%d, want 1 and 1", a, b)
			}
		})
	})

	t.Run("a versioned tree deletes its descendants whatever their version", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			tdb.exec(t, "CREATE TABLE edge_vcats (id BIGINT PRIMARY KEY, parent_id BIGINT REFERENCES edge_vcats(id), version BIGINT NOT NULL)",
				"INSERT INTO edge_vcats VALUES (1, NULL, 1)", "INSERT INTO edge_vcats VALUES (2, 1, 5)",
				"INSERT INTO edge_vcats VALUES (3, 2, 7)", "INSERT INTO edge_vcats VALUES (4, NULL, 1)")
			s := tdb.session()
			edgeMust(t, "Delete", s.Delete(&edgeVersionedCat{ID: 1, Version: 1}))
			edgeMust(t, "Commit", s.Commit(ctx))
			if got := tdb.ids(t, "edge_vcats"); len(got) != 1 || got[0] != 4 {
				t.Fatalf("rows left %v, want [4]", got)
			}
			if got := s.LastCommit().Deleted["edge_vcats"]; got != 3 {
				t.Fatalf("Deleted = %d, want 3", got)
			}
		})
	})

	t.Run("a hook that ran at Flush does not run again when Commit reruns for a missing key", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			tdb.exec(t, "CREATE TABLE edge_hooked (id BIGINT PRIMARY KEY)", "CREATE TABLE edge_plain (id BIGINT PRIMARY KEY)",
				"INSERT INTO edge_hooked VALUES (1)", "INSERT INTO edge_plain VALUES (1)")
			edgeAfterCalls.Store(0)
			s := tdb.session()
			edgeMust(t, "Delete", s.Delete(&edgeHooked{ID: 1}))
			edgeMust(t, "Flush", s.Flush(ctx))
			edgeMust(t, "Delete", s.Delete(&edgePlain{ID: 1}, &edgePlain{ID: 42}))
			edgeMust(t, "Commit", s.Commit(ctx))
			if got := edgeAfterCalls.Load(); got != 1 {
				t.Fatalf("AfterDelete ran %d times, want 1", got)
			}
			if tdb.count(t, "edge_hooked") != 0 || tdb.count(t, "edge_plain") != 0 {
				t.Fatal("rows left, want none")
			}
			if m := s.LastCommit().Missing; len(m) != 1 || m[0].Table != "edge_plain" {
				t.Fatalf("Missing = %v, want edge_plain 42", m)
			}
		})
	})

	t.Run("HardDelete of an object also passed to Delete removes its row", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			tdb.exec(t, "CREATE TABLE edge_notes (id BIGINT PRIMARY KEY, title VARCHAR(50) NOT NULL, deleted_at TIMESTAMP NULL)",
				"INSERT INTO edge_notes (id, title) VALUES (1, 'a'), (2, 'b'), (3, 'c')")
			s := tdb.session()
			title := typeddelete.Col(func(n *edgeNote) *string { return &n.Title })
			edgeMust(t, "Delete", s.Delete(&edgeNote{ID: 1}))
			_, err := typeddelete.Query[edgeNote](s).Filter(title.Eq("c")).Delete()
			edgeMust(t, "Query.Delete", err)
			edgeMust(t, "HardDelete", s.HardDelete(&edgeNote{ID: 1}))
			edgeMust(t, "Delete", s.HardDelete(&edgeNote{ID: 2}))
			edgeMust(t, "Delete", s.Delete(&edgeNote{ID: 2}))
			edgeMust(t, "Commit", s.Commit(ctx))
			if got := tdb.ids(t, "edge_notes"); len(got) != 1 || got[0] != 3 {
				t.Fatalf("rows left %v, want [3] (soft-deleted)", got)
			}
			if m := s.LastCommit().Missing; len(m) != 0 {
				t.Fatalf("Missing = %v, want none", m)
			}
		})
	})

	t.Run("soft-deleting a parent soft-deleted before leaves its children alone", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			tdb.exec(t, "CREATE TABLE edge_folders (id BIGINT PRIMARY KEY, deleted_at TIMESTAMP NULL)",
				"CREATE TABLE edge_files (id BIGINT PRIMARY KEY, folder_id BIGINT NOT NULL, deleted_at TIMESTAMP NULL)",
				"INSERT INTO edge_folders (id, deleted_at) VALUES (1, '2020-01-01 00:00:00'), (2, NULL)",
				"INSERT INTO edge_files (id, folder_id) VALUES (10, 1), (20, 2)")
			s := tdb.session()
			edgeMust(t, "Delete", s.Delete(&edgeFolder{ID: 1}, &edgeFolder{ID: 2}))
			edgeMust(t, "Commit", s.Commit(ctx))
			var live []int64
			files, err := typeddelete.Query[edgeFile](s).All(ctx)
			edgeMust(t, "All", err)
			for _, f := range files {
				live = append(live, f.ID)
			}
			if len(live) != 1 || live[0] != 10 {
				t.Fatalf("live files %v, want [10]: the file of folder 1, soft-deleted before, is not this delete's", live)
			}
			res := s.LastCommit()
			if res.SoftDeleted["edge_files"] != 1 || res.SoftDeleted["edge_folders"] != 1 || len(res.Missing) != 1 {
				t.Fatalf("LastCommit = %+v, want one folder and one file, folder 1 missing", res)
			}
		})
	})
}

func TestPlanningTwoSelfCascadesAreRejected(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		s := tdb.session()
		err := s.Delete(&edgeTwoTrees{ID: 1})
		if !errors.Is(err, typeddelete.ErrInvalidRelation) {
			t.Fatalf("Delete error = %v, want ErrInvalidRelation", err)
		}
		if o, b := s.Pending(); o != 0 || b != 0 {
			t.Fatalf("Pending() = %d, %d, want nothing registered", o, b)
		}
	})
}
