package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"

	sq "github.com/Masterminds/squirrel"

	"github.com/typeddelete/typeddelete"
)

// previewCase is pending work whose Preview must match its Commit.
type previewCase struct {
	name     string
	fixtures []planFixture
	register func(t *testing.T, s *typeddelete.Session)
	seed     map[string][]string // every row before: the Preview changes none
	// fails is the error the Commit fails with, and Preview.Err reports;
	// nil when it succeeds.
	fails error
	// reran is set when the Commit runs twice (a missing key): its log
	// then holds both runs, so only the counts are compared.
	reran bool
}

// TestPreviewMatchesCommit registers work, previews it, checks that the
// Preview changed no row, commits, and checks that LastCommit reports
// exactly the Preview's counts and missing keys, and that the Commit sent
// exactly the Preview's statements.
func TestPreviewMatchesCommit(t *testing.T) {
	ctx := context.Background()
	cases := []previewCase{
		{
			name:     "a cascade three levels deep",
			fixtures: []planFixture{planTeams},
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planTeam{ID: 1}))
			},
			seed: planTeamsSeed,
		},
		{
			name:     "a bulk delete with a cascade and an object delete of the same table",
			fixtures: []planFixture{planTeams},
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planTeam{ID: 1}))
				_, err := typeddelete.Query[planTeam](s).Filter(typeddelete.Raw[planTeam](sq.Expr("id <= ?", 2))).Delete()
				planMust(t, "Query.Delete", err)
			},
			seed: planTeamsSeed,
		},
		{
			name:     "two bulk deletes of the same rows",
			fixtures: []planFixture{planOwners},
			register: func(t *testing.T, s *typeddelete.Session) {
				_, err := typeddelete.Query[planPet](s).FilterBy("owner_id", int64(1)).Delete()
				planMust(t, "Query.Delete", err)
				_, err = typeddelete.Query[planPet](s).Filter(typeddelete.Raw[planPet](sq.Expr("id < ?", 12))).Delete()
				planMust(t, "Query.Delete", err)
			},
			seed: map[string][]string{"owners": {"1", "2"}, "pets": {"10|1|rex", "11|1|tom", "20|2|kit"}},
		},
		{
			name:     "a delete of a child and of its parent, whose other children go without a read",
			fixtures: []planFixture{planTeams},
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planProject{ID: 10}, &planTask{ID: 100}))
			},
			seed: planTeamsSeed,
		},
		{
			name:     "a bulk filter on another table, after a delete that changes what it reads",
			fixtures: []planFixture{planOwners},
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planPet{ID: 20}))
				noPet := typeddelete.Raw[planOwner](sq.Expr("NOT EXISTS (SELECT 1 FROM pets p WHERE p.owner_id = owners.id)"))
				_, err := typeddelete.Query[planOwner](s).Filter(noPet).Delete()
				planMust(t, "Query.Delete", err)
			},
			seed: map[string][]string{"owners": {"1", "2"}, "pets": {"10|1|rex", "11|1|tom", "20|2|kit"}},
		},
		{
			name:     "SetNull",
			fixtures: []planFixture{planAuthors},
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planAuthor{ID: 1}))
			},
			seed: map[string][]string{"authors": {"1", "2"}, "books": {"10|1", "11|1", "20|2"}},
		},
		{
			name:     "a Restrict relation that refuses",
			fixtures: []planFixture{planCustomers},
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planCustomer{ID: 1}, &planCustomer{ID: 3}))
			},
			seed:  map[string][]string{"customers": {"1", "2", "3"}, "orders": {"10|1", "11|1", "12|1", "20|2"}},
			fails: typeddelete.ErrRestricted,
		},
		{
			name:     "a soft delete and its soft-deletable children",
			fixtures: []planFixture{planAccounts},
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planAccount{ID: 1}))
				_, err := typeddelete.Query[planAccount](s).FilterBy("email", "b@x").Delete()
				planMust(t, "Query.Delete", err)
			},
			seed: map[string][]string{
				"accounts":       {"1|a@x|live|0", "2|b@x|live|0", "3|c@x|live|0"},
				"account_notes":  {"10|1|live", "11|1|live", "20|2|live"},
				"account_events": {"10|1", "20|2"},
			},
		},
		{
			name:     "a subtree of a tree",
			fixtures: []planFixture{planCategories},
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planCategory{ID: 2}, &planCategory{ID: 8}))
			},
			seed: map[string][]string{"categories": planForest},
		},
		{
			name:     "a tree known only from the catalog, by key",
			fixtures: []planFixture{planNodes},
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planNode{ID: 6}, &planNode{ID: 4}, &planNode{ID: 2}, &planNode{ID: 5}))
			},
			seed: map[string][]string{"nodes": planForest},
		},
		{
			name:     "hooks, which a Preview does not run",
			fixtures: []planFixture{planShips},
			register: func(t *testing.T, s *typeddelete.Session) {
				_, err := typeddelete.Query[planShip](s).FilterBy("name", "ark").Delete()
				planMust(t, "Query.Delete", err)
			},
			seed: map[string][]string{"ships": {"1", "2", "3"}, "crew": {"10|1", "11|1", "20|2"}, "audit": nil},
		},
		{
			name:     "a missing key, which makes the Commit run again",
			fixtures: []planFixture{planOwners},
			register: func(t *testing.T, s *typeddelete.Session) {
				planMust(t, "Delete", s.Delete(&planPet{ID: 10}, &planPet{ID: 99}))
			},
			seed:  map[string][]string{"owners": {"1", "2"}, "pets": {"10|1|rex", "11|1|tom", "20|2|kit"}},
			reran: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				p := planSetup(t, tdb, tc.fixtures...)
				log := &mockLog{}
				s := tdb.session(typeddelete.WithLogger(slog.New(log)))
				tc.register(t, s)
				pv, err := s.Preview(ctx)
				planMust(t, "Preview", err)
				p.expect(t, tc.seed)
				if o, b := s.Pending(); o+b == 0 {
					t.Fatal("nothing pending after Preview")
				}
				before := len(log.sent())
				h := &planHooks{}
				err = s.Commit(h.with(ctx))
				if tc.fails != nil {
					if !errors.Is(err, tc.fails) || !errors.Is(pv.Err(), tc.fails) {
						t.Fatalf("Commit error = %v, Preview.Err = %v; want both %v", err, pv.Err(), tc.fails)
					}
					p.expect(t, tc.seed)
					return
				}
				planMust(t, "Commit", err)
				if pv.Err() != nil {
					t.Errorf("Preview.Err = %v for a Commit that succeeded", pv.Err())
				}
				previewMatch(t, pv, s.LastCommit())
				if !tc.reran {
					var sent []string
					for _, st := range log.sent()[before:] {
						switch st.msg {
						case "typeddelete: begin", "typeddelete: commit", "typeddelete: read catalog", "typeddelete: probe filter":
							continue
						}
						sent = append(sent, st.sql)
					}
					var want []string
					for _, st := range pv.Statements {
						want = append(want, st.SQL)
					}
					if !slices.Equal(sent, want) {
						t.Errorf("the Commit sent\n%s\nthe Preview listed\n%s", strings.Join(sent, "\n"), strings.Join(want, "\n"))
					}
				}
			})
		})
	}
}

