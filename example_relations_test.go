//go:build cgo

package typeddelete_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/typeddelete/typeddelete"
	"github.com/typeddelete/typeddelete/sqlite"
)

// exTeam has children under each policy.
type exTeam struct {
	ID int64 `db:"id,pk"`
}

func (exTeam) TableName() string { return "ex_teams" }

// Relations declares what deleting a team does to each child table.
func (exTeam) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[exProject](typeddelete.Cascade, "team_id"),  // deleted too
		typeddelete.HasMany[exMember](typeddelete.SetNull, "team_id"),   // kept, team_id set to NULL
		typeddelete.HasMany[exInvoice](typeddelete.Restrict, "team_id"), // a team with invoices stays
		typeddelete.HasMany[exFile](typeddelete.Database, "team_id"),    // the database's ON DELETE CASCADE
	}
}

type exProject struct {
	ID     int64 `db:"id,pk"`
	TeamID int64 `db:"team_id"`
}

func (exProject) TableName() string { return "ex_projects" }

type exMember struct {
	ID     int64  `db:"id,pk"`
	TeamID *int64 `db:"team_id"`
}

func (exMember) TableName() string { return "ex_members" }

type exInvoice struct {
	ID     int64 `db:"id,pk"`
	TeamID int64 `db:"team_id"`
}

func (exInvoice) TableName() string { return "ex_invoices" }

type exFile struct {
	ID     int64 `db:"id,pk"`
	TeamID int64 `db:"team_id"`
}

func (exFile) TableName() string { return "ex_files" }

// exOpen opens an in-memory SQLite database with the tables of schema.
func exOpen(schema string) *sql.DB {
	db, err := sqlite.Open(":memory:")
	if err != nil {
		log.Fatal(err)
	}
	for _, stmt := range strings.Split(schema, ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := db.Exec(stmt); err != nil {
			log.Fatal(err)
		}
	}
	return db
}

const exTeamsSchema = `
CREATE TABLE ex_teams (id INTEGER PRIMARY KEY);
CREATE TABLE ex_projects (id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES ex_teams(id));
CREATE TABLE ex_members (id INTEGER PRIMARY KEY, team_id INTEGER REFERENCES ex_teams(id));
CREATE TABLE ex_invoices (id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES ex_teams(id));
CREATE TABLE ex_files (id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES ex_teams(id) ON DELETE CASCADE);
INSERT INTO ex_teams (id) VALUES (1), (2);
INSERT INTO ex_projects (id, team_id) VALUES (10, 1), (11, 1), (20, 2);
INSERT INTO ex_members (id, team_id) VALUES (100, 1), (200, 2);
INSERT INTO ex_invoices (id, team_id) VALUES (2000, 2);
INSERT INTO ex_files (id, team_id) VALUES (1000, 1)`

// Each policy in one Commit: deleting team 1 deletes its projects, keeps
// its members without a team, and leaves its files to the database; team
// 2 has an invoice, which Restrict protects.
func ExampleHasMany() {
	db := exOpen(exTeamsSchema)
	defer db.Close()
	ctx := context.Background()

	sess := typeddelete.NewSession(db)
	_ = sess.Delete(&exTeam{ID: 1})
	if err := sess.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	res := sess.LastCommit()
	fmt.Println("deleted:", res.Deleted, "set to NULL:", res.Updated)

	_ = sess.Delete(&exTeam{ID: 2})
	err := sess.Commit(ctx)
	fmt.Println(errors.Is(err, typeddelete.ErrRestricted), err)
	_ = sess.Rollback(ctx)
	// Output:
	// deleted: map[ex_projects:2 ex_teams:1] set to NULL: map[ex_members:1]
	// true typeddelete: delete restricted by child rows: cannot delete from "ex_teams": 1 row(s) of "ex_invoices" reference it (Restrict)
}

// exLedger's sheets cascade, and their entries and memos with them. Its
// entries are also under Protect, its memos under Restrict.
type exLedger struct {
	ID int64 `db:"id,pk"`
}

func (exLedger) TableName() string { return "ex_ledgers" }
func (exLedger) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[exSheet](typeddelete.Cascade, "ledger_id"),
		typeddelete.HasMany[exEntry](typeddelete.Protect, "ledger_id"), // never deleted with a ledger
		typeddelete.HasMany[exMemo](typeddelete.Restrict, "ledger_id"), // may go with the sheets
	}
}

