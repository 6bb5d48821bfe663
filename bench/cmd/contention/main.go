// Command contention measures how many Commits reach their caller with
// ErrSerialization under a concurrent mixed load: workers each commit, in
// a session per Commit, object deletes of random keys of two tables,
// registered in random order, and a bulk delete, so that transactions
// overlap, deadlock, and find keys others deleted (which makes a Commit
// read which keys exist). It prints one line of counts: Commits that
// succeeded, that returned ErrSerialization after the session's retries,
// the serialization failures (deadlocks) the server reported on the way,
// retried or not, and the load's wall time.
// With -isolation server the sessions' transactions run at the server's
// default isolation (WithTxOptions) instead of the library's own.
//
//	go run ./bench/cmd/contention -driver mysql -dsn 'root@tcp(127.0.0.1:3306)/test'
//	go run ./bench/cmd/contention -driver mysql -dsn 'root@tcp(127.0.0.1:3306)/test' -isolation server
//	go run ./bench/cmd/contention -driver pgx -dsn 'postgres://postgres@127.0.0.1:5432/test'
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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
	isolation := flag.String("isolation", "session", "the sessions' isolation: session (the library's own) or server (the server's default)")
	flag.Parse()
	var opts []typeddelete.Option
	switch *isolation {
	case "session":
	case "server":
		opts = append(opts, typeddelete.WithTxOptions(&sql.TxOptions{}))
	default:
		log.Fatalf("-isolation %q: want session or server", *isolation)
	}
	if err := run(*driver, *dsn, *workers, *commits, *rows, opts); err != nil {
		log.Fatal(err)
	}
}

// failureCounter is a slog.Handler that counts the statements the
// sessions log as failed with a serialization failure.
type failureCounter struct{ n atomic.Int64 }

func (c *failureCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (c *failureCounter) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && a.Key == "error" && errors.Is(err, typeddelete.ErrSerialization) {
			c.n.Add(1)
		}
		return true
	})
	return nil
}

func (c *failureCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *failureCounter) WithGroup(string) slog.Handler      { return c }

func run(driver, dsn string, workers, commits, rows int, opts []typeddelete.Option) error {
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
	failures := &failureCounter{}
	opts = append(opts, typeddelete.WithLogger(slog.New(failures)))
	var mu sync.Mutex
	counts := map[string]int{}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			grp := typeddelete.Col(func(r *rowA) *int { return &r.Grp })
			for range commits {
				s := typeddelete.NewSession(db, opts...)
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
	elapsed := time.Since(start)
	total := workers * commits
	fmt.Printf("driver=%s workers=%d commits=%d ok=%d serialization=%d deadlocks=%d time=%.2fs", driver, workers, total, counts["ok"], counts["serialization"], failures.n.Load(), elapsed.Seconds())
	for k, n := range counts {
		if strings.HasPrefix(k, "other") {
			fmt.Printf(" [%s]=%d", k, n)
		}
	}
	fmt.Println()
	return nil
}
