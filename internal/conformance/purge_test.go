package conformance_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/DATA-DOG/go-sqlmock"
	"github.com/jackc/pgx/v5/pgconn"

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

// pgFlaky is pgEvent with a BeforeDelete that fails on row pgFailOn, and
// cancels the context on the row its context names (pgCancelAt). It runs
// after the chunk's tags are deleted, before its events are.
type pgFlaky struct {
	ID   int64  `db:"id,pk"`
	Kind string `db:"kind"`
}

func (pgFlaky) TableName() string { return "pg_events" }
func (pgFlaky) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[pgEventTag](typeddelete.Cascade, "event_id")}
}

var pgFailOn atomic.Int64

// pgCancelAt, the context's value under pgCancelKey, makes pgFlaky's
// BeforeDelete of row id call cancel.
type pgCancelAt struct {
	id     int64
	cancel context.CancelFunc
}

type pgCancelKey struct{}

func (e *pgFlaky) BeforeDelete(ctx context.Context, _ typeddelete.DBTX) error {
	if c, ok := ctx.Value(pgCancelKey{}).(pgCancelAt); ok && c.id == e.ID {
		c.cancel()
	}
	if e.ID == pgFailOn.Load() {
		return fmt.Errorf("row %d refused", e.ID)
	}
	return nil
}

var pgFlakyKind = typeddelete.Col(func(e *pgFlaky) *string { return &e.Kind })

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
		log := &pgLog{}
		s := tdb.session(typeddelete.WithLogger(slog.New(log)))
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
		// WithLogger: one line at Info per chunk, nothing else at Info or
		// above, saying what OnChunk was told.
		if len(log.records) != len(chunks) {
			t.Fatalf("%d records at Info or above, want one per chunk (%d): %v", len(log.records), len(chunks), log.records)
		}
		for i, r := range log.records {
			p := chunks[i]
			want := map[string]string{"table": "pg_events", "chunk": strconv.Itoa(p.Chunk), "rows": strconv.FormatInt(p.Rows, 10),
				"total": strconv.FormatInt(p.Total, 10), "cursor": p.Cursor}
			for k, v := range want {
				if r.attrs[k] != v {
					t.Errorf("record %d: %s = %q, want %q", i, k, r.attrs[k], v)
				}
			}
			if r.msg != "typeddelete: purge chunk" || r.level != slog.LevelInfo || r.attrs["rate"] == "" || r.attrs["elapsed"] == "" || len(r.attrs) != 7 {
				t.Errorf("record %d = %+v, want an Info line \"typeddelete: purge chunk\" with table, chunk, rows, total, rate, elapsed and cursor", i, r)
			}
		}
	})
}

// pgPlain is a model with nothing but its own rows: no relation, hook or
// soft delete, and a key of one integer column.
type pgPlain struct {
	ID   int64  `db:"id,pk"`
	Kind string `db:"kind"`
}

func (pgPlain) TableName() string { return "pg_plain" }

var pgPlainKind = typeddelete.Col(func(e *pgPlain) *string { return &e.Kind })

// pgPlainSetup creates pg_plain with pgRows rows, 'old' where id % 5 != 0.
func pgPlainSetup(t *testing.T, tdb *testDB) {
	t.Helper()
	tdb.exec(t, "CREATE TABLE pg_plain (id BIGINT PRIMARY KEY, kind VARCHAR(10) NOT NULL)")
	var rows []string
	for i := 1; i <= pgRows; i++ {
		kind := "old"
		if i%5 == 0 {
			kind = "new"
		}
		rows = append(rows, fmt.Sprintf("(%d, '%s')", i, kind))
	}
	tdb.exec(t, "INSERT INTO pg_plain (id, kind) VALUES "+strings.Join(rows, ", "))
}

