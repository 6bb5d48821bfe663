package typeddelete

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	sq "github.com/Masterminds/squirrel"
)

// Dialect holds everything that differs between database families: bind
// placeholders, identifier quoting, the bind-parameter limit that sizes
// batches, how a list of keys is sent, and the catalog queries. Get one
// from SQLiteDialect, PostgresDialect, PostgresINDialect or MySQLDialect;
// the zero Dialect is invalid. A Dialect is immutable and safe for
// concurrent use.
type Dialect struct {
	name        string
	placeholder sq.PlaceholderFormat
	quote       byte
	maxParams   int  // most bind parameters in one statement
	batchSize   int  // default keys per statement, where keys go as parameters
	maxIdent    int  // longest identifier the database accepts, 0 for none
	identRunes  bool // maxIdent counts characters, not bytes
	lockRows    string
	returning   bool // DELETE ... RETURNING is available
	// arrays: one array parameter replaces IN lists, pk = ANY($1), and
	// composite keys travel as one array per column through unnest.
	arrays bool
	// intLiterals: integer keys are written into the statement as
	// literals, which the library formats itself, instead of parameters.
	intLiterals  bool
	literalBatch int // integer keys per statement when written as literals
	// valuesPrefix opens a list of row values after IN: SQLite needs
	// "VALUES " there, the servers take bare tuples.
	valuesPrefix string
	// maxTuples caps the row values in one IN list, whatever the batch
	// size: PostgreSQL's parser recurses per element and runs out of stack
	// near 10,000 (max_stack_depth 2 MB).
	maxTuples int
	// fromDual is what a SELECT without a table needs: "" or " FROM DUAL".
	fromDual string
	// jsonList: an IN list of more values than this travels as one JSON
	// array through json_each (inJSON); 0 where it never does.
	jsonList int
	// jsonMin, jsonKeys, jsonBatch: a list of more than jsonMin integer
	// keys goes as JSON arrays of up to jsonBatch keys through json_each
	// (shapeJSON) where it selects children by their foreign key, and
	// where it selects rows by their own key if it holds at most jsonKeys;
	// 0 where lists never do. BenchmarkSQLiteJSONShapes, arrays of 1,000
	// against prepared IN lists of 500: children (10 per key) took
	// 0.86-0.96 of their time at 100 to 3,000 keys, 1.09 at 30; rows by
	// their key 0.79-0.94 at 100 to 3,000, 1.00 at 30, but 1.04 at 5,000
	// and 1.14 at 50,000.
	jsonMin, jsonKeys, jsonBatch int
	// maxCompound caps the SELECTs one UNION ALL statement joins: SQLite
	// refuses more than 500 (SQLITE_MAX_COMPOUND_SELECT), PostgreSQL's
	// parser recurses per term.
	maxCompound int
	// errorsAbortTx: a failed statement aborts the transaction, so a
	// statement that may fail runs in a savepoint.
	errorsAbortTx bool
	// cteDelete: a DELETE ... RETURNING can feed an INSERT in one
	// statement (deleteInto).
	cteDelete bool
	// orDeletes: the children one unit cascades to through several
	// relations go in one DELETE whose condition ORs the relations'
	// (fk1 = ANY($1) OR fk2 = ANY($2)). PostgreSQL ran it in 0.78-0.84
	// of the time of one statement per relation; SQLite (1.02-1.05) and
	// MariaDB (0.93-1.13) did not gain (bench/cmd/ordelete).
	orDeletes bool
	// chunk is how a Purge deletes a chunk of a table keyed by one integer
	// column in one statement that picks its own rows (chunkDelete); 0
	// where it reads the chunk's keys first.
	chunk chunkShape
	// serverProbe, where set, asks the server what it is, and the chunk
	// shape and dense key scans (denseKeys) hold only where the answer
	// contains serverMark: MariaDB, not MySQL or TiDB, which speak the
	// same protocol.
	serverProbe, serverMark string
	// txOptions are the options of the session's own transactions.
	txOptions *sql.TxOptions
	// catalog queries; see fkCatalog, keyCatalog and typeCatalog (nil
	// where column types are not needed).
	fks, keys, types func() sq.SelectBuilder
	// defaults reads the columns' defaults, where an UPDATE cannot SET a
	// column to DEFAULT (SQLite); nil where it can.
	defaults func() sq.SelectBuilder
	// clock reads the database's current time, UTC (WithDatabaseClock).
	clock string
	// quoting is how the database reads quotes, to find the columns a Raw
	// term names.
	quoting sqlQuoting
}

// sqlQuoting is how a database reads quotes and comments in SQL text.
type sqlQuoting struct {
	idents  string // the characters that open a quoted identifier; [ closes with ]
	strings string // the characters that open a string literal
	// backslash: a backslash escapes the next character of a string.
	backslash bool
	// dollar: $tag$...$tag$ is a string, and a string after E takes
	// backslash escapes.
	dollar bool
	hash   bool // # opens a comment to the end of the line
}

