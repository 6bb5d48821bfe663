package typeddelete

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"time"
	"unsafe"

	sq "github.com/Masterminds/squirrel"
)

// savepoint is the savepoint a session sets in a caller's transaction so
// that a failed Commit or Flush undoes only its own work.
const savepoint = "typeddelete_unit"

// Session is one unit of work for deletes. Session.Delete and
// TypedQuery.Delete register pending work and send nothing; Flush sends it
// inside the session's transaction; Commit sends the rest and commits, all
// or nothing. After Commit or Rollback the session holds nothing and may
// be used for the next unit of work.
//
// Its methods are safe to call from several goroutines, but they all share
// its pending work: in a server, make one Session per request (or use
// Run), never one for the whole server. NewSession costs a few small
// allocations; share a Catalog between sessions (WithCatalog) so that the
// database's catalog is read once.
type Session struct {
	db          DBTX
	dialect     *Dialect
	logger      *slog.Logger
	redact      bool
	strict      bool
	batch       int
	retries     int
	txOptions   *sql.TxOptions // WithTxOptions; nil: the dialect's
	hookRetries bool
	introspect  bool
	catalog     *Catalog
	maxRows     int64
	scopes      map[string]any
	dbClock     bool
	err         error // set by NewSession when the session cannot work

	mu       sync.Mutex
	pending  []item        // registered, not yet sent
	flushed  []item        // sent by Flush in the open transaction
	tx       *sql.Tx       // the session's own transaction, open after Flush
	inUnit   bool          // savepoint set in the caller's transaction
	flushRes *CommitResult // what the flushes of the open transaction did
	stamped  []stamp       // soft-deleted objects, stamped once committed
	last     CommitResult
	attempt  int // attempt of the transaction being sent, from 1
	retried  int // retries after serialization failures, at most retries

	fastType  reflect.Type // the pointer type of the last model registered...
	fastBatch *objBatch    // ...and the batch its objects go to
	fastMode  mode
}

// NewSession returns a session over db: a *sql.DB, *sql.Conn or *sql.Tx.
// The dialect is detected from the driver unless WithDialect is given.
// When it cannot be, or an option is invalid, every method of the session
// returns the error (wrapping ErrUnknownDialect or ErrInvalidValue);
// NewSession itself never fails.
func NewSession(db DBTX, opts ...Option) *Session {
	s := &Session{db: db, introspect: true, retries: 3, hookRetries: true}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	if s.catalog == nil {
		s.catalog = NewCatalog()
	}
	switch {
	case s.err != nil:
	case db == nil || reflect.ValueOf(db).Kind() == reflect.Pointer && reflect.ValueOf(db).IsNil():
		s.err = errors.New("typeddelete: NewSession: nil database")
	case s.dialect == nil:
		s.dialect, s.err = detectDialect(db)
	case !s.dialect.valid():
		s.err = fmt.Errorf("%w: WithDialect got a Dialect not made by SQLiteDialect, PostgresDialect, PostgresINDialect or MySQLDialect", ErrUnknownDialect)
	default:
		// A dialect given for a driver the package knows must match it;
		// for one it does not know (detection fails), the caller's
		// dialect is all there is.
		if found, err := detectDialect(db); err == nil && found.name != s.dialect.name {
			s.err = fmt.Errorf("%w: WithDialect(%s) on a %s database", ErrDialectMismatch, s.dialect.name, found.name)
		}
	}
	return s
}

// Run runs fn with a new session over db and commits what fn registered:
// the unit-of-work pattern of a request handler. When fn returns an error
// or panics, nothing is sent (or what fn flushed is rolled back) and Run
// returns the error, joined with the rollback's own error if it fails, or
// panics again. It returns what the Commit did.
func Run(ctx context.Context, db DBTX, fn func(*Session) error, opts ...Option) (CommitResult, error) {
	s := NewSession(db, opts...)
	if s.err != nil {
		return CommitResult{}, s.err
	}
	done := false
	defer func() {
		if !done {
			// fn panicked: the panic goes on, and a failed rollback
			// cannot be returned; the logger has it.
			_ = s.Rollback(ctx)
		}
	}()
	err := fn(s)
	if err == nil {
		err = s.Commit(ctx)
	}
	done = true
	if err != nil {
		if rerr := s.Rollback(ctx); rerr != nil {
			return CommitResult{}, errors.Join(err, rerr)
		}
		return CommitResult{}, err
	}
	return s.LastCommit(), nil
}

