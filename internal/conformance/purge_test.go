package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/typeddelete/typeddelete"
)

// Purge: events, 1,000 rows, of kind 'old' where the id is not a multiple
// of 5 (800 rows), each with a tag that cascades.

type pgEvent struct {
	ID   int64  `db:"id,pk"`
	Kind string `db:"kind"`
}

func (pgEvent) TableName() string { return "pg_events" }
func (pgEvent) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[pgEventTag](typeddelete.Cascade, "event_id")}
}

type pgEventTag struct {
	ID      int64 `db:"id,pk"`
	EventID int64 `db:"event_id"`
}

func (pgEventTag) TableName() string { return "pg_event_tags" }

// pgFlaky fails its BeforeDelete on row failOn.
type pgFlaky struct {
	ID   int64  `db:"id,pk"`
	Kind string `db:"kind"`
}

func (pgFlaky) TableName() string { return "pg_events" }

var pgFailOn atomic.Int64

func (e *pgFlaky) BeforeDelete(context.Context, typeddelete.DBTX) error {
	if e.ID == pgFailOn.Load() {
		return fmt.Errorf("row %d refused", e.ID)
	}
	return nil
}

const pgRows = 1000

// pgSetup creates pg_events with pgRows rows, 'old' where id % 5 != 0,
// each with one tag, and an archive table.
func pgSetup(t *testing.T, tdb *testDB) {
	t.Helper()
	tdb.exec(t, "CREATE TABLE pg_events (id BIGINT PRIMARY KEY, kind VARCHAR(10) NOT NULL)",
		"CREATE TABLE pg_event_tags (id BIGINT PRIMARY KEY, event_id BIGINT NOT NULL, FOREIGN KEY (event_id) REFERENCES pg_events(id))",
		"CREATE INDEX pg_event_tags_event ON pg_event_tags (event_id)",
		"CREATE TABLE pg_archive (id BIGINT PRIMARY KEY, kind VARCHAR(10) NOT NULL)")
	var ev, tags []string
	for i := 1; i <= pgRows; i++ {
		kind := "old"
		if i%5 == 0 {
			kind = "new"
		}
		ev = append(ev, fmt.Sprintf("(%d, '%s')", i, kind))
		tags = append(tags, fmt.Sprintf("(%d, %d)", 10000+i, i))
	}
	tdb.exec(t, "INSERT INTO pg_events (id, kind) VALUES "+strings.Join(ev, ", "),
		"INSERT INTO pg_event_tags (id, event_id) VALUES "+strings.Join(tags, ", "))
}

// pgLeft returns the ids left in pg_events.
func pgLeft(t *testing.T, tdb *testDB) []int64 { return tdb.ids(t, "pg_events") }

// pgWantLeft is what stays after a full purge of 'old': the multiples of 5.
func pgWantLeft() []int64 {
	var out []int64
	for i := int64(5); i <= pgRows; i += 5 {
		out = append(out, i)
	}
	return out
}

var pgKind = typeddelete.Col(func(e *pgEvent) *string { return &e.Kind })

// TestPurge runs a Purge to the end: chunks of at most the chunk size, in
// key order, with their cascades; the rows that do not match stay.
func TestPurge(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		pgSetup(t, tdb)
		s := tdb.session()
		var chunks []typeddelete.Progress
		res, err := typeddelete.Query[pgEvent](s).Filter(pgKind.Eq("old")).Purge(ctx,
			typeddelete.ChunkSize(150), typeddelete.Estimate(),
			typeddelete.OnChunk(func(p typeddelete.Progress) error {
				chunks = append(chunks, p)
				return nil
			}))
		planMust(t, "Purge", err)
		if !res.Done || res.Chunks != 6 || res.Deleted["pg_events"] != 800 || res.Deleted["pg_event_tags"] != 800 {
			t.Errorf("PurgeResult = %+v, want done in 6 chunks, 800 events and 800 tags", res)
		}
		for i, p := range chunks {
			if p.Rows > 150 || p.Chunk != i+1 || p.Estimate != 800 || p.Cursor == "" {
				t.Errorf("Progress %d = %+v, want at most 150 rows, an estimate of 800 and a cursor", i, p)
			}
		}
		if last := chunks[len(chunks)-1]; last.Total != 800 {
			t.Errorf("last Progress.Total = %d, want 800", last.Total)
		}
		if got := pgLeft(t, tdb); !slices.Equal(got, pgWantLeft()) {
			t.Errorf("%d events left, want the 200 new ones", len(got))
		}
		if n := tdb.count(t, "pg_event_tags"); n != 200 {
			t.Errorf("%d tags left, want 200", n)
		}
	})
}

