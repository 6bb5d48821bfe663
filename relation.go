package typeddelete

import (
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// OnDelete is what a Commit does to the child rows of a deleted parent.
type OnDelete int

const (
	// Restrict fails the Commit, naming the child table and how many child
	// rows exist, when a deleted parent still has children. Children the
	// same Commit deletes, through another relation or other work
	// registered with it, do not count. A soft-deleted child counts when
	// its parent is deleted, since its row still references the parent,
	// and not when the parent is soft-deleted.
	Restrict OnDelete = iota + 1
	// Cascade deletes the children too, set-based and level by level (soft
	// deletes them when both models are soft-deletable).
	Cascade
	// SetNull sets the children's foreign key to NULL before the parent is
	// deleted. The foreign-key field must be nullable and not part of the
	// child's primary key.
	SetNull
	// Database leaves the children to the database's own ON DELETE action,
	// which must exist; only the parent delete is sent.
	Database
	// Protect fails the Commit while a deleted parent has children, even
	// when the same delete reaches those children through another
	// relation (Restrict lets such children go). Children that other work
	// registered with it deletes are deleted first and do not count.
	// Soft-deleted children count as for Restrict. It is Django's PROTECT.
	Protect
	// SetDefault sets the children's foreign key to the column's default
	// before the parent is deleted, on every database (InnoDB has no ON
	// DELETE SET DEFAULT). On SQLite the default is read from the catalog
	// and must be a literal (a number, a string or NULL).
	SetDefault
	// SetValue sets the children's foreign key to the value given with
	// Relation.Value before the parent is deleted, as Django's SET(...).
	SetValue
)

// String returns the policy's name.
func (p OnDelete) String() string {
	switch p {
	case Restrict:
		return "Restrict"
	case Cascade:
		return "Cascade"
	case SetNull:
		return "SetNull"
	case Database:
		return "Database"
	case Protect:
		return "Protect"
	case SetDefault:
		return "SetDefault"
	case SetValue:
		return "SetValue"
	}
	return fmt.Sprintf("OnDelete(%d)", int(p))
}

// reassigns reports whether the policy changes the children's foreign key
// before their parent is deleted, rather than deleting or keeping them.
func (p OnDelete) reassigns() bool { return p == SetNull || p == SetDefault || p == SetValue }

// Relation declares that rows of a child model reference a parent model, and
// what deleting the parent does to them. Make one with HasMany or
// ManyToMany; References and Value refine it.
type Relation struct {
	child   reflect.Type
	columns []string
	policy  OnDelete
	refs    []string // parent columns referenced; nil for the primary key
	values  []any    // SetValue's values, one per foreign-key column
	valued  bool     // Value was called
	join    string   // ManyToMany: the join table
}

// Relational is implemented by parent models that declare their children:
//
//	func (Team) Relations() []typeddelete.Relation {
//		return []typeddelete.Relation{
//			typeddelete.HasMany[Project](typeddelete.Cascade, "team_id"),
//		}
//	}
//
// Relations is called once per type, on a zero value. The declarations are
// checked when the model is first used: an unknown column, a foreign-key
// field whose Go type cannot hold the values of the parent field it
// references (a string following an int64 key, say), two policies on one
// relation, or SetNull on a column that cannot be NULL is an error then.
type Relational interface {
	Relations() []Relation
}

// HasMany declares child model C whose fkColumns (one per primary-key column
// of the parent, in order) reference the parent's primary key, with the
// given policy. A model may name itself as C: a tree.
func HasMany[C any](policy OnDelete, fkColumns ...string) Relation {
	return Relation{child: reflect.TypeFor[C](), columns: fkColumns, policy: policy}
}

// ManyToMany declares that rows of the parent and of model C are linked
// through joinTable: columns are the join table's columns that reference
// the parent's primary key (one per key column, in order), then those that
// reference C's. Deleting parent rows deletes their join rows, set-based,
// before the parents; the rows of C are kept. Declare it on both models
// so that deleting either side removes its links:
//
//	func (Post) Relations() []typeddelete.Relation {
//		return []typeddelete.Relation{typeddelete.ManyToMany[Tag]("post_tags", "post_id", "tag_id")}
//	}
//	func (Tag) Relations() []typeddelete.Relation {
//		return []typeddelete.Relation{typeddelete.ManyToMany[Post]("post_tags", "tag_id", "post_id")}
//	}
//
// A soft delete of the parent leaves its join rows, so that restoring it
// brings its links back.
func ManyToMany[C any](joinTable string, columns ...string) Relation {
	return Relation{child: reflect.TypeFor[C](), columns: columns, policy: Cascade, join: joinTable}
}

// References returns the relation with its foreign key referencing the
// parent's columns parentColumns (a unique key of the parent, one per
// foreign-key column, in order) rather than its primary key, as GORM's
// References and Django's to_field. The relation then follows the values
// of those columns. It is not available on a relation of a model to
// itself.
func (r Relation) References(parentColumns ...string) Relation {
	r.refs = parentColumns
	return r
}

// Value returns the SetValue relation with the values its foreign-key
// columns are set to, one per column; nil sets NULL.
func (r Relation) Value(values ...any) Relation {
	r.values, r.valued = values, true
	return r
}

// relation is a resolved, checked Relation.
type relation struct {
	parent *model
	child  *model
	fk     []*field // the child's columns, in the order of ref
	ref    []*field // the parent's columns they reference: its key, or References
	policy OnDelete
	values []any // SetValue: the value of each fk column
}

// byKey reports whether the foreign key references the parent's primary
// key, so that parent keys are the values to follow.
func (r *relation) byKey() bool { return slices.Equal(r.ref, r.parent.pk) }

// fkColumns returns the child's foreign-key columns.
func (r *relation) fkColumns() []string { return fieldColumns(r.fk) }

// refColumns returns the parent columns the foreign key references.
func (r *relation) refColumns() []string { return fieldColumns(r.ref) }

// fieldColumns returns the columns of fields.
func fieldColumns(fs []*field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.column
	}
	return out
}

