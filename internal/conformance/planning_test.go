package conformance_test

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	msqlite "modernc.org/sqlite"

	"github.com/typeddelete/typeddelete"
)

// The planning suite: how a Commit orders and shapes its statements from
// relations, foreign keys, versions, hooks and soft deletes. Every test here
// runs on each database of forEachDB and checks the rows left in every
// table it created; planning_mock_test.go checks the exact statements.

// Three levels with Cascade: team -> project -> task.

type planTeam struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name"`
}

func (planTeam) TableName() string { return "teams" }
func (planTeam) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[planProject](typeddelete.Cascade, "team_id")}
}

type planProject struct {
	ID     int64  `db:"id,pk"`
	TeamID int64  `db:"team_id"`
	Name   string `db:"name"`
}

func (planProject) TableName() string { return "projects" }
func (planProject) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[planTask](typeddelete.Cascade, "project_id")}
}

type planTask struct {
	ID        int64  `db:"id,pk"`
	ProjectID int64  `db:"project_id"`
	Title     string `db:"title"`
}

func (planTask) TableName() string { return "tasks" }

// SetNull: deleting an author keeps the books, unattributed.

type planAuthor struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name"`
}

func (planAuthor) TableName() string { return "authors" }
func (planAuthor) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[planBook](typeddelete.SetNull, "author_id")}
}

type planBook struct {
	ID       int64  `db:"id,pk"`
	AuthorID *int64 `db:"author_id"`
	Title    string `db:"title"`
}

func (planBook) TableName() string { return "books" }

// Restrict: a customer with orders cannot be deleted.

type planCustomer struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name"`
}

func (planCustomer) TableName() string { return "customers" }
func (planCustomer) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[planOrder](typeddelete.Restrict, "customer_id")}
}

type planOrder struct {
	ID         int64 `db:"id,pk"`
	CustomerID int64 `db:"customer_id"`
}

func (planOrder) TableName() string { return "orders" }

// Database: the foreign key of files has ON DELETE CASCADE; the one of
// items has no ON DELETE action, so declaring Database on it is an error.

type planFolder struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name"`
}

func (planFolder) TableName() string { return "folders" }
func (planFolder) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[planFile](typeddelete.Database, "folder_id")}
}

type planFile struct {
	ID       int64 `db:"id,pk"`
	FolderID int64 `db:"folder_id"`
}

func (planFile) TableName() string { return "files" }

type planShelf struct {
	ID int64 `db:"id,pk"`
}

func (planShelf) TableName() string { return "shelves" }
func (planShelf) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[planItem](typeddelete.Database, "shelf_id")}
}

type planItem struct {
	ID      int64 `db:"id,pk"`
	ShelfID int64 `db:"shelf_id"`
}

func (planItem) TableName() string { return "items" }

// Owners and pets declare nothing: only the database knows that pets
// reference owners.

type planOwner struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name"`
}

func (planOwner) TableName() string { return "owners" }

type planPet struct {
	ID      int64  `db:"id,pk"`
	OwnerID int64  `db:"owner_id"`
	Name    string `db:"name"`
}

func (planPet) TableName() string { return "pets" }

// Trees: nodes reference themselves in the database only; categories also
// declare it, with Cascade.

type planNode struct {
	ID       int64  `db:"id,pk"`
	ParentID *int64 `db:"parent_id"`
	Name     string `db:"name"`
}

func (planNode) TableName() string { return "nodes" }

type planCategory struct {
	ID       int64  `db:"id,pk"`
	ParentID *int64 `db:"parent_id"`
	Name     string `db:"name"`
}

func (planCategory) TableName() string { return "categories" }
func (planCategory) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[planCategory](typeddelete.Cascade, "parent_id")}
}

// planStaff reports to a manager in its own table; deleting a manager
// keeps the reports, with no manager.
type planStaff struct {
	ID        int64  `db:"id,pk"`
	ManagerID *int64 `db:"manager_id"`
	Name      string `db:"name"`
}

func (planStaff) TableName() string { return "staff" }
func (planStaff) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[planStaff](typeddelete.SetNull, "manager_id")}
}

// A cycle: each table declares the other as its child.

type planCycleA struct {
	ID  int64  `db:"id,pk"`
	BID *int64 `db:"b_id"`
}

func (planCycleA) TableName() string { return "cycle_a" }
func (planCycleA) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[planCycleB](typeddelete.Cascade, "a_id")}
}

type planCycleB struct {
	ID  int64  `db:"id,pk"`
	AID *int64 `db:"a_id"`
}

func (planCycleB) TableName() string { return "cycle_b" }
func (planCycleB) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[planCycleA](typeddelete.Cascade, "b_id")}
}

// planDoc is versioned.
type planDoc struct {
	ID      int64  `db:"id,pk"`
	Version int64  `db:"version,version"`
	Title   string `db:"title"`
}

func (planDoc) TableName() string { return "docs" }

// Ships and their crew have hooks; deleting a ship cascades to its crew.

type planShip struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name"`
}

func (planShip) TableName() string { return "ships" }
func (planShip) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[planCrew](typeddelete.Cascade, "ship_id")}
}
func (s *planShip) BeforeDelete(ctx context.Context, tx typeddelete.DBTX) error {
	return planHooksOf(ctx).record(ctx, tx, "ship.before", s.ID)
}
func (s *planShip) AfterDelete(ctx context.Context, tx typeddelete.DBTX) error {
	return planHooksOf(ctx).record(ctx, tx, "ship.after", s.ID)
}

type planCrew struct {
	ID     int64  `db:"id,pk"`
	ShipID int64  `db:"ship_id"`
	Name   string `db:"name"`
}

func (planCrew) TableName() string { return "crew" }
func (c *planCrew) BeforeDelete(ctx context.Context, tx typeddelete.DBTX) error {
	return planHooksOf(ctx).record(ctx, tx, "crew.before", c.ID)
}
func (c *planCrew) AfterDelete(ctx context.Context, tx typeddelete.DBTX) error {
	return planHooksOf(ctx).record(ctx, tx, "crew.after", c.ID)
}

// Soft delete: accounts are soft-deletable with a deleted key, so that a
// unique index on (email, deleted_key) admits a new live account with the
// email of a deleted one. Their notes are soft-deletable too; their events
// are not.

type planAccount struct {
	ID         int64      `db:"id,pk"`
	Email      string     `db:"email"`
	DeletedAt  *time.Time `db:"deleted_at,softdelete"`
	DeletedKey int64      `db:"deleted_key,deletedkey"`
}

func (planAccount) TableName() string { return "accounts" }
func (planAccount) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[planAccountNote](typeddelete.Cascade, "account_id"),
		typeddelete.HasMany[planAccountEvent](typeddelete.Cascade, "account_id"),
	}
}

type planAccountNote struct {
	ID        int64        `db:"id,pk"`
	AccountID int64        `db:"account_id"`
	DeletedAt sql.NullTime `db:"deleted_at,softdelete"`
}

func (planAccountNote) TableName() string { return "account_notes" }

type planAccountEvent struct {
	ID        int64 `db:"id,pk"`
	AccountID int64 `db:"account_id"`
}

func (planAccountEvent) TableName() string { return "account_events" }

// planHookedAccount is an account whose hooks record whether the delete
// they run in is soft.
type planHookedAccount struct {
	ID         int64      `db:"id,pk"`
	Email      string     `db:"email"`
	DeletedAt  *time.Time `db:"deleted_at,softdelete"`
	DeletedKey int64      `db:"deleted_key,deletedkey"`
}

func (planHookedAccount) TableName() string                 { return "accounts" }
func (planHookedAccount) Relations() []typeddelete.Relation { return planAccount{}.Relations() }
func (a *planHookedAccount) BeforeDelete(ctx context.Context, tx typeddelete.DBTX) error {
	info, _ := typeddelete.HookInfoFrom(ctx)
	return planHooksOf(ctx).record(ctx, tx, fmt.Sprintf("account.before soft=%t", info.Soft), a.ID)
}
func (a *planHookedAccount) AfterDelete(ctx context.Context, tx typeddelete.DBTX) error {
	info, _ := typeddelete.HookInfoFrom(ctx)
	return planHooksOf(ctx).record(ctx, tx, fmt.Sprintf("account.after soft=%t", info.Soft), a.ID)
}

// Clubs are soft-deletable, and their children are under every policy
// but Cascade: members SetNull, badges SetDefault (club 9, "nobody"),
// posts SetValue(9), logs the database's ON DELETE CASCADE, and fees,
// soft-deletable themselves, Restrict.
type planClub struct {
	ID        int64      `db:"id,pk"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (planClub) TableName() string { return "clubs" }
func (planClub) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[planClubMember](typeddelete.SetNull, "club_id"),
		typeddelete.HasMany[planClubBadge](typeddelete.SetDefault, "club_id"),
		typeddelete.HasMany[planClubPost](typeddelete.SetValue, "club_id").Value(int64(9)),
		typeddelete.HasMany[planClubLog](typeddelete.Database, "club_id"),
		typeddelete.HasMany[planClubFee](typeddelete.Restrict, "club_id"),
	}
}

type planClubMember struct {
	ID     int64  `db:"id,pk"`
	ClubID *int64 `db:"club_id"`
}

func (planClubMember) TableName() string { return "club_members" }

type planClubBadge struct {
	ID     int64 `db:"id,pk"`
	ClubID int64 `db:"club_id"`
}

func (planClubBadge) TableName() string { return "club_badges" }

type planClubPost struct {
	ID     int64 `db:"id,pk"`
	ClubID int64 `db:"club_id"`
}

func (planClubPost) TableName() string { return "club_posts" }

type planClubLog struct {
	ID     int64 `db:"id,pk"`
	ClubID int64 `db:"club_id"`
}

func (planClubLog) TableName() string { return "club_logs" }

type planClubFee struct {
	ID        int64      `db:"id,pk"`
	ClubID    int64      `db:"club_id"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (planClubFee) TableName() string { return "club_fees" }

// planMembership has a composite key.
type planMembership struct {
	GroupID int64  `db:"group_id,pk"`
	UserID  int64  `db:"user_id,pk"`
	Role    string `db:"role"`
}

func (planMembership) TableName() string { return "memberships" }

// planBig is a key-only model for the bind-parameter edges.
type planBig struct {
	ID int64 `db:"id,pk"`
}

func (planBig) TableName() string { return "plan_big" }

// planErrHook is the error a hook returns when told to fail.
var planErrHook = errors.New("plan hook: refused")

// planHooks records the hook calls of one Commit, which finds it in the
// Commit's context. With audit set each call also writes a row to the audit
// table through the transaction the hook is given.
type planHooks struct {
	audit    bool
	attempts bool   // record each call's attempt
	failOn   string // "ship.before 1" makes that call fail

	mu    sync.Mutex
	calls []string
}

type planHooksKey struct{}

// with returns ctx carrying h for the hooks to record into.
func (h *planHooks) with(ctx context.Context) context.Context {
	return context.WithValue(ctx, planHooksKey{}, h)
}

func planHooksOf(ctx context.Context) *planHooks {
	h, _ := ctx.Value(planHooksKey{}).(*planHooks)
	return h
}

func (h *planHooks) record(ctx context.Context, tx typeddelete.DBTX, event string, id int64) error {
	if h == nil {
		return nil
	}
	call := fmt.Sprintf("%s %d", event, id)
	if info, ok := typeddelete.HookInfoFrom(ctx); ok && h.attempts {
		call += fmt.Sprintf(" (attempt %d)", info.Attempt)
	}
	h.mu.Lock()
	h.calls = append(h.calls, call)
	h.mu.Unlock()
	if h.audit {
		// Only constants and an int64: no placeholders, so one statement
		// serves every dialect.
		q := fmt.Sprintf("INSERT INTO audit (event, row_id) VALUES ('%s', %d)", event, id)
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	if call == h.failOn {
		return planErrHook
	}
	return nil
}

// got returns the calls recorded so far, sorted: hooks of one batch run in
// key order, but the test states the set of calls, not their interleaving.
// inOrder returns the hook calls in the order they ran.
func (h *planHooks) inOrder() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.calls)
}

