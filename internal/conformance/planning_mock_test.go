package conformance_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/DATA-DOG/go-sqlmock"
	sq "github.com/Masterminds/squirrel"

	"github.com/typeddelete/typeddelete"
)

// The exact statements of the planning suite, per dialect, on sqlmock with
// the foreign keys taken from the declared relations alone
// (WithoutSchemaIntrospection, set by newMockSession).

// planDialects are the dialects the mock cases are written for.
var planDialects = []struct {
	name string
	make func() *typeddelete.Dialect
}{
	{"sqlite", typeddelete.SQLiteDialect},
	{"postgres", typeddelete.PostgresDialect},
	{"mysql", typeddelete.MySQLDialect},
}

// planNow matches the soft-delete timestamp of a Commit: a UTC time.Time
// taken within the last minute.
type planNow struct{}

func (planNow) Match(v driver.Value) bool {
	tm, ok := v.(time.Time)
	return ok && tm.Location() == time.UTC && time.Since(tm) >= 0 && time.Since(tm) < time.Minute
}

// planMockCase is one Commit and what it sends on each dialect.
type planMockCase struct {
	name     string
	register func(t *testing.T, s *typeddelete.Session)
	// sent is everything the mock expects, BEGIN to COMMIT or ROLLBACK,
	// by dialect name; none means nothing at all is sent.
	sent map[string][]mockExpectation
	// check inspects the Commit's error (nil when it must succeed).
	check func(t *testing.T, err error)
	hooks []string // the hook calls, sorted
	after func(t *testing.T, s *typeddelete.Session)
}

// planRunMock runs each case on each dialect of planDialects.
func planRunMock(t *testing.T, cases []planMockCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, d := range planDialects {
				t.Run(d.name, func(t *testing.T) {
					s, mock, log := newMockSession(t, typeddelete.WithDialect(d.make()))
					h := &planHooks{}
					tc.register(t, s)
					mockExpect(mock, tc.sent[d.name]...)
					err := s.Commit(h.with(context.Background()))
					if tc.check == nil {
						mockNoError(t, "Commit", err)
					} else {
						tc.check(t, err)
					}
					mockVerify(t, mock)
					if len(tc.sent[d.name]) == 0 {
						mockNothingSent(t, log)
					}
					if got := h.got(); !slices.Equal(got, tc.hooks) {
						t.Errorf("hook calls = %q, want %q", got, tc.hooks)
					}
					if tc.after != nil {
						tc.after(t, s)
					}
				})
			}
		})
	}
}

// planDeleted fails the test unless LastCommit reports exactly these rows
// deleted per table.
func planDeleted(want map[string]int64) func(t *testing.T, s *typeddelete.Session) {
	return func(t *testing.T, s *typeddelete.Session) {
		t.Helper()
		got := s.LastCommit().Deleted
		for k, v := range got {
			if v == 0 {
				delete(got, k)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("LastCommit().Deleted = %v, want %v", got, want)
		}
	}
}

// planSoftDeleted fails the test unless LastCommit reports exactly these
// rows soft-deleted per table.
func planSoftDeleted(want map[string]int64) func(t *testing.T, s *typeddelete.Session) {
	return func(t *testing.T, s *typeddelete.Session) {
		t.Helper()
		if got := s.LastCommit().SoftDeleted; !reflect.DeepEqual(got, want) {
			t.Errorf("LastCommit().SoftDeleted = %v, want %v", got, want)
		}
	}
}

func planCount(n int64) [][]driver.Value { return [][]driver.Value{{n}} }

func TestPlanningMockForeignKeyOrder(t *testing.T) {
	planRunMock(t, []planMockCase{
		{
			name: "an order registered after its customer is deleted first, from the declared relation",
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planCustomer{ID: 2}))
				planMust(t, "Delete", s.Delete(&planOrder{ID: 20, CustomerID: 2}))
			},
			sent: map[string][]mockExpectation{
				"sqlite": {
					mockBegin{},
					mockExec{query: `DELETE FROM "orders" WHERE "id" IN (?)`, args: mockArgs(20), rows: 1},
					mockQuery{query: `SELECT COUNT(*) FROM "orders" WHERE "customer_id" IN (?)`, args: mockArgs(2), cols: []string{"n"}, rows: planCount(0)},
					mockExec{query: `DELETE FROM "customers" WHERE "id" IN (?)`, args: mockArgs(2), rows: 1},
					mockCommit{},
				},
				"postgres": {
					mockBegin{},
					mockExec{query: `DELETE FROM "orders" WHERE "id" = ANY($1)`, args: mockArgs([]int64{20}), rows: 1},
					mockQuery{query: `SELECT COUNT(*) FROM "orders" WHERE "customer_id" = ANY($1)`, args: mockArgs([]int64{2}), cols: []string{"n"}, rows: planCount(0)},
					mockExec{query: `DELETE FROM "customers" WHERE "id" = ANY($1)`, args: mockArgs([]int64{2}), rows: 1},
					mockCommit{},
				},
				"mysql": {
					mockBegin{},
					mockExec{query: "DELETE FROM `orders` WHERE `id` IN (20)", rows: 1},
					mockQuery{query: "SELECT COUNT(*) FROM `orders` WHERE `customer_id` IN (2)", cols: []string{"n"}, rows: planCount(0)},
					mockExec{query: "DELETE FROM `customers` WHERE `id` IN (2)", rows: 1},
					mockCommit{},
				},
			},
			after: planDeleted(map[string]int64{"orders": 1, "customers": 1}),
		},
		{
			name: "a tree of loaded objects registered root first is deleted leaves first, one level at a time",
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(
					&planCategory{ID: 1},
					&planCategory{ID: 2, ParentID: planI64(1)},
					&planCategory{ID: 3, ParentID: planI64(2)},
				))
			},
			sent: map[string][]mockExpectation{
				// The registered rows are read with their parent_id, then
				// their descendants, until a read finds no new row; rows are
				// deleted so that a row goes before the row it references.
				"sqlite": {
					mockBegin{},
					mockQuery{query: `SELECT "id", "parent_id" FROM "categories" WHERE "id" IN (?,?,?)`, args: mockArgs(1, 2, 3),
						cols: []string{"id", "parent_id"}, rows: [][]driver.Value{{1, nil}, {2, 1}, {3, 2}}},
					mockQuery{query: `SELECT "id", "parent_id" FROM "categories" WHERE "parent_id" IN (?,?,?)`, args: mockArgs(1, 2, 3),
						cols: []string{"id", "parent_id"}, rows: [][]driver.Value{{2, 1}, {3, 2}}},
					mockExec{query: `DELETE FROM "categories" WHERE "id" IN (?)`, args: mockArgs(3), rows: 1},
					mockExec{query: `DELETE FROM "categories" WHERE "id" IN (?)`, args: mockArgs(2), rows: 1, prepared: true},
					mockExec{query: `DELETE FROM "categories" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
					mockCommit{},
				},
				"postgres": {
					mockBegin{},
					mockQuery{query: `SELECT "id", "parent_id" FROM "categories" WHERE "id" = ANY($1) FOR UPDATE`, args: mockArgs([]int64{1, 2, 3}),
						cols: []string{"id", "parent_id"}, rows: [][]driver.Value{{1, nil}, {2, 1}, {3, 2}}},
					mockQuery{query: `SELECT "id", "parent_id" FROM "categories" WHERE "parent_id" = ANY($1) FOR UPDATE`, args: mockArgs([]int64{1, 2, 3}),
						cols: []string{"id", "parent_id"}, rows: [][]driver.Value{{2, 1}, {3, 2}}},
					mockExec{query: `DELETE FROM "categories" WHERE "id" = ANY($1)`, args: mockArgs([]int64{3}), rows: 1},
					mockExec{query: `DELETE FROM "categories" WHERE "id" = ANY($1)`, args: mockArgs([]int64{2}), rows: 1, prepared: true},
					mockExec{query: `DELETE FROM "categories" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
					mockCommit{},
				},
				"mysql": {
					mockBegin{},
					mockQuery{query: "SELECT `id`, `parent_id` FROM `categories` WHERE `id` IN (1,2,3) FOR UPDATE",
						cols: []string{"id", "parent_id"}, rows: [][]driver.Value{{1, nil}, {2, 1}, {3, 2}}},
					mockQuery{query: "SELECT `id`, `parent_id` FROM `categories` WHERE `parent_id` IN (1,2,3) FOR UPDATE",
						cols: []string{"id", "parent_id"}, rows: [][]driver.Value{{2, 1}, {3, 2}}},
					mockExec{query: "DELETE FROM `categories` WHERE `id` IN (3)", rows: 1},
					mockExec{query: "DELETE FROM `categories` WHERE `id` IN (2)", rows: 1},
					mockExec{query: "DELETE FROM `categories` WHERE `id` IN (1)", rows: 1},
					mockCommit{},
				},
			},
			after: planDeleted(map[string]int64{"categories": 3}),
		},
		{
			name: "declared relations in both directions fail with ErrCycle, naming both tables, and send nothing, not even BEGIN",
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planCycleA{ID: 1}, &planCycleB{ID: 1}))
			},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, typeddelete.ErrCycle) || !strings.Contains(err.Error(), `"cycle_a"`) || !strings.Contains(err.Error(), `"cycle_b"`) {
					t.Errorf("Commit error = %v, want ErrCycle naming cycle_a and cycle_b", err)
				}
			},
		},
	})
}

