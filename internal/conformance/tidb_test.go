package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/typeddelete/typeddelete"
)

// What only TiDB does: write conflicts found at COMMIT in optimistic mode,
// and transactions refused for their size. The server is the one of
// TYPEDDELETE_TIDB_DSN (scripts/tidb.sh start), whose txn-total-size-limit
// is 8 MiB.

// tidbConflict is a row of tidb_conflicts.
type tidbConflict struct {
	ID int64 `db:"id,pk"`
}

func (tidbConflict) TableName() string { return "tidb_conflicts" }

// TestTiDBWriteConflictAtCommitIsRetried checks that a Commit whose COMMIT
// fails on a write conflict (TiDB's optimistic mode checks conflicts only
// then, with error 9007) runs its transaction again instead of failing:
// session a flushes deletes of rows 1-10, session b deletes rows 5-15 and
// commits, and a's Commit then succeeds, reporting 1-4 deleted and 5-10
// missing.
func TestTiDBWriteConflictAtCommitIsRetried(t *testing.T) {
	ctx := context.Background()
	db := openTiDBOptimistic(t)
	tdb := &testDB{Name: "tidb-optimistic", DB: db, Dialect: typeddelete.MySQLDialect()}
	tdb.exec(t, "CREATE TABLE tidb_conflicts (id BIGINT PRIMARY KEY)")
	confBulkInsert(t, tdb, "tidb_conflicts (id)", 20, confBigRow)
	rows := func(lo, hi int64) []*tidbConflict {
		var out []*tidbConflict
		for id := lo; id <= hi; id++ {
			out = append(out, &tidbConflict{ID: id})
		}
		return out
	}

	rec := &confRecorder{}
	a := tdb.session(typeddelete.WithLogger(slog.New(rec)))
	confMustObjects(t, a, rows(1, 10))
	planMust(t, "a.Flush", a.Flush(ctx))
	b := tdb.session()
	confMustObjects(t, b, rows(5, 15))
	planMust(t, "b.Commit", b.Commit(ctx))

	planMust(t, "a.Commit", a.Commit(ctx))
	last := a.LastCommit()
	var missing []int64
	for _, m := range last.Missing {
		missing = append(missing, m.Key[0].(int64))
	}
	slices.Sort(missing)
	if last.Deleted["tidb_conflicts"] != 4 || !slices.Equal(missing, []int64{5, 6, 7, 8, 9, 10}) {
		t.Errorf("a.LastCommit() = %d deleted, missing %v; want 4 deleted, 5-10 missing", last.Deleted["tidb_conflicts"], missing)
	}
	if got := tdb.ids(t, "tidb_conflicts"); !slices.Equal(got, []int64{16, 17, 18, 19, 20}) {
		t.Errorf("rows left = %v, want 16-20", got)
	}
	if begins := strings.Count(strings.Join(rec.sent(), "\n"), "BEGIN"); begins < 2 {
		t.Errorf("a sent BEGIN %d time(s), want at least 2: the transaction was not run again", begins)
	}
}

// tidbWide is a row of tidb_wide: deleting one writes about 800 bytes to
// the transaction, its row key and the key of its wide index.
type tidbWide struct {
	ID  int64  `db:"id,pk"`
	Pad string `db:"pad"`
}

func (tidbWide) TableName() string { return "tidb_wide" }

// tidbWideRows is more rows of tidb_wide than one transaction under an
// 8 MiB txn-total-size-limit can delete.
const tidbWideRows = 12000

// tidbWideSetup creates tidb_wide with tidbWideRows rows, inserted in
// transactions small enough for the limit.
func tidbWideSetup(t *testing.T, tdb *testDB) {
	t.Helper()
	tdb.exec(t, "CREATE TABLE tidb_wide (id BIGINT PRIMARY KEY, pad VARCHAR(700) NOT NULL, KEY (pad))")
	var b strings.Builder
	for lo := 1; lo <= tidbWideRows; lo += 2000 {
		b.Reset()
		b.WriteString("INSERT INTO tidb_wide (id, pad) VALUES ")
		for i := lo; i < lo+2000; i++ {
			if i > lo {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d, REPEAT('x', 700))", i)
		}
		tdb.exec(t, b.String())
	}
}

