package typeddelete

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	sq "github.com/Masterminds/squirrel"
)

// step is one unit of pending work: a run of object deletes registered one
// after another, or one bulk delete. Steps are sent in registration order.
type step struct {
	objs []objRef
	bulk *bulkOp
}

// objRef is one object registered with Session.Delete.
type objRef struct {
	m   *model
	key any // the value of a one-column key, or []any
	obj any
}

// bulkOp is one bulk delete registered with Query.Delete, already rendered.
type bulkOp struct {
	m      *model
	where  string // condition; "" when the delete targets every row
	args   []any
	none   bool // the condition is always false: send nothing
	handle *Deletion
}

// Deletion is the handle of a bulk delete registered with Query.Delete. It
// tells how many rows the delete removed once a Flush or Commit sent it.
// It is safe for concurrent use.
type Deletion struct {
	table string
	mu    sync.Mutex
	rows  int64
	done  bool
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

func (d *Deletion) set(n int64, done bool) {
	d.mu.Lock()
	d.rows, d.done = n, done
	d.mu.Unlock()
}

// resetHandles marks the bulk deletes of steps as not sent.
func resetHandles(steps []step) {
	for _, st := range steps {
		if st.bulk != nil {
			st.bulk.handle.set(0, false)
		}
	}
}

// errRowCount reports, inside run, a batch that deleted fewer rows than it
// had keys; send then runs again in precise mode to find which.
var errRowCount = errors.New("typeddelete: row count mismatch")

// batch is one statement's worth of planned work.
type batch struct {
	m    *model
	keys []any   // object deletes: sorted, distinct keys of m
	bulk *bulkOp // or one bulk delete
}

// plan turns steps into batches. Object deletes are deduplicated by table
// and key across all steps, grouped by table in order of first appearance
// within their step, sorted by key (so concurrent commits lock rows in the
// same order) and cut to the dialect's batch size. Bulk deletes keep their
// place between the object deletes registered before and after them.
func (s *Session) plan(steps []step) []batch {
	var out []batch
	var seen map[*model]map[string]struct{} // keys of earlier steps, only when needed
	objSteps := 0
	for _, st := range steps {
		if st.bulk == nil {
			objSteps++
		}
	}
	for _, st := range steps {
		if st.bulk != nil {
			out = append(out, batch{m: st.bulk.m, bulk: st.bulk})
			continue
		}
		var order []*model
		groups := make(map[*model][]any)
		for _, o := range st.objs {
			if _, ok := groups[o.m]; !ok {
				order = append(order, o.m)
			}
			groups[o.m] = append(groups[o.m], o.key)
		}
		for _, m := range order {
			keys := groups[m]
			slices.SortFunc(keys, compareKeys)
			keys = slices.CompactFunc(keys, func(a, b any) bool { return compareKeys(a, b) == 0 })
			if objSteps > 1 {
				if seen == nil {
					seen = make(map[*model]map[string]struct{})
				}
				if seen[m] == nil {
					seen[m] = make(map[string]struct{})
				}
				keys = slices.DeleteFunc(keys, func(k any) bool {
					ks := keyString(m.keyParts(k))
					_, dup := seen[m][ks]
					seen[m][ks] = struct{}{}
					return dup
				})
			}
			per := s.dialect.keysPerStatement(len(m.pk), s.batch)
			for len(keys) > 0 {
				n := min(per, len(keys))
				out = append(out, batch{m: m, keys: keys[:n:n]})
				keys = keys[n:]
			}
		}
	}
	return out
}

// run sends the batches of steps. In fast mode a batch that deletes fewer
// rows than it has keys stops the run with errRowCount. In precise mode
// each object batch first reads which of its keys exist (locking them where
// the database can), so missing keys are known exactly.
func (s *Session) run(ctx context.Context, steps []step, precise bool) (*CommitResult, error) {
	res := &CommitResult{Deleted: make(map[string]int64)}
	d := s.dialect
	for _, b := range s.plan(steps) {
		if err := d.checkIdent(b.m); err != nil {
			return nil, err
		}
		if b.bulk != nil {
			if b.bulk.none {
				b.bulk.handle.set(0, true)
				continue
			}
			n, err := s.exec(ctx, deleteSQL(d, b.m, b.bulk.where, b.bulk.args))
			if err != nil {
				return nil, fmt.Errorf("typeddelete: bulk delete from %q: %w", b.m.table, err)
			}
			res.Statements++
			res.Deleted[b.m.table] += n
			b.bulk.handle.set(n, true)
			continue
		}
		cond, args := keyCondition(d, b.m, b.keys)
		var n int64
		var err error
		if precise {
			var missing []any
			missing, n, err = s.deletePrecise(ctx, b.m, b.keys, cond, args, res)
			for _, k := range missing {
				res.Missing = append(res.Missing, MissingKey{Table: b.m.table, Key: b.m.keyParts(k)})
			}
		} else {
			n, err = s.exec(ctx, deleteSQL(d, b.m, cond, args))
			res.Statements++
		}
		if err != nil {
			return nil, fmt.Errorf("typeddelete: delete from %q: %w", b.m.table, err)
		}
		res.Deleted[b.m.table] += n
		if !precise && n != int64(len(b.keys)) {
			return nil, errRowCount
		}
	}
	if s.strict && len(res.Missing) > 0 {
		return nil, staleError(res.Missing)
	}
	return res, nil
}

// staleError groups missing keys by table into *StaleDataError values.
func staleError(missing []MissingKey) error {
	var errs []error
	byTable := make(map[string]*StaleDataError)
	for _, mk := range missing {
		e := byTable[mk.Table]
		if e == nil {
			e = &StaleDataError{Table: mk.Table}
			byTable[mk.Table] = e
			errs = append(errs, e)
		}
		e.Keys = append(e.Keys, mk.Key)
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// exec renders a squirrel statement, sends it and returns rows affected.
func (s *Session) exec(ctx context.Context, stmt sq.Sqlizer) (int64, error) {
	query, args, err := stmt.ToSql()
	if err != nil {
		return 0, err
	}
	res, err := s.execSQL(ctx, query, args)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// deletePrecise deletes keys of m and returns the keys that matched no row
// and the rows deleted. Where the dialect has RETURNING, the DELETE returns
// the keys it removed; elsewhere the keys are read first, locking their
// rows, then deleted.
func (s *Session) deletePrecise(ctx context.Context, m *model, keys []any, cond string, args []any, res *CommitResult) ([]any, int64, error) {
	d := s.dialect
	pkCols := strings.Join(d.quoteAll(m.pkColumns()), ", ")
	var read sq.Sqlizer
	if d.returning {
		read = deleteSQL(d, m, cond, args).Suffix("RETURNING " + pkCols)
	} else {
		sel := sq.Select(pkCols).From(d.Quote(m.table)).
			Where(sq.Expr(cond, args...)).PlaceholderFormat(d.placeholder)
		if d.lockRows != "" {
			sel = sel.Suffix(d.lockRows)
		}
		read = sel
	}
	found, err := s.readKeys(ctx, m, read)
	res.Statements++
	if err != nil {
		return nil, 0, err
	}
	n := int64(len(found))
	if !d.returning && n > 0 {
		if n, err = s.exec(ctx, deleteSQL(d, m, cond, args)); err != nil {
			return nil, 0, err
		}
		res.Statements++
	}
	var missing []any
	for _, k := range keys {
		if _, ok := found[keyString(m.keyParts(k))]; !ok {
			missing = append(missing, k)
		}
	}
	return missing, n, nil
}

// readKeys runs a query that returns primary-key columns of m and returns
// the keys it read, encoded by keyString.
func (s *Session) readKeys(ctx context.Context, m *model, stmt sq.Sqlizer) (map[string]struct{}, error) {
	q, args, err := stmt.ToSql()
	if err != nil {
		return nil, err
	}
	rows, err := s.queryRows(ctx, s.conn(), q, args)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := make(map[string]struct{})
	dest := make([]any, len(m.pk))
	parts := make([]any, len(m.pk))
	for rows.Next() {
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
			parts[i] = reflect.ValueOf(p).Elem().Interface()
		}
		found[keyString(parts)] = struct{}{}
	}
	return found, rows.Err()
}

// deleteSQL builds DELETE FROM table [WHERE cond] with squirrel.
func deleteSQL(d *Dialect, m *model, cond string, args []any) sq.DeleteBuilder {
	b := sq.Delete(d.Quote(m.table)).PlaceholderFormat(d.placeholder)
	if cond != "" {
		b = b.Where(sq.Expr(cond, args...))
	}
	return b
}

// keyCondition matches exactly the given keys of m: "pk" IN (?,...) for a
// one-column key, or "pk" = ANY(?) with one array where the dialect takes
// arrays; for a composite key, row values ("a","b") IN ((?,?),...) or, where
// the dialect lacks them, (("a" = ? AND "b" = ?) OR ...). Never
// "a IN (...) AND b IN (...)", which matches the wrong rows.
func keyCondition(d *Dialect, m *model, keys []any) (string, []any) {
	if len(m.pk) == 1 {
		if d.arrays {
			return d.Quote(m.pk[0].column) + " = ANY(?)", []any{typedSlice(m.pk[0].typ, keys)}
		}
		return d.Quote(m.pk[0].column) + " IN (" + placeholders(len(keys)) + ")", keys
	}
	cols := d.quoteAll(m.pkColumns())
	args := make([]any, 0, len(keys)*len(cols))
	for _, k := range keys {
		args = append(args, k.([]any)...)
	}
	var b strings.Builder
	if d.rowValues {
		tuple := "(" + placeholders(len(cols)) + ")"
		b.WriteString("(" + strings.Join(cols, ",") + ") IN (")
		for i := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(tuple)
		}
		b.WriteByte(')')
		return b.String(), args
	}
	group := "(" + strings.Join(cols, " = ? AND ") + " = ?)"
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