// previewMatch fails the test unless res reports what pv did.
func previewMatch(t *testing.T, pv *typeddelete.Preview, res typeddelete.CommitResult) {
	t.Helper()
	for _, c := range []struct {
		what      string
		got, want map[string]int64
	}{
		{"Deleted", res.Deleted, pv.Deleted},
		{"SoftDeleted", res.SoftDeleted, pv.SoftDeleted},
		{"SetNull", res.Updated, pv.Updated},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("LastCommit().%s = %v, Preview.%s = %v", c.what, c.got, c.what, c.want)
		}
	}
	if !reflect.DeepEqual(res.Missing, pv.Missing) {
		t.Errorf("LastCommit().Missing = %v, Preview.Missing = %v", res.Missing, pv.Missing)
	}
	if res.Statements != len(pv.Statements) {
		t.Errorf("LastCommit().Statements = %d, the Preview lists %d", res.Statements, len(pv.Statements))
	}
}

// TestPreviewReport checks the Preview a person reads before confirming.
func TestPreviewReport(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		planSetup(t, tdb, planTeams, planAuthors, planCustomers)
		s := tdb.session()
		planMust(t, "Delete", s.Delete(&planTeam{ID: 1}, &planAuthor{ID: 1}, &planCustomer{ID: 1}))
		pv, err := s.Preview(ctx)
		planMust(t, "Preview", err)
		want := `Delete teams 1:
  deletes 1 row of teams
    deletes 2 rows of projects (Cascade from teams)
      deletes 3 rows of tasks (Cascade from projects)
Delete authors 1:
  deletes 1 row of authors
    sets books.author_id to NULL in 2 rows of books (SetNull)
Delete customers 1:
  deletes 1 row of customers
refused: delete restricted by child rows: cannot delete from "customers": 3 row(s) of "orders" reference it (Restrict)
`
		if got := pv.String(); got != want {
			t.Errorf("Preview.String() =\n%s\nwant\n%s", got, want)
		}
		wantRestricted := []typeddelete.RestrictError{{Parent: "customers", Child: "orders", Count: 3, Policy: typeddelete.Restrict}}
		if !reflect.DeepEqual(pv.Restricted, wantRestricted) {
			t.Errorf("Preview.Restricted = %+v, want %+v", pv.Restricted, wantRestricted)
		}
	})
}

