package typeddelete

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	sq "github.com/Masterminds/squirrel"
)

// unitRendered is what rendering a predicate gave.
type unitRendered struct {
	sql   string
	args  []any
	truth truth
}

// unitRender renders p with d.
func unitRender[T any](t *testing.T, p Predicate[T], d *Dialect) (unitRendered, error) {
	t.Helper()
	s, a, tr, err := renderExpr(p.e, d)
	return unitRendered{s, a, tr}, err
}

// unitCheckRendered compares a rendering with the wanted one, args and all.
func unitCheckRendered(t *testing.T, got, want unitRendered) {
	t.Helper()
	if got.sql != want.sql {
		t.Errorf("SQL = %s\n want %s", got.sql, want.sql)
	}
	if !reflect.DeepEqual(got.args, want.args) {
		t.Errorf("args = %#v, want %#v", got.args, want.args)
	}
	if got.truth != want.truth {
		t.Errorf("truth = %d, want %d", got.truth, want.truth)
	}
}

// unitColumns are typed columns of unitUser.
type unitColumns struct {
	id      Column[unitUser, int64]
	name    Column[unitUser, string]
	age     Column[unitUser, int]
	email   Column[unitUser, *string]
	nick    Column[unitUser, sql.NullString]
	avatar  Column[unitUser, []byte]
	status  Column[unitUser, unitStatus]
	created Column[unitUser, time.Time]
}

// unitCols makes the typed columns of unitUser, failing on any error.
func unitCols(t *testing.T) unitColumns {
	t.Helper()
	c := unitColumns{
		id:      Col(func(u *unitUser) *int64 { return &u.ID }),
		name:    Col(func(u *unitUser) *string { return &u.Name }),
		age:     Col(func(u *unitUser) *int { return &u.Age }),
		email:   Col(func(u *unitUser) **string { return &u.Email }),
		nick:    Col(func(u *unitUser) *sql.NullString { return &u.Nick }),
		avatar:  Col(func(u *unitUser) *[]byte { return &u.Avatar }),
		status:  Col(func(u *unitUser) *unitStatus { return &u.Status }),
		created: Col(func(u *unitUser) *time.Time { return &u.CreatedAt }),
	}
	for _, err := range []error{c.id.Err(), c.name.Err(), c.age.Err(), c.email.Err(), c.nick.Err(), c.avatar.Err(), c.status.Err(), c.created.Err()} {
		if err != nil {
			t.Fatalf("Col: %v", err)
		}
	}
	return c
}

func TestColumnPredicates(t *testing.T) {
	c := unitCols(t)
	email := "a@example.com"
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	// want is written with double quotes; for mysql each becomes a backtick
	// (no expected SQL holds a double quote of its own).
	tests := []struct {
		name string
		p    Predicate[unitUser]
		want unitRendered
	}{
		{"Eq compares with =", c.age.Eq(30), unitRendered{`"age" = ?`, []any{30}, depends}},
		{"Ne compares with <>", c.name.Ne("bob"), unitRendered{`"name" <> ?`, []any{"bob"}, depends}},
		{"Gt compares with >", c.age.Gt(30), unitRendered{`"age" > ?`, []any{30}, depends}},
		{"Ge compares with >=", c.id.Ge(5), unitRendered{`"id" >= ?`, []any{int64(5)}, depends}},
		{"Lt compares with <", c.created.Lt(t0), unitRendered{`"created_at" < ?`, []any{t0}, depends}},
		{"Le compares with <=", c.age.Le(65), unitRendered{`"age" <= ?`, []any{65}, depends}},
		{"Between binds both bounds", c.age.Between(18, 65), unitRendered{`"age" BETWEEN ? AND ?`, []any{18, 65}, depends}},
		{"IsNull needs no argument", c.nick.IsNull(), unitRendered{`"nick" IS NULL`, nil, depends}},
		{"NotNull needs no argument", c.email.NotNull(), unitRendered{`"email_address" IS NOT NULL`, nil, depends}},
		{"Like binds its pattern", Like(c.name, "a%"), unitRendered{`"name" LIKE ?`, []any{"a%"}, depends}},
		{"Like on a named string type binds a plain string", Like(c.status, "act%"), unitRendered{`"status" LIKE ?`, []any{"act%"}, depends}},
		{"Eq with a nil pointer is IS NULL", c.email.Eq(nil), unitRendered{`"email_address" IS NULL`, nil, depends}},
		{"Ne with a nil pointer is IS NOT NULL", c.email.Ne(nil), unitRendered{`"email_address" IS NOT NULL`, nil, depends}},
		{"Eq with a non-nil pointer binds the pointer", c.email.Eq(&email), unitRendered{`"email_address" = ?`, []any{&email}, depends}},
		{"Eq with a Valuer binds it as is", c.nick.Eq(sql.NullString{String: "n", Valid: true}),
			unitRendered{`"nick" = ?`, []any{sql.NullString{String: "n", Valid: true}}, depends}},
		{"Eq on a byte-slice column binds the bytes", c.avatar.Eq([]byte{1, 2}), unitRendered{`"avatar" = ?`, []any{[]byte{1, 2}}, depends}},
		{"Eq with a nil byte slice is IS NULL", c.avatar.Eq(nil), unitRendered{`"avatar" IS NULL`, nil, depends}},
		{"In with no values is always false", c.age.In(), unitRendered{"(1=0)", nil, alwaysFalse}},
		{"NotIn with no values is always true", c.age.NotIn(), unitRendered{"(1=1)", nil, alwaysTrue}},
	}
	for _, d := range unitDialects() {
		for _, tt := range tests {
			t.Run(tt.name+" on "+d.Name(), func(t *testing.T) {
				want := tt.want
				if d.Name() == "mysql" {
					want.sql = strings.ReplaceAll(want.sql, `"`, "`")
				}
				got, err := unitRender(t, tt.p, d)
				if err != nil {
					t.Fatalf("render: %v", err)
				}
				unitCheckRendered(t, got, want)
			})
		}
	}
	t.Run("Like's argument is a string even for a named string column", func(t *testing.T) {
		got, err := unitRender(t, Like(c.status, unitStatus("a%")), SQLiteDialect())
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got.args[0].(string); !ok {
			t.Errorf("Like argument is %T, want string", got.args[0])
		}
	})
}