type exSheet struct {
	ID       int64 `db:"id,pk"`
	LedgerID int64 `db:"ledger_id"`
}

func (exSheet) TableName() string { return "ex_sheets" }
func (exSheet) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[exEntry](typeddelete.Cascade, "sheet_id"),
		typeddelete.HasMany[exMemo](typeddelete.Cascade, "sheet_id"),
	}
}

type exEntry struct {
	ID       int64 `db:"id,pk"`
	LedgerID int64 `db:"ledger_id"`
	SheetID  int64 `db:"sheet_id"`
}

func (exEntry) TableName() string { return "ex_entries" }

type exMemo struct {
	ID       int64 `db:"id,pk"`
	LedgerID int64 `db:"ledger_id"`
	SheetID  int64 `db:"sheet_id"`
}

func (exMemo) TableName() string { return "ex_memos" }

// Protect refuses the delete while any child row exists, even one the
// same Commit would delete through another relation; Restrict lets such a
// row go. Ledger 1's memo goes with its sheet; ledger 2's entry stops the
// Commit, which then deletes nothing.
func ExampleHasMany_protect() {
	db := exOpen(`CREATE TABLE ex_ledgers (id INTEGER PRIMARY KEY);
		CREATE TABLE ex_sheets (id INTEGER PRIMARY KEY, ledger_id INTEGER NOT NULL REFERENCES ex_ledgers(id));
		CREATE TABLE ex_entries (id INTEGER PRIMARY KEY, ledger_id INTEGER NOT NULL REFERENCES ex_ledgers(id), sheet_id INTEGER NOT NULL REFERENCES ex_sheets(id));
		CREATE TABLE ex_memos (id INTEGER PRIMARY KEY, ledger_id INTEGER NOT NULL REFERENCES ex_ledgers(id), sheet_id INTEGER NOT NULL REFERENCES ex_sheets(id));
		INSERT INTO ex_ledgers (id) VALUES (1), (2);
		INSERT INTO ex_sheets (id, ledger_id) VALUES (10, 1), (20, 2);
		INSERT INTO ex_memos (id, ledger_id, sheet_id) VALUES (100, 1, 10);
		INSERT INTO ex_entries (id, ledger_id, sheet_id) VALUES (200, 2, 20)`)
	defer db.Close()
	ctx := context.Background()

	sess := typeddelete.NewSession(db)
	_ = sess.Delete(&exLedger{ID: 1})
	if err := sess.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("deleted:", sess.LastCommit().Deleted)

	_ = sess.Delete(&exLedger{ID: 2})
	err := sess.Commit(ctx)
	var re *typeddelete.RestrictError
	if errors.As(err, &re) {
		fmt.Println(re.Policy, re.Child, re.Count)
	}
	fmt.Println(err)
	_ = sess.Rollback(ctx)
	var sheets int
	_ = db.QueryRow("SELECT COUNT(*) FROM ex_sheets").Scan(&sheets)
	fmt.Println("sheets left:", sheets)
	// Output:
	// deleted: map[ex_ledgers:1 ex_memos:1 ex_sheets:1]
	// Protect ex_entries 1
	// typeddelete: delete restricted by child rows: cannot delete from "ex_ledgers": 1 row(s) of "ex_entries" reference it (Protect)
	// sheets left: 1
}

// Preview shows what a Commit would do, reading only, as a confirmation
// page would.
func ExampleSession_Preview() {
	db := exOpen(exTeamsSchema)
	defer db.Close()
	ctx := context.Background()

	sess := typeddelete.NewSession(db)
	_ = sess.Delete(&exTeam{ID: 1})
	preview, err := sess.Preview(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(preview)
	fmt.Println("statements:", len(preview.Statements))
	// Output:
	// Delete ex_teams 1:
	//   deletes 1 row of ex_teams
	//     sets ex_members.team_id to NULL in 1 row of ex_members (SetNull)
	//     deletes 2 rows of ex_projects (Cascade from ex_teams)
	// statements: 4
}

// exAudited writes an audit row, in the Commit's transaction, for every
// row it deletes.
type exAudited struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name"`
}

func (exAudited) TableName() string { return "ex_audited" }

