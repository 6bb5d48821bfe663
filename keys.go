package typeddelete

import (
	"bytes"
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// keyKind says how the primary keys of a model are held in memory.
type keyKind uint8

const (
	// intKeys: one column of a signed integer kind, held as int64.
	intKeys keyKind = iota + 1
	// strKeys: one column of string kind, held as string.
	strKeys
	// anyKeys: anything else, held as the field's value, or as a []any of
	// the fields' values for a composite key.
	anyKeys
	// tupleKeys: a composite key whose fields are all int64 or string,
	// held column by column, one list of intKeys or strKeys per field.
	tupleKeys
)

// keyKindOf returns how m's keys are held; m.tuple must be set.
func keyKindOf(m *model) keyKind {
	if m.tuple != nil {
		return tupleKeys
	}
	if len(m.pk) != 1 {
		return anyKeys
	}
	switch m.pk[0].typ.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if !m.pk[0].typ.Implements(valuerType) {
			return intKeys
		}
	case reflect.String:
		if !m.pk[0].typ.Implements(valuerType) {
			return strKeys
		}
	}
	return anyKeys
}

// keyList holds primary keys of one model, unboxed for one-column integer
// and string keys, and column by column for composite keys of int64 and
// string fields, so that registering a delete allocates nothing per
// object and a column's keys go to the driver as the slice they are in.
// Only the slice of its kind is used. A key once written below
// len never changes (lists are appended to, or rebuilt), so that box can
// hand out interfaces that point into them.
type keyList struct {
	kind keyKind
	ints []int64
	strs []string
	anys []any
	cols []keyList // tupleKeys: one list per key field
	// part: the list is a slice of a larger one (slice), the keys of one
	// statement of several.
	part bool
	// scan: the list, where dense, may be sent as a scan of its range
	// (denseKeys): each key matches at most one row, on a server that
	// gains from it.
	scan bool
}

// newKeyList returns an empty list for m's keys.
func newKeyList(m *model) keyList {
	l := keyList{kind: m.keyKind}
	if l.kind == tupleKeys {
		l.cols = make([]keyList, len(m.tuple))
		for i, t := range m.tuple {
			l.cols[i].kind = intKeys
			if t.str {
				l.cols[i].kind = strKeys
			}
		}
	}
	return l
}

// empty returns an empty list of l's kind (and columns).
func (l *keyList) empty() keyList {
	out := keyList{kind: l.kind}
	if l.cols != nil {
		out.cols = make([]keyList, len(l.cols))
		for i := range l.cols {
			out.cols[i].kind = l.cols[i].kind
		}
	}
	return out
}

// The unboxed keys of registered batches are held in arrays that Commit
// and Rollback give back, once nothing reads them, for the batches
// registered next in any session: registering keys one Delete at a time
// then mostly appends into an array already grown, and the collector has
// fewer, smaller arrays to scan. Arrays of more than maxKeptKeys keys are
// left to the collector, so the pools never hold much memory, and the
// collector empties them as it does every sync.Pool.
var (
	intArrays sync.Pool // of *[]int64, empty
	strArrays sync.Pool // of *[]string, empty and cleared
)

// maxKeptKeys bounds the capacity of an array kept for reuse.
const maxKeptKeys = 1 << 16

// newBatchKeys returns an empty list for the keys of a batch of m,
// reusing an array a committed or rolled-back batch gave back.
func newBatchKeys(m *model) keyList {
	l := newKeyList(m)
	l.reuse()
	return l
}

// reuse gives the empty list l an array a released list gave back.
func (l *keyList) reuse() {
	switch l.kind {
	case intKeys:
		if p, _ := intArrays.Get().(*[]int64); p != nil {
			l.ints = *p
		}
	case strKeys:
		if p, _ := strArrays.Get().(*[]string); p != nil {
			l.strs = *p
		}
	case tupleKeys:
		for i := range l.cols {
			l.cols[i].reuse()
		}
	}
}

// release gives l's array back for newBatchKeys and empties l. Nothing may
// read the array afterwards.
func (l *keyList) release() {
	switch l.kind {
	case intKeys:
		if c := cap(l.ints); c > 0 && c <= maxKeptKeys {
			a := l.ints[:0]
			intArrays.Put(&a)
		}
	case strKeys:
		if c := cap(l.strs); c > 0 && c <= maxKeptKeys {
			clear(l.strs) // pin none of the caller's strings
			a := l.strs[:0]
			strArrays.Put(&a)
		}
	case tupleKeys:
		for i := range l.cols {
			l.cols[i].release()
		}
	}
	*l = keyList{kind: l.kind, cols: l.cols}
}

// len returns the number of keys.
func (l *keyList) len() int {
	switch l.kind {
	case intKeys:
		return len(l.ints)
	case strKeys:
		return len(l.strs)
	case tupleKeys:
		return l.cols[0].len()
	}
	return len(l.anys)
}

