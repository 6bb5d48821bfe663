package typeddelete

import (
	"database/sql"
	"fmt"
	"reflect"
	"strings"
)

// OnDelete is what a Commit does to the child rows of a deleted parent.
type OnDelete int

const (
	// Restrict fails the Commit, naming the child table and how many child
	// rows exist, when a deleted parent still has children.
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
	// when the same Commit deletes those children through another
	// relation (Restrict lets such children go). It is Django's PROTECT.
	Protect
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
	}
	return fmt.Sprintf("OnDelete(%d)", int(p))
}

// Relation declares that rows of a child model reference a parent model, and
// what deleting the parent does to them. Make one with HasMany.
type Relation struct {
	child   reflect.Type
	columns []string
	policy  OnDelete
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
// checked when the model is first used: an unknown column, two policies on
// one relation, or SetNull on a column that cannot be NULL is an error then.
type Relational interface {
	Relations() []Relation
}

// HasMany declares child model C whose fkColumns (one per primary-key column
// of the parent, in order) reference the parent's primary key, with the
// given policy. A model may name itself as C: a tree.
func HasMany[C any](policy OnDelete, fkColumns ...string) Relation {
	return Relation{child: reflect.TypeFor[C](), columns: fkColumns, policy: policy}
}

// relation is a resolved, checked Relation.
type relation struct {
	parent *model
	child  *model
	fk     []*field // the child's columns, in the order of ref
	ref    []*field // the parent's columns they reference: its key
	policy OnDelete
}

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
		if decl.child == nil {
			return nil, fmt.Errorf("%w: %s is the zero Relation; use HasMany", ErrInvalidRelation, where)
		}
		if decl.policy < Restrict || decl.policy > Protect {
			return nil, fmt.Errorf("%w: %s has no valid OnDelete policy", ErrInvalidRelation, where)
		}
		child, err := modelFor(decl.child)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: child %s: %w", ErrInvalidRelation, where, decl.child, err)
		}
		if len(decl.columns) != len(m.pk) {
			return nil, fmt.Errorf("%w: %s: %d foreign-key column(s) for a %d-column primary key of %q",
				ErrInvalidRelation, where, len(decl.columns), len(m.pk), m.table)
		}
		rel := &relation{parent: m, child: child, ref: m.pk, policy: decl.policy}
		for _, c := range decl.columns {
			f, ok := child.byColumn[c]
			if !ok {
				return nil, fmt.Errorf("%w: %s: %q is not a column of %s (table %q)", ErrInvalidRelation, where, c, child.typ, child.table)
			}
			rel.fk = append(rel.fk, f)
		}
		id := child.table + "(" + strings.Join(decl.columns, ",") + ")"
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
		if decl.policy == SetNull {
			for _, f := range rel.fk {
				if !canBeNull(f.typ) {
					return nil, fmt.Errorf("%w: %s: SetNull on %s.%s, whose type %s cannot hold NULL", ErrInvalidRelation, where, child.table, f.column, f.typ)
				}
				for _, p := range child.pk {
					if p == f {
						return nil, fmt.Errorf("%w: %s: SetNull on %s.%s, part of the primary key", ErrInvalidRelation, where, child.table, f.column)
					}
				}
			}
		}
		out = append(out, rel)
	}
	return out, nil
}
