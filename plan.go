package typeddelete

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// unit is the planned work on one table: object deletes (distinct keys,
// sorted) or one bulk delete.
type unit struct {
	m    *model
	objs []objRef
	bulk *bulkOp
	hard bool // object deletes registered with HardDelete
}

// plan turns steps into units in the order they must be sent, checking the
// models' relations against each other and the database first. Object
// deletes are deduplicated by table and key across all steps, grouped by
// table (and by HardDelete) in order of first appearance within their
// step, and sorted by key, so concurrent commits lock rows in the same
// order. Units keep their registration order, except that a unit whose
// table references another unit's table, directly or through other
// tables, goes first. Nothing is sent but the read of the database's
// foreign keys, once per database.
func (s *Session) plan(ctx context.Context, steps []step) ([]*unit, *schemaInfo, error) {
	units := groupUnits(steps)
	models := make(map[*model]bool)
	for _, u := range units {
		if err := collectModels(u.m, models); err != nil {
			return nil, nil, err
		}
	}
	for m := range models {
		if err := s.dialect.checkIdent(m); err != nil {
			return nil, nil, err
		}
	}
	if err := checkCascadeCycles(models); err != nil {
		return nil, nil, err
	}
	var si *schemaInfo
	if s.introspect && len(units) > 0 {
		var err error
		if si, err = s.schema(ctx); err != nil {
			return nil, nil, err
		}
		for m := range models {
			if err := checkDatabaseRelations(m, si); err != nil {
				return nil, nil, err
			}
		}
	}
	ordered, err := orderUnits(units, models, si)
	return ordered, si, err
}

// groupUnits builds the units of steps, deduplicating object keys.
func groupUnits(steps []step) []*unit {
	type group struct {
		m    *model
		hard bool
	}
	var units []*unit
	var seen map[identity]struct{} // keys of earlier steps, made on need
	objSteps := 0
	for _, st := range steps {
		if st.bulk == nil {
			objSteps++
		}
	}
	// A HardDelete of a row absorbs any soft Delete of the same row.
	var hardIDs map[identity]bool
	for _, st := range steps {
		for _, o := range st.objs {
			if o.hard() {
				if hardIDs == nil {
					hardIDs = make(map[identity]bool)
				}
				hardIDs[identityOf(o.m, o.key)] = true
			}
		}
	}
	for _, st := range steps {
		if st.bulk != nil {
			units = append(units, &unit{m: st.bulk.m, bulk: st.bulk})
			continue
		}
		if hardIDs != nil {
			st.objs = slices.DeleteFunc(slices.Clone(st.objs), func(o objRef) bool {
				return !o.hard() && hardIDs[identityOf(o.m, o.key)]
			})
			if len(st.objs) == 0 {
				continue
			}
		}
		var order []group
		byGroup := make(map[group]*unit)
		aliased := false // the unit's objs are st.objs itself, to copy before changing
		if sameGroup(st.objs) {
			// One model, the common case: no appends, and no copy unless
			// the keys need sorting or deduplicating (units only read it).
			o := st.objs[0]
			g := group{o.m, o.hard()}
			byGroup[g] = &unit{m: o.m, hard: g.hard, objs: st.objs}
			order = append(order, g)
			aliased = true
		} else {
			for _, o := range st.objs {
				g := group{o.m, o.hard()}
				u := byGroup[g]
				if u == nil {
					u = &unit{m: o.m, hard: g.hard}
					byGroup[g] = u
					order = append(order, g)
				}
				u.objs = append(u.objs, o)
			}
		}
		for _, g := range order {
			u := byGroup[g]
			if !strictlySorted(u.objs) {
				if aliased {
					u.objs, aliased = slices.Clone(u.objs), false
				}
				slices.SortStableFunc(u.objs, func(a, b objRef) int { return compareKeys(a.key, b.key) })
				u.objs = slices.CompactFunc(u.objs, func(a, b objRef) bool { return compareKeys(a.key, b.key) == 0 })
			}
			if objSteps > 1 {
				if seen == nil {
					seen = make(map[identity]struct{})
				}
				if aliased {
					u.objs, aliased = slices.Clone(u.objs), false
				}
				u.objs = slices.DeleteFunc(u.objs, func(o objRef) bool {
					id := identityOf(o.m, o.key)
					_, dup := seen[id]
					seen[id] = struct{}{}
					return dup
				})
			}
			if len(u.objs) > 0 {
				units = append(units, u)
			}
		}
	}
	return units
}

