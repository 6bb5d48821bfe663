package typeddelete

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unsafe"
)

// A Commit runs in two halves, as Django's deletion Collector and
// SQLAlchemy's unit of work do. This file is the first half: it turns the
// pending work and the schema into a plan, a list of steps, before anything
// is sent. send.go is the second half: it sends the steps in order and
// decides nothing.
//
// The plan has one unitPlan per unit of pending work (the object deletes
// of one model, or one bulk delete), in registration order, except that a
// unit whose table references another unit's table goes first, and so
// does a unit that removes rows another unit would otherwise see: rows its
// Restrict or Protect check counts, rows its deletes would leave
// referencing a deleted row, rows it would set a foreign key of (see
// orderUnits). Each unitPlan has three phases:
//
//  1. Reads fix the rows the unit reaches before anything changes, parents
//     before children: the rows a bulk filter matches, the children a
//     relation reaches, the descendants of a tree. Each read locks its rows
//     (FOR UPDATE) and fills a node's rowSet. A table whose rows nothing
//     else needs is not read: its rows are deleted set-based, by the keys
//     of its parent. The read of a bulk filter after other units is the
//     unit's early step, sent before any unit's steps: the filter then
//     matches the rows it matched before the Commit changed anything,
//     whatever the order of the units. A filter that reads only its own
//     row, on a table no unit before it updates, needs no early read:
//     deleting other rows cannot change what it matches.
//  2. Checks: Restrict and Protect relations, and the children a SetNull,
//     SetDefault or SetValue relation will update, read against the rows
//     the unit deletes.
//  3. Writes, children first: those updates, then hooks and the DELETE
//     (or soft-delete UPDATE) of each table, rows of a table that
//     references itself ordered so that referencing rows go first. Where
//     two tables reference each other and one reference is reassigned,
//     the reference is cleared first and the tables deleted in the order
//     the other reference needs, as SQLAlchemy's post_update does.
//
// What a relation contributes is decided by its policy's handler in
// policy.go.

// unit is one piece of pending work after grouping: the object deletes of
// one model and mode, or one bulk delete.
type unit struct {
	m    *model
	objs *objBatch // object deletes, sorted and unique; nil for a bulk delete
	bulk *bulkOp
}

// mode returns what the unit does to its rows.
func (u *unit) mode() mode {
	if u.bulk != nil {
		return u.bulk.mode
	}
	return u.objs.mode
}

// soft reports whether the unit soft-deletes its rows.
func (u *unit) soft() bool { return u.m.softDelete != nil && u.mode() == modeDelete }

// restore reports whether the unit restores soft-deleted rows.
func (u *unit) restore() bool { return u.mode() == modeRestore }

// origin describes what was registered, for Preview, so that a person
// can tell which rows go: the keys of object deletes (the first few, then
// how many more), the filter of a bulk delete with its arguments.
//
//	Delete teams 7
//	Delete teams 1, 2, 3, 4, 5 and 12 more
//	bulk delete of teams where "name" = ? ["red"]
func (u *unit) origin() string {
	if u.bulk == nil {
		what := "Delete"
		if u.restore() {
			what = "Restore"
		}
		return what + " " + u.m.table + " " + fewKeys(u.m, &u.objs.keys)
	}
	b := u.bulk
	what := "bulk delete of "
	switch {
	case b.fixed != nil:
		return "purge chunk of " + u.m.table + " " + fewKeys(u.m, &b.fixed.keys)
	case u.restore():
		what = "bulk restore of "
	}
	if b.where == "" {
		return what + u.m.table + ", every row"
	}
	s := what + u.m.table + " where " + b.where
	if len(b.args) > 0 {
		s += " [" + fewValues(b.args) + "]"
	}
	return s
}

// previewFew is how many keys or arguments a line of Preview names
// before it says how many more there are.
const previewFew = 5

// fewKeys renders the first few keys of l, then how many more.
func fewKeys(m *model, l *keyList) string {
	n := min(l.len(), previewFew)
	keys := make([][]any, n)
	for i := range n {
		keys[i] = m.keyParts(l.at(i))
	}
	s := formatKeys(keys)
	if more := l.len() - n; more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// fewValues renders the first few of vs, then how many more.
func fewValues(vs []any) string {
	var b strings.Builder
	for i, v := range vs[:min(len(vs), previewFew)] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%#v", v)
	}
	if more := len(vs) - previewFew; more > 0 {
		fmt.Fprintf(&b, " and %d more", more)
	}
	return b.String()
}

