package typeddelete

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Statement is one SQL statement with its arguments.
type Statement struct {
	SQL  string
	Args []any
}

// Preview is what a Commit of the pending work would do, found without
// writing anything: the counts, per table, that LastCommit would report,
// the statements it would send, and what would make it fail.
type Preview struct {
	Deleted     map[string]int64 // rows that would be deleted per table
	SoftDeleted map[string]int64 // rows that would be soft-deleted per table
	Updated     map[string]int64 // rows whose foreign key would be set (SetNull, SetDefault, SetValue), per table
	Restored    map[string]int64 // soft-deleted rows that would be restored per table
	Missing     []MissingKey     // registered keys that match no row
	// Restricted lists the Restrict and Protect relations that would
	// refuse the Commit, with the child rows that would remain.
	Restricted []RestrictError
	// Statements are the statements Commit would send, in order, with
	// their arguments (transaction control excluded).
	Statements []Statement

	errs  []error
	units []previewUnit
}

// previewUnit is what one unit of the plan would do, for String.
type previewUnit struct {
	up   *unitPlan
	res  *CommitResult
	sets map[*relation]int64 // rows each reassigning relation updates
}

// Err returns what the Commit would fail with: a Restrict or Protect
// relation, a limit, or, with WithStrictRowCounts or a versioned model,
// missing keys; nil when it would succeed.
func (p *Preview) Err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return errors.Join(p.errs...)
}

// String describes the Preview as a person would check it before
// confirming: per unit of pending work, what was registered (the keys of
// an object delete, the first five and how many more, or the filter of a
// bulk delete with its arguments), then the rows it would delete,
// soft-delete, update or restore in each table, indented under the table
// that leads to them; then missing keys and what would refuse the Commit.
func (p *Preview) String() string {
	var b strings.Builder
	for _, u := range p.units {
		up, res := u.up, u.res
		fmt.Fprintf(&b, "%s:\n", up.unit.origin())
		depth := map[*node]int{up.root: 1}
		for _, n := range up.nodes {
			d := 1
			for _, e := range n.in {
				d = max(d, depth[e.from]+1)
			}
			depth[n] = d
			indent := strings.Repeat("  ", d)
			via := ""
			if len(n.in) > 0 {
				var from []string
				for _, e := range n.in {
					from = append(from, e.from.m.table)
				}
				via = " (Cascade from " + strings.Join(from, ", ") + ")"
			}
			if n.restore {
				c := res.Restored[n.m.table]
				fmt.Fprintf(&b, "%srestores %d %s%s\n", indent, c, rowsOf(c, n.m.table), via)
				continue
			}
			if c := res.Deleted[n.m.table]; c > 0 || !n.soft {
				fmt.Fprintf(&b, "%sdeletes %d %s%s\n", indent, c, rowsOf(c, n.m.table), via)
			}
			if c := res.SoftDeleted[n.m.table]; c > 0 || n.soft {
				fmt.Fprintf(&b, "%ssoft-deletes %d %s%s\n", indent, c, rowsOf(c, n.m.table), via)
			}
			for _, e := range up.graph.sets {
				if e.from == n {
					c := u.sets[e.r]
					fmt.Fprintf(&b, "%s  sets %s.%s to %s in %d %s (%s)\n", indent, e.r.child.table,
						strings.Join(e.r.fkColumns(), ", "), reassignedTo(e.r), c, rowsOf(c, e.r.child.table), e.r.policy)
				}
			}
		}
	}
	for _, mk := range p.Missing {
		fmt.Fprintf(&b, "missing: %s key %s\n", mk.Table, formatKeys([][]any{mk.Key}))
	}
	for _, err := range p.errs {
		fmt.Fprintf(&b, "refused: %s\n", strings.TrimPrefix(err.Error(), prefix))
	}
	return b.String()
}

// reassignedTo says what a reassigning relation sets its foreign key to.
func reassignedTo(r *relation) string {
	switch r.policy {
	case SetDefault:
		return "its default"
	case SetValue:
		parts := make([]string, len(r.values))
		for i, v := range r.values {
			parts[i] = fmt.Sprint(v)
			if v == nil {
				parts[i] = "NULL"
			}
		}
		return strings.Join(parts, ", ")
	}
	return "NULL"
}

