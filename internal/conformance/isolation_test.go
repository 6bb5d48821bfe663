package conformance_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/typeddelete/typeddelete"
)

// isoProbe's BeforeDelete tells the isolation level of the session's
// transaction by what it does: it reads a count, commits a row from
// another connection, and reads the count again. At READ COMMITTED the
// second read sees the new row; at REPEATABLE READ it does not.
type isoProbe struct {
	ID   int64 `db:"id,pk"`
	tdb  *testDB
	seen bool // the second read saw the row committed meanwhile
}

func (isoProbe) TableName() string { return "iso_probes" }

func (p *isoProbe) BeforeDelete(ctx context.Context, tx typeddelete.DBTX) error {
	var before, after int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM iso_seen").Scan(&before); err != nil {
		return err
	}
	if _, err := p.tdb.DB.ExecContext(ctx, p.tdb.rebind("INSERT INTO iso_seen (id) VALUES (?)"), p.ID); err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM iso_seen").Scan(&after); err != nil {
		return err
	}
	p.seen = after > before
	return nil
}

// TestWithTxOptions checks the isolation level of the session's own
// transactions: the dialect's (READ COMMITTED on MySQL, the server's
// default, READ COMMITTED, on PostgreSQL), and what WithTxOptions sets
// instead: the server's default with an empty TxOptions (REPEATABLE READ
// on MariaDB), REPEATABLE READ when asked on PostgreSQL.
func TestWithTxOptions(t *testing.T) {
	forEachDBWhere(t, func(name string) bool { return name == "postgres" || name == "mysql" }, func(t *testing.T, tdb *testDB) {
		tdb.exec(t, "DROP TABLE IF EXISTS iso_probes", "DROP TABLE IF EXISTS iso_seen",
			"CREATE TABLE iso_probes (id BIGINT PRIMARY KEY)", "CREATE TABLE iso_seen (id BIGINT PRIMARY KEY)",
			"INSERT INTO iso_probes (id) VALUES (1), (2), (3)")
		repeatable := &sql.TxOptions{}
		if tdb.Name == "postgres" {
			repeatable = &sql.TxOptions{Isolation: sql.LevelRepeatableRead}
		}
		cases := []struct {
			name string
			opts []typeddelete.Option
			id   int64
			seen bool
		}{
			{"the dialect's: READ COMMITTED", nil, 1, true},
			{"WithTxOptions: REPEATABLE READ", []typeddelete.Option{typeddelete.WithTxOptions(repeatable)}, 2, false},
			{"WithTxOptions: READ COMMITTED", []typeddelete.Option{typeddelete.WithTxOptions(&sql.TxOptions{Isolation: sql.LevelReadCommitted})}, 3, true},
		}
		for _, c := range cases {
			p := &isoProbe{ID: c.id, tdb: tdb}
			s := tdb.session(c.opts...)
			if err := s.Delete(p); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(context.Background()); err != nil {
				t.Fatalf("%s: Commit: %v", c.name, err)
			}
			if p.seen != c.seen {
				t.Errorf("%s: the hook saw a row committed meanwhile: %v, want %v", c.name, p.seen, c.seen)
			}
		}
		if got := tdb.ids(t, "iso_probes"); len(got) != 0 {
			t.Errorf("rows left: %v, want none", got)
		}
	})
}