// at returns key i as the driver receives it: an int64, a string, the
// field's value, or a []any for a composite key.
func (l *keyList) at(i int) any {
	switch l.kind {
	case intKeys:
		return l.ints[i]
	case strKeys:
		return l.strs[i]
	case tupleKeys:
		parts := make([]any, len(l.cols))
		for c := range l.cols {
			parts[c] = l.cols[c].at(i)
		}
		return parts
	}
	return l.anys[i]
}

// appendParts appends the parts of key i to dst, each boxed in place where
// the list holds it unboxed (as box does, for sending at once), and
// returns the extended slice.
func (l *keyList) appendParts(dst []any, i int) []any {
	switch l.kind {
	case tupleKeys:
		for c := range l.cols {
			dst = append(dst, l.cols[c].box(i))
		}
		return dst
	case anyKeys:
		if parts, ok := l.anys[i].([]any); ok {
			return append(dst, parts...)
		}
	}
	return append(dst, l.box(i))
}

// params returns the bound parameters of every key of the list, keys of
// width columns: each key boxed in place as box does, or its parts as
// appendParts appends them. They go in buf's memory when it has room,
// else in a new slice.
func (l *keyList) params(buf []any, width int) []any {
	n := l.len()
	args := buf[:0]
	if cap(args) < n*width {
		args = make([]any, 0, n*width)
	}
	if width == 1 {
		for i := range n {
			args = append(args, l.box(i))
		}
		return args
	}
	for i := range n {
		args = l.appendParts(args, i)
	}
	return args
}

// box returns key i as at does, boxed in place where the list holds it
// unboxed: the interface points at the list's own copy, so sending a batch
// of keys as arguments allocates nothing per key. A composite key held
// column by column comes as at returns it; appendParts boxes its parts in
// place.
func (l *keyList) box(i int) any {
	switch l.kind {
	case intKeys:
		return boxAt(int64Box, unsafe.Pointer(&l.ints[i]))
	case strKeys:
		return boxAt(stringBox, unsafe.Pointer(&l.strs[i]))
	case tupleKeys:
		return l.at(i)
	}
	return l.anys[i]
}

// grow makes room for n more keys.
func (l *keyList) grow(n int) {
	switch l.kind {
	case intKeys:
		l.ints = slices.Grow(l.ints, n)
	case strKeys:
		l.strs = slices.Grow(l.strs, n)
	case tupleKeys:
		for c := range l.cols {
			l.cols[c].grow(n)
		}
	default:
		l.anys = slices.Grow(l.anys, n)
	}
}

// add appends key k, given as at returns it.
func (l *keyList) add(k any) {
	switch l.kind {
	case intKeys:
		l.ints = append(l.ints, k.(int64))
	case strKeys:
		l.strs = append(l.strs, k.(string))
	case tupleKeys:
		for c, p := range k.([]any) {
			l.cols[c].add(p)
		}
	default:
		l.anys = append(l.anys, k)
	}
}

// addFrom appends key i of o, a list of the same kind.
func (l *keyList) addFrom(o *keyList, i int) {
	switch l.kind {
	case intKeys:
		l.ints = append(l.ints, o.ints[i])
	case strKeys:
		l.strs = append(l.strs, o.strs[i])
	case tupleKeys:
		for c := range l.cols {
			l.cols[c].addFrom(&o.cols[c], i)
		}
	default:
		l.anys = append(l.anys, o.anys[i])
	}
}

// truncate keeps the first n keys.
func (l *keyList) truncate(n int) {
	switch l.kind {
	case intKeys:
		l.ints = l.ints[:n]
	case strKeys:
		l.strs = l.strs[:n]
	case tupleKeys:
		for c := range l.cols {
			l.cols[c].truncate(n)
		}
	default:
		l.anys = l.anys[:n]
	}
}

// slice returns keys [i, j) as a list sharing memory with l, a part of
// l unless it is all of it.
func (l *keyList) slice(i, j int) keyList {
	out := keyList{kind: l.kind, part: i > 0 || j < l.len()}
	switch l.kind {
	case intKeys:
		out.ints = l.ints[i:j:j]
	case strKeys:
		out.strs = l.strs[i:j:j]
	case tupleKeys:
		out.cols = make([]keyList, len(l.cols))
		for c := range l.cols {
			out.cols[c] = l.cols[c].slice(i, j)
		}
	default:
		out.anys = l.anys[i:j:j]
	}
	return out
}

// clone returns a copy of l that shares no memory with it.
func (l *keyList) clone() keyList {
	out := keyList{kind: l.kind, ints: slices.Clone(l.ints), strs: slices.Clone(l.strs), anys: slices.Clone(l.anys)}
	if l.cols != nil {
		out.cols = make([]keyList, len(l.cols))
		for c := range l.cols {
			out.cols[c] = l.cols[c].clone()
		}
	}
	return out
}

