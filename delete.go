package typeddelete

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	sq "github.com/Masterminds/squirrel"
)

// step is one unit of pending work: a run of object deletes registered one
// after another, or one bulk delete. Steps are sent in registration order.
type step struct {
	objs []objRef
	bulk *bulkOp
}

// objRef is one row to delete by key: an object registered with
// Session.Delete, or a row loaded inside the transaction. It is kept small
// (40 bytes): a long run of deletes stores one per object.
type objRef struct {
	m   *model
	key any            // the value of a one-column key, or []any
	ptr unsafe.Pointer // the object, a *T of m.typ; nil for a row known by key alone
	ext *objExtra      // for versioned models and HardDelete of soft-deletable ones
}

// objExtra is what only some objRefs need.
type objExtra struct {
	version any  // the version as loaded
	hard    bool // registered with HardDelete
}

// object returns the object as a *T, or nil for a row known by key alone.
func (o objRef) object() any {
	if o.ptr == nil {
		return nil
	}
	return reflect.NewAt(o.m.typ, o.ptr).Interface()
}

// version returns the version the object had when registered or loaded.
func (o objRef) version() any {
	if o.ext == nil {
		return nil
	}
	return o.ext.version
}

// hard reports whether the object was registered with HardDelete.
func (o objRef) hard() bool { return o.ext != nil && o.ext.hard }

// bulkOp is one bulk delete registered with Query.Delete, already rendered.
type bulkOp struct {
	m         *model
	where     string // condition; "" when the delete targets every row
	args      []any
	none      bool // the condition is always false: send nothing
	hard      bool // delete soft-deletable rows for real
	skipHooks bool // do not load rows to run hooks
	returning bool // keep the deleted rows for the handle
	handle    *Deletion
}

// Deletion is the handle of a bulk delete registered with Query.Delete. It
// tells how many rows the delete removed once a Flush or Commit sent it.
// It is safe for concurrent use.
type Deletion struct {
	table string
	mu    sync.Mutex
	rows  int64
	done  bool
	objs  []any // the deleted rows, for DeleteReturning
}

// Table returns the table the delete removes rows from.
func (d *Deletion) Table() string { return d.table }

// RowsAffected returns the number of rows the delete removed and true, once
// a Flush or Commit has sent it; 0 and false before that, or after a
// Rollback or failed Commit undid it.
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

// resetHandles marks the bulk deletes of steps as not sent.
func resetHandles(steps []step) {
	for _, st := range steps {
		if st.bulk != nil {
			st.bulk.handle.set(0, false, nil)
		}
	}
}

// errRowCount reports, inside run, a batch that deleted fewer rows than it
// had keys; send then runs again in precise mode to find which.
var errRowCount = errors.New("typeddelete: row count mismatch")

// run sends planned units. In fast mode a batch that deletes fewer rows
// than it has keys stops the run with errRowCount; in precise mode every
// batch finds out exactly which of its keys exist, with RETURNING or a
// locking SELECT first.
func (s *Session) run(ctx context.Context, units []*unit, si *schemaInfo, precise bool) (*CommitResult, error) {
	var err error
	x := &sender{s: s, ctx: ctx, d: s.dialect, precise: precise, si: si,
		now: time.Now().UTC(), res: &CommitResult{Deleted: make(map[string]int64)}}
	defer x.close()
	for _, u := range units {
		if u.bulk != nil {
			err = x.bulk(u.bulk)
		} else {
			_, err = x.objects(u.m, u.objs, u.hard, false, false, true)
		}
		if err != nil {
			return nil, err
		}
	}
	res := x.res
	if len(res.Missing) > 0 {
		if err := staleError(res.Missing, x.versioned, s.strict); err != nil {
			return nil, err
		}
	}
	res.deletedObjs = x.deleted
	return res, nil
}

// sender sends the statements of one run.
type sender struct {
	s         *Session
	ctx       context.Context
	d         *Dialect
	precise   bool
	si        *schemaInfo
	now       time.Time // the soft-delete timestamp of the run
	res       *CommitResult
	deleted   [][]objRef           // registered objects deleted, batch by batch
	versioned map[string]bool      // tables of versioned models with missing keys
	inTree    *relation            // the tree whose collected levels are being removed
	sent      map[string]bool      // statements sent once in this run
	stmts     map[string]*sql.Stmt // statements sent again, prepared for reuse
}

