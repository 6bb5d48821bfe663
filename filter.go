package typeddelete

import (
	"context"
	"fmt"
	"strings"
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
			if !namesColumn(s.dialect, op.m, leaf) {
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

// namesColumn reports whether a Raw term's SQL names a column of m, as
// the dialect d reads it: it then depends on the row, and needs no probe.
// A column's name inside a string literal or a comment names nothing; one
// that is not there stays probed, and a probe of a term that does name a
// column fails, which leaves it depending on the row.
func namesColumn(d *Dialect, m *model, leaf *rawLeaf) bool {
	q, _, err := leaf.s.ToSql()
	if err != nil {
		// Not lost: the term goes to probe, which renders it again and
		// returns the error (rendering the filter just before did not
		// fail, so this is a Sqlizer that fails now and then).
		return false
	}
	for _, w := range columnWords(d.quoting, q) {
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

// columnWords returns what in the SQL text q can name a column, read with
// qt: each unquoted word that no "(" follows (it names a function) and no
// quote follows (it is a prefix of a string, such as E or N), and the
// content of each quoted identifier. String literals and comments name
// nothing.
func columnWords(qt sqlQuoting, q string) []string {
	var out []string
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case strings.HasPrefix(q[i:], "--") || c == '#' && qt.hash:
			end := strings.IndexByte(q[i:], '\n')
			if end < 0 {
				return out
			}
			i += end + 1
		case strings.HasPrefix(q[i:], "/*"):
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				return out
			}
			i += 2 + end + 2
		case strings.IndexByte(qt.strings, c) >= 0:
			i, _ = skipQuoted(q, i+1, c, qt.backslash)
		case strings.IndexByte(qt.idents, c) >= 0:
			closer := c
			if c == '[' {
				closer = ']'
			}
			end, ok := skipQuoted(q, i+1, closer, false)
			if !ok {
				return out
			}
			out = append(out, strings.ReplaceAll(q[i+1:end-1], string([]byte{closer, closer}), string(closer)))
			i = end
		case c == '$' && qt.dollar:
			tag := dollarTag(q[i:])
			if tag == "" {
				i++
				continue
			}
			end := strings.Index(q[i+len(tag):], tag)
			if end < 0 {
				return out
			}
			i += len(tag) + end + len(tag)
		case isWordByte(c):
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			word := q[i:j]
			k := j
			for k < len(q) && strings.IndexByte(" \t\r\n", q[k]) >= 0 {
				k++
			}
			switch {
			case j < len(q) && strings.IndexByte(qt.strings, q[j]) >= 0:
				// A prefix of a string literal.
				backslash := qt.backslash || qt.dollar && strings.EqualFold(word, "e")
				j, _ = skipQuoted(q, j+1, q[j], backslash)
			case k < len(q) && q[k] == '(':
				// A function's name.
			default:
				out = append(out, word)
			}
			i = j
		default:
			i++
		}
	}
	return out
}

// skipQuoted returns the index in q just past the closer that ends the
// quoted text starting at i, where a doubled closer (and with backslash, a
// backslash) escapes one; ok is false when no closer ends it.
func skipQuoted(q string, i int, closer byte, backslash bool) (end int, ok bool) {
	for i < len(q) {
		switch {
		case backslash && q[i] == '\\':
			i += 2
		case q[i] != closer:
			i++
		case i+1 < len(q) && q[i+1] == closer:
			i += 2
		default:
			return i + 1, true
		}
	}
	return len(q), false
}

// dollarTag returns the $tag$ that opens a dollar-quoted string at the
// start of s, or "".
func dollarTag(s string) string {
	j := 1
	for j < len(s) && isWordByte(s[j]) {
		j++
	}
	if j < len(s) && s[j] == '$' && (j == 1 || s[1] < '0' || s[1] > '9') {
		return s[:j+1]
	}
	return ""
}

// isWordByte reports whether c can be part of an unquoted identifier or
// keyword; every byte of a multibyte character counts.
func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
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