// TestPreviewReportNamesWhatGoes checks that each unit of a Preview names
// the rows it was registered for: a bulk delete its filter and
// arguments, an object delete its keys, the first five of them.
func TestPreviewReportNamesWhatGoes(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		planSetup(t, tdb, planTeams)
		s := tdb.session()
		_, err := typeddelete.Query[planTeam](s).FilterBy("name", "blue").Delete()
		planMust(t, "Query.Delete", err)
		var tasks []any
		for _, id := range []int64{100, 101, 110, 300, 400, 500, 600} {
			tasks = append(tasks, &planTask{ID: id})
		}
		planMust(t, "Delete", s.Delete(tasks...))
		pv, err := s.Preview(ctx)
		planMust(t, "Preview", err)
		want := `Delete tasks 100, 101, 110, 300, 400 and 2 more:
  deletes 4 rows of tasks
bulk delete of teams where ` + s.Dialect().Quote("name") + ` = ? ["blue"]:
  deletes 1 row of teams
    deletes 1 row of projects (Cascade from teams)
      deletes 1 row of tasks (Cascade from projects)
missing: tasks key 400
missing: tasks key 500
missing: tasks key 600
`
		if got := pv.String(); got != want {
			t.Errorf("Preview.String() =\n%s\nwant\n%s", got, want)
		}
	})
}

// TestLimits checks AtMost and WithMaxRows: past the limit the Commit
// fails with a *TooManyRowsError, nothing changes and the work stays
// pending; at the limit it succeeds.
func TestLimits(t *testing.T) {
	ctx := context.Background()
	tooMany := func(t *testing.T, err error, want typeddelete.TooManyRowsError) {
		t.Helper()
		var e *typeddelete.TooManyRowsError
		if !errors.As(err, &e) || !errors.Is(err, typeddelete.ErrTooManyRows) {
			t.Fatalf("Commit error = %v, want a *TooManyRowsError", err)
		}
		if *e != want {
			t.Errorf("TooManyRowsError = %+v, want %+v", *e, want)
		}
	}
	t.Run("AtMost counts the rows a bulk delete cascades to", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planTeams)
			s := tdb.session()
			_, err := typeddelete.Query[planTeam](s).FilterBy("name", "red").AtMost(5).Delete()
			planMust(t, "Query.Delete", err)
			// team 1 with projects 10 and 11 and tasks 100, 101 and 110: 6 rows.
			tooMany(t, s.Commit(ctx), typeddelete.TooManyRowsError{Table: "teams", Limit: 5, Count: 6, Scope: "AtMost"})
			p.expect(t, planTeamsSeed)
			if o, b := s.Pending(); o != 0 || b != 1 {
				t.Errorf("Pending() = (%d, %d), want the bulk delete pending", o, b)
			}
			s.Rollback(ctx)
			_, err = typeddelete.Query[planTeam](s).FilterBy("name", "red").AtMost(6).Delete()
			planMust(t, "Query.Delete", err)
			planMust(t, "Commit at the limit", s.Commit(ctx))
			p.expect(t, map[string][]string{"teams": {"2|blue", "3|green"}, "projects": {"20|2", "30|3"}, "tasks": {"200|20", "300|30"}})
		})
	})
	t.Run("WithMaxRows catches a filter that is true for every row", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planOwners)
			s := tdb.session(typeddelete.WithMaxRows(2))
			always := typeddelete.Raw[planPet](sq.Expr("name IS NOT NULL"))
			_, err := typeddelete.Query[planPet](s).Filter(always).Delete()
			planMust(t, "Query.Delete", err)
			want := typeddelete.TooManyRowsError{Table: "pets", Limit: 2, Count: 3, Scope: "WithMaxRows"}
			tooMany(t, s.Commit(ctx), want)
			seed := map[string][]string{"owners": {"1", "2"}, "pets": {"10|1|rex", "11|1|tom", "20|2|kit"}}
			p.expect(t, seed)
			// The work stays pending: a second Commit sends it again and
			// is refused again.
			if o, b := s.Pending(); o != 0 || b != 1 {
				t.Errorf("Pending() = (%d, %d), want the bulk delete pending", o, b)
			}
			tooMany(t, s.Commit(ctx), want)
			p.expect(t, seed)
			if o, b := s.Pending(); o != 0 || b != 1 {
				t.Errorf("Pending() = (%d, %d) after the second Commit, want the bulk delete pending", o, b)
			}
		})
	})
	t.Run("WithMaxRows counts every table of the Commit", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planTeams, planOwners)
			s := tdb.session(typeddelete.WithMaxRows(7))
			planMust(t, "Delete", s.Delete(&planPet{ID: 10}, &planPet{ID: 11}, &planTeam{ID: 1}))
			tooMany(t, s.Commit(ctx), typeddelete.TooManyRowsError{Table: "teams", Limit: 7, Count: 8, Scope: "WithMaxRows"})
			p.expect(t, planWith(planTeamsSeed, map[string][]string{"owners": {"1", "2"}, "pets": {"10|1|rex", "11|1|tom", "20|2|kit"}}))
			if o, b := s.Pending(); o != 3 || b != 0 {
				t.Errorf("Pending() = (%d, %d), want the three deletes pending", o, b)
			}
		})
	})
	t.Run("a limit that is not positive is refused", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			s := tdb.session()
			if _, err := typeddelete.Query[planPet](s).FilterBy("id", int64(1)).AtMost(0).Delete(); !errors.Is(err, typeddelete.ErrInvalidValue) {
				t.Errorf("AtMost(0).Delete() = %v, want ErrInvalidValue", err)
			}
			if err := tdb.session(typeddelete.WithMaxRows(-1)).Delete(&planPet{ID: 1}); !errors.Is(err, typeddelete.ErrInvalidValue) {
				t.Errorf("WithMaxRows(-1) session: Delete = %v, want ErrInvalidValue", err)
			}
		})
	})
}

