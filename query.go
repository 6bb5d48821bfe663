package typeddelete

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"reflect"

	sq "github.com/Masterminds/squirrel"
)

// TypedQuery selects rows of model T: it reads them (All, Iter, First,
// Get, Count) or registers a bulk delete of them (Delete). Make one with
// Query.
//
// A TypedQuery is immutable: Filter, FilterBy and the other builders
// return a new query, so a partly built query can be shared and extended
// safely. Errors in building it (an unknown column, a bad value) are kept
// and returned by the method that runs it.
type TypedQuery[T any] struct {
	s         *Session
	m         *model
	preds     []expr
	all       bool
	unscoped  bool
	trash     bool
	hard      bool
	skipHooks bool
	atMost    int64
	err       error
}

// Query starts a query on model T through session s.
func Query[T any](s *Session) *TypedQuery[T] {
	q := &TypedQuery[T]{s: s}
	if s == nil {
		q.err = fmt.Errorf("typeddelete: Query[%s]: nil session", reflect.TypeFor[T]())
		return q
	}
	q.m, q.err = modelFor(reflect.TypeFor[T]())
	if q.err == nil {
		_, q.err = q.m.relations()
	}
	if q.err == nil && s.dialect != nil {
		q.err = s.dialect.checkIdent(q.m)
	}
	if q.err == nil {
		q.err = s.checkScope(q.m)
	}
	return q
}

// with returns a copy of the query changed by fn.
func (q *TypedQuery[T]) with(fn func(c *TypedQuery[T])) *TypedQuery[T] {
	c := *q
	c.preds = q.preds[:len(q.preds):len(q.preds)]
	fn(&c)
	return &c
}

// Filter returns the query narrowed to rows that match every predicate.
func (q *TypedQuery[T]) Filter(ps ...Predicate[T]) *TypedQuery[T] {
	es := exprs(ps)
	for i, e := range es {
		if e == nil {
			es[i] = errExpr{fmt.Errorf("%w: Filter argument %d is the zero Predicate", ErrInvalidPredicate, i)}
		}
	}
	return q.with(func(c *TypedQuery[T]) { c.preds = append(c.preds, es...) })
}

// FilterBy returns the query narrowed to rows whose column equals value; a
// slice value means IN, a nil value IS NULL. The column is checked against
// the model (ErrUnknownColumn) and the value against the field's type
// (ErrInvalidValue).
func (q *TypedQuery[T]) FilterBy(column string, value any) *TypedQuery[T] {
	if q.m == nil {
		return q
	}
	return q.with(func(c *TypedQuery[T]) { c.preds = append(c.preds, byName(q.m, column, value)) })
}

// AllRows allows Delete without a filter, or with a filter that is always
// true, to delete every row of the table. Without it such a delete fails
// with ErrMissingWhere.
func (q *TypedQuery[T]) AllRows() *TypedQuery[T] {
	return q.with(func(c *TypedQuery[T]) { c.all = true })
}

// Unscoped returns the query with soft-deleted rows included in reads.
// Without it All, Iter, First, Get and Count skip the rows of a
// soft-deletable model whose soft-delete column is set. It does not lift
// the session's WithScope.
func (q *TypedQuery[T]) Unscoped() *TypedQuery[T] {
	return q.with(func(c *TypedQuery[T]) { c.unscoped = true })
}

// OnlyDeleted returns the query narrowed to soft-deleted rows: the trash.
// Reads return only them, and HardDelete().Delete() or Purge removes them
// for real; Delete without HardDelete fails, since they are soft-deleted
// already. The model must be soft-deletable (ErrInvalidModel).
func (q *TypedQuery[T]) OnlyDeleted() *TypedQuery[T] {
	return q.with(func(c *TypedQuery[T]) {
		if c.err == nil && c.m != nil && c.m.softDelete == nil {
			c.err = fmt.Errorf("%w: OnlyDeleted: %s has no soft-delete field", ErrInvalidModel, c.m.typ)
		}
		c.trash = true
	})
}

// HardDelete returns the query with Delete removing rows for real, soft-
// deleted ones included, even when the model is soft-deletable. Without it
// Delete on a soft-deletable model stamps the soft-delete column of the
// matching live rows.
func (q *TypedQuery[T]) HardDelete() *TypedQuery[T] {
	return q.with(func(c *TypedQuery[T]) { c.hard = true })
}