// idOf returns the identity of key k of a list of kind kind.
func idOf(kind keyKind, k any) keyID {
	switch kind {
	case intKeys:
		return keyID{i: k.(int64)}
	case strKeys:
		return keyID{s: k.(string)}
	}
	return keyID{s: encodeKey(k)}
}

// id returns the identity of key i.
func (l *keyList) id(i int) keyID {
	switch l.kind {
	case intKeys:
		return keyID{i: l.ints[i]}
	case strKeys:
		return keyID{s: l.strs[i]}
	}
	return keyID{s: encodeKey(l.at(i))}
}

// comparer returns a function that orders keys i and j of l, made for
// l's kind and columns so that sorting calls nothing else per pair. It
// reads the arrays l holds now.
func (l *keyList) comparer() func(i, j int) int {
	switch l.kind {
	case intKeys:
		ints := l.ints
		return func(i, j int) int { return cmp.Compare(ints[i], ints[j]) }
	case strKeys:
		strs := l.strs
		return func(i, j int) int { return strings.Compare(strs[i], strs[j]) }
	case tupleKeys:
		cols := make([]func(i, j int) int, len(l.cols))
		for c := range l.cols {
			cols[c] = l.cols[c].comparer()
		}
		return func(i, j int) int {
			for _, f := range cols {
				if n := f(i, j); n != 0 {
					return n
				}
			}
			return 0
		}
	}
	anys := l.anys
	return func(i, j int) int { return compareKeys(anys[i], anys[j]) }
}

// sorted reports whether the keys are in strictly increasing order, so no
// key is there twice.
func (l *keyList) sorted() bool {
	switch l.kind {
	case intKeys:
		return increasing(l.ints)
	case strKeys:
		return increasing(l.strs)
	}
	compare := l.comparer()
	for i := 1; i < l.len(); i++ {
		if compare(i-1, i) >= 0 {
			return false
		}
	}
	return true
}

// increasing reports whether s is in strictly increasing order.
func increasing[T cmp.Ordered](s []T) bool {
	for i := 1; i < len(s); i++ {
		if s[i-1] >= s[i] {
			return false
		}
	}
	return true
}

// sortUnique sorts the keys, keeping the first of equal ones, and returns
// for each kept key the index it had (nil when nothing moved), so that
// values kept beside the keys can follow.
func (l *keyList) sortUnique() []int {
	if l.sorted() {
		return nil
	}
	perm := make([]int, l.len())
	for i := range perm {
		perm[i] = i
	}
	compare := l.comparer()
	slices.SortStableFunc(perm, compare) // equal keys in the order they came
	return l.keep(perm, compare)
}

// keep rewrites l to the keys at perm (sorted), dropping a key equal to
// the one before it by compare, l's comparer, and returns the indexes
// kept.
func (l *keyList) keep(perm []int, compare func(i, j int) int) []int {
	out := l.empty()
	out.grow(len(perm))
	kept := perm[:0]
	for n, i := range perm {
		if n > 0 && compare(perm[n-1], i) == 0 {
			continue
		}
		out.addFrom(l, i)
		kept = append(kept, i)
	}
	*l = out
	return kept
}

// keyID identifies one key of a model: the integer for integer keys, else
// a string (the key itself, or an injective encoding of it). It is
// comparable and allocates nothing for integer keys.
type keyID struct {
	i int64
	s string
}

// rowID identifies one row: its model and key.
type rowID struct {
	m *model
	k keyID
}

// encodeKey encodes a key of any type, or a composite key, so that two keys
// get the same encoding exactly when they name the same row: each part is
// written with its type and length, so ("x\x00y", "z") and ("x", "y\x00z")
// differ; times are compared as instants.
func encodeKey(k any) string {
	var b strings.Builder
	if parts, ok := k.([]any); ok {
		for _, p := range parts {
			encodePart(&b, p)
		}
		return b.String()
	}
	encodePart(&b, k)
	return b.String()
}

func encodePart(b *strings.Builder, p any) {
	var s string
	switch v := p.(type) {
	case nil:
		s = ""
	case time.Time:
		s = v.UTC().Format(time.RFC3339Nano)
	case []byte:
		s = string(v)
	case string:
		s = v
	case int64:
		s = strconv.FormatInt(v, 10)
	default:
		s = fmt.Sprintf("%v", v)
	}
	fmt.Fprintf(b, "%T:%d:", p, len(s))
	b.WriteString(s)
	b.WriteByte(';')
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
	return strings.Compare(encodeKey(a), encodeKey(b))
}