// TestPurgeOneStatement purges a table whose chunks need nothing but their
// own DELETE: after the first chunk, read and planned, each chunk is one
// statement that picks its rows and returns their keys, on SQLite,
// PostgreSQL and MariaDB; MySQL and TiDB, without DELETE ... RETURNING,
// read every chunk's keys first. Either way every chunk deletes at most
// the chunk size, in key order, and a Purge stopped after two chunks
// resumes from its cursor, deleting every matching row once.
func TestPurgeOneStatement(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		pgPlainSetup(t, tdb)
		one := !tdb.tidb()
		if tdb.Name == "mysql" {
			var version string
			if err := tdb.DB.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
				t.Fatal(err)
			}
			one = strings.Contains(version, "MariaDB")
		}
		rec := &confRecorder{}
		stop := errors.New("stop")
		var chunks []typeddelete.Progress
		onChunk := typeddelete.OnChunk(func(p typeddelete.Progress) error {
			chunks = append(chunks, p)
			if len(chunks) == 2 {
				return stop
			}
			return nil
		})
		first, err := typeddelete.Query[pgPlain](tdb.session(typeddelete.WithLogger(slog.New(rec)))).
			Filter(pgPlainKind.Eq("old")).Purge(ctx, typeddelete.ChunkSize(150), onChunk)
		if !errors.Is(err, stop) || first.Chunks != 2 || first.Deleted["pg_plain"] != 300 {
			t.Fatalf("Purge = %+v, %v; want stopped after 2 chunks of 150", first, err)
		}
		rest, err := typeddelete.Query[pgPlain](tdb.session(typeddelete.WithLogger(slog.New(rec)))).
			Filter(pgPlainKind.Eq("old")).Purge(ctx, typeddelete.ChunkSize(150), typeddelete.ResumeFrom(first.Cursor), onChunk)
		planMust(t, "resumed Purge", err)
		if !rest.Done || rest.Chunks != 4 || rest.Deleted["pg_plain"] != 500 {
			t.Errorf("resumed PurgeResult = %+v, want done in 4 chunks deleting 500 rows", rest)
		}
		for i, p := range chunks {
			if p.Rows != 150 && !(i == len(chunks)-1 && p.Rows == 50) {
				t.Errorf("chunk %d deleted %d rows, want 150 (the last 50)", i+1, p.Rows)
			}
		}
		if got := tdb.ids(t, "pg_plain"); !slices.Equal(got, pgWantLeft()) {
			t.Errorf("%d rows left, want the 200 new ones", len(got))
		}
		// Six chunks and the empty one that ends the resumed Purge: each
		// Purge reads its first chunk's keys, the others go as the
		// database allows.
		var reads, ones int
		for _, q := range rec.sent() {
			switch {
			case strings.HasPrefix(q, "SELECT") && strings.Contains(q, "LIMIT 150"):
				reads++
			case strings.HasPrefix(q, "DELETE") && strings.Contains(q, "LIMIT 150") && strings.HasSuffix(q, "RETURNING "+tdb.Dialect.Quote("id")):
				ones++
			}
		}
		wantReads, wantOnes := 6+1, 0
		if one {
			// The empty statement at the end is followed by a read.
			wantReads, wantOnes = 2+1, 6+1-2
		}
		if reads != wantReads || ones != wantOnes {
			t.Errorf("%d reads of a chunk's keys and %d one-statement chunks, want %d and %d: %q", reads, ones, wantReads, wantOnes, rec.sent())
		}
	})
}

// pgLog is a slog.Handler that keeps the records at Info and above.
type pgLog struct {
	mu      sync.Mutex
	records []pgRecord
}

type pgRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func (l *pgLog) Enabled(_ context.Context, level slog.Level) bool { return level >= slog.LevelInfo }
func (l *pgLog) WithAttrs([]slog.Attr) slog.Handler               { return l }
func (l *pgLog) WithGroup(string) slog.Handler                    { return l }

func (l *pgLog) Handle(_ context.Context, r slog.Record) error {
	rec := pgRecord{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.String()
		return true
	})
	l.mu.Lock()
	l.records = append(l.records, rec)
	l.mu.Unlock()
	return nil
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

// pgPurge purges the old events through one model of pg_events.
type pgPurge func(ctx context.Context, s *typeddelete.Session, opts ...typeddelete.PurgeOption) (typeddelete.PurgeResult, error)

func pgPurgeEvents(ctx context.Context, s *typeddelete.Session, opts ...typeddelete.PurgeOption) (typeddelete.PurgeResult, error) {
	return typeddelete.Query[pgEvent](s).Filter(pgKind.Eq("old")).Purge(ctx, opts...)
}

func pgPurgeFlaky(ctx context.Context, s *typeddelete.Session, opts ...typeddelete.PurgeOption) (typeddelete.PurgeResult, error) {
	return typeddelete.Query[pgFlaky](s).Filter(pgFlakyKind.Eq("old")).Purge(ctx, opts...)
}

