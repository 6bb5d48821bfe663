package typeddelete

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sq "github.com/Masterminds/squirrel"
	sqlite3 "github.com/mattn/go-sqlite3"
)

// Models shared by the unit tests of this package (model_test.go and
// predicate_test.go). Every name starts with "unit" so that they do not
// clash with the types of the other test files.

// unitStatus is a named string type, for Like and FilterBy.
type unitStatus string

// unitUser has one column of each interesting kind.
type unitUser struct {
	ID        int64
	Name      string
	Age       int
	Email     *string `db:"email_address"`
	Nick      sql.NullString
	Avatar    []byte
	Status    unitStatus
	CreatedAt time.Time
	Secret    string `db:"-"`
	internal  int
}

// unitTeam is a second model, to show predicates do not mix models.
type unitTeam struct {
	ID   int64
	Name string
}

// unitBase is embedded by value in unitPost.
type unitBase struct {
	ID        int64
	CreatedAt time.Time
}

// unitPost flattens unitBase: columns id, created_at, title.
type unitPost struct {
	unitBase
	Title string
}

// unitPtrEmbed embeds a pointer, which a model may not do.
type unitPtrEmbed struct {
	*unitBase
	Title string
}

// unitMembership has a composite key, tagged in struct order.
type unitMembership struct {
	TeamID int64  `db:"team_id,pk"`
	Role   string `db:"role"`
	UserID int64  `db:",pk"`
}

// unitTaggedOverID has a field named ID, but its tagged key wins.
type unitTaggedOverID struct {
	ID   int64
	Code string `db:"code,pk"`
}

// unitPtrKey has a nullable (pointer) key.
type unitPtrKey struct {
	ID *int64
}

// UnitLabel is an exported non-struct type, embedded by unitLabeled.
type UnitLabel string

// unitLabeled embeds a non-struct type, which is a column like any field.
type unitLabeled struct {
	ID int64
	UnitLabel
}

// unitNoPK has no primary key.
type unitNoPK struct {
	Name string
}

// unitDupColumn maps column "x" twice.
type unitDupColumn struct {
	ID int64
	A  string `db:"x"`
	B  string `db:"x"`
}

// unitDupEmbedded maps "id" from the embedded struct and from its own field.
type unitDupEmbedded struct {
	unitBase
	ID int64
}

// unitBadOption has an unknown db tag option.
type unitBadOption struct {
	ID   int64
	Name string `db:"name,primary"`
}

// unitSpacedOption has a pk option with blanks around it.
type unitSpacedOption struct {
	Code string `db:"code, pk"`
}

// unitValueTable names its table with a value receiver.
type unitValueTable struct{ ID int64 }

func (unitValueTable) TableName() string { return "value_table" }

// unitPtrTable names its table with a pointer receiver.
type unitPtrTable struct{ ID int64 }

func (*unitPtrTable) TableName() string { return "ptr_table" }

// unitEmptyTable names its table "".
type unitEmptyTable struct{ ID int64 }

func (unitEmptyTable) TableName() string { return "" }

// unitConcurrent is used only by the concurrency test, so its metadata is
// not cached before that test starts (with -count=1).
type unitConcurrent struct {
	ID   int64
	Name string
}

// unitFakeDriver is a driver of a package the library does not know.
type unitFakeDriver struct{}

func (unitFakeDriver) Open(string) (driver.Conn, error) { return nil, errors.New("unitFakeDriver") }

// unitModel returns the metadata of T, failing the test on error.
func unitModel[T any](t *testing.T) *model {
	t.Helper()
	m, err := modelFor(reflect.TypeFor[T]())
	if err != nil {
		t.Fatalf("modelFor(%s): %v", reflect.TypeFor[T](), err)
	}
	return m
}

// unitWantErr checks that err wraps target and mentions every fragment.
func unitWantErr(t *testing.T, err, target error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("error = nil, want one wrapping %v", target)
	}
	if !errors.Is(err, target) {
		t.Fatalf("error %q does not wrap %v", err, target)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not mention %q", err, f)
		}
	}
}

// unitDialects are the three dialects, in a fixed order.
func unitDialects() []*Dialect {
	return []*Dialect{SQLiteDialect(), PostgresDialect(), MySQLDialect()}
}

