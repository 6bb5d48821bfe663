package typeddelete

import (
	"database/sql/driver"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode"
	"unsafe"

	"github.com/jinzhu/inflection"
)

// Tabler is implemented by models that choose their own table name. A name
// with a dot ("audit.events") is a schema-qualified table: each part is
// quoted on its own.
type Tabler interface {
	TableName() string
}

// model is the metadata of one struct type: table, columns and primary key.
// It is built once per type by modelFor and never changed afterwards.
type model struct {
	typ      reflect.Type
	table    string
	fields   []*field // every mapped column, in struct order
	pk       []*field // primary-key columns, in struct order
	byColumn map[string]*field

	version    *field // optimistic-locking column, or nil
	softDelete *field // soft-delete timestamp column, or nil
	softKind   softKind
	deletedKey *field // column set to the primary key on soft delete, or nil
	scope      *field // tenant column every statement is scoped by, or nil
	before     bool   // *T implements BeforeDeleter
	after      bool   // *T implements AfterDeleter
	join       bool   // the join table of a ManyToMany relation

	keyKind keyKind // how keys are held in memory
	// intAt and strAt read a one-column integer or string key straight
	// from an object's memory, for the keys held unboxed; nil otherwise.
	intAt func(obj unsafe.Pointer) int64
	strAt func(obj unsafe.Pointer) string
	// tuple reads a composite key of int64 and string fields straight
	// from memory into a tupleKeys list; nil for other keys.
	tuple []tuplePart
	// bare is how a batch of m holds keys read without a call: the
	// model's batches hold keys alone (keysOnly) and its key is one
	// column of type int64 or string, at offset bareAt; bareNone
	// otherwise.
	bare   bareKind
	bareAt uintptr

	relOnce sync.Once
	rels    []*relation // resolved Relations(), children of this model
	relErr  error
}

// otherParams is at most how many bind parameters a statement on m's rows
// sends besides its keys or filter: the scope's value; for a
// soft-deletable model, the value its column is set to, a zero time it is
// compared with, and the value a restore sets the deleted-key column to.
func (m *model) otherParams() int {
	n := 0
	if m.scope != nil {
		n++
	}
	if m.softDelete != nil {
		n += 2
		if m.deletedKey != nil {
			n++
		}
	}
	return n
}

// field is one mapped column of a model.
type field struct {
	name   string       // Go field path, e.g. "Base.ID"
	column string       // column name
	index  []int        // reflect index path from the model struct
	typ    reflect.Type // Go type of the field
	offset uintptr      // byte offset from the start of the model struct
}

// models caches metadata per struct type. Entries are immutable once stored,
// as encoding/json caches its encoders; the cache holds no other state.
var models sync.Map // reflect.Type -> *modelEntry

type modelEntry struct {
	m   *model
	err error
}

// modelFor returns the metadata of struct type t, building it on first use.
// It is safe for concurrent use.
func modelFor(t reflect.Type) (*model, error) {
	if e, ok := models.Load(t); ok {
		e := e.(*modelEntry)
		return e.m, e.err
	}
	m, err := buildModel(t)
	e, _ := models.LoadOrStore(t, &modelEntry{m: m, err: err})
	return e.(*modelEntry).m, e.(*modelEntry).err
}

// modelOf returns the metadata of obj's type and the struct value obj points
// to. obj must be a non-nil pointer to a struct.
func modelOf(obj any) (*model, reflect.Value, error) {
	if obj == nil {
		return nil, reflect.Value{}, fmt.Errorf("%w: nil", ErrInvalidModel)
	}
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer {
		return nil, reflect.Value{}, fmt.Errorf("%w: %T is not a pointer to a struct", ErrInvalidModel, obj)
	}
	if v.IsNil() {
		return nil, reflect.Value{}, fmt.Errorf("%w: nil %T", ErrInvalidModel, obj)
	}
	if v.Elem().Kind() != reflect.Struct {
		return nil, reflect.Value{}, fmt.Errorf("%w: %T is not a pointer to a struct", ErrInvalidModel, obj)
	}
	m, err := modelFor(v.Type().Elem())
	return m, v.Elem(), err
}

func buildModel(t reflect.Type) (*model, error) { return buildModelNamed(t, "") }