// Dialect returns the session's dialect, or nil if it has none.
func (s *Session) Dialect() *Dialect { return s.dialect }

// CommitResult tells what a Commit did, the Flushes before it included.
type CommitResult struct {
	Statements  int              // statements sent, transaction control excluded
	Deleted     map[string]int64 // rows deleted per table, cascades included
	SoftDeleted map[string]int64 // rows soft-deleted per table
	// Updated counts, per table, the rows whose foreign key a SetNull,
	// SetDefault or SetValue relation changed.
	Updated  map[string]int64
	Restored map[string]int64 // soft-deleted rows restored per table
	Missing  []MissingKey     // registered keys that matched no row
}

// MissingKey names one row by table and primary key.
type MissingKey struct {
	Table string
	Key   []any // primary-key values in column order, of the key fields' types
}

// newResult returns an empty CommitResult.
func newResult() *CommitResult {
	r := &CommitResult{}
	for _, m := range r.tables() {
		*m = map[string]int64{}
	}
	return r
}

// tables returns the per-table counts of r.
func (r *CommitResult) tables() [4]*map[string]int64 {
	return [...]*map[string]int64{&r.Deleted, &r.SoftDeleted, &r.Updated, &r.Restored}
}

func (r *CommitResult) addDeleted(t string, n int64)     { addCount(r.Deleted, t, n) }
func (r *CommitResult) addSoftDeleted(t string, n int64) { addCount(r.SoftDeleted, t, n) }
func (r *CommitResult) addUpdated(t string, n int64)     { addCount(r.Updated, t, n) }
func (r *CommitResult) addRestored(t string, n int64)    { addCount(r.Restored, t, n) }

func addCount(m map[string]int64, t string, n int64) {
	if n != 0 {
		m[t] += n
	}
}

// add adds what o did to r.
func (r *CommitResult) add(o *CommitResult) {
	r.Statements += o.Statements
	mine := r.tables()
	for i, m := range o.tables() {
		for t, n := range *m {
			addCount(*mine[i], t, n)
		}
	}
	r.Missing = append(r.Missing, o.Missing...)
}

// since returns what r did beyond before, an earlier copy of it.
func (r *CommitResult) since(before *CommitResult) *CommitResult {
	d := newResult()
	d.Statements = r.Statements - before.Statements
	out, prev := d.tables(), before.tables()
	for i, m := range r.tables() {
		for t, n := range *m {
			addCount(*out[i], t, n-(*prev[i])[t])
		}
	}
	d.Missing = r.Missing[len(before.Missing):]
	return d
}

// clone returns a copy of r that shares no memory with it.
func (r CommitResult) clone() CommitResult {
	c := *newResult()
	c.add(&r)
	return c
}

// LastCommit returns what the last successful Commit did, including the
// Flushes before it. It is the zero CommitResult before the first Commit.
func (s *Session) LastCommit() CommitResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last.Deleted == nil {
		return CommitResult{}
	}
	return s.last.clone()
}

// Pending reports how many object deletes and bulk deletes are registered
// and not yet sent.
func (s *Session) Pending() (objects, bulk int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range s.pending {
		if it.bulk != nil {
			bulk++
		}
		for _, b := range it.objs {
			objects += b.keys.len()
		}
	}
	return objects, bulk
}

// Delete registers objects for deletion at the next Flush or Commit; it
// sends nothing. Each argument is a non-nil pointer to a model struct, or a
// slice of them. Delete checks every object first and registers none when
// one is invalid: nil, not a pointer to a struct, a model with no primary
// key (ErrInvalidModel) or with invalid relations (ErrInvalidRelation), or
// a zero key (ErrNotPersisted). The key, and the version of a versioned
// model, are read now: later changes to the object do not change which row
// is deleted, or which version it must still have. Objects of a
// soft-deletable model are soft-deleted; see HardDelete. Deleting an
// object again in a later Commit sends its DELETE again, which then
// matches no row (CommitResult.Missing).
func (s *Session) Delete(objs ...any) error {
	return s.register(modeDelete, objs)
}

