package conformance_test

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/typeddelete/typeddelete"
)

// A child table that one deleted row cascades to through two relations:
// a post's author and its reviewer are both users.

type planOrUser struct {
	ID int64 `db:"id,pk"`
}

func (planOrUser) TableName() string { return "or_users" }
func (planOrUser) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[planOrPost](typeddelete.Cascade, "author_id"),
		typeddelete.HasMany[planOrPost](typeddelete.Cascade, "reviewer_id"),
	}
}

type planOrPost struct {
	ID         int64 `db:"id,pk"`
	AuthorID   int64 `db:"author_id"`
	ReviewerID int64 `db:"reviewer_id"`
}

func (planOrPost) TableName() string { return "or_posts" }

var planOrPosts = planFixture{
	tables: []planTable{{"or_users", "id", "1"}, {"or_posts", "id, author_id, reviewer_id", "1"}},
	setup: func(string) []string {
		return []string{
			"CREATE TABLE or_users (id BIGINT PRIMARY KEY)",
			"CREATE TABLE or_posts (id BIGINT PRIMARY KEY, author_id BIGINT NOT NULL, reviewer_id BIGINT NOT NULL, " +
				"FOREIGN KEY (author_id) REFERENCES or_users(id), FOREIGN KEY (reviewer_id) REFERENCES or_users(id))",
			"INSERT INTO or_users (id) VALUES (1), (2), (3)",
			"INSERT INTO or_posts (id, author_id, reviewer_id) VALUES (10, 1, 2), (11, 2, 1), (12, 1, 1), (13, 2, 3), (14, 3, 2), (15, 3, 3)",
		}
	},
}

func TestPlanningCascadeThroughTwoRelations(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		users   []int64
		opts    []typeddelete.Option
		left    map[string][]string
		deleted map[string]int64
	}{
		{
			name:  "the posts a user wrote or reviewed are deleted once each, the one they did both included",
			users: []int64{1},
			left: map[string][]string{
				"or_users": {"2", "3"},
				"or_posts": {"13|2|3", "14|3|2", "15|3|3"},
			},
			deleted: map[string]int64{"or_users": 1, "or_posts": 3},
		},
		{
			name:  "with one key per statement each relation's keys go in statements of their own, with the same rows",
			users: []int64{1, 2},
			opts:  []typeddelete.Option{typeddelete.WithBatchSize(1)},
			left: map[string][]string{
				"or_users": {"3"},
				"or_posts": {"15|3|3"},
			},
			deleted: map[string]int64{"or_users": 2, "or_posts": 5},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				p := planSetup(t, tdb, planOrPosts)
				s := tdb.session(append([]typeddelete.Option{typeddelete.WithoutSchemaIntrospection()}, tt.opts...)...)
				for _, id := range tt.users {
					planMust(t, "Delete", s.Delete(&planOrUser{ID: id}))
				}
				pv, err := s.Preview(ctx)
				planMust(t, "Preview", err)
				if !maps.Equal(pv.Deleted, tt.deleted) {
					t.Errorf("Preview().Deleted = %v, want %v", pv.Deleted, tt.deleted)
				}
				planMust(t, "Commit", s.Commit(ctx))
				p.expect(t, tt.left)
				got := s.LastCommit()
				if !maps.Equal(got.Deleted, tt.deleted) {
					t.Errorf("LastCommit().Deleted = %v, want %v", got.Deleted, tt.deleted)
				}
				if got.Statements != len(pv.Statements) {
					t.Errorf("LastCommit().Statements = %d, Preview listed %d: %q", got.Statements, len(pv.Statements), pv.Statements)
				}
			})
		})
	}
}

func TestPlanningMockCascadeThroughTwoRelations(t *testing.T) {
	planRunMock(t, []planMockCase{
		{
			name: "PostgreSQL deletes a user's posts in one statement for both relations, SQLite and MySQL in one per relation",
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planOrUser{ID: 1}))
			},
			sent: map[string][]mockExpectation{
				"sqlite": {
					mockBegin{},
					mockExec{query: `DELETE FROM "or_posts" WHERE "author_id" IN (?)`, args: mockArgs(1), rows: 2},
					mockExec{query: `DELETE FROM "or_posts" WHERE "reviewer_id" IN (?)`, args: mockArgs(1), rows: 1},
					mockExec{query: `DELETE FROM "or_users" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
					mockCommit{},
				},
				"postgres": {
					mockBegin{},
					mockExec{query: `DELETE FROM "or_posts" WHERE ("author_id" = ANY($1)) OR ("reviewer_id" = ANY($2))`,
						args: mockArgs([]int64{1}, []int64{1}), rows: 3},
					mockExec{query: `DELETE FROM "or_users" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
					mockCommit{},
				},
				"mysql": {
					mockBegin{},
					mockExec{query: "DELETE FROM `or_posts` WHERE `author_id` IN (1)", rows: 2},
					mockExec{query: "DELETE FROM `or_posts` WHERE `reviewer_id` IN (1)", rows: 1},
					mockExec{query: "DELETE FROM `or_users` WHERE `id` IN (1)", rows: 1},
					mockCommit{},
				},
			},
			after: planDeleted(map[string]int64{"or_posts": 3, "or_users": 1}),
		},
	})
}

