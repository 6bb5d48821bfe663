package typeddelete

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unsafe"
)

// sender sends the steps of a plan, in order, in the open transaction. It
// decides nothing: what it sends and over which rows is in the plan; it
// only splits key lists into statements under the dialect's limits.
//
// In dry mode (Preview) it sends the reads and, instead of each write,
// records the statement it would send and counts the rows it would touch.
type sender struct {
	s       *Session
	ctx     context.Context
	conn    DBTX
	d       *Dialect
	now     time.Time // the soft-delete timestamp of the run
	attempt int       // 1 for a Commit's first run; hooks can read it
	res     *CommitResult
	unit    *unitPlan
	si      *schemaInfo
	unitN   int64               // rows the current unit touched, for AtMost
	totalN  int64               // rows the run touched, for WithMaxRows
	earlyN  map[*unitPlan]int64 // rows each unit's early steps touched
	standIn int64               // rows the current unit's count step counted

	dry  bool
	pv   *Preview
	gone map[goneKey]*goneRows // dry: rows earlier units removed or updated
	sets map[*relation]int64   // dry: rows each reassigning relation of the unit updates

	stamped   []stamp              // soft-deleted objects, to stamp once committed
	versioned map[string]bool      // tables of versioned models with missing keys
	sent      map[string]bool      // statements sent once in this run
	stmts     map[string]*sql.Stmt // statements sent again, prepared for reuse
	// repeats: the batch being sent is one of several full batches of a
	// step, whose statements all have the same text, so exec prepares
	// them at their first use instead of their second.
	repeats bool
	texts   map[textKey]stmtText // statements rendered, by step and condition
	// joins: the join form of a step's key conditions of shapeUnnest,
	// which its DELETE takes instead (removeStmt).
	joins map[textKey]keyJoin
	// ors is what orParts built for the step it last ran on: remove asks
	// it whether the relations go in one statement, then sends (or, dry,
	// counts and sends) that statement through orBatches.
	ors orMemo
}

// orMemo is what orParts returned for step st.
type orMemo struct {
	st    *step
	parts []orPart
	one   bool
}

// goneKey names what an earlier unit of a dry run did to rows of a table:
// removed them (fk ""), soft-deleted them (soft), or set columns fk to
// NULL.
type goneKey struct {
	m    *model
	soft bool
	fk   string
}

// goneRows are the rows a goneKey names: by key, and by the conditions of
// set-based statements.
type goneRows struct {
	keys  map[keyID]bool
	conds []cond
}

// cond is a condition with ? placeholders and its arguments.
type cond struct {
	sql  string
	args []any
}

// errRowCount reports, inside a run, a batch of registered keys that
// deleted fewer rows than it had keys; the session then runs everything
// again in precise mode, which reads which keys exist first.
var errRowCount = errors.New("row count mismatch")

// actions holds what the sender does for each action.
var actions = [...]func(*sender, *step) error{
	actRead:     (*sender).read,
	actTree:     (*sender).tree,
	actCount:    (*sender).count,
	actRestrict: (*sender).restrict,
	actSetRead:  (*sender).setRead,
	actSet:      (*sender).reassign,
	actDelete:   (*sender).remove,
	actRestore:  (*sender).restore,
}

// run sends the plan. It fails with the first error: of a step, else of
// closing the statements it prepared.
func (x *sender) run(p *plan) (err error) {
	defer func() {
		if cerr := x.close(); err == nil {
			err = cerr
		}
	}()
	x.si = p.si
	if p.clock {
		if err := x.readClock(); err != nil {
			return err
		}
	}
	// Early steps first: the reads that fix a bulk filter's rows before
	// any unit writes.
	for _, up := range p.units {
		if len(up.early) == 0 || up.none() {
			continue
		}
		x.unit, x.unitN = up, 0
		for _, st := range up.early {
			if err := actions[st.act](x, st); err != nil {
				return err
			}
		}
		if x.earlyN == nil {
			x.earlyN = make(map[*unitPlan]int64)
		}
		x.earlyN[up] = x.unitN
	}
	for _, up := range p.units {
		x.unit, x.unitN, x.standIn = up, x.earlyN[up], 0
		if b := up.unit.bulk; b != nil && b.none {
			if !x.dry {
				b.handle.set(0, true, nil)
			}
			continue
		}
		var before CommitResult
		if x.dry {
			before = x.res.clone()
			x.sets = make(map[*relation]int64)
		}
		for _, st := range up.steps {
			if err := actions[st.act](x, st); err != nil {
				return err
			}
		}
		if x.dry {
			x.pv.units = append(x.pv.units, previewUnit{up: up, res: x.res.since(&before), sets: x.sets})
		}
	}
	if len(x.res.Missing) > 0 {
		if err := staleError(x.res.Missing, x.versioned, x.s.strict); err != nil {
			if !x.dry {
				return err
			}
			x.pv.errs = append(x.pv.errs, err)
		}
	}
	return nil
}