// SQLiteDialect is SQLite, 3.35 or later (32766 bind parameters, RETURNING).
func SQLiteDialect() *Dialect {
	return &Dialect{name: "sqlite", placeholder: sq.Question, quote: '"',
		maxParams: 32766, batchSize: 500, returning: true, valuesPrefix: "VALUES ", jsonList: 1000, maxCompound: 200,
		jsonMin: 100, jsonKeys: 2000, jsonBatch: 1000,
		chunk: chunkSubquery,
		fks:   sqliteForeignKeys, keys: sqliteUniqueKeys, defaults: sqliteDefaults,
		clock:   "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')",
		quoting: sqlQuoting{idents: "\"`[", strings: "'"}}
}

// PostgresDialect is PostgreSQL and the databases that speak its protocol.
// It sends the keys of a one-column primary key as one array parameter
// (pk = ANY($1)), which github.com/jackc/pgx encodes from a Go slice; from
// 1,000 keys, in a scalar subquery that spares the planner an estimate
// per key, = ANY((SELECT $1::bigint[])::bigint[]), integers as the
// array's text, {1,2,...}. Composite keys go as one array per column
// through unnest. Use PostgresINDialect with a driver that cannot, such
// as github.com/lib/pq.
func PostgresDialect() *Dialect {
	d := PostgresINDialect()
	d.arrays, d.orDeletes = true, true
	return d
}

// PostgresINDialect is PostgreSQL with keys sent as IN lists of bind
// parameters, for drivers that do not encode Go slices as arrays.
func PostgresINDialect() *Dialect {
	return &Dialect{name: "postgres", placeholder: sq.Dollar, quote: '"',
		maxParams: 65535, batchSize: 1000, maxIdent: 63, lockRows: "FOR UPDATE", returning: true,
		maxTuples: 1000, maxCompound: 1000, errorsAbortTx: true, cteDelete: true, fks: postgresForeignKeys, keys: postgresUniqueKeys, types: postgresColumnTypes,
		chunk:   chunkArray,
		clock:   "SELECT CAST(now() AT TIME ZONE 'UTC' AS text)",
		quoting: sqlQuoting{idents: `"`, strings: "'", dollar: true}}
}

// MySQLDialect is MySQL, MariaDB and the databases that speak their
// protocol, TiDB included. The session's own transactions run at READ
// COMMITTED, which takes no gap locks (WithTxOptions sets others).
// Integer keys are written into the statement as literals (the library
// formats them from integers, so nothing of the caller's reaches the SQL
// text), which the server parses faster than it binds parameters; other
// keys are bound parameters. On MariaDB, which the session tells by the
// server's version when it reads the catalog, more than 100 primary keys
// less than three apart on average are sent as a scan of their range,
// `id` BETWEEN lo AND hi AND `id` + 0 IN (...). Keys are sorted so that
// commits lock rows in the same order, but a DELETE that the optimizer
// runs as a table scan (small tables, stale statistics) locks every row
// it reads, so overlapping commits can still deadlock; the session then
// retries (see WithRetries).
func MySQLDialect() *Dialect {
	return &Dialect{name: "mysql", placeholder: sq.Question, quote: '`',
		maxParams: 65535, batchSize: 5000, maxIdent: 64, identRunes: true, lockRows: "FOR UPDATE",
		intLiterals: true, literalBatch: 50000, fromDual: " FROM DUAL", maxCompound: 1000,
		// Only MariaDB has DELETE ... RETURNING, and gains from dense
		// key scans.
		chunk: chunkOrderLimit, serverProbe: "SELECT VERSION()", serverMark: "MariaDB",
		txOptions: &sql.TxOptions{Isolation: sql.LevelReadCommitted},
		fks:       mysqlForeignKeys, keys: mysqlUniqueKeys, clock: "SELECT UTC_TIMESTAMP(6)",
		// Double quotes open a string unless the server runs with
		// ANSI_QUOTES, where they quote an identifier.
		quoting: sqlQuoting{idents: "`", strings: `'"`, backslash: true, hash: true}}
}

// marked reports whether the server is the one the dialect's serverMark
// names, by the answer to serverProbe that si holds; true where the
// dialect has no probe.
func (d *Dialect) marked(si *schemaInfo) bool {
	return d.serverProbe == "" || si != nil && strings.Contains(si.server, d.serverMark)
}

// Name returns the dialect's name: "sqlite", "postgres" or "mysql".
func (d *Dialect) Name() string { return d.name }

// String returns the dialect's name.
func (d *Dialect) String() string { return d.name }

// valid reports whether d was made by one of the package's constructors.
func (d *Dialect) valid() bool {
	return d != nil && d.placeholder != nil && d.quote != 0 && d.maxParams > 0 && d.fks != nil
}

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

