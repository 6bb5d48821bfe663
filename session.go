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
)

// Executor is what a Session sends statements through: *sql.DB, *sql.Conn
// and *sql.Tx all implement it. When it also has BeginTx (*sql.DB and
// *sql.Conn), the session runs each Commit in a transaction of its own;
// otherwise (*sql.Tx) it runs inside the caller's transaction, which the
// caller commits.
type Executor interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// beginner is an Executor that can start a transaction.
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// Option configures a Session.
type Option func(*Session)

// WithDialect sets the dialect instead of detecting it from the driver. It
// is required for a *sql.Tx and for drivers the package does not know.
func WithDialect(d *Dialect) Option {
	return func(s *Session) { s.dialect = d }
}

// WithLogger logs every statement the session sends, with its arguments,
// duration, rows affected and error, at slog.LevelDebug.
func WithLogger(l *slog.Logger) Option {
	return func(s *Session) { s.logger = l }
}

// WithStrictRowCounts makes Commit and Flush fail with a *StaleDataError
// (errors.Is ErrStaleData) when a pending object delete matches no row,
// rolling back everything. Without it such keys are only reported in
// LastCommit.
func WithStrictRowCounts() Option {
	return func(s *Session) { s.strict = true }
}

// WithBatchSize sets how many keys go in one DELETE ... IN (...) statement.
// The dialect's bind-parameter limit still caps it. The default depends on
// the dialect.
func WithBatchSize(n int) Option {
	return func(s *Session) { s.batch = n }
}

// WithRetries sets how many times a Commit or Flush runs its transaction
// again, after a short random wait, when the database aborts it to break a
// deadlock or keep transactions serializable (ErrSerialization). The
// default is 3; 0 turns retries off. Only a transaction the session began
// itself is retried, and only when no model in it has hooks (a hook runs
// once per deleted row); otherwise the error is returned.
func WithRetries(n int) Option {
	return func(s *Session) { s.retries = max(n, 0) }
}

// WithoutSchemaIntrospection stops the session from reading the database's
// foreign keys; deletes are then ordered by the declared Relations alone,
// and Database relations are not checked against the schema.
func WithoutSchemaIntrospection() Option {
	return func(s *Session) { s.introspect = false }
}

// savepoint is the savepoint a session sets in a caller's transaction so
// that a failed Commit or Flush undoes only its own work.
const savepoint = "typeddelete_unit"

// Session is a unit of work for deletes. Session.Delete and Query.Delete
// register pending work and send nothing; Flush sends it inside the
// session's transaction; Commit sends the rest and commits, all or nothing.
//
// A Session is safe for concurrent use by several goroutines. It may be
// reused after Commit or Rollback.
type Session struct {
	db      Executor
	dialect *Dialect
	logger  *slog.Logger
	strict  bool
	batch   int
	err     error // set by NewSession when the session cannot work

	mu       sync.Mutex
	pending  []step        // registered, not yet sent
	flushed  []step        // sent by Flush in the open transaction
	tx       *sql.Tx       // the session's own transaction, open after Flush
	inUnit   bool          // savepoint set in the caller's transaction
	flushRes *CommitResult // what the flushes of the open transaction did
	last     CommitResult

	retries    int               // retries of a transaction the database aborted
	introspect bool              // read the database's foreign keys to order deletes
	schemaInfo *schemaInfo       // foreign keys, when db is not a *sql.DB
	deleted    map[identity]bool // rows deleted by this session's commits: true if removed for real, false if soft-deleted
	deletedLog [][]objRef        // committed deletes not yet in deleted, indexed on first need
	fastType   reflect.Type      // the pointer type of the last model registered...
	fastModel  *model            // ...and its metadata, when its key has a fastKey
	already    []MissingKey      // objects skipped by Delete as deleted before
}

// NewSession returns a session over db (a *sql.DB, *sql.Conn or *sql.Tx).
// The dialect is detected from the driver unless WithDialect is given. When
// it cannot be, every method of the session returns an error that wraps
// ErrUnknownDialect; NewSession itself never fails.
func NewSession(db Executor, opts ...Option) *Session {
	s := &Session{db: db, introspect: true, retries: 3}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	switch {
	case db == nil || reflect.ValueOf(db).Kind() == reflect.Pointer && reflect.ValueOf(db).IsNil():
		s.err = errors.New("typeddelete: NewSession: nil database")
	case s.dialect == nil:
		s.dialect, s.err = detectDialect(db)
	default:
		// A dialect given for a driver the package knows must match it.
		if found, err := detectDialect(db); err == nil && found.name != s.dialect.name {
			s.err = fmt.Errorf("%w: WithDialect(%s) on a %s database", ErrDialectMismatch, s.dialect.name, found.name)
		}
	}
	return s
}