// TestPurgeResumesAfterCancel cancels a Purge's context in the middle of
// its run, then resumes it from the cursor it returned: every chunk
// committed before the cancel is in the result, a chunk the cancel caught
// between its statements is rolled back whole, cascade included, and the
// resumed run deletes exactly the rest, none twice, with their tags.
func TestPurgeResumesAfterCancel(t *testing.T) {
	tests := []struct {
		name  string
		purge pgPurge
		// prepare returns the context and options of the first run, which
		// call cancel.
		prepare func(ctx context.Context, cancel context.CancelFunc) (context.Context, []typeddelete.PurgeOption)
		kept    int // chunks of 100 committed before the stop
	}{
		{"cancelled from OnChunk, between chunks", pgPurgeEvents, func(ctx context.Context, cancel context.CancelFunc) (context.Context, []typeddelete.PurgeOption) {
			return ctx, []typeddelete.PurgeOption{typeddelete.OnChunk(func(p typeddelete.Progress) error {
				if p.Chunk == 3 {
					cancel()
				}
				return nil
			})}
		}, 3},
		{"cancelled during a Pause", pgPurgeEvents, func(ctx context.Context, cancel context.CancelFunc) (context.Context, []typeddelete.PurgeOption) {
			return ctx, []typeddelete.PurgeOption{typeddelete.Pause(time.Hour), typeddelete.OnChunk(func(typeddelete.Progress) error {
				time.AfterFunc(10*time.Millisecond, cancel)
				return nil
			})}
		}, 1},
		{"cancelled inside a chunk, after its tags went and before its events", pgPurgeFlaky, func(ctx context.Context, cancel context.CancelFunc) (context.Context, []typeddelete.PurgeOption) {
			// Row 333 is in the third chunk (ids 251 to 374).
			return context.WithValue(ctx, pgCancelKey{}, pgCancelAt{id: 333, cancel: cancel}), nil
		}, 2},
		{"cancelled inside a chunk after its last statement: the chunk commits and counts", pgPurgeEvents, func(ctx context.Context, cancel context.CancelFunc) (context.Context, []typeddelete.PurgeOption) {
			calls := 0
			return ctx, []typeddelete.PurgeOption{typeddelete.WithRows(func(context.Context, typeddelete.DBTX, []*pgEvent) error {
				if calls++; calls == 4 {
					cancel()
				}
				return nil
			})}
		}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				pgSetup(t, tdb)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				ctx, opts := tt.prepare(ctx, cancel)
				first, err := tt.purge(ctx, tdb.session(), append(opts, typeddelete.ChunkSize(100))...)
				kept := int64(tt.kept * 100)
				if !errors.Is(err, context.Canceled) || first.Done || first.Chunks != tt.kept || first.Deleted["pg_events"] != kept ||
					first.Deleted["pg_event_tags"] != kept || first.Cursor == "" {
					t.Fatalf("first Purge = %+v, %v; want context.Canceled after %d chunks of 100 and a cursor", first, err, tt.kept)
				}
				// The first kept old rows, and only they, are gone: old ids
				// are 4 of every 5.
				last := kept / 4 * 5
				var want []int64
				for id := int64(1); id <= pgRows; id++ {
					if id%5 == 0 || id > last {
						want = append(want, id)
					}
				}
				if got := pgLeft(t, tdb); !slices.Equal(got, want) {
					t.Errorf("%d events left after the cancel, want %d (the old ones up to %d gone)", len(got), len(want), last)
				}
				if n := tdb.count(t, "pg_event_tags"); n != pgRows-int(kept) {
					t.Errorf("%d tags left after the cancel, want %d", n, pgRows-int(kept))
				}
				rest, err := tt.purge(context.Background(), tdb.session(),
					typeddelete.ChunkSize(100), typeddelete.ResumeFrom(first.Cursor), typeddelete.Estimate(),
					typeddelete.OnChunk(func(p typeddelete.Progress) error {
						if p.Estimate != 800-kept {
							return fmt.Errorf("rows after the cursor = %d, want %d", p.Estimate, 800-kept)
						}
						return nil
					}))
				planMust(t, "resumed Purge", err)
				if !rest.Done || rest.Deleted["pg_events"] != 800-kept || rest.Deleted["pg_event_tags"] != 800-kept {
					t.Errorf("resumed Purge = %+v, want done deleting the other %d events and their tags", rest, 800-kept)
				}
				if got := pgLeft(t, tdb); !slices.Equal(got, pgWantLeft()) {
					t.Errorf("%d events left, want the 200 new ones", len(got))
				}
				if n := tdb.count(t, "pg_event_tags"); n != 200 {
					t.Errorf("%d tags left, want the 200 of the new events", n)
				}
			})
		})
	}
}

// TestPurgeChunkFailsWhole checks that a chunk whose hook fails commits
// nothing, neither its rows nor their cascades, and that the Purge stops
// with the cursor of the last good chunk, from which it resumes.
func TestPurgeChunkFailsWhole(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		pgSetup(t, tdb)
		pgFailOn.Store(333)
		defer pgFailOn.Store(0)
		res, err := typeddelete.Query[pgFlaky](tdb.session()).Filter(pgFlakyKind.Eq("old")).Purge(ctx, typeddelete.ChunkSize(100))
		if err == nil || !strings.Contains(err.Error(), "row 333 refused") {
			t.Fatalf("Purge = %v, want the hook's error", err)
		}
		// 100 old rows span 125 ids: the third chunk, ids 251 to 374,
		// holds 333.
		if res.Chunks != 2 || res.Deleted["pg_events"] != 200 || res.Deleted["pg_event_tags"] != 200 {
			t.Errorf("PurgeResult = %+v, want 2 chunks of 100 committed", res)
		}
		left := pgLeft(t, tdb)
		if !slices.Contains(left, 251) || !slices.Contains(left, 374) || slices.Contains(left, 249) {
			t.Errorf("the failed chunk changed rows (251 or 374 gone), or the last good one did not commit (249 left)")
		}
		// The failed chunk deleted its tags before the hook refused: the
		// rollback brought them back.
		if n := tdb.count(t, "pg_event_tags"); n != pgRows-200 {
			t.Errorf("%d tags left, want %d: the failed chunk's cascade must roll back", n, pgRows-200)
		}
		pgFailOn.Store(0)
		_, err = typeddelete.Query[pgFlaky](tdb.session()).Filter(pgFlakyKind.Eq("old")).Purge(ctx, typeddelete.ChunkSize(100), typeddelete.ResumeFrom(res.Cursor))
		planMust(t, "resumed Purge", err)
		if got := pgLeft(t, tdb); !slices.Equal(got, pgWantLeft()) {
			t.Errorf("%d events left, want the 200 new ones", len(got))
		}
		if n := tdb.count(t, "pg_event_tags"); n != 200 {
			t.Errorf("%d tags left, want the 200 of the new events", n)
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
		// WithRows refused after the chunk's statements: its tags, deleted
		// first, came back with it.
		if n := tdb.count(t, "pg_event_tags"); n != 300 {
			t.Errorf("%d tags left, want 300: the refused chunk's cascade must roll back", n)
		}
	})
}

