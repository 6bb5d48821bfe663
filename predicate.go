package typeddelete

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	sq "github.com/Masterminds/squirrel"
)

// Column is a typed column of model T whose Go values have type V. Make one
// with Col; its predicates only combine with other predicates on T and only
// take values of type V, so a mismatch does not compile.
//
// A Column is immutable and safe for concurrent use. The zero Column, or one
// whose accessor did not return a mapped field, yields predicates that fail
// with ErrInvalidPredicate when used.
type Column[T any, V any] struct {
	f   *field
	err error
}

// Col returns the column that the accessor selects, for example
//
//	age := typeddelete.Col(func(u *User) *int { return &u.Age })
//
// The accessor is called once, on a zero T, and must return a pointer to a
// mapped field of its argument (a field of an embedded struct counts). The
// column is found by the field's position, so renaming the field or its
// column needs no change here.
func Col[T any, V any](accessor func(*T) *V) Column[T, V] {
	m, err := modelFor(reflect.TypeFor[T]())
	if err != nil {
		return Column[T, V]{err: err}
	}
	if accessor == nil {
		return Column[T, V]{err: fmt.Errorf("%w: Col: nil accessor for %s", ErrInvalidPredicate, m.typ)}
	}
	base := new(T)
	p, err := callAccessor(accessor, base)
	if err != nil {
		return Column[T, V]{err: fmt.Errorf("%w: Col on %s: %v", ErrInvalidPredicate, m.typ, err)}
	}
	start, at := reflect.ValueOf(base).Pointer(), reflect.ValueOf(p).Pointer()
	if p == nil || at < start || at >= start+m.typ.Size() {
		return Column[T, V]{err: fmt.Errorf("%w: Col: the accessor must return a pointer to a field of its %s argument", ErrInvalidPredicate, m.typ)}
	}
	f := m.fieldAt(at-start, reflect.TypeFor[V]())
	if f == nil {
		return Column[T, V]{err: fmt.Errorf("%w: Col: the accessor returns a %s field of %s that is not a mapped column", ErrInvalidPredicate, reflect.TypeFor[V](), m.typ)}
	}
	return Column[T, V]{f: f}
}

// callAccessor calls accessor, turning a panic (a nil embedded pointer, say)
// into an error.
func callAccessor[T, V any](accessor func(*T) *V, base *T) (p *V, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the accessor panicked: %v", r)
		}
	}()
	return accessor(base), nil
}

// Name returns the column's name, or "" for an invalid Column.
func (c Column[T, V]) Name() string {
	if c.f == nil {
		return ""
	}
	return c.f.column
}

// Err returns why the Column is invalid, or nil.
func (c Column[T, V]) Err() error {
	if c.f == nil && c.err == nil {
		return fmt.Errorf("%w: zero Column; make columns with Col", ErrInvalidPredicate)
	}
	return c.err
}

func (c Column[T, V]) pred(e expr) Predicate[T] {
	if err := c.Err(); err != nil {
		return Predicate[T]{e: errExpr{err}}
	}
	return Predicate[T]{e: e}
}

// Eq matches rows whose column equals v; a nil pointer v matches NULL.
func (c Column[T, V]) Eq(v V) Predicate[T] { return c.pred(cmpExpr{c.f, "=", v}) }

// Ne matches rows whose column differs from v; a nil pointer v matches
// non-NULL values. As in SQL, a NULL column never matches Ne(non-nil).
func (c Column[T, V]) Ne(v V) Predicate[T] { return c.pred(cmpExpr{c.f, "<>", v}) }

// Gt matches rows whose column is greater than v.
func (c Column[T, V]) Gt(v V) Predicate[T] { return c.pred(cmpExpr{c.f, ">", v}) }

// Ge matches rows whose column is greater than or equal to v.
func (c Column[T, V]) Ge(v V) Predicate[T] { return c.pred(cmpExpr{c.f, ">=", v}) }

// Lt matches rows whose column is less than v.
func (c Column[T, V]) Lt(v V) Predicate[T] { return c.pred(cmpExpr{c.f, "<", v}) }

// Le matches rows whose column is less than or equal to v.
func (c Column[T, V]) Le(v V) Predicate[T] { return c.pred(cmpExpr{c.f, "<=", v}) }

// In matches rows whose column is one of vs. With no values it matches no
// row (it renders as a false condition, never as invalid SQL).
func (c Column[T, V]) In(vs ...V) Predicate[T] { return c.pred(inExpr{c.f, anySlice(vs), false}) }

// NotIn matches rows whose column is none of vs. With no values it matches
// every row, so a bulk delete filtered only by it needs AllRows.
func (c Column[T, V]) NotIn(vs ...V) Predicate[T] { return c.pred(inExpr{c.f, anySlice(vs), true}) }

