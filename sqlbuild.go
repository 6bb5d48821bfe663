package typeddelete

import (
	"reflect"
	"strings"

	sq "github.com/Masterminds/squirrel"
)

// sqlizer is a statement with its arguments: a squirrel builder, or rawSQL.
type sqlizer = sq.Sqlizer

// rawSQL is a statement written with ? placeholders, rendered with the
// dialect's.
type rawSQL struct {
	sql  string
	args []any
	d    *Dialect
}

// ToSql returns the statement with the dialect's placeholders.
func (r rawSQL) ToSql() (string, []any, error) {
	q, err := r.d.placeholder.ReplacePlaceholders(r.sql)
	return q, r.args, err
}

// builtSQL is a statement already rendered.
type builtSQL struct {
	sql  string
	args []any
}

// ToSql returns the statement.
func (b builtSQL) ToSql() (string, []any, error) { return b.sql, b.args, nil }

// sqlFunc is a statement built from others when it is rendered, so that
// their errors come out of its ToSql.
type sqlFunc func() (string, []any, error)

// ToSql returns the statement, or the error of one it is built from.
func (f sqlFunc) ToSql() (string, []any, error) { return f() }

// argMark stands for the i-th argument of a condition while a statement
// is rendered once, to learn where each argument goes. The statement
// holds pointers to marks, which box without allocating.
type argMark int

// textKey names a statement of a step whose text depends only on its
// condition: every full batch of keys has the same. archive tells the
// copy to an archive table from the step's own statement.
type textKey struct {
	st      *step
	cond    string
	archive bool
}

// stmtText is a rendered statement and where its arguments come from:
// layout[j] is the index of the condition's argument at position j, or -1
// for fixed[j].
type stmtText struct {
	sql    string
	layout []int
	fixed  []any
	// same: the statement takes the condition's arguments as they are,
	// in order and nothing else, so they need no copy.
	same bool
}

// write returns build's statement for a step's condition, rendered by
// squirrel once per step and condition text and reused for every batch
// with the same text, each full batch of 500 keys say, with that batch's
// arguments.
func (x *sender) write(st *step, cond string, args []any, build func(*step, string, []any) sqlizer) (sqlizer, error) {
	return x.writeText(textKey{st: st, cond: cond}, args, build)
}

// writeText is write for the statement key names.
func (x *sender) writeText(key textKey, args []any, build func(*step, string, []any) sqlizer) (sqlizer, error) {
	st, cond := key.st, key.cond
	t, ok := x.texts[key]
	if !ok {
		marks, at := make([]any, len(args)), make([]argMark, len(args))
		for i := range marks {
			at[i] = argMark(i)
			marks[i] = &at[i]
		}
		q, qargs, err := build(st, cond, marks).ToSql()
		if err != nil {
			return nil, err
		}
		t = stmtText{sql: q, layout: make([]int, len(qargs)), fixed: make([]any, len(qargs)), same: len(qargs) == len(args)}
		for j, a := range qargs {
			if m, ok := a.(*argMark); ok {
				t.layout[j] = int(*m)
			} else {
				t.layout[j], t.fixed[j] = -1, a
			}
			t.same = t.same && t.layout[j] == j
		}
		if x.texts == nil {
			x.texts = make(map[textKey]stmtText)
		}
		x.texts[key] = t
	}
	if t.same {
		return builtSQL{t.sql, args}, nil
	}
	var out []any
	if len(t.layout) > 0 {
		out = make([]any, len(t.layout))
	}
	for j, i := range t.layout {
		if i < 0 {
			out[j] = t.fixed[j]
		} else {
			out[j] = args[i]
		}
	}
	return builtSQL{t.sql, out}, nil
}

