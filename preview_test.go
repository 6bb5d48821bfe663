package typeddelete

import (
	"reflect"
	"testing"
)

func TestUnitOrigin(t *testing.T) {
	posts, err := modelFor(reflect.TypeFor[unitPost]())
	if err != nil {
		t.Fatal(err)
	}
	members, err := modelFor(reflect.TypeFor[unitMembership]())
	if err != nil {
		t.Fatal(err)
	}
	keys := func(m *model, ks ...any) keyList {
		l := newKeyList(m)
		for _, k := range ks {
			l.add(k)
		}
		return l
	}
	objs := func(m *model, md mode, ks ...any) *unit {
		return &unit{m: m, objs: &objBatch{m: m, mode: md, keys: keys(m, ks...)}}
	}
	bulk := func(op bulkOp) *unit {
		op.m = posts
		return &unit{m: posts, bulk: &op}
	}
	tests := []struct {
		name string
		u    *unit
		want string
	}{
		{"an object delete names its key", objs(posts, modeDelete, int64(7)), "Delete unit_posts 7"},
		{"a hard delete names its keys", objs(posts, modeHard, int64(1), int64(2)), "Delete unit_posts 1, 2"},
		{"an object delete of seven keys names five and says how many more",
			objs(posts, modeDelete, int64(1), int64(2), int64(3), int64(4), int64(5), int64(6), int64(7)),
			"Delete unit_posts 1, 2, 3, 4, 5 and 2 more"},
		{"composite keys are in parentheses", objs(members, modeDelete, []any{int64(1), int64(2)}, []any{int64(1), int64(3)}),
			"Delete unit_memberships (1, 2), (1, 3)"},
		{"a restore names its keys", objs(posts, modeRestore, int64(7)), "Restore unit_posts 7"},
		{"a bulk delete names its filter and arguments", bulk(bulkOp{where: `"title" = ? OR "id" > ?`, args: []any{"a", int64(3)}}),
			`bulk delete of unit_posts where "title" = ? OR "id" > ? ["a", 3]`},
		{"a filter without arguments has none", bulk(bulkOp{where: `"title" IS NULL`}), `bulk delete of unit_posts where "title" IS NULL`},
		{"a long list of arguments is cut after five", bulk(bulkOp{where: `"id" IN (?,?,?,?,?,?)`, args: []any{1, 2, 3, 4, 5, 6}}),
			`bulk delete of unit_posts where "id" IN (?,?,?,?,?,?) [1, 2, 3, 4, 5 and 1 more]`},
		{"AllRows says every row", bulk(bulkOp{all: true}), "bulk delete of unit_posts, every row"},
		{"a bulk restore names its filter", bulk(bulkOp{where: `"id" = ?`, args: []any{int64(4)}, mode: modeRestore}),
			`bulk restore of unit_posts where "id" = ? [4]`},
		{"a purge chunk names its keys", bulk(bulkOp{where: `"id" > ?`, args: []any{int64(0)}, fixed: &objBatch{m: posts, keys: keys(posts, int64(8), int64(9))}}),
			"purge chunk of unit_posts 8, 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.u.origin(); got != tt.want {
				t.Errorf("origin() = %q, want %q", got, tt.want)
			}
		})
	}
}