// Between matches rows whose column lies between lo and hi, inclusive.
func (c Column[T, V]) Between(lo, hi V) Predicate[T] { return c.pred(betweenExpr{c.f, lo, hi}) }

// IsNull matches rows whose column is NULL.
func (c Column[T, V]) IsNull() Predicate[T] { return c.pred(nullExpr{c.f, false}) }

// NotNull matches rows whose column is not NULL.
func (c Column[T, V]) NotNull() Predicate[T] { return c.pred(nullExpr{c.f, true}) }

// Like matches rows whose string column matches the SQL LIKE pattern. It
// takes only columns of string kind.
func Like[T any, S ~string](c Column[T, S], pattern S) Predicate[T] {
	return c.pred(cmpExpr{c.f, "LIKE", string(pattern)})
}

// Predicate is a condition on rows of model T. Make predicates with the
// methods of Column, with Like and Raw, and combine them with And, Or and
// Not. A Predicate is immutable and implements nothing database-specific
// until a query renders it with the session's dialect.
type Predicate[T any] struct {
	e expr
}

// Raw wraps a squirrel expression as a predicate on T: the escape hatch for
// SQL the typed columns cannot say. Its SQL is sent as written (use ?
// placeholders); Raw(nil), or one that renders to nothing, is invalid.
// squirrel.And and squirrel.Or are taken apart into their terms. For a
// bulk delete, a term that is always true, such as squirrel.Eq{} or
// "1=1", counts as no filter; so does, at Commit, a term that names no
// column and that the database evaluates to true ("2=2", "NOT (1=0)",
// squirrel.Expr("?", true)). A term that names a column cannot be told
// apart, "id IS NOT NULL" say: WithMaxRows and AtMost catch those.
func Raw[T any](s sq.Sqlizer) Predicate[T] {
	return Predicate[T]{e: rawTree(s)}
}

// rawTree turns a squirrel expression into a condition tree, squirrel's
// And and Or into AND and OR of their terms.
func rawTree(s sq.Sqlizer) expr {
	if s == nil || (reflect.ValueOf(s).Kind() == reflect.Pointer && reflect.ValueOf(s).IsNil()) {
		return errExpr{fmt.Errorf("%w: Raw(nil)", ErrInvalidPredicate)}
	}
	var op string
	var terms []sq.Sqlizer
	switch v := s.(type) {
	case sq.And:
		op, terms = "AND", v
	case sq.Or:
		op, terms = "OR", v
	default:
		return rawExpr{&rawLeaf{s}}
	}
	subs := make([]expr, len(terms))
	for i, t := range terms {
		subs[i] = rawTree(t)
	}
	return boolExpr{op, subs}
}

// And matches rows that match every predicate. With none it is always true.
func And[T any](ps ...Predicate[T]) Predicate[T] {
	return Predicate[T]{e: boolExpr{"AND", exprs(ps)}}
}

// Or matches rows that match any predicate. With none it is always false.
func Or[T any](ps ...Predicate[T]) Predicate[T] {
	return Predicate[T]{e: boolExpr{"OR", exprs(ps)}}
}

// Not matches rows that p does not match.
func Not[T any](p Predicate[T]) Predicate[T] {
	return Predicate[T]{e: notExpr{p.e}}
}

func exprs[T any](ps []Predicate[T]) []expr {
	es := make([]expr, len(ps))
	for i, p := range ps {
		es[i] = p.e
	}
	return es
}

func anySlice[V any](vs []V) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// truth is what a rendered condition is known to be, whatever the row.
type truth int8

const (
	depends truth = iota
	alwaysTrue
	alwaysFalse
)

const (
	sqlTrue  = "(1=1)"
	sqlFalse = "(1=0)"
)

// expr is a condition tree rendered with a dialect's quoting.
type expr interface {
	render(r *renderer) (sql string, args []any, t truth, err error)
}

// renderer renders condition trees with a dialect, knowing what the
// database said of Raw terms that name no column (see Session.probe).
type renderer struct {
	d      *Dialect
	truths map[*rawLeaf]truth
}

// render renders e, treating a nil expr (the zero Predicate) as invalid.
func (r *renderer) render(e expr) (string, []any, truth, error) {
	if e == nil {
		return "", nil, depends, fmt.Errorf("%w: zero Predicate", ErrInvalidPredicate)
	}
	return e.render(r)
}

type errExpr struct{ err error }

func (e errExpr) render(*renderer) (string, []any, truth, error) { return "", nil, depends, e.err }

type cmpExpr struct {
	f  *field
	op string
	v  any
}

func (e cmpExpr) render(r *renderer) (string, []any, truth, error) {
	d := r.d
	if isNil(e.v) {
		switch e.op {
		case "=":
			return d.Quote(e.f.column) + " IS NULL", nil, depends, nil
		case "<>":
			return d.Quote(e.f.column) + " IS NOT NULL", nil, depends, nil
		}
	}
	return d.Quote(e.f.column) + " " + e.op + " ?", []any{e.v}, depends, nil
}

