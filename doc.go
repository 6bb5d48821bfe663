// Package typeddelete deletes rows the unit-of-work way, on top of
// database/sql.
//
// A Session collects pending deletes and sends them all at Commit, in one
// transaction:
//
//	sess := typeddelete.NewSession(db)
//	user, err := typeddelete.Query[User](sess).FilterBy("id", 1).First(ctx)
//	err = sess.Delete(user) // pending, no SQL yet
//	age := typeddelete.Col(func(u *User) *int { return &u.Age })
//	_, err = typeddelete.Query[User](sess).Filter(age.Gt(30)).Delete() // pending bulk delete
//	err = sess.Commit(ctx) // one transaction, batched
//
// # Models
//
// A model is a struct. Its table is TableName() when the type has that
// method, else the snake_case plural of the type name (User → users,
// Category → categories). A field's column is its db tag, else the
// snake_case of its name; `db:"-"` skips a field and embedded structs are
// flattened. The primary key is the fields tagged `db:",pk"` (several make a
// composite key), else the field named ID. The tag option version marks an
// optimistic-locking column (a delete matches the version as loaded), and
// softdelete a nullable time that turns deletes into an UPDATE of it (reads
// then skip such rows unless Unscoped; HardDelete removes them). Metadata
// is computed once per type and cached.
//
// A parent model declares its children with Relations and HasMany, with a
// policy (Restrict, Cascade, SetNull or Database). BeforeDelete and
// AfterDelete hooks run inside the transaction.
//
// # Typed columns and predicates
//
// Col maps a field accessor to its column. The Column it returns is typed by
// model and value: its predicates (Eq, Ne, Gt, Ge, Lt, Le, In, NotIn,
// Between, IsNull, NotNull, and Like for strings) only fit queries of the
// same model and only take values of the field's type, so mistakes fail to
// compile. And, Or and Not combine predicates; Raw wraps any squirrel
// expression. In with no values matches no row, NotIn with no values every
// row. Values are always bound parameters; identifiers come from model
// metadata and are quoted.
//
// # Commit
//
//   - Nothing is sent before Flush or Commit, reads aside; a Commit with
//     nothing pending sends nothing, not even BEGIN.
//   - On a *sql.DB or *sql.Conn each Commit runs in one transaction. On a
//     caller's *sql.Tx it runs inside a savepoint and the caller commits.
//   - Object deletes are deduplicated by table and key, grouped by table and
//     sent as DELETE ... WHERE pk IN (...) with keys sorted, in batches
//     under the dialect's bind-parameter limit (on PostgreSQL through pgx,
//     as pk = ANY($1) with one array). Composite keys are matched as row
//     values.
//   - Object deletes registered before a bulk delete are sent before it,
//     those registered after it, after, except that a table that references
//     another (through Relations or the database's foreign keys) is deleted
//     from first.
//   - Row counts are checked: when a batch deletes fewer rows than it has
//     keys, the transaction is rerun in a mode that finds exactly which
//     keys matched no row. LastCommit reports them; with
//     WithStrictRowCounts they fail the Commit with a *StaleDataError.
//   - Any failure rolls everything back and keeps the work pending.
//     Foreign-key violations, lock timeouts, serialization failures and
//     transactions too large for the database match ErrForeignKey,
//     ErrLockTimeout, ErrSerialization and ErrTransactionTooLarge; a
//     transaction of the session's own that the database aborts on a
//     deadlock or a write conflict, at a statement or at COMMIT, is run
//     again (WithRetries).
//   - A Session is safe for concurrent use.
//
// SQL is built with github.com/Masterminds/squirrel. The dialect (SQLite,
// PostgreSQL or MySQL) is detected from the driver or set with WithDialect.
package typeddelete
