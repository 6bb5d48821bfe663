// Command ordelete measures whether one DELETE ... WHERE a IN (...) OR
// b IN (...) beats one DELETE per column, on each database: the question
// of combining the statements of several relations to one child table.
// It fills a 200,000-row table with two indexed columns, then deletes the
// rows of 500 keys both ways, each in a transaction rolled back, in
// alternating rounds, and prints the medians and their ratio.
//
//	TYPEDDELETE_POSTGRES_DSN=... TYPEDDELETE_MYSQL_DSN=... go run ./cmd/ordelete
package main

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/typeddelete/typeddelete/sqlite"
)

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func main() {
	for _, c := range []struct{ drv, dsn, name string }{
		{"sqlite3", "file:" + os.TempDir() + "/ordelete.db", "sqlite"},
		{"pgx", os.Getenv("TYPEDDELETE_POSTGRES_DSN"), "postgres"},
		{"mysql", os.Getenv("TYPEDDELETE_MYSQL_DSN"), "mysql"},
	} {
		os.Remove(os.TempDir() + "/ordelete.db")
		var db *sql.DB
		var err error
		if c.drv == "sqlite" {
			db, err = sqlite.Open(c.dsn)
		} else {
			db, err = sql.Open(c.drv, c.dsn)
		}
		must(err)
		db.SetMaxOpenConns(1)
		db.Exec("DROP TABLE IF EXISTS od_child")
		must2(db.Exec("CREATE TABLE od_child (id BIGINT PRIMARY KEY, a BIGINT NOT NULL, b BIGINT NOT NULL)"))
		must2(db.Exec("CREATE INDEX od_a ON od_child (a)"))
		must2(db.Exec("CREATE INDEX od_b ON od_child (b)"))
		const n = 200000
		tx, _ := db.Begin()
		for i := 0; i < n; i += 1000 {
			var vals []string
			for j := i; j < i+1000; j++ {
				vals = append(vals, fmt.Sprintf("(%d,%d,%d)", j+1, rand.IntN(20000)+1, rand.IntN(20000)+1))
			}
			must2(tx.Exec("INSERT INTO od_child (id, a, b) VALUES " + strings.Join(vals, ",")))
		}
		must(tx.Commit())
		if c.name == "postgres" {
			db.Exec("ANALYZE od_child")
		} else if c.name == "mysql" {
			db.Exec("ANALYZE TABLE od_child")
		} else {
			db.Exec("ANALYZE")
		}
		keys := make([]string, 500)
		for i := range keys {
			keys[i] = fmt.Sprint(rand.IntN(20000) + 1)
		}
		list := strings.Join(keys, ",")
		two := []string{"DELETE FROM od_child WHERE a IN (" + list + ")", "DELETE FROM od_child WHERE b IN (" + list + ")"}
		one := []string{"DELETE FROM od_child WHERE a IN (" + list + ") OR b IN (" + list + ")"}
		var t2, t1 []time.Duration
		for r := 0; r < 15; r++ {
			for _, v := range [][]string{two, one} {
				tx, _ := db.Begin()
				start := time.Now()
				for _, q := range v {
					must2(tx.Exec(q))
				}
				d := time.Since(start)
				tx.Rollback()
				if len(v) == 2 {
					t2 = append(t2, d)
				} else {
					t1 = append(t1, d)
				}
			}
		}
		slices.Sort(t2)
		slices.Sort(t1)
		fmt.Printf("%s: one statement per column %v, one OR statement %v (medians of 15), OR/per-column %.2f\n",
			c.name, t2[7], t1[7], float64(t1[7])/float64(t2[7]))
		db.Exec("DROP TABLE od_child")
		db.Close()
	}
}

func must2(_ sql.Result, err error) { must(err) }
