package typeddelete

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// groupUnits turns registered items into units: each bulk delete or
// restore is one; the objects of a run become one unit per model and
// mode, in order of first registration, sorted by key so that concurrent
// commits lock rows in the same order. A row registered twice for deletion
// is deleted once, by its first registration, a HardDelete of a row
// absorbs a soft Delete of it, and a row registered twice for restore is
// restored once.
func groupUnits(items []item) []*unit {
	var hardIDs map[rowID]bool
	objItems := 0
	for _, it := range items {
		if it.bulk != nil {
			continue
		}
		objItems++
		for _, b := range it.objs {
			if b.mode == modeHard && b.m.softDelete != nil {
				if hardIDs == nil {
					hardIDs = make(map[rowID]bool)
				}
				for i := 0; i < b.keys.len(); i++ {
					hardIDs[rowID{b.m, b.keys.id(i)}] = true
				}
			}
		}
	}
	var units []*unit
	var seen [2]map[rowID]bool // rows of earlier items, deleted and restored, made on need
	for _, it := range items {
		if it.bulk != nil {
			units = append(units, &unit{m: it.bulk.m, bulk: it.bulk})
			continue
		}
		for _, b := range it.objs {
			// Units only read the batch, so it is copied only where it
			// changes: the registered batch stays as it was, to run again.
			copied := false
			edit := func() {
				if !copied {
					b, copied = b.clone(), true
				}
			}
			if !b.keys.sorted() {
				b, copied = b.sortedCopy(), true
			}
			if hardIDs != nil && b.mode == modeDelete {
				edit()
				b.filter(func(i int) bool { return !hardIDs[rowID{b.m, b.keys.id(i)}] })
			}
			if objItems > 1 {
				w := 0
				if b.mode == modeRestore {
					w = 1
				}
				if seen[w] == nil {
					seen[w] = make(map[rowID]bool)
				}
				edit()
				b.filter(func(i int) bool {
					id := rowID{b.m, b.keys.id(i)}
					dup := seen[w][id]
					seen[w][id] = true
					return !dup
				})
			}
			if b.keys.len() > 0 {
				units = append(units, &unit{m: b.m, objs: b})
			}
		}
	}
	return units
}

// collectModels adds m and every model its relations reach to seen,
// resolving their relations.
func collectModels(m *model, seen map[*model]bool) error {
	if seen[m] {
		return nil
	}
	seen[m] = true
	rels, err := m.relations()
	if err != nil {
		return err
	}
	for _, r := range rels {
		if err := collectModels(r.child, seen); err != nil {
			return err
		}
	}
	return nil
}