// Restore registers soft-deleted objects to be restored at the next Flush
// or Commit; it sends nothing. Each argument is a non-nil pointer to a
// soft-deletable model struct, or a slice of them, checked as Delete
// checks them (a model that is not soft-deletable is ErrInvalidModel).
// The Commit restores the rows that are soft-deleted, with the rows of
// soft-deletable children a Cascade reached with the same stamp, and sets
// each object's soft-delete field back to its live value; a key that
// matches no soft-deleted row is reported in CommitResult.Missing. Hooks
// do not run.
func (s *Session) Restore(objs ...any) error {
	return s.register(modeRestore, objs)
}

// HardDelete is Delete that removes rows of soft-deletable models for real.
// For other models it is the same as Delete.
func (s *Session) HardDelete(objs ...any) error {
	return s.register(modeHard, objs)
}

func (s *Session) register(md mode, objs []any) error {
	if s.err != nil {
		return s.err
	}
	s.mu.Lock()
	if len(objs) == 1 && s.fastType != nil && md == s.fastMode {
		// The common call, one object of the model registered last: no
		// bookkeeping to undo, since only this object can fail.
		if t := reflect.TypeOf(objs[0]); t == s.fastType {
			if p := (*[2]unsafe.Pointer)(unsafe.Pointer(&objs[0]))[1]; p != nil {
				err := s.addFast(s.fastBatch, p)
				s.mu.Unlock()
				if err != nil {
					return wrapError("Delete argument 0", err)
				}
				return nil
			}
		}
	}
	defer s.mu.Unlock()
	if n := len(s.pending); n == 0 || s.pending[n-1].bulk != nil {
		s.pending = append(s.pending, item{})
		s.fastType = nil
	}
	it := &s.pending[len(s.pending)-1]
	// Remember the sizes so that an invalid object registers nothing.
	nBatches := len(it.objs)
	sizes := make([]int, nBatches)
	for i, b := range it.objs {
		sizes[i] = b.keys.len()
	}
	for i, obj := range objs {
		if err := s.addObject(it, obj, md); err != nil {
			for j, b := range it.objs[:nBatches] {
				b.truncate(sizes[j])
			}
			it.objs = it.objs[:nBatches]
			s.fastType = nil
			if len(it.objs) == 0 {
				s.pending = s.pending[:len(s.pending)-1]
			}
			return wrapError(fmt.Sprintf("Delete argument %d", i), err)
		}
	}
	if len(it.objs) == 0 {
		s.pending = s.pending[:len(s.pending)-1]
	}
	return nil
}

// addObject appends obj, or each element of a slice obj, to the run.
func (s *Session) addObject(it *item, obj any, md mode) error {
	t := reflect.TypeOf(obj)
	if t != nil && t == s.fastType && md == s.fastMode {
		// Fast path: another object of the model registered last, its key
		// read straight from memory.
		if p := (*[2]unsafe.Pointer)(unsafe.Pointer(&obj))[1]; p != nil {
			return s.addFast(s.fastBatch, p)
		}
	}
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		rv := reflect.ValueOf(obj)
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Pointer {
			// A slice of pointers, as Query.All returns: once an element
			// has made its model the fast one, the others' keys are read
			// straight from memory.
			n := rv.Len()
			elems := unsafe.Slice((*unsafe.Pointer)(rv.UnsafePointer()), n)
			for i := 0; i < n; {
				var err error
				switch p := elems[i]; {
				case p == nil:
					err = fmt.Errorf("%w: nil %s", ErrInvalidModel, t.Elem())
				case t.Elem() == s.fastType && md == s.fastMode:
					var added int
					added, err = s.addFastRun(s.fastBatch, elems[i:])
					i += added
					if err == nil {
						continue // at a nil element, or at the end
					}
				default:
					err = s.addObject(it, rv.Index(i).Interface(), md)
				}
				if err != nil {
					return inner(fmt.Sprintf("element %d", i), err)
				}
				i++
			}
			return nil
		}
		for i := 0; i < rv.Len(); i++ {
			if err := s.addObject(it, rv.Index(i).Interface(), md); err != nil {
				return inner(fmt.Sprintf("element %d", i), err)
			}
		}
		return nil
	}
	m, v, err := modelOf(obj)
	if err != nil {
		return err
	}
	if _, err := m.relations(); err != nil {
		return err
	}
	if err := s.checkScope(m); err != nil {
		return err
	}
	if err := s.dialect.checkIdent(m); err != nil {
		return err
	}
	req := md
	if md == modeRestore && m.softDelete == nil {
		return fmt.Errorf("%w: %s has no soft-delete field: there is nothing to restore", ErrInvalidModel, m.typ)
	}
	if md == modeHard && m.softDelete == nil {
		md = modeDelete // the same for a model that cannot soft-delete
	}
	b := batchFor(it, m, md)
	if m.intAt != nil || m.strAt != nil || m.tuple != nil {
		s.fastType, s.fastBatch, s.fastMode = t, b, req
		return s.addFast(b, v.Addr().UnsafePointer())
	}
	k, err := m.keyOf(v)
	if err != nil {
		return err
	}
	var ver int64
	if m.version != nil {
		ver = m.versionOf(v)
	}
	b.add(k, ver, v.Addr().UnsafePointer())
	return nil
}

