package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/typeddelete/typeddelete"
)

// pauseLog is a slog.Handler that, the first time the session logs a
// statement whose SQL holds every string of match, says so on reached and
// waits for release: the Commit then holds the locks of that statement
// and has sent nothing after it.
type pauseLog struct {
	match   []string
	reached chan struct{}
	resume  chan struct{}
	paused  atomic.Bool
	once    sync.Once
}

func newPauseLog(match ...string) *pauseLog {
	return &pauseLog{match: match, reached: make(chan struct{}), resume: make(chan struct{})}
}

// release lets the paused Commit go on; later calls do nothing.
func (l *pauseLog) release() { l.once.Do(func() { close(l.resume) }) }

func (l *pauseLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *pauseLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *pauseLog) WithGroup(string) slog.Handler            { return l }

func (l *pauseLog) Handle(_ context.Context, r slog.Record) error {
	var q string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "sql" {
			q = a.Value.String()
		}
		return true
	})
	for _, m := range l.match {
		if !strings.Contains(q, m) {
			return nil
		}
	}
	if l.paused.CompareAndSwap(false, true) {
		close(l.reached)
		<-l.resume
	}
	return nil
}

// waitForLockWait returns once the connection with id conn waits for a
// row lock, as the server reports it. It fails at once if that
// connection's statement ends first (done): it did not wait.
//
// It asks every 200 ms: InnoDB refreshes INNODB_TRX only when no one
// has read it for 100 ms, so a faster poll reads the same stale copy,
// from before the wait began, until the wait times out.
func waitForLockWait(t *testing.T, ctx context.Context, tdb *testDB, conn int64, done <-chan error) {
	t.Helper()
	q := "SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = ? AND trx_state = 'LOCK WAIT'"
	switch {
	case tdb.Name == "postgres":
		q = "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'"
	case tdb.tidb():
		q = "SELECT COUNT(*) FROM information_schema.TIDB_TRX WHERE SESSION_ID = ? AND STATE = 'LockWaiting'"
	}
	for {
		var n int
		if err := tdb.DB.QueryRowContext(ctx, q, conn).Scan(&n); err != nil {
			t.Fatalf("waiting for the lock wait: %v", err)
		}
		if n > 0 {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("connection %d ended its statement without waiting for a lock (error: %v)", conn, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// TestDeadlockOnAReadIsRetried makes a server report a deadlock on one of
// the session's locking reads: another transaction locks crew 10, then
// waits for ship 1, which the session's first read has locked; the
// session's read of the crew of ship 1 (loaded FOR UPDATE for their
// hooks) closes the cycle. The server aborts the session's transaction:
// MariaDB rolls back the transaction that wrote less, and the other one
// has written rows; PostgreSQL aborts the one that finds the deadlock,
// the session's, as the other's deadlock_timeout is long; TiDB, in its
// pessimistic mode, the one whose lock request closes the cycle. The
// Commit runs again and succeeds; with retries off it fails with
// ErrSerialization and leaves every row.
func TestDeadlockOnAReadIsRetried(t *testing.T) {
	// TiDB's optimistic mode takes no lock on a read.
	servers := func(name string) bool { return name == "mysql" || name == "postgres" || name == "tidb" }
	for _, retries := range []bool{true, false} {
		name := "the Commit runs again and succeeds"
		if !retries {
			name = "with retries off the Commit fails with ErrSerialization"
		}
		t.Run(name, func(t *testing.T) {
			forEachDBWhere(t, servers, func(t *testing.T, tdb *testDB) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				p := planSetup(t, tdb, planShips)
				tdb.exec(t, "CREATE TABLE dl_weight (n BIGINT NOT NULL)")

				other, err := tdb.DB.BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer other.Rollback()
				var conn int64
				idQuery := "SELECT CONNECTION_ID()"
				if tdb.Name == "postgres" {
					idQuery = "SELECT pg_backend_pid()"
					if _, err := other.ExecContext(ctx, "SET LOCAL deadlock_timeout = '60s'"); err != nil {
						t.Fatal(err)
					}
				}
				if err := other.QueryRowContext(ctx, idQuery).Scan(&conn); err != nil {
					t.Fatal(err)
				}
				var weight strings.Builder
				weight.WriteString("INSERT INTO dl_weight (n) VALUES (0)")
				for i := 1; i < 200; i++ {
					fmt.Fprintf(&weight, ", (%d)", i)
				}
				var id int64
				if _, err := other.ExecContext(ctx, weight.String()); err != nil {
					t.Fatal(err)
				}
				if err := other.QueryRowContext(ctx, "SELECT id FROM crew WHERE id = 10 FOR UPDATE").Scan(&id); err != nil {
					t.Fatal(err)
				}

				pause := newPauseLog("ships", "FOR UPDATE")
				// A failure before the release below lets the paused Commit
				// go on, to end its transaction, not hold it for the run.
				t.Cleanup(pause.release)
				opts := []typeddelete.Option{typeddelete.WithLogger(slog.New(pause))}
				if !retries {
					opts = append(opts, typeddelete.WithRetries(0))
				}
				s := tdb.session(opts...)
				planMust(t, "Delete", s.Delete(&planShip{ID: 1, Name: "ark"}))
				h := &planHooks{attempts: true}
				done := make(chan error, 1)
				go func() { done <- s.Commit(h.with(ctx)) }()
				select {
				case <-pause.reached:
				case err := <-done:
					t.Fatalf("Commit returned %v before it locked ship 1", err)
				}
				// A server may send a result's columns, which end the
				// session's QueryContext and so come before its log, ahead
				// of the rows it locks: give the read time to lock ship 1.
				time.Sleep(100 * time.Millisecond)
				otherDone := make(chan error, 1)
				go func() {
					var id int64
					otherDone <- other.QueryRowContext(ctx, "SELECT id FROM ships WHERE id = 1 FOR UPDATE").Scan(&id)
				}()
				waitForLockWait(t, ctx, tdb, conn, otherDone)
				pause.release()
				// The session's transaction is aborted, which frees ship 1.
				if err := <-otherDone; err != nil {
					t.Fatalf("the other transaction was aborted, not the session's: %v", err)
				}
				if err := other.Rollback(); err != nil {
					t.Fatal(err)
				}
				err = <-done

				if !retries {
					var me *mysql.MySQLError
					var pe *pgconn.PgError
					switch {
					case !errors.Is(err, typeddelete.ErrSerialization):
						t.Fatalf("Commit error = %v, want ErrSerialization", err)
					case tdb.Dialect.Name() == "mysql" && !(errors.As(err, &me) && me.Number == 1213):
						t.Errorf("Commit error = %v, want the server's error 1213", err)
					case tdb.Name == "postgres" && !(errors.As(err, &pe) && pe.Code == "40P01"):
						t.Errorf("Commit error = %v, want the server's 40P01", err)
					}
					if !strings.Contains(err.Error(), `read from "crew"`) {
						t.Errorf("Commit error = %v, want it to name the read of crew", err)
					}
					if got := h.got(); len(got) != 0 {
						t.Errorf("hook calls = %q, want none", got)
					}
					if o, b := s.Pending(); o != 1 || b != 0 {
						t.Errorf("Pending() = (%d, %d), want (1, 0)", o, b)
					}
					p.expect(t, map[string][]string{"ships": {"1", "2", "3"}, "crew": {"10|1", "11|1", "20|2"}, "audit": nil})
					return
				}
				planMust(t, "Commit", err)
				want := []string{"crew.after 10 (attempt 2)", "crew.after 11 (attempt 2)", "crew.before 10 (attempt 2)",
					"crew.before 11 (attempt 2)", "ship.after 1 (attempt 2)", "ship.before 1 (attempt 2)"}
				if got := h.got(); !slices.Equal(got, want) {
					t.Errorf("hook calls = %q, want %q: the hooks of the second attempt only", got, want)
				}
				p.expect(t, map[string][]string{"ships": {"2", "3"}, "crew": {"20|2"}, "audit": nil})
			})
		})
	}
}