func TestSnakeCase(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ID", "id"},
		{"Name", "name"},
		{"UserID", "user_id"},
		{"HTTPServer", "http_server"},
		{"Age2", "age2"},
		{"BlogPost", "blog_post"},
		{"CreatedAt", "created_at"},
		{"APIKey", "api_key"},
		{"UserHTTPStatus", "user_http_status"},
		{"Age2Max", "age2_max"},
		{"A", "a"},
		{"already_snake", "already_snake"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in+" becomes "+tt.want, func(t *testing.T) {
			if got := snakeCase(tt.in); got != tt.want {
				t.Errorf("snakeCase(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTableNames(t *testing.T) {
	// Function-local types: their reflect names are exactly User, Category...
	type User struct{ ID int64 }
	type Category struct{ ID int64 }
	type Person struct{ ID int64 }
	type BlogPost struct{ ID int64 }
	type HTTPServer struct{ ID int64 }
	tests := []struct {
		name string
		typ  reflect.Type
		want string
	}{
		{"User is stored in users", reflect.TypeFor[User](), "users"},
		{"Category is stored in categories", reflect.TypeFor[Category](), "categories"},
		{"Person is stored in people", reflect.TypeFor[Person](), "people"},
		{"BlogPost is stored in blog_posts", reflect.TypeFor[BlogPost](), "blog_posts"},
		{"HTTPServer is stored in http_servers", reflect.TypeFor[HTTPServer](), "http_servers"},
		{"unitUser is stored in unit_users", reflect.TypeFor[unitUser](), "unit_users"},
		{"TableName on a value receiver overrides the name", reflect.TypeFor[unitValueTable](), "value_table"},
		{"TableName on a pointer receiver overrides the name", reflect.TypeFor[unitPtrTable](), "ptr_table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := modelFor(tt.typ)
			if err != nil {
				t.Fatalf("modelFor(%s): %v", tt.typ, err)
			}
			if m.table != tt.want {
				t.Errorf("table of %s = %q, want %q", tt.typ, m.table, tt.want)
			}
		})
	}
}

func TestColumnsAndPrimaryKeys(t *testing.T) {
	tests := []struct {
		name    string
		typ     reflect.Type
		columns []string
		pk      []string
		names   []string // Go field paths
	}{
		{
			name:    "columns come from db tags or snake_case, skipping db:\"-\" and unexported fields",
			typ:     reflect.TypeFor[unitUser](),
			columns: []string{"id", "name", "age", "email_address", "nick", "avatar", "status", "created_at"},
			pk:      []string{"id"},
			names:   []string{"ID", "Name", "Age", "Email", "Nick", "Avatar", "Status", "CreatedAt"},
		},
		{
			name:    "an embedded struct is flattened and its ID is the key",
			typ:     reflect.TypeFor[unitPost](),
			columns: []string{"id", "created_at", "title"},
			pk:      []string{"id"},
			names:   []string{"unitBase.ID", "unitBase.CreatedAt", "Title"},
		},
		{
			name:    "pk tags make a composite key in struct order",
			typ:     reflect.TypeFor[unitMembership](),
			columns: []string{"team_id", "role", "user_id"},
			pk:      []string{"team_id", "user_id"},
			names:   []string{"TeamID", "Role", "UserID"},
		},
		{
			name:    "a pk tag wins over a field named ID",
			typ:     reflect.TypeFor[unitTaggedOverID](),
			columns: []string{"id", "code"},
			pk:      []string{"code"},
			names:   []string{"ID", "Code"},
		},
		{
			name:    "an embedded non-struct type is a column named after its type",
			typ:     reflect.TypeFor[unitLabeled](),
			columns: []string{"id", "unit_label"},
			pk:      []string{"id"},
			names:   []string{"ID", "UnitLabel"},
		},
		{
			name:    "blanks around a tag option are ignored",
			typ:     reflect.TypeFor[unitSpacedOption](),
			columns: []string{"code"},
			pk:      []string{"code"},
			names:   []string{"Code"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := modelFor(tt.typ)
			if err != nil {
				t.Fatalf("modelFor(%s): %v", tt.typ, err)
			}
			if got := m.columns(); !reflect.DeepEqual(got, tt.columns) {
				t.Errorf("columns = %q, want %q", got, tt.columns)
			}
			if got := m.pkColumns(); !reflect.DeepEqual(got, tt.pk) {
				t.Errorf("pk columns = %q, want %q", got, tt.pk)
			}
			var names []string
			for _, f := range m.fields {
				names = append(names, f.name)
				if m.byColumn[f.column] != f {
					t.Errorf("byColumn[%q] is not the field %s", f.column, f.name)
				}
				sf := tt.typ.FieldByIndex(f.index)
				if sf.Type != f.typ {
					t.Errorf("field %s: type %s, want %s", f.name, f.typ, sf.Type)
				}
			}
			if !reflect.DeepEqual(names, tt.names) {
				t.Errorf("field names = %q, want %q", names, tt.names)
			}
			if len(m.byColumn) != len(m.fields) {
				t.Errorf("byColumn has %d entries, want %d", len(m.byColumn), len(m.fields))
			}
		})
	}
}

func TestFieldOffsetsOfEmbeddedStructs(t *testing.T) {
	m := unitModel[unitPost](t)
	var p unitPost
	base := reflect.ValueOf(&p).Pointer()
	want := map[string]uintptr{
		"id":         reflect.ValueOf(&p.ID).Pointer() - base,
		"created_at": reflect.ValueOf(&p.CreatedAt).Pointer() - base,
		"title":      reflect.ValueOf(&p.Title).Pointer() - base,
	}
	for col, off := range want {
		t.Run(col+" is found at its byte offset", func(t *testing.T) {
			f := m.byColumn[col]
			if f.offset != off {
				t.Fatalf("offset of %s = %d, want %d", col, f.offset, off)
			}
			if got := m.fieldAt(off, f.typ); got != f {
				t.Errorf("fieldAt(%d, %s) = %v, want the %s field", off, f.typ, got, col)
			}
		})
	}
	t.Run("a matching offset with another type is no field", func(t *testing.T) {
		if got := m.fieldAt(m.byColumn["created_at"].offset, reflect.TypeFor[int64]()); got != nil {
			t.Errorf("fieldAt(created_at offset, int64) = %s, want nil", got.column)
		}
	})
}

func TestInvalidModels(t *testing.T) {
	tests := []struct {
		name      string
		typ       reflect.Type
		fragments []string
	}{
		{"a model without a primary key is named in the error", reflect.TypeFor[unitNoPK](),
			[]string{"typeddelete.unitNoPK has no primary key"}},
		{"a column mapped twice is an error", reflect.TypeFor[unitDupColumn](),
			[]string{"typeddelete.unitDupColumn", `maps column "x" twice`}},
		{"an ID both embedded and declared is a column mapped twice", reflect.TypeFor[unitDupEmbedded](),
			[]string{"typeddelete.unitDupEmbedded", `maps column "id" twice`}},
		{"an unknown tag option is an error", reflect.TypeFor[unitBadOption](),
			[]string{"typeddelete.unitBadOption.Name", `unknown db tag option "primary"`}},
		{"an embedded pointer struct is an error", reflect.TypeFor[unitPtrEmbed](),
			[]string{"typeddelete.unitPtrEmbed embeds pointer *typeddelete.unitBase"}},
		{"an empty TableName is an error", reflect.TypeFor[unitEmptyTable](),
			[]string{"typeddelete.unitEmptyTable.TableName returned an empty name"}},
		{"a non-struct type is an error", reflect.TypeFor[int](),
			[]string{"int is not a struct"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := modelFor(tt.typ)
			if m != nil {
				t.Errorf("modelFor(%s) returned a model", tt.typ)
			}
			unitWantErr(t, err, ErrInvalidModel, tt.fragments...)
		})
	}
}

func TestModelOf(t *testing.T) {
	u := &unitUser{ID: 3}
	var nilUser *unitUser
	n := 5
	tests := []struct {
		name      string
		obj       any
		fragments []string // nil: no error
	}{
		{"a pointer to a model struct gives its metadata and value", u, nil},
		{"nil is an invalid model", nil, []string{"invalid model: nil"}},
		{"a struct value is not a pointer", unitUser{}, []string{"typeddelete.unitUser is not a pointer to a struct"}},
		{"a nil pointer is an invalid model", nilUser, []string{"nil *typeddelete.unitUser"}},
		{"a pointer to an int is not a pointer to a struct", &n, []string{"*int is not a pointer to a struct"}},
		{"a pointer to a pointer is not a pointer to a struct", &u, []string{"**typeddelete.unitUser is not a pointer to a struct"}},
		{"a pointer to a model without a key fails", &unitNoPK{}, []string{"has no primary key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, v, err := modelOf(tt.obj)
			if tt.fragments != nil {
				unitWantErr(t, err, ErrInvalidModel, tt.fragments...)
				return
			}
			if err != nil {
				t.Fatalf("modelOf: %v", err)
			}
			if m.typ != reflect.TypeFor[unitUser]() {
				t.Errorf("model type = %s, want unitUser", m.typ)
			}
			if v.Addr().Interface() != any(u) {
				t.Errorf("value is not the struct the pointer points to")
			}
		})
	}
}

func TestKey(t *testing.T) {
	id := int64(9)
	tests := []struct {
		name      string
		obj       any
		want      any
		fragments []string // nil: no error
	}{
		{"a one-column key is its value", &unitUser{ID: 7}, int64(7), nil},
		{"a composite key is a slice in column order", &unitMembership{TeamID: 1, UserID: 2}, []any{int64(1), int64(2)}, nil},
		{"a pointer key is dereferenced", &unitPtrKey{ID: &id}, int64(9), nil},
		{"a key in an embedded struct is read", &unitPost{unitBase: unitBase{ID: 4}}, int64(4), nil},
		{"a zero key is not persisted", &unitUser{}, nil, []string{"typeddelete.unitUser.ID is zero"}},
		{"a nil pointer key is not persisted", &unitPtrKey{}, nil, []string{"typeddelete.unitPtrKey.ID is zero"}},
		{"a zero first part of a composite key is not persisted", &unitMembership{UserID: 2}, nil,
			[]string{"typeddelete.unitMembership.TeamID (part of the composite key) is zero"}},
		{"a zero last part of a composite key is not persisted", &unitMembership{TeamID: 1}, nil,
			[]string{"typeddelete.unitMembership.UserID (part of the composite key) is zero"}},
		{"a zero embedded key names its field path", &unitPost{Title: "x"}, nil,
			[]string{"typeddelete.unitPost.unitBase.ID is zero"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, v, err := modelOf(tt.obj)
			if err != nil {
				t.Fatalf("modelOf: %v", err)
			}
			// Session.Delete reads the key straight from memory where it
			// can (one integer or string column, or int64 and string
			// parts): the same key, or the same error, registering
			// nothing.
			s := NewSession(sql.OpenDB(unitFakeConnector{}), WithDialect(SQLiteDialect()))
			derr := s.Delete(tt.obj)
			k, err := m.keyOf(v)
			if tt.fragments != nil {
				unitWantErr(t, err, ErrNotPersisted, tt.fragments...)
				unitWantErr(t, derr, ErrNotPersisted, tt.fragments...)
				if k != nil {
					t.Errorf("key = %v, want nil with the error", k)
				}
				if o, _ := s.Pending(); o != 0 {
					t.Errorf("Delete registered %d objects with the error, want none", o)
				}
				return
			}
			if derr != nil {
				t.Fatalf("Delete: %v", derr)
			}
			if got := s.pending[0].objs[0].keys.at(0); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("key Delete registered = %#v, want %#v", got, tt.want)
			}
			if err != nil {
				t.Fatalf("key: %v", err)
			}
			if !reflect.DeepEqual(k, tt.want) {
				t.Fatalf("key = %#v, want %#v", k, tt.want)
			}
			parts := m.keyParts(k)
			if len(parts) != len(m.pk) {
				t.Errorf("keyParts(%v) has %d parts, want %d", k, len(parts), len(m.pk))
			}
		})
	}
}

func TestModelMetadataIsCached(t *testing.T) {
	tests := []struct {
		name string
		typ  reflect.Type
	}{
		{"a valid model is built once", reflect.TypeFor[unitUser]()},
		{"an invalid model keeps its error", reflect.TypeFor[unitNoPK]()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m1, err1 := modelFor(tt.typ)
			m2, err2 := modelFor(tt.typ)
			if m1 != m2 {
				t.Errorf("modelFor returned %p then %p, want the same *model", m1, m2)
			}
			if err1 != err2 {
				t.Errorf("modelFor returned errors %v then %v, want the same", err1, err2)
			}
			m3, _, err3 := modelOf(reflect.New(tt.typ).Interface())
			if m3 != m1 || err3 != err1 {
				t.Errorf("modelOf returned (%p, %v), want (%p, %v) from the cache", m3, err3, m1, err1)
			}
		})
	}
}

func TestModelMetadataUnderConcurrentFirstUse(t *testing.T) {
	typ := reflect.TypeFor[unitConcurrent]()
	const n = 64
	models := make([]*model, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			models[i], errs[i] = modelFor(typ)
			if models[i] != nil {
				_ = models[i].columns() // read the shared metadata
			}
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if models[i] != models[0] {
			t.Fatalf("goroutine %d got model %p, goroutine 0 got %p: want one shared *model", i, models[i], models[0])
		}
	}
	if got := models[0].columns(); !reflect.DeepEqual(got, []string{"id", "name"}) {
		t.Errorf("columns = %q, want [id name]", got)
	}
}

func TestCompareKeys(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		a, b any
		want int
	}{
		{"int64 1 sorts before int64 2", int64(1), int64(2), -1},
		{"int64 10 sorts after int64 9", int64(10), int64(9), 1},
		{"equal int64 values compare equal", int64(5), int64(5), 0},
		{"negative ints sort before positive", -3, 2, -1},
		{"int32 values compare by value", int32(100), int32(20), 1},
		{"an int and an int64 compare by value", 3, int64(4), -1},
		{"uint values compare by value", uint(7), uint(70), -1},
		{"floats compare by value", 2.5, 1.5, 1},
		{"strings compare bytewise", "apple", "banana", -1},
		{"a string prefix sorts first", "ab", "abc", -1},
		{"named strings compare bytewise", unitStatus("b"), unitStatus("a"), 1},
		{"byte slices compare bytewise", []byte{1, 2}, []byte{1, 3}, -1},
		{"earlier times sort first", t0, t0.Add(time.Second), -1},
		{"the same instant in two zones is equal", t0, t0.In(time.FixedZone("X", 3600)), 0},
		{"composite keys compare by their first part", []any{int64(1), "z"}, []any{int64(2), "a"}, -1},
		{"composite keys with equal first parts compare by the second", []any{int64(1), "b"}, []any{int64(1), "a"}, 1},
		{"equal composite keys compare equal", []any{int64(1), "a"}, []any{int64(1), "a"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := compareKeys(tt.a, tt.b); got != tt.want {
				t.Errorf("compareKeys(%v, %v) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := compareKeys(tt.b, tt.a); got != -tt.want {
				t.Errorf("compareKeys(%v, %v) = %d, want %d", tt.b, tt.a, got, -tt.want)
			}
		})
	}
}

// unitKeyCondition is keyCond on the primary key of m, with the keys as
// they are registered; part makes them one statement's part of more, and
// scan lets a dense list scan its range.
func unitKeyCondition(t *testing.T, d *Dialect, m *model, keys []any, part, scan bool) (string, []any) {
	t.Helper()
	l := newKeyList(m)
	for _, k := range keys {
		l.add(k)
	}
	l.part, l.scan = part, scan
	cond, args, err := d.keyCond(m.pkColumns(), fieldTypes(m.pk), nil, &l, nil)
	if err != nil {
		t.Fatalf("keyCond: %v", err)
	}
	return cond, args
}

// unitDeleteSQL builds DELETE FROM m WHERE cond.
func unitDeleteSQL(d *Dialect, m *model, cond string, args []any) sq.DeleteBuilder {
	return sq.Delete(d.quoteTable(m.table)).PlaceholderFormat(d.placeholder).Where(sq.Expr(cond, args...))
}

// unitIntKeys is a list of integer keys and its literal text.
type unitIntKeys struct {
	keys []any
	text string
}

// unitKeysOf returns the keys ks.
func unitKeysOf(ks ...int64) unitIntKeys {
	var l unitIntKeys
	text := make([]string, len(ks))
	for i, k := range ks {
		l.keys, text[i] = append(l.keys, k), strconv.FormatInt(k, 10)
	}
	l.text = strings.Join(text, ",")
	return l
}

// unitKeysStep returns n integers from first in steps of step.
func unitKeysStep(first, step int64, n int) []int64 {
	ks := make([]int64, n)
	for i := range ks {
		ks[i] = first + int64(i)*step
	}
	return ks
}

var (
	// 1,002 keys, 7, then -1000 to 1000 in steps of 2.
	spanKeysList = unitKeysOf(append([]int64{7}, unitKeysStep(-1000, 2, 1001)...)...)
	intKeys3     = unitKeysOf(unitKeysStep(10, 3, 101)...)
	intKeys4     = unitKeysOf(unitKeysStep(10, 4, 101)...)
	intKeys100   = unitKeysOf(unitKeysStep(1, 1, 100)...)
	intKeysWide  = unitKeysOf(append([]int64{math.MinInt64, math.MaxInt64}, unitKeysStep(1, 1, 100)...)...)
	intKeys999   = unitKeysOf(unitKeysStep(1, 1, 999)...)
	intKeys1000  = unitKeysOf(unitKeysStep(1, 1, 1000)...)
	strKeys1000  = func() []any {
		ks := make([]any, 1000)
		for i := range ks {
			ks[i] = "k" + strconv.Itoa(i)
		}
		return ks
	}()
)

// unitStrings returns keys, which are strings, as a []string.
func unitStrings(keys []any) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.(string)
	}
	return out
}

