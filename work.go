package typeddelete

import (
	"reflect"
	"slices"
	"sync"
	"unsafe"
)

// item is one piece of registered work: a run of object deletes registered
// one after another, or one bulk delete. Items run in registration order,
// except where foreign keys need another order (see orderUnits).
type item struct {
	objs []*objBatch // the run's objects, one batch per model and mode
	bulk *bulkOp
}

// mode is what registered work does to its rows.
type mode uint8

const (
	modeDelete  mode = iota // Delete: soft-delete where the model can, else delete
	modeHard                // HardDelete: delete soft-deletable rows for real
	modeRestore             // Restore: undo soft deletes
)

// objBatch is the objects of one model registered in one run with one
// mode. Keys are held unboxed; versions and object pointers are kept only
// for the models that need them.
type objBatch struct {
	m    *model
	mode mode
	keys keyList
	vers []int64          // the version of each object, for a versioned model
	ptrs []unsafe.Pointer // each object, for a model with hooks or a soft-delete field
}

// keepsObjects reports whether a batch of m keeps object pointers: hooks
// run on them, and a soft delete or a restore writes the soft-delete
// field back into them.
func keepsObjects(m *model) bool { return m.before || m.after || m.softDelete != nil }

// keysOnly reports whether a batch of m holds its keys alone: no versions
// to check and no objects to keep, so its vers and ptrs stay nil.
func keysOnly(m *model) bool { return m.version == nil && !keepsObjects(m) }

// add appends the object at p with key k and version ver.
func (b *objBatch) add(k any, ver int64, p unsafe.Pointer) {
	b.keys.add(k)
	if b.m.version != nil {
		b.vers = append(b.vers, ver)
	}
	if keepsObjects(b.m) {
		b.ptrs = append(b.ptrs, p)
	}
}

// truncate keeps the first n objects.
func (b *objBatch) truncate(n int) {
	b.keys.truncate(n)
	if b.vers != nil {
		b.vers = b.vers[:n]
	}
	if b.ptrs != nil {
		b.ptrs = b.ptrs[:n]
	}
}

// clone returns a copy that shares no memory with b.
func (b *objBatch) clone() *objBatch {
	c := &objBatch{m: b.m, mode: b.mode, keys: b.keys.clone()}
	c.vers = slices.Clone(b.vers)
	c.ptrs = slices.Clone(b.ptrs)
	return c
}

// sortedCopy returns a copy of b sorted by key, without repeated keys
// (the first registration wins), so that concurrent commits lock rows in
// one order. b stays as it was. Its keys are copied once: sorted in the
// copy, or read in order into it. Its caller has found them unsorted, so
// it does not check that again.
func (b *objBatch) sortedCopy() *objBatch {
	if keysOnly(b.m) && (b.keys.kind == intKeys || b.keys.kind == strKeys) {
		c := b.clone()
		slices.Sort(c.keys.ints)
		c.keys.ints = slices.Compact(c.keys.ints)
		slices.Sort(c.keys.strs)
		c.keys.strs = slices.Compact(c.keys.strs)
		return c
	}
	c := &objBatch{m: b.m, mode: b.mode, keys: b.keys}
	kept := c.keys.sortUnique() // into new arrays: b's stay as they were
	if kept == nil {
		return b.clone() // sorted after all: nothing was copied
	}
	c.vers, c.ptrs = b.vers, b.ptrs
	c.permute(kept)
	return c
}

// permute keeps, in this order, the versions and objects at kept, in new
// slices.
func (b *objBatch) permute(kept []int) {
	if b.vers != nil {
		vers := make([]int64, len(kept))
		for i, k := range kept {
			vers[i] = b.vers[k]
		}
		b.vers = vers
	}
	if b.ptrs != nil {
		ptrs := make([]unsafe.Pointer, len(kept))
		for i, k := range kept {
			ptrs[i] = b.ptrs[k]
		}
		b.ptrs = ptrs
	}
}

// filter keeps the objects for which keep(i) is true.
func (b *objBatch) filter(keep func(i int) bool) {
	c := &objBatch{m: b.m, mode: b.mode, keys: b.keys.empty()}
	for i := 0; i < b.keys.len(); i++ {
		if !keep(i) {
			continue
		}
		c.keys.addFrom(&b.keys, i)
		if b.vers != nil {
			c.vers = append(c.vers, b.vers[i])
		}
		if b.ptrs != nil {
			c.ptrs = append(c.ptrs, b.ptrs[i])
		}
	}
	*b = *c
}

// object returns object i as a *T, or nil when the batch keeps none.
func (b *objBatch) object(i int) any {
	if b.ptrs == nil || b.ptrs[i] == nil {
		return nil
	}
	return reflect.NewAt(b.m.typ, b.ptrs[i]).Interface()
}

// bulkOp is one bulk delete registered with TypedQuery.Delete.
type bulkOp struct {
	m         *model
	preds     []expr // the filter, rendered at Commit into where, args and none
	where     string
	args      []any
	none      bool // the filter matches no row: nothing is sent
	all       bool // AllRows: an always-true filter deletes every row
	mode      mode
	skipHooks bool  // do not load rows to run hooks
	returning bool  // keep the deleted rows for the handle
	atMost    int64 // AtMost limit; 0 for none
	handle    *Deletion
	fixed     *objBatch // rows fixed by key and already locked (a Purge chunk), or nil
	archive   string    // table the rows are copied to before they are deleted, or ""
}

// Deletion is the handle of a bulk delete registered with
// TypedQuery.Delete. It tells how many rows the delete removed once a
// Flush or Commit sent it. It is safe for concurrent use.
type Deletion struct {
	table string
	mu    sync.Mutex
	rows  int64
	done  bool
	objs  []any // the deleted rows, for DeleteReturning
}

// Table returns the table the delete removes rows from.
func (d *Deletion) Table() string { return d.table }

// RowsAffected returns the number of rows the delete removed (or
// soft-deleted) and true, once a Flush or Commit has sent it; 0 and false
// before that, or after a Rollback or failed Commit undid it. Rows its
// relations reached are not counted: see CommitResult.
func (d *Deletion) RowsAffected() (int64, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rows, d.done
}

func (d *Deletion) set(n int64, done bool, objs []any) {
	d.mu.Lock()
	d.rows, d.done, d.objs = n, done, objs
	d.mu.Unlock()
}

// releaseKeys gives the key arrays of the items' batches back for reuse,
// once a Commit or Rollback is done with them.
func releaseKeys(items []item) {
	for _, it := range items {
		for _, b := range it.objs {
			b.keys.release()
		}
	}
}

// resetHandles marks the bulk deletes of items as not sent.
func resetHandles(items []item) {
	for _, it := range items {
		if it.bulk != nil {
			it.bulk.handle.set(0, false, nil)
		}
	}
}

// Returned is the handle of a bulk delete registered with DeleteReturning.
type Returned[T any] struct {
	*Deletion
}

// Rows returns the rows the delete removed, as they were just before, once
// a Flush or Commit sent it; nil before.
func (r *Returned[T]) Rows() []*T {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*T, len(r.objs))
	for i, o := range r.objs {
		out[i] = o.(*T)
	}
	return out
}