// readClock sets the run's stamp to the database's current time.
func (x *sender) readClock() error {
	var v any
	if err := x.s.scalar(x.ctx, x.conn, "read clock", rawSQL{sql: x.d.clock, d: x.d}, &v); err != nil {
		return inner("read the database's clock", err)
	}
	t, err := parseClock(v)
	if err != nil {
		return err
	}
	if err := x.record(rawSQL{sql: x.d.clock, d: x.d}); err != nil {
		return inner("read the database's clock", err)
	}
	x.now = t
	return nil
}

// read reads rows into a node's set: whole rows when the node keeps them,
// else keys, with the self-reference columns of a table that references
// itself. A read of registered keys settles which of them exist; a read
// again keeps only the rows of the node's set it finds.
func (x *sender) read(st *step) error {
	n := st.into
	found := newRowSet(n.m)
	err := x.scanRows(st, n, st.set, found)
	if err != nil {
		return err
	}
	if st.again {
		*n.set = *found
		return nil
	}
	if reg := n.set.reg; reg != nil && st.sel == selSet {
		kept, err := x.settle(st, n.set, found)
		if err != nil {
			return err
		}
		*n.set = *kept
		return x.counted(st, int64(n.set.len()))
	}
	added := 0
	for i := 0; i < found.keys.len(); i++ {
		if n.set.add(found.keys.at(i), found.ptr(i), found.ref(i)) {
			added++
		}
	}
	return x.counted(st, int64(added))
}

// tree reads the descendants of a tree node's rows, level by level, until
// a level finds no row it does not hold already.
func (x *sender) tree(st *step) error {
	n := st.into
	frontier := n.set
	for frontier.len() > 0 {
		found := newRowSet(n.m)
		if err := x.scanRows(st, n, frontier, found); err != nil {
			return err
		}
		next := newRowSet(n.m)
		for i := 0; i < found.keys.len(); i++ {
			if n.set.add(found.keys.at(i), found.ptr(i), found.ref(i)) {
				next.add(found.keys.at(i), nil, nil)
			}
		}
		if err := x.counted(st, int64(next.len())); err != nil {
			return err
		}
		frontier = next
	}
	return nil
}

// scanRows sends the reads of a step, one per batch of the keys of src,
// and adds each row to into.
func (x *sender) scanRows(st *step, n *node, src *rowSet, into *rowSet) error {
	m := st.m
	cols := m.pkColumns()
	if n.rows {
		cols = m.columns()
	} else {
		for _, fk := range n.self {
			cols = append(cols, fieldColumns(fk)...)
		}
	}
	return x.batches(st, src, func(cond string, args []any, _ []int) error {
		q := x.sel(st, x.d.quoteAll(cols), cond, args, true)
		rows, err := x.s.query(x.ctx, x.conn, x.kind(st), x.runSel(st, x.d.quoteAll(cols), cond, args, true))
		if err != nil {
			return x.fail(st, err)
		}
		sc := newRowScanner(m, n)
		err = scanAll(rows, func() error {
			k, obj, refs, err := sc.scan(rows)
			if err != nil {
				return err
			}
			if !x.isGone(st, k) {
				into.add(k, obj, refs)
			}
			return nil
		})
		if err != nil {
			return x.fail(st, err)
		}
		if err := x.record(q); err != nil {
			return x.fail(st, err)
		}
		return nil
	})
}