func TestKeyCondition(t *testing.T) {
	users := unitModel[unitUser](t)
	members := unitModel[unitMembership](t)
	tests := []struct {
		name     string
		d        *Dialect
		m        *model
		keys     []any
		wantSQL  string
		wantArgs []any
		wantStmt string // the DELETE with the dialect's placeholders
		part     bool   // the keys are one statement's part of more
		scan     bool   // a dense list may scan its range
	}{
		{"a one-column key on sqlite is an IN list", SQLiteDialect(), users, []any{int64(1), int64(2), int64(3)},
			`"id" IN (?,?,?)`, []any{int64(1), int64(2), int64(3)},
			`DELETE FROM "unit_users" WHERE "id" IN (?,?,?)`, false, false},
		{"a one-column key on postgres is one array parameter", PostgresDialect(), users, []any{int64(1), int64(2)},
			`"id" = ANY(?)`, []any{[]int64{1, 2}},
			`DELETE FROM "unit_users" WHERE "id" = ANY($1)`, false, false},
		{"a one-column string key on postgres is one []string parameter", PostgresDialect(), unitModel[unitSpacedOption](t), []any{"a", "b"},
			`"code" = ANY(?)`, []any{[]string{"a", "b"}},
			`DELETE FROM "unit_spaced_options" WHERE "code" = ANY($1)`, false, false},
		{"999 integer keys on postgres are one array parameter", PostgresDialect(), users, intKeys999.keys,
			`"id" = ANY(?)`, []any{unitKeysStep(1, 1, 999)},
			`DELETE FROM "unit_users" WHERE "id" = ANY($1)`, false, false},
		{"1,000 integer keys on postgres are the text of one array in a scalar subquery, hidden from the planner", PostgresDialect(), users, intKeys1000.keys,
			`"id" = ANY((SELECT ?::bigint[])::bigint[])`, []any{"{" + intKeys1000.text + "}"},
			`DELETE FROM "unit_users" WHERE "id" = ANY((SELECT $1::bigint[])::bigint[])`, false, false},
		{"1,000 string keys of a column of unknown type on postgres are one array parameter", PostgresDialect(), unitModel[unitSpacedOption](t), strKeys1000,
			`"code" = ANY(?)`, []any{unitStrings(strKeys1000)},
			`DELETE FROM "unit_spaced_options" WHERE "code" = ANY($1)`, false, false},
		{"a one-column key on postgres without arrays is an IN list with numbered placeholders", PostgresINDialect(), users, []any{int64(1), int64(2)},
			`"id" IN (?,?)`, []any{int64(1), int64(2)},
			`DELETE FROM "unit_users" WHERE "id" IN ($1,$2)`, false, false},
		{"a one-column integer key on mysql is written as literals", MySQLDialect(), users, []any{int64(1), int64(-2)},
			"`id` IN (1,-2)", nil,
			"DELETE FROM `unit_users` WHERE `id` IN (1,-2)", false, false},
		{"more than 1,000 integer keys on mysql, one statement of several, also bound their range", MySQLDialect(), users, spanKeysList.keys,
			"(`id` BETWEEN -1000 AND 1000 AND `id` IN (" + spanKeysList.text + "))", nil,
			"DELETE FROM `unit_users` WHERE (`id` BETWEEN -1000 AND 1000 AND `id` IN (" + spanKeysList.text + "))", true, false},
		{"more than 1,000 integer keys on mysql sent whole are a plain literal list", MySQLDialect(), users, spanKeysList.keys,
			"`id` IN (" + spanKeysList.text + ")", nil,
			"DELETE FROM `unit_users` WHERE `id` IN (" + spanKeysList.text + ")", false, false},
		{"more than 100 keys of a unique key on mysql, under three integers of range per key, scan their range", MySQLDialect(), users, spanKeysList.keys,
			"(`id` BETWEEN -1000 AND 1000 AND `id` + 0 IN (" + spanKeysList.text + "))", nil,
			"DELETE FROM `unit_users` WHERE (`id` BETWEEN -1000 AND 1000 AND `id` + 0 IN (" + spanKeysList.text + "))", false, true},
		{"dense keys one statement of several scan their range too", MySQLDialect(), users, spanKeysList.keys,
			"(`id` BETWEEN -1000 AND 1000 AND `id` + 0 IN (" + spanKeysList.text + "))", nil,
			"DELETE FROM `unit_users` WHERE (`id` BETWEEN -1000 AND 1000 AND `id` + 0 IN (" + spanKeysList.text + "))", true, true},
		{"101 unique keys every third integer are dense", MySQLDialect(), users, intKeys3.keys,
			"(`id` BETWEEN 10 AND 310 AND `id` + 0 IN (" + intKeys3.text + "))", nil,
			"DELETE FROM `unit_users` WHERE (`id` BETWEEN 10 AND 310 AND `id` + 0 IN (" + intKeys3.text + "))", false, true},
		{"101 unique keys every fourth integer are a plain literal list", MySQLDialect(), users, intKeys4.keys,
			"`id` IN (" + intKeys4.text + ")", nil,
			"DELETE FROM `unit_users` WHERE `id` IN (" + intKeys4.text + ")", false, true},
		{"100 consecutive unique keys are a plain literal list", MySQLDialect(), users, intKeys100.keys,
			"`id` IN (" + intKeys100.text + ")", nil,
			"DELETE FROM `unit_users` WHERE `id` IN (" + intKeys100.text + ")", false, true},
		{"unique keys spanning all of int64 are a plain literal list", MySQLDialect(), users, intKeysWide.keys,
			"`id` IN (" + intKeysWide.text + ")", nil,
			"DELETE FROM `unit_users` WHERE `id` IN (" + intKeysWide.text + ")", false, true},
		{"a one-column string key on mysql is bound parameters", MySQLDialect(), unitModel[unitSpacedOption](t), []any{"a"},
			"`code` IN (?)", []any{"a"},
			"DELETE FROM `unit_spaced_options` WHERE `code` IN (?)", false, false},
		{"a composite key on sqlite is matched as a VALUES list of row values", SQLiteDialect(), members,
			[]any{[]any{int64(1), int64(2)}, []any{int64(3), int64(4)}},
			`("team_id", "user_id") IN (VALUES (?,?), (?,?))`, []any{int64(1), int64(2), int64(3), int64(4)},
			`DELETE FROM "unit_memberships" WHERE ("team_id", "user_id") IN (VALUES (?,?), (?,?))`, false, false},
		{"an integer composite key on postgres travels as one array per column", PostgresDialect(), members,
			[]any{[]any{int64(1), int64(2)}, []any{int64(3), int64(4)}},
			`("team_id", "user_id") IN (SELECT * FROM unnest(?::bigint[], ?::bigint[]))`, []any{[]int64{1, 3}, []int64{2, 4}},
			`DELETE FROM "unit_memberships" WHERE ("team_id", "user_id") IN (SELECT * FROM unnest($1::bigint[], $2::bigint[]))`, false, false},
		{"a composite key on postgres without arrays is matched as row values", PostgresINDialect(), members,
			[]any{[]any{int64(1), int64(2)}},
			`("team_id", "user_id") IN ((?,?))`, []any{int64(1), int64(2)},
			`DELETE FROM "unit_memberships" WHERE ("team_id", "user_id") IN (($1,$2))`, false, false},
		{"an integer composite key on mysql is written as literal row values", MySQLDialect(), members,
			[]any{[]any{int64(5), int64(6)}, []any{int64(7), int64(8)}},
			"(`team_id`, `user_id`) IN ((5,6),(7,8))", nil,
			"DELETE FROM `unit_memberships` WHERE (`team_id`, `user_id`) IN ((5,6),(7,8))", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotSQL, gotArgs := unitKeyCondition(t, tt.d, tt.m, tt.keys, tt.part, tt.scan)
			if gotSQL != tt.wantSQL {
				t.Errorf("SQL = %s\n want %s", gotSQL, tt.wantSQL)
			}
			if !reflect.DeepEqual(gotArgs, tt.wantArgs) {
				t.Errorf("args = %#v, want %#v", gotArgs, tt.wantArgs)
			}
			stmt, args, err := unitDeleteSQL(tt.d, tt.m, gotSQL, gotArgs).ToSql()
			if err != nil {
				t.Fatalf("deleteSQL: %v", err)
			}
			if stmt != tt.wantStmt {
				t.Errorf("statement = %s\n      want %s", stmt, tt.wantStmt)
			}
			if !reflect.DeepEqual(args, tt.wantArgs) {
				t.Errorf("statement args = %#v, want %#v", args, tt.wantArgs)
			}
		})
	}
}