// checkCascadeCycles rejects models that cascade to each other (A to B and
// B back to A, directly or through others): deleting either would follow
// the cascade forever. A model cascading to itself is a tree, which is
// fine.
func checkCascadeCycles(models map[*model]bool) error {
	const (
		unseen = iota
		onPath
		done
	)
	state := make(map[*model]int)
	var path []string
	var visit func(m *model) error
	visit = func(m *model) error {
		state[m] = onPath
		path = append(path, fmt.Sprintf("%q", m.table))
		rels, err := m.relations()
		if err != nil {
			return err
		}
		for _, r := range rels {
			if r.policy != Cascade || r.self() {
				continue
			}
			switch state[r.child] {
			case onPath:
				return fmt.Errorf("%w: Cascade relations form a cycle: %s -> %q", ErrCycle, strings.Join(path, " -> "), r.child.table)
			case unseen:
				if err := visit(r.child); err != nil {
					return err
				}
			}
		}
		path = path[:len(path)-1]
		state[m] = done
		return nil
	}
	for m := range models {
		if state[m] == unseen {
			if err := visit(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// referenceGraph returns, for each table, the tables it references: from
// the declared relations of models and from the catalog's foreign keys.
// Self references are left out; rows of such tables are ordered by row.
// A loose graph also leaves out the references that never stop a parent
// from going first: those a SetNull, SetDefault or SetValue relation
// clears before the parent is deleted, and foreign keys whose ON DELETE
// acts.
func referenceGraph(models map[*model]bool, si *schemaInfo, loose bool) (map[string]map[string]bool, error) {
	g := make(map[string]map[string]bool)
	add := func(child, parent string) {
		if child == parent {
			return
		}
		if g[child] == nil {
			g[child] = make(map[string]bool)
		}
		g[child][parent] = true
	}
	var cleared []*relation
	for m := range models {
		rels, err := m.relations()
		if err != nil {
			return nil, err
		}
		for _, r := range rels {
			if loose && r.policy.reassigns() {
				all, err := clearedByAll(r, models)
				if err != nil {
					return nil, err
				}
				if all {
					cleared = append(cleared, r)
					continue
				}
			}
			add(r.child.table, r.parent.table)
		}
	}
	if si != nil {
		for child, fks := range si.byChild {
			for _, fk := range fks {
				if loose && (fk.hasAction() || slices.ContainsFunc(cleared, func(r *relation) bool {
					return r.child.table == child && r.parent.table == fk.parent && sameSet(r.fkColumns(), fk.columns)
				})) {
					continue
				}
				add(child, fk.parent)
			}
		}
	}
	return g, nil
}

// clearedByAll reports whether every model of r's parent table clears
// the reference r clears: otherwise rows of the table deleted through
// another model would leave it in place.
func clearedByAll(r *relation, models map[*model]bool) (bool, error) {
	for m := range models {
		if m.table != r.parent.table {
			continue
		}
		rels, err := m.relations()
		if err != nil {
			return false, err
		}
		if !slices.ContainsFunc(rels, func(o *relation) bool {
			return o.policy.reassigns() && o.child.table == r.child.table && slices.Equal(o.fkColumns(), r.fkColumns())
		}) {
			return false, nil
		}
	}
	return true, nil
}

// reaches reports whether table from references table to, directly or
// through other tables.
func reaches(g map[string]map[string]bool, from, to string) bool {
	seen := map[string]bool{from: true}
	stack := []string{from}
	for len(stack) > 0 {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for p := range g[t] {
			if p == to {
				return true
			}
			if !seen[p] {
				seen[p] = true
				stack = append(stack, p)
			}
		}
	}
	return false
}

// precedence returns the order in which rows of tables must be deleted,
// as first(i, j), true when the rows of tables[i] must go before those of
// tables[j]: tables[i] references tables[j] in g, directly or through
// others; a table given twice keeps its two places in the order given.
// Tables that reference each other fail with ErrCycle.
func precedence(tables []string, g map[string]map[string]bool) (func(i, j int) bool, error) {
	n := len(tables)
	// Reachability between the distinct tables, computed once.
	reach := make(map[[2]string]bool)
	for _, a := range tables {
		for _, b := range tables {
			k := [2]string{a, b}
			if _, ok := reach[k]; !ok && a != b {
				reach[k] = reaches(g, a, b)
			}
		}
	}
	first := func(i, j int) bool {
		if tables[i] == tables[j] {
			return i < j
		}
		return reach[[2]string{tables[i], tables[j]}]
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if tables[i] != tables[j] && first(i, j) && first(j, i) {
				a, b := min(tables[i], tables[j]), max(tables[i], tables[j])
				return nil, fmt.Errorf("%w: tables %q and %q reference each other; no delete order satisfies both", ErrCycle, a, b)
			}
		}
	}
	return first, nil
}

// topoOrder returns the indexes 0..n-1 in an order where i comes before j
// whenever first(i, j), taking at each point the lowest index free to go,
// so that the order given is kept wherever first allows; false when first
// has a cycle.
func topoOrder(n int, first func(i, j int) bool) ([]int, bool) {
	indeg := make([]int, n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i != j && first(j, i) {
				indeg[i]++
			}
		}
	}
	out := make([]int, 0, n)
	done := make([]bool, n)
	for len(out) < n {
		next := -1
		for i := 0; i < n; i++ {
			if !done[i] && indeg[i] == 0 {
				next = i
				break
			}
		}
		if next < 0 {
			return nil, false
		}
		done[next] = true
		out = append(out, next)
		for i := 0; i < n; i++ {
			if !done[i] && i != next && first(next, i) {
				indeg[i]--
			}
		}
	}
	return out, true
}

// orderUnits sorts unit plans so that foreign keys hold between units,
// keeping registration order wherever they allow:
//
//   - a unit whose table references another's comes first (precedence);
//   - so does a unit that removes rows which reference rows another unit
//     deletes and that the other leaves in place (a Restrict or Protect
//     relation, or a foreign key of the catalog it does not follow): the
//     other unit's check then sees them gone, and the database its foreign
//     key satisfied, whichever unit was registered first;
//   - and, where that makes no cycle, a unit that deletes rows another
//     unit would set a foreign key of, so that no UPDATE is sent for rows
//     the Commit deletes.
func orderUnits(ups []*unitPlan, models map[*model]bool, si *schemaInfo) ([]*unitPlan, error) {
	if len(ups) < 2 {
		return ups, nil
	}
	tables := make([]string, len(ups))
	for i, up := range ups {
		tables[i] = up.unit.m.table
	}
	base, err := tablePrecedence(tables, models, si)
	if err != nil {
		return nil, err
	}
	refs := unactedRefs(si)
	removes := make([]map[string]bool, len(ups))
	clears := make([]clearance, len(ups))
	cross := false
	for i, up := range ups {
		removes[i] = up.removes()
		clears[i] = up.clearance(refs)
		cross = cross || len(clears[i].need) > 0 || len(clears[i].prefer) > 0
	}
	if cross {
		// need[j][i]: unit j removes rows unit i needs gone; prefer[j][i]:
		// rows unit i would update.
		need, prefer := make([][]bool, len(ups)), make([][]bool, len(ups))
		for j := range ups {
			need[j], prefer[j] = make([]bool, len(ups)), make([]bool, len(ups))
			for i := range ups {
				if i == j {
					continue
				}
				for t, hard := range removes[j] {
					if onlyDelete, ok := clears[i].need[t]; ok && (hard || !onlyDelete) {
						need[j][i] = true
					}
					if hard && clears[i].prefer[t] {
						prefer[j][i] = true
					}
				}
			}
		}
		if idx, ok := topoOrder(len(ups), func(i, j int) bool { return base(i, j) || need[i][j] || prefer[i][j] }); ok {
			return pick(ups, idx), nil
		}
		if idx, ok := topoOrder(len(ups), func(i, j int) bool { return base(i, j) || need[i][j] }); ok {
			return pick(ups, idx), nil
		}
	}
	idx, _ := topoOrder(len(ups), base) // acyclic: precedence rejected cycles
	return pick(ups, idx), nil
}

// pick returns items in the order of idx.
func pick[T any](items []T, idx []int) []T {
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = items[j]
	}
	return out
}

// clearance is what a unit needs removed before it runs. need holds the
// tables whose rows reference rows the unit removes and that it leaves in
// place: true when only a delete clears them (the unit deletes the rows
// they reference), false when a soft delete does too (the unit soft-deletes
// them, and only a Restrict or Protect check counts live rows). prefer
// holds the tables whose rows the unit sets a foreign key of.
type clearance struct {
	need   map[string]bool
	prefer map[string]bool
}

// unactedRefs returns, per table, the tables of the catalog that reference
// it by a foreign key without an ON DELETE action.
func unactedRefs(si *schemaInfo) map[string][]string {
	if si == nil {
		return nil
	}
	out := make(map[string][]string)
	for child, fks := range si.byChild {
		for _, fk := range fks {
			if fk.parent != child && !fk.hasAction() {
				out[fk.parent] = append(out[fk.parent], child)
			}
		}
	}
	return out
}

// actedRefs returns, per table, the foreign keys of the catalog with an ON
// DELETE action that reference it.
func actedRefs(si *schemaInfo) map[string][]*dbForeignKey {
	if si == nil {
		return nil
	}
	out := make(map[string][]*dbForeignKey)
	for _, fks := range si.byChild {
		for _, fk := range fks {
			if fk.hasAction() {
				out[fk.parent] = append(out[fk.parent], fk)
			}
		}
	}
	return out
}

// none reports whether the unit is a bulk delete that matches no row:
// nothing of it is sent.
func (up *unitPlan) none() bool { return up.unit.bulk != nil && up.unit.bulk.none }

// removes returns the tables the unit deletes (true) or soft-deletes
// (false) rows of.
func (up *unitPlan) removes() map[string]bool {
	out := make(map[string]bool)
	if up.unit.restore() || up.none() {
		return out
	}
	for _, n := range up.nodes {
		out[n.m.table] = out[n.m.table] || !n.soft
	}
	return out
}

// clearance returns what the unit needs removed before it runs; refs is
// unactedRefs of the catalog.
func (up *unitPlan) clearance(refs map[string][]string) clearance {
	c := clearance{need: make(map[string]bool), prefer: make(map[string]bool)}
	if up.unit.restore() || up.none() {
		return c
	}
	g := up.graph
	// Tables whose rows referencing a node's rows the unit cascades to,
	// reassigns or leaves to the database.
	followed := make(map[*node]map[string]bool)
	follow := func(e edge) {
		if followed[e.from] == nil {
			followed[e.from] = make(map[string]bool)
		}
		followed[e.from][e.r.child.table] = true
	}
	for _, n := range up.nodes {
		for _, e := range n.in {
			follow(e)
		}
	}
	for _, e := range g.dbs {
		follow(e)
	}
	for _, e := range g.sets {
		follow(e)
		c.prefer[e.r.child.table] = true
	}
	for _, e := range g.restricts {
		if !e.r.self() {
			c.need[e.r.child.table] = c.need[e.r.child.table] || !e.from.soft
		}
	}
	for _, n := range up.nodes {
		if n.soft {
			continue // the row stays: foreign keys hold
		}
		for _, child := range refs[n.m.table] {
			if child != n.m.table && !followed[n][child] {
				c.need[child] = true
			}
		}
	}
	return c
}

// touches returns the tables whose rows the unit changes, directly or
// through the database's ON DELETE actions: true where it updates rows
// (soft-deletes, restores or sets a foreign key of them), false where it
// only deletes them. acted is actedRefs of the catalog; without a catalog
// every child of a Database relation counts as updated.
func (up *unitPlan) touches(si *schemaInfo, acted map[string][]*dbForeignKey) map[string]bool {
	out := make(map[string]bool)
	var stack []string
	for _, n := range up.nodes {
		upd := n.soft || n.restore
		out[n.m.table] = out[n.m.table] || upd
		if !upd {
			stack = append(stack, n.m.table)
		}
	}
	for _, e := range up.graph.sets {
		out[e.r.child.table] = true
	}
	if si == nil {
		for _, e := range up.graph.dbs {
			if !e.from.soft {
				out[e.r.child.table] = true
			}
		}
		return out
	}
	seen := make(map[string]bool)
	for len(stack) > 0 {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[t] {
			continue
		}
		seen[t] = true
		for _, fk := range acted[t] {
			if fk.onDelete != "CASCADE" {
				out[fk.child] = true // SET NULL, SET DEFAULT
				continue
			}
			if _, ok := out[fk.child]; !ok {
				out[fk.child] = false
			}
			stack = append(stack, fk.child)
		}
	}
	return out
}

// writeOrder orders a unit's nodes for writing, children first.
func writeOrder(nodes []*node, si *schemaInfo) ([]*node, error) {
	models := make(map[*model]bool)
	for _, n := range nodes {
		models[n.m] = true
	}
	return inDeleteOrder(nodes, func(n *node) *model { return n.m }, models, si)
}

// inDeleteOrder returns items in the delete order of their tables
// (precedence), with the references of models and the catalog.
func inDeleteOrder[T any](items []T, modelOf func(T) *model, models map[*model]bool, si *schemaInfo) ([]T, error) {
	if len(items) < 2 {
		return items, nil
	}
	tables := make([]string, len(items))
	for i, it := range items {
		tables[i] = modelOf(it).table
	}
	first, err := tablePrecedence(tables, models, si)
	if err != nil {
		return nil, err
	}
	idx, _ := topoOrder(len(items), first) // acyclic: precedence rejected cycles
	return pick(items, idx), nil
}

// tablePrecedence is precedence over the references of models and the
// catalog; where tables reference each other, over the references a
// SetNull, SetDefault or SetValue relation, or an ON DELETE action, does
// not break.
func tablePrecedence(tables []string, models map[*model]bool, si *schemaInfo) (func(i, j int) bool, error) {
	g, err := referenceGraph(models, si, false)
	if err != nil {
		return nil, err
	}
	first, err := precedence(tables, g)
	if errors.Is(err, ErrCycle) {
		// Tables that reference each other: a reference cleared before
		// its parent goes may break the cycle.
		if g, err = referenceGraph(models, si, true); err != nil {
			return nil, err
		}
		first, err = precedence(tables, g)
		if err != nil {
			return nil, fmt.Errorf("%w, and no SetNull, SetDefault or SetValue relation breaks the cycle", err)
		}
	}
	return first, err
}
