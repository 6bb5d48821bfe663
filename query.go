package typeddelete

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	sq "github.com/Masterminds/squirrel"
)

// TypedQuery selects rows of model T: it reads them (All, First, Get,
// Count) or registers a bulk delete of them (Delete). Make one with Query.
//
// A TypedQuery is immutable: Filter, FilterBy and AllRows return a new
// query, so a partly built query can be shared and extended safely. Errors
// in building it (an unknown column, a bad value) are kept and returned by
// the method that runs it.
type TypedQuery[T any] struct {
	s         *Session
	m         *model
	preds     []expr
	all       bool
	unscoped  bool
	hard      bool
	skipHooks bool
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
	return q
}

func (q *TypedQuery[T]) with(e ...expr) *TypedQuery[T] {
	c := *q
	c.preds = append(q.preds[:len(q.preds):len(q.preds)], e...)
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
	return q.with(es...)
}

// FilterBy returns the query narrowed to rows whose column equals value; a
// slice value means IN, a nil value IS NULL. The column is checked against
// the model (ErrUnknownColumn) and the value against the field's type
// (ErrInvalidValue).
func (q *TypedQuery[T]) FilterBy(column string, value any) *TypedQuery[T] {
	if q.m == nil {
		return q
	}
	return q.with(byName(q.m, column, value))
}

// AllRows allows Delete without a filter, or with a filter that is always
// true, to delete every row of the table. Without it such a delete fails
// with ErrMissingWhere.
func (q *TypedQuery[T]) AllRows() *TypedQuery[T] {
	c := *q
	c.all = true
	return &c
}

// Unscoped returns the query with soft-deleted rows included in reads.
// Without it All, First, Get and Count skip the rows of a soft-deletable
// model whose soft-delete column is set.
func (q *TypedQuery[T]) Unscoped() *TypedQuery[T] {
	c := *q
	c.unscoped = true
	return &c
}

// HardDelete returns the query with Delete removing rows for real, soft-
// deleted ones included, even when the model is soft-deletable. Without it
// Delete on a soft-deletable model stamps the soft-delete column of the
// matching live rows.
func (q *TypedQuery[T]) HardDelete() *TypedQuery[T] {
	c := *q
	c.hard = true
	return &c
}

// SkipHooks returns the query with Delete sent set-based, without loading
// the matched rows to run BeforeDelete and AfterDelete on them (or on their
// cascaded children).
func (q *TypedQuery[T]) SkipHooks() *TypedQuery[T] {
	c := *q
	c.skipHooks = true
	return &c
}

// where renders the query's condition with the session's dialect; reads
// also skip soft-deleted rows unless the query is Unscoped.
func (q *TypedQuery[T]) where(read bool) (string, []any, truth, error) {
	if q.err != nil {
		return "", nil, depends, q.err
	}
	if q.s.err != nil {
		return "", nil, depends, q.s.err
	}
	preds := q.preds
	if read && !q.unscoped && q.m.softDelete != nil {
		preds = append(preds[:len(preds):len(preds)], nullExpr{q.m.softDelete, false})
	}
	if len(preds) == 0 {
		return "", nil, alwaysTrue, nil
	}
	return boolExpr{"AND", preds}.render(q.s.dialect)
}

// selectSQL builds the SELECT of the query's rows, or nil on error.
func (q *TypedQuery[T]) selectBuilder(cols ...string) (sq.SelectBuilder, error) {
	w, args, t, err := q.where(true)
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

// SelectSQL returns the SELECT that All would send, with the dialect's
// placeholders and its bound arguments.
func (q *TypedQuery[T]) SelectSQL() (string, []any, error) {
	b, err := q.selectBuilder()
	if err != nil {
		return "", nil, err
	}
	return b.ToSql()
}

// All returns every row the query matches, in the database's order.
func (q *TypedQuery[T]) All(ctx context.Context) ([]*T, error) {
	b, err := q.selectBuilder()
	if err != nil {
		return nil, err
	}
	return q.fetch(ctx, b)
}

// First returns the matching row with the lowest primary key, or an error
// that wraps ErrNotFound when no row matches.
func (q *TypedQuery[T]) First(ctx context.Context) (*T, error) {
	b, err := q.selectBuilder()
	if err != nil {
		return nil, err
	}
	b = b.OrderBy(q.s.dialect.quoteAll(q.m.pkColumns())...).Limit(1)
	rows, err := q.fetch(ctx, b)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, q.m.table)
	}
	return rows[0], nil
}