// TestInTravelsAsKeys checks that In and NotIn send their values as the
// dialect sends keys, so that a list longer than the bind-parameter limit
// still works.
func TestInTravelsAsKeys(t *testing.T) {
	c := unitCols(t)
	long := make([]string, 1001)
	for i := range long {
		long[i] = "n" + strconv.Itoa(i)
	}
	longJSON, _ := json.Marshal(long)
	tests := []struct {
		name string
		d    *Dialect
		p    Predicate[unitUser]
		want unitRendered
	}{
		{"In is one placeholder per value on sqlite", SQLiteDialect(), c.age.In(1, 2, 3), unitRendered{`"age" IN (?,?,?)`, []any{1, 2, 3}, depends}},
		{"NotIn negates the list on sqlite", SQLiteDialect(), c.age.NotIn(4, 5), unitRendered{`NOT ("age" IN (?,?))`, []any{4, 5}, depends}},
		{"more than 1000 values are one JSON array on sqlite", SQLiteDialect(), c.name.In(long...),
			unitRendered{`"name" IN (SELECT value FROM json_each(?))`, []any{string(longJSON)}, depends}},
		{"In is one array on postgres", PostgresDialect(), c.age.In(1, 2, 3), unitRendered{`"age" = ANY(?)`, []any{[]int64{1, 2, 3}}, depends}},
		{"a string In is one text array on postgres", PostgresDialect(), c.name.In("x"), unitRendered{`"name" = ANY(?)`, []any{[]string{"x"}}, depends}},
		{"NotIn negates the array on postgres", PostgresDialect(), c.age.NotIn(4, 5), unitRendered{`NOT ("age" = ANY(?))`, []any{[]int64{4, 5}}, depends}},
		{"In is one placeholder per value on postgres without arrays", PostgresINDialect(), c.age.In(1, 2), unitRendered{`"age" IN (?,?)`, []any{1, 2}, depends}},
		{"integers are literals on mysql", MySQLDialect(), c.age.In(1, -2, 3), unitRendered{"`age` IN (1,-2,3)", nil, depends}},
		{"strings are parameters on mysql", MySQLDialect(), c.name.In("a", "b"), unitRendered{"`name` IN (?,?)", []any{"a", "b"}, depends}},
		{"a pointer column keeps one placeholder per value", MySQLDialect(), c.email.In(nil), unitRendered{"`email_address` IN (?)", []any{(*string)(nil)}, depends}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := unitRender(t, tt.p, tt.d)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			unitCheckRendered(t, got, tt.want)
		})
	}
}