func (h *planHooks) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := slices.Clone(h.calls)
	slices.Sort(out)
	return out
}

// planTable is a table a fixture creates and how the suite reads its rows:
// the selected expressions and their order.
type planTable struct {
	name, cols, order string
}

// planFixture is the DDL and seed rows of a group of tables.
type planFixture struct {
	tables []planTable
	// setup creates and fills the tables; name is the database's name in
	// forEachDB, for the few statements that differ.
	setup func(name string) []string
}

var (
	planTeams = planFixture{
		tables: []planTable{
			{"teams", "id, name", "1"},
			{"projects", "id, team_id", "1"},
			{"tasks", "id, project_id", "1"},
		},
		setup: func(string) []string {
			return []string{
				"CREATE TABLE teams (id BIGINT PRIMARY KEY, name VARCHAR(255) NOT NULL)",
				"CREATE TABLE projects (id BIGINT PRIMARY KEY, team_id BIGINT NOT NULL, name VARCHAR(255) NOT NULL, FOREIGN KEY (team_id) REFERENCES teams(id))",
				"CREATE TABLE tasks (id BIGINT PRIMARY KEY, project_id BIGINT NOT NULL, title VARCHAR(255) NOT NULL, FOREIGN KEY (project_id) REFERENCES projects(id))",
				"INSERT INTO teams (id, name) VALUES (1, 'red'), (2, 'blue'), (3, 'green')",
				"INSERT INTO projects (id, team_id, name) VALUES (10, 1, 'a'), (11, 1, 'b'), (20, 2, 'c'), (30, 3, 'd')",
				"INSERT INTO tasks (id, project_id, title) VALUES (100, 10, 't'), (101, 10, 't'), (110, 11, 't'), (200, 20, 't'), (300, 30, 't')",
			}
		},
	}
	// planTeamsSeed is every row of planTeams before any delete.
	planTeamsSeed = map[string][]string{
		"teams":    {"1|red", "2|blue", "3|green"},
		"projects": {"10|1", "11|1", "20|2", "30|3"},
		"tasks":    {"100|10", "101|10", "110|11", "200|20", "300|30"},
	}

	planAuthors = planFixture{
		tables: []planTable{{"authors", "id", "1"}, {"books", "id, author_id", "1"}},
		setup: func(string) []string {
			return []string{
				"CREATE TABLE authors (id BIGINT PRIMARY KEY, name VARCHAR(255) NOT NULL)",
				"CREATE TABLE books (id BIGINT PRIMARY KEY, author_id BIGINT, title VARCHAR(255) NOT NULL, FOREIGN KEY (author_id) REFERENCES authors(id))",
				"INSERT INTO authors (id, name) VALUES (1, 'ann'), (2, 'ben')",
				"INSERT INTO books (id, author_id, title) VALUES (10, 1, 'x'), (11, 1, 'y'), (20, 2, 'z')",
			}
		},
	}

	planCustomers = planFixture{
		tables: []planTable{{"customers", "id", "1"}, {"orders", "id, customer_id", "1"}},
		setup: func(string) []string {
			return []string{
				"CREATE TABLE customers (id BIGINT PRIMARY KEY, name VARCHAR(255) NOT NULL)",
				"CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL, FOREIGN KEY (customer_id) REFERENCES customers(id))",
				"INSERT INTO customers (id, name) VALUES (1, 'c1'), (2, 'c2'), (3, 'c3')",
				"INSERT INTO orders (id, customer_id) VALUES (10, 1), (11, 1), (12, 1), (20, 2)",
			}
		},
	}

	planFolders = planFixture{
		tables: []planTable{{"folders", "id", "1"}, {"files", "id, folder_id", "1"}, {"shelves", "id", "1"}, {"items", "id, shelf_id", "1"}},
		setup: func(string) []string {
			return []string{
				"CREATE TABLE folders (id BIGINT PRIMARY KEY, name VARCHAR(255) NOT NULL)",
				"CREATE TABLE files (id BIGINT PRIMARY KEY, folder_id BIGINT NOT NULL, FOREIGN KEY (folder_id) REFERENCES folders(id) ON DELETE CASCADE)",
				"CREATE TABLE shelves (id BIGINT PRIMARY KEY)",
				"CREATE TABLE items (id BIGINT PRIMARY KEY, shelf_id BIGINT NOT NULL, FOREIGN KEY (shelf_id) REFERENCES shelves(id))",
				"INSERT INTO folders (id, name) VALUES (1, 'f1'), (2, 'f2')",
				"INSERT INTO files (id, folder_id) VALUES (10, 1), (11, 1), (20, 2)",
				"INSERT INTO shelves (id) VALUES (1), (2)",
				"INSERT INTO items (id, shelf_id) VALUES (10, 1), (20, 2)",
			}
		},
	}

	planOwners = planFixture{
		tables: []planTable{{"owners", "id", "1"}, {"pets", "id, owner_id, name", "1"}},
		setup: func(string) []string {
			return []string{
				"CREATE TABLE owners (id BIGINT PRIMARY KEY, name VARCHAR(255) NOT NULL)",
				"CREATE TABLE pets (id BIGINT PRIMARY KEY, owner_id BIGINT NOT NULL, name VARCHAR(255) NOT NULL, FOREIGN KEY (owner_id) REFERENCES owners(id))",
				"INSERT INTO owners (id, name) VALUES (1, 'olga'), (2, 'oscar')",
				"INSERT INTO pets (id, owner_id, name) VALUES (10, 1, 'rex'), (11, 1, 'tom'), (20, 2, 'kit')",
			}
		},
	}

	// planNodes and planCategories hold the same forest:
	//
	//	1 ─┬─ 2 ─┬─ 4 ── 6
	//	   │     └─ 5
	//	   └─ 3
	//	7 ── 8
	planNodes      = planTreeFixture("nodes")
	planCategories = planTreeFixture("categories")
	planForest     = []string{"1|NULL", "2|1", "3|1", "4|2", "5|2", "6|4", "7|NULL", "8|7"}

	planCycle = planFixture{
		tables: []planTable{{"cycle_a", "id, b_id", "1"}, {"cycle_b", "id, a_id", "1"}},
		setup: func(name string) []string {
			if strings.HasPrefix(name, "sqlite") {
				// SQLite cannot add a constraint later but accepts a
				// reference to a table created after.
				return []string{
					"CREATE TABLE cycle_a (id BIGINT PRIMARY KEY, b_id BIGINT, FOREIGN KEY (b_id) REFERENCES cycle_b(id))",
					"CREATE TABLE cycle_b (id BIGINT PRIMARY KEY, a_id BIGINT, FOREIGN KEY (a_id) REFERENCES cycle_a(id))",
					"INSERT INTO cycle_a (id, b_id) VALUES (1, NULL)",
					"INSERT INTO cycle_b (id, a_id) VALUES (1, 1)",
				}
			}
			return []string{
				"CREATE TABLE cycle_a (id BIGINT PRIMARY KEY, b_id BIGINT)",
				"CREATE TABLE cycle_b (id BIGINT PRIMARY KEY, a_id BIGINT, FOREIGN KEY (a_id) REFERENCES cycle_a(id))",
				"ALTER TABLE cycle_a ADD FOREIGN KEY (b_id) REFERENCES cycle_b(id)",
				"INSERT INTO cycle_a (id, b_id) VALUES (1, NULL)",
				"INSERT INTO cycle_b (id, a_id) VALUES (1, 1)",
			}
		},
	}

	planDocs = planFixture{
		tables: []planTable{{"docs", "id, version", "1"}},
		setup: func(string) []string {
			return []string{
				"CREATE TABLE docs (id BIGINT PRIMARY KEY, version BIGINT NOT NULL, title VARCHAR(255) NOT NULL)",
				"INSERT INTO docs (id, version, title) VALUES (1, 1, 'a'), (2, 3, 'b'), (3, 1, 'c'), (4, 7, 'd')",
			}
		},
	}

	planShips = planFixture{
		tables: []planTable{{"ships", "id", "1"}, {"crew", "id, ship_id", "1"}, {"audit", "event, row_id", "1, 2"}},
		setup: func(string) []string {
			return []string{
				"CREATE TABLE ships (id BIGINT PRIMARY KEY, name VARCHAR(255) NOT NULL)",
				"CREATE TABLE crew (id BIGINT PRIMARY KEY, ship_id BIGINT NOT NULL, name VARCHAR(255) NOT NULL, FOREIGN KEY (ship_id) REFERENCES ships(id))",
				"CREATE TABLE audit (event VARCHAR(255) NOT NULL, row_id BIGINT NOT NULL)",
				"INSERT INTO ships (id, name) VALUES (1, 'ark'), (2, 'bat'), (3, 'cat')",
				"INSERT INTO crew (id, ship_id, name) VALUES (10, 1, 'x'), (11, 1, 'y'), (20, 2, 'z')",
			}
		},
	}

	planAccounts = planFixture{
		tables: []planTable{
			{"accounts", "id, email, CASE WHEN deleted_at IS NULL THEN 'live' ELSE 'deleted' END, deleted_key", "1"},
			{"account_notes", "id, account_id, CASE WHEN deleted_at IS NULL THEN 'live' ELSE 'deleted' END", "1"},
			{"account_events", "id, account_id", "1"},
		},
		setup: func(string) []string {
			return []string{
				"CREATE TABLE accounts (id BIGINT PRIMARY KEY, email VARCHAR(255) NOT NULL, deleted_at TIMESTAMP NULL, deleted_key BIGINT NOT NULL DEFAULT 0, UNIQUE (email, deleted_key))",
				"CREATE TABLE account_notes (id BIGINT PRIMARY KEY, account_id BIGINT NOT NULL, deleted_at TIMESTAMP NULL, FOREIGN KEY (account_id) REFERENCES accounts(id))",
				"CREATE TABLE account_events (id BIGINT PRIMARY KEY, account_id BIGINT NOT NULL, FOREIGN KEY (account_id) REFERENCES accounts(id))",
				"INSERT INTO accounts (id, email, deleted_at, deleted_key) VALUES (1, 'a@x', NULL, 0), (2, 'b@x', NULL, 0), (3, 'c@x', NULL, 0)",
				"INSERT INTO account_notes (id, account_id, deleted_at) VALUES (10, 1, NULL), (11, 1, NULL), (20, 2, NULL)",
				"INSERT INTO account_events (id, account_id) VALUES (10, 1), (20, 2)",
			}
		},
	}

	// planClubs: clubs 1, 2 and 3 have a member, a badge, a post and a log
	// each; club 1 has a soft-deleted fee, club 2 a live one.
	planClubs = planFixture{
		tables: []planTable{
			{"clubs", "id, CASE WHEN deleted_at IS NULL THEN 'live' ELSE 'deleted' END", "1"},
			{"club_members", "id, club_id", "1"},
			{"club_badges", "id, club_id", "1"},
			{"club_posts", "id, club_id", "1"},
			{"club_logs", "id, club_id", "1"},
			{"club_fees", "id, club_id, CASE WHEN deleted_at IS NULL THEN 'live' ELSE 'deleted' END", "1"},
		},
		setup: func(string) []string {
			return []string{
				"CREATE TABLE clubs (id BIGINT PRIMARY KEY, deleted_at TIMESTAMP NULL)",
				"CREATE TABLE club_members (id BIGINT PRIMARY KEY, club_id BIGINT, FOREIGN KEY (club_id) REFERENCES clubs(id))",
				"CREATE TABLE club_badges (id BIGINT PRIMARY KEY, club_id BIGINT NOT NULL DEFAULT 9, FOREIGN KEY (club_id) REFERENCES clubs(id))",
				"CREATE TABLE club_posts (id BIGINT PRIMARY KEY, club_id BIGINT NOT NULL, FOREIGN KEY (club_id) REFERENCES clubs(id))",
				"CREATE TABLE club_logs (id BIGINT PRIMARY KEY, club_id BIGINT NOT NULL, FOREIGN KEY (club_id) REFERENCES clubs(id) ON DELETE CASCADE)",
				"CREATE TABLE club_fees (id BIGINT PRIMARY KEY, club_id BIGINT NOT NULL, deleted_at TIMESTAMP NULL, FOREIGN KEY (club_id) REFERENCES clubs(id))",
				"INSERT INTO clubs (id, deleted_at) VALUES (1, NULL), (2, NULL), (3, NULL), (9, NULL)",
				"INSERT INTO club_members (id, club_id) VALUES (10, 1), (20, 2), (30, 3)",
				"INSERT INTO club_badges (id, club_id) VALUES (10, 1), (20, 2), (30, 3)",
				"INSERT INTO club_posts (id, club_id) VALUES (10, 1), (20, 2), (30, 3)",
				"INSERT INTO club_logs (id, club_id) VALUES (10, 1), (20, 2), (30, 3)",
				"INSERT INTO club_fees (id, club_id, deleted_at) VALUES (10, 1, CURRENT_TIMESTAMP), (20, 2, NULL)",
			}
		},
	}
	// planClubsSeed is every row of planClubs before any delete.
	planClubsSeed = map[string][]string{
		"clubs":        {"1|live", "2|live", "3|live", "9|live"},
		"club_members": {"10|1", "20|2", "30|3"},
		"club_badges":  {"10|1", "20|2", "30|3"},
		"club_posts":   {"10|1", "20|2", "30|3"},
		"club_logs":    {"10|1", "20|2", "30|3"},
		"club_fees":    {"10|1|deleted", "20|2|live"},
	}

	planStaffs = planFixture{
		tables: []planTable{{"staff", "id, manager_id", "1"}},
		setup: func(string) []string {
			ins := "INSERT INTO staff (id, manager_id, name) VALUES "
			return []string{
				"CREATE TABLE staff (id BIGINT PRIMARY KEY, manager_id BIGINT, name VARCHAR(255) NOT NULL, FOREIGN KEY (manager_id) REFERENCES staff(id))",
				ins + "(1, NULL, 'boss')",
				ins + "(2, 1, 'mid'), (3, 1, 'mid')",
				ins + "(4, 2, 'dev'), (5, 3, 'dev')",
			}
		},
	}

	planMemberships = planFixture{
		tables: []planTable{{"memberships", "group_id, user_id", "1, 2"}},
		setup: func(string) []string {
			return []string{
				"CREATE TABLE memberships (group_id BIGINT NOT NULL, user_id BIGINT NOT NULL, role VARCHAR(255) NOT NULL, PRIMARY KEY (group_id, user_id))",
				"INSERT INTO memberships (group_id, user_id, role) VALUES (1, 1, 'r'), (1, 2, 'r')",
			}
		},
	}
)