// settle returns the registered rows of reg that the read found, in their
// order, and records the others as missing. A key that matches a row only
// by the database's collation (ALICE for alice) counts as found: the
// database is asked about keys found rows do not explain.
func (x *sender) settle(st *step, reg *rowSet, found *rowSet) (*rowSet, error) {
	matched := make([]bool, reg.keys.len())
	hits := 0
	for i := range matched {
		if found.has(reg.keys.id(i)) {
			matched[i] = true
			hits++
		}
	}
	if hits < reg.keys.len() && found.len() > 0 && collates(reg.m) {
		if err := x.matchByDatabase(st, reg, matched); err != nil {
			return nil, err
		}
	}
	kept := &rowSet{m: reg.m, keys: newKeyList(reg.m)}
	for i, ok := range matched {
		if !ok {
			x.missing(reg.m, reg.keys.at(i))
			continue
		}
		// The read matched the version too, and locked the row: its
		// delete needs no version.
		kept.keys.addFrom(&reg.keys, i)
		if reg.objs != nil {
			kept.objs = append(kept.objs, reg.objs[i])
		}
		if j, ok := found.indexOf(reg.keys.id(i)); ok {
			if found.refs != nil {
				for len(kept.refs) < kept.keys.len()-1 {
					kept.refs = append(kept.refs, nil)
				}
				kept.refs = append(kept.refs, found.ref(j))
			}
			if reg.objs == nil && found.objs != nil {
				for len(kept.objs) < kept.keys.len()-1 {
					kept.objs = append(kept.objs, nil)
				}
				kept.objs = append(kept.objs, found.ptr(j))
			}
		}
	}
	return kept, nil
}

// collates reports whether keys of m can match a row they do not equal:
// a part is a string, or of a type the package cannot tell.
func collates(m *model) bool {
	for _, f := range m.pk {
		t := f.typ
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if c := kindClass(t); c == 2 || c == 0 && t != reflect.TypeFor[time.Time]() {
			return true
		}
	}
	return false
}

// matchByDatabase asks the database which of the unmatched keys of reg
// match a row, comparing as the database does, and marks them.
func (x *sender) matchByDatabase(st *step, reg *rowSet, matched []bool) error {
	var idx []int
	for i, ok := range matched {
		if !ok {
			idx = append(idx, i)
		}
	}
	for len(idx) > 0 {
		n := min(len(idx), x.d.compoundTerms(len(reg.m.pk)+1)) // a key and the scope per term
		var parts []string
		var args []any
		for _, i := range idx[:n] {
			cond, a, err := x.d.keyCond(reg.m.pkColumns(), fieldTypes(reg.m.pk), nil, keysOf(reg.m, reg.keys.at(i)), nil)
			if err != nil {
				return x.fail(st, err)
			}
			cond, a = x.scoped(reg.m, cond, a)
			parts = append(parts, fmt.Sprintf("SELECT %d%s WHERE EXISTS (SELECT 1 FROM %s WHERE %s)", i, x.d.fromDual, x.d.quoteTable(reg.m.table), cond))
			args = append(args, a...)
		}
		q := rawSQL{strings.Join(parts, " UNION ALL "), args, x.d}
		rows, err := x.s.query(x.ctx, x.conn, x.kind(st), q)
		if err != nil {
			return x.fail(st, err)
		}
		err = scanAll(rows, func() error {
			var i int
			if err := rows.Scan(&i); err != nil {
				return err
			}
			if i >= 0 && i < len(matched) {
				matched[i] = true
			}
			return nil
		})
		if err != nil {
			return x.fail(st, err)
		}
		if err := x.record(q); err != nil {
			return x.fail(st, err)
		}
		idx = idx[n:]
	}
	return nil
}

// count counts the rows of a set-based delete before it is sent, for a
// limit.
func (x *sender) count(st *step) error {
	n, err := x.countRows(st, nil, true)
	if err != nil {
		return err
	}
	x.standIn = n
	return x.counted(st, n)
}

