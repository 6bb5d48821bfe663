// Command sqlmock shows how to unit-test your own code that uses typeddelete
// with github.com/DATA-DOG/go-sqlmock.
//
// PurgeInactive is the code under test: a service function that takes a
// *typeddelete.Session. main runs it on a SQLite database in a temporary
// folder; main_test.go runs it on sqlmock and checks every statement it
// sends, BEGIN to COMMIT, and the ROLLBACK when one fails.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/typeddelete/typeddelete"
	"github.com/typeddelete/typeddelete/sqlite"
)

// Account is a user account: table "accounts", primary key ID.
type Account struct {
	ID       int64  `db:"id,pk"`
	Email    string `db:"email"`
	Active   bool   `db:"active"`
	LastSeen int64  `db:"last_seen"` // Unix seconds
}

// Token is an API token of an account: table "tokens".
type Token struct {
	ID        int64 `db:"id,pk"`
	AccountID int64 `db:"account_id"`
}

// PurgeInactive deletes the inactive accounts last seen before cutoff (Unix
// seconds), with their tokens, in one transaction, and returns the accounts
// it deleted. On failure nothing is deleted.
func PurgeInactive(ctx context.Context, sess *typeddelete.Session, cutoff int64) ([]*Account, error) {
	active := typeddelete.Col(func(a *Account) *bool { return &a.Active })
	lastSeen := typeddelete.Col(func(a *Account) *int64 { return &a.LastSeen })
	stale, err := typeddelete.Query[Account](sess).Filter(active.Eq(false), lastSeen.Lt(cutoff)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("purge: %w", err)
	}
	if len(stale) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(stale))
	for i, a := range stale {
		ids[i] = a.ID
	}

	// Tokens reference accounts, so they go first: work is sent in the
	// order it is registered.
	owner := typeddelete.Col(func(t *Token) *int64 { return &t.AccountID })
	if _, err := typeddelete.Query[Token](sess).Filter(owner.In(ids...)).Delete(); err != nil {
		return nil, fmt.Errorf("purge: %w", err)
	}
	if err := sess.Delete(stale); err != nil {
		return nil, fmt.Errorf("purge: %w", err)
	}
	if err := sess.Commit(ctx); err != nil {
		return nil, fmt.Errorf("purge: %w", err)
	}
	return stale, nil
}

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "typeddelete-sqlmock-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	db, err := sqlite.Open(filepath.Join(dir, "app.db"))
	if err != nil {
		return err
	}
	defer db.Close()

	for _, stmt := range []string{
		`CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT NOT NULL, active BOOLEAN NOT NULL, last_seen INTEGER NOT NULL)`,
		`CREATE TABLE tokens (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts (id))`,
		`INSERT INTO accounts (id, email, active, last_seen) VALUES
			(1, 'ada@example.com', 0, 1000), (2, 'bob@example.com', 1, 1000),
			(3, 'cy@example.com', 0, 5000), (4, 'dee@example.com', 0, 1500)`,
		`INSERT INTO tokens (id, account_id) VALUES (10, 1), (11, 1), (12, 2), (13, 4)`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}

	sess := typeddelete.NewSession(db) // the dialect is detected: SQLite
	purged, err := PurgeInactive(ctx, sess, 2000)
	if err != nil {
		return err
	}
	for _, a := range purged {
		fmt.Printf("purged account %d (%s)\n", a.ID, a.Email)
	}
	res := sess.LastCommit()
	fmt.Printf("rows deleted: %d account(s), %d token(s)\n", res.Deleted["accounts"], res.Deleted["tokens"])

	left, err := typeddelete.Query[Account](sess).All(ctx)
	if err != nil {
		return err
	}
	for _, a := range left {
		fmt.Printf("kept account %d (%s)\n", a.ID, a.Email)
	}
	return nil
}