// batches calls fn once per statement of a step. For a selection by key,
// that is once per batch of the keys of src (the step's own set when src is
// nil) that the dialect takes in one statement, with the condition that
// matches them and the positions of the batch's rows in src; for a filter,
// once, with the filter.
func (x *sender) batches(st *step, src *rowSet, fn func(cond string, args []any, rows []int) error) error {
	if st.sel == selFilter {
		return fn(st.bulk.where, st.bulk.args, nil)
	}
	if len(st.or) > 0 && src == nil {
		return x.orBatches(st, fn)
	}
	set := src
	if set == nil {
		set = st.set
	}
	n := set.len()
	if n == 0 {
		return nil
	}
	var cols []string
	var types []reflect.Type
	versioned := false
	table := st.m.table
	via := "" // the foreign key and the subquery that turns parent keys into referenced values
	// A dense list may be a scan of its range where the keys match one row
	// each (not parent keys matched against a foreign key) on the server
	// the dialect marks.
	scan := (st.sel != selFK || !st.rel.byKey()) && x.d.serverProbe != "" && x.d.marked(x.si)
	if st.sel == selFK && !st.rel.byKey() {
		r := st.rel
		cols, types, table = r.parent.pkColumns(), fieldTypes(r.parent.pk), r.parent.table
		via = x.d.rowTarget(r.fkColumns()) + " IN (SELECT " + strings.Join(x.d.quoteAll(r.refColumns()), ", ") +
			" FROM " + x.d.quoteTable(table) + " WHERE "
	} else if st.sel == selFK {
		cols, types = st.rel.fkColumns(), fieldTypes(st.rel.ref)
	} else {
		cols, types = st.m.pkColumns(), fieldTypes(st.m.pk)
		if set.vers != nil && st.m.version != nil {
			cols = append(cols, st.m.version.column)
			types = append(types, reflect.TypeFor[int64]())
			versioned = true
		}
	}
	sqlTypes := x.si.columnTypes(table, cols)
	shape := x.d.keyShapeFor(types, sqlTypes)
	if len(cols) == 1 && via == "" {
		shape = x.d.listShape(shape, set.keys.kind, n, st.sel == selFK)
	}
	var join *keyJoin
	if shape == shapeUnnest && via == "" {
		j := x.d.unnestJoin(table, cols, types, sqlTypes, st.m.columns())
		join = &j
	}
	per := x.d.keysPerStatement(shape, len(cols), x.s.batch, otherParams(st))
	rows := make([]int, 0, min(per, n))
	// Full batches of bind parameters share one text: with two or more,
	// exec prepares it at once.
	full := 0
	if shape == shapeParams {
		full = n / per
	}
	defer func(was bool) { x.repeats = was }(x.repeats)
	// One slice holds each batch's parameters in turn where nothing keeps
	// them past the batch: no Preview records them, no logger is handed
	// them.
	var buf []any
	reuse := !x.dry && x.s.logger == nil
	// A batch of bound parameters as long as the one before takes its
	// condition as it is (shapedKeyCond writes that text from the number
	// of keys alone): the same text, which the statement cache below
	// finds at once.
	same := shape == shapeParams
	var last struct {
		n    int
		cond string
	}
	for i := 0; i < n; i += per {
		j := min(i+per, n)
		x.repeats = full >= 2 && j-i == per
		batch := set.keys.slice(i, j)
		batch.scan = scan
		if versioned {
			batch = withVersions(st.m, &batch, set.vers[i:j])
		}
		var cond string
		var args []any
		if same && batch.len() == last.n {
			cond, args = last.cond, batch.params(buf, len(cols))
		} else {
			var err error
			if cond, args, err = x.d.shapedKeyCond(shape, cols, types, sqlTypes, &batch, buf); err != nil {
				return x.fail(st, err)
			}
			last.n, last.cond = batch.len(), cond
		}
		if reuse {
			buf = args
		}
		if via != "" {
			cond = via + cond + ")"
		}
		if join != nil {
			if x.joins == nil {
				x.joins = make(map[textKey]keyJoin)
			}
			x.joins[textKey{st: st, cond: cond}] = *join
		}
		rows = rows[:0]
		for r := i; r < j; r++ {
			rows = append(rows, r)
		}
		if err := fn(cond, args, rows); err != nil {
			return err
		}
	}
	return nil
}

// orBatches is batches for a step that selects the children of several
// relations: one statement whose condition ORs the relations' (remove
// sends the relations' own steps instead where orParts says they do not
// fit in one).
func (x *sender) orBatches(st *step, fn func(cond string, args []any, rows []int) error) error {
	parts, one, err := x.orParts(st)
	if err != nil {
		return err
	}
	if !one {
		for _, p := range parts {
			if err := fn(p.cond, p.args, nil); err != nil {
				return err
			}
		}
		return nil
	}
	conds := make([]string, len(parts))
	var args []any
	for i, p := range parts {
		conds[i] = "(" + p.cond + ")"
		args = append(args, p.args...)
	}
	return fn(strings.Join(conds, " OR "), args, nil)
}