func planTreeFixture(table string) planFixture {
	return planFixture{
		tables: []planTable{{table, "id, parent_id", "1"}},
		setup: func(string) []string {
			ins := "INSERT INTO " + table + " (id, parent_id, name) VALUES "
			return []string{
				"CREATE TABLE " + table + " (id BIGINT PRIMARY KEY, parent_id BIGINT, name VARCHAR(255) NOT NULL, FOREIGN KEY (parent_id) REFERENCES " + table + "(id))",
				ins + "(1, NULL, 'n1'), (7, NULL, 'n7')",
				ins + "(2, 1, 'n2'), (3, 1, 'n3'), (8, 7, 'n8')",
				ins + "(4, 2, 'n4'), (5, 2, 'n5')",
				ins + "(6, 4, 'n6')",
			}
		},
	}
}

// planDB is a test database with the tables of some fixtures.
type planDB struct {
	*testDB
	tables []planTable
}

// planSetup creates and fills the tables of fixtures.
func planSetup(t *testing.T, tdb *testDB, fixtures ...planFixture) *planDB {
	t.Helper()
	p := &planDB{testDB: tdb}
	for _, f := range fixtures {
		tdb.exec(t, f.setup(tdb.Name)...)
		p.tables = append(p.tables, f.tables...)
	}
	return p
}

// rows returns the rows of table as the fixture reads them: the selected
// values joined by "|", NULL for NULL.
func (p *planDB) rows(t *testing.T, table planTable) []string {
	t.Helper()
	rs, err := p.DB.QueryContext(context.Background(), "SELECT "+table.cols+" FROM "+table.name+" ORDER BY "+table.order)
	if err != nil {
		t.Fatalf("%s: rows of %s: %v", p.Name, table.name, err)
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rs.Next() {
		vals := make([]sql.NullString, len(cols))
		dest := make([]any, len(cols))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := rs.Scan(dest...); err != nil {
			t.Fatalf("%s: rows of %s: %v", p.Name, table.name, err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = "NULL"
			if v.Valid {
				parts[i] = v.String
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// expect fails the test unless every table of the fixtures holds exactly
// the rows of want; want must name every table (nil for an empty one).
func (p *planDB) expect(t *testing.T, want map[string][]string) {
	t.Helper()
	for name := range want {
		if !slices.ContainsFunc(p.tables, func(tb planTable) bool { return tb.name == name }) {
			t.Fatalf("expect names table %q, which the test did not create", name)
		}
	}
	for _, tb := range p.tables {
		w, ok := want[tb.name]
		if !ok {
			t.Fatalf("expect does not say which rows table %q holds", tb.name)
		}
		if got := p.rows(t, tb); !slices.Equal(got, w) {
			t.Errorf("%s: rows of %s = %q, want %q", p.Name, tb.name, got, w)
		}
	}
}

// planWith returns a copy of rows with the tables of changes replaced.
func planWith(rows map[string][]string, changes map[string][]string) map[string][]string {
	out := make(map[string][]string, len(rows)+len(changes))
	for k, v := range rows {
		out[k] = v
	}
	for k, v := range changes {
		out[k] = v
	}
	return out
}

// planAll returns every row of type T through a new session over tdb,
// ordered by the ID field.
func planAll[T any](t *testing.T, tdb *testDB) []*T {
	t.Helper()
	objs, err := typeddelete.Query[T](tdb.session()).AllRows().All(context.Background())
	if err != nil {
		t.Fatalf("%s: All: %v", tdb.Name, err)
	}
	id := func(o *T) int64 { return reflect.ValueOf(o).Elem().FieldByName("ID").Int() }
	slices.SortFunc(objs, func(a, b *T) int { return cmp.Compare(id(a), id(b)) })
	return objs
}

// planMust stops the test on an unexpected error.
func planMust(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// planMissing renders LastCommit().Missing as "table:key" strings.
func planMissing(res typeddelete.CommitResult) []string {
	var out []string
	for _, m := range res.Missing {
		out = append(out, fmt.Sprintf("%s:%v", m.Table, m.Key))
	}
	return out
}

// planSent returns the SQL of every statement the session logged.
func planSent(l *mockLog) []string {
	var out []string
	for _, s := range l.sent() {
		out = append(out, s.sql)
	}
	return out
}

// planWork returns the statements the session logged, the catalog read
// left out, each shortened to its verb and table with identifiers quoted
// as "x" whatever the dialect: BEGIN, DELETE FROM "pets", UPDATE "books",
// SELECT COUNT(*) FROM "orders", COMMIT.
func planWork(l *mockLog) []string {
	var out []string
	for _, st := range l.sent() {
		if st.msg == "typeddelete: read catalog" {
			continue
		}
		q := st.sql
		q = strings.ReplaceAll(q, "`", `"`)
		if i := strings.Index(q, " WHERE "); i >= 0 {
			q = q[:i]
		}
		if i := strings.Index(q, " SET "); i >= 0 {
			q = q[:i]
		}
		out = append(out, q)
	}
	return out
}

// planNothingButCatalog fails the test when the session sent anything but
// the read of the database's foreign keys: no BEGIN, no DELETE, no UPDATE.
func planNothingButCatalog(t *testing.T, l *mockLog) {
	t.Helper()
	if work := planWork(l); len(work) > 0 {
		t.Errorf("the session sent %q; want nothing but the catalog read", work)
	}
}

func planI64(v int64) *int64 { return &v }

func TestPlanningForeignKeyOrder(t *testing.T) {
	ctx := context.Background()

	t.Run("a child registered after its declared parent is deleted first", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planCustomers)
			// Without introspection only the declared Restrict relation
			// can order the tables; deleting the customer first would be
			// refused by it.
			s := tdb.session(typeddelete.WithoutSchemaIntrospection())
			planMust(t, "Delete", s.Delete(&planCustomer{ID: 2}))
			planMust(t, "Delete", s.Delete(&planOrder{ID: 20, CustomerID: 2}))
			planMust(t, "Commit", s.Commit(ctx))
			p.expect(t, map[string][]string{
				"customers": {"1", "3"},
				"orders":    {"10|1", "11|1", "12|1"},
			})
			if got := s.LastCommit().Missing; len(got) != 0 {
				t.Errorf("LastCommit().Missing = %v, want none", got)
			}
		})
	})

	t.Run("a child registered after its parent is deleted first from the database's own foreign keys", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planOwners)
			s := tdb.session()
			planMust(t, "Delete", s.Delete(&planOwner{ID: 1}, &planOwner{ID: 2}))
			planMust(t, "Delete", s.Delete(&planPet{ID: 10}, &planPet{ID: 11}, &planPet{ID: 20}))
			planMust(t, "Commit", s.Commit(ctx))
			p.expect(t, map[string][]string{"owners": nil, "pets": nil})
			if got := s.LastCommit().Deleted; got["owners"] != 2 || got["pets"] != 3 {
				t.Errorf("LastCommit().Deleted = %v, want owners 2, pets 3", got)
			}
		})
	})

	trees := []struct {
		name    string
		fixture planFixture
		all     func(t *testing.T, tdb *testDB) []any
		opts    []typeddelete.Option
	}{
		{
			name:    "a tree known from the database's foreign key",
			fixture: planNodes,
			all:     func(t *testing.T, tdb *testDB) []any { return planAny(planAll[planNode](t, tdb)) },
		},
		{
			name:    "a tree known from the database's foreign key, one key per statement",
			fixture: planNodes,
			all:     func(t *testing.T, tdb *testDB) []any { return planAny(planAll[planNode](t, tdb)) },
			opts:    []typeddelete.Option{typeddelete.WithBatchSize(1)},
		},
		{
			name:    "a tree declared with a Cascade relation to itself, one key per statement, without introspection",
			fixture: planCategories,
			all:     func(t *testing.T, tdb *testDB) []any { return planAny(planAll[planCategory](t, tdb)) },
			opts:    []typeddelete.Option{typeddelete.WithBatchSize(1), typeddelete.WithoutSchemaIntrospection()},
		},
	}
	for _, tt := range trees {
		t.Run(tt.name+" is deleted leaves first when every node is loaded and registered root first", func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				p := planSetup(t, tdb, tt.fixture)
				objs := tt.all(t, tdb) // ascending id: every parent before its children
				if len(objs) != 8 {
					t.Fatalf("loaded %d nodes, want 8", len(objs))
				}
				s := tdb.session(tt.opts...)
				planMust(t, "Delete", s.Delete(objs...))
				planMust(t, "Commit", s.Commit(ctx))
				p.expect(t, map[string][]string{tt.fixture.tables[0].name: nil})
				if got := s.LastCommit(); got.Deleted[tt.fixture.tables[0].name] != 8 || len(got.Missing) != 0 {
					t.Errorf("LastCommit() = %+v, want 8 deleted and none missing", got)
				}
			})
		})
	}

	t.Run("a subtree is deleted leaves first and the rest of the forest stays", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planNodes)
			var sub []any
			for _, n := range planAll[planNode](t, tdb) {
				if n.ID == 2 || n.ID == 4 || n.ID == 5 || n.ID == 6 {
					sub = append(sub, n)
				}
			}
			s := tdb.session(typeddelete.WithBatchSize(1))
			planMust(t, "Delete", s.Delete(sub...))
			planMust(t, "Commit", s.Commit(ctx))
			p.expect(t, map[string][]string{"nodes": {"1|NULL", "3|1", "7|NULL", "8|7"}})
		})
	})

	t.Run("declared relations in both directions between two tables fail with ErrCycle and send nothing", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planCycle)
			log := &mockLog{}
			s := tdb.session(typeddelete.WithLogger(slog.New(log)))
			planMust(t, "Delete", s.Delete(&planCycleA{ID: 1}, &planCycleB{ID: 1}))
			err := s.Commit(ctx)
			if !errors.Is(err, typeddelete.ErrCycle) {
				t.Fatalf("Commit error = %v, want ErrCycle", err)
			}
			for _, table := range []string{`"cycle_a"`, `"cycle_b"`} {
				if !strings.Contains(err.Error(), table) {
					t.Errorf("Commit error %q does not name %s", err, table)
				}
			}
			planNothingButCatalog(t, log)
			p.expect(t, map[string][]string{"cycle_a": {"1|NULL"}, "cycle_b": {"1|1"}})
		})
	})
}