// plan is everything one Commit sends, in order.
type plan struct {
	units   []*unitPlan
	precise bool        // registered keys are read before they are deleted
	clock   bool        // the database's clock is read first, for the stamps of soft deletes
	si      *schemaInfo // the catalog, nil without introspection
}

// lone reports whether the plan is one unit's DELETE of its own rows and
// nothing else: no read, relation, hook, archive, stamp or order among
// its rows, so that a statement that picks the rows itself could stand
// for it.
func (pl *plan) lone() bool {
	if len(pl.units) != 1 || pl.precise || pl.clock {
		return false
	}
	up := pl.units[0]
	if len(up.nodes) != 1 || len(up.early) != 0 || len(up.steps) != 1 {
		return false
	}
	st := up.steps[0]
	return st.act == actDelete && st.m == up.root.m && !st.soft && !st.hooks && !st.order && st.archive == ""
}

// unitPlan carries out one unit.
type unitPlan struct {
	unit  *unit
	root  *node
	nodes []*node // tables the unit removes rows from, parents before children
	graph *graph
	early []*step // steps sent before any unit's steps: a bulk filter's read
	steps []*step
}

// node is one table a unit removes (or restores) rows of, and how.
type node struct {
	m       *model
	soft    bool      // soft-delete rather than delete
	restore bool      // restore soft-deleted rows rather than delete
	root    bool      // the unit's own table
	in      []edge    // Cascade relations that lead here
	tree    *relation // Cascade relation to itself: descendants go too
	self    [][]*field
	read    bool    // rows are read before they are removed
	rows    bool    // whole rows are read: hooks or DeleteReturning need them
	set     *rowSet // the rows removed here, once read or known; nil: set-based
	hooks   bool    // BeforeDelete and AfterDelete run on the rows
}

// edge is a relation followed from the rows removed at node from.
type edge struct {
	r    *relation
	from *node
}

// action is what a step does.
type action uint8

const (
	actRead     action = iota + 1 // read (and lock) rows into a node's set
	actTree                       // read a tree's descendants into its node's set, level by level
	actCount                      // count the rows a set-based delete will remove, for a limit
	actRestrict                   // refuse the Commit if protected children would remain
	actSetRead                    // read the children a reassigning relation will update
	actSet                        // set children's foreign key to NULL, its default or a value
	actDelete                     // delete (or soft-delete) rows
	actRestore                    // restore soft-deleted rows
)

