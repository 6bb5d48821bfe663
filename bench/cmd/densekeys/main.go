// Command densekeys measures, on MariaDB or MySQL, the two ways the MySQL
// dialect can send a list of integer primary keys: the plain list,
//
//	DELETE FROM t WHERE id IN (1,3,5,...)
//
// and the scan of the keys' range that it sends MariaDB for dense lists,
//
//	DELETE FROM t WHERE id BETWEEN 1 AND 9999 AND id + 0 IN (1,3,5,...)
//
// For each case rows:keys:step it fills a table of rows rows, then deletes
// keys keys, every step-th row from the first, both ways in alternating
// order, each statement in a READ COMMITTED transaction (the dialect's)
// that is rolled back, so that no iteration leaves the server rows to
// purge or the table to refill. It prints the median time of each way and
// the median of the per-round ratios.
//
//	go run ./bench/cmd/densekeys -dsn 'root@tcp(127.0.0.1:3306)/test'
//
// With -isolation it runs the scan both ways instead: at READ COMMITTED
// and at REPEATABLE READ (the server's default), for what the dialect's
// isolation costs each statement.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql"
)

const table = "typeddelete_densekeys"

func main() {
	dsn := flag.String("dsn", os.Getenv("TYPEDDELETE_MYSQL_DSN"), "the server's DSN (go-sql-driver/mysql)")
	cases := flag.String("cases", "10000:5000:2,100000:50000:2,1000000:50000:2,100000:5000:1,100000:5000:3,100000:5000:4,100000:5000:6",
		"rows:keys:step, comma-separated")
	rounds := flag.Int("rounds", 15, "rounds per case, each both ways")
	isolation := flag.Bool("isolation", false, "run the scan at READ COMMITTED and at REPEATABLE READ instead of the plain list against the scan")
	flag.Parse()
	if *dsn == "" {
		fmt.Fprintln(os.Stderr, "densekeys: set -dsn or TYPEDDELETE_MYSQL_DSN")
		os.Exit(2)
	}
	db, err := sql.Open("mysql", *dsn)
	check(err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	// ways[0] and ways[1] are the two ways compared: a statement and the
	// isolation it runs at.
	type way struct {
		scan bool
		iso  sql.IsolationLevel
	}
	ways := [2]way{{false, sql.LevelReadCommitted}, {true, sql.LevelReadCommitted}}
	header := "| Rows | Keys | Rows per key | plain list | range scan | scan ÷ plain, paired |"
	if *isolation {
		ways = [2]way{{true, sql.LevelReadCommitted}, {true, sql.LevelRepeatableRead}}
		header = "| Rows | Keys | Rows per key | scan, READ COMMITTED | scan, REPEATABLE READ | REPEATABLE READ ÷ READ COMMITTED, paired |"
	}
	fmt.Println(header)
	fmt.Println("|---:|---:|---:|---:|---:|---:|")
	filled := 0
	for _, c := range strings.Split(*cases, ",") {
		var rows, keys, step int
		_, err := fmt.Sscanf(strings.ReplaceAll(c, ":", " "), "%d %d %d", &rows, &keys, &step)
		check(err)
		if keys < 1 || step < 1 || 1+(keys-1)*step > rows {
			check(fmt.Errorf("case %s: %d keys every %d rows do not fit in %d rows", c, keys, step, rows))
		}
		if rows != filled {
			fill(ctx, db, rows)
			filled = rows
		}
		list := make([]byte, 0, keys*8)
		for i := range keys {
			if i > 0 {
				list = append(list, ',')
			}
			list = strconv.AppendInt(list, int64(1+i*step), 10)
		}
		hi := strconv.Itoa(1 + (keys-1)*step)
		plain := "DELETE FROM " + table + " WHERE id IN (" + string(list) + ")"
		scan := "DELETE FROM " + table + " WHERE id BETWEEN 1 AND " + hi + " AND id + 0 IN (" + string(list) + ")"
		stmt := func(w way) string {
			if w.scan {
				return scan
			}
			return plain
		}
		var tp, ts, ratios []float64
		for r := range *rounds + 1 {
			a, b := ways[0], ways[1]
			if r%2 == 1 {
				a, b = b, a
			}
			ta, tb := timed(ctx, db, stmt(a), a.iso, keys), timed(ctx, db, stmt(b), b.iso, keys)
			if r == 0 {
				continue // warm-up
			}
			if r%2 == 1 {
				ta, tb = tb, ta
			}
			tp, ts, ratios = append(tp, ta), append(ts, tb), append(ratios, tb/ta)
		}
		fmt.Printf("| %d | %d | %d | %.2f ms | %.2f ms | %.3f |\n", rows, keys, step, median(tp), median(ts), median(ratios))
	}
	_, err = db.ExecContext(ctx, "DROP TABLE IF EXISTS "+table)
	check(err)
}

// fill creates the table with ids 1 to rows.
func fill(ctx context.Context, db *sql.DB, rows int) {
	_, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+table)
	check(err)
	_, err = db.ExecContext(ctx, "CREATE TABLE "+table+" (id BIGINT PRIMARY KEY, name VARCHAR(64) NOT NULL, age INT NOT NULL)")
	check(err)
	for lo := 1; lo <= rows; lo += 5000 {
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (id, name, age) VALUES ")
		for id := lo; id < lo+5000 && id <= rows; id++ {
			if id > lo {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,'user %d',%d)", id, id, id%60+1)
		}
		_, err := db.ExecContext(ctx, b.String())
		check(err)
	}
	_, err = db.ExecContext(ctx, "ANALYZE TABLE "+table)
	check(err)
}

// timed runs q in a transaction at iso, checks that it deleted want rows,
// rolls back and returns the statement's time in milliseconds.
func timed(ctx context.Context, db *sql.DB, q string, iso sql.IsolationLevel, want int) float64 {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: iso})
	check(err)
	defer tx.Rollback()
	start := time.Now()
	res, err := tx.ExecContext(ctx, q)
	d := time.Since(start)
	check(err)
	n, err := res.RowsAffected()
	check(err)
	if n != int64(want) {
		check(fmt.Errorf("deleted %d rows, want %d", n, want))
	}
	return float64(d.Microseconds()) / 1000
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "densekeys:", err)
		os.Exit(1)
	}
}
