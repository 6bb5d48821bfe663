// Command basic is the README's quick start, run: it creates a SQLite
// database in a temporary folder, inserts a few users, loads user 1 with
// First and deletes it, registers a bulk delete of every user older than
// 30, commits both in one transaction, and prints each statement as sent
// and the rows left.
package main

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/typeddelete/typeddelete"
	"github.com/typeddelete/typeddelete/sqlite"
)

// User is the model: table "users", primary key ID.
type User struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name"`
	Age  int    `db:"age"`
}

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "typeddelete-basic-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	db, err := sqlite.Open(filepath.Join(dir, "app.db"))
	if err != nil {
		return err
	}
	defer db.Close()

	if _, err := db.ExecContext(ctx, `CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER NOT NULL)`); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO users (id, name, age) VALUES (1, 'ada', 36), (2, 'bob', 25), (3, 'cy', 41), (4, 'dee', 30)`); err != nil {
		return err
	}

	// Print every statement the session sends.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" {
				return slog.Attr{}
			}
			return a
		},
	}))
	sess := typeddelete.NewSession(db, typeddelete.WithLogger(logger))

	user, err := typeddelete.Query[User](sess).FilterBy("id", 1).First(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("loaded %+v\n", *user)
	if err := sess.Delete(user); err != nil { // pending, no SQL yet
		return err
	}
	age := typeddelete.Col(func(u *User) *int { return &u.Age })
	older, err := typeddelete.Query[User](sess).Filter(age.Gt(30)).Delete() // pending bulk delete
	if err != nil {
		return err
	}
	// One transaction: DELETE ... IN (...), then DELETE ... WHERE "age" > ?
	if err := sess.Commit(ctx); err != nil {
		return err
	}
	n, _ := older.RowsAffected()
	fmt.Printf("bulk delete removed %d row(s)\n", n)

	left, err := typeddelete.Query[User](sess).All(ctx)
	if err != nil {
		return err
	}
	names := make([]string, len(left))
	for i, u := range left {
		names[i] = fmt.Sprintf("%d %s (%d)", u.ID, u.Name, u.Age)
	}
	fmt.Printf("rows left: %s\n", strings.Join(names, ", "))
	return nil
}