func TestPlanningMockCascadeThroughTwoRelationsInBatches(t *testing.T) {
	s, mock, _ := newMockSession(t, typeddelete.WithDialect(typeddelete.PostgresDialect()), typeddelete.WithBatchSize(1))
	planMust(t, "Delete", s.Delete(&planOrUser{ID: 1}, &planOrUser{ID: 2}))
	// A relation's keys need two statements: each relation goes on its
	// own, as on the other dialects.
	mockExpect(mock,
		mockBegin{},
		mockExec{query: `DELETE FROM "or_posts" WHERE "author_id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 2},
		mockExec{query: `DELETE FROM "or_posts" WHERE "author_id" = ANY($1)`, args: mockArgs([]int64{2}), rows: 1, prepared: true},
		mockExec{query: `DELETE FROM "or_posts" WHERE "reviewer_id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
		mockExec{query: `DELETE FROM "or_posts" WHERE "reviewer_id" = ANY($1)`, args: mockArgs([]int64{2}), rows: 1, prepared: true},
		mockExec{query: `DELETE FROM "or_users" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1}), rows: 1},
		mockExec{query: `DELETE FROM "or_users" WHERE "id" = ANY($1)`, args: mockArgs([]int64{2}), rows: 1, prepared: true},
		mockCommit{},
	)
	mockNoError(t, "Commit", s.Commit(context.Background()))
	mockVerify(t, mock)
	planDeleted(map[string]int64{"or_posts": 5, "or_users": 2})(t, s)
}

func TestPreviewMockCascadeThroughTwoRelations(t *testing.T) {
	s, mock, _ := newMockSession(t, typeddelete.WithDialect(typeddelete.PostgresDialect()))
	planMust(t, "Delete", s.Delete(&planOrUser{ID: 1}))
	// The dry run counts the rows of the one statement a Commit sends,
	// each row once.
	mockExpect(mock,
		mockBegin{},
		mockQuery{query: `SELECT COUNT(*) FROM "or_posts" WHERE ("author_id" = ANY($1)) OR ("reviewer_id" = ANY($2))`,
			args: mockArgs([]int64{1}, []int64{1}), cols: []string{"n"}, rows: planCount(3)},
		mockQuery{query: `SELECT COUNT(*) FROM "or_users" WHERE "id" = ANY($1)`, args: mockArgs([]int64{1}), cols: []string{"n"}, rows: planCount(1)},
		mockRollback{},
	)
	pv, err := s.Preview(context.Background())
	planMust(t, "Preview", err)
	mockVerify(t, mock)
	list := []typeddelete.Statement{
		{SQL: `DELETE FROM "or_posts" WHERE ("author_id" = ANY($1)) OR ("reviewer_id" = ANY($2))`, Args: []any{[]int64{1}, []int64{1}}},
		{SQL: `DELETE FROM "or_users" WHERE "id" = ANY($1)`, Args: []any{[]int64{1}}},
	}
	if !reflect.DeepEqual(pv.Statements, list) {
		t.Errorf("Preview.Statements =\n%#v\nwant\n%#v", pv.Statements, list)
	}
	if want := map[string]int64{"or_posts": 3, "or_users": 1}; !maps.Equal(pv.Deleted, want) {
		t.Errorf("Preview.Deleted = %v, want %v", pv.Deleted, want)
	}
}

// planOrPostsOf is or_users 1..users, and one post per user i, id 10+i,
// written by i and reviewed by the next user (the first, after the last).
func planOrPostsOf(users int) planFixture {
	return planFixture{
		tables: planOrPosts.tables,
		setup: func(string) []string {
			us := make([]string, users)
			ps := make([]string, users)
			for i := range users {
				us[i] = fmt.Sprintf("(%d)", i+1)
				ps[i] = fmt.Sprintf("(%d, %d, %d)", 10+i+1, i+1, (i+1)%users+1)
			}
			return append(planOrPosts.setup("")[:2],
				"INSERT INTO or_users (id) VALUES "+strings.Join(us, ", "),
				"INSERT INTO or_posts (id, author_id, reviewer_id) VALUES "+strings.Join(ps, ", "))
		},
	}
}

func TestPlanningCascadeOfManyParents(t *testing.T) {
	ctx := context.Background()
	// 1,100 users of 1,200: on SQLite, two JSON arrays (1,000 keys, then
	// 100) for each relation's children and for the users, the second
	// of each text sent prepared.
	const users, deleted = 1200, 1100
	var leftUsers, leftPosts []string
	for i := deleted + 1; i <= users; i++ {
		leftUsers = append(leftUsers, strconv.Itoa(i))
		if reviewer := i%users + 1; reviewer > deleted {
			leftPosts = append(leftPosts, fmt.Sprintf("%d|%d|%d", 10+i, i, reviewer))
		}
	}
	want := map[string]int64{"or_users": deleted, "or_posts": int64(users - len(leftPosts))}
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		p := planSetup(t, tdb, planOrPostsOf(users))
		s := tdb.session(typeddelete.WithoutSchemaIntrospection())
		objs := make([]*planOrUser, deleted)
		for i := range objs {
			objs[i] = &planOrUser{ID: int64(i + 1)}
		}
		planMust(t, "Delete", s.Delete(objs))
		pv, err := s.Preview(ctx)
		planMust(t, "Preview", err)
		if !maps.Equal(pv.Deleted, want) {
			t.Errorf("Preview().Deleted = %v, want %v", pv.Deleted, want)
		}
		planMust(t, "Commit", s.Commit(ctx))
		p.expect(t, map[string][]string{"or_users": leftUsers, "or_posts": leftPosts})
		if got := s.LastCommit(); !maps.Equal(got.Deleted, want) || got.Statements != len(pv.Statements) {
			t.Errorf("LastCommit() deleted %v in %d statements, want %v in the %d Preview listed", got.Deleted, got.Statements, want, len(pv.Statements))
		}
	})
}

func TestPlanningMockCascadeOfManyParentsSQLite(t *testing.T) {
	// Up to 100 keys go as bound parameters. From 101, the children go as
	// JSON arrays of 1,000 keys, one text prepared at its second use; so
	// do the users' own keys up to 2,000, and past that IN lists of 500,
	// the full ones prepared at the first.
	for _, n := range []int{100, 101, 2000, 2001} {
		t.Run(strconv.Itoa(n)+" users", func(t *testing.T) {
			s, mock, _ := newMockSession(t)
			users := make([]*planOrUser, n)
			for i := range users {
				users[i] = &planOrUser{ID: int64(i + 1)}
			}
			planMust(t, "Delete", s.Delete(users))
			// keys sends users 1..n by column: 1,000 per JSON array, or
			// per IN list of up to 500 parameters.
			keys := func(table, column string, json bool, rows func(keys int) int64) []mockExpectation {
				per, full := 500, n/500
				if json {
					per, full = 1000, 0
				}
				var out []mockExpectation
				for lo := 1; lo <= n; lo += per {
					hi := min(lo+per-1, n)
					e := mockExec{rows: rows(hi - lo + 1)}
					if json {
						ids := make([]string, 0, hi-lo+1)
						for id := lo; id <= hi; id++ {
							ids = append(ids, strconv.Itoa(id))
						}
						e.query = `DELETE FROM "` + table + `" WHERE "` + column + `" IN (SELECT value FROM json_each(?))`
						e.args = mockArgs("[" + strings.Join(ids, ",") + "]")
						e.prepared = lo == 1+per
					} else {
						for id := lo; id <= hi; id++ {
							e.args = append(e.args, int64(id))
						}
						e.query = `DELETE FROM "` + table + `" WHERE "` + column + `" IN (` + strings.Repeat("?,", hi-lo) + "?)"
						e.prepared = lo == 1 && full >= 2
					}
					out = append(out, e)
				}
				return out
			}
			each := func(keys int) int64 { return int64(keys) }
			none := func(int) int64 { return 0 }
			sent := []mockExpectation{mockBegin{}}
			sent = append(sent, keys("or_posts", "author_id", n > 100, each)...)
			sent = append(sent, keys("or_posts", "reviewer_id", n > 100, none)...)
			sent = append(sent, keys("or_users", "id", n > 100 && n <= 2000, each)...)
			mockExpect(mock, append(sent, mockCommit{})...)
			mockNoError(t, "Commit", s.Commit(context.Background()))
			mockVerify(t, mock)
			planDeleted(map[string]int64{"or_posts": int64(n), "or_users": int64(n)})(t, s)
		})
	}
}