// TestPurgeResumes stops a Purge after two chunks (OnChunk's error) and
// resumes it from its cursor, in a new session: every matching row is
// deleted, none twice.
func TestPurgeResumes(t *testing.T) {
	ctx := context.Background()
	stop := errors.New("stop here")
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		pgSetup(t, tdb)
		q := typeddelete.Query[pgEvent](tdb.session()).Filter(pgKind.Eq("old"))
		first, err := q.Purge(ctx, typeddelete.ChunkSize(100), typeddelete.OnChunk(func(p typeddelete.Progress) error {
			if p.Chunk == 2 {
				return stop
			}
			return nil
		}))
		if !errors.Is(err, stop) || first.Done || first.Chunks != 2 || first.Deleted["pg_events"] != 200 {
			t.Fatalf("first Purge = %+v, %v; want stopped after 2 chunks of 100", first, err)
		}
		// A cancelled context stops it too, before the next chunk.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := q.Purge(cctx, typeddelete.ResumeFrom(first.Cursor)); !errors.Is(err, context.Canceled) {
			t.Fatalf("Purge with a cancelled context = %v, want context.Canceled", err)
		}
		rest, err := typeddelete.Query[pgEvent](tdb.session()).Filter(pgKind.Eq("old")).Purge(ctx,
			typeddelete.ChunkSize(250), typeddelete.ResumeFrom(first.Cursor))
		planMust(t, "resumed Purge", err)
		if !rest.Done || rest.Deleted["pg_events"] != 600 {
			t.Errorf("resumed Purge = %+v, want the other 600", rest)
		}
		if got := pgLeft(t, tdb); !slices.Equal(got, pgWantLeft()) {
			t.Errorf("%d events left, want the 200 new ones", len(got))
		}
	})
}

// TestPurgeChunkFailsWhole checks that a chunk whose hook fails commits
// nothing, neither its rows nor their cascades, and that the Purge stops
// with the cursor of the last good chunk, from which it resumes.
func TestPurgeChunkFailsWhole(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		pgSetup(t, tdb)
		tdb.exec(t, "DELETE FROM pg_event_tags")
		kind := typeddelete.Col(func(e *pgFlaky) *string { return &e.Kind })
		pgFailOn.Store(333)
		res, err := typeddelete.Query[pgFlaky](tdb.session()).Filter(kind.Eq("old")).Purge(ctx, typeddelete.ChunkSize(100))
		if err == nil || !strings.Contains(err.Error(), "row 333 refused") {
			t.Fatalf("Purge = %v, want the hook's error", err)
		}
		// 100 old rows span 125 ids: the third chunk, ids 251 to 374,
		// holds 333.
		if res.Chunks != 2 || res.Deleted["pg_events"] != 200 {
			t.Errorf("PurgeResult = %+v, want 2 chunks of 100 committed", res)
		}
		left := pgLeft(t, tdb)
		if !slices.Contains(left, 251) || !slices.Contains(left, 374) || slices.Contains(left, 249) {
			t.Errorf("the failed chunk changed rows (251 or 374 gone), or the last good one did not commit (249 left)")
		}
		pgFailOn.Store(0)
		_, err = typeddelete.Query[pgFlaky](tdb.session()).Filter(kind.Eq("old")).Purge(ctx, typeddelete.ChunkSize(100), typeddelete.ResumeFrom(res.Cursor))
		planMust(t, "resumed Purge", err)
		if got := pgLeft(t, tdb); !slices.Equal(got, pgWantLeft()) {
			t.Errorf("%d events left, want the 200 new ones", len(got))
		}
	})
}

// TestPurgeArchives checks that ArchiveTo copies exactly the deleted rows,
// in each chunk's transaction, and that WithRows sees them and can roll a
// chunk back.
func TestPurgeArchives(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		pgSetup(t, tdb)
		var mu sync.Mutex
		var seen []int64
		refuse := errors.New("sink is full")
		rows := typeddelete.WithRows(func(ctx context.Context, tx typeddelete.DBTX, rows []*pgEvent) error {
			mu.Lock()
			defer mu.Unlock()
			for _, r := range rows {
				if r.Kind != "old" {
					return fmt.Errorf("row %d of kind %q", r.ID, r.Kind)
				}
				seen = append(seen, r.ID)
			}
			if len(seen) > 700 {
				return refuse
			}
			return nil
		})
		res, err := typeddelete.Query[pgEvent](tdb.session()).Filter(pgKind.Eq("old")).Purge(ctx,
			typeddelete.ChunkSize(100), typeddelete.ArchiveTo("pg_archive"), rows)
		if !errors.Is(err, refuse) || res.Chunks != 7 {
			t.Fatalf("Purge = %+v, %v; want the sink's error after 7 chunks", res, err)
		}
		archived := tdb.ids(t, "pg_archive")
		gone := 0
		for _, id := range archived {
			if slices.Contains(pgLeft(t, tdb), id) {
				t.Fatalf("row %d is archived and still there", id)
			}
			gone++
		}
		if gone != 700 || len(pgLeft(t, tdb)) != 300 {
			t.Errorf("%d rows archived, %d left; want 700 and 300 (the refused chunk rolled back)", gone, len(pgLeft(t, tdb)))
		}
	})
}