// SkipHooks returns the query with Delete not loading the matched rows to
// run BeforeDelete and AfterDelete on them (or on their cascaded children).
func (q *TypedQuery[T]) SkipHooks() *TypedQuery[T] {
	return q.with(func(c *TypedQuery[T]) { c.skipHooks = true })
}

// AtMost limits Delete: the bulk delete, with every row its relations
// delete, soft-delete or set to NULL, may touch at most n rows. Past that
// the Commit fails with a *TooManyRowsError (errors.Is ErrTooManyRows),
// everything is rolled back and the work stays pending. The check costs
// one COUNT at most, where the rows would not be read anyway. n must be at
// least 1.
func (q *TypedQuery[T]) AtMost(n int64) *TypedQuery[T] {
	return q.with(func(c *TypedQuery[T]) {
		if n < 1 && c.err == nil {
			c.err = fmt.Errorf("%w: AtMost(%d): want 1 or more", ErrInvalidValue, n)
		}
		c.atMost = n
	})
}

// readPreds returns the query's predicates for a read: live rows unless
// Unscoped, soft-deleted rows with OnlyDeleted, and the session's scope.
func (q *TypedQuery[T]) readPreds() []expr {
	preds := q.preds[:len(q.preds):len(q.preds)]
	if q.m.softDelete != nil && (q.trash || !q.unscoped) {
		preds = append(preds, q.m.softExpr(q.trash))
	}
	return q.s.scopePreds(q.m, preds)
}

// scopePreds returns preds with the session's scope on m, if m is scoped.
func (s *Session) scopePreds(m *model, preds []expr) []expr {
	if m.scope == nil {
		return preds
	}
	return append(preds[:len(preds):len(preds)], cmpExpr{m.scope, "=", s.scopes[m.scope.column]})
}

// selectBuilder builds the SELECT of the query's rows.
func (q *TypedQuery[T]) selectBuilder(cols ...string) (sq.SelectBuilder, error) {
	if err := q.check(); err != nil {
		return sq.SelectBuilder{}, err
	}
	w, args, t, err := renderExpr(boolExpr{"AND", q.readPreds()}, q.s.dialect)
	if err != nil {
		return sq.SelectBuilder{}, err
	}
	d := q.s.dialect
	if cols == nil {
		cols = d.quoteAll(q.m.columns())
	}
	b := sq.Select(cols...).From(d.quoteTable(q.m.table)).PlaceholderFormat(d.placeholder)
	if t != alwaysTrue {
		b = b.Where(sq.Expr(w, args...))
	}
	return b, nil
}

// check returns the query's error, or its session's.
func (q *TypedQuery[T]) check() error {
	if q.err != nil {
		return q.err
	}
	return q.s.err
}

// SelectSQL returns the SELECT that All would send, with the dialect's
// placeholders and its bound arguments.
func (q *TypedQuery[T]) SelectSQL() (string, []any, error) {
	b, err := q.selectBuilder()
	if err != nil {
		return "", nil, err
	}
	return b.ToSql()
}

// All returns every row the query matches, in the database's order. The
// objects are allocated in blocks, so a million rows cost a few hundred
// allocations, not a million; to go through more rows than fit in memory,
// use Iter.
func (q *TypedQuery[T]) All(ctx context.Context) ([]*T, error) {
	var out []*T
	for obj, err := range q.Iter(ctx) {
		if err != nil {
			return nil, err
		}
		out = append(out, obj)
	}
	return out, nil
}

// Iter returns the rows the query matches one at a time, as they are
// read, so that a delete of a million loaded objects holds a million keys
// in the session, not a million objects:
//
//	for u, err := range typeddelete.Query[User](sess).Filter(inactive).Iter(ctx) {
//		if err != nil {
//			return err
//		}
//		if keep(u) {
//			continue
//		}
//		if err := sess.Delete(u); err != nil {
//			return err
//		}
//	}
//
// An error ends the sequence. On a session over a *sql.Conn or *sql.Tx,
// or after a Flush, the rows are read on the session's connection: do not
// Flush or Commit before the loop ends.
func (q *TypedQuery[T]) Iter(ctx context.Context) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		b, err := q.selectBuilder()
		if err != nil {
			yield(nil, err)
			return
		}
		if err := q.iterate(ctx, b, yield); err != nil {
			yield(nil, wrapError(fmt.Sprintf("select from %q", q.m.table), err))
		}
	}
}