// planAny converts a slice of objects for Session.Delete.
func planAny[T any](objs []*T) []any {
	out := make([]any, len(objs))
	for i, o := range objs {
		out[i] = o
	}
	return out
}

func TestPlanningPolicies(t *testing.T) {
	ctx := context.Background()

	t.Run("Cascade removes a team's projects and their tasks, three levels deep", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planTeams)
			s := tdb.session()
			planMust(t, "Delete", s.Delete(&planTeam{ID: 1}, &planTeam{ID: 3}))
			planMust(t, "Commit", s.Commit(ctx))
			p.expect(t, map[string][]string{"teams": {"2|blue"}, "projects": {"20|2"}, "tasks": {"200|20"}})
			want := map[string]int64{"teams": 2, "projects": 3, "tasks": 4}
			if got := s.LastCommit().Deleted; !reflect.DeepEqual(got, want) {
				t.Errorf("LastCommit().Deleted = %v, want %v", got, want)
			}
		})
	})

	t.Run("SetNull keeps an author's books with a NULL author", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planAuthors)
			s := tdb.session()
			planMust(t, "Delete", s.Delete(&planAuthor{ID: 1}))
			planMust(t, "Commit", s.Commit(ctx))
			p.expect(t, map[string][]string{"authors": {"2"}, "books": {"10|NULL", "11|NULL", "20|2"}})
		})
	})

	t.Run("Restrict refuses a customer with orders, names the child table and count, and changes nothing", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planCustomers)
			s := tdb.session()
			// Customer 3 has no orders and would be deletable alone.
			planMust(t, "Delete", s.Delete(&planCustomer{ID: 3}, &planCustomer{ID: 1}))
			err := s.Commit(ctx)
			var re *typeddelete.RestrictError
			if !errors.As(err, &re) {
				t.Fatalf("Commit error = %v, want a *RestrictError", err)
			}
			if !errors.Is(err, typeddelete.ErrRestricted) {
				t.Errorf("Commit error %v does not match ErrRestricted", err)
			}
			if re.Parent != "customers" || re.Child != "orders" || re.Count != 3 {
				t.Errorf("RestrictError = %+v, want customers/orders/3", *re)
			}
			p.expect(t, map[string][]string{"customers": {"1", "2", "3"}, "orders": {"10|1", "11|1", "12|1", "20|2"}})
		})
	})

	t.Run("Restrict lets a customer without orders go", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planCustomers)
			s := tdb.session()
			planMust(t, "Delete", s.Delete(&planCustomer{ID: 3}))
			planMust(t, "Commit", s.Commit(ctx))
			p.expect(t, map[string][]string{"customers": {"1", "2"}, "orders": {"10|1", "11|1", "12|1", "20|2"}})
		})
	})

	t.Run("Database leaves a folder's files to the database's ON DELETE CASCADE", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planFolders)
			log := &mockLog{}
			s := tdb.session(typeddelete.WithLogger(slog.New(log)))
			planMust(t, "Delete", s.Delete(&planFolder{ID: 1}))
			planMust(t, "Commit", s.Commit(ctx))
			p.expect(t, map[string][]string{
				"folders": {"2"}, "files": {"20|2"},
				"shelves": {"1", "2"}, "items": {"10|1", "20|2"},
			})
			var touched []string
			for _, q := range planSent(log) {
				if strings.Contains(q, "files") {
					touched = append(touched, q)
				}
			}
			if len(touched) != 0 {
				t.Errorf("the session sent %q; want nothing on files", touched)
			}
			if got := s.LastCommit().Statements; got != 1 {
				t.Errorf("LastCommit().Statements = %d, want 1 (the folder's DELETE)", got)
			}
		})
	})

	t.Run("Database where the foreign key has no ON DELETE action fails with ErrInvalidRelation before anything is sent", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planFolders)
			log := &mockLog{}
			s := tdb.session(typeddelete.WithLogger(slog.New(log)))
			planMust(t, "Delete", s.Delete(&planShelf{ID: 1}))
			err := s.Commit(ctx)
			if !errors.Is(err, typeddelete.ErrInvalidRelation) {
				t.Fatalf("Commit error = %v, want ErrInvalidRelation", err)
			}
			if !strings.Contains(err.Error(), "items(shelf_id)") {
				t.Errorf("Commit error %q does not name items(shelf_id)", err)
			}
			planNothingButCatalog(t, log)
			p.expect(t, map[string][]string{
				"folders": {"1", "2"}, "files": {"10|1", "11|1", "20|2"},
				"shelves": {"1", "2"}, "items": {"10|1", "20|2"},
			})
		})
	})

	bulk := []struct {
		name  string
		query func(s *typeddelete.Session) (*typeddelete.Deletion, error)
		rows  int64
		want  map[string][]string
	}{
		{
			name: "a bulk delete of two teams cascades to the projects and tasks of both",
			query: func(s *typeddelete.Session) (*typeddelete.Deletion, error) {
				return typeddelete.Query[planTeam](s).FilterBy("name", []string{"red", "green"}).Delete()
			},
			rows: 2,
			want: map[string][]string{"teams": {"2|blue"}, "projects": {"20|2"}, "tasks": {"200|20"}},
		},
		{
			name: "a bulk delete of every team cascades to every project and task",
			query: func(s *typeddelete.Session) (*typeddelete.Deletion, error) {
				return typeddelete.Query[planTeam](s).AllRows().Delete()
			},
			rows: 3,
			want: map[string][]string{"teams": nil, "projects": nil, "tasks": nil},
		},
		{
			name: "a bulk delete of projects cascades to their tasks and leaves the teams",
			query: func(s *typeddelete.Session) (*typeddelete.Deletion, error) {
				return typeddelete.Query[planProject](s).FilterBy("team_id", int64(1)).Delete()
			},
			rows: 2,
			want: planWith(planTeamsSeed, map[string][]string{"projects": {"20|2", "30|3"}, "tasks": {"200|20", "300|30"}}),
		},
		{
			name: "a bulk delete that matches no team removes nothing",
			query: func(s *typeddelete.Session) (*typeddelete.Deletion, error) {
				return typeddelete.Query[planTeam](s).FilterBy("name", "none").Delete()
			},
			rows: 0,
			want: planTeamsSeed,
		},
	}
	for _, tt := range bulk {
		t.Run(tt.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				p := planSetup(t, tdb, planTeams)
				s := tdb.session()
				d, err := tt.query(s)
				planMust(t, "Query.Delete", err)
				planMust(t, "Commit", s.Commit(ctx))
				if n, done := d.RowsAffected(); n != tt.rows || !done {
					t.Errorf("RowsAffected() = (%d, %t), want (%d, true)", n, done, tt.rows)
				}
				p.expect(t, tt.want)
			})
		})
	}

	t.Run("a bulk delete of authors sets the books of every matched author to NULL", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planAuthors)
			s := tdb.session()
			_, err := typeddelete.Query[planAuthor](s).FilterBy("name", []string{"ann", "ben"}).Delete()
			planMust(t, "Query.Delete", err)
			planMust(t, "Commit", s.Commit(ctx))
			p.expect(t, map[string][]string{"authors": nil, "books": {"10|NULL", "11|NULL", "20|NULL"}})
		})
	})

	t.Run("a bulk delete on a table that references itself with SetNull keeps the reports with a NULL manager", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planStaffs)
			s := tdb.session()
			d, err := typeddelete.Query[planStaff](s).FilterBy("name", "mid").Delete()
			planMust(t, "Query.Delete", err)
			planMust(t, "Commit", s.Commit(ctx))
			if n, _ := d.RowsAffected(); n != 2 {
				t.Errorf("RowsAffected() = %d, want 2", n)
			}
			p.expect(t, map[string][]string{"staff": {"1|NULL", "4|NULL", "5|NULL"}})
		})
	})

	treeBulk := []struct {
		names []string
		want  []string
	}{
		{[]string{"n2"}, []string{"1|NULL", "3|1", "7|NULL", "8|7"}},
		{[]string{"n1"}, []string{"7|NULL", "8|7"}},
		{[]string{"n2", "n4"}, []string{"1|NULL", "3|1", "7|NULL", "8|7"}},
		{[]string{"n1", "n4", "n8"}, []string{"7|NULL"}},
	}
	for _, tt := range treeBulk {
		t.Run(fmt.Sprintf("a bulk delete of the categories named %v removes their subtrees, deepest first", tt.names), func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				p := planSetup(t, tdb, planCategories)
				s := tdb.session()
				_, err := typeddelete.Query[planCategory](s).FilterBy("name", tt.names).Delete()
				planMust(t, "Query.Delete", err)
				planMust(t, "Commit", s.Commit(ctx))
				p.expect(t, map[string][]string{"categories": tt.want})
			})
		})
	}

	t.Run("a bulk delete of customers is refused when any matched customer has orders", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planCustomers)
			s := tdb.session()
			_, err := typeddelete.Query[planCustomer](s).FilterBy("name", []string{"c2", "c3"}).Delete()
			planMust(t, "Query.Delete", err)
			var re *typeddelete.RestrictError
			if err := s.Commit(ctx); !errors.As(err, &re) || re.Child != "orders" || re.Count != 1 {
				t.Fatalf("Commit error = %v, want a *RestrictError on orders with Count 1", err)
			}
			p.expect(t, map[string][]string{"customers": {"1", "2", "3"}, "orders": {"10|1", "11|1", "12|1", "20|2"}})
		})
	})
}