func TestDialectQuote(t *testing.T) {
	tests := []struct {
		name  string
		d     *Dialect
		ident string
		want  string
	}{
		{"sqlite wraps a name in double quotes", SQLiteDialect(), "users", `"users"`},
		{"sqlite doubles an embedded double quote", SQLiteDialect(), `we"ird`, `"we""ird"`},
		{"postgres doubles every embedded double quote", PostgresDialect(), `a"b"c`, `"a""b""c"`},
		{"postgres leaves a backtick alone", PostgresDialect(), "a`b", "\"a`b\""},
		{"mysql wraps a name in backticks", MySQLDialect(), "users", "`users`"},
		{"mysql doubles an embedded backtick", MySQLDialect(), "we`ird", "`we``ird`"},
		{"mysql leaves a double quote alone", MySQLDialect(), `a"b`, "`a\"b`"},
		{"an empty name is still quoted", SQLiteDialect(), "", `""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.Quote(tt.ident); got != tt.want {
				t.Errorf("%s.Quote(%q) = %s, want %s", tt.d, tt.ident, got, tt.want)
			}
		})
	}
	t.Run("quoteAll quotes each name in order", func(t *testing.T) {
		got := MySQLDialect().quoteAll([]string{"a", "b`c"})
		if want := []string{"`a`", "`b``c`"}; !reflect.DeepEqual(got, want) {
			t.Errorf("quoteAll = %q, want %q", got, want)
		}
	})
}