// checkIdent reports an identifier the database would reject or truncate,
// and one with a "?" in it, which the placeholder rewriting of a dialect
// with numbered placeholders would corrupt.
func (d *Dialect) checkIdent(m *model) error {
	names := append([]string{m.table}, m.columns()...)
	for _, n := range names {
		if strings.Contains(n, "?") {
			return fmt.Errorf("%w: %s: identifier %q has a \"?\", which statements cannot carry safely; rename it with a db tag or TableName",
				ErrInvalidModel, m.typ, n)
		}
		if d.maxIdent == 0 {
			continue
		}
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

// keyShape says how a list of keys of one or more columns travels.
type keyShape uint8

const (
	shapeParams   keyShape = iota // bound parameters: IN (?, ...) or row values
	shapeArray                    // one array parameter: c = ANY(?)
	shapeUnnest                   // one array per column through unnest
	shapeLiterals                 // integers written as literals
	shapeJSON                     // one JSON array through json_each
)

// keyShapeFor returns how keys of columns of these Go types (and, on
// PostgreSQL, SQL types, "" where unknown) travel on d.
func (d *Dialect) keyShapeFor(types []reflect.Type, sqlTypes []string) keyShape {
	if d.intLiterals && allIntegers(types) {
		return shapeLiterals
	}
	if !d.arrays {
		return shapeParams
	}
	if len(types) == 1 {
		return shapeArray
	}
	for i, t := range types {
		if arrayElemType(t, sqlType(sqlTypes, i)) == "" {
			return shapeParams
		}
	}
	return shapeUnnest
}

// listShape returns how a list of n keys, held as kind, of one column
// travels, given shape, how keyShapeFor says keys of its type travel, and
// whether they select children by their foreign key (each key may match
// many rows) or rows by their own key: on a dialect with jsonMin, as
// JSON arrays of integers, which the library writes itself, where the
// dialect's limits say so. (Strings stay parameters: JSON would turn
// bytes that are not UTF-8 into other characters.)
func (d *Dialect) listShape(shape keyShape, kind keyKind, n int, children bool) keyShape {
	if shape != shapeParams || d.jsonMin == 0 || kind != intKeys || n <= d.jsonMin || !children && n > d.jsonKeys {
		return shape
	}
	return shapeJSON
}

func sqlType(types []string, i int) string {
	if i < len(types) {
		return types[i]
	}
	return ""
}

// allIntegers reports whether every type has a signed or unsigned integer
// kind (and no Valuer of its own).
func allIntegers(types []reflect.Type) bool {
	for _, t := range types {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Implements(valuerType) || !isInteger(t) {
			return false
		}
	}
	return true
}

// keysPerStatement is how many keys of n columns of these types go in
// one statement that sends other more bind parameters besides: all of
// them when they travel as arrays; for JSON arrays and literals, the
// session's batch size or else the dialect's batch for the shape; else
// the batch size (the session's, or the dialect's default) capped by what
// the bind-parameter limit leaves and, for row values, by maxTuples.
func (d *Dialect) keysPerStatement(shape keyShape, n, batch, other int) int {
	switch shape {
	case shapeArray, shapeUnnest:
		if batch <= 0 {
			return math.MaxInt
		}
	case shapeJSON, shapeLiterals:
		if batch > 0 {
			return batch
		}
		if shape == shapeJSON {
			return d.jsonBatch
		}
		return d.literalBatch
	}
	if batch <= 0 {
		batch = d.batchSize
	}
	if limit := (d.maxParams - other) / n; batch > limit {
		batch = limit
	}
	if n > 1 && d.maxTuples > 0 && batch > d.maxTuples {
		batch = d.maxTuples
	}
	return max(batch, 1)
}

// spanKeys: a literal list of more one-column integer keys than this,
// when it is one statement's part of a larger sorted list, also bounds the
// key range it spans, "c" BETWEEN lo AND hi AND "c" IN (...). MariaDB runs
// an IN list of a few percent of a table's rows as a scan of the whole
// table when it estimates that cheaper: with the span, the statements of
// a large delete, each a slice of the sorted keys, scan the table once
// between them instead of once each (BenchmarkPeersMySQL: 500,000 keys of
// 1,000,000 rows in statements of 50,000 took 3.0 s, ten full scans). A
// list sent whole gets no span: it would bound nothing, and MariaDB ran
// 50,000 keys with it 1.12 times as long as without.
const spanKeys = 1000

// denseKeys and denseSpan: on MariaDB (serverMark), a literal list of
// more than denseKeys keys that each match one row, whose range holds
// fewer than denseSpan integers per key, is dense, and is sent as
// "c" BETWEEN lo AND hi AND "c" + 0 IN (...). The server scans the range,
// at most denseSpan rows per key, and tests each row against the list;
// "+ 0" keeps the list out of its range optimizer, which otherwise weighs
// one range per key before it chooses (a fifth of a 50,000-key statement
// in SHOW PROFILE). BenchmarkMySQLDenseKeys, 5,000 keys of 100,000 rows,
// every step-th row: the scan took 0.57, 0.72 and 0.85 of the plain
// list's time at steps 1 to 3, 0.98 at 4 and 1.35 at 6. TiDB ran a list
// hidden so 40 times as long as the plain one, and keeps that.
const (
	denseKeys = 100
	denseSpan = 3
)

// hiddenArrayKeys is the number of keys from which an array parameter goes
// in a scalar subquery, = ANY((SELECT ?::T[])::T[]), that hides it from
// PostgreSQL's planner. A plan made for the parameter's values (each
// execution without pgx's statement cache, a connection's first five
// with it) estimates the selectivity of every element: at 50,000 keys
// that planning took longer than the delete itself. Hidden, the array is
// planned as one of unknown length, as in a plan kept for any values.
// Measured, `= ANY($1)` against the hidden form, every other row of twice
// as many, without the cache and with it (paired ratios of the hidden
// form): 10 keys 0.98 and 1.04, 100 keys 1.05 and 1.03, 1,000 keys 0.85
// and 1.01, 5,000 keys 0.80 and 1.02, 50,000 keys 0.75 and 1.01.
// Integer keys go as the array's text, formatted by the library: at
// 50,000 keys the statement then took 0.90 of its time with a []int64,
// 0.89 of plain = ANY($1)'s (paired, 40 iterations each, with the cache;
// 0.90 without it), 1.00 at 5,000 keys and 0.95 at 1,000.
const hiddenArrayKeys = 1000

// keyCond matches exactly the rows whose columns cols hold one of keys
// (each as a keyList holds it; for several columns a []any), in the shape
// keyShapeFor gives their types; see shapedKeyCond.
func (d *Dialect) keyCond(cols []string, types []reflect.Type, sqlTypes []string, keys *keyList, buf []any) (string, []any, error) {
	return d.shapedKeyCond(d.keyShapeFor(types, sqlTypes), cols, types, sqlTypes, keys, buf)
}

// shapedKeyCond is keyCond in a shape of the caller's, keyShapeFor's or
// listShape's:
//
//	"c" IN (?,...)                                      parameters
//	"c" = ANY(?)                                        one array
//	"c" = ANY((SELECT ?::T[])::T[])                     one array of hiddenArrayKeys or more
//	                                                    (integers as its text, {1,2,...})
//	("a","b") IN (SELECT * FROM unnest(?::T[], ?::U[])) one array per column
//	"c" IN (SELECT value FROM json_each(?))            one JSON array of integers, [1,2,...]
//	"c" IN (1,2,...) or ("a","b") IN ((1,2),...)        integer literals
//	("c" BETWEEN 1 AND 9 AND "c" + 0 IN (1,2,...))      dense ones (denseKeys)
//	("c" BETWEEN 1 AND 9 AND "c" IN (1,2,...))          one part of many (spanKeys)
//	("a","b") IN ((?,?),...)                            row values
//
// Never "a IN (...) AND b IN (...)", which matches the wrong rows. A key
// whose Value method fails, where keys travel as arrays, is an error that
// wraps ErrInvalidValue and the method's error. Bound parameters go in
// buf's memory when it has room, else in a new slice.
func (d *Dialect) shapedKeyCond(shape keyShape, cols []string, types []reflect.Type, sqlTypes []string, keys *keyList, buf []any) (string, []any, error) {
	target := d.rowTarget(cols)
	switch shape {
	case shapeLiterals:
		head, tail := target+" IN (", ")"
		if n := keys.len(); keys.kind == intKeys && (keys.scan || keys.part) && n > denseKeys {
			lo, hi := slices.Min(keys.ints), slices.Max(keys.ints)
			dense := keys.scan && uint64(hi)-uint64(lo) < uint64(n)*denseSpan
			if dense || keys.part && n > spanKeys {
				in := " IN ("
				if dense {
					in = " + 0 IN ("
				}
				head = "(" + target + " BETWEEN " + strconv.FormatInt(lo, 10) + " AND " + strconv.FormatInt(hi, 10) + " AND " + target + in
				tail = "))"
			}
		}
		return literalList(head, keys, len(cols), tail), nil, nil
	case shapeArray:
		elem := arrayElemType(types[0], sqlType(sqlTypes, 0))
		hidden := elem != "" && keys.len() >= hiddenArrayKeys
		var a any
		if hidden && allIntegers(types) {
			// The array's text, {1,2,...}, which the cast parses: pgx sends
			// a string as it is, where it boxes each element of a []int64
			// to encode it.
			a = literalList("{", keys, 1, "}")
		} else {
			var err error
			if a, err = arrayOf(types[0], keys, 0); err != nil {
				return "", nil, fmt.Errorf("%w: column %q: %w", ErrInvalidValue, cols[0], err)
			}
		}
		if hidden {
			return target + " = ANY((SELECT ?::" + elem + "[])::" + elem + "[])", []any{a}, nil
		}
		return target + " = ANY(?)", []any{a}, nil
	case shapeUnnest:
		arrays := make([]any, len(cols))
		for i, t := range types {
			a, err := arrayOf(t, keys, i)
			if err != nil {
				return "", nil, fmt.Errorf("%w: column %q: %w", ErrInvalidValue, cols[i], err)
			}
			arrays[i] = a
		}
		return target + " IN (SELECT * FROM " + unnestOf(types, sqlTypes) + ")", arrays, nil
	case shapeJSON:
		c, args := d.inJSON(cols[0], literalList("[", keys, 1, "]"))
		return c, args, nil
	}
	// Bound parameters: the text depends on the number of keys alone.
	n, args := keys.len(), keys.params(buf, len(cols))
	if len(cols) == 1 {
		return target + " IN (" + placeholders(n) + ")", args, nil
	}
	var b strings.Builder
	tuple := "(" + placeholders(len(cols)) + ")"
	b.WriteString(target + " IN (" + d.valuesPrefix)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tuple)
	}
	b.WriteByte(')')
	return b.String(), args, nil
}