func TestPredicatesGetTheDialectsPlaceholders(t *testing.T) {
	c := unitCols(t)
	m := unitModel[unitUser](t)
	p := And(c.age.Between(18, 65), c.name.In("a", "b"))
	tests := []struct {
		d    *Dialect
		want string
	}{
		{SQLiteDialect(), `DELETE FROM "unit_users" WHERE ("age" BETWEEN ? AND ? AND "name" IN (?,?))`},
		{PostgresINDialect(), `DELETE FROM "unit_users" WHERE ("age" BETWEEN $1 AND $2 AND "name" IN ($3,$4))`},
		{MySQLDialect(), "DELETE FROM `unit_users` WHERE (`age` BETWEEN ? AND ? AND `name` IN (?,?))"},
	}
	for _, tt := range tests {
		t.Run("a delete on "+tt.d.Name()+" uses its quotes and placeholders", func(t *testing.T) {
			r, err := unitRender(t, p, tt.d)
			if err != nil {
				t.Fatal(err)
			}
			got, args, err := unitDeleteSQL(tt.d, m, r.sql, r.args).ToSql()
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("SQL = %s\n want %s", got, tt.want)
			}
			if want := []any{18, 65, "a", "b"}; !reflect.DeepEqual(args, want) {
				t.Errorf("args = %#v, want %#v", args, want)
			}
		})
	}
}

func TestAndOrNot(t *testing.T) {
	c := unitCols(t)
	a := c.age.Gt(30)     // "age" > ?  [30]
	b := c.name.Eq("bob") // "name" = ? [bob]
	x := c.age.Lt(10)     // "age" < ?  [10]
	yes := c.age.NotIn()  // always true
	no := c.age.In()      // always false
	rawYes := Raw[unitUser](sq.Eq{})
	tests := []struct {
		name string
		p    Predicate[unitUser]
		want unitRendered
	}{
		{"And of nothing is always true", And[unitUser](), unitRendered{"(1=1)", nil, alwaysTrue}},
		{"Or of nothing is always false", Or[unitUser](), unitRendered{"(1=0)", nil, alwaysFalse}},
		{"And of one predicate is that predicate, without parentheses", And(a), unitRendered{`"age" > ?`, []any{30}, depends}},
		{"Or of one predicate is that predicate, without parentheses", Or(a), unitRendered{`"age" > ?`, []any{30}, depends}},
		{"And joins predicates in parentheses", And(a, b), unitRendered{`("age" > ? AND "name" = ?)`, []any{30, "bob"}, depends}},
		{"Or joins predicates in parentheses", Or(a, b), unitRendered{`("age" > ? OR "name" = ?)`, []any{30, "bob"}, depends}},
		{"an Or inside an And keeps its parentheses", And(a, Or(b, x)),
			unitRendered{`("age" > ? AND ("name" = ? OR "age" < ?))`, []any{30, "bob", 10}, depends}},
		{"an And inside an Or keeps its parentheses", Or(And(a, b), x),
			unitRendered{`(("age" > ? AND "name" = ?) OR "age" < ?)`, []any{30, "bob", 10}, depends}},
		{"Not wraps its predicate in parentheses", Not(a), unitRendered{`NOT ("age" > ?)`, []any{30}, depends}},
		{"Not of an And keeps the And's parentheses", Not(And(a, b)), unitRendered{`NOT (("age" > ? AND "name" = ?))`, []any{30, "bob"}, depends}},
		{"Not of Not is not simplified", Not(Not(a)), unitRendered{`NOT (NOT ("age" > ?))`, []any{30}, depends}},
		{"And drops an always-true predicate", And(a, yes), unitRendered{`"age" > ?`, []any{30}, depends}},
		{"And drops an always-true Raw predicate", And(rawYes, a, b), unitRendered{`("age" > ? AND "name" = ?)`, []any{30, "bob"}, depends}},
		{"And with an always-false predicate is always false", And(a, no), unitRendered{"(1=0)", nil, alwaysFalse}},
		{"Or with an always-true predicate is always true", Or(a, yes), unitRendered{"(1=1)", nil, alwaysTrue}},
		{"Or drops an always-false predicate", Or(no, a), unitRendered{`"age" > ?`, []any{30}, depends}},
		{"And of only true predicates is always true", And(yes, rawYes), unitRendered{"(1=1)", nil, alwaysTrue}},
		{"Or of only false predicates is always false", Or(no, Or[unitUser]()), unitRendered{"(1=0)", nil, alwaysFalse}},
		{"an empty Or inside an And makes it always false", And(Or[unitUser](), a), unitRendered{"(1=0)", nil, alwaysFalse}},
		{"an empty And inside an Or makes it always true", Or(a, And[unitUser]()), unitRendered{"(1=1)", nil, alwaysTrue}},
		{"Not of always true is always false", Not(yes), unitRendered{"(1=0)", nil, alwaysFalse}},
		{"Not of always false is always true", Not(no), unitRendered{"(1=1)", nil, alwaysTrue}},
		{"Not of an empty And is always false", Not(And[unitUser]()), unitRendered{"(1=0)", nil, alwaysFalse}},
		{"a constant deep inside is simplified away", And(a, Or(b, And(x, yes)), Not(no)),
			unitRendered{`("age" > ? AND ("name" = ? OR "age" < ?))`, []any{30, "bob", 10}, depends}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := unitRender(t, tt.p, PostgresDialect())
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			unitCheckRendered(t, got, tt.want)
		})
	}
}