// paRecord is a row of several column types, with a nullable one, that
// ArchiveTo copies.
type paRecord struct {
	ID    int64     `db:"id,pk"`
	Kind  string    `db:"kind"`
	Score int64     `db:"score"`
	Note  *string   `db:"note"`
	At    time.Time `db:"at"`
}

func (paRecord) TableName() string { return "pa_records" }

// TestPurgeArchivesAlone purges with ArchiveTo and no WithRows, so that on
// PostgreSQL one statement moves each chunk (WITH d AS (DELETE ...
// RETURNING) INSERT): the archive holds exactly the rows deleted, every
// column as it was, NULLs included, and the other rows stay as they were.
func TestPurgeArchivesAlone(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		cols := "id BIGINT PRIMARY KEY, kind VARCHAR(10) NOT NULL, score BIGINT NOT NULL, note VARCHAR(40) NULL, at TIMESTAMP NOT NULL"
		if tdb.Dialect.Name() == "mysql" {
			cols = strings.Replace(cols, "TIMESTAMP", "DATETIME(6)", 1)
		}
		tdb.exec(t, "CREATE TABLE pa_records ("+cols+")", "CREATE TABLE pa_archive ("+cols+")")
		base := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
		var b strings.Builder
		var args []any
		b.WriteString("INSERT INTO pa_records (id, kind, score, note, at) VALUES ")
		for i := 1; i <= 500; i++ {
			if i > 1 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?)")
			kind := "old"
			if i%3 == 0 {
				kind = "new"
			}
			var note any
			if i%4 != 0 {
				note = fmt.Sprintf("note %d", i*7)
			}
			args = append(args, i, kind, i*i-250, note, base.Add(time.Duration(i)*time.Minute))
		}
		if _, err := tdb.DB.Exec(tdb.rebind(b.String()), args...); err != nil {
			t.Fatal(err)
		}
		all := "SELECT id, kind, score, note, at FROM %s %s ORDER BY id"
		oldRows := paRows(t, tdb, fmt.Sprintf(all, "pa_records", "WHERE kind = 'old'"))
		newRows := paRows(t, tdb, fmt.Sprintf(all, "pa_records", "WHERE kind <> 'old'"))
		kind := typeddelete.Col(func(r *paRecord) *string { return &r.Kind })
		res, err := typeddelete.Query[paRecord](tdb.session()).Filter(kind.Eq("old")).Purge(ctx,
			typeddelete.ChunkSize(70), typeddelete.ArchiveTo("pa_archive"))
		planMust(t, "Purge", err)
		if !res.Done || res.Chunks != 5 || res.Deleted["pa_records"] != int64(len(oldRows)) {
			t.Errorf("PurgeResult = %+v, want done in 5 chunks deleting %d rows", res, len(oldRows))
		}
		if got := paRows(t, tdb, fmt.Sprintf(all, "pa_archive", "")); !slices.Equal(got, oldRows) {
			t.Errorf("archive holds %d rows, want the %d deleted, every column as it was; first differing: %s",
				len(got), len(oldRows), paFirstDiff(got, oldRows))
		}
		if got := paRows(t, tdb, fmt.Sprintf(all, "pa_records", "")); !slices.Equal(got, newRows) {
			t.Errorf("%d rows left, want the %d new ones as they were; first differing: %s", len(got), len(newRows), paFirstDiff(got, newRows))
		}
	})
}

// paRows returns the rows query reads, each as its columns' values in
// text, NULL as "NULL".
func paRows(t *testing.T, tdb *testDB, query string) []string {
	t.Helper()
	rows, err := tdb.DB.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals := make([]any, 5)
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			switch v := v.(type) {
			case nil:
				parts[i] = "NULL"
			case []byte:
				parts[i] = string(v)
			case time.Time:
				parts[i] = v.UTC().Format(time.RFC3339Nano)
			default:
				parts[i] = fmt.Sprint(v)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// paFirstDiff describes the first row where got and want differ.
func paFirstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("%q, want %q", got[i], want[i])
		}
	}
	return "none in the common length"
}

// Purge of a soft-deletable model with relations of every kind: posts,
// 'old' unless their id is a multiple of 6 (50 of 60), each with a like
// (soft-deletable, Cascade) and a comment (SetNull); a pin (Restrict)
// blocks one post.