// unnestOf returns unnest(?::T1[], ?::T2[], ...), one typed array per
// column.
func unnestOf(types []reflect.Type, sqlTypes []string) string {
	casts := make([]string, len(types))
	for i, t := range types {
		casts[i] = "?::" + arrayElemType(t, sqlType(sqlTypes, i)) + "[]"
	}
	return "unnest(" + strings.Join(casts, ", ") + ")"
}

// keyJoin is the form a DELETE by keys of shapeUnnest takes: the arrays
// joined to the table (USING) rather than matched by IN. PostgreSQL
// removes duplicates from the rows of IN (SELECT * FROM unnest(...))
// before it looks them up; the join looks each up as it comes, and the
// session's keys are unique already. The arguments are the same arrays,
// and using holds their placeholders, so they lead the statement's
// arguments.
type keyJoin struct {
	using string // " USING unnest(...) AS alias (c1, c2)"
	on    string // "col1" = alias.c1 AND "col2" = alias.c2
}

// unnestJoin returns the keyJoin of keys of cols on table, with alias
// names that are neither table nor one of the columns in taken, so that
// the statement's other conditions, which name columns without their
// table, still mean the table's.
func (d *Dialect) unnestJoin(table string, cols []string, types []reflect.Type, sqlTypes []string, taken []string) keyJoin {
	free := func(name string, used func(string) bool) string {
		for used(name) {
			name = "_" + name
		}
		return name
	}
	alias := free("k", func(n string) bool { return strings.EqualFold(n, table[strings.LastIndexByte(table, '.')+1:]) })
	names := make([]string, len(cols))
	on := make([]string, len(cols))
	for i, c := range cols {
		names[i] = d.Quote(free("k"+strconv.Itoa(i+1), func(n string) bool { return slices.Contains(taken, n) }))
		on[i] = d.Quote(c) + " = " + d.Quote(alias) + "." + names[i]
	}
	return keyJoin{
		using: " USING " + unnestOf(types, sqlTypes) + " AS " + d.Quote(alias) + " (" + strings.Join(names, ", ") + ")",
		on:    strings.Join(on, " AND "),
	}
}