// self reports whether the relation is a tree: a model referencing itself.
func (r *relation) self() bool { return r.parent == r.child }

// relations returns the model's resolved child relations, resolving and
// checking them on first use. A Relations method that panics or returns an
// invalid declaration gives the same error every time.
func (m *model) relations() ([]*relation, error) {
	m.relOnce.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				m.rels, m.relErr = nil, fmt.Errorf("%w: %s.Relations panicked: %v", ErrInvalidRelation, m.typ, r)
			}
		}()
		m.rels, m.relErr = m.resolveRelations()
	})
	return m.rels, m.relErr
}

// canBeNull reports whether a field of type t can hold NULL: a pointer or
// one of database/sql's Null types.
func canBeNull(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		return true
	}
	switch t {
	case reflect.TypeFor[sql.NullInt64](), reflect.TypeFor[sql.NullInt32](), reflect.TypeFor[sql.NullInt16](),
		reflect.TypeFor[sql.NullString](), reflect.TypeFor[sql.NullTime](), reflect.TypeFor[sql.NullFloat64](),
		reflect.TypeFor[sql.NullBool](), reflect.TypeFor[sql.NullByte]():
		return true
	}
	return false
}

func (m *model) resolveRelations() ([]*relation, error) {
	r, ok := reflect.New(m.typ).Interface().(Relational)
	if !ok {
		return nil, nil
	}
	var out []*relation
	seen := make(map[string]OnDelete)
	for i, decl := range r.Relations() {
		where := fmt.Sprintf("%s.Relations()[%d]", m.typ, i)
		rel, err := m.resolve(decl, where)
		if err != nil {
			return nil, err
		}
		id := rel.child.table + "(" + strings.Join(rel.fkColumns(), ",") + ")"
		if prev, dup := seen[id]; dup {
			return nil, fmt.Errorf("%w: %s: %s is declared twice (%s and %s)", ErrInvalidRelation, where, id, prev, decl.policy)
		}
		seen[id] = decl.policy
		if rel.self() && decl.policy == Cascade {
			for _, prev := range out {
				if prev.self() && prev.policy == Cascade {
					return nil, fmt.Errorf("%w: %s: a model may cascade to itself through one relation only", ErrInvalidRelation, where)
				}
			}
		}
		out = append(out, rel)
	}
	return out, nil
}