// Get returns the row whose primary key is pk (one value per key column,
// in struct order), or an error that wraps ErrNotFound.
func (q *TypedQuery[T]) Get(ctx context.Context, pk ...any) (*T, error) {
	if q.err != nil {
		return nil, q.err
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
	return c.First(ctx)
}

// Count returns how many rows the query matches.
func (q *TypedQuery[T]) Count(ctx context.Context) (int64, error) {
	b, err := q.selectBuilder("COUNT(*)")
	if err != nil {
		return 0, err
	}
	query, args, err := b.ToSql()
	if err != nil {
		return 0, err
	}
	var n int64
	err = q.s.read(func(db Executor) error {
		rows, err := q.s.queryRows(ctx, db, query, args)
		if err != nil {
			return err
		}
		defer rows.Close()
		if rows.Next() {
			if err := rows.Scan(&n); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err != nil {
		return 0, fmt.Errorf("typeddelete: count %q: %w", q.m.table, err)
	}
	return n, nil
}

// fetch runs a SELECT of the model's columns and scans every row.
func (q *TypedQuery[T]) fetch(ctx context.Context, b sq.SelectBuilder) ([]*T, error) {
	query, args, err := b.ToSql()
	if err != nil {
		return nil, err
	}
	var objs []any
	err = q.s.read(func(db Executor) error {
		rows, err := q.s.queryRows(ctx, db, query, args)
		if err != nil {
			return err
		}
		objs, err = scanObjects(rows, q.m)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("typeddelete: select from %q: %w", q.m.table, err)
	}
	return typedObjects[T](objs), nil
}

// typedObjects converts objects made by scanObjects for T.
func typedObjects[T any](objs []any) []*T {
	out := make([]*T, len(objs))
	for i, o := range objs {
		out[i] = o.(*T)
	}
	return out
}

// DeleteSQL returns the statement that Delete would register, with the
// dialect's placeholders and its bound arguments: a DELETE, or an UPDATE of
// the soft-delete column for a soft-deletable model (its timestamp argument
// is the time of the call). Statements for relations and hooks are not
// included. It fails as Delete does. For a filter that can match no row
// it returns "" and no error, since nothing would be sent.
func (q *TypedQuery[T]) DeleteSQL() (string, []any, error) {
	op, err := q.bulk(false)
	if err != nil || op.none {
		return "", nil, err
	}
	soft := q.m.softDelete != nil && !q.hard
	return removeSQL(q.s.dialect, time.Now().UTC(), q.m, rowSet{m: q.m, cond: op.where, args: op.args}, soft, "").ToSql()
}

// Delete registers a bulk delete of every row the query matches, to be sent
// at the next Flush or Commit after the work registered before it (unless
// foreign keys need it earlier). It sends nothing now. It fails at once,
// registering nothing, when the query has an error or has no filter, or a
// filter that is always true (ErrMissingWhere; see AllRows). The returned
// Deletion tells the rows deleted once sent.
//
// Relations apply to the children of every matched row. When the model has
// hooks (and the query not SkipHooks), the matched rows are loaded and
// locked inside the transaction so the hooks run on each.
func (q *TypedQuery[T]) Delete() (*Deletion, error) {
	op, err := q.bulk(false)
	if err != nil {
		return nil, err
	}
	q.s.mu.Lock()
	q.s.pending = append(q.s.pending, step{bulk: op})
	q.s.mu.Unlock()
	return op.handle, nil
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
	return typedObjects[T](r.objs)
}

// DeleteReturning is Delete that also keeps the deleted rows, for archiving
// or events: the matched rows are loaded and locked inside the transaction,
// then deleted by key.
func (q *TypedQuery[T]) DeleteReturning() (*Returned[T], error) {
	op, err := q.bulk(true)
	if err != nil {
		return nil, err
	}
	q.s.mu.Lock()
	q.s.pending = append(q.s.pending, step{bulk: op})
	q.s.mu.Unlock()
	return &Returned[T]{op.handle}, nil
}

// bulk renders the query as a bulk delete and checks it.
func (q *TypedQuery[T]) bulk(returning bool) (*bulkOp, error) {
	w, args, t, err := q.where(false)
	if err != nil {
		return nil, err
	}
	if t == alwaysTrue {
		if !q.all {
			what := "no filter"
			if len(q.preds) > 0 {
				what = "a filter that is always true"
			}
			return nil, fmt.Errorf("%w: delete from %q has %s; call AllRows to delete every row", ErrMissingWhere, q.m.table, what)
		}
		w, args = "", nil
	}
	if strings.TrimSpace(w) == "" && t != alwaysTrue {
		return nil, fmt.Errorf("%w: delete from %q renders an empty condition", ErrInvalidPredicate, q.m.table)
	}
	return &bulkOp{m: q.m, where: w, args: args, none: t == alwaysFalse, hard: q.hard,
		skipHooks: q.skipHooks, returning: returning, handle: &Deletion{table: q.m.table}}, nil
}