// inJSON returns the condition that column holds one of the values of the
// JSON array array, sent as one parameter, for a dialect with jsonList:
//
//	"c" IN (SELECT value FROM json_each(?))
func (d *Dialect) inJSON(column, array string) (string, []any) {
	return d.Quote(column) + " IN (SELECT value FROM json_each(?))", []any{array}
}

// deleteInto returns one statement that runs the DELETE del (with
// args) and copies the rows it deletes, their columns cols, into table
// archive, for a dialect with cteDelete:
//
//	WITH d AS (DELETE ... RETURNING cols) INSERT INTO archive (cols) SELECT cols FROM d
func (d *Dialect) deleteInto(del, archive string, cols []string) string {
	c := strings.Join(d.quoteAll(cols), ", ")
	return "WITH d AS (" + del + " RETURNING " + c + ") INSERT INTO " + d.quoteTable(archive) + " (" + c + ") SELECT " + c + " FROM d"
}

// chunkShape is a one-statement DELETE of a Purge chunk (chunkDelete).
type chunkShape uint8

const (
	chunkSubquery   chunkShape = iota + 1 // pk IN (SELECT ... LIMIT n)
	chunkArray                            // pk = ANY(ARRAY(SELECT ... LIMIT n))
	chunkOrderLimit                       // DELETE ... ORDER BY pk LIMIT n
)