// iterate runs a SELECT of the model's columns and yields each row, in
// objects allocated in blocks.
func (q *TypedQuery[T]) iterate(ctx context.Context, b sq.SelectBuilder, yield func(*T, error) bool) error {
	if q.s.err != nil {
		return q.s.err
	}
	q.s.mu.Lock()
	db := q.s.conn()
	q.s.mu.Unlock()
	rows, err := q.s.query(ctx, db, readQuery, b)
	if err != nil {
		return err
	}
	m := q.m
	var block []T
	dest := make([]any, len(m.fields))
	stopped := false
	err = scanAll(rows, func() error {
		if stopped {
			return nil
		}
		if len(block) == cap(block) {
			block = make([]T, 0, min(max(2*cap(block), 8), 512))
		}
		block = block[:len(block)+1]
		obj := &block[len(block)-1]
		v := reflect.ValueOf(obj).Elem()
		for i, f := range m.fields {
			dest[i] = v.FieldByIndex(f.index).Addr().Interface()
		}
		if err := rows.Scan(scanDest(dest)...); err != nil {
			return err
		}
		if !yield(obj, nil) {
			stopped = true
			return errStop
		}
		return nil
	})
	if errors.Is(err, errStop) {
		return nil // the caller stopped: the sequence must not yield again
	}
	return err
}

// errStop ends a scan the caller stopped.
var errStop = fmt.Errorf("stopped")

// First returns the matching row with the lowest primary key, or an error
// that wraps ErrNotFound (and so sql.ErrNoRows) when no row matches.
func (q *TypedQuery[T]) First(ctx context.Context) (*T, error) {
	b, err := q.selectBuilder()
	if err != nil {
		return nil, err
	}
	b = b.OrderBy(q.s.dialect.quoteAll(q.m.pkColumns())...).Limit(1)
	var first *T
	err = q.iterate(ctx, b, func(obj *T, _ error) bool {
		first = obj
		return false
	})
	if err != nil {
		return nil, wrapError(fmt.Sprintf("select from %q", q.m.table), err)
	}
	if first == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, q.m.table)
	}
	return first, nil
}

// Get returns the row whose primary key is pk (one value per key column,
// in struct order), or an error that wraps ErrNotFound (and sql.ErrNoRows)
// and names the key.
func (q *TypedQuery[T]) Get(ctx context.Context, pk ...any) (*T, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	if len(pk) != len(q.m.pk) {
		return nil, fmt.Errorf("%w: Get on %s takes %d key value(s), got %d", ErrInvalidValue, q.m.table, len(q.m.pk), len(pk))
	}
	c := q
	for i, f := range q.m.pk {
		if pk[i] == nil || reflect.ValueOf(pk[i]).Kind() == reflect.Slice && !fits(reflect.TypeOf(pk[i]), f.typ) {
			return nil, fmt.Errorf("%w: Get on %s: key value %d is %T", ErrInvalidValue, q.m.table, i, pk[i])
		}
		c = c.FilterBy(f.column, pk[i])
	}
	obj, err := c.First(ctx)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: %s key %s", ErrNotFound, q.m.table, formatKeys([][]any{pk}))
	}
	return obj, err
}

// Count returns how many rows the query matches.
func (q *TypedQuery[T]) Count(ctx context.Context) (int64, error) {
	b, err := q.selectBuilder("COUNT(*)")
	if err != nil {
		return 0, err
	}
	var n int64
	err = q.s.read(func(db DBTX) error {
		var err error
		n, err = q.s.count(ctx, db, readQuery, b)
		return err
	})
	if err != nil {
		return 0, wrapError(fmt.Sprintf("count %q", q.m.table), err)
	}
	return n, nil
}

