package typeddelete

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math"
	"reflect"
	"strings"
	"unicode/utf8"

	sq "github.com/Masterminds/squirrel"
)

// Dialect holds everything that differs between database families: bind
// placeholders, identifier quoting and the bind-parameter limit that sizes
// batches. Get one from SQLiteDialect, PostgresDialect or MySQLDialect.
// A Dialect is immutable and safe for concurrent use.
type Dialect struct {
	name        string
	placeholder sq.PlaceholderFormat
	quote       byte
	maxParams   int  // most bind parameters in one statement
	batchSize   int  // default keys per DELETE ... IN (...)
	maxIdent    int  // longest identifier the database accepts, 0 for none
	identRunes  bool // maxIdent counts characters, not bytes
	rowValues   bool
	lockRows    string // suffix for SELECT ... that locks the rows it reads
	returning   bool   // DELETE ... RETURNING is available
	arrays      bool   // one array parameter replaces IN lists: pk = ANY($1)
	// valuesPrefix opens a list of row values after IN: SQLite needs
	// "VALUES " there, the servers take bare tuples.
	valuesPrefix string
	// maxTuples caps the row values in one IN list, whatever the batch
	// size: PostgreSQL's parser recurses per element and runs out of stack
	// near 10,000 (max_stack_depth 2 MB).
	maxTuples int
	// txOptions are the options of the session's own transactions.
	txOptions *sql.TxOptions
}

// SQLiteDialect is SQLite, 3.35 or later (32766 bind parameters, RETURNING).
func SQLiteDialect() *Dialect {
	return &Dialect{name: "sqlite", placeholder: sq.Question, quote: '"',
		maxParams: 32766, batchSize: 500, rowValues: true, returning: true, valuesPrefix: "VALUES "}
}

// PostgresDialect is PostgreSQL and the databases that speak its protocol.
// It sends the keys of a one-column primary key as one array parameter
// (pk = ANY($1)), which github.com/jackc/pgx encodes from a Go slice; use
// PostgresINDialect with a driver that cannot, such as github.com/lib/pq.
func PostgresDialect() *Dialect {
	d := PostgresINDialect()
	d.arrays = true
	return d
}

// PostgresINDialect is PostgreSQL with keys sent as IN lists of bind
// parameters, for drivers that do not encode Go slices as arrays.
func PostgresINDialect() *Dialect {
	return &Dialect{name: "postgres", placeholder: sq.Dollar, quote: '"',
		maxParams: 65535, batchSize: 1000, maxIdent: 63, rowValues: true, lockRows: "FOR UPDATE", returning: true,
		maxTuples: 1000}
}

// MySQLDialect is MySQL, MariaDB and the databases that speak their protocol.
// The session's own transactions run at READ COMMITTED, which takes no gap
// locks. Keys are sorted so that commits lock rows in the same order, but a
// DELETE that the optimizer runs as a table scan (small tables, stale
// statistics) locks every row it reads, so overlapping commits can still
// deadlock; the session then retries (see WithRetries).
func MySQLDialect() *Dialect {
	return &Dialect{name: "mysql", placeholder: sq.Question, quote: '`',
		maxParams: 65535, batchSize: 5000, maxIdent: 64, identRunes: true, rowValues: true, lockRows: "FOR UPDATE",
		txOptions: &sql.TxOptions{Isolation: sql.LevelReadCommitted}}
}

// Name returns the dialect's name: "sqlite", "postgres" or "mysql".
func (d *Dialect) Name() string { return d.name }

// String returns the dialect's name.
func (d *Dialect) String() string { return d.name }

// Quote returns ident quoted as an identifier, doubling any quote character
// inside it.
func (d *Dialect) Quote(ident string) string {
	q := string(d.quote)
	return q + strings.ReplaceAll(ident, q, q+q) + q
}