func TestPlanningOptimisticLocking(t *testing.T) {
	ctx := context.Background()

	t.Run("versioned rows are deleted when their version is the one loaded", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planDocs)
			docs := planAll[planDoc](t, tdb)
			s := tdb.session()
			planMust(t, "Delete", s.Delete(docs[0], docs[1]))
			// The version is read at Delete: changing the object after
			// does not change which row version is deleted.
			docs[1].Version = 99
			planMust(t, "Commit", s.Commit(ctx))
			p.expect(t, map[string][]string{"docs": {"3|1", "4|7"}})
		})
	})

	t.Run("one stale row among several fails the Commit, names exactly that key and commits nothing", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planDocs)
			docs := planAll[planDoc](t, tdb)
			tdb.exec(t, "UPDATE docs SET version = 4 WHERE id = 2") // someone else's write
			s := tdb.session()
			planMust(t, "Delete", s.Delete(docs[0], docs[1], docs[2], docs[3]))
			err := s.Commit(ctx)
			if !errors.Is(err, typeddelete.ErrVersionConflict) || !errors.Is(err, typeddelete.ErrStaleData) {
				t.Fatalf("Commit error = %v, want ErrVersionConflict and ErrStaleData", err)
			}
			var se *typeddelete.StaleDataError
			if !errors.As(err, &se) {
				t.Fatalf("Commit error = %v, want a *StaleDataError", err)
			}
			want := typeddelete.StaleDataError{Table: "docs", Keys: [][]any{{int64(2)}}, Version: true}
			if !reflect.DeepEqual(*se, want) {
				t.Errorf("StaleDataError = %+v, want %+v", *se, want)
			}
			p.expect(t, map[string][]string{"docs": {"1|1", "2|4", "3|1", "4|7"}})
			if o, b := s.Pending(); o != 4 || b != 0 {
				t.Errorf("Pending() = (%d, %d), want the 4 deletes pending again", o, b)
			}
		})
	})

	t.Run("a versioned row deleted by someone else is a conflict even without strict row counts", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planDocs)
			docs := planAll[planDoc](t, tdb)
			tdb.exec(t, "DELETE FROM docs WHERE id = 4")
			s := tdb.session()
			planMust(t, "Delete", s.Delete(docs[0], docs[3]))
			var se *typeddelete.StaleDataError
			if err := s.Commit(ctx); !errors.As(err, &se) || !se.Version || !reflect.DeepEqual(se.Keys, [][]any{{int64(4)}}) {
				t.Fatalf("Commit error = %v, want a version conflict on key 4", err)
			}
			p.expect(t, map[string][]string{"docs": {"1|1", "2|3", "3|1"}})
		})
	})
}

func TestPlanningHooks(t *testing.T) {
	ctx := context.Background()

	tests := []struct {
		name     string
		register func(t *testing.T, s *typeddelete.Session, tdb *testDB)
		failOn   string
		calls    []string
		want     map[string][]string
		wantErr  error
	}{
		{
			name: "object deletes run BeforeDelete and AfterDelete once per row, and on the cascaded crew",
			register: func(t *testing.T, s *typeddelete.Session, tdb *testDB) {
				planMust(t, "Delete", s.Delete(&planShip{ID: 1}, &planShip{ID: 3}))
			},
			calls: planStrings("crew.after 10", "crew.after 11", "crew.before 10", "crew.before 11",
				"ship.after 1", "ship.after 3", "ship.before 1", "ship.before 3"),
			want: map[string][]string{
				"ships": {"2"}, "crew": {"20|2"},
			},
		},
		{
			name: "a bulk delete runs the hooks of every matched row and of their cascaded crew",
			register: func(t *testing.T, s *typeddelete.Session, tdb *testDB) {
				_, err := typeddelete.Query[planShip](s).FilterBy("name", []string{"ark", "bat"}).Delete()
				planMust(t, "Query.Delete", err)
			},
			calls: planStrings("crew.after 10", "crew.after 11", "crew.after 20", "crew.before 10", "crew.before 11", "crew.before 20",
				"ship.after 1", "ship.after 2", "ship.before 1", "ship.before 2"),
			want: map[string][]string{
				"ships": {"3"}, "crew": nil,
			},
		},
		{
			name: "a crew member deleted by key runs its own hooks only",
			register: func(t *testing.T, s *typeddelete.Session, tdb *testDB) {
				planMust(t, "Delete", s.Delete(&planCrew{ID: 20, ShipID: 2}))
			},
			calls: planStrings("crew.after 20", "crew.before 20"),
			want: map[string][]string{
				"ships": {"1", "2", "3"}, "crew": {"10|1", "11|1"},
			},
		},
		{
			name: "hooks never run for a row that is already gone",
			register: func(t *testing.T, s *typeddelete.Session, tdb *testDB) {
				tdb.exec(t, "DELETE FROM crew WHERE ship_id = 3", "DELETE FROM ships WHERE id = 3")
				planMust(t, "Delete", s.Delete(&planShip{ID: 3}, &planShip{ID: 2}))
			},
			calls: planStrings("crew.after 20", "crew.before 20", "ship.after 2", "ship.before 2"),
			want: map[string][]string{
				"ships": {"1"}, "crew": {"10|1", "11|1"},
			},
		},
		{
			name: "hooks run once when another table's missing key makes the Commit run again precisely",
			register: func(t *testing.T, s *typeddelete.Session, tdb *testDB) {
				// Ship 2 (and its crew 20) go first; task 1 does not
				// exist, so its batch deletes fewer rows than it has keys
				// and the Commit is rolled back and run again precisely.
				planMust(t, "Delete", s.Delete(&planShip{ID: 2}))
				planMust(t, "Delete", s.Delete(&planTask{ID: 1}))
			},
			calls: planStrings("crew.after 20", "crew.before 20", "ship.after 2", "ship.before 2"),
			want: map[string][]string{
				"ships": {"1", "3"}, "crew": {"10|1", "11|1"},
			},
		},
		{
			name: "a BeforeDelete error rolls back everything, audit rows included",
			register: func(t *testing.T, s *typeddelete.Session, tdb *testDB) {
				planMust(t, "Delete", s.Delete(&planShip{ID: 1}, &planShip{ID: 3}))
			},
			failOn:  "ship.before 3",
			wantErr: planErrHook,
			want:    map[string][]string{"ships": {"1", "2", "3"}, "crew": {"10|1", "11|1", "20|2"}},
		},
		{
			name: "an AfterDelete error of a cascaded child rolls back everything, audit rows included",
			register: func(t *testing.T, s *typeddelete.Session, tdb *testDB) {
				_, err := typeddelete.Query[planShip](s).FilterBy("name", "bat").Delete()
				planMust(t, "Query.Delete", err)
			},
			failOn:  "crew.after 20",
			wantErr: planErrHook,
			want:    map[string][]string{"ships": {"1", "2", "3"}, "crew": {"10|1", "11|1", "20|2"}},
		},
		{
			name: "SkipHooks deletes set-based and runs no hook, on the ships or their crew",
			register: func(t *testing.T, s *typeddelete.Session, tdb *testDB) {
				_, err := typeddelete.Query[planShip](s).FilterBy("name", []string{"ark", "bat"}).SkipHooks().Delete()
				planMust(t, "Query.Delete", err)
			},
			calls: nil,
			want:  map[string][]string{"ships": {"3"}, "crew": nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, tdb *testDB) {
				tdb.exec(t, "CREATE TABLE tasks (id BIGINT PRIMARY KEY, project_id BIGINT NOT NULL, title VARCHAR(255) NOT NULL)")
				p := planSetup(t, tdb, planShips)
				p.tables = append(p.tables, planTable{"tasks", "id", "1"})
				// The audit table holds a row per hook call, written in the
				// transaction: none when the Commit failed.
				var audit []string
				if tt.wantErr == nil {
					for _, c := range tt.calls {
						audit = append(audit, strings.Replace(c, " ", "|", 1))
					}
				}
				want := planWith(tt.want, map[string][]string{"tasks": nil, "audit": audit})
				h := &planHooks{audit: true, failOn: tt.failOn}
				s := tdb.session()
				tt.register(t, s, tdb)
				err := s.Commit(h.with(ctx))
				switch {
				case tt.wantErr == nil && err != nil:
					t.Fatalf("Commit: %v", err)
				case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
					t.Fatalf("Commit error = %v, want %v", err, tt.wantErr)
				}
				if tt.wantErr == nil {
					if got := h.got(); !slices.Equal(got, tt.calls) {
						t.Errorf("hook calls = %q, want %q", got, tt.calls)
					}
				}
				p.expect(t, want)
			})
		})
	}
}

func planStrings(s ...string) []string { return s }