// chunkDelete builds the one statement that deletes the next n rows, in
// key order, of table, keyed by the one column pk, that conds (with ?
// placeholders) select, and returns their keys; the rows are the ones a
// read of the chunk's keys would lock, so that a Purge needs no such read
// when nothing else needs the keys. By the numbers of bench/cmd/purge a
// purge in these statements takes 0.65 (MariaDB) and 0.71 (PostgreSQL) of
// the time of the read and the DELETE by keys, and as long on SQLite.
//
//	sqlite:   DELETE FROM t WHERE pk IN (SELECT pk FROM t WHERE conds ORDER BY pk LIMIT n) RETURNING pk
//	postgres: DELETE FROM t WHERE pk = ANY(ARRAY(SELECT ...)) AND conds RETURNING pk
//	MariaDB:  DELETE FROM t WHERE conds ORDER BY pk LIMIT n RETURNING pk
//
// On PostgreSQL conds are repeated because a DELETE that waits for a row
// updated meanwhile checks its own WHERE again on the row's new version,
// not the subquery's. MySQL and TiDB have no RETURNING.
func (d *Dialect) chunkDelete(table, pk string, conds sqlizer, n uint64) (sqlizer, error) {
	t, c := d.quoteTable(table), d.Quote(pk)
	where, args, err := conds.ToSql()
	if err != nil {
		return nil, err
	}
	sel := "SELECT " + c + " FROM " + t + " WHERE " + where + " ORDER BY " + c + " LIMIT " + strconv.FormatUint(n, 10)
	var q string
	switch d.chunk {
	case chunkSubquery:
		q = "DELETE FROM " + t + " WHERE " + c + " IN (" + sel + ") RETURNING " + c
	case chunkArray:
		q = "DELETE FROM " + t + " WHERE " + c + " = ANY(ARRAY(" + sel + ")) AND " + where + " RETURNING " + c
		args = append(args, args...)
	case chunkOrderLimit:
		q = "DELETE FROM " + t + " WHERE " + where + " ORDER BY " + c + " LIMIT " + strconv.FormatUint(n, 10) + " RETURNING " + c
	default:
		return nil, fmt.Errorf("typeddelete: dialect %s has no one-statement chunk", d.name)
	}
	if q, err = d.placeholder.ReplacePlaceholders(q); err != nil {
		return nil, err
	}
	return sq.Expr(q, args...), nil
}

// compoundTerms returns how many SELECTs of params parameters each one
// UNION ALL statement joins: at most maxCompound, and no more than the
// bind-parameter limit holds.
func (d *Dialect) compoundTerms(params int) int {
	n := d.maxCompound
	if params > 0 {
		n = min(n, d.maxParams/params)
	}
	return max(n, 1)
}

// rowTarget returns the left side of an IN over cols: "c", or ("a", "b").
func (d *Dialect) rowTarget(cols []string) string {
	qcols := d.quoteAll(cols)
	if len(cols) == 1 {
		return qcols[0]
	}
	return "(" + strings.Join(qcols, ", ") + ")"
}

// literalList writes integer keys as a list, 1,2,3 or (1,2),(3,4),
// between head and tail, in one buffer: a list of 50,000 keys is 300 KB
// of text, copied again for each string it is joined into.
func literalList(head string, keys *keyList, cols int, tail string) string {
	b := make([]byte, 0, len(head)+keys.len()*(8*cols+2)+len(tail))
	b = append(b, head...)
	if keys.kind == intKeys {
		for i, k := range keys.ints {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, k, 10)
		}
		return bufString(append(b, tail...))
	}
	var parts []any
	for i := range keys.len() {
		if i > 0 {
			b = append(b, ',')
		}
		parts = keys.appendParts(parts[:0], i)
		if len(parts) > 1 {
			b = append(b, '(')
		}
		for j, p := range parts {
			if j > 0 {
				b = append(b, ',')
			}
			v := reflect.ValueOf(p)
			if v.CanUint() {
				b = strconv.AppendUint(b, v.Uint(), 10)
			} else {
				b = strconv.AppendInt(b, v.Int(), 10)
			}
		}
		if len(parts) > 1 {
			b = append(b, ')')
		}
	}
	return bufString(append(b, tail...))
}

// bufString returns b as a string without copying it; b must not change
// afterwards.
func bufString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// arrayElemType returns the PostgreSQL element type of an array of keys of
// Go type t: the column's own type when the catalog gave it, else bigint
// for integers; "" when neither is known, and the keys go as row values.
func arrayElemType(t reflect.Type, sqlType string) string {
	switch {
	case sqlType != "":
		return sqlType
	case allIntegers([]reflect.Type{t}):
		return "bigint"
	}
	return ""
}

