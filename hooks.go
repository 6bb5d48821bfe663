package typeddelete

import (
	"context"
	"fmt"
)

// BeforeDeleter is implemented by models that act before their row is
// deleted. BeforeDelete runs inside the Commit's transaction, on the loaded
// object, once per row about to be deleted: for object deletes, for bulk
// deletes and for cascaded deletes (which then load the matched rows), and
// never for a row that no longer exists. tx is the transaction, so the hook
// can write an audit row in it; the hook must not call the Session. An
// error rolls back the whole Commit.
//
// The key of a deleted object is the one it had when registered (or when
// loaded, for bulk and cascaded deletes); a hook that changes the primary
// key does not change which row is deleted.
type BeforeDeleter interface {
	BeforeDelete(ctx context.Context, tx Executor) error
}

// AfterDeleter is implemented by models that act after their row is
// deleted. AfterDelete runs inside the Commit's transaction once per row
// that was actually deleted, never for a key that matched no row. An error
// rolls back the whole Commit.
type AfterDeleter interface {
	AfterDelete(ctx context.Context, tx Executor) error
}

// runHooks calls BeforeDelete (before true) or AfterDelete on each object.
// Rows known only by key have no object and no hooks to run.
func runHooks(ctx context.Context, tx Executor, m *model, objs []objRef, before bool) error {
	for _, o := range objs {
		var err error
		if before {
			if h, ok := o.object().(BeforeDeleter); ok {
				err = h.BeforeDelete(ctx, tx)
			}
		} else if h, ok := o.object().(AfterDeleter); ok {
			err = h.AfterDelete(ctx, tx)
		}
		if err != nil {
			which := "AfterDelete"
			if before {
				which = "BeforeDelete"
			}
			return fmt.Errorf("typeddelete: %s of %q key %v: %w", which, m.table, m.keyParts(o.key), err)
		}
	}
	return nil
}