type ppPost struct {
	ID        int64      `db:"id,pk"`
	Kind      string     `db:"kind"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (ppPost) TableName() string { return "pp_posts" }
func (ppPost) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[ppLike](typeddelete.Cascade, "post_id"),
		typeddelete.HasMany[ppComment](typeddelete.SetNull, "post_id"),
		typeddelete.HasMany[ppPin](typeddelete.Restrict, "post_id"),
	}
}

type ppLike struct {
	ID        int64      `db:"id,pk"`
	PostID    int64      `db:"post_id"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (ppLike) TableName() string { return "pp_likes" }

type ppComment struct {
	ID     int64  `db:"id,pk"`
	PostID *int64 `db:"post_id"`
}

func (ppComment) TableName() string { return "pp_comments" }

type ppPin struct {
	ID     int64 `db:"id,pk"`
	PostID int64 `db:"post_id"`
}

func (ppPin) TableName() string { return "pp_pins" }

const (
	ppPosts      = 60
	ppPinned     = 40   // in the fourth chunk of 10 old posts (37 to 47)
	ppCrowded    = 28   // in the third chunk (25 to 35), with ppExtraLikes more likes
	ppExtraLikes = 6    // likes of ppCrowded beyond its first
	ppExtraLike  = 5000 // id of the first of them
)

// ppSetup creates the tables, with a pin on ppPinned when pin and the
// extra likes of ppCrowded when crowded.
func ppSetup(t *testing.T, tdb *testDB, pin, crowded bool) {
	t.Helper()
	ts := "TIMESTAMP NULL"
	if tdb.Dialect.Name() == "mysql" {
		ts = "DATETIME(6) NULL"
	}
	tdb.exec(t, "CREATE TABLE pp_posts (id BIGINT PRIMARY KEY, kind VARCHAR(10) NOT NULL, deleted_at "+ts+")",
		"CREATE TABLE pp_likes (id BIGINT PRIMARY KEY, post_id BIGINT NOT NULL, deleted_at "+ts+", FOREIGN KEY (post_id) REFERENCES pp_posts(id))",
		"CREATE TABLE pp_comments (id BIGINT PRIMARY KEY, post_id BIGINT NULL, FOREIGN KEY (post_id) REFERENCES pp_posts(id))",
		"CREATE TABLE pp_pins (id BIGINT PRIMARY KEY, post_id BIGINT NOT NULL, FOREIGN KEY (post_id) REFERENCES pp_posts(id))")
	var posts, likes, comments []string
	for p := 1; p <= ppPosts; p++ {
		kind := "old"
		if p%6 == 0 {
			kind = "new"
		}
		posts = append(posts, fmt.Sprintf("(%d, '%s')", p, kind))
		likes = append(likes, fmt.Sprintf("(%d, %d)", 1000+p, p))
		comments = append(comments, fmt.Sprintf("(%d, %d)", 2000+p, p))
	}
	if crowded {
		for i := range ppExtraLikes {
			likes = append(likes, fmt.Sprintf("(%d, %d)", ppExtraLike+i, ppCrowded))
		}
	}
	tdb.exec(t, "INSERT INTO pp_posts (id, kind) VALUES "+strings.Join(posts, ", "),
		"INSERT INTO pp_likes (id, post_id) VALUES "+strings.Join(likes, ", "),
		"INSERT INTO pp_comments (id, post_id) VALUES "+strings.Join(comments, ", "))
	if pin {
		tdb.exec(t, fmt.Sprintf("INSERT INTO pp_pins (id, post_id) VALUES (3000, %d)", ppPinned))
	}
}

// ppWant is what the first n old posts' purge removed (deleted or
// soft-deleted): the posts, their likes, and the comments it set NULL.
type ppWant struct {
	posts, likes, nulled []int64
}

// ppExpected returns what purging the first n old posts removes.
func ppExpected(n int, hard, crowded bool) ppWant {
	var w ppWant
	for p := int64(1); p <= ppPosts && len(w.posts) < n; p++ {
		if p%6 == 0 {
			continue
		}
		w.posts = append(w.posts, p)
		w.likes = append(w.likes, 1000+p)
		if hard {
			w.nulled = append(w.nulled, 2000+p)
		}
		if p == ppCrowded && crowded {
			for i := range int64(ppExtraLikes) {
				w.likes = append(w.likes, ppExtraLike+i)
			}
		}
	}
	slices.Sort(w.likes)
	return w
}

// ppRemoved reads what is removed: soft-deleted posts and likes, or with
// hard the ones gone; and the comments whose post_id is NULL.
func ppRemoved(t *testing.T, tdb *testDB, hard, crowded bool) ppWant {
	t.Helper()
	var posts, likes []int64
	for p := int64(1); p <= ppPosts; p++ {
		posts = append(posts, p)
		likes = append(likes, 1000+p)
	}
	if crowded {
		for i := range int64(ppExtraLikes) {
			likes = append(likes, ppExtraLike+i)
		}
	}
	removed := func(table string, all []int64) []int64 {
		if !hard {
			return tdb.ids(t, "(SELECT id FROM "+table+" WHERE deleted_at IS NOT NULL) s")
		}
		left := tdb.ids(t, table)
		var out []int64
		for _, id := range all {
			if !slices.Contains(left, id) {
				out = append(out, id)
			}
		}
		return out
	}
	return ppWant{
		posts:  removed("pp_posts", posts),
		likes:  removed("pp_likes", likes),
		nulled: tdb.ids(t, "(SELECT id FROM pp_comments WHERE post_id IS NULL) c"),
	}
}

// TestPurgePolicies purges posts in chunks of 10 with soft delete, SetNull,
// Restrict and a row limit at work in each chunk: a chunk that a Restrict
// or the limit refuses stops the Purge with the cursor of the last good
// chunk and leaves nothing of itself, neither its rows nor their
// children; once the cause is gone, the Purge resumes and finishes.
func TestPurgePolicies(t *testing.T) {
	ctx := context.Background()
	kind := typeddelete.Col(func(p *ppPost) *string { return &p.Kind })
	tests := []struct {
		name    string
		hard    bool // HardDelete: SetNull acts; else soft delete, where it does not
		crowded bool // ppCrowded has more likes
		pin     bool // ppPinned is pinned
		opts    []typeddelete.Option
		atMost  int64
		wantErr error
		kept    int // chunks committed before the stop
	}{
		{name: "a soft delete stopped by a Restrict", pin: true, wantErr: typeddelete.ErrRestricted, kept: 3},
		{name: "a hard delete setting comments NULL, stopped by a Restrict", hard: true, pin: true, wantErr: typeddelete.ErrRestricted, kept: 3},
		// A chunk touches 10 posts, 10 likes and, hard, 10 comments; the
		// third 6 likes more.
		{name: "a soft delete whose third chunk passes AtMost", crowded: true, atMost: 25, wantErr: typeddelete.ErrTooManyRows, kept: 2},
		{name: "a hard delete whose third chunk passes WithMaxRows", hard: true, crowded: true,
			opts: []typeddelete.Option{typeddelete.WithMaxRows(35)}, wantErr: typeddelete.ErrTooManyRows, kept: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				ppSetup(t, tdb, tt.pin, tt.crowded)
				q := typeddelete.Query[ppPost](tdb.session(tt.opts...)).Filter(kind.Eq("old"))
				if tt.hard {
					q = q.HardDelete()
				}
				if tt.atMost > 0 {
					q = q.AtMost(tt.atMost)
				}
				first, err := q.Purge(ctx, typeddelete.ChunkSize(10))
				if !errors.Is(err, tt.wantErr) || first.Done || first.Chunks != tt.kept || first.Cursor == "" {
					t.Fatalf("Purge = %+v, %v; want %v after %d chunks, with a cursor", first, err, tt.wantErr, tt.kept)
				}
				want := ppExpected(tt.kept*10, tt.hard, tt.crowded)
				ppCheck(t, tdb, first, want, tt.hard, tt.crowded)

				// The cause gone, the Purge resumes from the cursor.
				tdb.exec(t, "DELETE FROM pp_pins")
				q = typeddelete.Query[ppPost](tdb.session()).Filter(kind.Eq("old"))
				if tt.hard {
					q = q.HardDelete()
				}
				rest, err := q.Purge(ctx, typeddelete.ChunkSize(10), typeddelete.ResumeFrom(first.Cursor))
				planMust(t, "resumed Purge", err)
				all := ppExpected(ppPosts, tt.hard, tt.crowded)
				if !rest.Done || rest.Chunks != 5-tt.kept {
					t.Errorf("resumed Purge = %+v, want done in %d chunks", rest, 5-tt.kept)
				}
				ppAdd(&rest, first)
				ppCheck(t, tdb, rest, all, tt.hard, tt.crowded)
			})
		})
	}
}

