//go:build cgo

package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattn/go-sqlite3"

	"github.com/typeddelete/typeddelete/sqlite"
)

// TestOpen checks the settings Open promises, BEGIN IMMEDIATE included, on
// files whose names a URI would misread.
func TestOpen(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"app.db", "a?b.db", "c#d.db", "e%20f.db"} {
		t.Run("a file named "+name+" is created under that name", func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			db, err := sqlite.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.ExecContext(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY)"); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("no file at %q: %v", path, err)
			}
			for pragma, want := range map[string]string{
				"foreign_keys": "1", "journal_mode": "wal", "synchronous": "1", "busy_timeout": "5000",
			} {
				var got string
				if err := db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
				}
			}
		})
	}
	t.Run("a transaction takes the write lock at BEGIN: a second one is refused until it ends", func(t *testing.T) {
		db, err := sqlite.Open(filepath.Join(t.TempDir(), "lock.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		first, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer first.Rollback()
		// A second connection that does not wait for the lock: a deferred
		// BEGIN would succeed there, BEGIN IMMEDIATE finds the lock taken.
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
			t.Fatal(err)
		}
		second, err := conn.BeginTx(ctx, nil)
		var serr sqlite3.Error
		if !errors.As(err, &serr) || serr.Code != sqlite3.ErrBusy {
			if second != nil {
				second.Rollback()
			}
			t.Fatalf("second BeginTx while the first is open: %v; want SQLITE_BUSY", err)
		}
		if err := first.Rollback(); err != nil {
			t.Fatal(err)
		}
		second, err = conn.BeginTx(ctx, nil)
		if err != nil {
			t.Fatalf("BeginTx after the first ended: %v", err)
		}
		second.Rollback()
	})
	t.Run("memory opens one connection", func(t *testing.T) {
		db, err := sqlite.Open(":memory:")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if got := db.Stats().MaxOpenConnections; got != 1 {
			t.Fatalf("MaxOpenConnections = %d, want 1", got)
		}
	})
	for _, path := range []string{"", "a\x00b"} {
		t.Run("an invalid path fails", func(t *testing.T) {
			db, err := sqlite.Open(path)
			if err == nil || !strings.Contains(err.Error(), "invalid path") {
				t.Fatalf("Open(%q) = %v, %v; want an invalid-path error", path, db, err)
			}
		})
	}
}