type pvKeyed struct {
	ID int64 `db:"id,pk"`
}

func (pvKeyed) TableName() string { return "pv_keyed" }

// TestPreviewArgsKeepTheirValues checks that the arguments of a Preview's
// statements, and its report, keep their values when more objects are
// registered and committed after it, and when more are registered and
// rolled back after that, in the same session and in a new one. Keys go
// out as arguments that point into the lists the Preview planned, for
// keys registered out of order (which the plan sorts) and in order
// (which it reads as they are): those lists must be the Preview's own,
// neither extended by later registrations nor given back for reuse by
// the Commit or the Rollback.
func TestPreviewArgsKeepTheirValues(t *testing.T) {
	ctx := context.Background()
	for _, order := range [][]int64{{5, 3}, {3, 5}} {
		t.Run(fmt.Sprint("keys registered as ", order), func(t *testing.T) {
			forEachDBWhere(t, func(name string) bool { return strings.HasPrefix(name, "sqlite") }, func(t *testing.T, tdb *testDB) {
				tdb.exec(t, "CREATE TABLE pv_keyed (id BIGINT PRIMARY KEY)", "INSERT INTO pv_keyed (id) VALUES (1), (2), (3), (4), (5)")
				s := tdb.session()
				planMust(t, "Delete", s.Delete(&pvKeyed{ID: order[0]}, &pvKeyed{ID: order[1]}))
				pv, err := s.Preview(ctx)
				planMust(t, "Preview", err)
				want := []typeddelete.Statement{{SQL: `DELETE FROM "pv_keyed" WHERE "id" IN (?,?)`, Args: []any{int64(3), int64(5)}}}
				if !reflect.DeepEqual(pv.Statements, want) {
					t.Fatalf("Preview statements = %#v, want %#v", pv.Statements, want)
				}
				report := pv.String()
				planMust(t, "Delete", s.Delete(&pvKeyed{ID: 1}, &pvKeyed{ID: 4}))
				planMust(t, "Commit", s.Commit(ctx))
				for _, s := range []*typeddelete.Session{s, tdb.session()} {
					planMust(t, "Delete", s.Delete(&pvKeyed{ID: 2}))
					planMust(t, "Rollback", s.Rollback(ctx))
					planMust(t, "Delete", s.Delete(&pvKeyed{ID: 7}, &pvKeyed{ID: 8}))
				}
				if !reflect.DeepEqual(pv.Statements, want) {
					t.Errorf("after the Commit, the Preview's statements = %#v, want %#v", pv.Statements, want)
				}
				if got := pv.String(); got != report {
					t.Errorf("after the Commit, the Preview's report = %q, want %q", got, report)
				}
				if got := tdb.ids(t, "pv_keyed"); !slices.Equal(got, []int64{2}) {
					t.Errorf("rows left = %v, want [2]", got)
				}
			})
		})
	}
}