type inExpr struct {
	f   *field
	vs  []any
	not bool
}

// render sends the values as the dialect sends keys: one array on
// PostgreSQL, integers as literals on MySQL, else bound parameters (past
// the dialect's jsonList values, one JSON array, on SQLite), so that a
// list longer than the bind-parameter limit still works.
func (e inExpr) render(r *renderer) (string, []any, truth, error) {
	d := r.d
	if len(e.vs) == 0 {
		if e.not {
			return sqlTrue, nil, alwaysTrue, nil
		}
		return sqlFalse, nil, alwaysFalse, nil
	}
	var s string
	var args []any
	t := e.f.typ
	switch {
	case t.Kind() == reflect.Pointer || t.Implements(valuerType):
		s, args = d.Quote(e.f.column)+" IN ("+placeholders(len(e.vs))+")", e.vs
	case d.jsonList > 0 && len(e.vs) > d.jsonList && jsonable(t):
		j, err := jsonArray(e.vs)
		if err != nil {
			return "", nil, depends, fmt.Errorf("%w: In on %s: %v", ErrInvalidValue, e.f.column, err)
		}
		s, args = d.inJSON(e.f.column, j)
	default:
		keys := keyList{kind: anyKeys, anys: e.vs}
		var err error
		if s, args, err = d.keyCond([]string{e.f.column}, []reflect.Type{t}, nil, &keys, nil); err != nil {
			return "", nil, depends, err
		}
	}
	if e.not {
		return "NOT (" + s + ")", args, depends, nil
	}
	return s, args, depends, nil
}

type betweenExpr struct {
	f      *field
	lo, hi any
}

func (e betweenExpr) render(r *renderer) (string, []any, truth, error) {
	return r.d.Quote(e.f.column) + " BETWEEN ? AND ?", []any{e.lo, e.hi}, depends, nil
}

type nullExpr struct {
	f   *field
	not bool
}

func (e nullExpr) render(r *renderer) (string, []any, truth, error) {
	d := r.d
	if e.not {
		return d.Quote(e.f.column) + " IS NOT NULL", nil, depends, nil
	}
	return d.Quote(e.f.column) + " IS NULL", nil, depends, nil
}

type boolExpr struct {
	op   string // "AND" or "OR"
	subs []expr
}

func (e boolExpr) render(r *renderer) (string, []any, truth, error) {
	// absorbing is the value that decides the whole expression; neutral is
	// the value that can be dropped.
	absorbing, neutral := alwaysFalse, alwaysTrue
	if e.op == "OR" {
		absorbing, neutral = alwaysTrue, alwaysFalse
	}
	var parts []string
	var args []any
	decided := false
	for _, sub := range e.subs {
		// Render every part, even after the result is decided, so that an
		// invalid predicate anywhere is reported.
		s, a, t, err := r.render(sub)
		if err != nil {
			return "", nil, depends, err
		}
		switch {
		case t == absorbing:
			decided = true
		case t != neutral:
			parts = append(parts, s)
			args = append(args, a...)
		}
	}
	if decided {
		return constant(absorbing), nil, absorbing, nil
	}
	switch len(parts) {
	case 0:
		return constant(neutral), nil, neutral, nil
	case 1:
		return parts[0], args, depends, nil
	}
	return "(" + strings.Join(parts, " "+e.op+" ") + ")", args, depends, nil
}

type notExpr struct{ sub expr }

func (e notExpr) render(r *renderer) (string, []any, truth, error) {
	s, a, t, err := r.render(e.sub)
	switch {
	case err != nil:
		return "", nil, depends, err
	case t == alwaysTrue:
		return sqlFalse, nil, alwaysFalse, nil
	case t == alwaysFalse:
		return sqlTrue, nil, alwaysTrue, nil
	}
	return "NOT (" + s + ")", a, depends, nil
}

// rawExpr is a Raw term; its leaf is its identity for the renderer's
// truths.
type rawExpr struct{ leaf *rawLeaf }

// rawLeaf is a squirrel expression a Raw term wraps.
type rawLeaf struct{ s sq.Sqlizer }

func (e rawExpr) render(r *renderer) (string, []any, truth, error) {
	s, a, err := e.leaf.s.ToSql()
	if err != nil {
		return "", nil, depends, fmt.Errorf("%w: Raw: %w", ErrInvalidPredicate, err)
	}
	switch constantOf(s) {
	case "":
		return "", nil, depends, fmt.Errorf("%w: Raw expression %T renders to no SQL", ErrInvalidPredicate, e.leaf.s)
	case "1=1", "true":
		return sqlTrue, nil, alwaysTrue, nil
	case "1=0", "false":
		return sqlFalse, nil, alwaysFalse, nil
	}
	switch r.truths[e.leaf] {
	case alwaysTrue:
		return sqlTrue, nil, alwaysTrue, nil
	case alwaysFalse:
		return sqlFalse, nil, alwaysFalse, nil
	}
	return "(" + s + ")", a, depends, nil
}

