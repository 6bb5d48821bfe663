//go:build cgo

package typeddelete_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"

	sq "github.com/Masterminds/squirrel"

	"github.com/typeddelete/typeddelete"
	"github.com/typeddelete/typeddelete/sqlite"
)

// exUser is the model of the examples: table "ex_users", primary key ID.
type exUser struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name"`
	Age  int    `db:"age"`
}

// exOpenUsers opens an in-memory SQLite database holding four users:
// 1 ada (36), 2 bob (25), 3 cy (41) and 4 dee (30).
func exOpenUsers() *sql.DB {
	db, err := sqlite.Open(":memory:")
	if err != nil {
		log.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE ex_users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER NOT NULL)`,
		`INSERT INTO ex_users (id, name, age) VALUES (1, 'ada', 36), (2, 'bob', 25), (3, 'cy', 41), (4, 'dee', 30)`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			log.Fatal(err)
		}
	}
	return db
}

// exNames returns the names of the users left, in the order SQLite reads
// them (key order).
func exNames(sess *typeddelete.Session) []string {
	users, err := typeddelete.Query[exUser](sess).All(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = u.Name
	}
	return names
}

func ExampleNewSession() {
	db, err := sqlite.Open(":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	// The dialect is detected from the driver; pass WithDialect for a
	// *sql.Tx or a driver the package does not know.
	sess := typeddelete.NewSession(db)
	fmt.Println(sess.Dialect())

	// With nothing pending, Commit sends nothing, not even BEGIN.
	fmt.Println(sess.Commit(context.Background()))
	// Output:
	// sqlite
	// <nil>
}

func ExampleSession_Delete() {
	db := exOpenUsers()
	defer db.Close()
	ctx := context.Background()
	sess := typeddelete.NewSession(db)

	user, err := typeddelete.Query[exUser](sess).FilterBy("id", 1).First(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if err := sess.Delete(user); err != nil { // pending, no SQL yet
		log.Fatal(err)
	}
	fmt.Println(sess.Pending())

	if err := sess.Commit(ctx); err != nil { // BEGIN, DELETE ... IN (?), COMMIT
		log.Fatal(err)
	}
	fmt.Println(sess.LastCommit().Deleted)
	fmt.Println(exNames(sess))
	// Output:
	// 1 0
	// map[ex_users:1]
	// [bob cy dee]
}

func ExampleTypedQuery_Delete() {
	db := exOpenUsers()
	defer db.Close()
	sess := typeddelete.NewSession(db)

	age := typeddelete.Col(func(u *exUser) *int { return &u.Age })
	older, err := typeddelete.Query[exUser](sess).Filter(age.Gt(30)).Delete()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(older.RowsAffected()) // not sent yet

	if err := sess.Commit(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println(older.RowsAffected())
	fmt.Println(exNames(sess))
	// Output:
	// 0 false
	// 2 true
	// [bob dee]
}

func ExampleCol() {
	db := exOpenUsers()
	defer db.Close()
	sess := typeddelete.NewSession(db)

	// The accessor picks the field; the column comes from the model.
	age := typeddelete.Col(func(u *exUser) *int { return &u.Age })
	name := typeddelete.Col(func(u *exUser) *string { return &u.Name })
	fmt.Println(age.Name(), name.Name())

	// age.Gt("30") does not compile: Age is an int.
	q := typeddelete.Query[exUser](sess).Filter(age.Between(25, 35), name.Ne("bob"))
	n, err := q.Count(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n)
	// Output:
	// age name
	// 1
}

func ExampleAnd() {
	db := exOpenUsers()
	defer db.Close()
	sess := typeddelete.NewSession(db)

	age := typeddelete.Col(func(u *exUser) *int { return &u.Age })
	name := typeddelete.Col(func(u *exUser) *string { return &u.Name })
	q := typeddelete.Query[exUser](sess).Filter(typeddelete.And(age.Ge(30), typeddelete.Like(name, "%d%")))

	query, args, err := q.DeleteSQL()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(query, args)
	// Output:
	// DELETE FROM "ex_users" WHERE ("age" >= ? AND "name" LIKE ?) [30 %d%]
}

func ExampleOr() {
	db := exOpenUsers()
	defer db.Close()
	sess := typeddelete.NewSession(db)

	age := typeddelete.Col(func(u *exUser) *int { return &u.Age })
	id := typeddelete.Col(func(u *exUser) *int64 { return &u.ID })
	q := typeddelete.Query[exUser](sess).Filter(typeddelete.Or(age.Lt(26), id.In(3, 4)))

	query, args, err := q.DeleteSQL()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(query, args)
	if _, err := q.Delete(); err != nil {
		log.Fatal(err)
	}
	if err := sess.Commit(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println(exNames(sess))
	// Output:
	// DELETE FROM "ex_users" WHERE ("age" < ? OR "id" IN (?,?)) [26 3 4]
	// [ada]
}

func ExampleColumn_In() {
	db := exOpenUsers()
	defer db.Close()
	sess := typeddelete.NewSession(db)
	id := typeddelete.Col(func(u *exUser) *int64 { return &u.ID })

	// In with no values matches no row: the delete would send nothing.
	query, _, err := typeddelete.Query[exUser](sess).Filter(id.In()).DeleteSQL()
	fmt.Printf("%q %v\n", query, err)

	// NotIn with no values matches every row, so it needs AllRows.
	_, err = typeddelete.Query[exUser](sess).Filter(id.NotIn()).Delete()
	fmt.Println(errors.Is(err, typeddelete.ErrMissingWhere))
	// Output:
	// "" <nil>
	// true
}

func ExampleTypedQuery_DeleteSQL() {
	db := exOpenUsers()
	defer db.Close()
	sess := typeddelete.NewSession(db)
	age := typeddelete.Col(func(u *exUser) *int { return &u.Age })

	// DeleteSQL shows what Delete would register; it sends nothing.
	q := typeddelete.Query[exUser](sess).Filter(age.Gt(30)).FilterBy("name", []string{"ada", "cy"})
	query, args, err := q.DeleteSQL()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(query)
	fmt.Println(args)
	// Output:
	// DELETE FROM "ex_users" WHERE ("age" > ? AND "name" IN (?,?))
	// [30 ada cy]
}

func ExampleSession_Flush() {
	db := exOpenUsers()
	defer db.Close()
	ctx := context.Background()
	sess := typeddelete.NewSession(db)
	users := typeddelete.Query[exUser](sess)

	if err := sess.Delete(&exUser{ID: 1}, &exUser{ID: 2}); err != nil {
		log.Fatal(err)
	}
	// Flush sends the deletes in the session's transaction, without
	// committing; reads through the session see them.
	if err := sess.Flush(ctx); err != nil {
		log.Fatal(err)
	}
	n, _ := users.Count(ctx)
	fmt.Println("after Flush:", n)

	// Rollback undoes what Flush sent (Commit would keep it).
	if err := sess.Rollback(ctx); err != nil {
		log.Fatal(err)
	}
	n, _ = users.Count(ctx)
	fmt.Println("after Rollback:", n)
	// Output:
	// after Flush: 2
	// after Rollback: 4
}

func ExampleSession_LastCommit() {
	db := exOpenUsers()
	defer db.Close()
	sess := typeddelete.NewSession(db)

	// User 99 does not exist: the Commit succeeds and reports its key.
	if err := sess.Delete(&exUser{ID: 1}, &exUser{ID: 99}); err != nil {
		log.Fatal(err)
	}
	if err := sess.Commit(context.Background()); err != nil {
		log.Fatal(err)
	}
	res := sess.LastCommit()
	fmt.Println(res.Deleted)
	for _, mk := range res.Missing {
		fmt.Println("missing:", mk.Table, mk.Key)
	}
	// Output:
	// map[ex_users:1]
	// missing: ex_users [99]
}

func ExampleWithStrictRowCounts() {
	db := exOpenUsers()
	defer db.Close()
	sess := typeddelete.NewSession(db, typeddelete.WithStrictRowCounts())

	// User 99 does not exist: the whole Commit fails and rolls back.
	if err := sess.Delete(&exUser{ID: 1}, &exUser{ID: 99}); err != nil {
		log.Fatal(err)
	}
	err := sess.Commit(context.Background())
	var stale *typeddelete.StaleDataError
	if errors.As(err, &stale) {
		fmt.Println(stale.Table, stale.Keys)
	}
	fmt.Println(errors.Is(err, typeddelete.ErrStaleData))
	fmt.Println(err)

	// Nothing was deleted, and the work is still pending.
	fmt.Println(exNames(sess))
	fmt.Println(sess.Pending())
	// Output:
	// ex_users [[99]]
	// true
	// typeddelete: stale data: 1 key(s) of "ex_users" matched no row: 99
	// [ada bob cy dee]
	// 2 0
}

func ExampleTypedQuery_AllRows() {
	db := exOpenUsers()
	defer db.Close()
	sess := typeddelete.NewSession(db)

	// A bulk delete without a filter is refused...
	_, err := typeddelete.Query[exUser](sess).Delete()
	fmt.Println(errors.Is(err, typeddelete.ErrMissingWhere))

	// ...unless AllRows says it is meant.
	all, err := typeddelete.Query[exUser](sess).AllRows().Delete()
	if err != nil {
		log.Fatal(err)
	}
	if err := sess.Commit(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println(all.RowsAffected())
	// Output:
	// true
	// 4 true
}

func ExampleRaw() {
	db := exOpenUsers()
	defer db.Close()
	sess := typeddelete.NewSession(db)

	// Raw takes any squirrel expression, for SQL typed columns cannot say.
	long := typeddelete.Raw[exUser](sq.Expr("length(name) > ?", 2))
	q := typeddelete.Query[exUser](sess).Filter(long)

	query, args, err := q.DeleteSQL()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(query, args)
	if _, err := q.Delete(); err != nil {
		log.Fatal(err)
	}
	if err := sess.Commit(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println(exNames(sess))
	// Output:
	// DELETE FROM "ex_users" WHERE (length(name) > ?) [2]
	// [cy]
}

func ExampleWithLogger() {
	db := exOpenUsers()
	defer db.Close()

	// Log each statement at Debug level, without time and duration.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" {
				return slog.Attr{}
			}
			return a
		},
	}))
	// The database's catalog (foreign and unique keys) is read once, by the
	// first Commit that needs it; sessions that share a Catalog, one per
	// request say, do not read it again.
	catalog := typeddelete.NewCatalog()
	first := typeddelete.NewSession(db, typeddelete.WithCatalog(catalog))
	_ = first.Delete(&exUser{ID: 4})
	if err := first.Commit(context.Background()); err != nil {
		log.Fatal(err)
	}
	sess := typeddelete.NewSession(db, typeddelete.WithCatalog(catalog), typeddelete.WithLogger(logger))

	// Work is sent in the order it is registered; object keys are sorted.
	age := typeddelete.Col(func(u *exUser) *int { return &u.Age })
	_ = sess.Delete(&exUser{ID: 2}, &exUser{ID: 1})
	_, _ = typeddelete.Query[exUser](sess).Filter(age.Ge(40)).Delete()
	if err := sess.Commit(context.Background()); err != nil {
		log.Fatal(err)
	}
	// Output:
	// level=DEBUG msg="typeddelete: begin" sql=BEGIN args=[]
	// level=DEBUG msg="typeddelete: delete" sql="DELETE FROM \"ex_users\" WHERE \"id\" IN (?,?)" args="[1 2]" rows=2
	// level=DEBUG msg="typeddelete: delete" sql="DELETE FROM \"ex_users\" WHERE \"age\" >= ?" args=[40] rows=1
	// level=DEBUG msg="typeddelete: commit" sql=COMMIT args=[]
}
