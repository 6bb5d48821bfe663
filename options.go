package typeddelete

import (
	"database/sql"
	"fmt"
	"log/slog"
)

// Option configures a Session. An option given an invalid value makes
// every method of the session return an error that wraps ErrInvalidValue.
type Option func(*Session)

// WithDialect sets the dialect instead of detecting it from the driver. It
// is required for a *sql.Tx and for drivers the package does not know.
func WithDialect(d *Dialect) Option {
	return func(s *Session) { s.dialect = d }
}

// WithLogger logs every statement the session sends, BEGIN, COMMIT and
// ROLLBACK included, to l: at Debug when it succeeds, at Error when it
// fails, at Warn when it fails and the Commit, Flush or Purge chunk
// sending it will run its transaction again (see WithRetries). The message
// names what the statement does ("typeddelete: delete", "typeddelete: set
// null", "typeddelete: restrict check", "typeddelete: retry", ...); the
// attributes are sql, args, duration (a time.Duration), rows (for writes)
// and error. Arguments are your data: see WithRedactedArgs.
func WithLogger(l *slog.Logger) Option {
	return func(s *Session) { s.logger = l }
}

// WithRedactedArgs logs only how many arguments each statement had, not
// their values.
func WithRedactedArgs() Option {
	return func(s *Session) { s.redact = true }
}

// WithStrictRowCounts makes Commit and Flush fail with a *StaleDataError
// (errors.Is ErrStaleData) when a pending object delete matches no row,
// rolling back everything. Without it such keys are only reported in
// CommitResult.Missing.
func WithStrictRowCounts() Option {
	return func(s *Session) { s.strict = true }
}

// WithBatchSize sets how many keys go in one statement, however they
// travel (bound parameters, integer literals, a PostgreSQL array, a
// SQLite JSON array); 0 keeps the dialect's default. Except for literals
// and JSON arrays, the dialect's bind-parameter limit still caps it, less
// the statement's other parameters (the scope's value, a soft delete's
// stamp, the values SetNull or SetValue sets). A negative n is invalid.
func WithBatchSize(n int) Option {
	return func(s *Session) {
		if s.nonNegative("WithBatchSize", int64(n), "the dialect's default") {
			s.batch = n
		}
	}
}

// WithTxOptions sets the options of the transactions the session begins
// itself, on a *sql.DB or *sql.Conn, in place of the dialect's: READ
// COMMITTED on MySQL (see MySQLDialect), the driver's defaults elsewhere.
// An empty TxOptions runs them at the server's default isolation level.
// A session over a *sql.Tx works in the caller's transaction, whose
// options are the caller's. A read-only transaction cannot delete, so
// ReadOnly is invalid, and so is nil.
func WithTxOptions(opts *sql.TxOptions) Option {
	return func(s *Session) {
		switch {
		case opts == nil:
			s.optErr(fmt.Errorf("%w: WithTxOptions(nil): want a *sql.TxOptions; an empty one means the server's defaults", ErrInvalidValue))
		case opts.ReadOnly:
			s.optErr(fmt.Errorf("%w: WithTxOptions: a read-only transaction cannot delete", ErrInvalidValue))
		default:
			o := *opts
			s.txOptions = &o
		}
	}
}

// WithRetries sets how many times a Commit or Flush runs its transaction
// again, after a short random wait, when the database aborts it to break a
// deadlock or keep transactions serializable (ErrSerialization). The
// default is 3; 0 turns retries off. The rerun that follows a short row
// count, to find which keys still have rows, is not one of them. Only a
// transaction the session began itself is retried. Hooks run again in a
// retried transaction (see BeforeDeleter); WithoutHookRetries stops that.
// A negative n is invalid.
func WithRetries(n int) Option {
	return func(s *Session) {
		if s.nonNegative("WithRetries", int64(n), "no retries") {
			s.retries = n
		}
	}
}

// WithoutHookRetries turns retries off for a Commit whose models, or the
// models their relations reach, have BeforeDelete or AfterDelete hooks:
// for hooks with effects outside the transaction that must not repeat.
func WithoutHookRetries() Option {
	return func(s *Session) { s.hookRetries = false }
}

// WithoutSchemaIntrospection stops the session from reading the database's
// catalog; deletes are then ordered by the declared Relations alone, and
// relations and model keys are not checked against the schema. Only the Go
// types of a relation's fields are checked: a foreign key that in fact
// references another column of the parent, of the same type as the
// declared one, is followed as if it referenced the declared one.
func WithoutSchemaIntrospection() Option {
	return func(s *Session) { s.introspect = false }
}

// WithCatalog shares c, the catalog read of one database, between
// sessions, so that it is read once rather than once per session.
func WithCatalog(c *Catalog) Option {
	return func(s *Session) {
		if c == nil {
			s.optErr(fmt.Errorf("%w: WithCatalog(nil)", ErrInvalidValue))
			return
		}
		s.catalog = c
	}
}

// WithMaxRows makes a Commit (or Flush) fail with a *TooManyRowsError
// (errors.Is ErrTooManyRows) as soon as it has touched more than n rows in
// all: deleted, soft-deleted or set to NULL, cascades included. Everything
// is rolled back and the work stays pending. It catches a filter that is
// true for every row, which no analysis of its SQL can always tell. 0
// means no limit; a negative n is invalid. See also TypedQuery.AtMost.
func WithMaxRows(n int64) Option {
	return func(s *Session) {
		if s.nonNegative("WithMaxRows", n, "no limit") {
			s.maxRows = n
		}
	}
}

// WithDatabaseClock stamps soft deletes with the database's clock rather
// than the application's: a Commit that soft-deletes rows first reads the
// database's current time (UTC), and stamps every row, and the objects in
// memory, with it. Use it when servers' clocks may disagree.
func WithDatabaseClock() Option {
	return func(s *Session) { s.dbClock = true }
}

// WithScope scopes the session to one value of a column, typically a
// tenant: every statement on a model whose field is tagged
// `db:"column,scope"` gets AND column = value, object deletes, bulk
// deletes, cascades, SetNull updates, Restrict checks and reads alike. A
// key of another tenant then matches no row and comes back in
// CommitResult.Missing. Using a scoped model in a session without a scope
// for its column fails with ErrMissingScope and sends nothing.
func WithScope(column string, value any) Option {
	return func(s *Session) {
		if column == "" || value == nil {
			s.optErr(fmt.Errorf("%w: WithScope(%q, %v): want a column and a value", ErrInvalidValue, column, value))
			return
		}
		if s.scopes == nil {
			s.scopes = make(map[string]any)
		}
		s.scopes[column] = value
	}
}

// nonNegative reports whether option's n is valid, recording the error
// when it is negative; zero means zeroMeans.
func (s *Session) nonNegative(option string, n int64, zeroMeans string) bool {
	if n < 0 {
		s.optErr(fmt.Errorf("%w: %s(%d): want 0 (%s) or more", ErrInvalidValue, option, n, zeroMeans))
	}
	return n >= 0
}

// optErr records the first invalid option.
func (s *Session) optErr(err error) {
	if s.err == nil {
		s.err = err
	}
}