func TestPlanningMockPolicies(t *testing.T) {
	restricted := func(t *testing.T, err error) {
		var re *typeddelete.RestrictError
		if !errors.As(err, &re) || !errors.Is(err, typeddelete.ErrRestricted) {
			t.Fatalf("Commit error = %v, want a *RestrictError", err)
		}
		if want := (typeddelete.RestrictError{Parent: "customers", Child: "orders", Count: 3, Policy: typeddelete.Restrict}); *re != want {
			t.Errorf("RestrictError = %+v, want %+v", *re, want)
		}
	}
	planRunMock(t, []planMockCase{
		{
			name: "Cascade reads the keys of the middle table, then sends one DELETE per table, grandchildren first",
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planTeam{ID: 1}))
			},
			sent: map[string][]mockExpectation{
				"sqlite": {
					mockBegin{},
					mockQuery{query: `SELECT "id" FROM "projects" WHERE "team_id" IN (?)`, args: mockArgs(1), cols: []string{"id"}, rows: [][]driver.Value{{10}, {11}}},
					mockExec{query: `DELETE FROM "tasks" WHERE "project_id" IN (?,?)`, args: mockArgs(10, 11), rows: 3},
					mockExec{query: `DELETE FROM "projects" WHERE "id" IN (?,?)`, args: mockArgs(10, 11), rows: 2},
					mockExec{query: `DELETE FROM "teams" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
					mockCommit{},
				},
				"postgres": {
					mockBegin{},
					mockQuery{query: `SELECT "id" FROM "projects" WHERE "team_id" = ANY($1) FOR UPDATE`, args: mockArgs([]int64{1}), cols: []string{"id"}, rows: [][]driver.Value{{10}, {11}}},
					mockExec{query: `DELETE FROM "tasks" WHERE "project_id" = ANY($1)`, args: mockArgs([]int64{10, 11}), rows: 3},
					mockExec{query: `DELETE FROM "projects" WHERE "id" = ANY($1)`, args: mockArgs([]int64{10, 11}), rows: 2},
					mockExec{query: `DELETE FROM "teams" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
					mockCommit{},
				},
				"mysql": {
					mockBegin{},
					mockQuery{query: "SELECT `id` FROM `projects` WHERE `team_id` IN (1) FOR UPDATE", cols: []string{"id"}, rows: [][]driver.Value{{10}, {11}}},
					mockExec{query: "DELETE FROM `tasks` WHERE `project_id` IN (10,11)", rows: 3},
					mockExec{query: "DELETE FROM `projects` WHERE `id` IN (10,11)", rows: 2},
					mockExec{query: "DELETE FROM `teams` WHERE `id` IN (1)", rows: 1},
					mockCommit{},
				},
			},
			after: planDeleted(map[string]int64{"teams": 1, "projects": 2, "tasks": 3}),
		},
		{
			name: "a bulk delete with relations reads the keys of its rows first, then acts on exactly those rows",
			register: func(t *testing.T, s *typeddelete.Session) {
				_, err := typeddelete.Query[planTeam](s).FilterBy("name", "red").Delete()
				planMust(t, "Query.Delete", err)
			},
			sent: map[string][]mockExpectation{
				"sqlite": {
					mockBegin{},
					mockQuery{query: `SELECT "id" FROM "teams" WHERE "name" = ?`, args: mockArgs("red"), cols: []string{"id"}, rows: [][]driver.Value{{1}}},
					mockQuery{query: `SELECT "id" FROM "projects" WHERE "team_id" IN (?)`, args: mockArgs(1), cols: []string{"id"}, rows: [][]driver.Value{{10}, {11}}},
					mockExec{query: `DELETE FROM "tasks" WHERE "project_id" IN (?,?)`, args: mockArgs(10, 11), rows: 3},
					mockExec{query: `DELETE FROM "projects" WHERE "id" IN (?,?)`, args: mockArgs(10, 11), rows: 2},
					mockExec{query: `DELETE FROM "teams" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
					mockCommit{},
				},
				"postgres": {
					mockBegin{},
					mockQuery{query: `SELECT "id" FROM "teams" WHERE "name" = $1 FOR UPDATE`, args: mockArgs("red"), cols: []string{"id"}, rows: [][]driver.Value{{1}}},
					mockQuery{query: `SELECT "id" FROM "projects" WHERE "team_id" = ANY($1) FOR UPDATE`, args: mockArgs([]int64{1}), cols: []string{"id"}, rows: [][]driver.Value{{10}, {11}}},
					mockExec{query: `DELETE FROM "tasks" WHERE "project_id" = ANY($1)`, args: mockArgs([]int64{10, 11}), rows: 3},
					mockExec{query: `DELETE FROM "projects" WHERE "id" = ANY($1)`, args: mockArgs([]int64{10, 11}), rows: 2},
					mockExec{query: `DELETE FROM "teams" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
					mockCommit{},
				},
				"mysql": {
					mockBegin{},
					mockQuery{query: "SELECT `id` FROM `teams` WHERE `name` = ? FOR UPDATE", args: mockArgs("red"), cols: []string{"id"}, rows: [][]driver.Value{{1}}},
					mockQuery{query: "SELECT `id` FROM `projects` WHERE `team_id` IN (1) FOR UPDATE", cols: []string{"id"}, rows: [][]driver.Value{{10}, {11}}},
					mockExec{query: "DELETE FROM `tasks` WHERE `project_id` IN (10,11)", rows: 3},
					mockExec{query: "DELETE FROM `projects` WHERE `id` IN (10,11)", rows: 2},
					mockExec{query: "DELETE FROM `teams` WHERE `id` IN (1)", rows: 1},
					mockCommit{},
				},
			},
			after: planDeleted(map[string]int64{"teams": 1, "projects": 2, "tasks": 3}),
		},
		{
			name: "SetNull sends one UPDATE of the children, then one DELETE of the parent",
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planAuthor{ID: 1}))
			},
			sent: map[string][]mockExpectation{
				"sqlite": {
					mockBegin{},
					mockExec{query: `UPDATE "books" SET "author_id" = ? WHERE "author_id" IN (?)`, args: mockArgs(nil, 1), rows: 2},
					mockExec{query: `DELETE FROM "authors" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
					mockCommit{},
				},
				"postgres": {
					mockBegin{},
					mockExec{query: `UPDATE "books" SET "author_id" = $1 WHERE "author_id" = ANY($2)`, args: mockArgs(nil, []int64{1}), rows: 2},
					mockExec{query: `DELETE FROM "authors" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
					mockCommit{},
				},
				"mysql": {
					mockBegin{},
					mockExec{query: "UPDATE `books` SET `author_id` = ? WHERE `author_id` IN (1)", args: mockArgs(nil), rows: 2},
					mockExec{query: "DELETE FROM `authors` WHERE `id` IN (1)", rows: 1},
					mockCommit{},
				},
			},
			after: planDeleted(map[string]int64{"authors": 1}),
		},
		{
			name: "Restrict sends the COUNT and then nothing but ROLLBACK",
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planCustomer{ID: 1}))
			},
			sent: map[string][]mockExpectation{
				"sqlite": {
					mockBegin{},
					mockQuery{query: `SELECT COUNT(*) FROM "orders" WHERE "customer_id" IN (?)`, args: mockArgs(1), cols: []string{"n"}, rows: planCount(3)},
					mockRollback{},
				},
				"postgres": {
					mockBegin{},
					mockQuery{query: `SELECT COUNT(*) FROM "orders" WHERE "customer_id" = ANY($1)`, args: mockArgs([]int64{1}), cols: []string{"n"}, rows: planCount(3)},
					mockRollback{},
				},
				"mysql": {
					mockBegin{},
					mockQuery{query: "SELECT COUNT(*) FROM `orders` WHERE `customer_id` IN (1)", cols: []string{"n"}, rows: planCount(3)},
					mockRollback{},
				},
			},
			check: restricted,
		},
		{
			name: "Database sends only the parent's DELETE",
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planFolder{ID: 1}))
			},
			sent: map[string][]mockExpectation{
				"sqlite":   {mockBegin{}, mockExec{query: `DELETE FROM "folders" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1}, mockCommit{}},
				"postgres": {mockBegin{}, mockExec{query: `DELETE FROM "folders" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1}, mockCommit{}},
				"mysql":    {mockBegin{}, mockExec{query: "DELETE FROM `folders` WHERE `id` IN (1)", rows: 1}, mockCommit{}},
			},
			after: planDeleted(map[string]int64{"folders": 1}),
		},
	})
}