// rowsOf returns "row of table" or "rows of table" for n rows.
func rowsOf(n int64, table string) string {
	if n == 1 {
		return "row of " + table
	}
	return "rows of " + table
}

// Preview returns what Commit would do now with the pending work, and
// writes nothing: it plans the work as Commit does, sends the plan's reads
// in a transaction it rolls back (in a savepoint, after Flush or on a
// caller's *sql.Tx), and counts, rather than sends, each write. Hooks do
// not run. When nothing changes in between, a Commit then reports in
// LastCommit exactly the counts, missing keys and number of statements of
// the Preview. Planning errors (ErrCycle, ErrInvalidRelation, ...) are
// returned; what would refuse the Commit is reported by Preview.Err.
func (s *Session) Preview(ctx context.Context) (*Preview, error) {
	if s.err != nil {
		return nil, s.err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := ownKeys(s.pending)
	for precise := false; ; precise = true {
		p, err := s.plan(ctx, items, precise)
		if err != nil {
			return nil, prefixed(err)
		}
		pv, err := s.previewPlan(ctx, p)
		if errors.Is(err, errRowCount) && !precise {
			continue
		}
		if err != nil {
			return nil, prefixed(err)
		}
		return pv, nil
	}
}

// ownKeys returns a copy of items, the pending work a Preview plans, whose
// batches share no memory with the registered ones: the Preview's
// statements and report point into those keys, which neither later
// registrations nor the reuse of a batch's array after a Commit or
// Rollback (see releaseKeys) may change.
func ownKeys(items []item) []item {
	out := slices.Clone(items)
	for i := range out {
		out[i].objs = slices.Clone(out[i].objs)
		for j, b := range out[i].objs {
			out[i].objs[j] = b.clone()
		}
	}
	return out
}

// previewPlan runs p dry in a transaction it rolls back.
func (s *Session) previewPlan(ctx context.Context, p *plan) (pv *Preview, err error) {
	pv = &Preview{}
	res := newResult()
	if !p.noop() {
		conn, end, err := s.previewTx(ctx)
		if err != nil {
			return nil, err
		}
		defer func() {
			if rerr := end(); err == nil && rerr != nil {
				err = rerr
			}
		}()
		x := &sender{s: s, ctx: ctx, conn: conn, d: s.dialect, attempt: 1, res: res, dry: true, pv: pv}
		if err := x.run(p); err != nil {
			return nil, err
		}
	}
	pv.Deleted, pv.SoftDeleted, pv.Updated, pv.Restored, pv.Missing = res.Deleted, res.SoftDeleted, res.Updated, res.Restored, res.Missing
	for _, err := range pv.errs {
		var re *RestrictError
		if errors.As(err, &re) {
			pv.Restricted = append(pv.Restricted, *re)
		}
	}
	slices.SortStableFunc(pv.Restricted, func(a, b RestrictError) int { return strings.Compare(a.Parent+a.Child, b.Parent+b.Child) })
	return pv, nil
}

// previewTx returns where a Preview reads: a transaction of its own, or a
// savepoint in the open one or the caller's, and the function that rolls
// it back.
func (s *Session) previewTx(ctx context.Context) (DBTX, func() error, error) {
	if b, ok := s.db.(beginner); ok && s.tx == nil {
		tx, err := b.BeginTx(context.WithoutCancel(ctx), s.txOpts())
		if err != nil {
			return nil, nil, wrapError("begin", classify(err))
		}
		return tx, func() error {
			if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
				return err
			}
			return nil
		}, nil
	}
	conn := s.conn()
	const sp = "typeddelete_preview"
	if _, err := s.execStmt(ctx, conn, nil, "begin", "SAVEPOINT "+sp, nil); err != nil {
		return nil, nil, wrapError("begin", err)
	}
	return conn, func() error {
		sendCtx := context.WithoutCancel(ctx)
		if _, err := s.execStmt(sendCtx, conn, nil, "rollback", "ROLLBACK TO SAVEPOINT "+sp, nil); err != nil {
			return err
		}
		_, err := s.execStmt(sendCtx, conn, nil, "rollback", "RELEASE SAVEPOINT "+sp, nil)
		return err
	}, nil
}