// buildModelNamed builds the metadata of struct type t with table name
// table, or the name TableName or the type's name gives when it is "".
func buildModelNamed(t reflect.Type, table string) (*model, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("%w: %s is not a struct", ErrInvalidModel, t)
	}
	m := &model{typ: t, byColumn: make(map[string]*field)}
	var tagged []*field
	var byName *field
	err := m.collect(t, nil, "", 0, &tagged, &byName)
	if err != nil {
		return nil, err
	}
	switch {
	case len(tagged) > 0:
		m.pk = tagged
	case byName != nil:
		m.pk = []*field{byName}
	default:
		return nil, fmt.Errorf("%w: %s has no primary key (tag a field `db:\",pk\"` or name it ID)", ErrInvalidModel, t)
	}
	m.table = table
	if m.table == "" {
		if m.table, err = tableName(t); err != nil {
			return nil, err
		}
	}
	if m.table == "" {
		return nil, fmt.Errorf("%w: %s.TableName returned an empty name", ErrInvalidModel, t)
	}
	if err := m.checkSpecial(); err != nil {
		return nil, err
	}
	m.tuple = tupleReaders(m)
	m.keyKind = keyKindOf(m)
	m.intAt, m.strAt = keyReaders(m)
	pt := reflect.PointerTo(t)
	m.before = pt.Implements(reflect.TypeFor[BeforeDeleter]())
	m.after = pt.Implements(reflect.TypeFor[AfterDeleter]())
	m.bare = bareKindOf(m)
	if m.bare != bareNone {
		m.bareAt = m.pk[0].offset
	}
	return m, nil
}

// checkSpecial checks the types of the version, soft-delete and deleted-key
// fields.
func (m *model) checkSpecial() error {
	if f := m.version; f != nil && !isInteger(f.typ) {
		return fmt.Errorf("%w: %s.%s: a version field must be an integer, not %s", ErrInvalidModel, m.typ, f.name, f.typ)
	}
	if f := m.version; f != nil && f.typ.Kind() == reflect.Pointer {
		return fmt.Errorf("%w: %s.%s: a version field must not be a pointer (%s): a NULL version matches no row", ErrInvalidModel, m.typ, f.name, f.typ)
	}
	if err := m.checkSoftDelete(); err != nil {
		return err
	}
	if f := m.deletedKey; f != nil {
		switch {
		case m.softDelete == nil:
			return fmt.Errorf("%w: %s.%s: a deletedkey field needs a softdelete field", ErrInvalidModel, m.typ, f.name)
		case len(m.pk) != 1:
			return fmt.Errorf("%w: %s.%s: a deletedkey field needs a one-column primary key", ErrInvalidModel, m.typ, f.name)
		case kindClass(f.typ) != kindClass(m.pk[0].typ):
			return fmt.Errorf("%w: %s.%s: a deletedkey field must have the primary key's kind (%s)", ErrInvalidModel, m.typ, f.name, m.pk[0].typ)
		}
	}
	for _, f := range m.pk {
		if f == m.version || f == m.softDelete || f == m.deletedKey {
			return fmt.Errorf("%w: %s.%s: a primary-key field cannot also be version, softdelete or deletedkey", ErrInvalidModel, m.typ, f.name)
		}
	}
	if f := m.scope; f != nil && (f == m.version || f == m.softDelete || f == m.deletedKey) {
		return fmt.Errorf("%w: %s.%s: a scope field cannot also be version, softdelete or deletedkey", ErrInvalidModel, m.typ, f.name)
	}
	return nil
}

// keyReaders returns readers of m's key straight from an object's memory,
// for one-column integer and string keys; nil for other keys.
func keyReaders(m *model) (func(unsafe.Pointer) int64, func(unsafe.Pointer) string) {
	if len(m.pk) != 1 {
		return nil, nil
	}
	off := m.pk[0].offset
	switch m.keyKind {
	case intKeys:
		switch m.pk[0].typ.Kind() {
		case reflect.Int64:
			return func(p unsafe.Pointer) int64 { return *(*int64)(unsafe.Add(p, off)) }, nil
		case reflect.Int:
			return func(p unsafe.Pointer) int64 { return int64(*(*int)(unsafe.Add(p, off))) }, nil
		case reflect.Int32:
			return func(p unsafe.Pointer) int64 { return int64(*(*int32)(unsafe.Add(p, off))) }, nil
		case reflect.Int16:
			return func(p unsafe.Pointer) int64 { return int64(*(*int16)(unsafe.Add(p, off))) }, nil
		case reflect.Int8:
			return func(p unsafe.Pointer) int64 { return int64(*(*int8)(unsafe.Add(p, off))) }, nil
		}
	case strKeys:
		return nil, func(p unsafe.Pointer) string { return *(*string)(unsafe.Add(p, off)) }
	}
	return nil, nil
}

// bareKind says how addFast reads a model's key without a call.
type bareKind uint8

const (
	bareNone   bareKind = iota
	bareInt64           // an int64 field, into keyList.ints
	bareString          // a string field, into keyList.strs
)

// bareKindOf returns m's bareKind: bareInt64 or bareString where m's
// batches hold keys alone and its key is one field of that exact type.
func bareKindOf(m *model) bareKind {
	if !keysOnly(m) || len(m.pk) != 1 {
		return bareNone
	}
	switch {
	case m.keyKind == intKeys && m.pk[0].typ.Kind() == reflect.Int64:
		return bareInt64
	case m.keyKind == strKeys && m.pk[0].typ.Kind() == reflect.String:
		return bareString
	}
	return bareNone
}

