package conformance_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"reflect"
	"testing"

	"github.com/typeddelete/typeddelete"
)

// TestPreviewMockStatements checks, per dialect, what a Preview sends (its
// reads, without locks, and a COUNT for each set-based write, in a
// transaction it rolls back) and the statements it lists (what a Commit
// would send, locks included).
func TestPreviewMockStatements(t *testing.T) {
	cases := map[string]struct {
		sent []mockExpectation
		list []typeddelete.Statement
	}{
		"sqlite": {
			sent: []mockExpectation{
				mockBegin{},
				mockQuery{query: `SELECT "id" FROM "projects" WHERE "team_id" IN (?)`, args: mockArgs(1), cols: []string{"id"}, rows: [][]driver.Value{{10}, {11}}},
				mockQuery{query: `SELECT COUNT(*) FROM "tasks" WHERE "project_id" IN (?,?)`, args: mockArgs(10, 11), cols: []string{"n"}, rows: planCount(3)},
				mockQuery{query: `SELECT COUNT(*) FROM "teams" WHERE "id" IN (?)`, args: mockArgs(1), cols: []string{"n"}, rows: planCount(1)},
				mockRollback{},
			},
			list: []typeddelete.Statement{
				{SQL: `SELECT "id" FROM "projects" WHERE "team_id" IN (?)`, Args: []any{int64(1)}},
				{SQL: `DELETE FROM "tasks" WHERE "project_id" IN (?,?)`, Args: []any{int64(10), int64(11)}},
				{SQL: `DELETE FROM "projects" WHERE "id" IN (?,?)`, Args: []any{int64(10), int64(11)}},
				{SQL: `DELETE FROM "teams" WHERE "id" IN (?)`, Args: []any{int64(1)}},
			},
		},
		"postgres": {
			sent: []mockExpectation{
				mockBegin{},
				mockQuery{query: `SELECT "id" FROM "projects" WHERE "team_id" = ANY($1)`, args: mockArgs([]int64{1}), cols: []string{"id"}, rows: [][]driver.Value{{10}, {11}}},
				mockQuery{query: `SELECT COUNT(*) FROM "tasks" WHERE "project_id" = ANY($1)`, args: mockArgs([]int64{10, 11}), cols: []string{"n"}, rows: planCount(3)},
				mockQuery{query: `SELECT COUNT(*) FROM "teams" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1}), cols: []string{"n"}, rows: planCount(1)},
				mockRollback{},
			},
			list: []typeddelete.Statement{
				{SQL: `SELECT "id" FROM "projects" WHERE "team_id" = ANY($1) FOR UPDATE`, Args: []any{[]int64{1}}},
				{SQL: `DELETE FROM "tasks" WHERE "project_id" = ANY($1)`, Args: []any{[]int64{10, 11}}},
				{SQL: `DELETE FROM "projects" WHERE "id" = ANY($1)`, Args: []any{[]int64{10, 11}}},
				{SQL: `DELETE FROM "teams" WHERE "id" = ANY($1)`, Args: []any{[]int64{1}}},
			},
		},
		"mysql": {
			sent: []mockExpectation{
				mockBegin{},
				mockQuery{query: "SELECT `id` FROM `projects` WHERE `team_id` IN (1)", cols: []string{"id"}, rows: [][]driver.Value{{10}, {11}}},
				mockQuery{query: "SELECT COUNT(*) FROM `tasks` WHERE `project_id` IN (10,11)", cols: []string{"n"}, rows: planCount(3)},
				mockQuery{query: "SELECT COUNT(*) FROM `teams` WHERE `id` IN (1)", cols: []string{"n"}, rows: planCount(1)},
				mockRollback{},
			},
			list: []typeddelete.Statement{
				{SQL: "SELECT `id` FROM `projects` WHERE `team_id` IN (1) FOR UPDATE"},
				{SQL: "DELETE FROM `tasks` WHERE `project_id` IN (10,11)"},
				{SQL: "DELETE FROM `projects` WHERE `id` IN (10,11)"},
				{SQL: "DELETE FROM `teams` WHERE `id` IN (1)"},
			},
		},
	}
	for _, d := range planDialects {
		t.Run("on "+d.name+" a Preview of a cascade reads, counts, rolls back and lists the Commit's statements", func(t *testing.T) {
			c := cases[d.name]
			s, mock, _ := newMockSession(t, typeddelete.WithDialect(d.make()))
			planMust(t, "Delete", s.Delete(&planTeam{ID: 1}))
			mockExpect(mock, c.sent...)
			pv, err := s.Preview(context.Background())
			planMust(t, "Preview", err)
			mockVerify(t, mock)
			if !reflect.DeepEqual(pv.Statements, c.list) {
				t.Errorf("Preview.Statements =\n%#v\nwant\n%#v", pv.Statements, c.list)
			}
			want := map[string]int64{"teams": 1, "projects": 2, "tasks": 3}
			if !reflect.DeepEqual(pv.Deleted, want) {
				t.Errorf("Preview.Deleted = %v, want %v", pv.Deleted, want)
			}
			if o, b := s.Pending(); o != 1 || b != 0 {
				t.Errorf("Pending() = (%d, %d) after Preview, want the delete still pending", o, b)
			}
		})
	}
}

// TestLimitMockStatements checks, per dialect, that AtMost on a bulk
// delete whose rows are not read costs one COUNT, and that past the limit
// nothing but ROLLBACK follows.
func TestLimitMockStatements(t *testing.T) {
	sent := map[string][]mockExpectation{
		"sqlite": {
			mockBegin{},
			mockQuery{query: `SELECT COUNT(*) FROM "pets" WHERE "owner_id" = ?`, args: mockArgs(1), cols: []string{"n"}, rows: planCount(3)},
			mockRollback{},
		},
		"postgres": {
			mockBegin{},
			mockQuery{query: `SELECT COUNT(*) FROM "pets" WHERE "owner_id" = $1`, args: mockArgs(1), cols: []string{"n"}, rows: planCount(3)},
			mockRollback{},
		},
		"mysql": {
			mockBegin{},
			mockQuery{query: "SELECT COUNT(*) FROM `pets` WHERE `owner_id` = ?", args: mockArgs(1), cols: []string{"n"}, rows: planCount(3)},
			mockRollback{},
		},
	}
	for _, d := range planDialects {
		t.Run("on "+d.name+" AtMost(2) of 3 rows sends the COUNT and then ROLLBACK", func(t *testing.T) {
			s, mock, _ := newMockSession(t, typeddelete.WithDialect(d.make()))
			_, err := typeddelete.Query[planPet](s).FilterBy("owner_id", int64(1)).AtMost(2).Delete()
			planMust(t, "Query.Delete", err)
			mockExpect(mock, sent[d.name]...)
			err = s.Commit(context.Background())
			var e *typeddelete.TooManyRowsError
			if !errors.As(err, &e) || *e != (typeddelete.TooManyRowsError{Table: "pets", Limit: 2, Count: 3, Scope: "AtMost"}) {
				t.Errorf("Commit error = %v, want a TooManyRowsError for pets, limit 2, count 3", err)
			}
			if want := `typeddelete: too many rows: deleting from "pets" touches at least 3 row(s), over the AtMost limit of 2`; err == nil || err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
			mockVerify(t, mock)
			mockPending(t, s, 0, 1)
		})
	}
}

// TestLimitMockDeleteCount checks, per dialect, that where a COUNT stands
// in for the rows of a bulk delete (AtMost on rows not read), the
// DELETE's own row count is checked against the limits too: rows that
// came in between the two fail the Commit, which rolls back and keeps the
// work pending.
func TestLimitMockDeleteCount(t *testing.T) {
	stmts := map[string][2]string{
		"sqlite":   {`SELECT COUNT(*) FROM "pets" WHERE "owner_id" = ?`, `DELETE FROM "pets" WHERE "owner_id" = ?`},
		"postgres": {`SELECT COUNT(*) FROM "pets" WHERE "owner_id" = $1`, `DELETE FROM "pets" WHERE "owner_id" = $1`},
		"mysql":    {"SELECT COUNT(*) FROM `pets` WHERE `owner_id` = ?", "DELETE FROM `pets` WHERE `owner_id` = ?"},
	}
	cases := []struct {
		name    string
		maxRows int64 // WithMaxRows, 0 for none
		atMost  int64
		want    typeddelete.TooManyRowsError
	}{
		{"AtMost(2) fails when the COUNT finds 2 rows and the DELETE removes 3", 0, 2,
			typeddelete.TooManyRowsError{Table: "pets", Limit: 2, Count: 3, Scope: "AtMost"}},
		{"WithMaxRows(2) fails when the COUNT for AtMost(5) finds 2 rows and the DELETE removes 3", 2, 5,
			typeddelete.TooManyRowsError{Table: "pets", Limit: 2, Count: 3, Scope: "WithMaxRows"}},
	}
	for _, tc := range cases {
		for _, d := range planDialects {
			t.Run(tc.name+" on "+d.name, func(t *testing.T) {
				opts := []typeddelete.Option{typeddelete.WithDialect(d.make())}
				if tc.maxRows > 0 {
					opts = append(opts, typeddelete.WithMaxRows(tc.maxRows))
				}
				s, mock, _ := newMockSession(t, opts...)
				h, err := typeddelete.Query[planPet](s).FilterBy("owner_id", int64(1)).AtMost(tc.atMost).Delete()
				planMust(t, "Query.Delete", err)
				mockExpect(mock,
					mockBegin{},
					mockQuery{query: stmts[d.name][0], args: mockArgs(1), cols: []string{"n"}, rows: planCount(2)},
					mockExec{query: stmts[d.name][1], args: mockArgs(1), rows: 3},
					mockRollback{},
				)
				err = s.Commit(context.Background())
				var e *typeddelete.TooManyRowsError
				if !errors.Is(err, typeddelete.ErrTooManyRows) || !errors.As(err, &e) || *e != tc.want {
					t.Errorf("Commit error = %v, want %+v", err, tc.want)
				}
				mockVerify(t, mock)
				mockPending(t, s, 0, 1)
				mockRows(t, h, 0, false)
			})
		}
	}
}