// String names the action as the log and Preview do.
func (a action) String() string {
	switch a {
	case actRead:
		return "read"
	case actTree:
		return "read tree"
	case actCount:
		return "count"
	case actRestrict:
		return "restrict check"
	case actSetRead:
		return "read reassigned"
	case actSet:
		return "reassign"
	case actDelete:
		return "delete"
	case actRestore:
		return "restore"
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// selKind says how a step selects its rows.
type selKind uint8

const (
	selSet    selKind = iota + 1 // the rows of a set, by key
	selFK                        // the children of a set's rows through a relation
	selFilter                    // the rows a bulk filter matches
)

// step is one statement of the plan, or one statement per batch of keys.
type step struct {
	act   action
	m     *model // the table the statement runs on
	sel   selKind
	set   *rowSet   // selSet: the rows; selFK: the parent rows
	rel   *relation // selFK: the relation followed
	bulk  *bulkOp   // selFilter
	live  bool      // only rows not soft-deleted
	dead  bool      // only soft-deleted rows
	stamp bool      // selFK: only rows with the soft-delete stamp of the parent they reference
	soft  bool      // actDelete: a soft-delete UPDATE

	into    *node   // actRead, actTree: the node whose set the rows join
	again   bool    // actRead: read the node's own rows again, keeping those still there
	minus   *node   // actRestrict, actSetRead: rows the unit removes anyway
	targets *rowSet // actSetRead fills it, actSet updates its rows
	values  []any   // actSet: the value of each foreign-key column
	protect bool    // actRestrict: refuse even rows the unit removes (Protect)
	order   bool    // actDelete: rows referencing others of the set go first
	hooks   bool    // actDelete: run BeforeDelete and AfterDelete
	expect  bool    // actDelete: every key must match a row (fast mode)
	stale   bool    // actDelete: the set was read early; units before may have removed some of its rows
	counts  bool    // the rows count toward AtMost and WithMaxRows
	recount bool    // actDelete: the rows replace those the unit's count step counted
	handle  bool    // actDelete: the rows are what the bulk handle reports
	archive string  // actDelete: table the rows are copied to first
	why     string  // what led to the step
	// or: actDelete by selFK, further relations whose children the same
	// statement deletes, ORed with rel's (Dialect.orDeletes).
	or []fkSel
}

// fkSel is the children of a set's rows through a relation.
type fkSel struct {
	set *rowSet
	rel *relation
}

// rowSet is rows of one table by key, read or known before they are
// removed, with what later steps need of them.
type rowSet struct {
	m     *model
	keys  keyList
	index map[keyID]int    // position of each key; built on need
	objs  []unsafe.Pointer // each row's object, when rows are kept
	vers  []int64          // each row's version, for registered versioned keys
	refs  [][]keyID        // keys of rows each row references through self references
	// reg is the registered batch the set stands for, until a read
	// settles which of its keys exist.
	reg *objBatch
}

func newRowSet(m *model) *rowSet { return &rowSet{m: m, keys: newKeyList(m)} }

// len returns the number of rows.
func (rs *rowSet) len() int {
	if rs == nil {
		return 0
	}
	return rs.keys.len()
}

// has reports whether the set holds key id.
func (rs *rowSet) has(id keyID) bool {
	if rs == nil {
		return false
	}
	rs.buildIndex()
	_, ok := rs.index[id]
	return ok
}

// buildIndex indexes the keys, once.
func (rs *rowSet) buildIndex() {
	if rs.index == nil {
		rs.index = make(map[keyID]int, rs.keys.len())
		for i := 0; i < rs.keys.len(); i++ {
			rs.index[rs.keys.id(i)] = i
		}
	}
}

// add appends a row unless the set holds its key, and reports whether it
// was added.
func (rs *rowSet) add(k any, obj unsafe.Pointer, refs []keyID) bool {
	id := idOf(rs.keys.kind, k)
	if rs.has(id) {
		return false
	}
	rs.index[id] = rs.keys.len()
	rs.keys.add(k)
	if obj != nil || rs.objs != nil {
		for len(rs.objs) < rs.keys.len()-1 {
			rs.objs = append(rs.objs, nil)
		}
		rs.objs = append(rs.objs, obj)
	}
	if refs != nil || rs.refs != nil {
		for len(rs.refs) < rs.keys.len()-1 {
			rs.refs = append(rs.refs, nil)
		}
		rs.refs = append(rs.refs, refs)
	}
	return true
}

// setFromBatch returns the set of a registered batch: its keys known, its
// rows not yet read.
func setFromBatch(b *objBatch) *rowSet {
	return &rowSet{m: b.m, keys: b.keys, vers: b.vers, objs: b.ptrs, reg: b}
}

// object returns row i's object as a *T, or nil.
func (rs *rowSet) object(i int) any {
	if i >= len(rs.objs) || rs.objs[i] == nil {
		return nil
	}
	return objectAt(rs.m, rs.objs[i])
}

// plan builds the plan of items: it groups and orders them, checks the
// models against each other and the catalog, and plans each unit. It sends
// nothing but the catalog read, once per Catalog.
func (s *Session) plan(ctx context.Context, items []item, precise bool) (*plan, error) {
	units := groupUnits(items)
	models := make(map[*model]bool)
	for _, u := range units {
		if err := collectModels(u.m, models); err != nil {
			return nil, err
		}
		if u.bulk != nil && u.bulk.fixed == nil {
			if err := s.renderFilter(ctx, u.bulk, true, 0); err != nil {
				return nil, err
			}
		}
	}
	for m := range models {
		if err := s.dialect.checkIdent(m); err != nil {
			return nil, err
		}
		if err := s.checkScope(m); err != nil {
			return nil, err
		}
	}
	if err := checkCascadeCycles(models); err != nil {
		return nil, err
	}
	var si *schemaInfo
	if s.introspect && len(units) > 0 {
		var err error
		if si, err = s.schema(ctx); err != nil {
			return nil, err
		}
		for m := range models {
			if err := checkModel(m, si); err != nil {
				return nil, err
			}
		}
	}
	ups := make([]*unitPlan, 0, len(units))
	deleted := make(map[*model]bool) // tables the plan removes rows from
	for _, u := range units {
		up, err := buildGraph(u, si)
		if err != nil {
			return nil, err
		}
		ups = append(ups, up)
		for _, n := range up.nodes {
			if !n.restore {
				deleted[n.m] = true
			}
		}
	}
	ordered, err := orderUnits(ups, models, si)
	if err != nil {
		return nil, err
	}
	p := &plan{units: ordered, precise: precise, si: si}
	var touched map[string]bool // what the units before the one emitted change (see touches)
	var acted map[string][]*dbForeignKey
	for i, up := range p.units {
		if err := up.emit(s.dialect, precise, deleted, touched, si); err != nil {
			return nil, err
		}
		if i < len(p.units)-1 && !up.none() {
			if touched == nil {
				touched, acted = make(map[string]bool), actedRefs(si)
			}
			for t, upd := range up.touches(si, acted) {
				touched[t] = touched[t] || upd
			}
		}
	}
	p.clock = s.dbClock && p.stamps()
	return p, nil
}

// stamps reports whether the plan soft-deletes rows.
func (p *plan) stamps() bool {
	for _, up := range p.units {
		for _, n := range up.nodes {
			if n.soft {
				return true
			}
		}
	}
	return false
}

// graph is a unit's tables and the relations between them, as the policy
// handlers leave it.
type graph struct {
	up        *unitPlan
	byModel   map[*model]*node
	sets      []edge // SetNull, SetDefault and SetValue relations from removed rows
	restricts []edge // Restrict and Protect relations from removed rows
	dbs       []edge // Database relations from removed rows
	si        *schemaInfo
}

// node returns the node of m in the unit, adding it.
func (g *graph) node(m *model, soft bool) (*node, bool) {
	if n := g.byModel[m]; n != nil {
		return n, false
	}
	n := &node{m: m, soft: soft, restore: g.up.unit.restore()}
	g.byModel[m] = n
	g.up.nodes = append(g.up.nodes, n)
	return n, true
}

// buildGraph finds every table unit u reaches through relations, asking
// each relation's policy what it contributes.
func buildGraph(u *unit, si *schemaInfo) (*unitPlan, error) {
	up := &unitPlan{unit: u}
	g := &graph{up: up, byModel: make(map[*model]*node), si: si}
	root, _ := g.node(u.m, u.soft())
	root.root = true
	up.root = root
	for i := 0; i < len(up.nodes); i++ {
		n := up.nodes[i]
		rels, err := n.m.relations()
		if err != nil {
			return nil, err
		}
		for _, r := range rels {
			if u.restore() && r.policy != Cascade {
				continue // a restore follows what a soft delete cascaded to
			}
			policies[r.policy](g, n, r)
		}
	}
	up.graph = g
	return up, nil
}

// reassigns reports whether a SetNull, SetDefault or SetValue relation of
// the graph updates rows of m: a dry run then hides, per foreign key, the
// rows it reassigned, which one statement for several relations cannot.
func (g *graph) reassigns(m *model) bool {
	for _, e := range g.sets {
		if e.r.child == m {
			return true
		}
	}
	return false
}

// emit decides which tables are read and writes the unit's steps. deleted
// holds the tables the whole plan removes rows from: the children of a
// reassigning relation in one of them are read first, after what earlier
// units removed, and those the unit removes before their parent are left
// out, so that no UPDATE is sent for rows the Commit has deleted or is
// deleting. touched holds the tables the units before this one change
// (see touches): a bulk delete's filter is read at the start of the run
// (its early step) when one of their writes could change which rows it
// matches.
func (up *unitPlan) emit(d *Dialect, precise bool, deleted map[*model]bool, touched map[string]bool, si *schemaInfo) error {
	g, u := up.graph, up.unit
	if u.restore() {
		up.emitRestore()
		return nil
	}
	parentOf := make(map[*node]bool)
	for _, n := range up.nodes {
		for _, e := range n.in {
			parentOf[e.from] = true
		}
	}
	checked := make(map[*model]bool)
	for _, e := range append(slices.Clone(g.sets), g.restricts...) {
		parentOf[e.from] = true
		checked[e.r.child] = true
	}
	for _, n := range up.nodes {
		var err error
		if n.self, err = selfRefs(n.m, si); err != nil {
			return err
		}
		n.hooks = (n.m.before || n.m.after) && !(u.bulk != nil && u.bulk.skipHooks)
		switch {
		case n.root && u.objs != nil:
			// Registered keys are known: read only to learn which exist,
			// and to order them; hooks run on the registered objects.
			// A soft delete reads them to leave alone the children of rows
			// soft-deleted before.
			n.set = setFromBatch(u.objs)
			n.read = precise || n.hooks || len(n.self) > 0 || n.soft && parentOf[n]
		case n.root && u.bulk.fixed != nil:
			// Rows a Purge read and locked: read again only for whole rows.
			n.set = setFromBatch(u.bulk.fixed)
			n.rows = n.hooks || u.bulk.returning
			n.read = n.rows || len(n.self) > 0
		default:
			n.rows = n.hooks || n.root && u.bulk.returning
			n.read = n.rows || len(n.self) > 0 || parentOf[n] || checked[n.m]
			if n.read {
				n.set = newRowSet(n.m)
			}
		}
	}
	// A bulk delete after other units reads its filter's rows before any
	// of them writes, unless its filter reads only the row it is on and
	// none of them updates rows of its table: deleting rows makes no other
	// row match such a filter. Otherwise the filter would match other rows
	// at its turn.
	early := touched != nil && u.bulk != nil && u.bulk.fixed == nil &&
		(!u.bulk.ownRow() || touched[up.root.m.table])
	if r := up.root; early && !r.read {
		r.read, r.set = true, newRowSet(r.m)
	}

	// 1. Reads, parents before children.
	stale := false // the root's rows were read early, and units before may remove some
	for _, n := range up.nodes {
		if !n.read {
			// A Purge chunk's rows are its keys, counted as they go.
			if n.root && u.bulk != nil && u.bulk.fixed == nil && u.bulk.atMost > 0 {
				up.add(&step{act: actCount, m: n.m, sel: selFilter, bulk: u.bulk, live: n.soft, counts: true,
					why: "the rows of the bulk delete, for AtMost"})
			}
			continue
		}
		switch {
		case n.root && u.objs != nil:
			up.add(&step{act: actRead, m: n.m, sel: selSet, set: n.set, into: n, live: n.soft,
				counts: true, why: "which registered rows exist"})
		case n.root && u.bulk.fixed != nil:
			up.add(&step{act: actRead, m: n.m, sel: selSet, set: n.set, into: n, live: n.soft,
				counts: true, why: "the rows of the chunk"})
		case n.root:
			st := &step{act: actRead, m: n.m, sel: selFilter, bulk: u.bulk, into: n, live: n.soft,
				counts: true, why: "the rows the bulk delete matches, fixed before anything changes"}
			if !early {
				up.add(st)
				break
			}
			up.early = append(up.early, st)
			_, stale = touched[n.m.table]
			if stale && (n.rows || len(n.self) > 0) {
				stale = false
				// Hooks, DeleteReturning and the order of a tree need the
				// rows as they are now: without those the units before
				// removed, with their current references.
				up.add(&step{act: actRead, m: n.m, sel: selSet, set: n.set, into: n, live: n.soft, again: true,
					why: "which rows the bulk delete matched are still there"})
			}
		default:
			for _, e := range n.in {
				up.add(&step{act: actRead, m: n.m, sel: selFK, set: e.from.set, rel: e.r, into: n, live: n.soft,
					counts: true, why: fmt.Sprintf("%s rows a Cascade from %s reaches", n.m.table, e.from.m.table)})
			}
		}
		if n.tree != nil {
			up.add(&step{act: actTree, m: n.m, sel: selFK, set: n.set, rel: n.tree, into: n, live: n.soft,
				counts: true, why: fmt.Sprintf("descendants in the %s tree", n.m.table)})
		}
	}

	// 2. Checks, against everything the unit removes.
	for _, e := range g.restricts {
		minus := g.byModel[e.r.child]
		// Soft-deleted children block a delete (their rows reference the
		// parent), not a soft delete.
		up.add(&step{act: actRestrict, m: e.r.child, sel: selFK, set: e.from.set, rel: e.r, minus: minus,
			live: e.r.child.softDelete != nil && e.from.soft, protect: e.r.policy == Protect,
			why: fmt.Sprintf("%s protects %s rows from deletion", e.r.policy, e.r.parent.table)})
	}
	order, err := writeOrder(up.nodes, si)
	if err != nil {
		return err
	}
	written := make(map[*node]int, len(order)) // position in the writes
	for i, n := range order {
		written[n] = i
	}
	setTargets := make(map[*edge]*rowSet)
	values := make(map[*edge][]any)
	for i := range g.sets {
		e := &g.sets[i]
		if values[e], err = setValues(e.r, d, si); err != nil {
			return err
		}
		if !deleted[e.r.child] {
			continue // set-based: the Commit removes none of the children
		}
		// Children the unit deletes before their parent need no update;
		// those it deletes after it (a reference that breaks a cycle) do.
		minus := g.byModel[e.r.child]
		if minus != nil && written[minus] > written[e.from] {
			minus = nil
		}
		t := newRowSet(e.r.child)
		setTargets[e] = t
		up.add(&step{act: actSetRead, m: e.r.child, sel: selFK, set: e.from.set, rel: e.r,
			minus: minus, targets: t, counts: true,
			why: fmt.Sprintf("%s rows whose %s a %s changes", e.r.child.table, strings.Join(e.r.fkColumns(), ", "), e.r.policy)})
	}

	// 3. Writes, children first.
	for _, n := range order {
		for i := range g.sets {
			e := &g.sets[i]
			if e.from != n {
				continue
			}
			why := fmt.Sprintf("%s from %s", e.r.policy, n.m.table)
			if t := setTargets[e]; t != nil {
				up.add(&step{act: actSet, m: e.r.child, sel: selSet, set: t, rel: e.r, values: values[e], why: why})
			} else {
				up.add(&step{act: actSet, m: e.r.child, sel: selFK, set: n.set, rel: e.r, values: values[e], counts: true, why: why})
			}
		}
		del := &step{act: actDelete, m: n.m, soft: n.soft, live: n.soft, hooks: n.hooks, order: len(n.self) > 0,
			handle: n.root && u.bulk != nil}
		if n.root && u.bulk != nil {
			del.archive = u.bulk.archive
		}
		switch {
		case n.set != nil:
			del.sel, del.set = selSet, n.set
			del.expect = n.root && u.objs != nil && !n.read
			del.stale = n.root && stale
			del.counts = n.root && !n.read // rows known without a read count as sent
			del.why = "the rows read above"
			if del.expect {
				del.why = "the registered rows"
			}
			up.add(del)
		case n.root:
			// With AtMost a COUNT stood in for the rows; the DELETE's own
			// count replaces it, in case rows came in between.
			del.sel, del.bulk, del.counts, del.recount = selFilter, u.bulk, true, u.bulk.atMost > 0
			del.why = "the bulk delete's filter"
			up.add(del)
		case d.orDeletes && len(n.in) > 1 && !n.soft && !n.hooks && n.tree == nil && !touched[n.m.table] && !g.reassigns(n.m):
			// One DELETE whose condition ORs the relations', where the
			// database plans that well; the sender falls back to one
			// statement per relation when a relation's keys need more
			// than one statement (see orParts).
			del.sel, del.set, del.rel, del.counts = selFK, n.in[0].from.set, n.in[0].r, true
			from := []string{n.in[0].from.m.table}
			for _, e := range n.in[1:] {
				del.or = append(del.or, fkSel{set: e.from.set, rel: e.r})
				if !slices.Contains(from, e.from.m.table) {
					from = append(from, e.from.m.table)
				}
			}
			del.why = "Cascade from " + strings.Join(from, ", ")
			up.add(del)
		default:
			for _, e := range n.in {
				d := *del
				d.sel, d.set, d.rel, d.counts = selFK, e.from.set, e.r, true
				d.why = fmt.Sprintf("Cascade from %s", e.from.m.table)
				up.add(&d)
			}
		}
	}
	return nil
}

// setValues returns what a reassigning relation sets each foreign-key
// column to.
func setValues(r *relation, d *Dialect, si *schemaInfo) ([]any, error) {
	out := make([]any, len(r.fk))
	switch r.policy {
	case SetValue:
		copy(out, r.values)
	case SetDefault:
		for i, f := range r.fk {
			v, err := d.defaultOf(si, r.child.table, f.column)
			if err != nil {
				return nil, fmt.Errorf("%w: SetDefault on %s.%s: %w", ErrInvalidRelation, r.child.table, f.column, err)
			}
			out[i] = v
		}
	}
	return out, nil
}

// emitRestore writes the steps of a restore: it reads the soft-deleted
// rows of the unit's table, then, parents before children, the
// soft-deleted rows of soft-deletable children a Cascade reaches that
// carry the stamp of their parent row, all before anything changes; then
// it restores them.
func (up *unitPlan) emitRestore() {
	u := up.unit
	for _, n := range up.nodes {
		n.read = true
		n.set = newRowSet(n.m)
		if n.root && u.objs != nil {
			n.set = setFromBatch(u.objs)
		}
	}
	for _, n := range up.nodes {
		switch {
		case n.root && u.objs != nil:
			up.add(&step{act: actRead, m: n.m, sel: selSet, set: n.set, into: n, dead: true,
				counts: true, why: "which registered rows are soft-deleted"})
		case n.root:
			up.add(&step{act: actRead, m: n.m, sel: selFilter, bulk: u.bulk, into: n, dead: true,
				counts: true, why: "the soft-deleted rows the bulk restore matches"})
		default:
			for _, e := range n.in {
				up.add(&step{act: actRead, m: n.m, sel: selFK, set: e.from.set, rel: e.r, into: n, dead: true, stamp: true,
					counts: true, why: fmt.Sprintf("%s rows the soft delete of %s reached", n.m.table, e.from.m.table)})
			}
		}
		if n.tree != nil {
			up.add(&step{act: actTree, m: n.m, sel: selFK, set: n.set, rel: n.tree, into: n, dead: true, stamp: true,
				counts: true, why: fmt.Sprintf("descendants in the %s tree the soft delete reached", n.m.table)})
		}
	}
	for _, n := range up.nodes {
		up.add(&step{act: actRestore, m: n.m, sel: selSet, set: n.set, handle: n.root && u.bulk != nil,
			why: "the rows read above"})
	}
}

// add appends a step.
func (up *unitPlan) add(st *step) { up.steps = append(up.steps, st) }

// selfRefs returns the foreign-key fields by which m references itself:
// declared self relations of any policy, and self-referencing foreign keys
// in the catalog whose columns m maps. Rows of m are deleted so that a row
// goes before every row it references.
func selfRefs(m *model, si *schemaInfo) ([][]*field, error) {
	var out [][]*field
	rels, err := m.relations()
	if err != nil {
		return nil, err
	}
	for _, r := range rels {
		if r.self() {
			out = append(out, r.fk)
		}
	}
	if si == nil {
		return out, nil
	}
	for _, fk := range si.byChild[m.table] {
		if fk.parent != m.table || len(fk.columns) != len(m.pk) {
			continue
		}
		// The columns in the order of m's key columns they reference.
		fs := make([]*field, 0, len(fk.columns))
		for _, ref := range m.pkColumns() {
			j := slices.Index(fk.refColumns, ref)
			if j < 0 {
				break
			}
			if f := m.byColumn[fk.columns[j]]; f != nil {
				fs = append(fs, f)
			}
		}
		if len(fs) == len(m.pk) && !slices.ContainsFunc(out, func(o []*field) bool { return slices.Equal(o, fs) }) {
			out = append(out, fs)
		}
	}
	return out, nil
}

// levels splits the rows of a set into groups to delete one after
// another: a row goes in a group before every row of the set it
// references. Rows in a cycle of references go together in the last group.
// Within a group rows keep the set's order.
func levels(rs *rowSet) [][]int {
	n := rs.len()
	if n < 2 || rs.refs == nil {
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		return [][]int{all}
	}
	rs.buildIndex()
	referencedBy := make([]int, n) // rows of the set that reference row i
	refs := make([][]int, n)
	for i := 0; i < n; i++ {
		if i >= len(rs.refs) {
			break
		}
		for _, id := range rs.refs[i] {
			if j, ok := rs.index[id]; ok && j != i {
				refs[i] = append(refs[i], j)
				referencedBy[j]++
			}
		}
	}
	var out [][]int
	placed := make([]bool, n)
	left := n
	for left > 0 {
		var level []int
		for i := 0; i < n; i++ {
			if !placed[i] && referencedBy[i] == 0 {
				level = append(level, i)
			}
		}
		if len(level) == 0 {
			for i := 0; i < n; i++ {
				if !placed[i] {
					level = append(level, i)
				}
			}
			out = append(out, level)
			break
		}
		for _, i := range level {
			placed[i] = true
			for _, j := range refs[i] {
				referencedBy[j]--
			}
		}
		left -= len(level)
		out = append(out, level)
	}
	return out
}