func TestPlanningMockBadDeclarations(t *testing.T) {
	tests := []struct {
		name string
		obj  any
		want error
		text string // part of the message
	}{
		{"an unknown foreign-key column is an invalid relation", &planBadUnknownColumn{ID: 1}, typeddelete.ErrInvalidRelation, `"nope" is not a column`},
		{"two policies on one relation are an invalid relation", &planBadTwoPolicies{ID: 1}, typeddelete.ErrInvalidRelation, "declared twice"},
		{"SetNull on an int64 column is an invalid relation", &planBadSetNullInt{ID: 1}, typeddelete.ErrInvalidRelation, "cannot hold NULL"},
		{"SetNull on a primary-key column is an invalid relation", &planBadSetNullKey{ID: 1}, typeddelete.ErrInvalidRelation, "part of the primary key"},
		{"two foreign-key columns for a one-column key are an invalid relation", &planBadColumnCount{ID: 1}, typeddelete.ErrInvalidRelation, "2 foreign-key column(s)"},
		{"the zero Relation is an invalid relation", &planBadZeroRelation{ID: 1}, typeddelete.ErrInvalidRelation, "zero Relation"},
		{"a policy that is not one of the four is an invalid relation", &planBadPolicy{ID: 1}, typeddelete.ErrInvalidRelation, "no valid OnDelete policy"},
		{"a child that is not a valid model is an invalid relation", &planBadChildModel{ID: 1}, typeddelete.ErrInvalidModel, "version field must be an integer"},
		{"a string version field is an invalid model", &planBadVersionString{ID: 1}, typeddelete.ErrInvalidModel, "version field must be an integer"},
		{"a string soft-delete field is an invalid model", &planBadSoftDeleteString{ID: 1}, typeddelete.ErrInvalidModel, "a soft-delete field must be *time.Time, sql.NullTime, time.Time, an integer"},
		{"two version fields are an invalid model", &planBadTwoVersions{ID: 1}, typeddelete.ErrInvalidModel, "two version fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name+", reported by Session.Delete and Query without a panic, and nothing is sent", func(t *testing.T) {
			s, mock, log := newMockSession(t)
			err := s.Delete(tt.obj)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("Delete error = %v, want %v containing %q", err, tt.want, tt.text)
			}
			qerr := planQueryDelete(s, tt.obj)
			if !errors.Is(qerr, tt.want) {
				t.Errorf("Query.Delete error = %v, want %v", qerr, tt.want)
			}
			mockPending(t, s, 0, 0)
			mockNoError(t, "Commit", s.Commit(context.Background()))
			mockVerify(t, mock)
			mockNothingSent(t, log)
		})
	}

	t.Run("a parent whose child declares a bad relation fails the Commit with ErrInvalidRelation and sends nothing", func(t *testing.T) {
		s, mock, log := newMockSession(t)
		planMust(t, "Delete", s.Delete(&planBadGrandparent{ID: 1}))
		if err := s.Commit(context.Background()); !errors.Is(err, typeddelete.ErrInvalidRelation) {
			t.Errorf("Commit error = %v, want ErrInvalidRelation", err)
		}
		mockVerify(t, mock)
		mockNothingSent(t, log)
	})
}