func TestPlanningSoftDelete(t *testing.T) {
	ctx := context.Background()
	seed := map[string][]string{
		"accounts":       {"1|a@x|live|0", "2|b@x|live|0", "3|c@x|live|0"},
		"account_notes":  {"10|1|live", "11|1|live", "20|2|live"},
		"account_events": {"10|1", "20|2"},
	}

	t.Run("Session.Delete stamps deleted_at and the deleted key, and soft-deletes soft-deletable children only", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planAccounts)
			s := tdb.session()
			before := time.Now().Add(-time.Minute)
			planMust(t, "Delete", s.Delete(&planAccount{ID: 1, Email: "a@x"}))
			planMust(t, "Commit", s.Commit(ctx))
			p.expect(t, planWith(seed, map[string][]string{
				"accounts":      {"1|a@x|deleted|1", "2|b@x|live|0", "3|c@x|live|0"},
				"account_notes": {"10|1|deleted", "11|1|deleted", "20|2|live"},
			}))

			live, err := typeddelete.Query[planAccount](s).AllRows().All(ctx)
			planMust(t, "All", err)
			if got := planIDs(live, func(a *planAccount) int64 { return a.ID }); !slices.Equal(got, []int64{2, 3}) {
				t.Errorf("Query reads ids %v, want [2 3]: the soft-deleted row is skipped", got)
			}
			if _, err := typeddelete.Query[planAccount](s).Get(ctx, int64(1)); !errors.Is(err, typeddelete.ErrNotFound) {
				t.Errorf("Get(1) error = %v, want ErrNotFound", err)
			}
			if n, err := typeddelete.Query[planAccountNote](s).AllRows().Count(ctx); err != nil || n != 1 {
				t.Errorf("Count of live notes = %d, %v; want 1", n, err)
			}
			got, err := typeddelete.Query[planAccount](s).Unscoped().Get(ctx, int64(1))
			planMust(t, "Unscoped().Get", err)
			if got.DeletedAt == nil || got.DeletedAt.Before(before) || got.DeletedKey != 1 {
				t.Errorf("Unscoped().Get(1) = %+v, want deleted_at stamped now and deleted_key 1", got)
			}
			if n, err := typeddelete.Query[planAccount](s).Unscoped().AllRows().Count(ctx); err != nil || n != 3 {
				t.Errorf("Unscoped().Count = %d, %v; want 3", n, err)
			}
		})
	})

	t.Run("the deleted key lets a new live row reuse the email of a soft-deleted one", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planAccounts)
			const again = "INSERT INTO accounts (id, email, deleted_at, deleted_key) VALUES (4, 'a@x', NULL, 0)"
			if _, err := tdb.DB.ExecContext(ctx, again); err == nil {
				t.Fatal("a second live a@x was accepted before the delete: the unique index does not work")
			}
			s := tdb.session()
			planMust(t, "Delete", s.Delete(&planAccount{ID: 1}))
			planMust(t, "Commit", s.Commit(ctx))
			tdb.exec(t, again)
			p.expect(t, planWith(seed, map[string][]string{
				"accounts":      {"1|a@x|deleted|1", "2|b@x|live|0", "3|c@x|live|0", "4|a@x|live|0"},
				"account_notes": {"10|1|deleted", "11|1|deleted", "20|2|live"},
			}))
		})
	})

	t.Run("a bulk Query.Delete soft-deletes every matched row and their soft-deletable children", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planAccounts)
			s := tdb.session()
			d, err := typeddelete.Query[planAccount](s).FilterBy("email", []string{"a@x", "b@x"}).Delete()
			planMust(t, "Query.Delete", err)
			planMust(t, "Commit", s.Commit(ctx))
			if n, _ := d.RowsAffected(); n != 2 {
				t.Errorf("RowsAffected() = %d, want 2", n)
			}
			p.expect(t, planWith(seed, map[string][]string{
				"accounts":      {"1|a@x|deleted|1", "2|b@x|deleted|2", "3|c@x|live|0"},
				"account_notes": {"10|1|deleted", "11|1|deleted", "20|2|deleted"},
			}))
		})
	})

	t.Run("Session.HardDelete removes the row and cascades for real", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planAccounts)
			s := tdb.session()
			planMust(t, "HardDelete", s.HardDelete(&planAccount{ID: 2}))
			planMust(t, "Commit", s.Commit(ctx))
			p.expect(t, map[string][]string{
				"accounts":       {"1|a@x|live|0", "3|c@x|live|0"},
				"account_notes":  {"10|1|live", "11|1|live"},
				"account_events": {"10|1"},
			})
		})
	})

	t.Run("Query.HardDelete removes a soft-deleted row for real", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planAccounts)
			s := tdb.session()
			planMust(t, "Delete", s.Delete(&planAccount{ID: 1}))
			planMust(t, "Commit", s.Commit(ctx))
			d, err := typeddelete.Query[planAccount](s).FilterBy("email", "a@x").HardDelete().Delete()
			planMust(t, "Query.HardDelete().Delete", err)
			planMust(t, "Commit", s.Commit(ctx))
			if n, _ := d.RowsAffected(); n != 1 {
				t.Errorf("RowsAffected() = %d, want 1", n)
			}
			p.expect(t, map[string][]string{
				"accounts":       {"2|b@x|live|0", "3|c@x|live|0"},
				"account_notes":  {"20|2|live"},
				"account_events": {"20|2"},
			})
		})
	})

	t.Run("Session.HardDelete of an object the same session soft-deleted removes its row", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planAccounts)
			s := tdb.session()
			acct := &planAccount{ID: 1}
			planMust(t, "Delete", s.Delete(acct))
			planMust(t, "Commit", s.Commit(ctx))
			planMust(t, "HardDelete", s.HardDelete(acct))
			planMust(t, "Commit", s.Commit(ctx))
			p.expect(t, map[string][]string{
				"accounts":       {"2|b@x|live|0", "3|c@x|live|0"},
				"account_notes":  {"20|2|live"},
				"account_events": {"20|2"},
			})
		})
	})

	t.Run("a soft delete leaves the children of SetNull, SetDefault, SetValue and Database relations as they are, and Restrict counts only live children", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planClubs)
			s := tdb.session()
			planMust(t, "Delete", s.Delete(&planClub{ID: 1}))
			planMust(t, "Commit", s.Commit(ctx))
			p.expect(t, planWith(planClubsSeed, map[string][]string{"clubs": {"1|deleted", "2|live", "3|live", "9|live"}}))
			res := s.LastCommit()
			if len(res.Updated) != 0 || len(res.Deleted) != 0 || !maps.Equal(res.SoftDeleted, map[string]int64{"clubs": 1}) {
				t.Errorf("LastCommit() = %+v, want only clubs:1 soft-deleted", res)
			}
		})
	})

	t.Run("a soft delete is refused while a live child of a Restrict relation remains", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planClubs)
			s := tdb.session()
			planMust(t, "Delete", s.Delete(&planClub{ID: 2}))
			err := s.Commit(ctx)
			var re *typeddelete.RestrictError
			if !errors.As(err, &re) {
				t.Fatalf("Commit error = %v, want a *RestrictError", err)
			}
			if want := (typeddelete.RestrictError{Parent: "clubs", Child: "club_fees", Count: 1, Policy: typeddelete.Restrict}); *re != want {
				t.Errorf("RestrictError = %+v, want %+v", *re, want)
			}
			p.expect(t, planClubsSeed)
		})
	})

	t.Run("a hard delete of a soft-deleted row removes it and runs the SetNull, SetDefault and SetValue its soft delete skipped", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planClubs)
			s := tdb.session()
			planMust(t, "Delete", s.Delete(&planClub{ID: 3}))
			planMust(t, "Commit", s.Commit(ctx))
			s = tdb.session()
			planMust(t, "HardDelete", s.HardDelete(&planClub{ID: 3}))
			planMust(t, "Commit", s.Commit(ctx))
			p.expect(t, planWith(planClubsSeed, map[string][]string{
				"clubs":        {"1|live", "2|live", "9|live"},
				"club_members": {"10|1", "20|2", "30|NULL"},
				"club_badges":  {"10|1", "20|2", "30|9"},
				"club_posts":   {"10|1", "20|2", "30|9"},
				"club_logs":    {"10|1", "20|2"},
			}))
			res := s.LastCommit()
			if want := map[string]int64{"club_members": 1, "club_badges": 1, "club_posts": 1}; !maps.Equal(res.Updated, want) || !maps.Equal(res.Deleted, map[string]int64{"clubs": 1}) {
				t.Errorf("LastCommit() = %+v, want clubs:1 deleted and %v updated", res, want)
			}
		})
	})

	t.Run("soft-deleting a row already soft-deleted matches no row: its key is reported missing, its children are left, and strict mode fails", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planAccounts)
			s := tdb.session()
			planMust(t, "Delete", s.Delete(&planAccount{ID: 1}))
			planMust(t, "Commit", s.Commit(ctx))
			want := planWith(seed, map[string][]string{
				"accounts":      {"1|a@x|deleted|1", "2|b@x|live|0", "3|c@x|live|0"},
				"account_notes": {"10|1|deleted", "11|1|deleted", "20|2|live"},
			})

			s = tdb.session()
			planMust(t, "Delete", s.Delete(&planAccount{ID: 1}))
			planMust(t, "Commit", s.Commit(ctx))
			res := s.LastCommit()
			if got := planMissing(res); !slices.Equal(got, []string{"accounts:[1]"}) {
				t.Errorf("LastCommit().Missing = %v, want [accounts:[1]]", got)
			}
			for table, n := range res.SoftDeleted {
				if n != 0 {
					t.Errorf("LastCommit().SoftDeleted[%s] = %d, want 0: nothing is stamped again", table, n)
				}
			}
			p.expect(t, want)

			s = tdb.session(typeddelete.WithStrictRowCounts())
			planMust(t, "Delete", s.Delete(&planAccount{ID: 1}))
			if err := s.Commit(ctx); !errors.Is(err, typeddelete.ErrStaleData) {
				t.Errorf("strict Commit error = %v, want ErrStaleData", err)
			}
			p.expect(t, want)
		})
	})

	t.Run("hooks of a soft delete see HookInfo.Soft; a hard delete of the soft-deleted row runs them again, not soft", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planAccounts)
			s := tdb.session()
			h := &planHooks{}
			planMust(t, "Delete", s.Delete(&planHookedAccount{ID: 1}))
			planMust(t, "Commit", s.Commit(h.with(ctx)))
			if got, want := h.got(), []string{"account.after soft=true 1", "account.before soft=true 1"}; !slices.Equal(got, want) {
				t.Errorf("soft delete: hook calls = %q, want %q", got, want)
			}
			h = &planHooks{}
			planMust(t, "HardDelete", s.HardDelete(&planHookedAccount{ID: 1}))
			planMust(t, "Commit", s.Commit(h.with(ctx)))
			if got, want := h.got(), []string{"account.after soft=false 1", "account.before soft=false 1"}; !slices.Equal(got, want) {
				t.Errorf("hard delete: hook calls = %q, want %q", got, want)
			}
			p.expect(t, map[string][]string{
				"accounts":       {"2|b@x|live|0", "3|c@x|live|0"},
				"account_notes":  {"20|2|live"},
				"account_events": {"20|2"},
			})
		})
	})
}

// planIDs returns the keys of objs, ascending.
func planIDs[T any](objs []*T, id func(*T) int64) []int64 {
	out := make([]int64, len(objs))
	for i, o := range objs {
		out[i] = id(o)
	}
	slices.Sort(out)
	return out
}

func TestPlanningDeleteReturning(t *testing.T) {
	ctx := context.Background()

	t.Run("DeleteReturning returns exactly the deleted rows", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planOwners)
			s := tdb.session()
			r, err := typeddelete.Query[planPet](s).FilterBy("owner_id", int64(1)).DeleteReturning()
			planMust(t, "DeleteReturning", err)
			if got := r.Rows(); len(got) != 0 {
				t.Errorf("Rows() before Commit = %v, want none", got)
			}
			planMust(t, "Commit", s.Commit(ctx))
			got := r.Rows()
			slices.SortFunc(got, func(a, b *planPet) int { return int(a.ID - b.ID) })
			want := []*planPet{{ID: 10, OwnerID: 1, Name: "rex"}, {ID: 11, OwnerID: 1, Name: "tom"}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Rows() = %s, want %s", planFmt(got), planFmt(want))
			}
			if n, done := r.RowsAffected(); n != 2 || !done {
				t.Errorf("RowsAffected() = (%d, %t), want (2, true)", n, done)
			}
			p.expect(t, map[string][]string{"owners": {"1", "2"}, "pets": {"20|2|kit"}})
		})
	})

	t.Run("DeleteReturning on a parent returns the parents and cascades to their children", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planTeams)
			s := tdb.session()
			r, err := typeddelete.Query[planTeam](s).FilterBy("name", []string{"red", "blue", "nobody"}).DeleteReturning()
			planMust(t, "DeleteReturning", err)
			planMust(t, "Commit", s.Commit(ctx))
			got := r.Rows()
			slices.SortFunc(got, func(a, b *planTeam) int { return int(a.ID - b.ID) })
			want := []*planTeam{{ID: 1, Name: "red"}, {ID: 2, Name: "blue"}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Rows() = %s, want %s", planFmt(got), planFmt(want))
			}
			p.expect(t, map[string][]string{"teams": {"3|green"}, "projects": {"30|3"}, "tasks": {"300|30"}})
		})
	})
}