// DeleteSQL returns the statement that removes the rows Delete would
// register, with the dialect's placeholders and its bound arguments: a
// DELETE, or an UPDATE of the soft-delete column for a soft-deletable
// model (its timestamp argument is the time of the call). Where relations,
// hooks or a self-reference need the rows, a Commit reads their keys
// first and deletes by key instead; Session.Preview shows every statement.
// It fails as Delete does. For a filter that can match no row it returns
// "" and no error, since nothing would be sent.
func (q *TypedQuery[T]) DeleteSQL() (string, []any, error) {
	op, err := q.bulk(false, q.mode())
	if err != nil {
		return "", nil, err
	}
	if err := q.s.renderFilter(context.Background(), op, false, 0); err != nil || op.none {
		return "", nil, err
	}
	soft := q.m.softDelete != nil && !q.hard
	x := &sender{s: q.s, d: q.s.dialect, now: stampNow()}
	st := &step{act: actDelete, m: q.m, sel: selFilter, bulk: op, soft: soft, live: soft}
	return x.removeStmt(st, op.where, op.args).ToSql()
}

// Delete registers a bulk delete of every row the query matches, to be sent
// at the next Flush or Commit after the work registered before it (unless
// foreign keys need it earlier). It sends nothing now. It fails at once,
// registering nothing, when the query has an error or has no filter, or a
// filter that is always true (ErrMissingWhere; see AllRows). The returned
// Deletion tells the rows deleted once sent.
//
// The rows are fixed before anything changes: when relations, hooks or a
// self-reference need them, the Commit reads and locks the matched keys
// first and acts on exactly those rows; otherwise it sends one DELETE with
// the filter. When the model has hooks (and the query not SkipHooks), the
// matched rows are loaded so the hooks run on each.
func (q *TypedQuery[T]) Delete() (*Deletion, error) {
	op, err := q.bulk(false, q.mode())
	if err != nil {
		return nil, err
	}
	q.s.addBulk(op)
	return op.handle, nil
}

// Restore registers the restore of every soft-deleted row the query
// matches, to be sent at the next Flush or Commit: their soft-delete
// column goes back to its live value (and a deleted-key column too), and
// so do the rows of soft-deletable children that a Cascade reached with
// the same stamp, level by level. It sends nothing now, and fails at once
// as Delete does: without a filter (ErrMissingWhere; see AllRows), or on a
// model that is not soft-deletable (ErrInvalidModel). AtMost and
// WithMaxRows count the restored rows. Hooks do not run. The returned
// handle tells the rows restored once sent.
func (q *TypedQuery[T]) Restore() (*Deletion, error) {
	if q.err == nil && q.m.softDelete == nil {
		return nil, fmt.Errorf("%w: Restore: %s has no soft-delete field", ErrInvalidModel, q.m.typ)
	}
	op, err := q.bulk(false, modeRestore)
	if err != nil {
		return nil, err
	}
	q.s.addBulk(op)
	return op.handle, nil
}

// mode returns what Delete does to the rows.
func (q *TypedQuery[T]) mode() mode {
	if q.hard {
		return modeHard
	}
	return modeDelete
}

// DeleteReturning is Delete that also keeps the deleted rows, for archiving
// or events: the matched rows are loaded and locked inside the transaction,
// then deleted by key.
func (q *TypedQuery[T]) DeleteReturning() (*Returned[T], error) {
	op, err := q.bulk(true, q.mode())
	if err != nil {
		return nil, err
	}
	q.s.addBulk(op)
	return &Returned[T]{op.handle}, nil
}

// bulk checks the query as a bulk delete or restore: it must render, and
// have a filter that is not always true unless AllRows.
func (q *TypedQuery[T]) bulk(returning bool, md mode) (*bulkOp, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	if q.trash && md == modeDelete {
		return nil, fmt.Errorf("%w: OnlyDeleted rows of %q are soft-deleted already: HardDelete removes them, Restore brings them back", ErrInvalidValue, q.m.table)
	}
	preds := q.preds
	if q.trash && md == modeHard {
		preds = append(preds[:len(preds):len(preds)], q.m.softExpr(true))
	}
	op := &bulkOp{m: q.m, preds: preds, all: q.all, mode: md, skipHooks: q.skipHooks,
		returning: returning, atMost: q.atMost, handle: &Deletion{table: q.m.table}}
	if len(preds) == 0 && !q.all {
		return nil, fmt.Errorf("%w: delete from %q has no filter; call AllRows to delete every row", ErrMissingWhere, q.m.table)
	}
	// Rendered now to fail early (an always-true filter, too many
	// values); rendered again at Commit, with Raw terms evaluated.
	check := *op
	if err := q.s.renderFilter(context.Background(), &check, false, 0); err != nil {
		return nil, err
	}
	return op, nil
}