// quoteTable quotes a table name, each part of a schema-qualified name
// ("audit.events") on its own.
func (d *Dialect) quoteTable(name string) string {
	if !strings.Contains(name, ".") {
		return d.Quote(name)
	}
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = d.Quote(p)
	}
	return strings.Join(parts, ".")
}

// quoteAll quotes each identifier.
func (d *Dialect) quoteAll(idents []string) []string {
	out := make([]string, len(idents))
	for i, s := range idents {
		out[i] = d.Quote(s)
	}
	return out
}

// unnests reports whether keys of columns of these Go types travel as one
// array per column through unnest: several signed-integer columns, on a
// dialect that takes arrays. PostgreSQL matches 5,000 such keys about 8
// times faster that way than as row values in IN lists of 1,000.
func (d *Dialect) unnests(types []reflect.Type) bool {
	if !d.arrays || len(types) < 2 {
		return false
	}
	for _, t := range types {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		default:
			return false
		}
	}
	return true
}

// keysPerStatement is how many keys of n columns go in one statement: all of
// them when they travel as one array, else the batch size (the session's, or
// the dialect's default) capped by the bind-parameter limit.
func (d *Dialect) keysPerStatement(n, batch int) int {
	if batch <= 0 {
		if d.arrays && n == 1 {
			return math.MaxInt
		}
		batch = d.batchSize
	}
	if limit := d.maxParams / n; batch > limit {
		batch = limit
	}
	if n > 1 && d.maxTuples > 0 && batch > d.maxTuples {
		batch = d.maxTuples
	}
	return batch
}

// checkIdent reports an identifier the database would reject or truncate.
func (d *Dialect) checkIdent(m *model) error {
	if d.maxIdent == 0 {
		return nil
	}
	names := append([]string{m.table}, m.columns()...)
	for _, n := range names {
		size, unit := len(n), "bytes"
		if d.identRunes {
			size, unit = utf8.RuneCountInString(n), "characters"
		}
		if size > d.maxIdent {
			return fmt.Errorf("%w: %s: identifier %q is %d %s, %s allows %d",
				ErrInvalidModel, m.typ, n, size, unit, d.name, d.maxIdent)
		}
	}
	return nil
}

// dialectForPackage returns the dialect of the driver defined in package
// path, or nil when the package is not a known driver.
func dialectForPackage(path string) *Dialect {
	switch path {
	case "github.com/mattn/go-sqlite3", "modernc.org/sqlite", "github.com/ncruces/go-sqlite3/driver":
		return SQLiteDialect()
	case "github.com/jackc/pgx/v5/stdlib", "github.com/jackc/pgx/v4/stdlib":
		return PostgresDialect()
	case "github.com/lib/pq":
		return PostgresINDialect()
	case "github.com/go-sql-driver/mysql":
		return MySQLDialect()
	}
	return nil
}

// dialectOf returns the dialect of a driver value (a driver.Driver or a
// driver.Conn) from the package that defines its type.
func dialectOf(v any) (*Dialect, error) {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil {
		if d := dialectForPackage(t.PkgPath()); d != nil {
			return d, nil
		}
	}
	return nil, fmt.Errorf("%w: driver %T; pass typeddelete.WithDialect to NewSession", ErrUnknownDialect, v)
}

// detectDialect finds the dialect of db from its driver. A *sql.Tx does not
// expose its driver, so it needs WithDialect.
func detectDialect(db Executor) (*Dialect, error) {
	switch db := db.(type) {
	case *sql.DB:
		return dialectOf(db.Driver())
	case *sql.Conn:
		var d *Dialect
		var err error
		rerr := db.Raw(func(dc any) error {
			d, err = dialectOf(dc.(driver.Conn))
			return nil
		})
		if rerr != nil {
			return nil, fmt.Errorf("typeddelete: detecting the dialect: %w", rerr)
		}
		return d, err
	default:
		return nil, fmt.Errorf("%w: cannot detect the dialect of %T; pass typeddelete.WithDialect to NewSession", ErrUnknownDialect, db)
	}
}