// orPart is the condition and arguments of one relation's children.
type orPart struct {
	cond string
	args []any
}

// orParts returns the condition of each relation of a step that selects
// the children of several, and whether they go in one statement: each
// relation's keys fit in one, and all of them in the dialect's bind
// parameters. It builds them once per step (the step's sets no longer
// change when it runs).
func (x *sender) orParts(st *step) ([]orPart, bool, error) {
	if x.ors.st == st {
		return x.ors.parts, x.ors.one, nil
	}
	var parts []orPart
	split, params := false, 0
	for _, one := range st.split() {
		calls := 0
		err := x.batches(one, nil, func(cond string, args []any, _ []int) error {
			parts = append(parts, orPart{cond, args})
			calls++
			params += len(args)
			return nil
		})
		if err != nil {
			return nil, false, err
		}
		split = split || calls > 1
	}
	one := !split && len(parts) > 1 && params <= x.d.maxParams-otherParams(st)
	x.ors = orMemo{st: st, parts: parts, one: one}
	return parts, one, nil
}

// split returns a step that selects the children of several relations as
// one step per relation.
func (st *step) split() []*step {
	out := make([]*step, 0, 1+len(st.or))
	for _, p := range append([]fkSel{{set: st.set, rel: st.rel}}, st.or...) {
		one := *st
		one.set, one.rel, one.or = p.set, p.rel, nil
		out = append(out, &one)
	}
	return out
}

// otherParams is at most how many bind parameters a statement of st sends
// besides its keys: those of every statement on its model, and the values
// a SetNull, SetDefault or SetValue sets.
func otherParams(st *step) int {
	n := st.m.otherParams()
	if st.act == actSet {
		n += len(st.rel.fk)
	}
	return n
}

// withVersions returns keys with each key's version appended, as composite
// keys.
func withVersions(m *model, keys *keyList, vers []int64) keyList {
	out := keyList{kind: anyKeys, anys: make([]any, keys.len())}
	for i := range out.anys {
		parts := append(slicesClone(m.keyParts(keys.at(i))), vers[i])
		if keys.kind == intKeys {
			parts[0] = keys.ints[i]
		}
		out.anys[i] = parts
	}
	return out
}

func slicesClone(s []any) []any { return append([]any(nil), s...) }

// scoped adds the session's scope to a condition on m's rows.
func (x *sender) scoped(m *model, cond string, args []any) (string, []any) {
	if m.scope == nil {
		return cond, args
	}
	sc := x.d.Quote(m.scope.column) + " = ?"
	if cond == "" {
		return sc, []any{x.s.scopes[m.scope.column]}
	}
	return "(" + cond + ") AND " + sc, append(slicesClone(args), x.s.scopes[m.scope.column])
}

// sel builds the SELECT of cols from a step's table WHERE cond, with the
// step's soft-delete condition (live rows, or soft-deleted rows with the
// stamp of the parent row they reference), the session's scope, and FOR
// UPDATE with lock.
func (x *sender) sel(st *step, cols []string, cond string, args []any, lock bool) sq.SelectBuilder {
	d, m := x.d, st.m
	b := sq.Select(cols...).From(d.quoteTable(m.table)).PlaceholderFormat(d.placeholder)
	if cond != "" {
		b = b.Where(sq.Expr(cond, args...))
	}
	switch {
	case st.live:
		b = b.Where(m.softSQL(d, false))
	case st.dead:
		b = b.Where(m.softSQL(d, true))
	}
	if st.stamp {
		b = b.Where(x.sameStamp(st.rel))
	}
	if m.scope != nil {
		b = b.Where(x.s.scopeCond(m))
	}
	if lock && d.lockRows != "" {
		b = b.Suffix(d.lockRows)
	}
	return b
}

