// Command contention measures how many Commits reach their caller with
// ErrSerialization under a concurrent mixed load: workers each commit, in
// a session per Commit, object deletes of random keys of two tables,
// registered in random order, and a bulk delete, so that transactions
// overlap, deadlock, and find keys others deleted (which makes a Commit
// read which keys exist). It prints one line of counts.
//
//	go run ./bench/cmd/contention -driver mysql -dsn 'root@tcp(127.0.0.1:3306)/test'
//	go run ./bench/cmd/contention -driver pgx -dsn 'postgres://postgres@127.0.0.1:5432/test'
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"strings"
	"sync"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/typeddelete/typeddelete"
)

// rowA and rowB are the two tables of the load.
type rowA struct {
	ID  int64 `db:"id,pk"`
	Grp int   `db:"grp"`
}

func (rowA) TableName() string { return "ct_a" }

type rowB struct {
	ID  int64 `db:"id,pk"`
	Grp int   `db:"grp"`
}

func (rowB) TableName() string { return "ct_b" }

func main() {
	driver := flag.String("driver", "mysql", "database/sql driver: mysql or pgx")
	dsn := flag.String("dsn", "root@tcp(127.0.0.1:3306)/test", "data source name")
	workers := flag.Int("workers", 8, "concurrent sessions")
	commits := flag.Int("commits", 30, "commits per worker")
	rows := flag.Int("rows", 400, "rows per table")
	flag.Parse()
	if err := run(*driver, *dsn, *workers, *commits, *rows); err != nil {
		log.Fatal(err)
	}
}

func run(driver, dsn string, workers, commits, rows int) error {
	ctx := context.Background()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(workers + 2)
	for _, t := range []string{"ct_a", "ct_b"} {
		if _, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+t); err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, "CREATE TABLE "+t+" (id BIGINT PRIMARY KEY, grp INT NOT NULL)"); err != nil {
			return err
		}
		var vals []string
		for i := 1; i <= rows; i++ {
			vals = append(vals, fmt.Sprintf("(%d, %d)", i, i%50))
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO "+t+" (id, grp) VALUES "+strings.Join(vals, ", ")); err != nil {
			return err
		}
	}
	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			grp := typeddelete.Col(func(r *rowA) *int { return &r.Grp })
			for range commits {
				s := typeddelete.NewSession(db)
				var as, bs []any
				for range 20 {
					as = append(as, &rowA{ID: 1 + rng.Int64N(int64(rows))})
					bs = append(bs, &rowB{ID: 1 + rng.Int64N(int64(rows))})
				}
				first, second := as, bs
				if rng.IntN(2) == 0 {
					first, second = bs, as
				}
				err := s.Delete(first...)
				if err == nil {
					_, err = typeddelete.Query[rowA](s).Filter(grp.Eq(rng.IntN(50))).Delete()
				}
				if err == nil {
					err = s.Delete(second...)
				}
				if err == nil {
					err = s.Commit(ctx)
				}
				kind := "ok"
				switch {
				case errors.Is(err, typeddelete.ErrSerialization):
					kind = "serialization"
				case err != nil:
					kind = "other: " + err.Error()
				}
				mu.Lock()
				counts[kind]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	total := workers * commits
	fmt.Printf("driver=%s workers=%d commits=%d ok=%d serialization=%d", driver, workers, total, counts["ok"], counts["serialization"])
	for k, n := range counts {
		if strings.HasPrefix(k, "other") {
			fmt.Printf(" [%s]=%d", k, n)
		}
	}
	fmt.Println()
	return nil
}
