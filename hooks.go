package typeddelete

import (
	"context"
	"database/sql"
)

// BeforeDeleter is implemented by models that act before their row is
// deleted. BeforeDelete runs inside the Commit's transaction, on the
// object, once per row about to be deleted or soft-deleted: for object
// deletes (the registered object), bulk deletes and cascaded deletes (the
// row, loaded and locked), never for a key that matched no row. Once the
// whole Commit is planned, hooks run in delete order: children's before
// their parents', each right before the statement that deletes its row.
//
// tx sends statements in the Commit's transaction (the session's own, or
// the caller's for a session on a *sql.Tx; tx is not the *sql.Tx itself),
// so the hook can write an audit row in it, with sqlc-generated queries
// too; the hook must not call the Session. An error rolls back the whole Commit; so does a panic, which
// Commit raises again after the rollback, also one in a Valuer of an
// argument passed to tx's ExecContext, QueryContext or QueryRowContext. A
// statement from tx.PrepareContext is database/sql's own: a panic inside
// it leaves the transaction locked, and the Commit then gives the
// transaction and its connection up rather than wait for a rollback that
// cannot run. A deadlock or serialization failure the hook returns from
// its statements, wrapped or not, is ErrSerialization as the Commit's own
// are. When the database aborts the transaction on one and the Commit
// retries (WithRetries, unless WithoutHookRetries), the hook runs again in
// the new transaction; its writes through tx were rolled back with the old
// one, anything else it did was not. HookInfoFrom(ctx) tells a soft delete from
// a hard one, and the attempt.
type BeforeDeleter interface {
	BeforeDelete(ctx context.Context, tx DBTX) error
}

// AfterDeleter is implemented by models that act after their row is
// deleted. AfterDelete runs inside the Commit's transaction once per row
// that was actually deleted, right after the statement that deleted it,
// never for a key that matched no row; otherwise as BeforeDelete.
type AfterDeleter interface {
	AfterDelete(ctx context.Context, tx DBTX) error
}

// HookInfo tells a hook about the delete it runs in.
type HookInfo struct {
	Soft    bool // the row is soft-deleted, not deleted
	Attempt int  // the Commit's attempt, 1 unless it retried after a deadlock
}

type hookInfoKey struct{}

// withHookInfo returns ctx carrying info.
func withHookInfo(ctx context.Context, info HookInfo) context.Context {
	return context.WithValue(ctx, hookInfoKey{}, info)
}

// HookInfoFrom returns the HookInfo of the context a hook receives; ok is
// false outside a hook.
func HookInfoFrom(ctx context.Context) (info HookInfo, ok bool) {
	info, ok = ctx.Value(hookInfoKey{}).(HookInfo)
	return info, ok
}

// hookTx is the tx a hook receives: the Commit's transaction, with the
// arguments of its statements made safe as the session's own are (see
// safeArgs), so that a panic in a Valuer leaves database/sql before it is
// raised again, and the rollback that follows does not wait forever.
type hookTx struct{ DBTX }

// ExecContext sends a statement in the transaction.
func (h hookTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := h.DBTX.ExecContext(ctx, query, safeArgs(args)...)
	repanic(err)
	return res, err
}

// QueryContext sends a query in the transaction.
func (h hookTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := h.DBTX.QueryContext(ctx, query, safeArgs(args)...)
	repanic(err)
	return rows, err
}

// QueryRowContext sends a query for one row in the transaction.
func (h hookTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	row := h.DBTX.QueryRowContext(ctx, query, safeArgs(args)...)
	repanic(row.Err())
	return row
}
