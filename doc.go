// Package typeddelete deletes rows the unit-of-work way, on top of
// database/sql.
//
// A Session collects pending deletes and sends them all at Commit, in one
// transaction, ordered so that foreign keys hold, in as few statements as
// the database allows, with every row count checked:
//
//	sess := typeddelete.NewSession(db)
//	user, err := typeddelete.Query[User](sess).FilterBy("id", 1).First(ctx)
//	err = sess.Delete(user) // pending, no SQL yet
//	age := typeddelete.Col(func(u *User) *int { return &u.Age })
//	_, err = typeddelete.Query[User](sess).Filter(age.Gt(30)).Delete() // pending bulk delete
//	err = sess.Commit(ctx) // one transaction, ordered, batched
//
// # Models
//
// A model is a struct. Its table is TableName() when the type has that
// method, else the snake_case plural of the type name (User → users). A
// field's column is its db tag, else the snake_case of its name; `db:"-"`
// skips a field and embedded structs are flattened. The primary key is the
// fields tagged `db:",pk"` (several make a composite key), else the field
// named ID. Tag options mark special columns: version (optimistic locking:
// a delete matches the version the object had when Delete registered it),
// softdelete (see below), deletedkey (set to the key on soft delete, for
// unique indexes) and scope (a tenant column; see WithScope).
//
// # Relations
//
// A parent model declares its children with Relations: HasMany for a
// foreign key, ManyToMany for a join table, References when the foreign
// key references a unique column rather than the primary key. A policy
// says what deleting the parent does to the children: Restrict or Protect
// refuse, Cascade deletes them, SetNull, SetDefault and SetValue change
// their foreign key first, Database leaves them to the database's ON
// DELETE. Children a delete cascades to through several relations of one
// table are deleted in one statement that ORs the relations' conditions
// on PostgreSQL (PostgresDialect), which runs it faster, and in one
// statement per relation elsewhere, where it does not. Tables that
// reference each other are deleted when one reference is declared
// SetNull, SetDefault or SetValue: it is cleared first; other cycles fail
// with ErrCycle.
//
// # Soft delete
//
// Delete on a model with a softdelete field stamps it with the time the
// Commit started (or the database's, WithDatabaseClock), the same stamp
// for every row of the Commit, Cascade children included, and writes it
// back to the objects. The field is a nullable time (*time.Time,
// sql.NullTime: NULL is live), a time.Time (the zero time is live) or an
// integer of Unix seconds (0 is live). Reads skip soft-deleted rows;
// Unscoped reads all rows, OnlyDeleted the soft-deleted ones. HardDelete
// removes rows for real. Restore brings soft-deleted rows back, with the
// children a Cascade soft-deleted with the same stamp.
//
// A soft delete removes no row, so it changes only soft-deletable rows:
// Cascade children that are not soft-deletable are left as they are,
// SetNull, SetDefault and SetValue do not run, and the database's ON
// DELETE does not fire. Restrict and Protect still refuse; on a soft
// delete only live children count, on a hard delete Restrict counts
// soft-deleted children as well, since their rows still exist.
// Soft-deleting a row already soft-deleted matches no row, and its key is
// reported missing (CommitResult.Missing, or ErrStaleData in strict
// mode). A hard delete removes rows whether soft-deleted or not and runs
// the policies a soft delete skipped. Hooks run on soft deletes too;
// HookInfo.Soft tells which kind of delete a hook runs in.
//
// # Typed columns and predicates
//
// Col maps a field accessor to its column. The Column it returns is typed by
// model and value: its predicates only fit queries of the same model and
// only take values of the field's type, so mistakes fail to compile. And,
// Or and Not combine predicates; Raw wraps any squirrel expression. Values
// are always bound parameters, except integer keys the MySQL dialect writes
// into the statement itself; identifiers come from model metadata and are
// quoted.
//
// # How a Commit works
//
// A Commit runs in two halves, as Django's deletion Collector and
// SQLAlchemy's unit of work do. First the planner turns the pending work
// and the database's catalog into a plan, before BEGIN: per unit of work (the
// object deletes of one model, or one bulk delete or restore), the tables
// its relations reach, what each policy contributes, and an ordered list of
// steps. Each step is one statement, or one per batch of keys, with its
// table, its action (read, count, restrict check, update, delete, soft
// delete, restore) and the reason it is there. A bad declaration, a cycle
// or a missing scope fails here and nothing is sent. Then the sender sends
// the steps in order and decides nothing:
//
//  1. Reads fix the rows before anything changes, locked where the database
//     locks (FOR UPDATE): the rows a bulk filter matches, the children a
//     relation reaches, the descendants of a tree. A table whose rows
//     nothing else needs is not read; its rows are deleted set-based. A
//     bulk filter matches the rows it matched when the Commit began,
//     whatever other work goes before it: its rows are read before any
//     unit writes, unless its filter reads only its own row and no unit
//     before it updates its table. Flush first to filter on what other
//     deletes leave.
//  2. Checks: Restrict and Protect, and the children a SetNull, SetDefault
//     or SetValue relation will update.
//  3. Writes, children first: updates of foreign keys, then hooks and the
//     DELETE (or soft-delete UPDATE) of each table.
//
// Units go in registration order, except that a unit goes first when
// another unit needs its rows gone: its table references the other's, it
// deletes the Restrict or Protect children (or children by a foreign key
// of the catalog) the other leaves in place, or, where no cycle forbids
// it, it deletes rows the other would set a foreign key of. So what a
// Commit deletes does not depend on the order its work was registered in,
// and hooks run in delete order, children before parents.
//
// Keys travel in batches under the dialect's limits (pk = ANY($1) with one
// array on PostgreSQL through pgx, from 1,000 keys in a scalar subquery
// the planner does not estimate key by key, integer literals on MySQL, bound
// parameters elsewhere; on MariaDB, integer keys that fill their range
// closely as a scan of it, pk BETWEEN lo AND hi AND pk + 0 IN (...),
// which spares its optimizer one range per key); a statement text sent
// more than once in one transaction (the full batches of a step, say) is
// prepared once. When a batch of registered keys deletes fewer rows than
// it has keys, the transaction is rolled back and run again in a precise
// mode that reads which keys exist first, so LastCommit names exactly the
// keys that matched no row. Any failure rolls everything back and keeps the work
// pending. Foreign-key violations, lock timeouts, serialization
// failures and transactions too large for the database match
// ErrForeignKey, ErrLockTimeout, ErrSerialization and
// ErrTransactionTooLarge; a transaction of the session's own that the
// database aborts on a deadlock or a write conflict, at a statement or at
// COMMIT, runs again (WithRetries).
//
// Preview runs the same plan in a transaction that is rolled back, sending
// the reads and counting what each write would touch, so it shows exactly
// what Commit would do. AtMost and WithMaxRows cap the rows a Commit may
// touch, cascades included.
//
// # Large deletes
//
// One transaction is right for a unit of work and wrong for retention
// deletes of millions of rows. TypedQuery.Purge deletes the rows a query
// matches in chunks, each chunk its own Commit of its rows (cascades,
// hooks, soft delete and all), walking the primary key, with a cursor to
// resume from, a pause between chunks, a time budget and progress. Where
// a chunk's plan is only its own DELETE and the key one integer column,
// the later chunks are one statement that picks its rows and returns their
// keys, on the dialects that have one (SQLite, PostgreSQL, MariaDB).
//
// # Sessions in a service
//
// A Session is one unit of work: make one per request (Run does it for a
// function), never one for the whole server, and do not share one across
// requests. Its methods are safe for concurrent use, but goroutines
// sharing a session share its pending work, its open transaction and
// LastCommit. Share a Catalog between sessions instead (WithCatalog) so
// that the database's catalog is read once.
//
// Delete holds one-column integer and string keys unboxed, one array per
// table, and allocates nothing per object. Commit and Rollback give those
// arrays back to a pool the next sessions take them from, so a service
// registering keys one Delete at a time mostly appends into arrays already
// grown; arrays of more than 65,536 keys go to the collector. A Preview
// reads its own copy of the keys.
//
// SQL is built with github.com/Masterminds/squirrel. The dialect (SQLite,
// PostgreSQL or MySQL) is detected from the driver or set with WithDialect.
package typeddelete