// planFmt renders objects for a failure message.
func planFmt[T any](objs []*T) string {
	parts := make([]string, len(objs))
	for i, o := range objs {
		parts[i] = fmt.Sprintf("%+v", *o)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func TestPlanningSessionState(t *testing.T) {
	ctx := context.Background()

	t.Run("a session remembers nothing after Commit: a row inserted again with the same key is deleted again", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planOwners)
			s := tdb.session()
			pet := &planPet{ID: 10, OwnerID: 1}
			planMust(t, "Delete", s.Delete(pet))
			planMust(t, "Commit", s.Commit(ctx))
			tdb.exec(t, "INSERT INTO pets (id, owner_id, name) VALUES (10, 1, 'rex')")
			planMust(t, "Delete again", s.Delete(pet))
			if o, b := s.Pending(); o != 1 || b != 0 {
				t.Errorf("Pending() = (%d, %d), want the object pending again", o, b)
			}
			planMust(t, "Commit again", s.Commit(ctx))
			last := s.LastCommit()
			if last.Deleted["pets"] != 1 || len(last.Missing) != 0 {
				t.Errorf("LastCommit() = %+v, want the row inserted again deleted", last)
			}
			p.expect(t, map[string][]string{"owners": {"1", "2"}, "pets": {"11|1|tom", "20|2|kit"}})
		})
	})

	t.Run("an object deleted again after its row is gone is reported missing, not skipped", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planOwners)
			s := tdb.session()
			planMust(t, "Delete", s.Delete(&planPet{ID: 10}, &planPet{ID: 11}))
			planMust(t, "Commit", s.Commit(ctx))
			planMust(t, "Delete again", s.Delete(&planPet{ID: 10}))
			planMust(t, "Commit again", s.Commit(ctx))
			if got := planMissing(s.LastCommit()); !slices.Equal(got, []string{"pets:[10]"}) {
				t.Errorf("LastCommit().Missing = %v, want [pets:[10]]", got)
			}
			strict := tdb.session(typeddelete.WithStrictRowCounts())
			planMust(t, "Delete in strict mode", strict.Delete(&planPet{ID: 11}))
			if err := strict.Commit(ctx); !errors.Is(err, typeddelete.ErrStaleData) {
				t.Errorf("Commit of a key deleted before, strict = %v, want ErrStaleData", err)
			}
			p.expect(t, map[string][]string{"owners": {"1", "2"}, "pets": {"20|2|kit"}})
		})
	})

	t.Run("a Query.Delete registered after Session.Delete of the same row does not count that row as missing", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planOwners)
			s := tdb.session(typeddelete.WithStrictRowCounts())
			planMust(t, "Delete", s.Delete(&planPet{ID: 10}))
			d, err := typeddelete.Query[planPet](s).FilterBy("owner_id", int64(1)).Delete()
			planMust(t, "Query.Delete", err)
			planMust(t, "Commit", s.Commit(ctx))
			last := s.LastCommit()
			if len(last.Missing) != 0 || last.Deleted["pets"] != 2 {
				t.Errorf("LastCommit() = %+v, want 2 pets deleted and none missing", last)
			}
			if n, _ := d.RowsAffected(); n != 1 {
				t.Errorf("the bulk delete's RowsAffected() = %d, want 1 (pet 11)", n)
			}
			p.expect(t, map[string][]string{"owners": {"1", "2"}, "pets": {"20|2|kit"}})
		})
	})
}

func TestPlanningOneCommitOfEverything(t *testing.T) {
	ctx := context.Background()
	register := func(t *testing.T, s *typeddelete.Session, tdb *testDB) {
		t.Helper()
		cats := planAll[planCategory](t, tdb)
		docs := planAll[planDoc](t, tdb)
		// Registered in an order the foreign keys do not allow: parents
		// and roots first.
		planMust(t, "Delete", s.Delete(&planTeam{ID: 1}, cats[0], cats[1], cats[3], docs[0], docs[1]))
		planMust(t, "Delete", s.Delete(&planTask{ID: 200, ProjectID: 20}, cats[5]))
	}

	t.Run("a three-level cascade, a tree and versioned rows are deleted together", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planTeams, planCategories, planDocs)
			s := tdb.session()
			register(t, s, tdb)
			planMust(t, "Commit", s.Commit(ctx))
			// Categories 1, 2, 4, 6 were registered; the cascade takes the
			// rest of the tree under 1 (3 and 5).
			p.expect(t, map[string][]string{
				"teams": {"2|blue", "3|green"}, "projects": {"20|2", "30|3"}, "tasks": {"300|30"},
				"categories": {"7|NULL", "8|7"},
				"docs":       {"3|1", "4|7"},
			})
			if got := s.LastCommit().Missing; len(got) != 0 {
				t.Errorf("LastCommit().Missing = %v, want none", got)
			}
		})
	})

	t.Run("a stale version anywhere in it commits nothing in any table", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planTeams, planCategories, planDocs)
			s := tdb.session()
			register(t, s, tdb)
			tdb.exec(t, "UPDATE docs SET version = 5 WHERE id = 2")
			var se *typeddelete.StaleDataError
			if err := s.Commit(ctx); !errors.As(err, &se) || !se.Version || !reflect.DeepEqual(se.Keys, [][]any{{int64(2)}}) {
				t.Fatalf("Commit error = %v, want a version conflict on docs key 2", err)
			}
			p.expect(t, planWith(planTeamsSeed, map[string][]string{
				"categories": planForest,
				"docs":       {"1|1", "2|5", "3|1", "4|7"},
			}))
		})
	})
}

// TestPlanningSQLAlchemyBehaviours restates what SQLAlchemy's unit of work
// is known for, as this package does it.
func TestPlanningSQLAlchemyBehaviours(t *testing.T) {
	ctx := context.Background()

	t.Run("a parent and its children deleted in one flush go children first, one statement per table", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planOwners)
			log := &mockLog{}
			s := tdb.session(typeddelete.WithLogger(slog.New(log)))
			planMust(t, "Delete", s.Delete(&planOwner{ID: 1}, &planPet{ID: 11}, &planPet{ID: 10}))
			planMust(t, "Commit", s.Commit(ctx))
			want := []string{"BEGIN", `DELETE FROM "pets"`, `DELETE FROM "owners"`, "COMMIT"}
			if got := planWork(log); !slices.Equal(got, want) {
				t.Errorf("statements = %q, want %q", got, want)
			}
			p.expect(t, map[string][]string{"owners": {"2"}, "pets": {"20|2|kit"}})
		})
	})

	t.Run("only the parent deleted with SetNull sends one UPDATE then one DELETE", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planAuthors)
			log := &mockLog{}
			s := tdb.session(typeddelete.WithLogger(slog.New(log)))
			planMust(t, "Delete", s.Delete(&planAuthor{ID: 1}, &planAuthor{ID: 2}))
			planMust(t, "Commit", s.Commit(ctx))
			want := []string{"BEGIN", `UPDATE "books"`, `DELETE FROM "authors"`, "COMMIT"}
			if got := planWork(log); !slices.Equal(got, want) {
				t.Errorf("statements = %q, want %q", got, want)
			}
			p.expect(t, map[string][]string{"authors": nil, "books": {"10|NULL", "11|NULL", "20|NULL"}})
		})
	})

	t.Run("rows already gone are reported, and fail the Commit with strict row counts", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planOwners)
			tdb.exec(t, "DELETE FROM pets WHERE id = 10")

			strict := tdb.session(typeddelete.WithStrictRowCounts())
			planMust(t, "Delete", strict.Delete(&planPet{ID: 10}, &planPet{ID: 11}))
			err := strict.Commit(ctx)
			var se *typeddelete.StaleDataError
			if !errors.As(err, &se) || !errors.Is(err, typeddelete.ErrStaleData) || errors.Is(err, typeddelete.ErrVersionConflict) {
				t.Fatalf("strict Commit error = %v, want ErrStaleData (not a version conflict)", err)
			}
			if want := (typeddelete.StaleDataError{Table: "pets", Keys: [][]any{{int64(10)}}}); !reflect.DeepEqual(*se, want) {
				t.Errorf("StaleDataError = %+v, want %+v", *se, want)
			}
			p.expect(t, map[string][]string{"owners": {"1", "2"}, "pets": {"11|1|tom", "20|2|kit"}})

			lax := tdb.session()
			planMust(t, "Delete", lax.Delete(&planPet{ID: 10}, &planPet{ID: 11}))
			planMust(t, "Commit", lax.Commit(ctx))
			if got := planMissing(lax.LastCommit()); !slices.Equal(got, []string{"pets:[10]"}) {
				t.Errorf("LastCommit().Missing = %v, want [pets:[10]]", got)
			}
			p.expect(t, map[string][]string{"owners": {"1", "2"}, "pets": {"20|2|kit"}})
		})
	})

	t.Run("a versioned delete with one stale row fails, names the key and commits nothing", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planDocs)
			docs := planAll[planDoc](t, tdb)
			tdb.exec(t, "UPDATE docs SET version = 8 WHERE id = 4")
			s := tdb.session()
			planMust(t, "Delete", s.Delete(docs[2], docs[3]))
			err := s.Commit(ctx)
			if !errors.Is(err, typeddelete.ErrVersionConflict) || !strings.Contains(err.Error(), `"docs"`) || !strings.HasSuffix(err.Error(), ": 4") {
				t.Fatalf("Commit error = %v, want a version conflict naming docs key 4", err)
			}
			p.expect(t, map[string][]string{"docs": {"1|1", "2|3", "3|1", "4|8"}})
		})
	})

	t.Run("a zero part in a composite key fails with ErrNotPersisted and registers nothing", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planMemberships)
			log := &mockLog{}
			s := tdb.session(typeddelete.WithLogger(slog.New(log)))
			for _, m := range []*planMembership{{GroupID: 1}, {UserID: 2}} {
				if err := s.Delete(&planMembership{GroupID: 1, UserID: 1}, m); !errors.Is(err, typeddelete.ErrNotPersisted) {
					t.Errorf("Delete(%+v) error = %v, want ErrNotPersisted", *m, err)
				}
			}
			if o, b := s.Pending(); o != 0 || b != 0 {
				t.Errorf("Pending() = (%d, %d), want nothing registered", o, b)
			}
			planMust(t, "Commit", s.Commit(ctx))
			if sent := planSent(log); len(sent) != 0 {
				t.Errorf("the session sent %q, want nothing", sent)
			}
			p.expect(t, map[string][]string{"memberships": {"1|1", "1|2"}})
		})
	})

	t.Run("a database-side cascade sends only the parent's DELETE", func(t *testing.T) {
		forEachDB(t, func(t *testing.T, tdb *testDB) {
			p := planSetup(t, tdb, planFolders)
			log := &mockLog{}
			s := tdb.session(typeddelete.WithLogger(slog.New(log)))
			planMust(t, "Delete", s.Delete(&planFolder{ID: 2}, &planFolder{ID: 1}))
			planMust(t, "Commit", s.Commit(ctx))
			want := []string{"BEGIN", `DELETE FROM "folders"`, "COMMIT"}
			if got := planWork(log); !slices.Equal(got, want) {
				t.Errorf("statements = %q, want %q", got, want)
			}
			p.expect(t, map[string][]string{"folders": nil, "files": nil, "shelves": {"1", "2"}, "items": {"10|1", "20|2"}})
		})
	})
}

