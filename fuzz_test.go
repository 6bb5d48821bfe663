package typeddelete

import (
	"errors"
	"slices"
	"strings"
	"testing"

	sq "github.com/Masterminds/squirrel"
)

// fuzzTree builds a predicate tree on unitUser from fuzz input: each byte
// picks a node, strings and numbers come from s and n.
func fuzzTree(c unitColumns, ops []byte, s string, n int) Predicate[unitUser] {
	var build func(depth int) Predicate[unitUser]
	build = func(depth int) Predicate[unitUser] {
		if len(ops) == 0 || depth > 6 {
			return c.age.Eq(n)
		}
		op := ops[0]
		ops = ops[1:]
		switch op % 14 {
		case 0:
			return c.age.Gt(n)
		case 1:
			return c.name.Eq(s)
		case 2:
			return c.age.In(n, n+1, n-1)
		case 3:
			return c.name.NotIn(strings.Split(s, ",")...)
		case 4:
			return c.age.In()
		case 5:
			return c.age.NotIn()
		case 6:
			return Like(c.name, s)
		case 7:
			return c.email.IsNull()
		case 8:
			return Raw[unitUser](sq.Expr(s, n))
		case 9:
			return Raw[unitUser](sq.Or{sq.Eq{}, sq.Expr("age > ?", n)})
		case 10:
			return Not(build(depth + 1))
		case 11:
			return And(build(depth+1), build(depth+1))
		case 12:
			return Or(build(depth+1), build(depth+1))
		}
		return Predicate[unitUser]{}
	}
	return build(0)
}

// FuzzPredicateTree renders random predicate trees on every dialect: it
// must not panic, must fail only with the package's typed errors, and a
// tree it says is always true or false renders as that constant.
func FuzzPredicateTree(f *testing.F) {
	f.Add([]byte{11, 0, 1}, "bob", 30)
	f.Add([]byte{12, 4, 5}, "", 0)
	f.Add([]byte{10, 12, 9, 8}, "1=1", 1)
	f.Add([]byte{3, 6, 13}, "a,b,c", -5)
	f.Add([]byte{8}, "", 7)
	f.Add([]byte{8}, "( ? )", 7)
	f.Add([]byte{11, 10, 4, 2}, "x", 1<<40)
	// Columns' names in strings and comments, which name no column.
	f.Add([]byte{8}, "'name' = 'name'", 0)
	f.Add([]byte{8}, "'id' <> ''", 0)
	f.Add([]byte{11, 8, 8}, "$$age$$ = $$age$$ /* name */", 0)
	f.Add([]byte{8}, `"name" = '\' age' -- id`, 0)
	f.Fuzz(func(t *testing.T, ops []byte, s string, n int) {
		c := unitCols(t)
		p := fuzzTree(c, ops, s, n)
		m := unitModel[unitUser](t)
		for _, leaf := range rawLeaves([]expr{p.e}) {
			q, _, err := leaf.s.ToSql()
			for _, d := range unitDialects() {
				// A term said to name a column has a column's name in it.
				if namesColumn(d, m, leaf) && (err != nil || !slices.ContainsFunc(m.fields, func(f *field) bool {
					return strings.Contains(strings.ToLower(q), strings.ToLower(f.column))
				})) {
					t.Fatalf("%s: namesColumn(%q) is true, but no column's name is in it", d, q)
				}
			}
		}
		for _, d := range unitDialects() {
			sql, args, tr, err := renderExpr(p.e, d)
			if err != nil {
				if !errors.Is(err, ErrInvalidPredicate) && !errors.Is(err, ErrInvalidValue) {
					t.Fatalf("%s: error %v is not a typed error", d, err)
				}
				continue
			}
			switch tr {
			case alwaysTrue:
				if sql != sqlTrue || len(args) != 0 {
					t.Fatalf("%s: always true rendered as %q %v", d, sql, args)
				}
			case alwaysFalse:
				if sql != sqlFalse || len(args) != 0 {
					t.Fatalf("%s: always false rendered as %q %v", d, sql, args)
				}
			default:
				if strings.TrimSpace(sql) == "" {
					t.Fatalf("%s: a condition that depends on the row rendered as nothing", d)
				}
			}
			again, args2, tr2, _ := renderExpr(p.e, d)
			if again != sql || len(args2) != len(args) || tr2 != tr {
				t.Fatalf("%s: rendering is not deterministic: %q then %q", d, sql, again)
			}
		}
	})
}

// FuzzFilterBy checks that FilterBy with any column and value fails only
// with a typed error, never a panic.
func FuzzFilterBy(f *testing.F) {
	f.Add("age", int64(3), "x", 0)
	f.Add("name", int64(0), "bob", 1)
	f.Add("nope", int64(0), "", 2)
	f.Add("email_address", int64(0), "", 3)
	f.Fuzz(func(t *testing.T, column string, i int64, s string, kind int) {
		m := unitModel[unitUser](t)
		var v any
		switch kind % 5 {
		case 0:
			v = i
		case 1:
			v = s
		case 2:
			v = []int64{i, i + 1}
		case 3:
			v = nil
		default:
			v = []string{s}
		}
		for _, d := range unitDialects() {
			_, _, _, err := renderExpr(byName(m, column, v), d)
			if err != nil && !errors.Is(err, ErrUnknownColumn) && !errors.Is(err, ErrInvalidValue) && !errors.Is(err, ErrInvalidPredicate) {
				t.Fatalf("FilterBy(%q, %#v) on %s: untyped error %v", column, v, d, err)
			}
		}
	})
}

// FuzzKeyIdentity checks that two composite keys get the same identity
// exactly when they are equal.
func FuzzKeyIdentity(f *testing.F) {
	f.Add("x\x00y", "z", "x", "y\x00z")
	f.Add("a", "b", "a", "b")
	f.Add("", "1:", "1:", "")
	f.Fuzz(func(t *testing.T, a1, b1, a2, b2 string) {
		same := encodeKey([]any{a1, b1}) == encodeKey([]any{a2, b2})
		if want := a1 == a2 && b1 == b2; same != want {
			t.Fatalf("(%q, %q) and (%q, %q): same identity %v, want %v", a1, b1, a2, b2, same, want)
		}
	})
}