// addFast appends the object at p of a model whose key is read straight
// from memory. Nothing is allocated per object.
func (s *Session) addFast(b *objBatch, p unsafe.Pointer) error {
	m := b.m
	switch m.bare {
	case bareInt64:
		k := *(*int64)(unsafe.Add(p, m.bareAt))
		if k == 0 {
			return m.zeroKey(0)
		}
		b.keys.ints = push(b.keys.ints, k)
		return nil
	case bareString:
		k := *(*string)(unsafe.Add(p, m.bareAt))
		if k == "" {
			return m.zeroKey(0)
		}
		b.keys.strs = push(b.keys.strs, k)
		return nil
	}
	switch {
	case m.intAt != nil:
		k := m.intAt(p)
		if k == 0 {
			return m.zeroKey(0)
		}
		b.keys.ints = push(b.keys.ints, k)
	case m.strAt != nil:
		k := m.strAt(p)
		if k == "" {
			return m.zeroKey(0)
		}
		b.keys.strs = push(b.keys.strs, k)
	default:
		if err := b.keys.addTuple(m, p); err != nil {
			return err
		}
	}
	if m.version != nil {
		b.vers = push(b.vers, m.versionOf(reflect.NewAt(m.typ, p).Elem()))
	}
	if keepsObjects(m) {
		b.ptrs = push(b.ptrs, p)
	}
	return nil
}

// push appends v to s, doubling the capacity when s is full: keys (and
// versions, objects) registered one Delete at a time are then copied about
// once as the slice grows, where append's growth of large slices by a
// quarter copies each about four times, and the collector rescans the
// copies of string keys and pointers each time.
func push[E any](s []E, v E) []E {
	if len(s) == cap(s) {
		s = slices.Grow(s, max(len(s), 16))
	}
	return append(s, v)
}

// addFastRun is addFast for the objects at ps, all of b's model, up to
// the first nil pointer: it makes room for them at once and, for a
// one-column key kept alone (no versions, no objects), checks once what
// addFast checks per object. It returns how many it added.
func (s *Session) addFastRun(b *objBatch, ps []unsafe.Pointer) (int, error) {
	m := b.m
	b.keys.grow(len(ps))
	var n int
	var zero bool
	switch m.bare {
	case bareInt64:
		b.keys.ints, n, zero = appendKeys(b.keys.ints, ps, m.bareAt)
	case bareString:
		b.keys.strs, n, zero = appendKeys(b.keys.strs, ps, m.bareAt)
	default:
		for i, p := range ps {
			if p == nil {
				return i, nil
			}
			if err := s.addFast(b, p); err != nil {
				return i, err
			}
		}
		return len(ps), nil
	}
	if zero {
		return n, m.zeroKey(0)
	}
	return n, nil
}