// strictlySorted reports whether objs are sorted by key with no key twice.
func strictlySorted(objs []objRef) bool {
	for i := 1; i < len(objs); i++ {
		if compareKeys(objs[i-1].key, objs[i].key) >= 0 {
			return false
		}
	}
	return true
}

// sameGroup reports whether objs all have one model and one hard flag.
func sameGroup(objs []objRef) bool {
	for _, o := range objs[1:] {
		if o.m != objs[0].m || o.hard() != objs[0].hard() {
			return false
		}
	}
	return len(objs) > 0
}

// identity names one row: its model and its key (as itself when the key is
// comparable, else encoded).
type identity struct {
	m   *model
	key any
}

func identityOf(m *model, key any) identity {
	if len(m.pk) == 1 && reflect.TypeOf(key).Comparable() {
		return identity{m, key}
	}
	return identity{m, keyString(m.keyParts(key))}
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
		rels, _ := m.relations()
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

// checkDatabaseRelations checks that each Database relation of m has a
// foreign key in the database whose ON DELETE acts.
func checkDatabaseRelations(m *model, si *schemaInfo) error {
	rels, _ := m.relations()
	for _, r := range rels {
		if r.policy != Database {
			continue
		}
		cols := make([]string, len(r.fk))
		for i, f := range r.fk {
			cols[i] = f.column
		}
		fk := si.find(r.child.table, r.parent.table, cols)
		switch {
		case fk == nil:
			return fmt.Errorf("%w: %s: Database policy on %s(%s), but the database has no such foreign key to %q",
				ErrInvalidRelation, m.typ, r.child.table, strings.Join(cols, ","), m.table)
		case !fk.hasAction():
			return fmt.Errorf("%w: %s: Database policy on %s(%s), but its foreign key has no ON DELETE action (%s)",
				ErrInvalidRelation, m.typ, r.child.table, strings.Join(cols, ","), fk.onDelete)
		}
	}
	return nil
}

// find returns the foreign key of child on cols that references parent.
func (si *schemaInfo) find(child, parent string, cols []string) *dbForeignKey {
	for _, fk := range si.byChild[child] {
		if fk.parent == parent && sameSet(fk.columns, cols) {
			return fk
		}
	}
	return nil
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

// referenceGraph returns, for each table, the tables it references: from
// the declared relations of models and from the database's foreign keys.
// Self references are left out; trees are ordered row by row instead.
func referenceGraph(models map[*model]bool, si *schemaInfo) map[string]map[string]bool {
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
	for m := range models {
		rels, _ := m.relations()
		for _, r := range rels {
			add(r.child.table, r.parent.table)
		}
	}
	if si != nil {
		for child, fks := range si.byChild {
			for _, fk := range fks {
				add(child, fk.parent)
			}
		}
	}
	return g
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

// orderUnits sorts units so that a unit whose table references another's
// comes first, keeping registration order wherever the references allow.
// Tables that reference each other in a cycle fail with ErrCycle.
func orderUnits(units []*unit, models map[*model]bool, si *schemaInfo) ([]*unit, error) {
	tables := make(map[string]bool)
	for _, u := range units {
		tables[u.m.table] = true
	}
	if len(tables) < 2 {
		return units, nil
	}
	g := referenceGraph(models, si)
	// before[a][b]: rows of a must be deleted before rows of b.
	before := make(map[string]map[string]bool)
	for a := range tables {
		for b := range tables {
			if a != b && reaches(g, a, b) {
				if reaches(g, b, a) {
					x, y := min(a, b), max(a, b)
					return nil, fmt.Errorf("%w: tables %q and %q reference each other; no delete order satisfies both", ErrCycle, x, y)
				}
				if before[a] == nil {
					before[a] = make(map[string]bool)
				}
				before[a][b] = true
			}
		}
	}
	n := len(units)
	indeg := make([]int, n)
	for i := range units {
		for j := range units {
			if before[units[j].m.table][units[i].m.table] || (j < i && units[j].m == units[i].m) {
				indeg[i]++
			}
		}
	}
	out := make([]*unit, 0, n)
	done := make([]bool, n)
	for len(out) < n {
		next := -1
		for i := range units {
			if !done[i] && indeg[i] == 0 {
				next = i
				break
			}
		}
		if next < 0 { // unreachable: cycles were rejected above
			return nil, fmt.Errorf("%w: no delete order found", ErrCycle)
		}
		done[next] = true
		out = append(out, units[next])
		for i := range units {
			if !done[i] && (before[units[next].m.table][units[i].m.table] || (next < i && units[next].m == units[i].m)) {
				indeg[i]--
			}
		}
	}
	return out, nil
}

// selfKeys returns the foreign-key fields by which m references itself:
// declared self relations, and self-referencing foreign keys in the
// database whose columns m maps.
func selfKeys(m *model, si *schemaInfo) [][]*field {
	var out [][]*field
	rels, _ := m.relations()
	for _, r := range rels {
		if r.self() {
			out = append(out, r.fk)
		}
	}
	if si == nil {
		return out
	}
	for _, fk := range si.byChild[m.table] {
		if fk.parent != m.table {
			continue
		}
		var fs []*field
		for _, c := range fk.columns {
			if f := m.byColumn[c]; f != nil {
				fs = append(fs, f)
			}
		}
		if len(fs) == len(m.pk) && !slices.ContainsFunc(out, func(o []*field) bool { return slices.Equal(o, fs) }) {
			out = append(out, fs)
		}
	}
	return out
}

// treeLevels splits the objects of a self-referencing model into levels to
// delete one after another, leaves first: an object comes after every
// object of the set whose loaded foreign key points at it. Objects in a
// cycle of references go together in the last level.
func treeLevels(m *model, objs []objRef, fks [][]*field) [][]objRef {
	if len(fks) == 0 || len(objs) < 2 {
		return [][]objRef{objs}
	}
	index := make(map[identity]int, len(objs))
	for i, o := range objs {
		index[identityOf(m, o.key)] = i
	}
	parents := make([][]int, len(objs)) // parents[i]: objects that objs[i] references
	children := make([]int, len(objs))  // how many objects of the set reference objs[i]
	for i, o := range objs {
		if o.ptr == nil {
			continue
		}
		v := reflect.NewAt(m.typ, o.ptr).Elem()
		for _, fk := range fks {
			parts := make([]any, len(fk))
			ok := true
			for j, f := range fk {
				fv := v.FieldByIndex(f.index)
				if fv.IsZero() {
					ok = false
					break
				}
				parts[j] = nullValue(fv)
				if parts[j] == nil {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			var k any = parts
			if len(parts) == 1 {
				k = parts[0]
			}
			if p, found := index[identityOf(m, normalizeKey(m, k))]; found && p != i {
				parents[i] = append(parents[i], p)
				children[p]++
			}
		}
	}
	var levels [][]objRef
	left := len(objs)
	placed := make([]bool, len(objs))
	for left > 0 {
		var level []objRef
		var idx []int
		for i := range objs {
			if !placed[i] && children[i] == 0 {
				level = append(level, objs[i])
				idx = append(idx, i)
			}
		}
		if len(level) == 0 { // a cycle: the rest together
			for i := range objs {
				if !placed[i] {
					level = append(level, objs[i])
					placed[i] = true
				}
			}
			levels = append(levels, level)
			break
		}
		for _, i := range idx {
			placed[i] = true
			for _, p := range parents[i] {
				children[p]--
			}
		}
		left -= len(level)
		levels = append(levels, level)
	}
	return levels
}