// ppAdd adds the counts of b to a.
func ppAdd(a *typeddelete.PurgeResult, b typeddelete.PurgeResult) {
	for _, m := range [][2]map[string]int64{{a.Deleted, b.Deleted}, {a.SoftDeleted, b.SoftDeleted}, {a.Updated, b.Updated}} {
		for k, v := range m[1] {
			m[0][k] += v
		}
	}
}

// ppCheck fails the test unless the database and the counts of res show
// exactly want removed.
func ppCheck(t *testing.T, tdb *testDB, res typeddelete.PurgeResult, want ppWant, hard, crowded bool) {
	t.Helper()
	if got := ppRemoved(t, tdb, hard, crowded); !reflect.DeepEqual(got, want) {
		t.Errorf("removed (posts, likes, comments set NULL) = %v, want %v", got, want)
	}
	nonZero := func(m map[string]int64) map[string]int64 {
		out := map[string]int64{}
		for k, v := range m {
			if v != 0 {
				out[k] = v
			}
		}
		return out
	}
	got := [3]map[string]int64{nonZero(res.Deleted), nonZero(res.SoftDeleted), nonZero(res.Updated)}
	removed := nonZero(map[string]int64{"pp_posts": int64(len(want.posts)), "pp_likes": int64(len(want.likes))})
	wantCounts := [3]map[string]int64{{}, removed, {}}
	if hard {
		wantCounts = [3]map[string]int64{removed, {}, nonZero(map[string]int64{"pp_comments": int64(len(want.nulled))})}
	}
	if !reflect.DeepEqual(got, wantCounts) {
		t.Errorf("PurgeResult (Deleted, SoftDeleted, Updated) = %v, want %v", got, wantCounts)
	}
	if n := tdb.count(t, "pp_comments"); n != ppPosts {
		t.Errorf("%d comments left, want all %d", n, ppPosts)
	}
}