// resolve checks one declaration of m and resolves it.
func (m *model) resolve(decl Relation, where string) (*relation, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: "+format, append([]any{ErrInvalidRelation, where}, args...)...)
	}
	if decl.child == nil {
		return nil, fmt.Errorf("%w: %s is the zero Relation; use HasMany", ErrInvalidRelation, where)
	}
	if decl.policy < Restrict || decl.policy > SetValue {
		return nil, fmt.Errorf("%w: %s has no valid OnDelete policy", ErrInvalidRelation, where)
	}
	far, err := modelFor(decl.child)
	if err != nil {
		return nil, bad("child %s: %w", decl.child, err)
	}
	rel := &relation{parent: m, child: far, ref: m.pk, policy: decl.policy}
	if decl.refs != nil {
		if far == m {
			return nil, bad("References on a relation of %s to itself is not supported", m.typ)
		}
		rel.ref = nil
		for _, c := range decl.refs {
			f, ok := m.byColumn[c]
			if !ok {
				return nil, bad("References: %q is not a column of %s (table %q)", c, m.typ, m.table)
			}
			rel.ref = append(rel.ref, f)
		}
		if len(rel.ref) == 0 {
			return nil, bad("References names no column")
		}
	}
	cols := decl.columns
	if decl.join != "" {
		if len(cols) != len(rel.ref)+len(far.pk) {
			return nil, bad("ManyToMany through %q: %d column(s) for %d referencing %s and %d referencing %s",
				decl.join, len(cols), len(rel.ref), m.table, len(far.pk), far.table)
		}
		if rel.child, err = joinModel(decl.join, cols, append(slices.Clone(rel.ref), far.pk...)); err != nil {
			return nil, bad("ManyToMany: %w", err)
		}
		cols = cols[:len(rel.ref)]
	}
	child := rel.child
	if len(cols) != len(rel.ref) {
		what := "primary key"
		if decl.refs != nil {
			what = "referenced columns"
		}
		return nil, bad("%d foreign-key column(s) for a %d-column %s of %q", len(cols), len(rel.ref), what, m.table)
	}
	for i, c := range cols {
		f, ok := child.byColumn[c]
		if !ok {
			return nil, bad("%q is not a column of %s (table %q)", c, child.typ, child.table)
		}
		if ref := rel.ref[i]; !keyTypesMatch(f.typ, ref.typ) {
			hint := ""
			if decl.refs == nil {
				hint = "; if it references another column of the parent, declare it with References"
			}
			return nil, bad("%s.%s (%s) cannot hold the values of %s.%s (%s), the column it is declared to reference%s",
				child.table, f.column, f.typ, m.table, ref.column, ref.typ, hint)
		}
		rel.fk = append(rel.fk, f)
	}
	if decl.valued && decl.policy != SetValue {
		return nil, bad("Value is for SetValue relations, not %s", decl.policy)
	}
	if decl.policy.reassigns() {
		if decl.policy == SetValue {
			if !decl.valued {
				return nil, bad("SetValue needs Value(...)")
			}
			if len(decl.values) != len(rel.fk) {
				return nil, bad("Value got %d value(s) for %d foreign-key column(s)", len(decl.values), len(rel.fk))
			}
			rel.values = decl.values
		}
		for i, f := range rel.fk {
			if slices.Contains(child.pk, f) {
				return nil, bad("%s on %s.%s, part of the primary key", decl.policy, child.table, f.column)
			}
			if decl.policy == SetNull && !canBeNull(f.typ) {
				return nil, bad("SetNull on %s.%s, whose type %s cannot hold NULL", child.table, f.column, f.typ)
			}
			if decl.policy == SetValue && !valueFits(rel.values[i], f.typ) {
				return nil, bad("SetValue: value %d (%T) does not fit %s.%s of type %s", i, rel.values[i], child.table, f.column, f.typ)
			}
		}
	}
	return rel, nil
}

// keyTypesMatch reports whether a foreign-key field of type fk can hold
// the values of the referenced field of type ref. Pointers and Null
// wrappers (sql.NullInt64, sql.Null[T], any struct of a value and a Valid
// bool) are looked through; then the types must be the same, or both
// integers (of any size), floats, strings, bools or byte slices. A type
// of neither kind with a Value method of its own sends what the method
// returns, which only the catalog can check: it matches.
func keyTypesMatch(fk, ref reflect.Type) bool {
	a, b := nullableOf(fk), nullableOf(ref)
	if a == b {
		return true
	}
	ka, kb := valueKindOf(a), valueKindOf(b)
	if ka != "" && kb != "" {
		return ka == kb
	}
	return implementsValuer(a) || implementsValuer(b)
}

// nullableOf returns the type a pointer or a Null wrapper holds, through
// any number of them.
func nullableOf(t reflect.Type) reflect.Type {
	for {
		switch {
		case t.Kind() == reflect.Pointer:
			t = t.Elem()
		case t.Kind() == reflect.Struct && t.NumField() == 2:
			v, ok := t.FieldByName("Valid")
			if !ok || v.Type.Kind() != reflect.Bool || len(v.Index) != 1 {
				return t
			}
			other := t.Field(1 - v.Index[0])
			if !other.IsExported() {
				return t
			}
			t = other.Type
		default:
			return t
		}
	}
}

// valueKindOf names the kind of values of t a key compares as: "int",
// "float", "string", "bool" or "bytes", or "" for any other type.
func valueKindOf(t reflect.Type) string {
	switch {
	case isInteger(t):
		return "int"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "float"
	}
	return [...]string{"", "", "string", "bool", "bytes"}[kindClass(t)]
}

// implementsValuer reports whether t or *t has a Value method.
func implementsValuer(t reflect.Type) bool {
	return t.Implements(valuerType) || reflect.PointerTo(t).Implements(valuerType)
}

// valueFits reports whether v can be stored in a field of type t: nil where
// t can hold NULL, else a value that fits t.
func valueFits(v any, t reflect.Type) bool {
	if v == nil {
		return canBeNull(t)
	}
	return fits(reflect.TypeOf(v), t)
}

// joinModel returns the model of a ManyToMany join table: its columns, of
// the types of the key fields they reference, together its key. Its rows
// are only ever deleted set-based, by the foreign key to a parent.
func joinModel(table string, columns []string, refs []*field) (*model, error) {
	fields := make([]reflect.StructField, len(columns))
	for i, c := range columns {
		if c == "" || strings.ContainsAny(c, ",\"") {
			return nil, fmt.Errorf("%q is not a valid column name", c)
		}
		fields[i] = reflect.StructField{Name: fmt.Sprintf("C%d", i), Type: refs[i].typ, Tag: reflect.StructTag(`db:"` + c + `,pk"`)}
	}
	m, err := buildModelNamed(reflect.StructOf(fields), table)
	if err != nil {
		return nil, err
	}
	m.join = true
	return m, nil
}