// planQueryDelete registers a bulk delete of the row of obj's type with
// id 1 and returns the error.
func planQueryDelete(s *typeddelete.Session, obj any) error {
	var err error
	switch obj.(type) {
	case *planBadUnknownColumn:
		_, err = typeddelete.Query[planBadUnknownColumn](s).FilterBy("id", int64(1)).Delete()
	case *planBadTwoPolicies:
		_, err = typeddelete.Query[planBadTwoPolicies](s).FilterBy("id", int64(1)).Delete()
	case *planBadSetNullInt:
		_, err = typeddelete.Query[planBadSetNullInt](s).FilterBy("id", int64(1)).Delete()
	case *planBadSetNullKey:
		_, err = typeddelete.Query[planBadSetNullKey](s).FilterBy("id", int64(1)).Delete()
	case *planBadColumnCount:
		_, err = typeddelete.Query[planBadColumnCount](s).FilterBy("id", int64(1)).Delete()
	case *planBadZeroRelation:
		_, err = typeddelete.Query[planBadZeroRelation](s).FilterBy("id", int64(1)).Delete()
	case *planBadPolicy:
		_, err = typeddelete.Query[planBadPolicy](s).FilterBy("id", int64(1)).Delete()
	case *planBadChildModel:
		_, err = typeddelete.Query[planBadChildModel](s).FilterBy("id", int64(1)).Delete()
	case *planBadVersionString:
		_, err = typeddelete.Query[planBadVersionString](s).FilterBy("id", int64(1)).Delete()
	case *planBadSoftDeleteString:
		_, err = typeddelete.Query[planBadSoftDeleteString](s).FilterBy("id", int64(1)).Delete()
	case *planBadTwoVersions:
		_, err = typeddelete.Query[planBadTwoVersions](s).FilterBy("id", int64(1)).Delete()
	default:
		panic("planQueryDelete: no case for " + reflect.TypeOf(obj).String())
	}
	return err
}

// Models with bad declarations. Their tables never exist: nothing is sent.

type planBadUnknownColumn struct {
	ID      int64 `db:"id,pk"`
	OwnerID int64 `db:"owner_id"`
}

func (planBadUnknownColumn) TableName() string { return "bad_unknown" }
func (planBadUnknownColumn) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[planTask](typeddelete.Cascade, "nope")}
}

type planBadTwoPolicies struct {
	ID int64 `db:"id,pk"`
}

func (planBadTwoPolicies) TableName() string { return "bad_two" }
func (planBadTwoPolicies) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[planTask](typeddelete.Cascade, "project_id"),
		typeddelete.HasMany[planTask](typeddelete.Restrict, "project_id"),
	}
}

type planBadSetNullInt struct {
	ID int64 `db:"id,pk"`
}

func (planBadSetNullInt) TableName() string { return "bad_setnull" }
func (planBadSetNullInt) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[planTask](typeddelete.SetNull, "project_id")}
}

// planBadKeyChild has a nullable column in its composite primary key.
type planBadKeyChild struct {
	ParentID *int64 `db:"parent_id,pk"`
	N        int64  `db:"n,pk"`
}

func (planBadKeyChild) TableName() string { return "bad_key_children" }

type planBadSetNullKey struct {
	ID int64 `db:"id,pk"`
}

func (planBadSetNullKey) TableName() string { return "bad_setnull_key" }
func (planBadSetNullKey) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[planBadKeyChild](typeddelete.SetNull, "parent_id")}
}

type planBadColumnCount struct {
	ID int64 `db:"id,pk"`
}

func (planBadColumnCount) TableName() string { return "bad_count" }
func (planBadColumnCount) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[planTask](typeddelete.Cascade, "project_id", "title")}
}

type planBadZeroRelation struct {
	ID int64 `db:"id,pk"`
}

func (planBadZeroRelation) TableName() string { return "bad_zero" }
func (planBadZeroRelation) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{{}}
}

type planBadPolicy struct {
	ID int64 `db:"id,pk"`
}

func (planBadPolicy) TableName() string { return "bad_policy" }
func (planBadPolicy) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[planTask](typeddelete.OnDelete(0), "project_id")}
}

type planBadChildModel struct {
	ID int64 `db:"id,pk"`
}

func (planBadChildModel) TableName() string { return "bad_child" }
func (planBadChildModel) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[planBadVersionString](typeddelete.Cascade, "v")}
}

type planBadVersionString struct {
	ID int64  `db:"id,pk"`
	V  string `db:"v,version"`
}

func (planBadVersionString) TableName() string { return "bad_version" }

type planBadSoftDeleteString struct {
	ID        int64  `db:"id,pk"`
	DeletedAt string `db:"deleted_at,softdelete"`
}

func (planBadSoftDeleteString) TableName() string { return "bad_soft" }

type planBadTwoVersions struct {
	ID int64 `db:"id,pk"`
	V1 int64 `db:"v1,version"`
	V2 int64 `db:"v2,version"`
}

func (planBadTwoVersions) TableName() string { return "bad_versions" }

// planBadGrandparent is valid itself; its child's relations are not.
type planBadGrandparent struct {
	ID int64 `db:"id,pk"`
}

func (planBadGrandparent) TableName() string { return "bad_grandparents" }
func (planBadGrandparent) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[planBadUnknownColumn](typeddelete.Cascade, "owner_id")}
}