// BeforeDelete records the delete with a query sqlc generated. tx is the
// Commit's transaction: the audit row commits or rolls back with the
// delete.
func (a *exAudited) BeforeDelete(ctx context.Context, tx typeddelete.DBTX) error {
	info, _ := typeddelete.HookInfoFrom(ctx)
	return exNew(tx).InsertAudit(ctx, fmt.Sprintf("delete %s (soft: %v)", a.Name, info.Soft))
}

// exDBTX, exQueries, exNew and InsertAudit are what sqlc generates (db.go
// and the query file) for "-- name: InsertAudit :exec", as it writes them:
// a hook's tx goes to New as it is.
type exDBTX interface {
	ExecContext(context.Context, string, ...interface{}) (sql.Result, error)
	PrepareContext(context.Context, string) (*sql.Stmt, error)
	QueryContext(context.Context, string, ...interface{}) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...interface{}) *sql.Row
}

func exNew(db exDBTX) *exQueries {
	return &exQueries{db: db}
}

type exQueries struct {
	db exDBTX
}

const exInsertAudit = `-- name: InsertAudit :exec
INSERT INTO ex_audit (what) VALUES (?)
`

func (q *exQueries) InsertAudit(ctx context.Context, what string) error {
	_, err := q.db.ExecContext(ctx, exInsertAudit, what)
	return err
}

// Hooks run on every row deleted, bulk deletes included (the rows are then
// loaded), inside the transaction; the queries sqlc generates run there
// as they are.
func ExampleBeforeDeleter() {
	db := exOpen(`CREATE TABLE ex_audited (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
		CREATE TABLE ex_audit (what TEXT NOT NULL);
		INSERT INTO ex_audited (id, name) VALUES (1, 'ada'), (2, 'bob'), (3, 'cy')`)
	defer db.Close()
	ctx := context.Background()

	sess := typeddelete.NewSession(db)
	_ = sess.Delete(&exAudited{ID: 2, Name: "bob"})
	_, _ = typeddelete.Query[exAudited](sess).FilterBy("name", "cy").Delete()
	if err := sess.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	rows, _ := db.Query("SELECT what FROM ex_audit ORDER BY rowid")
	defer rows.Close()
	for rows.Next() {
		var what string
		_ = rows.Scan(&what)
		fmt.Println(what)
	}
	// Output:
	// delete bob (soft: false)
	// delete cy (soft: false)
}