// TestPurgeBudget checks that a Purge whose rows keep coming, inserted
// ahead of its cursor faster than it deletes, stops when its Budget is
// spent, with ErrBudget and a cursor, having deleted whole chunks: chunks
// planned from their keys and chunks of one statement alike.
func TestPurgeBudget(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, table string
		purge       func(*typeddelete.Session, ...typeddelete.PurgeOption) (typeddelete.PurgeResult, error)
	}{
		{"chunks read and planned", "pg_events", func(s *typeddelete.Session, opts ...typeddelete.PurgeOption) (typeddelete.PurgeResult, error) {
			return typeddelete.Query[pgEvent](s).Filter(pgKind.Eq("old")).Purge(ctx, opts...)
		}},
		{"chunks of one statement", "pg_plain", func(s *typeddelete.Session, opts ...typeddelete.PurgeOption) (typeddelete.PurgeResult, error) {
			return typeddelete.Query[pgPlain](s).Filter(pgPlainKind.Eq("old")).Purge(ctx, opts...)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				pgSetup(t, tdb)
				pgPlainSetup(t, tdb)
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
						if _, err := tdb.DB.ExecContext(ctx, "INSERT INTO "+tt.table+" (id, kind) VALUES "+strings.Join(vals, ", ")); err != nil {
							return
						}
						// A pause, as between a service's requests: SQLite
						// gives its write lock to no one in turn, and a
						// writer that takes it again at once can keep
						// Purge's BEGIN waiting past its busy timeout. 50
						// rows a millisecond still outrun the purge's 50
						// every 10.
						time.Sleep(time.Millisecond)
					}
				}()
				res, err := tt.purge(tdb.session(), typeddelete.ChunkSize(50), typeddelete.Pause(10*time.Millisecond), typeddelete.Budget(400*time.Millisecond))
				close(stop)
				wg.Wait()
				if !errors.Is(err, typeddelete.ErrBudget) || res.Done || res.Cursor == "" || res.Chunks == 0 {
					t.Fatalf("Purge = %+v, %v; want ErrBudget with a cursor after some chunks", res, err)
				}
				if res.Deleted[tt.table] != int64(res.Chunks)*50 {
					t.Errorf("deleted %d rows in %d chunks, want whole chunks of 50", res.Deleted[tt.table], res.Chunks)
				}
			})
		})
	}
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

