//go:build cgo

package typeddelete

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

func TestDetectDialect(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	fake := sql.OpenDB(unitFakeConnector{})
	t.Cleanup(func() { fake.Close() })

	tests := []struct {
		name      string
		db        DBTX
		want      string
		fragments []string // for an error
	}{
		{"a *sql.DB is detected from its driver", db, "sqlite", nil},
		{"a *sql.Conn is detected from its driver connection", conn, "sqlite", nil},
		{"a *sql.Tx cannot be detected", tx, "", []string{"cannot detect the dialect of *sql.Tx", "WithDialect"}},
		{"a *sql.DB of an unknown driver names the driver", fake, "", []string{"driver typeddelete.unitFakeDriver", "WithDialect"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := detectDialect(tt.db)
			if tt.fragments != nil {
				unitWantErr(t, err, ErrUnknownDialect, tt.fragments...)
				return
			}
			if err != nil {
				t.Fatalf("detectDialect: %v", err)
			}
			if d.Name() != tt.want {
				t.Errorf("detectDialect = %s, want %s", d, tt.want)
			}
		})
	}
}