// arrayOf returns part i of keys (the key itself for a one-column key) as
// a slice the driver sends as one array: []int64, []uint64, []float64,
// []string, []bool or [][]byte for keys of those kinds, named types
// included; else the driver values of the keys' Valuers, or a slice of the
// field's own type. It fails when a key's Value method does.
func arrayOf(t reflect.Type, keys *keyList, part int) (any, error) {
	switch keys.kind {
	case intKeys:
		return keys.ints, nil
	case strKeys:
		return keys.strs, nil
	case tupleKeys:
		return arrayOf(t, &keys.cols[part], 0)
	}
	n := keys.len()
	get := func(j int) any {
		k := keys.at(j)
		if parts, ok := k.([]any); ok {
			return parts[part]
		}
		return k
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Implements(valuerType) {
		out := make([]any, n)
		for j := range n {
			v, err := get(j).(driver.Valuer).Value()
			if err != nil {
				return nil, fmt.Errorf("key %#v: Value failed: %w", get(j), err)
			}
			out[j] = v
		}
		return valuesArray(out), nil
	}
	switch kindClass(t) {
	case 1:
		switch {
		case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
			out := make([]int64, n)
			for j := range n {
				out[j] = reflect.ValueOf(get(j)).Int()
			}
			return out, nil
		case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uintptr:
			out := make([]uint64, n)
			for j := range n {
				out[j] = reflect.ValueOf(get(j)).Uint()
			}
			return out, nil
		}
		out := make([]float64, n)
		for j := range n {
			out[j] = reflect.ValueOf(get(j)).Float()
		}
		return out, nil
	case 2:
		out := make([]string, n)
		for j := range n {
			out[j] = reflect.ValueOf(get(j)).String()
		}
		return out, nil
	case 3:
		out := make([]bool, n)
		for j := range n {
			out[j] = reflect.ValueOf(get(j)).Bool()
		}
		return out, nil
	case 4:
		out := make([][]byte, n)
		for j := range n {
			out[j] = reflect.ValueOf(get(j)).Bytes()
		}
		return out, nil
	}
	out := reflect.MakeSlice(reflect.SliceOf(t), n, n)
	for j := range n {
		out.Index(j).Set(reflect.ValueOf(get(j)))
	}
	return out.Interface(), nil
}

// valuesArray turns driver values of one kind into a typed slice: []int64,
// []string, []float64, []bool, [][]byte or []time.Time; a []any of mixed
// kinds stays as it is.
func valuesArray(vs []any) any {
	if len(vs) == 0 {
		return []string{}
	}
	switch vs[0].(type) {
	case int64:
		return typedValues[int64](vs)
	case string:
		return typedValues[string](vs)
	case float64:
		return typedValues[float64](vs)
	case bool:
		return typedValues[bool](vs)
	case []byte:
		return typedValues[[]byte](vs)
	case time.Time:
		return typedValues[time.Time](vs)
	}
	return vs
}

func typedValues[V any](vs []any) any {
	out := make([]V, len(vs))
	for i, v := range vs {
		x, ok := v.(V)
		if !ok {
			return vs
		}
		out[i] = x
	}
	return out
}

// Catalog queries. Each foreign-key row is: child table, constraint id,
// parent table, child column, referenced parent column (NULL where SQLite
// leaves it implicit), ON DELETE action. Each unique-key row is: table, key
// name, column, with the primary key first.

func sqliteForeignKeys() sq.SelectBuilder {
	return sq.Select("m.name", "p.id", `p."table"`, `p."from"`, `p."to"`, "p.on_delete").
		From("sqlite_master m").
		Join("pragma_foreign_key_list(m.name) p").
		Where("m.type = 'table'").
		OrderBy("m.name", "p.id", "p.seq")
}

func sqliteUniqueKeys() sq.SelectBuilder {
	return sq.Select("t", "k", "c").FromSelect(
		sq.Select("m.name AS t", "'' AS k", "p.name AS c", "p.pk AS o").
			From("sqlite_master m").
			Join("pragma_table_info(m.name) p").
			Where("m.type = 'table' AND p.pk > 0").
			Suffix("UNION ALL SELECT m.name, il.name, ii.name, ii.seqno + 1 FROM sqlite_master m "+
				"JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii "+
				`WHERE m.type = 'table' AND il."unique" = 1 AND il.partial = 0 AND il.origin <> 'pk'`),
		"u").
		OrderBy("t", "k", "o")
}

// sqliteDefaults lists table, column and default expression of every
// column that has a default.
func sqliteDefaults() sq.SelectBuilder {
	return sq.Select("m.name", "p.name", "p.dflt_value").
		From("sqlite_master m").
		Join("pragma_table_info(m.name) p").
		Where("m.type = 'table' AND p.dflt_value IS NOT NULL")
}

// defaultOf returns what SetDefault sets a column to: DEFAULT, or where
// the dialect's UPDATE cannot say so, the column's default read from the
// catalog, which must then be a literal.
func (d *Dialect) defaultOf(si *schemaInfo, table, column string) (any, error) {
	if d.defaults == nil {
		return sq.Expr("DEFAULT"), nil
	}
	if si == nil {
		return nil, errors.New("SQLite cannot SET a column to DEFAULT, and without the catalog (WithoutSchemaIntrospection) its default is unknown")
	}
	text, ok := si.defaults[table][column]
	if !ok {
		return nil, nil // no default: NULL
	}
	v, ok := sqliteLiteral(text)
	if !ok {
		return nil, fmt.Errorf("the default %s is an expression; SQLite cannot SET a column to DEFAULT, so it must be a number, a string or NULL", text)
	}
	return v, nil
}

// sqliteLiteral returns the value of an SQLite literal: a number, a
// quoted string, NULL, TRUE or FALSE, in parentheses or not.
func sqliteLiteral(text string) (any, bool) {
	t := strings.TrimSpace(text)
	for len(t) >= 2 && t[0] == '(' && t[len(t)-1] == ')' {
		t = strings.TrimSpace(t[1 : len(t)-1])
	}
	switch strings.ToUpper(t) {
	case "NULL":
		return nil, true
	case "TRUE":
		return int64(1), true
	case "FALSE":
		return int64(0), true
	}
	if i, err := strconv.ParseInt(t, 10, 64); err == nil {
		return i, true
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil && !strings.ContainsAny(t, "xXnN") {
		return f, true
	}
	if len(t) >= 2 && t[0] == '\'' && t[len(t)-1] == '\'' {
		inner := t[1 : len(t)-1]
		if strings.Count(inner, "'")%2 == 0 && !strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
			return strings.ReplaceAll(inner, "''", "'"), true
		}
	}
	return nil, false
}

func postgresForeignKeys() sq.SelectBuilder {
	return sq.Select("tc.relname", "c.conname", "pc.relname", "a.attname", "ra.attname",
		"CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' WHEN 'r' THEN 'RESTRICT' ELSE 'NO ACTION' END").
		From("pg_constraint c").
		Join("pg_class tc ON tc.oid = c.conrelid").
		Join("pg_namespace n ON n.oid = tc.relnamespace").
		Join("pg_class pc ON pc.oid = c.confrelid").
		CrossJoin("LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(attnum, refnum, ord)").
		Join("pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum").
		Join("pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.refnum").
		Where("c.contype = 'f' AND n.nspname = current_schema()").
		OrderBy("tc.relname", "c.conname", "k.ord")
}

func postgresUniqueKeys() sq.SelectBuilder {
	return sq.Select("t.relname", "CASE WHEN i.indisprimary THEN '' ELSE ic.relname END", "a.attname").
		From("pg_index i").
		Join("pg_class t ON t.oid = i.indrelid").
		Join("pg_class ic ON ic.oid = i.indexrelid").
		Join("pg_namespace n ON n.oid = t.relnamespace").
		CrossJoin("LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)").
		Join("pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum").
		Where("i.indisunique AND i.indpred IS NULL AND NOT (0 = ANY(i.indkey)) AND n.nspname = current_schema()").
		OrderBy("t.relname", "2", "k.ord")
}

func mysqlForeignKeys() sq.SelectBuilder {
	return sq.Select("k.TABLE_NAME", "k.CONSTRAINT_NAME", "k.REFERENCED_TABLE_NAME", "k.COLUMN_NAME", "k.REFERENCED_COLUMN_NAME", "r.DELETE_RULE").
		From("information_schema.KEY_COLUMN_USAGE k").
		Join("information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME").
		Where("k.CONSTRAINT_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL").
		OrderBy("k.TABLE_NAME", "k.CONSTRAINT_NAME", "k.ORDINAL_POSITION")
}

func mysqlUniqueKeys() sq.SelectBuilder {
	return sq.Select("TABLE_NAME", "CASE WHEN INDEX_NAME = 'PRIMARY' THEN '' ELSE INDEX_NAME END", "COLUMN_NAME").
		From("information_schema.STATISTICS").
		Where("TABLE_SCHEMA = DATABASE() AND NON_UNIQUE = 0 AND COLUMN_NAME IS NOT NULL").
		OrderBy("TABLE_NAME", "2", "SEQ_IN_INDEX")
}

// postgresColumnTypes reads each column's type without its modifier, the
// type that arrays of keys are cast to: a cast to VARCHAR(4) would cut a
// longer key to a row's key, one to NUMERIC(5,2) round it. A domain gives
// its base type, whose modifier a cast to the domain would enforce with an
// error. Without a modifier, CHARACTER and BIT name the types of length 1,
// so those two are named by their unlimited forms.
func postgresColumnTypes() sq.SelectBuilder {
	const base = "COALESCE(NULLIF(t.typbasetype, 0), a.atttypid)"
	return sq.Select("c.relname", "a.attname",
		"CASE "+base+` WHEN 'bpchar'::regtype THEN 'bpchar' WHEN 'bit'::regtype THEN '"bit"' ELSE format_type(`+base+", NULL) END").
		From("pg_attribute a").
		Join("pg_type t ON t.oid = a.atttypid").
		Join("pg_class c ON c.oid = a.attrelid").
		Join("pg_namespace n ON n.oid = c.relnamespace").
		Where("n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped")
}

// fkCatalog returns the dialect's foreign-key catalog query.
func (d *Dialect) fkCatalog() sq.SelectBuilder { return d.fks().PlaceholderFormat(d.placeholder) }

// keyCatalog returns the dialect's unique-key catalog query.
func (d *Dialect) keyCatalog() sq.SelectBuilder { return d.keys().PlaceholderFormat(d.placeholder) }

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
func detectDialect(db DBTX) (*Dialect, error) {
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
			return nil, fmt.Errorf("detecting the dialect: %w", rerr)
		}
		return d, err
	default:
		return nil, fmt.Errorf("%w: cannot detect the dialect of %T; pass typeddelete.WithDialect to NewSession", ErrUnknownDialect, db)
	}
}