// TestPurgeBudget checks that a Purge whose rows keep coming, inserted
// ahead of its cursor faster than it deletes, stops when its Budget is
// spent, with ErrBudget and a cursor, having deleted whole chunks.
func TestPurgeBudget(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		pgSetup(t, tdb)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := 100_000; ; id += 50 {
				select {
				case <-stop:
					return
				default:
				}
				var vals []string
				for i := range 50 {
					vals = append(vals, fmt.Sprintf("(%d, 'old')", id+i))
				}
				if _, err := tdb.DB.ExecContext(ctx, "INSERT INTO pg_events (id, kind) VALUES "+strings.Join(vals, ", ")); err != nil {
					return
				}
			}
		}()
		res, err := typeddelete.Query[pgEvent](tdb.session()).Filter(pgKind.Eq("old")).Purge(ctx,
			typeddelete.ChunkSize(50), typeddelete.Pause(10*time.Millisecond), typeddelete.Budget(400*time.Millisecond))
		close(stop)
		wg.Wait()
		if !errors.Is(err, typeddelete.ErrBudget) || res.Done || res.Cursor == "" || res.Chunks == 0 {
			t.Fatalf("Purge = %+v, %v; want ErrBudget with a cursor after some chunks", res, err)
		}
		if res.Deleted["pg_events"] != int64(res.Chunks)*50 {
			t.Errorf("deleted %d rows in %d chunks, want whole chunks of 50", res.Deleted["pg_events"], res.Chunks)
		}
	})
}

// TestPurgeInput checks Purge's refusals: no filter, a bad cursor, a
// WithRows of another model, a session on a *sql.Tx.
func TestPurgeInput(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		pgSetup(t, tdb)
		s := tdb.session()
		if _, err := typeddelete.Query[pgEvent](s).Purge(ctx); !errors.Is(err, typeddelete.ErrMissingWhere) {
			t.Errorf("Purge without a filter = %v, want ErrMissingWhere", err)
		}
		q := typeddelete.Query[pgEvent](s).Filter(pgKind.Eq("old"))
		for _, c := range []string{"nope", "v1.!!", "v1.WyJhIiwiYiJd"} {
			if _, err := q.Purge(ctx, typeddelete.ResumeFrom(c)); !errors.Is(err, typeddelete.ErrInvalidValue) {
				t.Errorf("ResumeFrom(%q) = %v, want ErrInvalidValue", c, err)
			}
		}
		other := typeddelete.WithRows(func(context.Context, typeddelete.DBTX, []*pgFlaky) error { return nil })
		if _, err := q.Purge(ctx, other); !errors.Is(err, typeddelete.ErrInvalidValue) {
			t.Errorf("WithRows of another model = %v, want ErrInvalidValue", err)
		}
		if _, err := q.Purge(ctx, typeddelete.ChunkSize(0)); !errors.Is(err, typeddelete.ErrInvalidValue) {
			t.Errorf("ChunkSize(0) = %v, want ErrInvalidValue", err)
		}
		tx, err := tdb.DB.BeginTx(ctx, nil)
		planMust(t, "BeginTx", err)
		defer tx.Rollback()
		ts := typeddelete.NewSession(tx, typeddelete.WithDialect(tdb.Dialect))
		if _, err := typeddelete.Query[pgEvent](ts).Filter(pgKind.Eq("old")).Purge(ctx); err == nil {
			t.Error("Purge on a *sql.Tx succeeded")
		}
		if n := tdb.count(t, "pg_events"); n != pgRows {
			t.Errorf("%d rows left, want all %d", n, pgRows)
		}
	})
}

// TestPurgeCompositeKeys purges by a two-column key: the cursor is a row
// value and survives encoding.
func TestPurgeCompositeKeys(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		planSetup(t, tdb, planMemberships)
		var vals []string
		for g := 2; g <= 20; g++ {
			for u := 1; u <= 10; u++ {
				vals = append(vals, fmt.Sprintf("(%d, %d, 'm')", g, u))
			}
		}
		tdb.exec(t, "INSERT INTO memberships (group_id, user_id, role) VALUES "+strings.Join(vals, ", "))
		role := typeddelete.Col(func(m *planMembership) *string { return &m.Role })
		first, err := typeddelete.Query[planMembership](tdb.session()).Filter(role.Eq("m")).Purge(ctx,
			typeddelete.ChunkSize(17), typeddelete.OnChunk(func(p typeddelete.Progress) error {
				if p.Chunk == 3 {
					return errors.New("pause")
				}
				return nil
			}))
		if err == nil || first.Deleted["memberships"] != 51 {
			t.Fatalf("first Purge = %+v, %v; want 3 chunks of 17", first, err)
		}
		rest, err := typeddelete.Query[planMembership](tdb.session()).Filter(role.Eq("m")).Purge(ctx,
			typeddelete.ChunkSize(17), typeddelete.ResumeFrom(first.Cursor))
		planMust(t, "resumed Purge", err)
		if rest.Deleted["memberships"] != 190-51 {
			t.Errorf("resumed Purge deleted %d, want %d", rest.Deleted["memberships"], 190-51)
		}
		if n := tdb.count(t, "memberships"); n != 2 {
			t.Errorf("%d memberships left, want the 2 of role r", n)
		}
	})
}