// Dialect returns the session's dialect, or nil if it has none.
func (s *Session) Dialect() *Dialect { return s.dialect }

// CommitResult tells what a Commit did.
type CommitResult struct {
	Statements int              // statements sent, transaction control excluded
	Deleted    map[string]int64 // rows deleted (or soft-deleted) per table, cascades included
	Missing    []MissingKey     // object deletes whose key matched no row
	// AlreadyDeleted lists objects passed to Delete after an earlier Commit
	// of the session had deleted them; nothing was sent for them.
	AlreadyDeleted []MissingKey

	deletedObjs [][]objRef // registered objects deleted, to remember
}

// MissingKey names one row by table and primary key.
type MissingKey struct {
	Table string
	Key   []any // primary-key values in column order
}

func (r *CommitResult) add(o *CommitResult) {
	if r.Deleted == nil {
		r.Deleted = make(map[string]int64)
	}
	r.Statements += o.Statements
	for t, n := range o.Deleted {
		r.Deleted[t] += n
	}
	r.Missing = append(r.Missing, o.Missing...)
	r.deletedObjs = append(r.deletedObjs, o.deletedObjs...)
}

// LastCommit returns what the last successful Commit did, including the
// Flushes before it. It is the zero CommitResult before the first Commit.
func (s *Session) LastCommit() CommitResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.last
	r.Deleted = make(map[string]int64, len(s.last.Deleted))
	for t, n := range s.last.Deleted {
		r.Deleted[t] = n
	}
	r.Missing = append([]MissingKey(nil), s.last.Missing...)
	r.AlreadyDeleted = append([]MissingKey(nil), s.last.AlreadyDeleted...)
	r.deletedObjs = nil
	return r
}

// indexDeleted moves the committed deletes of deletedLog into the deleted
// map. The caller holds s.mu.
func (s *Session) indexDeleted() {
	if len(s.deletedLog) == 0 {
		return
	}
	if s.deleted == nil {
		s.deleted = make(map[identity]bool)
	}
	for _, batch := range s.deletedLog {
		for _, o := range batch {
			id := identityOf(o.m, o.key)
			s.deleted[id] = s.deleted[id] || o.hard() || o.m.softDelete == nil
		}
	}
	s.deletedLog = nil
}

// IsDeleted reports whether obj's row was deleted (or soft-deleted) by a
// Commit of this session. Deleting it again is a no-op, reported in
// CommitResult.AlreadyDeleted; only HardDelete of a soft-deleted object
// still removes its row. The session remembers deleted keys for its whole
// life: use a new session per unit of work, above all where a key can be
// inserted again.
func (s *Session) IsDeleted(obj any) bool {
	m, v, err := modelOf(obj)
	if err != nil {
		return false
	}
	k, err := m.key(v)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.indexDeleted()
	_, ok := s.deleted[identityOf(m, k)]
	return ok
}

// Pending reports how many object deletes and bulk deletes are registered
// and not yet sent.
func (s *Session) Pending() (objects, bulk int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.pending {
		if st.bulk != nil {
			bulk++
		} else {
			objects += len(st.objs)
		}
	}
	return objects, bulk
}

// Delete registers objects for deletion at the next Flush or Commit; it
// sends nothing. Each argument is a non-nil pointer to a model struct, or a
// slice of them. Delete checks every object first and registers none when
// one is invalid: nil, not a pointer to a struct, a model with no primary
// key (ErrInvalidModel) or with invalid relations (ErrInvalidRelation), or a
// zero key (ErrNotPersisted). The key (and version) is read now: later
// changes to the object do not change which row is deleted. Objects of a
// soft-deletable model are soft-deleted; see HardDelete. An object that an
// earlier Commit of this session deleted is skipped and reported in
// CommitResult.AlreadyDeleted.
func (s *Session) Delete(objs ...any) error {
	return s.register(false, objs)
}

// HardDelete is Delete that removes rows of soft-deletable models for real.
// For other models it is the same as Delete.
func (s *Session) HardDelete(objs ...any) error {
	return s.register(true, objs)
}