// countRows counts the rows a step selects, one statement per batch of the
// keys of src (nil for the step's own set). record says whether a Commit
// sends the count too, rather than a dry run alone.
func (x *sender) countRows(st *step, src *rowSet, record bool) (int64, error) {
	var total int64
	if x.dry && x.goneByKey(st) {
		// Rows earlier units removed by key are still there in a dry
		// run: read the keys and leave those out.
		kids, err := x.keysOf(st, src, false)
		if err != nil || !record {
			return int64(kids.len()), err
		}
		err = x.batches(st, src, func(cond string, args []any, _ []int) error {
			x.record(x.sel(st, []string{"COUNT(*)"}, cond, args, false))
			return nil
		})
		return int64(kids.len()), err
	}
	err := x.batches(st, src, func(cond string, args []any, _ []int) error {
		q := x.sel(st, []string{"COUNT(*)"}, cond, args, false)
		n, err := x.s.count(x.ctx, x.conn, x.kind(st), x.runSel(st, []string{"COUNT(*)"}, cond, args, false))
		if err != nil {
			return x.fail(st, err)
		}
		if record {
			if err := x.record(q); err != nil {
				return x.fail(st, err)
			}
		}
		total += n
		return nil
	})
	return total, err
}

// restrict refuses the Commit when children of the removed rows remain:
// children the unit removes anyway do not count for Restrict, every child
// counts for Protect.
func (x *sender) restrict(st *step) error {
	var n int64
	counting := st.minus == nil || st.protect
	if counting && !x.dry {
		var err error
		if n, err = x.countRows(st, nil, true); err != nil {
			return err
		}
	} else {
		// A dry run reads the keys, to leave out rows earlier units
		// removed, and shows the statement a Commit sends.
		kids, err := x.keysOf(st, nil, !counting)
		if err != nil {
			return err
		}
		if counting {
			err := x.batches(st, nil, func(cond string, args []any, _ []int) error {
				if err := x.record(x.sel(st, []string{"COUNT(*)"}, cond, args, false)); err != nil {
					return x.fail(st, err)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		for i := 0; i < kids.len(); i++ {
			if st.protect || st.minus == nil || !st.minus.set.has(kids.keys.id(i)) {
				n++
			}
		}
	}
	if n == 0 {
		return nil
	}
	err := &RestrictError{Parent: st.rel.parent.table, Child: st.m.table, Count: n, Policy: st.rel.policy}
	if x.dry {
		x.pv.errs = append(x.pv.errs, err)
		return nil
	}
	return err
}

// setRead reads the children a reassigning relation will update, leaving
// out the ones the unit removes before their parent.
func (x *sender) setRead(st *step) error {
	kids, err := x.keysOf(st, nil, true)
	if err != nil {
		return err
	}
	for i := 0; i < kids.len(); i++ {
		id := kids.keys.id(i)
		if st.minus == nil || !st.minus.set.has(id) {
			st.targets.add(kids.keys.at(i), nil, nil)
		}
	}
	return x.counted(st, int64(st.targets.len()))
}

// keysOf reads the keys of the rows a step selects, by the keys of src
// (nil for the step's own set); record says whether a Commit sends the
// read too.
func (x *sender) keysOf(st *step, src *rowSet, record bool) (*rowSet, error) {
	out := newRowSet(st.m)
	lock := st.act == actSetRead
	err := x.batches(st, src, func(cond string, args []any, _ []int) error {
		q := x.sel(st, x.d.quoteAll(st.m.pkColumns()), cond, args, lock)
		rows, err := x.s.query(x.ctx, x.conn, x.kind(st), x.runSel(st, x.d.quoteAll(st.m.pkColumns()), cond, args, lock))
		if err != nil {
			return x.fail(st, err)
		}
		sc := newRowScanner(st.m, nil)
		err = scanAll(rows, func() error {
			k, _, _, err := sc.scan(rows)
			if err == nil && !x.isGone(st, k) {
				out.add(k, nil, nil)
			}
			return err
		})
		if err != nil {
			return x.fail(st, err)
		}
		if record {
			if err := x.record(q); err != nil {
				return x.fail(st, err)
			}
		}
		return nil
	})
	return out, err
}

// reassign sets the foreign key of a relation's children to NULL, the
// default or a value.
func (x *sender) reassign(st *step) error {
	var total int64
	if x.dry {
		if st.sel == selSet {
			total = int64(st.set.len())
		} else {
			var err error
			if total, err = x.countRows(st, nil, false); err != nil {
				return err
			}
		}
	}
	n, err := x.setBased(st, x.setStmt, &goneKey{m: st.m, fk: strings.Join(st.rel.fkColumns(), ",")})
	if err != nil {
		return err
	}
	total += n
	x.res.addUpdated(st.m.table, total)
	if x.dry {
		x.sets[st.rel] += total
	}
	if st.counts {
		return x.counted(st, total)
	}
	return nil
}

// remove deletes (or soft-deletes) the rows of a step: set-based for a
// filter or a relation's children, else by key, in levels where the rows
// reference each other, running hooks around each statement.
func (x *sender) remove(st *step) error {
	if len(st.or) > 0 {
		// Relations whose keys do not fit in one statement go as steps
		// of their own, each counted after the one before has removed
		// its rows.
		_, one, err := x.orParts(st)
		if err != nil {
			return err
		}
		if !one {
			for _, each := range st.split() {
				if err := x.remove(each); err != nil {
					return err
				}
			}
			return nil
		}
	}
	var total int64
	var done []int // rows of the set deleted, for DeleteReturning
	returning := st.handle && !x.dry && st.sel == selSet && x.unit.unit.bulk.returning
	if st.sel != selSet {
		if x.dry {
			n, err := x.countRows(st, nil, false)
			if err != nil {
				return err
			}
			total = n
		}
		n, err := x.setBased(st, x.removeStmt, &goneKey{m: st.m, soft: st.soft})
		if err != nil {
			return err
		}
		total += n
	} else {
		var groups [][]int // nil: the whole set, in order
		if st.order {
			groups = levels(st.set)
		}
		if len(groups) == 1 {
			groups = nil
		}
		for gi := 0; gi == 0 || gi < len(groups); gi++ {
			sub, g := st.set, []int(nil)
			if groups != nil {
				g = groups[gi]
				sub = st.set.subset(g)
			}
			err := x.batches(st, sub, func(cond string, args []any, rows []int) error {
				if st.hooks && !x.dry {
					if err := x.hooks(st, sub, rows, true); err != nil {
						return err
					}
				}
				key, build := textKey{st: st, cond: cond}, x.removeStmt
				if st.archive != "" {
					if x.d.cteDelete && !st.soft {
						// One statement copies and deletes.
						key, build = textKey{st: st, cond: cond, archive: true}, x.archiveStmt
					} else if err := x.copyOut(st, cond, args); err != nil {
						return err
					}
				}
				q, err := x.writeText(key, args, build)
				if err != nil {
					return err
				}
				var n int64
				if x.dry {
					if err := x.record(q); err != nil {
						return x.fail(st, err)
					}
					n = int64(len(rows))
					if st.expect || st.stale {
						// Would every key match a row? Not one an earlier
						// unit removed.
						var alive []int
						for _, r := range rows {
							if !x.isGone(st, sub.keys.at(r)) {
								alive = append(alive, r)
							}
						}
						c, err := x.countRows(st, sub.subset(alive), false)
						if err != nil {
							return err
						}
						n = c
					}
				} else if n, err = x.exec(st, q); err != nil {
					return x.fail(st, err)
				}
				if st.expect && n != int64(len(rows)) {
					return errRowCount
				}
				total += n
				if returning {
					for _, r := range rows {
						if g != nil {
							r = g[r]
						}
						done = append(done, r)
					}
				}
				if st.hooks && !x.dry {
					return x.hooks(st, sub, rows, false)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if x.dry {
			x.markGone(goneKey{m: st.m, soft: st.soft}, st.set)
		}
	}
	if st.soft {
		x.res.addSoftDeleted(st.m.table, total)
		if !x.dry && st.sel == selSet && st.set.objs != nil {
			x.stamped = append(x.stamped, stamp{m: st.m, objs: st.set.objs, at: x.now})
		}
	} else {
		x.res.addDeleted(st.m.table, total)
	}
	if st.handle && !x.dry {
		var objs []any
		if returning {
			objs = make([]any, len(done))
			for i, r := range done {
				objs[i] = st.set.object(r)
			}
		}
		x.unit.unit.bulk.handle.set(total, true, objs)
	}
	if st.counts {
		n := total
		if st.recount {
			// The DELETE's own count replaces the COUNT that stood in
			// for it: rows that came in between count too.
			n -= x.standIn
		}
		return x.counted(st, n)
	}
	return nil
}

// restore restores the soft-deleted rows of a step's set.
func (x *sender) restore(st *step) error {
	total, err := x.setBased(st, x.restoreStmt, nil)
	if err != nil {
		return err
	}
	if x.dry {
		total = int64(st.set.len())
	}
	x.res.addRestored(st.m.table, total)
	if x.dry {
		return nil
	}
	if st.set.objs != nil {
		x.stamped = append(x.stamped, stamp{m: st.m, objs: st.set.objs, restore: true})
	}
	if st.handle {
		x.unit.unit.bulk.handle.set(total, true, nil)
	}
	return nil
}

// copyOut copies the rows a condition selects to the step's archive
// table.
func (x *sender) copyOut(st *step, cond string, args []any) error {
	q, err := x.writeText(textKey{st: st, cond: cond, archive: true}, args, x.archiveStmt)
	if err != nil {
		return err
	}
	if x.dry {
		if err := x.record(q); err != nil {
			return x.fail(st, err)
		}
		return nil
	}
	if _, err := x.exec(st, q); err != nil {
		return inner(fmt.Sprintf("archive %q to %q", st.m.table, st.archive), err)
	}
	return nil
}

// setBased sends a set-based write of a step, one statement per batch
// built by stmt, and returns the rows it affected; a dry run records the
// statements and, as gone (unless gone is nil), the rows they select.
func (x *sender) setBased(st *step, stmt func(*step, string, []any) sqlizer, gone *goneKey) (int64, error) {
	var total int64
	err := x.batches(st, nil, func(cond string, args []any, _ []int) error {
		q, err := x.write(st, cond, args, stmt)
		if err != nil {
			return err
		}
		if x.dry {
			if err := x.record(q); err != nil {
				return x.fail(st, err)
			}
			if gone != nil {
				x.goneBy(*gone, cond, args)
			}
			return nil
		}
		n, err := x.exec(st, q)
		if err != nil {
			return x.fail(st, err)
		}
		total += n
		return nil
	})
	return total, err
}

// hooks runs BeforeDelete (before) or AfterDelete on the objects of rows
// of set, in order.
func (x *sender) hooks(st *step, set *rowSet, rows []int, before bool) error {
	ctx := withHookInfo(x.ctx, HookInfo{Soft: st.soft, Attempt: x.attempt})
	for _, r := range rows {
		obj := set.object(r)
		var err error
		which := "AfterDelete"
		if before {
			which = "BeforeDelete"
			if h, ok := obj.(BeforeDeleter); ok {
				err = h.BeforeDelete(ctx, hookTx{x.conn})
			}
		} else if h, ok := obj.(AfterDeleter); ok {
			err = h.AfterDelete(ctx, hookTx{x.conn})
		}
		if err != nil {
			// A deadlock in the hook's own statement aborted the
			// transaction as one in the session's would: it is retried.
			err = classify(err)
			return fmt.Errorf("%s of %q key %v: %w", which, st.m.table, formatKeys([][]any{st.m.keyParts(set.keys.at(r))}), err)
		}
	}
	return nil
}

// counted adds n rows the step touched to the unit's and the run's counts,
// and fails when a limit is passed.
func (x *sender) counted(st *step, n int64) error {
	if !st.counts || n == 0 {
		return nil
	}
	x.unitN += n
	x.totalN += n
	var err error
	if b := x.unit.unit.bulk; b != nil && b.atMost > 0 && x.unitN > b.atMost {
		err = &TooManyRowsError{Table: b.m.table, Limit: b.atMost, Count: x.unitN, Scope: "AtMost"}
	} else if x.s.maxRows > 0 && x.totalN > x.s.maxRows {
		err = &TooManyRowsError{Table: st.m.table, Limit: x.s.maxRows, Count: x.totalN, Scope: "WithMaxRows"}
	}
	if err == nil {
		return nil
	}
	if x.dry {
		x.pv.errs = append(x.pv.errs, err)
		return nil
	}
	return err
}

// missing records a registered key that matched no row.
func (x *sender) missing(m *model, k any) {
	x.res.Missing = append(x.res.Missing, MissingKey{Table: m.table, Key: m.keyParts(k)})
	if m.version != nil {
		if x.versioned == nil {
			x.versioned = make(map[string]bool)
		}
		x.versioned[m.table] = true
	}
}

// goneKeys returns the goneKeys that hide rows from a step's reads in a
// dry run: rows removed, soft-deleted ones for a read of live rows, and
// rows whose reference a relation followed was set to NULL.
func (x *sender) goneKeys(st *step) []goneKey {
	ks := []goneKey{{m: st.m}}
	if st.live {
		ks = append(ks, goneKey{m: st.m, soft: true})
	}
	if st.sel == selFK {
		ks = append(ks, goneKey{m: st.m, fk: strings.Join(st.rel.fkColumns(), ",")})
		for _, p := range st.or {
			ks = append(ks, goneKey{m: st.m, fk: strings.Join(p.rel.fkColumns(), ",")})
		}
	}
	return ks
}

// goneByKey reports, in a dry run, whether earlier units removed or
// updated rows by key that a step's reads would see.
func (x *sender) goneByKey(st *step) bool {
	for _, gk := range x.goneKeys(st) {
		if g := x.gone[gk]; g != nil && len(g.keys) > 0 {
			return true
		}
	}
	return false
}

// isGone reports, in a dry run, whether an earlier unit removed or updated
// the row with key k so that the step's read would not see it in a Commit.
func (x *sender) isGone(st *step, k any) bool {
	if !x.dry || len(x.gone) == 0 {
		return false
	}
	id := idOf(st.m.keyKind, k)
	for _, gk := range x.goneKeys(st) {
		if g := x.gone[gk]; g != nil && g.keys[id] {
			return true
		}
	}
	return false
}

// runSel is sel as a read is sent: with a lock outside dry runs (lock
// permitting), and in a dry run without rows earlier units removed by
// set-based statements.
func (x *sender) runSel(st *step, cols []string, c string, args []any, lock bool) sqlizer {
	if !x.dry {
		return x.sel(st, cols, c, args, lock)
	}
	for _, gk := range x.goneKeys(st) {
		g := x.gone[gk]
		if g == nil {
			continue
		}
		for _, gc := range g.conds {
			extra := "(" + gc.sql + ") IS NOT TRUE"
			if c == "" {
				c, args = extra, gc.args
			} else {
				c, args = "("+c+") AND "+extra, append(slicesClone(args), gc.args...)
			}
		}
	}
	return x.sel(st, cols, c, args, false)
}

// goneRowsOf returns the record of what k names, adding it.
func (x *sender) goneRowsOf(k goneKey) *goneRows {
	if x.gone == nil {
		x.gone = make(map[goneKey]*goneRows)
	}
	g := x.gone[k]
	if g == nil {
		g = &goneRows{keys: make(map[keyID]bool)}
		x.gone[k] = g
	}
	return g
}

// markGone records, in a dry run, the rows of set as what k says.
func (x *sender) markGone(k goneKey, set *rowSet) {
	g := x.goneRowsOf(k)
	for i := 0; i < set.len(); i++ {
		g.keys[set.keys.id(i)] = true
	}
}

// goneBy records, in a dry run, the rows a set-based statement's condition
// selects as what k says.
func (x *sender) goneBy(k goneKey, c string, args []any) {
	if c == "" {
		c = "1=1" // every row
	}
	g := x.goneRowsOf(k)
	g.conds = append(g.conds, cond{c, args})
}

// record counts a statement a Commit sent, or adds one to the Preview of
// a dry run; a statement that cannot be rendered is an error, not left
// out.
func (x *sender) record(q sqlizer) error {
	if !x.dry {
		x.res.Statements++
		return nil
	}
	sql, args, err := q.ToSql()
	if err != nil {
		return err
	}
	x.pv.Statements = append(x.pv.Statements, Statement{SQL: sql, Args: args})
	return nil
}

// fail wraps a step's error with what the step was doing.
func (x *sender) fail(st *step, err error) error {
	var what string
	switch st.act {
	case actDelete:
		what = "delete from"
		if st.soft {
			what = "soft delete in"
		}
	case actSet:
		what = reassignWords[st.rel.policy] + " in"
	case actRestore:
		what = "restore in"
	case actRestrict:
		what = "restrict check on"
	case actCount:
		what = "count in"
	default:
		what = "read from"
	}
	return inner(fmt.Sprintf("%s %q", what, st.m.table), err)
}

// exec sends a write and returns the rows it affected. A statement whose
// text this run sends more than once (the full batches of 500 keys, say)
// is prepared once and reused, so the database parses it once rather than
// once per batch: at its first use where batches says the text repeats,
// else at its second. A statement sent once goes as a plain Exec.
func (x *sender) exec(st *step, q sqlizer) (int64, error) {
	query, args, err := q.ToSql()
	if err != nil {
		return 0, err
	}
	var ps *sql.Stmt
	if x.repeats || x.sent[query] {
		if ps, err = x.prepared(query); err != nil {
			return 0, err
		}
	} else {
		if x.sent == nil {
			x.sent = make(map[string]bool)
		}
		x.sent[query] = true
	}
	n, err := x.s.execStmt(x.ctx, x.conn, ps, x.kind(st), query, args)
	x.res.Statements++
	return n, err
}

// kind names what a step's statement does, for the log: "delete", "soft
// delete", "set null", "restrict check", ...; a dry run's reads are
// "preview ...".
func (x *sender) kind(st *step) string {
	k := st.act.String()
	switch {
	case st.act == actDelete && st.soft:
		k = "soft delete"
	case st.act == actSet:
		k = reassignWords[st.rel.policy]
	}
	if x.dry {
		k = "preview " + k
	}
	return k
}

// prepared returns the run's prepared statement for query, preparing it on
// the transaction on first use.
func (x *sender) prepared(query string) (*sql.Stmt, error) {
	if st := x.stmts[query]; st != nil {
		return st, nil
	}
	st, err := x.conn.PrepareContext(x.ctx, query)
	if err != nil {
		return nil, classify(err)
	}
	if x.stmts == nil {
		x.stmts = make(map[string]*sql.Stmt)
	}
	x.stmts[query] = st
	return st, nil
}

// close releases the run's prepared statements, all of them, and returns
// the first error.
func (x *sender) close() error {
	var first error
	for _, st := range x.stmts {
		if err := st.Close(); err != nil && first == nil {
			first = inner("close a prepared statement", classify(err))
		}
	}
	x.stmts = nil
	return first
}

// subset returns the rows at idx of rs as a set of their own.
func (rs *rowSet) subset(idx []int) *rowSet {
	out := &rowSet{m: rs.m, keys: newKeyList(rs.m)}
	for _, i := range idx {
		out.keys.addFrom(&rs.keys, i)
		if len(rs.vers) == rs.keys.len() {
			out.vers = append(out.vers, rs.vers[i])
		}
		if rs.objs != nil {
			out.objs = append(out.objs, rs.ptr(i))
		}
	}
	return out
}

// ptr returns row i's object pointer, or nil.
func (rs *rowSet) ptr(i int) unsafe.Pointer {
	if i < len(rs.objs) {
		return rs.objs[i]
	}
	return nil
}

// ref returns the keys row i references, or nil.
func (rs *rowSet) ref(i int) []keyID {
	if i < len(rs.refs) {
		return rs.refs[i]
	}
	return nil
}

// indexOf returns the position of key id in the set.
func (rs *rowSet) indexOf(id keyID) (int, bool) {
	rs.buildIndex()
	i, ok := rs.index[id]
	return i, ok
}

// keysOf returns a one-key list holding k.
func keysOf(m *model, k any) *keyList {
	l := newKeyList(m)
	l.add(k)
	return &l
}

// fieldTypes returns the Go types of fields.
func fieldTypes(fs []*field) []reflect.Type {
	out := make([]reflect.Type, len(fs))
	for i, f := range fs {
		out[i] = f.typ
	}
	return out
}

// staleError groups missing keys by table into *StaleDataError values:
// all of them when strict, else only those of versioned tables, which
// always fail. It returns nil when none fail.
func staleError(missing []MissingKey, versioned map[string]bool, strict bool) error {
	var errs []error
	byTable := make(map[string]*StaleDataError)
	for _, mk := range missing {
		if !strict && !versioned[mk.Table] {
			continue
		}
		e := byTable[mk.Table]
		if e == nil {
			e = &StaleDataError{Table: mk.Table, Version: versioned[mk.Table]}
			byTable[mk.Table] = e
			errs = append(errs, e)
		}
		e.Keys = append(e.Keys, mk.Key)
	}
	if len(errs) == 0 {
		return nil
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}