func TestInvalidPredicatesFailWhereverTheyAre(t *testing.T) {
	c := unitCols(t)
	a := c.age.Gt(30)
	var zeroCol Column[unitUser, int]
	bad := zeroCol.Eq(1)
	var zeroPred Predicate[unitUser]
	tests := []struct {
		name      string
		p         Predicate[unitUser]
		fragments []string
	}{
		{"the zero Predicate is invalid", zeroPred, []string{"zero Predicate"}},
		{"the zero Predicate inside And is invalid", And(a, zeroPred), []string{"zero Predicate"}},
		{"the zero Predicate inside Not is invalid", Not(zeroPred), []string{"zero Predicate"}},
		{"a zero Column's predicate inside Or is invalid", Or(a, bad), []string{"zero Column"}},
		{"an invalid predicate before an always-false one in And is reported", And(bad, c.age.In()), []string{"zero Column"}},
		// The result must not depend on the order of the arguments: an
		// invalid predicate is a programming error even when a constant
		// decides the condition.
		{"an invalid predicate after an always-false one in And is reported", And(c.age.In(), bad), []string{"zero Column"}},
		{"an invalid predicate after an always-true one in Or is reported", Or(c.age.NotIn(), bad), []string{"zero Column"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := unitRender(t, tt.p, SQLiteDialect())
			unitWantErr(t, err, ErrInvalidPredicate, tt.fragments...)
			if got.sql != "" || got.args != nil {
				t.Errorf("rendered %q %v with the error, want nothing", got.sql, got.args)
			}
		})
	}
}

// unitSqlizer is a squirrel expression with fixed output.
type unitSqlizer struct {
	sql  string
	args []any
	err  error
}

func (s *unitSqlizer) ToSql() (string, []any, error) { return s.sql, s.args, s.err }

func TestRaw(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name      string
		s         sq.Sqlizer
		want      unitRendered
		fragments []string // for an error
		cause     error    // wrapped besides ErrInvalidPredicate
	}{
		{"a nil Sqlizer is invalid", nil, unitRendered{}, []string{"Raw(nil)"}, nil},
		{"a typed nil pointer is invalid", (*unitSqlizer)(nil), unitRendered{}, []string{"Raw(nil)"}, nil},
		{"an empty squirrel.Eq is always true", sq.Eq{}, unitRendered{"(1=1)", nil, alwaysTrue}, nil, nil},
		{"an empty squirrel.And is always true", sq.And{}, unitRendered{"(1=1)", nil, alwaysTrue}, nil, nil},
		{"an empty squirrel.Or is always false", sq.Or{}, unitRendered{"(1=0)", nil, alwaysFalse}, nil, nil},
		{"an expression with no SQL is invalid", sq.Expr(""), unitRendered{}, []string{"renders to no SQL"}, nil},
		{"an expression of blanks is invalid", sq.Expr("  \t "), unitRendered{}, []string{"renders to no SQL"}, nil},
		{"empty parentheses are invalid", sq.Expr("( )"), unitRendered{}, []string{"renders to no SQL"}, nil},
		{"a spaced-out 1 = 1 is always true", sq.Expr("( 1 = 1 )"), unitRendered{"(1=1)", nil, alwaysTrue}, nil, nil},
		{"TRUE in capitals is always true", sq.Expr("TRUE"), unitRendered{"(1=1)", nil, alwaysTrue}, nil, nil},
		{"doubly wrapped 1=0 is always false", sq.Expr("((1=0))"), unitRendered{"(1=0)", nil, alwaysFalse}, nil, nil},
		{"false is always false", sq.Expr("false"), unitRendered{"(1=0)", nil, alwaysFalse}, nil, nil},
		{"an expression is wrapped in parentheses with its args", sq.Expr("age > ? AND name = ?", 3, "x"),
			unitRendered{"(age > ? AND name = ?)", []any{3, "x"}, depends}, nil, nil},
		{"two parenthesised terms are not a constant", sq.Expr("(1=1) or (age = ?)", 4),
			unitRendered{"((1=1) or (age = ?))", []any{4}, depends}, nil, nil},
		{"a squirrel.Eq with a value is sent as written", sq.Eq{"age": 3},
			unitRendered{"(age = ?)", []any{3}, depends}, nil, nil},
		{"a squirrel.Eq with a slice is IN", sq.Eq{"age": []int{1, 2}},
			unitRendered{"(age IN (?,?))", []any{1, 2}, depends}, nil, nil},
		{"an error from ToSql is wrapped", &unitSqlizer{err: boom}, unitRendered{}, []string{"Raw: boom"}, boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := unitRender(t, Raw[unitUser](tt.s), MySQLDialect())
			if tt.fragments != nil {
				unitWantErr(t, err, ErrInvalidPredicate, tt.fragments...)
				if tt.cause != nil && !errors.Is(err, tt.cause) {
					t.Errorf("error %q does not wrap %v", err, tt.cause)
				}
				return
			}
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			unitCheckRendered(t, got, tt.want)
		})
	}
}