// sameStamp is the condition that a child row of relation r carries the
// soft-delete stamp of the parent row it references:
//
//	"c"."deleted_at" = (SELECT p."deleted_at" FROM "p" p WHERE p."id" = "c"."parent_id")
func (x *sender) sameStamp(r *relation) sq.Sqlizer {
	d := x.d
	child := d.quoteTable(r.child.table)
	var on []string
	for i, f := range r.fk {
		on = append(on, "p."+d.Quote(r.ref[i].column)+" = "+child+"."+d.Quote(f.column))
	}
	return sq.Expr(child + "." + d.Quote(r.child.softDelete.column) + " = (SELECT p." + d.Quote(r.parent.softDelete.column) +
		" FROM " + d.quoteTable(r.parent.table) + " p WHERE " + strings.Join(on, " AND ") + ")")
}

// removeStmt builds the DELETE of a step's rows, or for a soft delete the
// UPDATE that stamps them (and sets the deleted-key column to the key).
func (x *sender) removeStmt(st *step, cond string, args []any) sqlizer {
	d, m := x.d, st.m
	if st.soft {
		b := sq.Update(d.quoteTable(m.table)).PlaceholderFormat(d.placeholder).
			Set(d.Quote(m.softDelete.column), m.stampValue(x.now))
		if m.deletedKey != nil {
			b = b.Set(d.Quote(m.deletedKey.column), sq.Expr(d.Quote(m.pk[0].column)))
		}
		b = b.Where(sq.Expr(cond, args...)).Where(m.softSQL(d, false))
		if m.scope != nil {
			b = b.Where(x.s.scopeCond(m))
		}
		return b
	}
	from, where := d.quoteTable(m.table), cond
	if j, ok := x.joins[textKey{st: st, cond: cond}]; ok {
		// squirrel numbers placeholders by their place in the text: those
		// of the USING clause come first, so the arrays lead the
		// arguments, as the first WHERE part's.
		from, where = from+j.using, j.on
	}
	b := sq.Delete(from).PlaceholderFormat(d.placeholder)
	if where != "" {
		b = b.Where(sq.Expr(where, args...))
	}
	if st.live {
		b = b.Where(m.softSQL(d, false))
	}
	if m.scope != nil {
		b = b.Where(x.s.scopeCond(m))
	}
	return b
}

// restoreStmt builds the UPDATE that restores a step's soft-deleted rows:
// the soft-delete column, and the deleted-key column, back to their live
// values.
func (x *sender) restoreStmt(st *step, cond string, args []any) sqlizer {
	d, m := x.d, st.m
	b := sq.Update(d.quoteTable(m.table)).PlaceholderFormat(d.placeholder).
		Set(d.Quote(m.softDelete.column), m.liveValue())
	if m.deletedKey != nil {
		b = b.Set(d.Quote(m.deletedKey.column), m.deletedKeyLive())
	}
	b = b.Where(sq.Expr(cond, args...)).Where(m.softSQL(d, true))
	if m.scope != nil {
		b = b.Where(x.s.scopeCond(m))
	}
	return b
}

// archiveStmt builds the INSERT that copies a step's rows to its archive
// table, column by column, before they are deleted; where the dialect
// takes it, for a delete, one statement that does both (deleteInto).
func (x *sender) archiveStmt(st *step, cond string, args []any) sqlizer {
	d, m := x.d, st.m
	if d.cteDelete && !st.soft {
		return sqlFunc(func() (string, []any, error) {
			del, dargs, err := x.removeStmt(st, cond, args).ToSql()
			if err != nil {
				return "", nil, err
			}
			return d.deleteInto(del, st.archive, m.columns()), dargs, nil
		})
	}
	cols := strings.Join(d.quoteAll(m.columns()), ", ")
	into := "INSERT INTO " + d.quoteTable(st.archive) + " (" + cols + ") "
	return sqlFunc(func() (string, []any, error) {
		q, qargs, err := x.sel(st, d.quoteAll(m.columns()), cond, args, false).ToSql()
		if err != nil {
			return "", nil, err
		}
		return into + q, qargs, nil
	})
}

// setStmt builds the UPDATE that sets a relation's foreign key to the
// step's values: NULL, DEFAULT or the values of SetValue.
func (x *sender) setStmt(st *step, cond string, args []any) sqlizer {
	d, m := x.d, st.m
	b := sq.Update(d.quoteTable(m.table)).PlaceholderFormat(d.placeholder).Where(sq.Expr(cond, args...))
	for i, f := range st.rel.fk {
		b = b.Set(d.Quote(f.column), st.values[i])
	}
	if m.scope != nil {
		b = b.Where(x.s.scopeCond(m))
	}
	return b
}