// keyOf returns the key of the struct v as a keyList holds it, failing
// with ErrNotPersisted when any part is the zero value.
func (m *model) keyOf(v reflect.Value) (any, error) {
	for i, f := range m.pk {
		if v.FieldByIndex(f.index).IsZero() {
			return nil, m.zeroKey(i)
		}
	}
	return m.rawKey(v), nil
}

// zeroKey is the ErrNotPersisted of an object whose key part i is zero.
func (m *model) zeroKey(i int) error {
	what := ""
	if len(m.pk) > 1 {
		what = " (part of the composite key)"
	}
	return fmt.Errorf("%w: %s.%s%s is zero", ErrNotPersisted, m.typ, m.pk[i].name, what)
}

// rawKey returns the key of the struct v as a keyList holds it, without
// checking for zero values.
func (m *model) rawKey(v reflect.Value) any {
	switch m.keyKind {
	case intKeys:
		return v.FieldByIndex(m.pk[0].index).Int()
	case strKeys:
		return v.FieldByIndex(m.pk[0].index).String()
	}
	if len(m.pk) == 1 {
		return derefValue(v.FieldByIndex(m.pk[0].index))
	}
	k := make([]any, len(m.pk))
	for i, f := range m.pk {
		k[i] = derefValue(v.FieldByIndex(f.index))
	}
	return k
}

// keyParts returns a key as held in a keyList as its column values, each
// of its field's Go type: what MissingKey reports.
func (m *model) keyParts(k any) []any {
	switch m.keyKind {
	case intKeys, strKeys:
		t := m.pk[0].typ
		v := reflect.ValueOf(k)
		if v.Type() != t {
			v = v.Convert(t)
		}
		return []any{v.Interface()}
	}
	if len(m.pk) == 1 {
		return []any{k}
	}
	return k.([]any)
}

// derefValue returns the value of fv, following one pointer.
func derefValue(fv reflect.Value) any {
	if fv.Kind() == reflect.Pointer {
		if fv.IsNil() {
			return nil
		}
		fv = fv.Elem()
	}
	return fv.Interface()
}

// keyFromParts builds a key as a keyList holds it from column values read
// from the database (foreign-key values, say), converting each to the type
// of m's key field. ok is false when a part is NULL or does not convert.
func (m *model) keyFromParts(parts []any) (any, bool) {
	conv := make([]any, len(parts))
	for i, p := range parts {
		t := m.pk[i].typ
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		v, ok := convertPart(p, t)
		if !ok {
			return nil, false
		}
		conv[i] = v
	}
	switch m.keyKind {
	case intKeys:
		return reflect.ValueOf(conv[0]).Int(), true
	case strKeys:
		return reflect.ValueOf(conv[0]).String(), true
	}
	if len(conv) == 1 {
		return conv[0], true
	}
	return conv, true
}

// convertPart converts a value read from the database to Go type t.
func convertPart(p any, t reflect.Type) (any, bool) {
	if p == nil {
		return nil, false
	}
	if b, ok := p.([]byte); ok && t.Kind() == reflect.String {
		p = string(b)
	}
	if s, ok := p.(string); ok && t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, false
		}
		p = n
	}
	v := reflect.ValueOf(p)
	switch {
	case v.Type() == t:
		return p, true
	case v.CanConvert(t) && kindClass(v.Type()) == kindClass(t) && kindClass(t) != 0:
		return v.Convert(t).Interface(), true
	}
	return nil, false
}

// tuplePart is where one column of a composite key lies in an object, and
// its type: int64, or string.
type tuplePart struct {
	offset uintptr
	str    bool
}

// The boxes that box points at a list's own int64 or string; neither
// allocates.
var (
	int64Box  any = int64(0) // small integers are boxed in static memory
	stringBox any = ""
)

// addTuple appends the composite key of m's object at p, read straight
// from memory by m's tuple readers into the list's columns, or fails for a
// zero part, as model.keyOf does. Nothing is allocated per key.
func (l *keyList) addTuple(m *model, p unsafe.Pointer) error {
	for i, t := range m.tuple {
		at := unsafe.Add(p, t.offset)
		if t.str && *(*string)(at) == "" || !t.str && *(*int64)(at) == 0 {
			return m.zeroKey(i)
		}
	}
	for i, t := range m.tuple {
		at := unsafe.Add(p, t.offset)
		c := &l.cols[i]
		if t.str {
			c.strs = push(c.strs, *(*string)(at))
		} else {
			c.ints = push(c.ints, *(*int64)(at))
		}
	}
	return nil
}

// boxAt returns box, an interface holding a value of a non-pointer type,
// made to hold instead the value of that type at ptr, without copying or
// allocating it. The value at ptr must never change.
func boxAt(box any, ptr unsafe.Pointer) any {
	(*[2]unsafe.Pointer)(unsafe.Pointer(&box))[1] = ptr
	return box
}