// TestMockPurgeRetriesAChunk checks, statement by statement, that a chunk
// whose DELETE the database aborts on a deadlock or serialization failure
// rolls back and runs again in a new transaction, and commits; that with
// retries off the error stops the Purge after the last good chunk; and
// that any other error stops it at once, unretried.
// TestMockPurgeRetriesAChunk: the first chunk reads its keys and deletes
// them as planned; its plan is only its own DELETE, so the later chunks,
// and its own retry, are one statement each (PostgreSQL: pk = ANY(ARRAY(SELECT ...)) with the
// filter again). A deadlock retries a chunk of either shape; another error
// stops the Purge after the last good chunk.
func TestMockPurgeRetriesAChunk(t *testing.T) {
	ctx := context.Background()
	age := mockAge.Gt(30)
	read := mockQuery{query: `SELECT "id" FROM "users" WHERE "age" > $1 ORDER BY "id" LIMIT 2 FOR UPDATE`,
		args: mockArgs(30), cols: []string{"id"}}
	// after is the read of a chunk's keys after key id.
	after := func(id int64) mockQuery {
		return mockQuery{query: `SELECT "id" FROM "users" WHERE "age" > $1 AND "id" > $2 ORDER BY "id" LIMIT 2 FOR UPDATE`,
			args: mockArgs(30, id), cols: []string{"id"}}
	}
	keys := func(q mockQuery, ids ...int64) mockQuery {
		for _, id := range ids {
			q.rows = append(q.rows, []driver.Value{id})
		}
		return q
	}
	del := func(ids []int64, rows int64, err error) mockExec {
		return mockExec{query: `DELETE FROM "users" WHERE "id" = ANY($1)`, args: mockArgs(ids), rows: rows, err: err}
	}
	// one is the one-statement chunk after key after (0: the first).
	one := func(after int64, err error, ids ...int64) mockQuery {
		q := keys(mockQuery{query: `DELETE FROM "users" WHERE "id" = ANY(ARRAY(SELECT "id" FROM "users" WHERE ("age" > $1 AND "id" > $2) ORDER BY "id" LIMIT 2)) AND ("age" > $3 AND "id" > $4) RETURNING "id"`,
			args: mockArgs(30, after, 30, after), cols: []string{"id"}}, ids...)
		if after == 0 {
			q.query = `DELETE FROM "users" WHERE "id" = ANY(ARRAY(SELECT "id" FROM "users" WHERE ("age" > $1) ORDER BY "id" LIMIT 2)) AND ("age" > $2) RETURNING "id"`
			q.args = mockArgs(30, 30)
		}
		q.err = err
		return q
	}
	// purgeDone purges in chunks of 2 and wants it done in chunks chunks
	// deleting rows rows, as mock expected.
	purgeDone := func(t *testing.T, s *typeddelete.Session, mock sqlmock.Sqlmock, chunks int, rows int64) {
		t.Helper()
		res, err := typeddelete.Query[mockUser](s).Filter(age).Purge(ctx, typeddelete.ChunkSize(2))
		planMust(t, "Purge", err)
		if !res.Done || res.Chunks != chunks || res.Deleted["users"] != rows {
			t.Errorf("PurgeResult = %+v, want done in %d chunks deleting %d rows", res, chunks, rows)
		}
		mockVerify(t, mock)
	}
	t.Run("a deadlocked chunk runs again and commits", func(t *testing.T) {
		s, mock, _ := newMockSession(t, typeddelete.WithDialect(typeddelete.PostgresDialect()))
		mockExpect(mock,
			// The first plan decided the shape, which its retry takes.
			mockBegin{}, keys(read, 1, 2), del([]int64{1, 2}, 0, mockDeadlockPG), mockRollback{},
			mockBegin{}, one(0, nil, 1, 2), mockCommit{},
			mockBegin{}, one(2, mockDeadlockPG), mockRollback{},
			// RETURNING gives no order: the largest key is the cursor.
			mockBegin{}, one(2, nil, 4, 3), mockCommit{},
			mockBegin{}, one(4, nil, 5), mockCommit{},
			// A statement that deletes nothing is followed by a read of
			// the next keys, which finds none.
			mockBegin{}, one(5, nil), mockCommit{},
			mockBegin{}, after(5), mockCommit{},
		)
		purgeDone(t, s, mock, 3, 5)
	})
	t.Run("a serialization failure with retries off stops after the last good chunk", func(t *testing.T) {
		s, mock, _ := newMockSession(t, typeddelete.WithDialect(typeddelete.PostgresDialect()), typeddelete.WithRetries(0))
		serialization := &pgconn.PgError{Severity: "ERROR", Code: "40001", Message: "could not serialize access"}
		mockExpect(mock,
			mockBegin{}, keys(read, 1, 2), del([]int64{1, 2}, 2, nil), mockCommit{},
			mockBegin{}, one(2, serialization), mockRollback{},
		)
		first, err := typeddelete.Query[mockUser](s).Filter(age).Purge(ctx, typeddelete.ChunkSize(2))
		if !errors.Is(err, typeddelete.ErrSerialization) || first.Done || first.Chunks != 1 || first.Deleted["users"] != 2 {
			t.Fatalf("Purge = %+v, %v; want ErrSerialization after 1 chunk of 2", first, err)
		}
		mockVerify(t, mock)
		// The cursor resumes after key 2; a resumed Purge decides its
		// shape again from its first chunk.
		mockExpect(mock, mockBegin{}, after(2), mockCommit{})
		rest, err := typeddelete.Query[mockUser](s).Filter(age).Purge(ctx, typeddelete.ChunkSize(2), typeddelete.ResumeFrom(first.Cursor))
		planMust(t, "resumed Purge", err)
		if !rest.Done || rest.Chunks != 0 {
			t.Errorf("resumed PurgeResult = %+v, want done with no chunk", rest)
		}
		mockVerify(t, mock)
	})
	t.Run("a statement whose rows went meanwhile does not end the Purge", func(t *testing.T) {
		s, mock, _ := newMockSession(t, typeddelete.WithDialect(typeddelete.PostgresDialect()))
		mockExpect(mock,
			mockBegin{}, keys(read, 1, 2), del([]int64{1, 2}, 2, nil), mockCommit{},
			// The subquery picked 3 and 4, which another transaction
			// deleted before this one could: nothing deleted, yet 6 and 7
			// are left.
			mockBegin{}, one(2, nil), mockCommit{},
			mockBegin{}, keys(after(2), 6, 7), del([]int64{6, 7}, 2, nil), mockCommit{},
			mockBegin{}, one(7, nil), mockCommit{},
			mockBegin{}, after(7), mockCommit{},
		)
		purgeDone(t, s, mock, 2, 4)
	})
	t.Run("another error stops the Purge unretried", func(t *testing.T) {
		s, mock, _ := newMockSession(t, typeddelete.WithDialect(typeddelete.PostgresDialect()))
		mockExpect(mock,
			mockBegin{}, keys(read, 1, 2), del([]int64{1, 2}, 2, nil), mockCommit{},
			mockBegin{}, one(2, mockErrDriver), mockRollback{},
		)
		res, err := typeddelete.Query[mockUser](s).Filter(age).Purge(ctx, typeddelete.ChunkSize(2))
		if !errors.Is(err, mockErrDriver) || errors.Is(err, typeddelete.ErrSerialization) || res.Chunks != 1 || res.Deleted["users"] != 2 {
			t.Errorf("Purge = %+v, %v; want the driver's error after 1 chunk of 2", res, err)
		}
		mockVerify(t, mock)
	})
}