// tupleReaders returns the readers of a composite key whose fields are all
// of type int64 or string, read straight from an object's memory; nil for
// other keys (named types among them, which a key holds as themselves).
func tupleReaders(m *model) []tuplePart {
	if len(m.pk) < 2 {
		return nil
	}
	parts := make([]tuplePart, len(m.pk))
	for i, f := range m.pk {
		switch f.typ {
		case reflect.TypeFor[int64]():
			parts[i] = tuplePart{offset: f.offset}
		case reflect.TypeFor[string]():
			parts[i] = tuplePart{offset: f.offset, str: true}
		default:
			return nil
		}
	}
	return parts
}

// isInteger reports whether t (or what it points to) has an integer kind.
func isInteger(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// collect walks the fields of t, flattening embedded structs.
func (m *model) collect(t reflect.Type, index []int, prefix string, base uintptr, tagged *[]*field, byName **field) error {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, hasTag := sf.Tag.Lookup("db")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		idx := append(append([]int(nil), index...), i)
		if sf.Anonymous && !hasTag {
			ft := sf.Type
			if ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct {
				return fmt.Errorf("%w: %s embeds pointer %s; embed the struct by value", ErrInvalidModel, m.typ, ft)
			}
			if ft.Kind() == reflect.Struct {
				if err := m.collect(ft, idx, prefix+sf.Name+".", base+sf.Offset, tagged, byName); err != nil {
					return err
				}
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = snakeCase(sf.Name)
		}
		f := &field{name: prefix + sf.Name, column: name, index: idx, typ: sf.Type, offset: base + sf.Offset}
		if _, dup := m.byColumn[name]; dup {
			return fmt.Errorf("%w: %s maps column %q twice", ErrInvalidModel, m.typ, name)
		}
		m.byColumn[name] = f
		m.fields = append(m.fields, f)
		for _, o := range strings.Split(opts, ",") {
			special := map[string]**field{"version": &m.version, "softdelete": &m.softDelete, "deletedkey": &m.deletedKey, "scope": &m.scope}
			switch o = strings.TrimSpace(o); o {
			case "pk":
				*tagged = append(*tagged, f)
			case "version", "softdelete", "deletedkey", "scope":
				if *special[o] != nil {
					return fmt.Errorf("%w: %s has two %s fields", ErrInvalidModel, m.typ, o)
				}
				*special[o] = f
			case "":
			default:
				return fmt.Errorf("%w: %s.%s has unknown db tag option %q", ErrInvalidModel, m.typ, sf.Name, o)
			}
		}
		if sf.Name == "ID" && *byName == nil {
			*byName = f
		}
	}
	return nil
}

// tableName returns TableName() when the type has it, else the snake_case
// plural of the type name. A TableName that panics is an error.
func tableName(t reflect.Type) (name string, err error) {
	tn, ok := reflect.New(t).Interface().(Tabler)
	if !ok {
		return inflection.Plural(snakeCase(t.Name())), nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s.TableName panicked: %v", ErrInvalidModel, t, r)
		}
	}()
	return tn.TableName(), nil
}

// versionOf returns the version field of the struct v as an int64.
func (m *model) versionOf(v reflect.Value) int64 {
	fv := v.FieldByIndex(m.version.index)
	if fv.CanUint() {
		return int64(fv.Uint())
	}
	return fv.Int()
}

// snakeCase converts a Go identifier to snake_case, keeping acronyms whole:
// UserID -> user_id, HTTPServer -> http_server, Age2 -> age2.
func snakeCase(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) {
			if i > 0 && (unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1]) ||
				(i+1 < len(r) && unicode.IsLower(r[i+1]) && unicode.IsUpper(r[i-1]))) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(c))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// fieldAt returns the field at byte offset off with Go type t.
func (m *model) fieldAt(off uintptr, t reflect.Type) *field {
	for _, f := range m.fields {
		if f.offset == off && f.typ == t {
			return f
		}
	}
	return nil
}

// keyTypes returns the Go types of the primary-key fields, then of the
// version field when the model has one: the values objSet matches on.
func (m *model) keyTypes() []reflect.Type {
	out := make([]reflect.Type, 0, len(m.pk)+1)
	for _, f := range m.pk {
		out = append(out, f.typ)
	}
	if m.version != nil {
		out = append(out, m.version.typ)
	}
	return out
}

// columns returns the column names in struct order.
func (m *model) columns() []string { return fieldColumns(m.fields) }

// pkColumns returns the primary-key column names in struct order.
func (m *model) pkColumns() []string { return fieldColumns(m.pk) }

// nullValue returns the value of a field that may hold NULL: nil for a nil
// pointer or an invalid sql.Null*, else the value it holds. It fails when
// the field's Value method does.
func nullValue(fv reflect.Value) (any, error) {
	if fv.Kind() == reflect.Pointer {
		if fv.IsNil() {
			return nil, nil
		}
		return fv.Elem().Interface(), nil
	}
	if v, ok := fv.Interface().(driver.Valuer); ok {
		return v.Value()
	}
	return fv.Interface(), nil
}