func TestConstantOf(t *testing.T) {
	tests := []struct{ in, want string }{
		{"(1=1)", "1=1"},
		{"( 1 = 1 )", "1=1"},
		{"((1=1))", "1=1"},
		{" 1\n=\t1 ", "1=1"},
		{"TRUE", "true"},
		{"(False)", "false"},
		{"", ""},
		{"   ", ""},
		{"()", ""},
		{"(a) or (b)", "(a)or(b)"},
		{"((a) or (b))", "(a)or(b)"},
		{"(1=1) AND (1=0)", "(1=1)and(1=0)"},
		{"(x", "(x"},
		{"x)", "x)"},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.in, " ", "_")+" is reduced to "+tt.want, func(t *testing.T) {
			if got := constantOf(tt.in); got != tt.want {
				t.Errorf("constantOf(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestBalanced(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", true},
		{"a", true},
		{"(a)", true},
		{"(a)(b)", true},
		{"((a)(b))", true},
		{"a) or (b", false},
		{")(", false},
		{"((", false},
		{"(()", false},
		{"())", false},
	}
	for _, tt := range tests {
		name := tt.in + " is balanced"
		if !tt.want {
			name = tt.in + " is not balanced"
		}
		t.Run(name, func(t *testing.T) {
			if got := balanced(tt.in); got != tt.want {
				t.Errorf("balanced(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// unitOutside is a variable outside every model struct.
var unitOutside int

func TestCol(t *testing.T) {
	t.Run("a field of an embedded struct is a column", func(t *testing.T) {
		tests := []struct {
			name string
			col  interface {
				Name() string
				Err() error
			}
			want string
		}{
			{"promoted ID", Col(func(p *unitPost) *int64 { return &p.ID }), "id"},
			{"ID through the embedded struct", Col(func(p *unitPost) *int64 { return &p.unitBase.ID }), "id"},
			{"promoted CreatedAt", Col(func(p *unitPost) *time.Time { return &p.CreatedAt }), "created_at"},
			{"own Title", Col(func(p *unitPost) *string { return &p.Title }), "title"},
		}
		for _, tt := range tests {
			if err := tt.col.Err(); err != nil {
				t.Errorf("%s: Err() = %v", tt.name, err)
			}
			if got := tt.col.Name(); got != tt.want {
				t.Errorf("%s: Name() = %q, want %q", tt.name, got, tt.want)
			}
		}
	})
	t.Run("a tagged field is named by its tag", func(t *testing.T) {
		c := Col(func(u *unitUser) **string { return &u.Email })
		if c.Err() != nil || c.Name() != "email_address" {
			t.Errorf("Col(Email) = (%q, %v), want (email_address, nil)", c.Name(), c.Err())
		}
	})
	t.Run("the second part of a composite key is found", func(t *testing.T) {
		c := Col(func(m *unitMembership) *int64 { return &m.UserID })
		if c.Err() != nil || c.Name() != "user_id" {
			t.Errorf("Col(UserID) = (%q, %v), want (user_id, nil)", c.Name(), c.Err())
		}
	})

	tests := []struct {
		name      string
		col       Column[unitUser, int]
		target    error
		fragments []string
	}{
		{"a pointer outside the struct is rejected", Col(func(*unitUser) *int { return &unitOutside }), ErrInvalidPredicate,
			[]string{"must return a pointer to a field of its typeddelete.unitUser argument"}},
		{"a nil pointer is rejected", Col(func(*unitUser) *int { return nil }), ErrInvalidPredicate,
			[]string{"must return a pointer to a field"}},
		{"a nil accessor is rejected", Col[unitUser, int](nil), ErrInvalidPredicate,
			[]string{"Col: nil accessor for typeddelete.unitUser"}},
		{"a panicking accessor is rejected", Col(func(*unitUser) *int { panic("boom") }), ErrInvalidPredicate,
			[]string{"Col on typeddelete.unitUser: the accessor panicked: boom"}},
		{"an unexported field is not a mapped column", Col(func(u *unitUser) *int { return &u.internal }), ErrInvalidPredicate,
			[]string{"returns a int field of typeddelete.unitUser that is not a mapped column"}},
		{"the zero Column is invalid", Column[unitUser, int]{}, ErrInvalidPredicate,
			[]string{"zero Column; make columns with Col"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unitWantErr(t, tt.col.Err(), tt.target, tt.fragments...)
			if got := tt.col.Name(); got != "" {
				t.Errorf("Name() = %q, want \"\"", got)
			}
			preds := map[string]Predicate[unitUser]{
				"Eq": tt.col.Eq(1), "Ne": tt.col.Ne(1), "Gt": tt.col.Gt(1), "Ge": tt.col.Ge(1),
				"Lt": tt.col.Lt(1), "Le": tt.col.Le(1), "In": tt.col.In(1), "NotIn": tt.col.NotIn(1),
				"empty In": tt.col.In(), "empty NotIn": tt.col.NotIn(), "Between": tt.col.Between(1, 2),
				"IsNull": tt.col.IsNull(), "NotNull": tt.col.NotNull(),
			}
			for name, p := range preds {
				_, err := unitRender(t, p, SQLiteDialect())
				if !errors.Is(err, tt.target) {
					t.Errorf("%s: error %v, want one wrapping %v", name, err, tt.target)
				}
			}
		})
	}

	t.Run("a field skipped with db:\"-\" is not a mapped column", func(t *testing.T) {
		c := Col(func(u *unitUser) *string { return &u.Secret })
		unitWantErr(t, c.Err(), ErrInvalidPredicate, "returns a string field of typeddelete.unitUser that is not a mapped column")
		_, err := unitRender(t, Like(c, "x"), SQLiteDialect())
		unitWantErr(t, err, ErrInvalidPredicate)
	})
	t.Run("Like on the zero Column is invalid", func(t *testing.T) {
		_, err := unitRender(t, Like(Column[unitUser, string]{}, "x"), SQLiteDialect())
		unitWantErr(t, err, ErrInvalidPredicate, "zero Column")
	})
	t.Run("a column of a model without a key carries the model error", func(t *testing.T) {
		c := Col(func(n *unitNoPK) *string { return &n.Name })
		unitWantErr(t, c.Err(), ErrInvalidModel, "typeddelete.unitNoPK has no primary key")
		_, err := unitRender(t, c.Eq("x"), SQLiteDialect())
		unitWantErr(t, err, ErrInvalidModel)
	})
}

// unitTags is a slice type that the driver takes whole, as one value.
type unitTags []string

func (t unitTags) Value() (driver.Value, error) { return strings.Join(t, ","), nil }

// unitTagged has a column of a Valuer slice type.
type unitTagged struct {
	ID   int64
	Tags unitTags
}

func TestByNameOnAValuerSliceColumn(t *testing.T) {
	m := unitModel[unitTagged](t)
	tests := []struct {
		name  string
		value any
		want  unitRendered
	}{
		{"a Valuer slice value is compared whole with =", unitTags{"a", "b"}, unitRendered{`"tags" = ?`, []any{unitTags{"a", "b"}}, depends}},
		{"a slice of Valuer slices is IN", []unitTags{{"a"}, {"b"}}, unitRendered{`"tags" IN (?,?)`, []any{unitTags{"a"}, unitTags{"b"}}, depends}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, a, tr, err := renderExpr(byName(m, "tags", tt.value), SQLiteDialect())
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			unitCheckRendered(t, unitRendered{s, a, tr}, tt.want)
		})
	}
}

func TestByName(t *testing.T) {
	m := unitModel[unitUser](t)
	s := "a@example.com"
	t0 := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		column    string
		value     any
		want      unitRendered
		target    error // for an error
		fragments []string
	}{
		{"an int literal fits an int64 column", "id", 7, unitRendered{`"id" = ?`, []any{7}, depends}, nil, nil},
		{"an int32 fits an int64 column", "id", int32(7), unitRendered{`"id" = ?`, []any{int32(7)}, depends}, nil, nil},
		{"an int fits an int column", "age", 30, unitRendered{`"age" = ?`, []any{30}, depends}, nil, nil},
		{"a string fits a named string column", "status", "active", unitRendered{`"status" = ?`, []any{"active"}, depends}, nil, nil},
		{"a string fits a *string column", "email_address", s, unitRendered{`"email_address" = ?`, []any{s}, depends}, nil, nil},
		{"a *string fits a *string column", "email_address", &s, unitRendered{`"email_address" = ?`, []any{&s}, depends}, nil, nil},
		{"a time fits a time column", "created_at", t0, unitRendered{`"created_at" = ?`, []any{t0}, depends}, nil, nil},
		{"a []byte on a []byte column is compared with =", "avatar", []byte("x"), unitRendered{`"avatar" = ?`, []any{[]byte("x")}, depends}, nil, nil},
		{"a sql.NullString column accepts a string", "nick", "bob", unitRendered{`"nick" = ?`, []any{"bob"}, depends}, nil, nil},
		{"nil is IS NULL", "age", nil, unitRendered{`"age" IS NULL`, nil, depends}, nil, nil},
		{"a nil *string is IS NULL", "email_address", (*string)(nil), unitRendered{`"email_address" IS NULL`, nil, depends}, nil, nil},
		{"a slice is IN", "age", []int{1, 2}, unitRendered{`"age" IN (?,?)`, []any{1, 2}, depends}, nil, nil},
		{"an array is IN", "id", [2]int64{3, 4}, unitRendered{`"id" IN (?,?)`, []any{int64(3), int64(4)}, depends}, nil, nil},
		{"a slice of byte slices on a []byte column is IN", "avatar", [][]byte{{1}, {2}}, unitRendered{`"avatar" IN (?,?)`, []any{[]byte{1}, []byte{2}}, depends}, nil, nil},
		{"an empty slice is always false", "age", []int{}, unitRendered{"(1=0)", nil, alwaysFalse}, nil, nil},
		// FilterBy documents that a slice value means IN; a Valuer column
		// must not turn that into "= ?" with a slice argument.
		{"a slice on a sql.NullString column is IN", "nick", []string{"a", "b"}, unitRendered{`"nick" IN (?,?)`, []any{"a", "b"}, depends}, nil, nil},
		{"a string does not fit an int column", "age", "x", unitRendered{}, ErrInvalidValue,
			[]string{`FilterBy("age"): a string does not fit column type int`}},
		{"an int does not fit a string column", "name", 5, unitRendered{}, ErrInvalidValue,
			[]string{`FilterBy("name"): a int does not fit column type string`}},
		{"a bool does not fit an int column", "age", true, unitRendered{}, ErrInvalidValue,
			[]string{"a bool does not fit column type int"}},
		{"a string does not fit a time column", "created_at", "2024-01-02", unitRendered{}, ErrInvalidValue,
			[]string{"a string does not fit column type time.Time"}},
		{"a slice of strings does not fit an int column", "age", []string{"a"}, unitRendered{}, ErrInvalidValue,
			[]string{`FilterBy("age"): string values do not fit column type int`}},
		// The element type of an empty slice is known too.
		{"an empty slice of strings does not fit an int column", "age", []string{}, unitRendered{}, ErrInvalidValue,
			[]string{`FilterBy("age"): string values do not fit column type int`}},
		{"an unknown column names the model and table", "missing", 1, unitRendered{}, ErrUnknownColumn,
			[]string{`"missing" is not a column of typeddelete.unitUser (table "unit_users")`}},
		{"a Go field name is not a column name", "Age", 1, unitRendered{}, ErrUnknownColumn,
			[]string{`"Age" is not a column of typeddelete.unitUser`}},
		{"a field skipped with db:\"-\" is no column", "secret", "x", unitRendered{}, ErrUnknownColumn,
			[]string{`"secret" is not a column`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, a, tr, err := renderExpr(byName(m, tt.column, tt.value), SQLiteDialect())
			if tt.target != nil {
				unitWantErr(t, err, tt.target, tt.fragments...)
				return
			}
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			unitCheckRendered(t, unitRendered{s, a, tr}, tt.want)
		})
	}
}

func TestFits(t *testing.T) {
	type myInt int
	tests := []struct {
		name string
		v    reflect.Type
		col  reflect.Type
		want bool
	}{
		{"int fits int64", reflect.TypeFor[int](), reflect.TypeFor[int64](), true},
		{"float64 fits int, as both are numbers", reflect.TypeFor[float64](), reflect.TypeFor[int](), true},
		{"a named int fits int", reflect.TypeFor[myInt](), reflect.TypeFor[int](), true},
		{"*int fits int", reflect.TypeFor[*int](), reflect.TypeFor[int](), true},
		{"int fits *int", reflect.TypeFor[int](), reflect.TypeFor[*int](), true},
		{"string does not fit int", reflect.TypeFor[string](), reflect.TypeFor[int](), false},
		{"int does not fit string", reflect.TypeFor[int](), reflect.TypeFor[string](), false},
		{"string does not fit []byte", reflect.TypeFor[string](), reflect.TypeFor[[]byte](), false},
		{"[]byte fits []byte", reflect.TypeFor[[]byte](), reflect.TypeFor[[]byte](), true},
		{"bool fits bool", reflect.TypeFor[bool](), reflect.TypeFor[bool](), true},
		{"bool does not fit int", reflect.TypeFor[bool](), reflect.TypeFor[int](), false},
		{"anything fits a Valuer column", reflect.TypeFor[int](), reflect.TypeFor[sql.NullString](), true},
		{"anything fits a Scanner column", reflect.TypeFor[string](), reflect.TypeFor[sql.NullInt64](), true},
		{"a struct fits only itself", reflect.TypeFor[struct{ A int }](), reflect.TypeFor[time.Time](), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fits(tt.v, tt.col); got != tt.want {
				t.Errorf("fits(%s, %s) = %v, want %v", tt.v, tt.col, got, tt.want)
			}
		})
	}
}

func TestPlaceholders(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{{-1, ""}, {0, ""}, {1, "?"}, {3, "?,?,?"}}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.n)+" placeholders are "+strconv.Quote(tt.want), func(t *testing.T) {
			if got := placeholders(tt.n); got != tt.want {
				t.Errorf("placeholders(%d) = %q, want %q", tt.n, got, tt.want)
			}
		})
	}
}

func TestIsNil(t *testing.T) {
	var m map[string]int
	var s []int
	var p *int
	var e error
	one := 1
	tests := []struct {
		name string
		v    any
		want bool
	}{
		{"untyped nil is nil", nil, true},
		{"a nil pointer is nil", p, true},
		{"a nil map is nil", m, true},
		{"a nil slice is nil", s, true},
		{"a nil pointer to an interface is nil", (*error)(nil), true},
		{"a nil interface value is nil", e, true},
		{"a pointer to a nil interface is not nil", &e, false},
		{"zero is not nil", 0, false},
		{"an empty string is not nil", "", false},
		{"an empty slice is not nil", []int{}, false},
		{"a pointer to a value is not nil", &one, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isNil(tt.v); got != tt.want {
				t.Errorf("isNil(%#v) = %v, want %v", tt.v, got, tt.want)
			}
		})
	}
}

func TestKindClass(t *testing.T) {
	tests := []struct {
		name string
		typ  reflect.Type
		want int
	}{
		{"int8 is a number", reflect.TypeFor[int8](), 1},
		{"uint64 is a number", reflect.TypeFor[uint64](), 1},
		{"float32 is a number", reflect.TypeFor[float32](), 1},
		{"a named string is a string", reflect.TypeFor[unitStatus](), 2},
		{"bool is a bool", reflect.TypeFor[bool](), 3},
		{"[]byte is a byte slice", reflect.TypeFor[[]byte](), 4},
		{"[]int is none of them", reflect.TypeFor[[]int](), 0},
		{"time.Time is none of them", reflect.TypeFor[time.Time](), 0},
		{"*int is none of them", reflect.TypeFor[*int](), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kindClass(tt.typ); got != tt.want {
				t.Errorf("kindClass(%s) = %d, want %d", tt.typ, got, tt.want)
			}
		})
	}
}