// appendKeys appends to keys the key of type K at offset off of each
// object at ps, up to the first nil pointer or zero key. It returns the
// keys, how many it appended, and whether it stopped at a zero key.
func appendKeys[K int64 | string](keys []K, ps []unsafe.Pointer, off uintptr) ([]K, int, bool) {
	var zero K
	for i, p := range ps {
		if p == nil {
			return keys, i, false
		}
		k := *(*K)(unsafe.Add(p, off))
		if k == zero {
			return keys, i, true
		}
		keys = append(keys, k)
	}
	return keys, len(ps), false
}

// addBulk registers a bulk delete; objects registered after it start a
// new run.
func (s *Session) addBulk(op *bulkOp) {
	s.mu.Lock()
	s.pending = append(s.pending, item{bulk: op})
	s.fastType = nil
	s.mu.Unlock()
}

// batchFor returns the run's batch for model m and mode md, adding it.
func batchFor(it *item, m *model, md mode) *objBatch {
	for _, b := range it.objs {
		if b.m == m && b.mode == md {
			return b
		}
	}
	b := &objBatch{m: m, mode: md, keys: newBatchKeys(m)}
	it.objs = append(it.objs, b)
	return b
}

// checkScope fails for a scoped model when the session has no scope for
// its column.
func (s *Session) checkScope(m *model) error {
	if m.scope == nil {
		return nil
	}
	if _, ok := s.scopes[m.scope.column]; !ok {
		return fmt.Errorf("%w: %s is scoped by %q, and the session has no WithScope(%q, ...)", ErrMissingScope, m.typ, m.scope.column, m.scope.column)
	}
	return nil
}

// scopeCond is the condition that a row of the scoped model m belongs to
// the session's scope.
func (s *Session) scopeCond(m *model) sq.Sqlizer {
	return sq.Expr(s.dialect.Quote(m.scope.column)+" = ?", s.scopes[m.scope.column])
}