func TestPlanningMockVersions(t *testing.T) {
	stale := func(t *testing.T, err error) {
		var se *typeddelete.StaleDataError
		if !errors.As(err, &se) || !errors.Is(err, typeddelete.ErrVersionConflict) || !errors.Is(err, typeddelete.ErrStaleData) {
			t.Fatalf("Commit error = %v, want a version conflict", err)
		}
		if want := (typeddelete.StaleDataError{Table: "docs", Keys: [][]any{{int64(2)}}, Version: true}); !reflect.DeepEqual(*se, want) {
			t.Errorf("StaleDataError = %+v, want %+v", *se, want)
		}
	}
	register := func(t *testing.T, s *typeddelete.Session) {
		d2 := &planDoc{ID: 2, Version: 3}
		planMust(t, "Delete", s.Delete(d2, &planDoc{ID: 1, Version: 1}))
		d2.Version = 4 // read at Delete: this changes nothing
	}
	planRunMock(t, []planMockCase{
		{
			name:     "versioned rows are matched by (key, version) as registered",
			register: register,
			sent: map[string][]mockExpectation{
				"sqlite": {
					mockBegin{},
					mockExec{query: `DELETE FROM "docs" WHERE ("id", "version") IN (VALUES (?,?), (?,?))`, args: mockArgs(1, 1, 2, 3), rows: 2},
					mockCommit{},
				},
				"postgres": {
					mockBegin{},
					mockExec{query: `DELETE FROM "docs" USING unnest($1::bigint[], $2::bigint[]) AS "k" ("k1", "k2") WHERE "id" = "k"."k1" AND "version" = "k"."k2"`, args: mockArgs([]int64{1, 2}, []int64{1, 3}), rows: 2},
					mockCommit{},
				},
				"mysql": {
					mockBegin{},
					mockExec{query: "DELETE FROM `docs` WHERE (`id`, `version`) IN ((1,1),(2,3))", rows: 2},
					mockCommit{},
				},
			},
			after: planDeleted(map[string]int64{"docs": 2}),
		},
		{
			name:     "one stale row rolls back, is found exactly in a second run, and fails the Commit",
			register: register,
			sent: map[string][]mockExpectation{
				"sqlite": {
					mockBegin{},
					mockExec{query: `DELETE FROM "docs" WHERE ("id", "version") IN (VALUES (?,?), (?,?))`, args: mockArgs(1, 1, 2, 3), rows: 1},
					mockRollback{},
					mockBegin{},
					mockQuery{query: `SELECT "id" FROM "docs" WHERE ("id", "version") IN (VALUES (?,?), (?,?))`, args: mockArgs(1, 1, 2, 3), cols: []string{"id"}, rows: [][]driver.Value{{1}}},
					mockExec{query: `DELETE FROM "docs" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
					mockRollback{},
				},
				"postgres": {
					mockBegin{},
					mockExec{query: `DELETE FROM "docs" USING unnest($1::bigint[], $2::bigint[]) AS "k" ("k1", "k2") WHERE "id" = "k"."k1" AND "version" = "k"."k2"`, args: mockArgs([]int64{1, 2}, []int64{1, 3}), rows: 1},
					mockRollback{},
					mockBegin{},
					mockQuery{query: `SELECT "id" FROM "docs" WHERE ("id", "version") IN (SELECT * FROM unnest($1::bigint[], $2::bigint[])) FOR UPDATE`, args: mockArgs([]int64{1, 2}, []int64{1, 3}), cols: []string{"id"}, rows: [][]driver.Value{{1}}},
					mockExec{query: `DELETE FROM "docs" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
					mockRollback{},
				},
				"mysql": {
					mockBegin{},
					mockExec{query: "DELETE FROM `docs` WHERE (`id`, `version`) IN ((1,1),(2,3))", rows: 1},
					mockRollback{},
					mockBegin{},
					mockQuery{query: "SELECT `id` FROM `docs` WHERE (`id`, `version`) IN ((1,1),(2,3)) FOR UPDATE", cols: []string{"id"}, rows: [][]driver.Value{{1}}},
					mockExec{query: "DELETE FROM `docs` WHERE `id` IN (1)", rows: 1},
					mockRollback{},
				},
			},
			check: stale,
		},
	})
}

func TestPlanningMockHooks(t *testing.T) {
	shipRows := [][]driver.Value{{1, "ark"}}
	crewRows := [][]driver.Value{{10, 1, "x"}, {11, 1, "y"}}
	planRunMock(t, []planMockCase{
		{
			name: "an object delete reads which rows exist first and runs the hooks only on those",
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planCrew{ID: 21}, &planCrew{ID: 20}))
			},
			sent: map[string][]mockExpectation{
				"sqlite": {
					mockBegin{},
					mockQuery{query: `SELECT "id" FROM "crew" WHERE "id" IN (?,?)`, args: mockArgs(20, 21), cols: []string{"id"}, rows: [][]driver.Value{{20}}},
					mockExec{query: `DELETE FROM "crew" WHERE "id" IN (?)`, args: mockArgs(20), rows: 1},
					mockCommit{},
				},
				"postgres": {
					mockBegin{},
					mockQuery{query: `SELECT "id" FROM "crew" WHERE "id" = ANY($1) FOR UPDATE`, args: mockArgs([]int64{20, 21}), cols: []string{"id"}, rows: [][]driver.Value{{20}}},
					mockExec{query: `DELETE FROM "crew" WHERE "id" = ANY($1)`, args: mockArgs([]int64{20}), rows: 1},
					mockCommit{},
				},
				"mysql": {
					mockBegin{},
					mockQuery{query: "SELECT `id` FROM `crew` WHERE `id` IN (20,21) FOR UPDATE", cols: []string{"id"}, rows: [][]driver.Value{{20}}},
					mockExec{query: "DELETE FROM `crew` WHERE `id` IN (20)", rows: 1},
					mockCommit{},
				},
			},
			hooks: []string{"crew.after 20", "crew.before 20"},
			after: func(t *testing.T, s *typeddelete.Session) {
				if got := planMissing(s.LastCommit()); !slices.Equal(got, []string{"crew:[21]"}) {
					t.Errorf("LastCommit().Missing = %v, want [crew:[21]]", got)
				}
			},
		},
		{
			name: "a bulk delete loads and locks the rows and the cascaded children, runs every hook and deletes by key",
			register: func(t *testing.T, s *typeddelete.Session) {
				_, err := typeddelete.Query[planShip](s).FilterBy("name", "ark").Delete()
				planMust(t, "Query.Delete", err)
			},
			sent: map[string][]mockExpectation{
				"sqlite": {
					mockBegin{},
					mockQuery{query: `SELECT "id", "name" FROM "ships" WHERE "name" = ?`, args: mockArgs("ark"), cols: []string{"id", "name"}, rows: shipRows},
					mockQuery{query: `SELECT "id", "ship_id", "name" FROM "crew" WHERE "ship_id" IN (?)`, args: mockArgs(1), cols: []string{"id", "ship_id", "name"}, rows: crewRows},
					mockExec{query: `DELETE FROM "crew" WHERE "id" IN (?,?)`, args: mockArgs(10, 11), rows: 2},
					mockExec{query: `DELETE FROM "ships" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
					mockCommit{},
				},
				"postgres": {
					mockBegin{},
					mockQuery{query: `SELECT "id", "name" FROM "ships" WHERE "name" = $1 FOR UPDATE`, args: mockArgs("ark"), cols: []string{"id", "name"}, rows: shipRows},
					mockQuery{query: `SELECT "id", "ship_id", "name" FROM "crew" WHERE "ship_id" = ANY($1) FOR UPDATE`, args: mockArgs([]int64{1}), cols: []string{"id", "ship_id", "name"}, rows: crewRows},
					mockExec{query: `DELETE FROM "crew" WHERE "id" = ANY($1)`, args: mockArgs([]int64{10, 11}), rows: 2},
					mockExec{query: `DELETE FROM "ships" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
					mockCommit{},
				},
				"mysql": {
					mockBegin{},
					mockQuery{query: "SELECT `id`, `name` FROM `ships` WHERE `name` = ? FOR UPDATE", args: mockArgs("ark"), cols: []string{"id", "name"}, rows: shipRows},
					mockQuery{query: "SELECT `id`, `ship_id`, `name` FROM `crew` WHERE `ship_id` IN (1) FOR UPDATE", cols: []string{"id", "ship_id", "name"}, rows: crewRows},
					mockExec{query: "DELETE FROM `crew` WHERE `id` IN (10,11)", rows: 2},
					mockExec{query: "DELETE FROM `ships` WHERE `id` IN (1)", rows: 1},
					mockCommit{},
				},
			},
			hooks: []string{"crew.after 10", "crew.after 11", "crew.before 10", "crew.before 11", "ship.after 1", "ship.before 1"},
			after: planDeleted(map[string]int64{"ships": 1, "crew": 2}),
		},
		{
			name: "SkipHooks reads the matched keys, sends the cascade and the delete by key, and runs no hook",
			register: func(t *testing.T, s *typeddelete.Session) {
				_, err := typeddelete.Query[planShip](s).FilterBy("name", "ark").SkipHooks().Delete()
				planMust(t, "Query.Delete", err)
			},
			sent: map[string][]mockExpectation{
				"sqlite": {
					mockBegin{},
					mockQuery{query: `SELECT "id" FROM "ships" WHERE "name" = ?`, args: mockArgs("ark"), cols: []string{"id"}, rows: [][]driver.Value{{1}}},
					mockExec{query: `DELETE FROM "crew" WHERE "ship_id" IN (?)`, args: mockArgs(1), rows: 2},
					mockExec{query: `DELETE FROM "ships" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
					mockCommit{},
				},
				"postgres": {
					mockBegin{},
					mockQuery{query: `SELECT "id" FROM "ships" WHERE "name" = $1 FOR UPDATE`, args: mockArgs("ark"), cols: []string{"id"}, rows: [][]driver.Value{{1}}},
					mockExec{query: `DELETE FROM "crew" WHERE "ship_id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 2},
					mockExec{query: `DELETE FROM "ships" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
					mockCommit{},
				},
				"mysql": {
					mockBegin{},
					mockQuery{query: "SELECT `id` FROM `ships` WHERE `name` = ? FOR UPDATE", args: mockArgs("ark"), cols: []string{"id"}, rows: [][]driver.Value{{1}}},
					mockExec{query: "DELETE FROM `crew` WHERE `ship_id` IN (1)", rows: 2},
					mockExec{query: "DELETE FROM `ships` WHERE `id` IN (1)", rows: 1},
					mockCommit{},
				},
			},
			after: planDeleted(map[string]int64{"ships": 1, "crew": 2}),
		},
	})
}

func TestPlanningMockSoftDelete(t *testing.T) {
	planRunMock(t, []planMockCase{
		{
			// The children are those of the accounts still live: a child of
			// an account soft-deleted earlier is not this delete's.
			name: "Session.Delete reads which rows are live, stamps their soft-deletable children, then the rows and their deleted key",
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planAccount{ID: 1}))
			},
			sent: map[string][]mockExpectation{
				"sqlite": {
					mockBegin{},
					mockQuery{query: `SELECT "id" FROM "accounts" WHERE "id" IN (?) AND "deleted_at" IS NULL`, args: mockArgs(1), cols: []string{"id"}, rows: [][]driver.Value{{1}}},
					mockExec{query: `UPDATE "account_notes" SET "deleted_at" = ? WHERE "account_id" IN (?) AND "deleted_at" IS NULL`, args: mockArgs(planNow{}, 1), rows: 2},
					mockExec{query: `UPDATE "accounts" SET "deleted_at" = ?, "deleted_key" = "id" WHERE "id" IN (?) AND "deleted_at" IS NULL`, args: mockArgs(planNow{}, 1), rows: 1},
					mockCommit{},
				},
				"postgres": {
					mockBegin{},
					mockQuery{query: `SELECT "id" FROM "accounts" WHERE "id" = ANY($1) AND "deleted_at" IS NULL FOR UPDATE`, args: mockArgs([]int64{1}), cols: []string{"id"}, rows: [][]driver.Value{{1}}},
					mockExec{query: `UPDATE "account_notes" SET "deleted_at" = $1 WHERE "account_id" = ANY($2) AND "deleted_at" IS NULL`, args: mockArgs(planNow{}, []int64{1}), rows: 2},
					mockExec{query: `UPDATE "accounts" SET "deleted_at" = $1, "deleted_key" = "id" WHERE "id" = ANY($2) AND "deleted_at" IS NULL`, args: mockArgs(planNow{}, []int64{1}), rows: 1},
					mockCommit{},
				},
				"mysql": {
					mockBegin{},
					mockQuery{query: "SELECT `id` FROM `accounts` WHERE `id` IN (1) AND `deleted_at` IS NULL FOR UPDATE", cols: []string{"id"}, rows: [][]driver.Value{{1}}},
					mockExec{query: "UPDATE `account_notes` SET `deleted_at` = ? WHERE `account_id` IN (1) AND `deleted_at` IS NULL", args: mockArgs(planNow{}), rows: 2},
					mockExec{query: "UPDATE `accounts` SET `deleted_at` = ?, `deleted_key` = `id` WHERE `id` IN (1) AND `deleted_at` IS NULL", args: mockArgs(planNow{}), rows: 1},
					mockCommit{},
				},
			},
			after: planSoftDeleted(map[string]int64{"accounts": 1, "account_notes": 2}),
		},
		{
			name: "Session.Delete of a soft-deleted row sends no soft delete of its children",
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planAccount{ID: 1}))
			},
			sent: map[string][]mockExpectation{
				"sqlite": {
					mockBegin{},
					mockQuery{query: `SELECT "id" FROM "accounts" WHERE "id" IN (?) AND "deleted_at" IS NULL`, args: mockArgs(1), cols: []string{"id"}},
					mockCommit{},
				},
				"postgres": {
					mockBegin{},
					mockQuery{query: `SELECT "id" FROM "accounts" WHERE "id" = ANY($1) AND "deleted_at" IS NULL FOR UPDATE`, args: mockArgs([]int64{1}), cols: []string{"id"}},
					mockCommit{},
				},
				"mysql": {
					mockBegin{},
					mockQuery{query: "SELECT `id` FROM `accounts` WHERE `id` IN (1) AND `deleted_at` IS NULL FOR UPDATE", cols: []string{"id"}},
					mockCommit{},
				},
			},
			after: func(t *testing.T, s *typeddelete.Session) {
				if got := planMissing(s.LastCommit()); !slices.Equal(got, []string{"accounts:[1]"}) {
					t.Errorf("LastCommit().Missing = %v, want [accounts:[1]]", got)
				}
			},
		},
		{
			name: "Session.HardDelete deletes the children of every relation and the row for real",
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "HardDelete", s.HardDelete(&planAccount{ID: 1}))
			},
			sent: map[string][]mockExpectation{
				"sqlite": {
					mockBegin{},
					mockExec{query: `DELETE FROM "account_notes" WHERE "account_id" IN (?)`, args: mockArgs(1), rows: 2},
					mockExec{query: `DELETE FROM "account_events" WHERE "account_id" IN (?)`, args: mockArgs(1), rows: 1},
					mockExec{query: `DELETE FROM "accounts" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
					mockCommit{},
				},
				"postgres": {
					mockBegin{},
					mockExec{query: `DELETE FROM "account_notes" WHERE "account_id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 2},
					mockExec{query: `DELETE FROM "account_events" WHERE "account_id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
					mockExec{query: `DELETE FROM "accounts" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
					mockCommit{},
				},
				"mysql": {
					mockBegin{},
					mockExec{query: "DELETE FROM `account_notes` WHERE `account_id` IN (1)", rows: 2},
					mockExec{query: "DELETE FROM `account_events` WHERE `account_id` IN (1)", rows: 1},
					mockExec{query: "DELETE FROM `accounts` WHERE `id` IN (1)", rows: 1},
					mockCommit{},
				},
			},
			after: planDeleted(map[string]int64{"accounts": 1, "account_notes": 2, "account_events": 1}),
		},
	})
}

func TestPlanningMockDeleteReturning(t *testing.T) {
	var r *typeddelete.Returned[planPet]
	pets := [][]driver.Value{{10, 1, "rex"}, {11, 1, "tom"}}
	planRunMock(t, []planMockCase{{
		name: "DeleteReturning loads and locks the matched rows, deletes them by key and returns them",
		register: func(t *testing.T, s *typeddelete.Session) {
			var err error
			r, err = typeddelete.Query[planPet](s).FilterBy("owner_id", int64(1)).DeleteReturning()
			planMust(t, "DeleteReturning", err)
		},
		sent: map[string][]mockExpectation{
			"sqlite": {
				mockBegin{},
				mockQuery{query: `SELECT "id", "owner_id", "name" FROM "pets" WHERE "owner_id" = ?`, args: mockArgs(1), cols: []string{"id", "owner_id", "name"}, rows: pets},
				mockExec{query: `DELETE FROM "pets" WHERE "id" IN (?,?)`, args: mockArgs(10, 11), rows: 2},
				mockCommit{},
			},
			"postgres": {
				mockBegin{},
				mockQuery{query: `SELECT "id", "owner_id", "name" FROM "pets" WHERE "owner_id" = $1 FOR UPDATE`, args: mockArgs(1), cols: []string{"id", "owner_id", "name"}, rows: pets},
				mockExec{query: `DELETE FROM "pets" WHERE "id" = ANY($1)`, args: mockArgs([]int64{10, 11}), rows: 2},
				mockCommit{},
			},
			"mysql": {
				mockBegin{},
				mockQuery{query: "SELECT `id`, `owner_id`, `name` FROM `pets` WHERE `owner_id` = ? FOR UPDATE", args: mockArgs(1), cols: []string{"id", "owner_id", "name"}, rows: pets},
				mockExec{query: "DELETE FROM `pets` WHERE `id` IN (10,11)", rows: 2},
				mockCommit{},
			},
		},
		after: func(t *testing.T, s *typeddelete.Session) {
			want := []*planPet{{ID: 10, OwnerID: 1, Name: "rex"}, {ID: 11, OwnerID: 1, Name: "tom"}}
			if got := r.Rows(); !reflect.DeepEqual(got, want) {
				t.Errorf("Rows() = %s, want %s", planFmt(got), planFmt(want))
			}
		},
	}})
}

func TestPlanningMockSessionState(t *testing.T) {
	for _, d := range planDialects {
		t.Run("on "+d.name+" an object deleted by a Commit and deleted again is sent again", func(t *testing.T) {
			s, mock, _ := newMockSession(t, typeddelete.WithDialect(d.make()))
			del := map[string]mockExec{
				"sqlite":   {query: `DELETE FROM "pets" WHERE "id" IN (?)`, args: mockArgs(10), rows: 1},
				"postgres": {query: `DELETE FROM "pets" WHERE "id" = ANY($1)`, args: mockArgs([]int64{10}), rows: 1},
				"mysql":    {query: "DELETE FROM `pets` WHERE `id` IN (10)", rows: 1},
			}[d.name]
			mockExpect(mock, mockBegin{}, del, mockCommit{}, mockBegin{}, del, mockCommit{})
			pet := &planPet{ID: 10}
			planMust(t, "Delete", s.Delete(pet))
			planMust(t, "Commit", s.Commit(context.Background()))
			planMust(t, "Delete again", s.Delete(pet))
			planMust(t, "Commit again", s.Commit(context.Background()))
			mockVerify(t, mock)
			if got := s.LastCommit().Deleted; !reflect.DeepEqual(got, map[string]int64{"pets": 1}) {
				t.Errorf("LastCommit().Deleted = %v, want pets: 1", got)
			}
		})
	}
}

var _ sqlmock.Argument = planNow{}

// TestPlanningMockUnits checks the order in which the units of one Commit
// are sent: a bulk filter's rows are read before any unit writes, a unit
// that removes rows another unit's Restrict check or SetNull update would
// see goes first.
func TestPlanningMockUnits(t *testing.T) {
	const noPet = "NOT EXISTS (SELECT 1 FROM pets p WHERE p.owner_id = owners.id)"
	const where = "(" + noPet + ")"
	planRunMock(t, []planMockCase{
		{
			name: "a bulk delete after another unit reads its filter's rows before that unit writes, and deletes them by key",
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planPet{ID: 20}))
				_, err := typeddelete.Query[planOwner](s).Filter(typeddelete.Raw[planOwner](sq.Expr(noPet))).Delete()
				planMust(t, "Query.Delete", err)
			},
			sent: map[string][]mockExpectation{
				"sqlite": {
					mockBegin{},
					mockQuery{query: `SELECT "id" FROM "owners" WHERE ` + where, cols: []string{"id"}, rows: [][]driver.Value{{3}}},
					mockExec{query: `DELETE FROM "pets" WHERE "id" IN (?)`, args: mockArgs(20), rows: 1},
					mockExec{query: `DELETE FROM "owners" WHERE "id" IN (?)`, args: mockArgs(3), rows: 1},
					mockCommit{},
				},
				"postgres": {
					mockBegin{},
					mockQuery{query: `SELECT "id" FROM "owners" WHERE ` + where + ` FOR UPDATE`, cols: []string{"id"}, rows: [][]driver.Value{{3}}},
					mockExec{query: `DELETE FROM "pets" WHERE "id" = ANY($1)`, args: mockArgs([]int64{20}), rows: 1},
					mockExec{query: `DELETE FROM "owners" WHERE "id" = ANY($1)`, args: mockArgs([]int64{3}), rows: 1},
					mockCommit{},
				},
				"mysql": {
					mockBegin{},
					mockQuery{query: "SELECT `id` FROM `owners` WHERE " + where + " FOR UPDATE", cols: []string{"id"}, rows: [][]driver.Value{{3}}},
					mockExec{query: "DELETE FROM `pets` WHERE `id` IN (20)", rows: 1},
					mockExec{query: "DELETE FROM `owners` WHERE `id` IN (3)", rows: 1},
					mockCommit{},
				},
			},
			after: planDeleted(map[string]int64{"pets": 1, "owners": 1}),
		},
		{
			name: "a unit that deletes rows another unit's Restrict check counts goes first, whatever the registration order",
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&xTop{ID: 1}, &xKeeper{ID: 1}))
			},
			sent: map[string][]mockExpectation{
				"sqlite": {
					mockBegin{},
					mockExec{query: `DELETE FROM "x_bottoms" WHERE "keeper_id" IN (?)`, args: mockArgs(1), rows: 1},
					mockExec{query: `DELETE FROM "x_keepers" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
					mockQuery{query: `SELECT "id" FROM "x_b1" WHERE "top_id" IN (?)`, args: mockArgs(1), cols: []string{"id"}, rows: [][]driver.Value{{10}}},
					mockQuery{query: `SELECT COUNT(*) FROM "x_bottoms" WHERE "b1_id" IN (?)`, args: mockArgs(10), cols: []string{"n"}, rows: planCount(0)},
					mockExec{query: `DELETE FROM "x_b1" WHERE "id" IN (?)`, args: mockArgs(10), rows: 1},
					mockExec{query: `DELETE FROM "x_tops" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
					mockCommit{},
				},
				"postgres": {
					mockBegin{},
					mockExec{query: `DELETE FROM "x_bottoms" WHERE "keeper_id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
					mockExec{query: `DELETE FROM "x_keepers" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
					mockQuery{query: `SELECT "id" FROM "x_b1" WHERE "top_id" = ANY($1) FOR UPDATE`, args: mockArgs([]int64{1}), cols: []string{"id"}, rows: [][]driver.Value{{10}}},
					mockQuery{query: `SELECT COUNT(*) FROM "x_bottoms" WHERE "b1_id" = ANY($1)`, args: mockArgs([]int64{10}), cols: []string{"n"}, rows: planCount(0)},
					mockExec{query: `DELETE FROM "x_b1" WHERE "id" = ANY($1)`, args: mockArgs([]int64{10}), rows: 1},
					mockExec{query: `DELETE FROM "x_tops" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
					mockCommit{},
				},
				"mysql": {
					mockBegin{},
					mockExec{query: "DELETE FROM `x_bottoms` WHERE `keeper_id` IN (1)", rows: 1},
					mockExec{query: "DELETE FROM `x_keepers` WHERE `id` IN (1)", rows: 1},
					mockQuery{query: "SELECT `id` FROM `x_b1` WHERE `top_id` IN (1) FOR UPDATE", cols: []string{"id"}, rows: [][]driver.Value{{10}}},
					mockQuery{query: "SELECT COUNT(*) FROM `x_bottoms` WHERE `b1_id` IN (10)", cols: []string{"n"}, rows: planCount(0)},
					mockExec{query: "DELETE FROM `x_b1` WHERE `id` IN (10)", rows: 1},
					mockExec{query: "DELETE FROM `x_tops` WHERE `id` IN (1)", rows: 1},
					mockCommit{},
				},
			},
			after: planDeleted(map[string]int64{"x_bottoms": 1, "x_keepers": 1, "x_b1": 1, "x_tops": 1}),
		},
		{
			name: "a unit that deletes rows another unit's SetNull would update goes first, and the update reads what remains",
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&xAuthor{ID: 1}, &xPub{ID: 1}))
			},
			sent: map[string][]mockExpectation{
				"sqlite": {
					mockBegin{},
					mockExec{query: `DELETE FROM "x_books" WHERE "pub_id" IN (?)`, args: mockArgs(1), rows: 1},
					mockExec{query: `DELETE FROM "x_pubs" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
					mockQuery{query: `SELECT "id" FROM "x_books" WHERE "author_id" IN (?)`, args: mockArgs(1), cols: []string{"id"}, rows: [][]driver.Value{{11}}},
					mockExec{query: `UPDATE "x_books" SET "author_id" = ? WHERE "id" IN (?)`, args: mockArgs(nil, 11), rows: 1},
					mockExec{query: `DELETE FROM "x_authors" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
					mockCommit{},
				},
				"postgres": {
					mockBegin{},
					mockExec{query: `DELETE FROM "x_books" WHERE "pub_id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
					mockExec{query: `DELETE FROM "x_pubs" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
					mockQuery{query: `SELECT "id" FROM "x_books" WHERE "author_id" = ANY($1) FOR UPDATE`, args: mockArgs([]int64{1}), cols: []string{"id"}, rows: [][]driver.Value{{11}}},
					mockExec{query: `UPDATE "x_books" SET "author_id" = $1 WHERE "id" = ANY($2)`, args: mockArgs(nil, []int64{11}), rows: 1},
					mockExec{query: `DELETE FROM "x_authors" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
					mockCommit{},
				},
				"mysql": {
					mockBegin{},
					mockExec{query: "DELETE FROM `x_books` WHERE `pub_id` IN (1)", rows: 1},
					mockExec{query: "DELETE FROM `x_pubs` WHERE `id` IN (1)", rows: 1},
					mockQuery{query: "SELECT `id` FROM `x_books` WHERE `author_id` IN (1) FOR UPDATE", cols: []string{"id"}, rows: [][]driver.Value{{11}}},
					mockExec{query: "UPDATE `x_books` SET `author_id` = ? WHERE `id` IN (11)", args: mockArgs(nil), rows: 1},
					mockExec{query: "DELETE FROM `x_authors` WHERE `id` IN (1)", rows: 1},
					mockCommit{},
				},
			},
			after: planDeleted(map[string]int64{"x_books": 1, "x_pubs": 1, "x_authors": 1}),
		},
	})
}