// renderExpr renders e with dialect d.
func renderExpr(e expr, d *Dialect) (string, []any, truth, error) {
	return (&renderer{d: d}).render(e)
}

// rawLeaves returns the Raw terms of the trees es.
func rawLeaves(es []expr) []*rawLeaf {
	var out []*rawLeaf
	for _, e := range es {
		switch e := e.(type) {
		case rawExpr:
			out = append(out, e.leaf)
		case boolExpr:
			out = append(out, rawLeaves(e.subs)...)
		case notExpr:
			out = append(out, rawLeaves([]expr{e.sub})...)
		}
	}
	return out
}

// jsonable reports whether values of type t encode as JSON scalars that
// SQLite's json_each gives back as the values themselves: integers,
// floats and strings.
func jsonable(t reflect.Type) bool {
	c := kindClass(t)
	return (c == 1 || c == 2) && !t.Implements(valuerType)
}

// jsonArray encodes values as a JSON array.
func jsonArray(vs []any) (string, error) {
	b, err := json.Marshal(vs)
	return string(b), err
}

// constantOf strips blanks and enclosing parentheses and lowercases s, so
// "( 1 = 1 )" and "(1=1)" both give "1=1".
func constantOf(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), ""))
	for len(s) >= 2 && s[0] == '(' && s[len(s)-1] == ')' && balanced(s[1:len(s)-1]) {
		s = s[1 : len(s)-1]
	}
	return s
}

// balanced reports whether the parentheses of s pair up.
func balanced(s string) bool {
	depth := 0
	for _, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0
}

func constant(t truth) string {
	if t == alwaysTrue {
		return sqlTrue
	}
	return sqlFalse
}

// placeholders returns n "?" separated by commas.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

// isNil reports whether v is nil or a nil pointer, map, slice or interface.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// byName builds the predicate of FilterBy: column == v, or IN when v is a
// slice. It checks the column against the model and v against its type.
func byName(m *model, column string, v any) expr {
	f, ok := m.byColumn[column]
	if !ok {
		return errExpr{fmt.Errorf("%w: %q is not a column of %s (table %q)", ErrUnknownColumn, column, m.typ, m.table)}
	}
	if v == nil {
		return nullExpr{f, false}
	}
	rv := reflect.ValueOf(v)
	if isList(rv, f.typ) {
		if !fits(rv.Type().Elem(), f.typ) {
			return errExpr{fmt.Errorf("%w: FilterBy(%q): %s values do not fit column type %s", ErrInvalidValue, column, rv.Type().Elem(), f.typ)}
		}
		vs := make([]any, rv.Len())
		for i := range vs {
			vs[i] = rv.Index(i).Interface()
		}
		return inExpr{f, vs, false}
	}
	if !fits(rv.Type(), f.typ) {
		return errExpr{fmt.Errorf("%w: FilterBy(%q): a %s does not fit column type %s", ErrInvalidValue, column, rv.Type(), f.typ)}
	}
	return cmpExpr{f, "=", v}
}

// isList reports whether FilterBy's value v means a list of values (IN):
// a slice or array, unless it is a value the driver takes whole (it
// implements driver.Valuer, or it is a byte slice for a byte-slice column).
func isList(v reflect.Value, col reflect.Type) bool {
	if k := v.Kind(); k != reflect.Slice && k != reflect.Array {
		return false
	}
	if v.Type().Implements(valuerType) {
		return false
	}
	return !(kindClass(v.Type()) == 4 && kindClass(col) == 4)
}

var (
	valuerType  = reflect.TypeFor[driver.Valuer]()
	scannerType = reflect.TypeFor[sql.Scanner]()
)

// fits reports whether a value of type v can be compared with a column of
// Go type col: the same type, or both numbers, or both strings, or both
// byte slices, following pointers; a column type with its own Scanner or
// Valuer accepts any value.
func fits(v, col reflect.Type) bool {
	if col.Implements(valuerType) || reflect.PointerTo(col).Implements(scannerType) {
		return true
	}
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	for col.Kind() == reflect.Pointer {
		col = col.Elem()
	}
	if v == col || v.ConvertibleTo(col) && kindClass(v) == kindClass(col) && kindClass(v) != 0 {
		return true
	}
	return false
}

// kindClass groups kinds that compare in SQL: 1 numbers, 2 strings, 3 bools,
// 4 byte slices, 0 anything else.
func kindClass(t reflect.Type) int {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return 1
	case reflect.String:
		return 2
	case reflect.Bool:
		return 3
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return 4
		}
	}
	return 0
}