// TestTiDBTransactionTooLarge checks that a delete too large for one TiDB
// transaction fails with ErrTransactionTooLarge, whose message points to
// Purge, leaves every row, and that Purge in chunks then deletes them all:
// over txn-total-size-limit, as a bulk delete and as object deletes (TiDB
// v8.5 answers both with error 1105 "txn too large"; other statements get
// 8004), and over a small tidb_mem_quota_query (error 8175).
func TestTiDBTransactionTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 12,000 rows of 700 bytes on TiDB")
	}
	ctx := context.Background()
	id := typeddelete.Col(func(w *tidbWide) *int64 { return &w.ID })
	tests := []struct {
		name string
		// commit registers the delete of every row in a session over
		// tdb, or over one connection of it, and commits it.
		commit func(t *testing.T, tdb *testDB) error
	}{
		{"a bulk delete over txn-total-size-limit", func(t *testing.T, tdb *testDB) error {
			s := tdb.session()
			if _, err := typeddelete.Query[tidbWide](s).Filter(id.Gt(0)).Delete(); err != nil {
				t.Fatal(err)
			}
			return s.Commit(ctx)
		}},
		{"object deletes over txn-total-size-limit", func(t *testing.T, tdb *testDB) error {
			s := tdb.session()
			objs, err := typeddelete.Query[tidbWide](s).All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			confMustObjects(t, s, objs)
			return s.Commit(ctx)
		}},
		{"a bulk delete over tidb_mem_quota_query", func(t *testing.T, tdb *testDB) error {
			conn, err := tdb.DB.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.ExecContext(ctx, "SET tidb_mem_quota_query = 65536"); err != nil {
				t.Fatal(err)
			}
			// The connection goes back to the pool: give it back as it was.
			defer conn.ExecContext(ctx, "SET tidb_mem_quota_query = DEFAULT")
			// The read of the schema is a statement over the quota too.
			s := typeddelete.NewSession(conn, typeddelete.WithoutSchemaIntrospection())
			if _, err := typeddelete.Query[tidbWide](s).Filter(id.Gt(0)).Delete(); err != nil {
				t.Fatal(err)
			}
			return s.Commit(ctx)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tdb := &testDB{Name: "tidb", DB: openTiDB(t), Dialect: typeddelete.MySQLDialect()}
			var typ, instance, name string
			var limit int64
			err := tdb.DB.QueryRowContext(ctx, "SHOW CONFIG WHERE type = 'tidb' AND name = 'performance.txn-total-size-limit'").Scan(&typ, &instance, &name, &limit)
			if err != nil || limit != 8<<20 {
				t.Fatalf("the server's txn-total-size-limit is %d (%v); these cases need 8 MiB, which scripts/tidb.sh sets", limit, err)
			}
			tidbWideSetup(t, tdb)
			err = tt.commit(t, tdb)
			if !errors.Is(err, typeddelete.ErrTransactionTooLarge) || !strings.Contains(err.Error(), "Purge") {
				t.Fatalf("Commit error = %v, want ErrTransactionTooLarge pointing to Purge", err)
			}
			t.Logf("Commit error: %.200s", err)
			if n := tdb.count(t, "tidb_wide"); n != tidbWideRows {
				t.Fatalf("%d rows left after the failed Commit, want all %d", n, tidbWideRows)
			}
			res, err := typeddelete.Query[tidbWide](tdb.session()).Filter(id.Gt(0)).Purge(ctx, typeddelete.ChunkSize(2000))
			planMust(t, "Purge", err)
			if !res.Done || res.Chunks != tidbWideRows/2000 || res.Deleted["tidb_wide"] != tidbWideRows {
				t.Errorf("PurgeResult = %+v, want done in %d chunks deleting %d rows", res, tidbWideRows/2000, tidbWideRows)
			}
			if n := tdb.count(t, "tidb_wide"); n != 0 {
				t.Errorf("%d rows left after Purge, want 0", n)
			}
		})
	}
}