// exec sends a statement and returns the rows it affected. A statement
// whose text this run has already sent (the second batch of 500 keys, say)
// is prepared once and reused, so the database parses it once rather than
// once per batch; a statement sent once goes as a plain Exec.
func (x *sender) exec(stmt sq.Sqlizer) (int64, error) {
	query, args, err := stmt.ToSql()
	if err != nil {
		return 0, err
	}
	var st *sql.Stmt
	if x.sent[query] {
		if st, err = x.prepared(query); err != nil {
			return 0, err
		}
	} else {
		if x.sent == nil {
			x.sent = make(map[string]bool)
		}
		x.sent[query] = true
	}
	res, err := x.s.execStmt(x.ctx, st, query, args)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// prepared returns the run's prepared statement for query, preparing it on
// the transaction on first use; nil when the executor cannot prepare.
func (x *sender) prepared(query string) (*sql.Stmt, error) {
	if st := x.stmts[query]; st != nil {
		return st, nil
	}
	p, ok := x.s.conn().(interface {
		PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	})
	if !ok {
		return nil, nil
	}
	st, err := p.PrepareContext(x.ctx, query)
	if err != nil {
		return nil, classify(err)
	}
	if x.stmts == nil {
		x.stmts = make(map[string]*sql.Stmt)
	}
	x.stmts[query] = st
	return st, nil
}

// close releases the run's prepared statements.
func (x *sender) close() {
	for _, st := range x.stmts {
		st.Close()
	}
	x.stmts = nil
}

// rowSet is a set of rows of one model: the rows with the given keys, or the
// rows a condition matches ("" for every row).
type rowSet struct {
	m    *model
	keys []any // primary keys, when the set is given by key
	cond string
	args []any
}

// objects deletes the rows of objs: leaves first when m references itself,
// in batches. known means the rows were loaded, and locked, inside this
// transaction. track records the deleted objects for the session.
func (x *sender) objects(m *model, objs []objRef, hard, skipHooks, known, track bool) ([]objRef, error) {
	if r := selfCascade(m); r != nil && x.inTree != r {
		return x.treeObjects(r, objs, hard, skipHooks, known, track)
	}
	cols := len(m.pk)
	if m.version != nil {
		cols++
	}
	per := x.d.keysPerStatement(cols, x.s.batch)
	if cols > 1 && x.s.batch <= 0 && x.d.unnests(m.keyTypes()) {
		per = math.MaxInt // one statement: the keys travel as one array per column
	}
	// When every batch deletes all its rows, the common case, the deleted
	// objects are objs itself and nothing is copied.
	var parts [][]objRef
	all := true
	for _, level := range treeLevels(m, objs, selfKeys(m, x.si)) {
		for len(level) > 0 {
			n := min(per, len(level))
			done, err := x.batch(m, level[:n:n], hard, skipHooks, known)
			if err != nil {
				return nil, err
			}
			all = all && len(done) == n
			parts = append(parts, done)
			level = level[n:]
		}
	}
	deleted := objs
	if !all {
		deleted = slices.Concat(parts...)
	}
	if track && len(deleted) > 0 {
		x.deleted = append(x.deleted, deleted)
	}
	return deleted, nil
}

// batch deletes (or soft-deletes) the rows of objs in one statement, after
// their children, and runs the hooks. It returns the objects whose row was
// deleted.
func (x *sender) batch(m *model, objs []objRef, hard, skipHooks, known bool) ([]objRef, error) {
	soft := m.softDelete != nil && !hard
	hooks := !skipHooks && (m.before || m.after)
	exact := !known && (x.precise || hooks)
	selectFirst := exact && (hooks && m.before || !x.d.returning)
	set := x.objSet(m, objs, known)
	if selectFirst {
		found, err := x.s.readKeys(x.ctx, m, x.selectSet(m, set, soft, x.pkList(m)))
		x.res.Statements++
		if err != nil {
			return nil, fmt.Errorf("typeddelete: reading keys of %q: %w", m.table, err)
		}
		if objs = x.split(m, objs, found); len(objs) == 0 {
			return nil, nil
		}
		set = x.objSet(m, objs, known)
	}
	if hooks && m.before {
		if err := runHooks(x.ctx, x.s.conn(), m, objs, true); err != nil {
			return nil, err
		}
	}
	if err := x.children(m, set, soft, skipHooks); err != nil {
		return nil, err
	}
	if exact && !selectFirst {
		found, err := x.s.readKeys(x.ctx, m, x.remove(m, set, soft, "RETURNING "+x.pkList(m)))
		x.res.Statements++
		if err != nil {
			return nil, fmt.Errorf("typeddelete: delete from %q: %w", m.table, err)
		}
		objs = x.split(m, objs, found)
		x.res.Deleted[m.table] += int64(len(objs))
	} else {
		n, err := x.exec(x.remove(m, set, soft, ""))
		x.res.Statements++
		if err != nil {
			return nil, fmt.Errorf("typeddelete: delete from %q: %w", m.table, err)
		}
		if n != int64(len(objs)) && !x.precise {
			return nil, errRowCount
		}
		// Rows loaded and locked in this transaction can only fall short
		// here if a cascade of the same run removed them first.
		x.res.Deleted[m.table] += n
	}
	if hooks && m.after {
		if err := runHooks(x.ctx, x.s.conn(), m, objs, false); err != nil {
			return nil, err
		}
	}
	return objs, nil
}

// split returns the objects whose key is in found and records the others
// as missing.
func (x *sender) split(m *model, objs []objRef, found map[string]struct{}) []objRef {
	kept := objs[:0:0]
	for _, o := range objs {
		if _, ok := found[keyString(m.keyParts(o.key))]; ok {
			kept = append(kept, o)
			continue
		}
		x.res.Missing = append(x.res.Missing, MissingKey{Table: m.table, Key: m.keyParts(o.key)})
		if m.version != nil {
			if x.versioned == nil {
				x.versioned = make(map[string]bool)
			}
			x.versioned[m.table] = true
		}
	}
	return kept
}

// objSet is the set of the rows of objs: by key, and by version too for a
// versioned model, unless the rows are known, loaded and locked in this
// transaction (their version is then the current one, or not read at all).
func (x *sender) objSet(m *model, objs []objRef, known bool) rowSet {
	if rels, _ := m.relations(); x.d.arrays && len(m.pk) == 1 && m.pk[0].typ == reflect.TypeFor[int64]() &&
		len(rels) == 0 && (m.version == nil || known) {
		// The common case on PostgreSQL, built without a []any of keys:
		// with no relations nothing else needs them.
		ids := make([]int64, len(objs))
		for i, o := range objs {
			ids[i] = o.key.(int64)
		}
		return rowSet{m: m, cond: x.d.Quote(m.pk[0].column) + " = ANY(?)", args: []any{ids}}
	}
	keys := make([]any, len(objs))
	for i, o := range objs {
		keys[i] = o.key
	}
	set := rowSet{m: m, keys: keys}
	if m.version == nil || known {
		set.cond, set.args = keyCondition(x.d, m.pkColumns(), m.keyTypes(), keys)
		return set
	}
	tuples := make([]any, len(objs))
	for i, o := range objs {
		tuples[i] = append(slices.Clone(m.keyParts(o.key)), o.version())
	}
	set.cond, set.args = keyCondition(x.d, append(m.pkColumns(), m.version.column), m.keyTypes(), tuples)
	return set
}

// pkList is m's quoted primary-key columns, comma-separated.
func (x *sender) pkList(m *model) string {
	return strings.Join(x.d.quoteAll(m.pkColumns()), ", ")
}

// remove builds the statement that removes the rows of set: DELETE, or for
// a soft delete an UPDATE that stamps the live rows' soft-delete column
// (and copies the key into the deleted-key column). suffix is appended.
func (x *sender) remove(m *model, set rowSet, soft bool, suffix string) sq.Sqlizer {
	return removeSQL(x.d, x.now, m, set, soft, suffix)
}

// removeSQL is sender.remove with the dialect and timestamp given.
func removeSQL(d *Dialect, now time.Time, m *model, set rowSet, soft bool, suffix string) sq.Sqlizer {
	if !soft {
		b := deleteSQL(d, m, set.cond, set.args)
		if suffix != "" {
			b = b.Suffix(suffix)
		}
		return b
	}
	b := sq.Update(d.quoteTable(m.table)).Set(d.Quote(m.softDelete.column), now).PlaceholderFormat(d.placeholder)
	if m.deletedKey != nil {
		b = b.Set(d.Quote(m.deletedKey.column), sq.Expr(d.Quote(m.pk[0].column)))
	}
	if set.cond != "" {
		b = b.Where(sq.Expr(set.cond, set.args...))
	}
	b = b.Where(d.Quote(m.softDelete.column) + " IS NULL")
	if suffix != "" {
		b = b.Suffix(suffix)
	}
	return b
}

// childSet is the set of r's child rows that reference the rows of parent.
func (x *sender) childSet(r *relation, parent rowSet) rowSet {
	d := x.d
	cols := make([]string, len(r.fk))
	for i, f := range r.fk {
		cols[i] = f.column
	}
	if parent.keys != nil {
		cond, args := keyCondition(d, cols, r.parent.keyTypes()[:len(r.parent.pk)], parent.keys)
		return rowSet{m: r.child, cond: cond, args: args}
	}
	sub := "SELECT " + x.pkList(r.parent) + " FROM " + d.quoteTable(r.parent.table)
	if parent.cond != "" {
		sub += " WHERE " + parent.cond
	}
	lhs := d.Quote(cols[0])
	if len(cols) > 1 {
		lhs = "(" + strings.Join(d.quoteAll(cols), ", ") + ")"
	}
	return rowSet{m: r.child, cond: lhs + " IN (" + sub + ")", args: parent.args}
}

// children applies m's relations to the children of the rows of set,
// before those rows are removed: Restrict checks first, then SetNull and
// Cascade. A soft delete leaves the parent rows in place, so it cascades
// only to soft-deletable children and sets nothing to NULL.
func (x *sender) children(m *model, set rowSet, soft, skipHooks bool) error {
	rels, err := m.relations()
	if err != nil || len(rels) == 0 {
		return err
	}
	d := x.d
	if soft {
		// Only the live rows of set are being soft-deleted: the children of
		// rows soft-deleted before are not this delete's to touch.
		live := d.Quote(m.softDelete.column) + " IS NULL"
		if set.cond != "" {
			live = "(" + set.cond + ") AND " + live
		}
		set = rowSet{m: m, cond: live, args: set.args}
	}
	for _, r := range rels {
		if r.policy != Restrict {
			continue
		}
		cs := x.childSet(r, set)
		sel := sq.Select("COUNT(*)").From(d.quoteTable(r.child.table)).Where(sq.Expr(cs.cond, cs.args...)).PlaceholderFormat(d.placeholder)
		if r.child.softDelete != nil {
			sel = sel.Where(d.Quote(r.child.softDelete.column) + " IS NULL")
		}
		n, err := x.s.count(x.ctx, sel)
		x.res.Statements++
		if err != nil {
			return fmt.Errorf("typeddelete: checking %q for rows of %q: %w", r.child.table, m.table, err)
		}
		if n > 0 {
			return &RestrictError{Parent: m.table, Child: r.child.table, Count: n}
		}
	}
	for _, r := range rels {
		switch r.policy {
		case SetNull:
			if soft {
				continue
			}
			cs := x.childSet(r, set)
			b := sq.Update(d.quoteTable(r.child.table)).PlaceholderFormat(d.placeholder).Where(sq.Expr(cs.cond, cs.args...))
			for _, f := range r.fk {
				b = b.Set(d.Quote(f.column), nil)
			}
			if _, err := x.exec(b); err != nil {
				return fmt.Errorf("typeddelete: setting %q references to NULL: %w", r.child.table, err)
			}
			x.res.Statements++
		case Cascade:
			childSoft := soft && r.child.softDelete != nil
			if soft && !childSoft || r == x.inTree {
				continue
			}
			cs := x.childSet(r, set)
			if err := x.cascade(r, cs, childSoft, skipHooks); err != nil {
				return err
			}
		}
	}
	return nil
}

// cascade removes the child rows cs of relation r: set-based, after their
// own children, unless the child model has hooks or is a tree, whose rows
// (or keys) are then loaded and removed as objects.
func (x *sender) cascade(r *relation, cs rowSet, soft, skipHooks bool) error {
	child := r.child
	if r.self() {
		// Only reached inside treeObjects, which removes the whole tree.
		return nil
	}
	hooks := !skipHooks && (child.before || child.after)
	if hooks || selfCascade(child) != nil {
		// Hooks need the rows; a tree needs its rows ordered: load them.
		load := x.loadKeys
		if hooks {
			load = x.load
		}
		objs, err := load(child, cs, soft)
		if err != nil {
			return err
		}
		_, err = x.objects(child, objs, !soft, skipHooks, true, false)
		return err
	}
	_, err := x.removeRows(child, cs, soft, skipHooks, "cascading to")
	return err
}

// removeRows removes the rows of set set-based: their children first, then
// one DELETE (or soft-delete UPDATE). It returns the rows it removed.
func (x *sender) removeRows(m *model, set rowSet, soft, skipHooks bool, what string) (int64, error) {
	if err := x.children(m, set, soft, skipHooks); err != nil {
		return 0, err
	}
	n, err := x.exec(x.remove(m, set, soft, ""))
	x.res.Statements++
	if err != nil {
		return 0, fmt.Errorf("typeddelete: %s %q: %w", what, m.table, err)
	}
	x.res.Deleted[m.table] += n
	return n, nil
}

// selfCascade returns m's Cascade relation to itself, or nil.
func selfCascade(m *model) *relation {
	rels, _ := m.relations()
	for _, r := range rels {
		if r.self() && r.policy == Cascade {
			return r
		}
	}
	return nil
}

// treeObjects removes the rows of objs of a model that cascades to itself,
// with all their descendants: it reads the descendants level by level
// (keys only, or whole rows when hooks need them), gives every row the
// deepest level it was found on, the rows of objs included (one may
// descend from another), and removes the deepest level first.
func (x *sender) treeObjects(r *relation, objs []objRef, hard, skipHooks, known, track bool) ([]objRef, error) {
	m := r.child
	soft := m.softDelete != nil && !hard
	hooks := !skipHooks && (m.before || m.after)
	depth := make(map[identity]int, len(objs))
	byID := make(map[identity]objRef, len(objs))
	mine := make(map[identity]bool, len(objs)) // rows of objs, not descendants
	keys := make([]any, 0, len(objs))
	for _, o := range objs {
		id := identityOf(m, o.key)
		depth[id], byID[id], mine[id] = 0, o, true
		keys = append(keys, o.key)
	}
	levels := 1
	for level := 1; len(keys) > 0 && level <= len(byID)+1; level++ {
		cs := x.childSet(r, rowSet{m: m, keys: keys})
		var found []objRef
		var err error
		if hooks {
			found, err = x.load(m, cs, soft)
		} else {
			found, err = x.loadKeys(m, cs, soft)
		}
		if err != nil {
			return nil, err
		}
		keys = keys[:0:0]
		for _, o := range found {
			id := identityOf(m, o.key)
			if _, ok := byID[id]; !ok {
				byID[id] = o
			}
			depth[id] = level
			keys = append(keys, o.key)
		}
		if len(keys) > 0 {
			levels = level + 1
		}
	}
	outer := x.inTree
	x.inTree = r
	defer func() { x.inTree = outer }()
	var deleted []objRef
	for level := levels - 1; level >= 0; level-- {
		var own, desc []objRef
		for id, o := range byID {
			switch {
			case depth[id] != level:
			case mine[id]:
				own = append(own, o)
			default:
				desc = append(desc, o)
			}
		}
		// Descendants were read in this transaction; the rows of objs
		// keep what the caller knows of them, and only they are returned.
		if len(desc) > 0 {
			slices.SortFunc(desc, func(a, b objRef) int { return compareKeys(a.key, b.key) })
			if _, err := x.objects(m, desc, hard, skipHooks, true, false); err != nil {
				return nil, err
			}
		}
		if len(own) > 0 {
			slices.SortFunc(own, func(a, b objRef) int { return compareKeys(a.key, b.key) })
			done, err := x.objects(m, own, hard, skipHooks, known, false)
			if err != nil {
				return nil, err
			}
			deleted = append(deleted, done...)
		}
	}
	if track && len(deleted) > 0 {
		x.deleted = append(x.deleted, deleted)
	}
	return deleted, nil
}

// bulk sends one bulk delete: set-based, or, when hooks or DeleteReturning
// need the rows, by loading and locking them first.
func (x *sender) bulk(op *bulkOp) error {
	m := op.m
	if op.none {
		op.handle.set(0, true, nil)
		return nil
	}
	soft := m.softDelete != nil && !op.hard
	set := rowSet{m: m, cond: op.where, args: op.args}
	// Rows are loaded when hooks or DeleteReturning need them, and for a
	// tree, whose matched rows must go leaves first.
	if op.returning || !op.skipHooks && (m.before || m.after) || len(selfKeys(m, x.si)) > 0 {
		objs, err := x.load(m, set, soft)
		if err != nil {
			return err
		}
		done, err := x.objects(m, objs, !soft, op.skipHooks, true, false)
		if err != nil {
			return err
		}
		var rows []any
		if op.returning {
			rows = make([]any, len(done))
			for i, o := range done {
				rows[i] = o.object()
			}
		}
		op.handle.set(int64(len(done)), true, rows)
		return nil
	}
	n, err := x.removeRows(m, set, soft, op.skipHooks, "bulk delete from")
	if err != nil {
		return err
	}
	op.handle.set(n, true, nil)
	return nil
}

// load reads and locks the rows of set as objects (the live ones, for a
// soft delete).
func (x *sender) load(m *model, set rowSet, soft bool) ([]objRef, error) {
	rows, err := x.s.query(x.ctx, x.selectSet(m, set, soft, strings.Join(x.d.quoteAll(m.columns()), ", ")))
	x.res.Statements++
	if err != nil {
		return nil, fmt.Errorf("typeddelete: loading rows of %q: %w", m.table, err)
	}
	objs, err := scanObjects(rows, m)
	if err != nil {
		return nil, fmt.Errorf("typeddelete: loading rows of %q: %w", m.table, err)
	}
	refs := make([]objRef, 0, len(objs))
	for _, o := range objs {
		v := reflect.ValueOf(o).Elem()
		ref := objRef{m: m, key: m.rawKey(v), ptr: v.Addr().UnsafePointer()}
		if m.version != nil {
			ref.ext = &objExtra{version: derefValue(v.FieldByIndex(m.version.index))}
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// loadKeys reads and locks the keys of the rows of set.
func (x *sender) loadKeys(m *model, set rowSet, soft bool) ([]objRef, error) {
	rows, err := x.s.query(x.ctx, x.selectSet(m, set, soft, x.pkList(m)))
	x.res.Statements++
	if err != nil {
		return nil, fmt.Errorf("typeddelete: reading keys of %q: %w", m.table, err)
	}
	defer rows.Close()
	var refs []objRef
	for rows.Next() {
		parts, err := scanKey(rows, m)
		if err != nil {
			return nil, err
		}
		var k any = parts
		if len(parts) == 1 {
			k = parts[0]
		}
		refs = append(refs, objRef{m: m, key: k})
	}
	return refs, rows.Err()
}

// selectSet builds SELECT cols FROM m WHERE set [live only] [FOR UPDATE].
func (x *sender) selectSet(m *model, set rowSet, soft bool, cols string) sq.SelectBuilder {
	d := x.d
	sel := sq.Select(cols).From(d.quoteTable(m.table)).PlaceholderFormat(d.placeholder)
	if set.cond != "" {
		sel = sel.Where(sq.Expr(set.cond, set.args...))
	}
	if soft {
		sel = sel.Where(d.Quote(m.softDelete.column) + " IS NULL")
	}
	if d.lockRows != "" {
		sel = sel.Suffix(d.lockRows)
	}
	return sel
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

// readKeys runs a query that returns primary-key columns of m and returns
// the keys it read, encoded by keyString.
func (s *Session) readKeys(ctx context.Context, m *model, stmt sq.Sqlizer) (map[string]struct{}, error) {
	rows, err := s.query(ctx, stmt)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := make(map[string]struct{})
	for rows.Next() {
		parts, err := scanKey(rows, m)
		if err != nil {
			return nil, err
		}
		found[keyString(parts)] = struct{}{}
	}
	return found, rows.Err()
}

// scanKey scans one row of primary-key columns into values of the key
// fields' types.
func scanKey(rows *sql.Rows, m *model) ([]any, error) {
	dest := make([]any, len(m.pk))
	for i, f := range m.pk {
		t := f.typ
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		dest[i] = reflect.New(t).Interface()
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	for i, p := range dest {
		dest[i] = reflect.ValueOf(p).Elem().Interface()
	}
	return dest, nil
}

// scanObjects scans every row of m's columns into a new object and closes
// rows.
func scanObjects(rows *sql.Rows, m *model) ([]any, error) {
	defer rows.Close()
	var out []any
	dest := make([]any, len(m.fields))
	for rows.Next() {
		p := reflect.New(m.typ)
		v := p.Elem()
		for i, f := range m.fields {
			dest[i] = v.FieldByIndex(f.index).Addr().Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		out = append(out, p.Interface())
	}
	return out, rows.Err()
}

// query renders a squirrel query and sends it where statements go.
func (s *Session) query(ctx context.Context, stmt sq.Sqlizer) (*sql.Rows, error) {
	q, args, err := stmt.ToSql()
	if err != nil {
		return nil, err
	}
	return s.queryRows(ctx, s.conn(), q, args)
}

// count runs a SELECT COUNT(*) and returns the count.
func (s *Session) count(ctx context.Context, stmt sq.Sqlizer) (int64, error) {
	rows, err := s.query(ctx, stmt)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
	}
	return n, rows.Err()
}

// deleteSQL builds DELETE FROM table [WHERE cond] with squirrel.
func deleteSQL(d *Dialect, m *model, cond string, args []any) sq.DeleteBuilder {
	b := sq.Delete(d.quoteTable(m.table)).PlaceholderFormat(d.placeholder)
	if cond != "" {
		b = b.Where(sq.Expr(cond, args...))
	}
	return b
}

// keyCondition matches exactly the rows whose columns cols hold one of
// keys (a value each for one column, a []any each for several; types are
// the Go types of the columns' values): "c" IN (?,...), or "c" = ANY(?)
// with one array where the dialect takes arrays; for several integer
// columns on such a dialect, ("a","b") IN (SELECT * FROM unnest(?::bigint[],
// ?::bigint[])) with one array per column; else row values
// ("a","b") IN ((?,?),...) or, where the dialect lacks them,
// (("a" = ? AND "b" = ?) OR ...). Never "a IN (...) AND b IN (...)", which
// matches the wrong rows.
func keyCondition(d *Dialect, cols []string, types []reflect.Type, keys []any) (string, []any) {
	if len(cols) == 1 {
		c := d.Quote(cols[0])
		if d.arrays {
			return c + " = ANY(?)", []any{typedSlice(types[0], keys)}
		}
		return c + " IN (" + placeholders(len(keys)) + ")", keys
	}
	qcols := d.quoteAll(cols)
	if d.unnests(types) {
		arrays := make([]any, len(cols))
		casts := make([]string, len(cols))
		for i := range cols {
			part := make([]int64, len(keys))
			for j, k := range keys {
				part[j] = reflect.ValueOf(k.([]any)[i]).Int()
			}
			arrays[i], casts[i] = part, "?::bigint[]"
		}
		return "(" + strings.Join(qcols, ", ") + ") IN (SELECT * FROM unnest(" + strings.Join(casts, ", ") + "))", arrays
	}
	args := make([]any, 0, len(keys)*len(cols))
	for _, k := range keys {
		args = append(args, k.([]any)...)
	}
	var b strings.Builder
	if d.rowValues {
		tuple := "(" + placeholders(len(cols)) + ")"
		b.WriteString("(" + strings.Join(qcols, ", ") + ") IN (" + d.valuesPrefix)
		for i := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(tuple)
		}
		b.WriteByte(')')
		return b.String(), args
	}
	group := "(" + strings.Join(qcols, " = ? AND ") + " = ?)"
	b.WriteByte('(')
	for i := range keys {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString(group)
	}
	b.WriteByte(')')
	return b.String(), args
}

// typedSlice returns keys as a slice the driver can send as one array:
// []int64, []uint64, []float64 or []string for keys of those kinds (named
// types included), else a slice of the field's own type.
func typedSlice(t reflect.Type, keys []any) any {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[int64]() {
		out := make([]int64, len(keys))
		for i, k := range keys {
			out[i] = k.(int64)
		}
		return out
	}
	switch kindClass(t) {
	case 1:
		if len(keys) == 0 {
			return []int64{}
		}
		v0 := reflect.ValueOf(keys[0])
		switch {
		case v0.CanInt():
			out := make([]int64, len(keys))
			for i, k := range keys {
				out[i] = reflect.ValueOf(k).Int()
			}
			return out
		case v0.CanUint():
			out := make([]uint64, len(keys))
			for i, k := range keys {
				out[i] = reflect.ValueOf(k).Uint()
			}
			return out
		}
		out := make([]float64, len(keys))
		for i, k := range keys {
			out[i] = reflect.ValueOf(k).Float()
		}
		return out
	case 2:
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = reflect.ValueOf(k).String()
		}
		return out
	}
	out := reflect.MakeSlice(reflect.SliceOf(t), len(keys), len(keys))
	for i, k := range keys {
		out.Index(i).Set(reflect.ValueOf(k))
	}
	return out.Interface()
}

// compareKeys orders keys: numbers by value, strings and byte slices
// bytewise, times chronologically, composite keys part by part.
func compareKeys(a, b any) int {
	if ak, ok := a.([]any); ok {
		bk := b.([]any)
		for i := range ak {
			if c := compareKeys(ak[i], bk[i]); c != 0 {
				return c
			}
		}
		return 0
	}
	switch a := a.(type) {
	case int64:
		if b, ok := b.(int64); ok {
			return cmp.Compare(a, b)
		}
	case int:
		if b, ok := b.(int); ok {
			return cmp.Compare(a, b)
		}
	case string:
		if b, ok := b.(string); ok {
			return strings.Compare(a, b)
		}
	case []byte:
		if b, ok := b.([]byte); ok {
			return bytes.Compare(a, b)
		}
	case time.Time:
		if b, ok := b.(time.Time); ok {
			return a.Compare(b)
		}
	}
	av, bv := reflect.ValueOf(a), reflect.ValueOf(b)
	switch {
	case av.CanInt() && bv.CanInt():
		return cmp.Compare(av.Int(), bv.Int())
	case av.CanUint() && bv.CanUint():
		return cmp.Compare(av.Uint(), bv.Uint())
	case av.CanFloat() && bv.CanFloat():
		return cmp.Compare(av.Float(), bv.Float())
	case av.Kind() == reflect.String && bv.Kind() == reflect.String:
		return strings.Compare(av.String(), bv.String())
	}
	return strings.Compare(fmt.Sprintf("%T%v", a, a), fmt.Sprintf("%T%v", b, b))
}

// keyString encodes key parts as a map key.
func keyString(parts []any) string {
	var b strings.Builder
	for _, p := range parts {
		if t, ok := p.(time.Time); ok {
			p = t.UTC().Format(time.RFC3339Nano)
		}
		fmt.Fprintf(&b, "%v\x00", p)
	}
	return b.String()
}