// Flush sends the pending work inside the session's transaction, beginning
// it if needed, without committing. Later reads through the session see the
// result. On failure everything the open transaction did is rolled back and
// all of it is pending again.
func (s *Session) Flush(ctx context.Context) (err error) {
	if s.err != nil {
		return s.err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.recoverPanic(ctx)
	if len(s.pending) == 0 {
		return nil
	}
	s.retried = 0
	if err := s.send(ctx, 1); err != nil {
		return err
	}
	s.flushed = append(s.flushed, s.pending...)
	s.pending = nil
	s.fastType = nil
	return nil
}

// Commit sends all pending work in one transaction and commits it. With
// nothing pending it sends nothing, not even BEGIN. On any failure (a SQL
// error, a strict row-count failure, a limit, a cancelled context, a
// failed COMMIT) it rolls back, so the database is as it was before, and
// the work stays pending to retry or Rollback; a panic in a hook rolls
// back the same way and then panics again. A transaction of the session's
// own that the database aborts on a deadlock or serialization failure is
// first run again (see WithRetries). On a caller's *sql.Tx the work is
// wrapped in a savepoint and the caller commits the transaction.
func (s *Session) Commit(ctx context.Context) (err error) {
	if s.err != nil {
		return s.err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.recoverPanic(ctx)
	if len(s.pending) == 0 && !s.open() {
		// Nothing to send; a Flush may have settled deletes that match no
		// row without opening a transaction.
		s.last = *newResult()
		if s.flushRes != nil {
			s.last = *s.flushRes
		}
		releaseKeys(s.flushed)
		s.flushed, s.flushRes = nil, nil
		return nil
	}
	if err := ctx.Err(); err != nil && len(s.pending) == 0 {
		return s.abort(ctx, err)
	}
	s.retried = 0
	for attempt := 1; ; {
		if len(s.pending) > 0 {
			if err := s.send(ctx, attempt); err != nil {
				return err
			}
		}
		s.flushed = append(s.flushed, s.pending...)
		s.pending = nil
		err := s.finish(retrying(ctx, s.commitRetryable()))
		if err == nil {
			break
		}
		if attempt, err = s.retryCommit(ctx, wrapError("commit", err)); err != nil {
			return err
		}
	}
	s.last = *s.flushRes
	for _, st := range s.stamped {
		st.apply()
	}
	releaseKeys(s.flushed)
	s.flushed, s.flushRes, s.stamped, s.fastType = nil, nil, nil, nil
	s.attempt = 0
	return nil
}

// Rollback discards the pending work and rolls back what Flush sent.
func (s *Session) Rollback(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.undo(ctx)
	resetHandles(s.flushed)
	releaseKeys(s.flushed)
	releaseKeys(s.pending)
	s.pending, s.flushed, s.flushRes, s.stamped, s.fastType = nil, nil, nil, nil, nil
	if err != nil {
		return wrapError("rollback", err)
	}
	return nil
}

// recoverPanic, deferred by Commit and Flush, rolls back after a panic in
// code they called (a hook, a Valuer, a Scanner), keeps the work pending
// and panics again; the session's lock is released by the caller's own
// deferred Unlock.
func (s *Session) recoverPanic(ctx context.Context) {
	if r := recover(); r != nil {
		// The panic goes on, and a failed rollback cannot be returned;
		// the logger has it.
		_ = s.undoWithin(ctx, panicRollbackWait)
		_ = s.abort(ctx, nil)
		panic(r)
	}
}

// panicRollbackWait bounds the wait for the rollback after a panic. A
// panic inside database/sql itself (a driver's, or a Valuer's in a
// statement a hook prepared) leaves the transaction's lock held, and its
// Rollback never returns: the session then gives the transaction and its
// connection up.
const panicRollbackWait = 2 * time.Second

// open reports whether the session has a transaction or savepoint open.
func (s *Session) open() bool { return s.tx != nil || s.inUnit }

// send runs the pending items in the open transaction, opening one if
// needed. When a registered key matches no row it rolls back and runs
// everything of the transaction again in precise mode, which reads which
// keys exist first, so that missing keys are reported exactly. A
// transaction the database aborted on a deadlock is run again, after a
// short random wait. Any other failure aborts. first numbers the first
// attempt (more than 1 when a failed COMMIT is being retried). The caller
// holds s.mu.
func (s *Session) send(ctx context.Context, first int) error {
	if err := ctx.Err(); err != nil {
		if s.open() {
			return s.abort(ctx, err)
		}
		return err
	}
	// Plan before BEGIN: a bad relation or a cycle sends nothing.
	p, err := s.plan(ctx, s.pending, false)
	if err != nil {
		if s.open() {
			return s.abort(ctx, err)
		}
		return prefixed(err)
	}
	if !s.open() && p.noop() {
		// Only deletes that can match no row: nothing to send, not even BEGIN.
		for _, up := range p.units {
			up.unit.bulk.handle.set(0, true, nil)
		}
		if s.flushRes == nil {
			s.flushRes = newResult()
		}
		return nil
	}
	// With hooks, find which rows exist from the start and never run the
	// transaction again for a missing key: hooks run once per attempt.
	hooked := hasHooks(append(append([]item(nil), s.flushed...), s.pending...))
	precise := hooked
	if precise {
		if p, err = s.plan(ctx, s.pending, true); err != nil {
			return prefixed(err)
		}
	}
	retryable := s.beginner() && (s.hookRetries || !hooked)
	for attempt := first; ; attempt++ {
		s.attempt = attempt
		if attempt > 1 && s.logger != nil {
			s.logger.LogAttrs(ctx, slog.LevelWarn, "typeddelete: retry", slog.Int("attempt", attempt))
		}
		if err := s.begin(ctx); err != nil {
			return s.abort(ctx, err)
		}
		// The statements of this attempt are retried on a serialization
		// failure exactly when the case below says so.
		retry := retryable && s.retried < s.retries
		x := &sender{s: s, ctx: retrying(ctx, retry), conn: s.conn(), d: s.dialect, now: stampNow(), attempt: attempt, res: newResult()}
		err := x.run(p)
		switch {
		case err == nil:
			if s.flushRes == nil {
				s.flushRes = newResult()
			}
			s.flushRes.add(x.res)
			s.stamped = append(s.stamped, x.stamped...)
			return nil
		case errors.Is(err, errRowCount) && !precise:
			precise = true
		case errors.Is(err, ErrSerialization) && retry:
			s.retried++
			if werr := backoff(ctx, s.retried); werr != nil {
				return s.abort(ctx, errors.Join(prefixed(err), werr))
			}
		default:
			return s.abort(ctx, err)
		}
		// Run everything the transaction held again, from the start.
		if err := s.undo(ctx); err != nil {
			return s.abort(ctx, err)
		}
		s.flushRes, s.stamped = nil, nil
		all := append(append([]item(nil), s.flushed...), s.pending...)
		if p, err = s.plan(ctx, all, precise); err != nil {
			return s.abort(ctx, err)
		}
	}
}

// retryCommit follows a failed COMMIT. A transaction of the session's own
// that the database aborted as a serialization failure (optimistic
// databases such as TiDB find write conflicts only at COMMIT) is run again
// like one aborted by a statement: everything it held is pending again and
// retryCommit returns, after a short random wait, the number of the next
// attempt. Otherwise it aborts and returns err.
func (s *Session) retryCommit(ctx context.Context, err error) (int, error) {
	attempt := max(s.attempt, 1)
	if !errors.Is(err, ErrSerialization) || !s.commitRetryable() {
		return 0, s.abort(ctx, err)
	}
	if rerr := s.abort(ctx, nil); rerr != nil {
		return 0, errors.Join(prefixed(err), rerr)
	}
	s.retried++
	if werr := backoff(ctx, s.retried); werr != nil {
		return 0, errors.Join(prefixed(err), werr)
	}
	return attempt + 1, nil
}

// noop reports whether every unit is a bulk delete that matches no row.
func (p *plan) noop() bool {
	for _, up := range p.units {
		if up.unit.bulk == nil || !up.unit.bulk.none {
			return false
		}
	}
	return true
}

// commitRetryable reports whether retryCommit runs the transaction again
// when its COMMIT fails with a serialization failure.
func (s *Session) commitRetryable() bool {
	return s.beginner() && (s.hookRetries || !hasHooks(s.flushed)) && s.retried < s.retries
}

// retryKey marks the context of statements whose serialization failure is
// retried: those of a Commit, Flush or purge chunk attempt that its retry
// loop will run again.
type retryKey struct{}

// retrying returns ctx marked with retryKey when retry is true, else ctx.
func retrying(ctx context.Context, retry bool) context.Context {
	if !retry {
		return ctx
	}
	return context.WithValue(ctx, retryKey{}, true)
}

// willRetry reports whether a statement sent with ctx and failing with err
// will be retried: only statements sent under retrying(ctx, true) are.
func (s *Session) willRetry(ctx context.Context, err error) bool {
	return errors.Is(err, ErrSerialization) && ctx.Value(retryKey{}) != nil
}

// backoff waits before the n-th retry: a random time up to 10 ms × 2^n,
// and at most about 10 seconds.
func backoff(ctx context.Context, n int) error {
	t := time.NewTimer(time.Duration(rand.Int64N(int64(10*time.Millisecond) << min(n, 10))))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// hasHooks reports whether a model of items, or a model its relations
// reach, has BeforeDelete or AfterDelete. Models whose relations do not
// resolve count as hooked, so that nothing runs twice on a guess; the
// plan of the same items fails with that error itself.
func hasHooks(items []item) bool {
	models := make(map[*model]bool)
	for _, it := range items {
		var ms []*model
		if it.bulk != nil {
			ms = append(ms, it.bulk.m)
		}
		for _, b := range it.objs {
			ms = append(ms, b.m)
		}
		for _, m := range ms {
			if err := collectModels(m, models); err != nil {
				return true
			}
		}
	}
	for m := range models {
		if m.before || m.after {
			return true
		}
	}
	return false
}

// txOpts returns the options of the session's own transactions.
func (s *Session) txOpts() *sql.TxOptions {
	if s.txOptions != nil {
		return s.txOptions
	}
	return s.dialect.txOptions
}

// begin opens the session's transaction, or a savepoint in the caller's.
func (s *Session) begin(ctx context.Context) error {
	if s.open() {
		return nil
	}
	if b, ok := s.db.(beginner); ok {
		start := time.Now()
		// The transaction must outlive a cancelled ctx so that the session,
		// not database/sql, decides when it ends.
		tx, err := b.BeginTx(context.WithoutCancel(ctx), s.txOpts())
		s.log(ctx, "begin", "BEGIN", nil, start, -1, err)
		if err != nil {
			return wrapError("begin", classify(err))
		}
		s.tx = tx
		return nil
	}
	if _, err := s.execStmt(ctx, s.db, nil, "begin", "SAVEPOINT "+savepoint, nil); err != nil {
		return wrapError("begin", err)
	}
	s.inUnit = true
	return nil
}

// finish commits the session's transaction or releases its savepoint.
func (s *Session) finish(ctx context.Context) error {
	if s.tx != nil {
		start := time.Now()
		err := classify(s.tx.Commit())
		s.log(ctx, "commit", "COMMIT", nil, start, -1, err)
		s.tx = nil
		return err
	}
	if s.inUnit {
		_, err := s.execStmt(ctx, s.db, nil, "commit", "RELEASE SAVEPOINT "+savepoint, nil)
		if err == nil {
			s.inUnit = false
		}
		return err
	}
	return nil
}

// undo rolls back the session's transaction or savepoint, if open. The
// rollback is sent even when ctx is cancelled; it is logged with ctx.
func (s *Session) undo(ctx context.Context) error { return s.undoWithin(ctx, 0) }

// undoWithin is undo waiting at most wait (when positive) for the
// session's own transaction to roll back; past it the transaction is
// forgotten, its Rollback left running.
func (s *Session) undoWithin(ctx context.Context, wait time.Duration) error {
	sendCtx := context.WithoutCancel(ctx)
	if s.tx != nil {
		tx := s.tx
		s.tx = nil
		start := time.Now()
		err := rollbackWithin(tx, wait)
		s.log(ctx, "rollback", "ROLLBACK", nil, start, -1, err)
		return err
	}
	if s.inUnit {
		s.inUnit = false
		if _, err := s.execStmt(sendCtx, s.db, nil, "rollback", "ROLLBACK TO SAVEPOINT "+savepoint, nil); err != nil {
			return err
		}
		_, err := s.execStmt(sendCtx, s.db, nil, "rollback", "RELEASE SAVEPOINT "+savepoint, nil)
		return err
	}
	return nil
}

// rollbackWithin rolls tx back, waiting at most wait when it is positive.
func rollbackWithin(tx *sql.Tx, wait time.Duration) error {
	var err error
	if wait <= 0 {
		err = tx.Rollback()
	} else {
		done := make(chan error, 1)
		go func() { done <- tx.Rollback() }()
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case err = <-done:
		case <-t.C:
			return fmt.Errorf("ROLLBACK has not returned after %v: the transaction and its connection are given up", wait)
		}
	}
	if errors.Is(err, sql.ErrTxDone) {
		err = nil
	}
	return err
}

// abort rolls back after a failure, makes everything the transaction did
// pending again, and returns cause (joined with a rollback failure, if
// any) with the package's prefix; with no cause, the rollback failure
// alone.
func (s *Session) abort(ctx context.Context, cause error) error {
	uerr := s.undo(ctx)
	resetHandles(s.flushed)
	resetHandles(s.pending)
	s.pending = append(s.flushed, s.pending...)
	s.flushed, s.flushRes, s.stamped, s.fastType = nil, nil, nil, nil
	s.attempt = 0
	switch {
	case cause == nil:
		return wrapError("rollback", uerr)
	case uerr != nil:
		return errors.Join(prefixed(cause), wrapError("rollback", uerr))
	}
	return prefixed(cause)
}

// conn returns where statements go: the open transaction, else the
// executor the session was made with.
func (s *Session) conn() DBTX {
	if s.tx != nil {
		return s.tx
	}
	return s.db
}

// read runs fn with the executor reads should use: the open transaction,
// so reads see flushed work, else the session's database. Only reads on a
// *sql.DB with no transaction open run outside the session's lock: on a
// *sql.Conn or *sql.Tx they would share the connection of a Commit.
func (s *Session) read(fn func(DBTX) error) error {
	if s.err != nil {
		return s.err
	}
	s.mu.Lock()
	if _, pool := s.db.(*sql.DB); pool && s.tx == nil {
		s.mu.Unlock()
		return fn(s.db)
	}
	defer s.mu.Unlock()
	return fn(s.conn())
}

func (s *Session) beginner() bool {
	_, ok := s.db.(beginner)
	return ok
}
