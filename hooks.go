package typeddelete

import "context"

// BeforeDeleter is implemented by models that act before their row is
// deleted. BeforeDelete runs inside the Commit's transaction, on the
// object, once per row about to be deleted or soft-deleted: for object
// deletes (the registered object), bulk deletes and cascaded deletes (the
// row, loaded and locked), never for a key that matched no row. Once the
// whole Commit is planned, hooks run in delete order: children's before
// their parents', each right before the statement that deletes its row.
//
// tx is the transaction (a *sql.Tx, or the caller's for a session on a
// *sql.Tx), so the hook can write an audit row in it, with sqlc-generated
// queries too; the hook must not call the Session. An error rolls back the
// whole Commit; so does a panic, which Commit raises again after the
// rollback. When the database aborts the transaction on a deadlock and the
// Commit retries (WithRetries), the hook runs again in the new transaction;
// its writes through tx were rolled back with the old one, anything else it
// did was not. HookInfoFrom(ctx) tells a soft delete from a hard one, and
// the attempt.
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
