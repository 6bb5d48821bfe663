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
				edit()
				b.sortUnique()
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

// deleteOrder returns the indexes of tables in the order their rows must be
// deleted: a table that references another (in g, directly or through
// others) first; otherwise in the order given, and a table given twice
// keeps its two places in that order. Tables that reference each other
// fail with ErrCycle.
func deleteOrder(tables []string, g map[string]map[string]bool) ([]int, error) {
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
	// first(i, j): i must go before j.
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
		if next < 0 { // unreachable: cycles were rejected above
			return nil, fmt.Errorf("%w: no delete order found", ErrCycle)
		}
		done[next] = true
		out = append(out, next)
		for i := 0; i < n; i++ {
			if !done[i] && first(next, i) {
				indeg[i]--
			}
		}
	}
	return out, nil
}

// orderUnits sorts units so that a unit whose table references another's
// comes first, keeping registration order wherever the references allow.
func orderUnits(units []*unit, models map[*model]bool, si *schemaInfo) ([]*unit, error) {
	return inDeleteOrder(units, func(u *unit) *model { return u.m }, models, si)
}

// writeOrder orders a unit's nodes for writing, children first.
func writeOrder(nodes []*node, si *schemaInfo) ([]*node, error) {
	models := make(map[*model]bool)
	for _, n := range nodes {
		models[n.m] = true
	}
	return inDeleteOrder(nodes, func(n *node) *model { return n.m }, models, si)
}

// inDeleteOrder returns items in deleteOrder of their tables, with the
// references of models and the catalog.
func inDeleteOrder[T any](items []T, modelOf func(T) *model, models map[*model]bool, si *schemaInfo) ([]T, error) {
	if len(items) < 2 {
		return items, nil
	}
	tables := make([]string, len(items))
	for i, it := range items {
		tables[i] = modelOf(it).table
	}
	g, err := referenceGraph(models, si, false)
	if err != nil {
		return nil, err
	}
	idx, err := deleteOrder(tables, g)
	if errors.Is(err, ErrCycle) {
		// Tables that reference each other: a reference cleared before
		// its parent goes may break the cycle.
		if g, err = referenceGraph(models, si, true); err != nil {
			return nil, err
		}
		idx, err = deleteOrder(tables, g)
		if err != nil {
			return nil, fmt.Errorf("%w, and no SetNull, SetDefault or SetValue relation breaks the cycle", err)
		}
	}
	if err != nil {
		return nil, err
	}
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = items[j]
	}
	return out, nil
}