// exNote is soft-deletable: Delete stamps deleted_at.
type exNote struct {
	ID        int64      `db:"id,pk"`
	Text      string     `db:"text"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (exNote) TableName() string { return "ex_notes" }

// Delete soft-deletes (and stamps the object once committed); reads skip
// soft-deleted rows unless Unscoped; HardDelete removes rows for real.
func ExampleSession_HardDelete() {
	db := exOpen(`CREATE TABLE ex_notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL, deleted_at TIMESTAMP NULL);
		INSERT INTO ex_notes (id, text) VALUES (1, 'a'), (2, 'b')`)
	defer db.Close()
	ctx := context.Background()

	sess := typeddelete.NewSession(db)
	note := &exNote{ID: 1}
	_ = sess.Delete(note)
	if err := sess.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	live, _ := typeddelete.Query[exNote](sess).AllRows().Count(ctx)
	all, _ := typeddelete.Query[exNote](sess).AllRows().Unscoped().Count(ctx)
	fmt.Println("stamped:", note.DeletedAt != nil, "live:", live, "rows:", all)

	_ = sess.HardDelete(note)
	if err := sess.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	all, _ = typeddelete.Query[exNote](sess).AllRows().Unscoped().Count(ctx)
	fmt.Println("rows after HardDelete:", all)
	// Output:
	// stamped: true live: 1 rows: 2
	// rows after HardDelete: 1
}

// DeleteReturning hands back the rows it deleted, as they were.
func ExampleTypedQuery_DeleteReturning() {
	db := exOpenUsers()
	defer db.Close()
	ctx := context.Background()

	sess := typeddelete.NewSession(db)
	age := typeddelete.Col(func(u *exUser) *int { return &u.Age })
	gone, err := typeddelete.Query[exUser](sess).Filter(age.Ge(36)).DeleteReturning()
	if err != nil {
		log.Fatal(err)
	}
	if err := sess.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	for _, u := range gone.Rows() {
		fmt.Println(u.ID, u.Name, u.Age)
	}
	// Output:
	// 1 ada 36
	// 3 cy 41
}

// Get reads a row by key; a missing key is ErrNotFound, which also matches
// sql.ErrNoRows.
func ExampleTypedQuery_Get() {
	db := exOpenUsers()
	defer db.Close()
	ctx := context.Background()

	sess := typeddelete.NewSession(db)
	u, err := typeddelete.Query[exUser](sess).Get(ctx, int64(2))
	fmt.Println(u.Name, err)
	_, err = typeddelete.Query[exUser](sess).Get(ctx, int64(9))
	fmt.Println(errors.Is(err, sql.ErrNoRows), err)
	// Output:
	// bob <nil>
	// true typeddelete: no row found: ex_users key 9
}

// A session on the caller's *sql.Tx works inside a savepoint; the caller
// commits. A *sql.Tx does not tell its driver: name the dialect.
func ExampleWithDialect() {
	db := exOpenUsers()
	defer db.Close()
	ctx := context.Background()

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "UPDATE ex_users SET name = 'BOB' WHERE id = 2"); err != nil {
		log.Fatal(err)
	}
	sess := typeddelete.NewSession(tx, typeddelete.WithDialect(typeddelete.SQLiteDialect()))
	_ = sess.Delete(&exUser{ID: 1})
	if err := sess.Commit(ctx); err != nil { // releases the savepoint
		log.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(exNames(typeddelete.NewSession(db)))
	// Output:
	// [BOB cy dee]
}

// Run is the pattern of a request handler: a session for the request, its
// work committed when the handler returns nil, dropped when it fails.
func ExampleRun() {
	db := exOpenUsers()
	defer db.Close()
	ctx := context.Background()
	catalog := typeddelete.NewCatalog() // one per database, for every request

	// One request.
	res, err := typeddelete.Run(ctx, db, func(sess *typeddelete.Session) error {
		return sess.Delete(&exUser{ID: 3}, &exUser{ID: 4})
	}, typeddelete.WithCatalog(catalog))
	fmt.Println(res.Deleted, err)

	// Another, which fails: nothing is sent.
	_, err = typeddelete.Run(ctx, db, func(sess *typeddelete.Session) error {
		_ = sess.Delete(&exUser{ID: 1})
		return errors.New("not allowed")
	}, typeddelete.WithCatalog(catalog))
	fmt.Println(err, exNames(typeddelete.NewSession(db)))
	// Output:
	// map[ex_users:2] <nil>
	// not allowed [ada bob]
}

// AtMost guards a bulk delete: past the limit nothing is deleted.
func ExampleTypedQuery_AtMost() {
	db := exOpenUsers()
	defer db.Close()
	ctx := context.Background()

	sess := typeddelete.NewSession(db)
	age := typeddelete.Col(func(u *exUser) *int { return &u.Age })
	_, _ = typeddelete.Query[exUser](sess).Filter(age.Gt(20)).AtMost(2).Delete()
	err := sess.Commit(ctx)
	fmt.Println(errors.Is(err, typeddelete.ErrTooManyRows), err)
	_ = sess.Rollback(ctx)
	fmt.Println(exNames(sess))
	// Output:
	// true typeddelete: too many rows: deleting from "ex_users" touches at least 4 row(s), over the AtMost limit of 2
	// [ada bob cy dee]
}

// exTenantDoc is scoped by tenant: every statement names the tenant.
type exTenantDoc struct {
	ID       int64 `db:"id,pk"`
	TenantID int64 `db:"tenant_id,scope"`
}

func (exTenantDoc) TableName() string { return "ex_docs" }

// A session scoped to a tenant cannot touch another tenant's rows, even by
// key: those keys come back missing.
func ExampleWithScope() {
	db := exOpen(`CREATE TABLE ex_docs (tenant_id INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (tenant_id, id));
		INSERT INTO ex_docs (tenant_id, id) VALUES (1, 1), (2, 1), (2, 2)`)
	defer db.Close()
	ctx := context.Background()

	sess := typeddelete.NewSession(db, typeddelete.WithScope("tenant_id", int64(1)))
	_ = sess.Delete(&exTenantDoc{ID: 1}, &exTenantDoc{ID: 2})
	if err := sess.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	res := sess.LastCommit()
	fmt.Println("deleted:", res.Deleted, "missing:", res.Missing)
	// Output:
	// deleted: map[ex_docs:1] missing: [{ex_docs [2]}]
}