func TestDialectNames(t *testing.T) {
	tests := []struct {
		d    *Dialect
		want string
	}{
		{SQLiteDialect(), "sqlite"},
		{PostgresDialect(), "postgres"},
		{PostgresINDialect(), "postgres"},
		{MySQLDialect(), "mysql"},
	}
	for _, tt := range tests {
		t.Run("the "+tt.want+" dialect is named "+tt.want, func(t *testing.T) {
			if got := tt.d.Name(); got != tt.want {
				t.Errorf("Name() = %q, want %q", got, tt.want)
			}
			if got := tt.d.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestKeysPerStatement(t *testing.T) {
	tests := []struct {
		name    string
		d       *Dialect
		shape   keyShape
		columns int
		batch   int
		want    int
		other   int
	}{
		{"sqlite defaults to 500 keys", SQLiteDialect(), shapeParams, 1, 0, 500, 0},
		{"sqlite sends 1000 keys per JSON array", SQLiteDialect(), shapeJSON, 1, 0, 1000, 0},
		{"sqlite keeps a chosen batch size for JSON arrays, past the parameter limit", SQLiteDialect(), shapeJSON, 1, 40000, 40000, 3},
		{"postgres sends every one-column key in one array", PostgresDialect(), shapeArray, 1, 0, math.MaxInt, 0},
		{"postgres sends every composite key in one array per column", PostgresDialect(), shapeUnnest, 2, 0, math.MaxInt, 0},
		{"postgres keeps a chosen batch size for arrays", PostgresDialect(), shapeArray, 1, 700, 700, 0},
		{"postgres defaults to 1000 composite keys as row values", PostgresDialect(), shapeParams, 2, 0, 1000, 0},
		{"postgres without arrays defaults to 1000 keys", PostgresINDialect(), shapeParams, 1, 0, 1000, 0},
		{"postgres without arrays caps a one-column key at 65535 parameters", PostgresINDialect(), shapeParams, 1, 100000, 65535, 0},
		{"mysql defaults to 5000 keys as parameters", MySQLDialect(), shapeParams, 2, 0, 5000, 0},
		{"mysql writes 50000 integer keys as literals in one statement", MySQLDialect(), shapeLiterals, 1, 0, 50000, 0},
		{"mysql keeps a chosen batch size for literals, past the parameter limit", MySQLDialect(), shapeLiterals, 1, 100000, 100000, 0},
		{"a small batch size is kept", MySQLDialect(), shapeParams, 3, 50, 50, 0},
		{"sqlite caps a one-column key at 32766 parameters", SQLiteDialect(), shapeParams, 1, 40000, 32766, 0},
		{"sqlite caps a 3-column key at 32766/3 keys", SQLiteDialect(), shapeParams, 3, 20000, 10922, 0},
		{"postgres caps a 2-column key at 1000 row values whatever the batch size", PostgresINDialect(), shapeParams, 2, 100000, 1000, 0},
		{"postgres keeps a smaller batch of composite keys", PostgresINDialect(), shapeParams, 2, 300, 300, 0},
		{"mysql caps a 4-column key at 65535/4 keys", MySQLDialect(), shapeParams, 4, 1 << 20, 16383, 0},
		{"a batch exactly at the limit is kept", SQLiteDialect(), shapeParams, 2, 16383, 16383, 0},
		{"sqlite leaves room for a scope's parameter", SQLiteDialect(), shapeParams, 1, 40000, 32765, 1},
		{"sqlite leaves room for 3 other parameters under 2-column keys", SQLiteDialect(), shapeParams, 2, 40000, 16381, 3},
		{"other parameters do not limit arrays", PostgresDialect(), shapeArray, 1, 0, math.MaxInt, 3},
		{"other parameters do not limit literals", MySQLDialect(), shapeLiterals, 1, 100000, 100000, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.d.keysPerStatement(tt.shape, tt.columns, tt.batch, tt.other)
			if got != tt.want {
				t.Fatalf("%s.keysPerStatement(%d, %d, %d, %d) = %d, want %d", tt.d, tt.shape, tt.columns, tt.batch, tt.other, got, tt.want)
			}
			if tt.shape == shapeParams && got*tt.columns+tt.other > tt.d.maxParams {
				t.Errorf("%d keys of %d columns and %d others need %d parameters, over %s's %d", got, tt.columns, tt.other, got*tt.columns+tt.other, tt.d, tt.d.maxParams)
			}
		})
	}
}

// unitIdentModel returns model metadata with the given table and column.
func unitIdentModel(table, column string) *model {
	f := &field{name: "X", column: column, typ: reflect.TypeFor[int64]()}
	return &model{typ: reflect.TypeFor[unitUser](), table: table, fields: []*field{f}, pk: []*field{f},
		byColumn: map[string]*field{column: f}}
}

func TestCheckIdent(t *testing.T) {
	tests := []struct {
		name      string
		d         *Dialect
		m         *model
		fragments []string // nil: accepted
	}{
		{"postgres accepts a 63-byte column", PostgresDialect(), unitIdentModel("t", strings.Repeat("c", 63)), nil},
		{"postgres rejects a 64-byte column", PostgresDialect(), unitIdentModel("t", strings.Repeat("c", 64)),
			[]string{"typeddelete.unitUser", `identifier "` + strings.Repeat("c", 64) + `" is 64 bytes, postgres allows 63`}},
		{"postgres rejects a 64-byte table name", PostgresDialect(), unitIdentModel(strings.Repeat("t", 64), "c"),
			[]string{`identifier "` + strings.Repeat("t", 64) + `" is 64 bytes, postgres allows 63`}},
		{"postgres counts bytes, so 32 two-byte letters are too long", PostgresDialect(), unitIdentModel("t", strings.Repeat("é", 32)),
			[]string{"is 64 bytes, postgres allows 63"}},
		{"mysql accepts a 64-byte column", MySQLDialect(), unitIdentModel("t", strings.Repeat("c", 64)), nil},
		{"mysql rejects a 65-byte column", MySQLDialect(), unitIdentModel("t", strings.Repeat("c", 65)),
			[]string{`"` + strings.Repeat("c", 65) + `" is 65 `, "mysql allows 64"}},
		{"mysql rejects a 65-byte table name", MySQLDialect(), unitIdentModel(strings.Repeat("t", 65), "c"),
			[]string{`"` + strings.Repeat("t", 65) + `" is 65 `, "mysql allows 64"}},
		// MySQL and MariaDB limit identifiers to 64 characters, not bytes.
		{"mysql accepts 64 two-byte letters, which are 64 characters", MySQLDialect(), unitIdentModel("t", strings.Repeat("é", 64)), nil},
		{"sqlite accepts a 65-byte column", SQLiteDialect(), unitIdentModel("t", strings.Repeat("c", 65)), nil},
		{"sqlite accepts a 1000-byte table name", SQLiteDialect(), unitIdentModel(strings.Repeat("t", 1000), "c"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.d.checkIdent(tt.m)
			if tt.fragments == nil {
				if err != nil {
					t.Fatalf("checkIdent: %v", err)
				}
				return
			}
			unitWantErr(t, err, ErrInvalidModel, tt.fragments...)
		})
	}
}

// unitSameDialect reports whether two dialects have the same settings and
// the same catalog queries.
func unitSameDialect(a, b *Dialect) bool {
	if a == nil || b == nil {
		return a == b
	}
	ca, cb := *a, *b
	fa := []*func() sq.SelectBuilder{&ca.fks, &ca.keys, &ca.types, &ca.defaults}
	fb := []*func() sq.SelectBuilder{&cb.fks, &cb.keys, &cb.types, &cb.defaults}
	for i := range fa {
		if (*fa[i] == nil) != (*fb[i] == nil) {
			return false
		}
		if *fa[i] != nil {
			qa, _, _ := (*fa[i])().ToSql()
			qb, _, _ := (*fb[i])().ToSql()
			if qa != qb {
				return false
			}
		}
		*fa[i], *fb[i] = nil, nil
	}
	return reflect.DeepEqual(ca, cb)
}

func TestDialectForPackage(t *testing.T) {
	tests := []struct {
		name string
		path string
		want *Dialect // nil for none
	}{
		{"mattn/go-sqlite3 is sqlite", "github.com/mattn/go-sqlite3", SQLiteDialect()},
		{"modernc.org/sqlite is sqlite", "modernc.org/sqlite", SQLiteDialect()},
		{"ncruces/go-sqlite3 is sqlite", "github.com/ncruces/go-sqlite3/driver", SQLiteDialect()},
		{"pgx v5 stdlib is postgres with arrays", "github.com/jackc/pgx/v5/stdlib", PostgresDialect()},
		{"pgx v4 stdlib is postgres with arrays", "github.com/jackc/pgx/v4/stdlib", PostgresDialect()},
		{"lib/pq is postgres with IN lists", "github.com/lib/pq", PostgresINDialect()},
		{"go-sql-driver/mysql is mysql", "github.com/go-sql-driver/mysql", MySQLDialect()},
		{"pgx itself is no database/sql driver", "github.com/jackc/pgx/v5", nil},
		{"an unknown package is no known driver", "example.com/driver", nil},
		{"the empty path is no known driver", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := dialectForPackage(tt.path)
			if !unitSameDialect(d, tt.want) {
				t.Errorf("dialectForPackage(%q) = %+v, want %+v", tt.path, d, tt.want)
			}
		})
	}
	t.Run("the two postgres dialects differ only in arrays and ORed cascade deletes", func(t *testing.T) {
		a, in := PostgresDialect(), PostgresINDialect()
		if !a.arrays || in.arrays || !a.orDeletes || in.orDeletes {
			t.Fatalf("arrays, orDeletes: PostgresDialect %v %v, PostgresINDialect %v %v; want true true, false false",
				a.arrays, a.orDeletes, in.arrays, in.orDeletes)
		}
		in.arrays, in.orDeletes = true, true
		if !unitSameDialect(a, in) {
			t.Errorf("PostgresDialect %+v and PostgresINDialect %+v differ beyond arrays and orDeletes", a, in)
		}
	})
}

func TestDialectOf(t *testing.T) {
	fake := &unitFakeDriver{}
	tests := []struct {
		name      string
		drv       any
		want      string
		fragments []string // for an error
	}{
		{"the mattn driver is sqlite", &sqlite3.SQLiteDriver{}, "sqlite", nil},
		{"the mattn driver by value is sqlite", sqlite3.SQLiteDriver{}, "sqlite", nil},
		{"a pointer to a pointer to a known driver is followed", func() any { d := &sqlite3.SQLiteDriver{}; return &d }(), "sqlite", nil},
		{"an unknown driver type is named in the error", fake, "",
			[]string{"driver *typeddelete.unitFakeDriver", "typeddelete.WithDialect"}},
		{"nil is an unknown driver", nil, "", []string{"driver <nil>", "WithDialect"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := dialectOf(tt.drv)
			if tt.fragments != nil {
				unitWantErr(t, err, ErrUnknownDialect, tt.fragments...)
				if d != nil {
					t.Errorf("dialect = %s, want nil with the error", d)
				}
				return
			}
			if err != nil {
				t.Fatalf("dialectOf(%T): %v", tt.drv, err)
			}
			if d.Name() != tt.want {
				t.Errorf("dialectOf(%T) = %s, want %s", tt.drv, d, tt.want)
			}
		})
	}
}

// unitFakeConnector opens unitFakeDriver connections.
type unitFakeConnector struct{}

func (unitFakeConnector) Connect(context.Context) (driver.Conn, error) {
	return nil, errors.New("unitFakeConnector")
}
func (unitFakeConnector) Driver() driver.Driver { return unitFakeDriver{} }

// Models with version, soft-delete and deleted-key columns.

type unitVersioned struct {
	ID        int64
	Email     string
	Version   int        `db:"version,version"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
	DeletedID int64      `db:"deleted_id,deletedkey"`
}

type unitNullTimeSoft struct {
	ID        int64
	Rev       uint32       `db:",version"`
	DeletedAt sql.NullTime `db:",softdelete"`
}

type unitPointerVersion struct {
	ID      int64
	Version *int64 `db:",version"`
}

type unitStringVersion struct {
	ID      int64
	Version string `db:",version"`
}

type unitStringSoft struct {
	ID        int64
	DeletedAt string `db:",softdelete"`
}

type unitLoneDeletedKey struct {
	ID        int64
	DeletedID int64 `db:",deletedkey"`
}

type unitCompositeDeletedKey struct {
	A         int64      `db:",pk"`
	B         int64      `db:",pk"`
	DeletedAt *time.Time `db:",softdelete"`
	DeletedID int64      `db:",deletedkey"`
}

type unitKindDeletedKey struct {
	ID        int64
	DeletedAt *time.Time `db:",softdelete"`
	DeletedID string     `db:",deletedkey"`
}

type unitTwoVersions struct {
	ID int64
	V1 int `db:",version"`
	V2 int `db:",version"`
}

type unitVersionKey struct {
	ID int64 `db:",pk,version"`
}

// unitHooked implements BeforeDeleter and AfterDeleter on its pointer.
type unitHooked struct{ ID int64 }

func (*unitHooked) BeforeDelete(context.Context, DBTX) error { return nil }
func (*unitHooked) AfterDelete(context.Context, DBTX) error  { return nil }

func TestSpecialColumns(t *testing.T) {
	column := func(f *field) string {
		if f == nil {
			return ""
		}
		return f.column
	}
	valid := []struct {
		name                           string
		typ                            reflect.Type
		version, softDelete, deletedID string
	}{
		{"version, softdelete and deletedkey tags mark their columns", reflect.TypeFor[unitVersioned](), "version", "deleted_at", "deleted_id"},
		{"a uint32 version and a sql.NullTime soft delete are accepted", reflect.TypeFor[unitNullTimeSoft](), "rev", "deleted_at", ""},
		{"a plain model has no special columns", reflect.TypeFor[unitUser](), "", "", ""},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			m, err := modelFor(tt.typ)
			if err != nil {
				t.Fatalf("modelFor(%s): %v", tt.typ, err)
			}
			if got := column(m.version); got != tt.version {
				t.Errorf("version column = %q, want %q", got, tt.version)
			}
			if got := column(m.softDelete); got != tt.softDelete {
				t.Errorf("soft-delete column = %q, want %q", got, tt.softDelete)
			}
			if got := column(m.deletedKey); got != tt.deletedID {
				t.Errorf("deleted-key column = %q, want %q", got, tt.deletedID)
			}
		})
	}

	invalid := []struct {
		name      string
		typ       reflect.Type
		fragments []string
	}{
		{"a string version is rejected", reflect.TypeFor[unitStringVersion](),
			[]string{"typeddelete.unitStringVersion.Version: a version field must be an integer, not string"}},
		{"a pointer version is rejected, since a NULL version would match no row", reflect.TypeFor[unitPointerVersion](),
			[]string{"typeddelete.unitPointerVersion.Version: a version field must not be a pointer (*int64)"}},
		{"a string soft delete is rejected", reflect.TypeFor[unitStringSoft](),
			[]string{"a soft-delete field must be *time.Time, sql.NullTime, time.Time, an integer (Unix seconds), a pointer to one or sql.NullInt64, not string"}},
		{"a deleted key without a soft delete is rejected", reflect.TypeFor[unitLoneDeletedKey](),
			[]string{"typeddelete.unitLoneDeletedKey.DeletedID: a deletedkey field needs a softdelete field"}},
		{"a deleted key with a composite primary key is rejected", reflect.TypeFor[unitCompositeDeletedKey](),
			[]string{"a deletedkey field needs a one-column primary key"}},
		{"a deleted key of another kind than the key is rejected", reflect.TypeFor[unitKindDeletedKey](),
			[]string{"a deletedkey field must have the primary key's kind (int64)"}},
		{"two version fields are rejected", reflect.TypeFor[unitTwoVersions](),
			[]string{"typeddelete.unitTwoVersions has two version fields"}},
		{"a primary key that is also the version is rejected", reflect.TypeFor[unitVersionKey](),
			[]string{"typeddelete.unitVersionKey.ID: a primary-key field cannot also be version, softdelete or deletedkey"}},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := modelFor(tt.typ)
			unitWantErr(t, err, ErrInvalidModel, tt.fragments...)
		})
	}

	t.Run("hook methods on the pointer are found", func(t *testing.T) {
		if m := unitModel[unitHooked](t); !m.before || !m.after {
			t.Errorf("unitHooked: before %v, after %v; want both true", m.before, m.after)
		}
		if m := unitModel[unitUser](t); m.before || m.after {
			t.Errorf("unitUser: before %v, after %v; want both false", m.before, m.after)
		}
	})
}

func TestRawKeyAcceptsZeroKeys(t *testing.T) {
	tests := []struct {
		name string
		obj  any
		want any
	}{
		{"a zero one-column key is returned", &unitUser{}, int64(0)},
		{"a set one-column key is returned", &unitUser{ID: 3}, int64(3)},
		{"a zero composite key is returned part by part", &unitMembership{}, []any{int64(0), int64(0)}},
		{"a set composite key is returned in column order", &unitMembership{TeamID: 1, UserID: 2}, []any{int64(1), int64(2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, v, err := modelOf(tt.obj)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.rawKey(v); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rawKey = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestNullValue(t *testing.T) {
	five := int64(5)
	tests := []struct {
		name string
		v    any
		want any
	}{
		{"a nil pointer is NULL", (*int64)(nil), nil},
		{"a pointer gives the value it points to", &five, int64(5)},
		{"an invalid sql.NullString is NULL", sql.NullString{}, nil},
		{"a valid sql.NullString gives its string", sql.NullString{String: "a", Valid: true}, "a"},
		{"a valid sql.NullInt64 gives its int64", sql.NullInt64{Int64: 7, Valid: true}, int64(7)},
		{"a plain value is itself", 9, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := nullValue(reflect.ValueOf(tt.v))
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("nullValue(%#v) = %#v, %v; want %#v, nil", tt.v, got, err, tt.want)
			}
		})
	}
}

func TestKeyFromParts(t *testing.T) {
	users := unitModel[unitUser](t)
	members := unitModel[unitMembership](t)
	ptrs := unitModel[unitPtrKey](t)
	codes := unitModel[unitSpacedOption](t)
	tests := []struct {
		name  string
		m     *model
		parts []any
		want  any // nil: not a key
	}{
		{"an int becomes the int64 the key list holds", users, []any{5}, int64(5)},
		{"an int64 stays as it is", users, []any{int64(5)}, int64(5)},
		{"a key field behind a pointer takes the pointed-to type", ptrs, []any{int32(8)}, int64(8)},
		{"each part of a composite key is converted", members, []any{int32(1), uint8(2)}, []any{int64(1), int64(2)}},
		{"a numeric string read from the database converts to an integer key", users, []any{"5"}, int64(5)},
		{"bytes read from the database convert to a string key", codes, []any{[]byte("a")}, "a"},
		{"a NULL part is no key", members, []any{nil, int64(2)}, nil},
		{"a string that is no number is no integer key", users, []any{"x"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.m.keyFromParts(tt.parts)
			if tt.want == nil {
				if ok {
					t.Fatalf("keyFromParts(%#v) = %#v, want no key", tt.parts, got)
				}
				return
			}
			if !ok || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("keyFromParts(%#v) = %#v, %v, want %#v", tt.parts, got, ok, tt.want)
			}
		})
	}
}

func TestQuoteTable(t *testing.T) {
	tests := []struct {
		d    *Dialect
		name string
		want string
	}{
		{SQLiteDialect(), "users", `"users"`},
		{PostgresDialect(), "audit.events", `"audit"."events"`},
		{MySQLDialect(), "shop.orders", "`shop`.`orders`"},
		{PostgresDialect(), `odd"name`, `"odd""name"`},
	}
	for _, tt := range tests {
		t.Run(tt.d.Name()+" quotes "+tt.name, func(t *testing.T) {
			if got := tt.d.quoteTable(tt.name); got != tt.want {
				t.Fatalf("quoteTable(%q) = %s, want %s", tt.name, got, tt.want)
			}
		})
	}
}
