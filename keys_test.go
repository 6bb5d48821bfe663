package typeddelete

import (
	"reflect"
	"slices"
	"strconv"
	"testing"
)

// TestKeyListSortUnique checks, for each kind of key list, that a list
// already strictly increasing is left alone (nil index), and that any
// other list is sorted, keeps the first of equal keys and reports the
// index each kept key had.
func TestKeyListSortUnique(t *testing.T) {
	build := func(kind keyKind, keys ...any) keyList {
		l := keyList{kind: kind}
		if kind == tupleKeys {
			l.cols = []keyList{{kind: intKeys}, {kind: strKeys}}
		}
		for _, k := range keys {
			l.add(k)
		}
		return l
	}
	keysOf := func(l keyList) []any {
		out := make([]any, l.len())
		for i := range out {
			out[i] = l.at(i)
		}
		return out
	}
	cases := []struct {
		name     string
		list     keyList
		want     []any
		wantPerm []int
	}{
		{"ints sorted", build(intKeys, int64(1), int64(2), int64(9)), []any{int64(1), int64(2), int64(9)}, nil},
		{"ints unsorted", build(intKeys, int64(9), int64(2), int64(9), int64(1)), []any{int64(1), int64(2), int64(9)}, []int{3, 1, 0}},
		{"ints equal neighbours", build(intKeys, int64(1), int64(1)), []any{int64(1)}, []int{0}},
		{"strings sorted", build(strKeys, "a", "b", "c"), []any{"a", "b", "c"}, nil},
		{"strings unsorted", build(strKeys, "b", "a", "b"), []any{"a", "b"}, []int{1, 0}},
		{"composite sorted", build(anyKeys, []any{int64(1), "a"}, []any{int64(1), "b"}), []any{[]any{int64(1), "a"}, []any{int64(1), "b"}}, nil},
		{"composite unsorted", build(anyKeys, []any{int64(2), "a"}, []any{int64(1), "b"}, []any{int64(2), "a"}), []any{[]any{int64(1), "b"}, []any{int64(2), "a"}}, []int{1, 0}},
		{"columns sorted", build(tupleKeys, []any{int64(1), "a"}, []any{int64(1), "b"}), []any{[]any{int64(1), "a"}, []any{int64(1), "b"}}, nil},
		{"columns unsorted", build(tupleKeys, []any{int64(2), "a"}, []any{int64(1), "b"}, []any{int64(2), "a"}, []any{int64(1), "a"}), []any{[]any{int64(1), "a"}, []any{int64(1), "b"}, []any{int64(2), "a"}}, []int{3, 1, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := c.list
			perm := l.sortUnique()
			if !slices.Equal(perm, c.wantPerm) {
				t.Errorf("index = %v, want %v", perm, c.wantPerm)
			}
			if got := keysOf(l); !equalKeyLists(got, c.want) {
				t.Errorf("keys = %v, want %v", got, c.want)
			}
			if !l.sorted() {
				t.Errorf("sorted() = false after sortUnique")
			}
		})
	}
}

// equalKeyLists compares keys, composite ones element by element.
func equalKeyLists(a, b []any) bool {
	return slices.EqualFunc(a, b, func(x, y any) bool { return compareKeys(x, y) == 0 })
}

// TestCompositeKeyArraysAreTheColumns checks that the keys of a composite
// key of int64 and string fields go to PostgreSQL as the lists the
// session registered them in, one per column, copied neither into boxes
// nor into new arrays; and that a part of a list does the same.
func TestCompositeKeyArraysAreTheColumns(t *testing.T) {
	m, err := modelFor(reflect.TypeFor[allocPair]())
	if err != nil {
		t.Fatal(err)
	}
	if m.keyKind != tupleKeys {
		t.Fatalf("keyKind = %d, want tupleKeys", m.keyKind)
	}
	l := newKeyList(m)
	for i := range 5 {
		l.add([]any{int64(i + 1), "c" + strconv.Itoa(i)})
	}
	for _, part := range []struct {
		name string
		keys keyList
		lo   int
	}{{"all", l, 0}, {"keys 2 to 4", l.slice(2, 4), 2}} {
		cond, args, err := PostgresDialect().keyCond([]string{"tenant", "code"}, fieldTypes(m.pk), []string{"bigint", "text"}, &part.keys, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := `("tenant", "code") IN (SELECT * FROM unnest(?::bigint[], ?::text[]))`; cond != want {
			t.Fatalf("%s: condition %s, want %s", part.name, cond, want)
		}
		ints, ok1 := args[0].([]int64)
		strs, ok2 := args[1].([]string)
		if !ok1 || !ok2 || len(ints) != part.keys.len() || len(strs) != part.keys.len() {
			t.Fatalf("%s: arguments %#v, want a []int64 and a []string of %d keys", part.name, args, part.keys.len())
		}
		if &ints[0] != &l.cols[0].ints[part.lo] || &strs[0] != &l.cols[1].strs[part.lo] {
			t.Errorf("%s: the arrays are copies, not the session's lists", part.name)
		}
	}
}
