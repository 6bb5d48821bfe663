package typeddelete

import (
	"slices"
	"testing"
)

// TestKeyListSortUnique checks, for each kind of key list, that a list
// already strictly increasing is left alone (nil index), and that any
// other list is sorted, keeps the first of equal keys and reports the
// index each kept key had.
func TestKeyListSortUnique(t *testing.T) {
	build := func(kind keyKind, keys ...any) keyList {
		l := keyList{kind: kind}
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
