package typeddelete

import (
	"context"
	"fmt"
	"strings"
	"unicode"
)

// renderFilter renders a bulk delete's filter with the session's dialect
// into op.where, op.args and op.none, refusing a filter that is always
// true unless AllRows. With probing, Raw terms that name no column are
// first evaluated by the database (probe), so "2=2" counts as always
// true. The rendered filter, with the other parameters of its statements
// and reserve more (a Purge's cursor), must fit the dialect's
// bind-parameter limit.
func (s *Session) renderFilter(ctx context.Context, op *bulkOp, probing bool, reserve int) error {
	r := &renderer{d: s.dialect}
	_, _, t, err := r.render(boolExpr{"AND", op.preds})
	if err != nil {
		return err
	}
	if t == depends && !op.all && probing {
		var leaves []*rawLeaf
		for _, leaf := range rawLeaves(op.preds) {
			if !namesColumn(op.m, leaf) {
				leaves = append(leaves, leaf)
			}
		}
		if r.truths, err = s.probe(ctx, leaves); err != nil {
			return err
		}
	}
	w, args, t, err := r.render(boolExpr{"AND", op.preds})
	if err != nil {
		return err
	}
	switch {
	case t == alwaysTrue && !op.all:
		return fmt.Errorf("%w: delete from %q has a filter that is always true; call AllRows to delete every row", ErrMissingWhere, op.m.table)
	case t == alwaysTrue:
		op.where, op.args = "", nil
	case strings.TrimSpace(w) == "":
		return fmt.Errorf("%w: delete from %q renders an empty condition", ErrInvalidPredicate, op.m.table)
	case len(args) > s.dialect.maxParams:
		return fmt.Errorf("%w: delete from %q has a filter of %d parameters, over %s's %d", ErrInvalidPredicate, op.m.table, len(args), s.dialect.name, s.dialect.maxParams)
	case len(args)+op.m.otherParams()+reserve > s.dialect.maxParams:
		return fmt.Errorf("%w: delete from %q has a filter of %d parameters, and its statements send up to %d more (scope, soft delete): over %s's %d",
			ErrInvalidPredicate, op.m.table, len(args), op.m.otherParams()+reserve, s.dialect.name, s.dialect.maxParams)
	default:
		op.where, op.args = w, args
	}
	op.none = t == alwaysFalse
	return nil
}

// ownRow reports whether the filter of a bulk delete reads only the row it
// is evaluated on: it has no Raw term, which may read other tables.
func (op *bulkOp) ownRow() bool { return len(rawLeaves(op.preds)) == 0 }

// namesColumn reports whether a Raw term's SQL has a column of m as a
// word: it then depends on the row, and needs no probe.
func namesColumn(m *model, leaf *rawLeaf) bool {
	q, _, err := leaf.s.ToSql()
	if err != nil {
		// Not lost: the term goes to probe, which renders it again and
		// returns the error (rendering the filter just before did not
		// fail, so this is a Sqlizer that fails now and then).
		return false
	}
	words := strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !(r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r))
	})
	for _, w := range words {
		if f := m.byColumn[w]; f != nil {
			return true
		}
		for c := range m.byColumn {
			if strings.EqualFold(c, w) {
				return true
			}
		}
	}
	return false
}

// probe asks the database what each Raw term evaluates to with no table:
// a term that names a column fails there, and stays undecided; one that
// names none is always true or always false. A failed probe changes
// nothing in the session's transaction: on a dialect where a failed
// statement aborts the transaction, it runs in a savepoint.
func (s *Session) probe(ctx context.Context, leaves []*rawLeaf) (map[*rawLeaf]truth, error) {
	if len(leaves) == 0 {
		return nil, nil
	}
	d, db := s.dialect, s.conn()
	inTx := s.open() || !s.beginner()
	truths := make(map[*rawLeaf]truth)
	for _, leaf := range leaves {
		q, args, err := leaf.s.ToSql()
		if err != nil {
			return nil, fmt.Errorf("%w: Raw: %w", ErrInvalidPredicate, err)
		}
		const sp = "typeddelete_probe"
		if inTx && d.errorsAbortTx {
			if _, err := s.execStmt(ctx, db, nil, "probe filter", "SAVEPOINT "+sp, nil); err != nil {
				return nil, err
			}
		}
		probe := rawSQL{"SELECT CASE WHEN (" + q + ") THEN 1 ELSE 0 END" + d.fromDual, args, d}
		var n int64
		n, err = s.count(ctx, db, "probe filter", probe)
		if inTx && d.errorsAbortTx {
			end := "RELEASE SAVEPOINT " + sp
			if err != nil {
				end = "ROLLBACK TO SAVEPOINT " + sp
			}
			if _, rerr := s.execStmt(context.WithoutCancel(ctx), db, nil, "probe filter", end, nil); rerr != nil {
				return nil, rerr
			}
		}
		switch {
		case err != nil:
			// It names a column (or the database cannot say): it depends
			// on the row.
		case n == 1:
			truths[leaf] = alwaysTrue
		default:
			truths[leaf] = alwaysFalse
		}
	}
	return truths, nil
}