func (s *Session) register(hard bool, objs []any) error {
	if s.err != nil {
		return s.err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var seg *step
	if n := len(s.pending); n > 0 && s.pending[n-1].bulk == nil {
		seg = &s.pending[n-1]
	} else {
		s.pending = append(s.pending, step{})
		seg = &s.pending[len(s.pending)-1]
	}
	before, already := len(seg.objs), len(s.already)
	for i, obj := range objs {
		if err := s.addObject(seg, obj, hard); err != nil {
			seg.objs = seg.objs[:before]
			s.already = s.already[:already]
			if len(seg.objs) == 0 {
				s.pending = s.pending[:len(s.pending)-1]
			}
			return fmt.Errorf("typeddelete: Delete argument %d: %w", i, err)
		}
	}
	if len(seg.objs) == 0 {
		s.pending = s.pending[:len(s.pending)-1]
	}
	return nil
}

// addObject appends obj, or each element of a slice obj, to the segment.
func (s *Session) addObject(seg *step, obj any, hard bool) error {
	// Fast path: another object of the model registered last, with a
	// plain one-column key, read straight from memory.
	if t := reflect.TypeOf(obj); t != nil && t == s.fastType {
		if p := reflect.ValueOf(obj).UnsafePointer(); p != nil {
			m := s.fastModel
			if k, ok := m.fastKey(p); ok {
				if !s.skipDeleted(m, k, hard) {
					ref := objRef{m: m, key: k, ptr: p}
					if hard && m.softDelete != nil {
						ref.ext = &objExtra{hard: true}
					}
					seg.add(ref)
				}
				return nil
			}
		}
	}
	if rv := reflect.ValueOf(obj); rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		for i := 0; i < rv.Len(); i++ {
			if err := s.addObject(seg, rv.Index(i).Interface(), hard); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
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
	k, err := m.key(v)
	if err != nil {
		return err
	}
	if s.skipDeleted(m, k, hard) {
		return nil
	}
	ref := objRef{m: m, key: k, ptr: v.Addr().UnsafePointer()}
	if m.version != nil || hard && m.softDelete != nil {
		ref.ext = &objExtra{hard: hard && m.softDelete != nil}
		if m.version != nil {
			ref.ext.version = derefValue(v.FieldByIndex(m.version.index))
		}
	}
	if m.version == nil && m.fastKey != nil {
		s.fastType, s.fastModel = reflect.TypeOf(obj), m
	}
	seg.add(ref)
	return nil
}

// add appends o, doubling the capacity when full: append grows large slices
// by a quarter, which copies a long run of deletes several times over.
func (st *step) add(o objRef) {
	if len(st.objs) == cap(st.objs) {
		st.objs = slices.Grow(st.objs, max(len(st.objs), 64))
	}
	st.objs = append(st.objs, o)
}

// skipDeleted reports whether the row of m with key k was deleted by an
// earlier Commit, and records it as AlreadyDeleted if so. A soft-deleted
// row can still be removed for real by HardDelete.
func (s *Session) skipDeleted(m *model, k any, hard bool) bool {
	if len(s.deleted) == 0 && len(s.deletedLog) == 0 {
		return false
	}
	s.indexDeleted()
	removed, ok := s.deleted[identityOf(m, k)]
	if !ok || !removed && hard && m.softDelete != nil {
		return false
	}
	s.already = append(s.already, MissingKey{Table: m.table, Key: m.keyParts(k)})
	return true
}

// Flush sends the pending work inside the session's transaction, beginning
// it if needed, without committing. Later reads through the session see the
// result. On failure everything the open transaction did is rolled back and
// all of it is pending again.
func (s *Session) Flush(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		return nil
	}
	if err := s.send(ctx); err != nil {
		return err
	}
	s.flushed = append(s.flushed, s.pending...)
	s.pending = nil
	return nil
}

// Commit sends all pending work in one transaction and commits it. With
// nothing pending it sends nothing, not even BEGIN. On any failure (a SQL
// error, a strict row-count failure, a cancelled context, a failed COMMIT)
// it rolls back, so the database is as it was before, and the work stays
// pending to retry or Rollback. A transaction of the session's own that the
// database aborts on a deadlock or serialization failure is first run again
// (see WithRetries). On a caller's *sql.Tx the work is wrapped in a
// savepoint and the caller commits the transaction.
func (s *Session) Commit(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 && !s.open() {
		// Nothing to send; a Flush may have settled deletes that match no
		// row without opening a transaction.
		s.last = CommitResult{Deleted: map[string]int64{}}
		if s.flushRes != nil {
			s.last = *s.flushRes
		}
		s.last.AlreadyDeleted = s.already
		s.flushed, s.flushRes, s.already = nil, nil, nil
		return nil
	}
	if err := ctx.Err(); err != nil && len(s.pending) == 0 {
		return s.abort(err)
	}
	if len(s.pending) > 0 {
		if err := s.send(ctx); err != nil {
			return err
		}
	}
	s.flushed = append(s.flushed, s.pending...)
	s.pending = nil
	if err := s.finish(ctx); err != nil {
		return s.abort(fmt.Errorf("typeddelete: commit: %w", err))
	}
	s.last = *s.flushRes
	s.last.AlreadyDeleted = s.already
	// Remembered lazily: most sessions never delete again after a Commit.
	s.deletedLog = append(s.deletedLog, s.last.deletedObjs...)
	s.last.deletedObjs = nil
	s.flushed, s.flushRes, s.already = nil, nil, nil
	return nil
}

// Rollback discards the pending work and rolls back what Flush sent.
func (s *Session) Rollback() error {
	if s.err != nil {
		return s.err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.undo(context.Background())
	resetHandles(s.flushed)
	s.pending, s.flushed, s.flushRes, s.already = nil, nil, nil, nil
	return err
}

// open reports whether the session has a transaction or savepoint open.
func (s *Session) open() bool { return s.tx != nil || s.inUnit }

// send runs the pending steps in the open transaction, opening one if
// needed. When a key matches no row it rolls back and runs every step of
// the transaction again, this time reading which keys exist first, so that
// missing keys are reported exactly. Any failure aborts. The caller holds
// s.mu.
func (s *Session) send(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		if s.open() {
			return s.abort(err)
		}
		return err
	}
	// Plan before BEGIN: a bad relation or a cycle sends nothing.
	units, si, err := s.plan(ctx, s.pending)
	if err != nil {
		if s.open() {
			return s.abort(err)
		}
		return err
	}
	if !s.open() && allNoop(units) {
		// Only deletes that can match no row: nothing to send, not even BEGIN.
		for _, u := range units {
			u.bulk.handle.set(0, true, nil)
		}
		if s.flushRes == nil {
			s.flushRes = &CommitResult{Deleted: map[string]int64{}}
		}
		return nil
	}
	// With hooks, find exactly which rows exist from the start and never
	// run the transaction twice: a hook must run once per deleted row.
	hooked := hasHooks(s.flushed) || hasHooks(s.pending)
	precise := hooked
	for attempt := 1; ; attempt++ {
		if err := s.begin(ctx); err != nil {
			return s.abort(err)
		}
		res, err := s.run(ctx, units, si, precise)
		switch {
		case err == nil:
			if s.flushRes == nil {
				s.flushRes = &CommitResult{Deleted: map[string]int64{}}
			}
			s.flushRes.add(res)
			return nil
		case errors.Is(err, errRowCount) && !precise:
			precise = true
		case errors.Is(err, ErrSerialization) && s.beginner() && attempt <= s.retries && !hooked:
			if werr := backoff(ctx, attempt); werr != nil {
				return s.abort(errors.Join(err, werr))
			}
		default:
			return s.abort(err)
		}
		// Run everything the transaction held again, from the start.
		if err := s.undo(ctx); err != nil {
			return s.abort(err)
		}
		s.flushRes = nil
		all := append(append([]step(nil), s.flushed...), s.pending...)
		if units, si, err = s.plan(ctx, all); err != nil {
			return s.abort(err)
		}
	}
}

// backoff waits before retry attempt n: a random time up to 10 ms × 2^n,
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

// hasHooks reports whether a model of steps, or a model its relations
// reach, has BeforeDelete or AfterDelete. Steps sent by an earlier Flush
// count too: a rerun of the transaction would run their hooks again.
func hasHooks(steps []step) bool {
	models := make(map[*model]bool)
	add := func(m *model) bool {
		return models[m] || collectModels(m, models) == nil
	}
	for _, st := range steps {
		if st.bulk != nil && !add(st.bulk.m) {
			return true
		}
		for _, o := range st.objs {
			if !add(o.m) {
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

// allNoop reports whether every unit is a bulk delete that matches no row.
func allNoop(units []*unit) bool {
	for _, u := range units {
		if u.bulk == nil || !u.bulk.none {
			return false
		}
	}
	return true
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
		tx, err := b.BeginTx(context.WithoutCancel(ctx), s.dialect.txOptions)
		s.log(ctx, "BEGIN", nil, start, -1, err)
		if err != nil {
			return fmt.Errorf("typeddelete: begin: %w", err)
		}
		s.tx = tx
		return nil
	}
	if _, err := s.execSQL(ctx, "SAVEPOINT "+savepoint, nil); err != nil {
		return fmt.Errorf("typeddelete: begin: %w", err)
	}
	s.inUnit = true
	return nil
}

// finish commits the session's transaction or releases its savepoint.
func (s *Session) finish(ctx context.Context) error {
	if s.tx != nil {
		start := time.Now()
		err := s.tx.Commit()
		s.log(ctx, "COMMIT", nil, start, -1, err)
		s.tx = nil
		return classify(err)
	}
	if s.inUnit {
		_, err := s.execSQL(ctx, "RELEASE SAVEPOINT "+savepoint, nil)
		if err == nil {
			s.inUnit = false
		}
		return err
	}
	return nil
}

// undo rolls back the session's transaction or savepoint, if open.
func (s *Session) undo(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	if s.tx != nil {
		start := time.Now()
		err := s.tx.Rollback()
		s.log(ctx, "ROLLBACK", nil, start, -1, err)
		s.tx = nil
		if errors.Is(err, sql.ErrTxDone) {
			err = nil
		}
		return err
	}
	if s.inUnit {
		s.inUnit = false
		if _, err := s.execSQL(ctx, "ROLLBACK TO SAVEPOINT "+savepoint, nil); err != nil {
			return err
		}
		_, err := s.execSQL(ctx, "RELEASE SAVEPOINT "+savepoint, nil)
		return err
	}
	return nil
}

// abort rolls back after a failure, makes everything the transaction did
// pending again, and returns cause (joined with a rollback failure, if any).
func (s *Session) abort(cause error) error {
	uerr := s.undo(context.Background())
	resetHandles(s.flushed)
	resetHandles(s.pending)
	s.pending = append(s.flushed, s.pending...)
	s.flushed, s.flushRes = nil, nil
	if uerr != nil {
		return errors.Join(cause, fmt.Errorf("typeddelete: rollback: %w", uerr))
	}
	return cause
}

// conn returns where statements go: the open transaction, else the
// executor the session was made with.
func (s *Session) conn() Executor {
	if s.tx != nil {
		return s.tx
	}
	return s.db
}

// execSQL sends one statement and logs it.
func (s *Session) execSQL(ctx context.Context, query string, args []any) (sql.Result, error) {
	return s.execStmt(ctx, nil, query, args)
}

// execStmt sends query through st, its prepared statement, or as a plain
// Exec when st is nil, and logs it.
func (s *Session) execStmt(ctx context.Context, st *sql.Stmt, query string, args []any) (sql.Result, error) {
	start := time.Now()
	var res sql.Result
	var err error
	if st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = s.conn().ExecContext(ctx, query, args...)
	}
	n := int64(-1)
	if err == nil {
		n, err = res.RowsAffected()
	}
	s.log(ctx, query, args, start, n, err)
	return res, classify(err)
}

// queryRows sends one query through db and logs it.
func (s *Session) queryRows(ctx context.Context, db Executor, query string, args []any) (*sql.Rows, error) {
	start := time.Now()
	rows, err := db.QueryContext(ctx, query, args...)
	s.log(ctx, query, args, start, -1, err)
	return rows, classify(err)
}

// log writes one statement to the session's logger, if any.
func (s *Session) log(ctx context.Context, query string, args []any, start time.Time, rows int64, err error) {
	if s.logger == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("sql", query),
		slog.Any("args", args),
		slog.Duration("duration", time.Since(start)),
	}
	if rows >= 0 {
		attrs = append(attrs, slog.Int64("rows", rows))
	}
	if err != nil {
		attrs = append(attrs, slog.Any("error", err))
	}
	s.logger.LogAttrs(ctx, slog.LevelDebug, "typeddelete", attrs...)
}

// read runs fn with the executor reads should use: the open transaction,
// so reads see flushed work, else the session's database. Only reads on a
// *sql.DB with no transaction open run outside the session's lock: on a
// *sql.Conn or *sql.Tx they would share the connection of a Commit.
func (s *Session) read(fn func(Executor) error) error {
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