func TestPlanningForeignKeysAreEnforced(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		p := planSetup(t, tdb, planOwners)
		// Deleting a referenced parent directly must fail: on SQLite only
		// when foreign_keys is on for the connection.
		if _, err := tdb.DB.ExecContext(ctx, "DELETE FROM owners WHERE id = 1"); err == nil {
			t.Fatal("deleting owner 1 while pets reference it succeeded: foreign keys are not enforced")
		}
		s := tdb.session()
		planMust(t, "Delete", s.Delete(&planOwner{ID: 1}))
		err := s.Commit(ctx)
		if !errors.Is(err, typeddelete.ErrForeignKey) {
			t.Fatalf("Commit error = %v, want ErrForeignKey", err)
		}
		var chain []string
		found := false
		for e := err; e != nil; e = errors.Unwrap(e) {
			chain = append(chain, fmt.Sprintf("%T", e))
			found = found || planIsDriverFKError(tdb.Name, e)
		}
		if !found {
			t.Errorf("no %s foreign-key error in the errors.Unwrap chain %v of %v", tdb.Name, chain, err)
		}
		p.expect(t, map[string][]string{"owners": {"1", "2"}, "pets": {"10|1|rex", "11|1|tom", "20|2|kit"}})
	})
}

// planIsDriverFKError reports whether e is the foreign-key error of the
// driver of database name, with its own code.
func planIsDriverFKError(name string, e error) bool {
	switch name {
	case "sqlite":
		return isMattnFKError(e)
	case "sqlite-modernc":
		se, ok := e.(*msqlite.Error)
		return ok && se.Code() == 787 // SQLITE_CONSTRAINT_FOREIGNKEY
	case "postgres":
		pe, ok := e.(*pgconn.PgError)
		return ok && pe.Code == "23503"
	case "mysql", "tidb", "tidb-optimistic":
		me, ok := e.(*mysql.MySQLError)
		return ok && me.Number == 1451
	}
	return false
}

func TestPlanningBindParameterEdges(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts and deletes up to 70,000 rows per database")
	}
	ctx := context.Background()
	unlimited := typeddelete.WithBatchSize(1_000_000) // above every bind-parameter limit
	type edge struct {
		name  string
		opts  []typeddelete.Option
		keys  int
		stmts int
	}
	edges := map[string][]edge{
		"sqlite": {
			{"32766 keys, the bind-parameter limit, are one DELETE", []typeddelete.Option{unlimited}, 32766, 1},
			{"32767 keys are two DELETEs", []typeddelete.Option{unlimited}, 32767, 2},
		},
		"mysql": {
			// Integer keys travel as literals, so no bind-parameter limit applies.
			{"65536 integer keys as literals, past the bind-parameter limit, are one DELETE", []typeddelete.Option{unlimited}, 65536, 1},
			{"50000 integer keys with the default batch size are one DELETE", nil, 50000, 1},
			{"50001 integer keys with the default batch size are two DELETEs", nil, 50001, 2},
			{"65536 integer keys with the default batch size are two DELETEs", nil, 65536, 2},
		},
		"postgres": {
			{"65535 keys in IN lists, the bind-parameter limit, are one DELETE", []typeddelete.Option{typeddelete.WithDialect(typeddelete.PostgresINDialect()), unlimited}, 65535, 1},
			{"65536 keys in IN lists are two DELETEs", []typeddelete.Option{typeddelete.WithDialect(typeddelete.PostgresINDialect()), unlimited}, 65536, 2},
			{"65535 keys in IN lists with the default batch size are 66 DELETEs", []typeddelete.Option{typeddelete.WithDialect(typeddelete.PostgresINDialect())}, 65535, 66},
			{"70000 keys in one array are one DELETE", nil, 70000, 1},
		},
	}
	forEachDBLarge(t, func(t *testing.T, tdb *testDB) {
		cases := edges[tdb.Dialect.Name()]
		for _, e := range cases {
			t.Run(e.name, func(t *testing.T) {
				tdb.exec(t, "DROP TABLE IF EXISTS plan_big", "CREATE TABLE plan_big (id BIGINT PRIMARY KEY)")
				planFillBig(t, tdb, e.keys+1)
				objs := make([]*planBig, e.keys)
				for i := range objs {
					objs[i] = &planBig{ID: int64(e.keys - i)}
				}
				s := tdb.session(e.opts...)
				planMust(t, "Delete", s.Delete(objs))
				start := time.Now()
				planMust(t, "Commit", s.Commit(ctx))
				t.Logf("%s: %d keys committed in %v", tdb.Name, e.keys, time.Since(start))
				last := s.LastCommit()
				if last.Statements != e.stmts || last.Deleted["plan_big"] != int64(e.keys) || len(last.Missing) != 0 {
					t.Errorf("LastCommit() = %d statements, %d deleted, %d missing; want %d, %d, 0",
						last.Statements, last.Deleted["plan_big"], len(last.Missing), e.stmts, e.keys)
				}
				if got := tdb.ids(t, "plan_big"); !slices.Equal(got, []int64{int64(e.keys + 1)}) {
					t.Errorf("rows left in plan_big = %d rows, want only id %d", len(got), e.keys+1)
				}
			})
		}
	})
}

func TestPlanningDenseKeys(t *testing.T) {
	// On MariaDB a list of keys that fills its range closely is sent as
	// "id" BETWEEN lo AND hi AND "id" + 0 IN (...): the rows between the
	// keys are scanned too and must be left alone. TiDB, which speaks the
	// same protocol, gets the plain list.
	ctx := context.Background()
	scans := func(sql string) bool { return strings.Contains(sql, "`id` + 0 IN (") }
	cases := []struct {
		name  string
		keys  []int64
		dense bool // MariaDB's statement scans the range
	}{
		{"every other key of 2 to 600", planStep(2, 2, 300), true},
		{"every third key from -299, negative keys included", planStep(-299, 3, 200), true},
		{"every fifth key of 5 to 1000", planStep(5, 5, 200), false},
	}
	forEachDB(t, func(t *testing.T, tdb *testDB) {
		mariadb := tdb.Dialect.Name() == "mysql" && !tdb.tidb()
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				tdb.exec(t, "DROP TABLE IF EXISTS plan_big", "CREATE TABLE plan_big (id BIGINT PRIMARY KEY)")
				negative := make([]string, 301)
				for i := range negative {
					negative[i] = "(" + strconv.Itoa(-i) + ")"
				}
				tdb.exec(t, "INSERT INTO plan_big (id) VALUES "+strings.Join(negative, ", "))
				planFillBig(t, tdb, 1000)
				want := tdb.ids(t, "plan_big")
				s := tdb.session()
				for _, id := range c.keys {
					planMust(t, "Delete", s.Delete(&planBig{ID: id}))
				}
				pv, err := s.Preview(ctx)
				planMust(t, "Preview", err)
				if len(pv.Statements) != 1 || scans(pv.Statements[0].SQL) != (c.dense && mariadb) {
					t.Errorf("statements = %.120q, want one that scans the range: %v", planSQL(pv), c.dense && mariadb)
				}
				planMust(t, "Commit", s.Commit(ctx))
				if got := s.LastCommit().Deleted["plan_big"]; got != int64(len(c.keys)) {
					t.Errorf("LastCommit().Deleted[plan_big] = %d, want %d", got, len(c.keys))
				}
				want = slices.DeleteFunc(want, func(id int64) bool { return slices.Contains(c.keys, id) })
				if got := tdb.ids(t, "plan_big"); !slices.Equal(got, want) {
					t.Errorf("rows left = %d: %v..., want %d", len(got), got[:min(len(got), 10)], len(want))
				}
			})
		}
		t.Run("without the catalog, which names the server, a dense list is plain", func(t *testing.T) {
			tdb.exec(t, "DROP TABLE IF EXISTS plan_big", "CREATE TABLE plan_big (id BIGINT PRIMARY KEY)")
			planFillBig(t, tdb, 1000)
			s := tdb.session(typeddelete.WithoutSchemaIntrospection())
			for _, id := range planStep(2, 2, 300) {
				planMust(t, "Delete", s.Delete(&planBig{ID: id}))
			}
			pv, err := s.Preview(ctx)
			planMust(t, "Preview", err)
			if len(pv.Statements) != 1 || scans(pv.Statements[0].SQL) {
				t.Errorf("statements = %.120q, want one plain list", planSQL(pv))
			}
		})
		t.Run("a cascade reads children by the plain list of parent keys", func(t *testing.T) {
			// Teams 1 to 3 with their projects and tasks, then teams 1000
			// to 1299 with one project each, 5000 to 5299; every other of
			// those teams goes.
			p := planSetup(t, tdb, planTeams)
			var teams, projects []string
			for i := range 300 {
				teams = append(teams, fmt.Sprintf("(%d, 'team')", 1000+i))
				projects = append(projects, fmt.Sprintf("(%d, %d, 'project')", 5000+i, 1000+i))
			}
			tdb.exec(t, "INSERT INTO teams (id, name) VALUES "+strings.Join(teams, ", "),
				"INSERT INTO projects (id, team_id, name) VALUES "+strings.Join(projects, ", "))
			s := tdb.session()
			for _, id := range planStep(1000, 2, 150) {
				planMust(t, "Delete", s.Delete(&planTeam{ID: id}))
			}
			pv, err := s.Preview(ctx)
			planMust(t, "Preview", err)
			var got []bool
			for _, st := range pv.Statements {
				got = append(got, scans(st.SQL))
			}
			// The projects' keys by team_id, then tasks by project_id,
			// projects and teams by id.
			want := []bool{false, false, mariadb, mariadb}
			if tdb.Dialect.Name() != "mysql" {
				want = []bool{false, false, false, false}
			}
			if !slices.Equal(got, want) {
				t.Errorf("statements scanning their range = %v, want %v; statements %.100q", got, want, planSQL(pv))
			}
			planMust(t, "Commit", s.Commit(ctx))
			if got := s.LastCommit().Deleted; got["teams"] != 150 || got["projects"] != 150 || got["tasks"] != 0 {
				t.Errorf("LastCommit().Deleted = %v, want 150 teams, 150 projects", got)
			}
			if n := p.count(t, "teams"); n != 153 {
				t.Errorf("teams left = %d, want 153", n)
			}
			if n := p.count(t, "projects"); n != 154 {
				t.Errorf("projects left = %d, want 154", n)
			}
		})
	})
}

// planSQL returns the text of each statement of pv.
func planSQL(pv *typeddelete.Preview) []string {
	out := make([]string, len(pv.Statements))
	for i, st := range pv.Statements {
		out[i] = st.SQL
	}
	return out
}

// planStep returns n integers from first in steps of step.
func planStep(first, step int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = first + int64(i)*step
	}
	return out
}

// planFillBig inserts ids 1..n into plan_big.
func planFillBig(t *testing.T, tdb *testDB, n int) {
	t.Helper()
	const chunk = 2000
	for lo := 1; lo <= n; lo += chunk {
		var b strings.Builder
		b.WriteString("INSERT INTO plan_big (id) VALUES ")
		for id := lo; id < lo+chunk && id <= n; id++ {
			if id > lo {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%d)", id)
		}
		tdb.exec(t, b.String())
	}
}
