// Command rss measures the peak resident memory of loading N rows of a
// SQLite table and deleting them all, in one process per way of doing it,
// and prints it from /proc/self/status (VmHWM):
//
//	go run ./bench/cmd/rss -way library-iter   # Query.Iter, Session.Delete of each, Commit
//	go run ./bench/cmd/rss -way library-all    # Query.All, Session.Delete of the slice, Commit
//	go run ./bench/cmd/rss -way bun-slice      # bun: Select into []T, Delete().Model(&rows).WherePK()
//	go run ./bench/cmd/rss -way gorm-slice     # GORM: Find into []T, Delete in chunks of 30,000
//
// Each run creates its own database file with N rows first.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	gormsqlite "gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/typeddelete/typeddelete"
	"github.com/typeddelete/typeddelete/sqlite"
)

// row is the model of the three libraries.
type row struct {
	bun.BaseModel `bun:"table:rss_rows"`
	ID            int64  `db:"id,pk" bun:"id,pk"`
	Name          string `db:"name" bun:"name"`
	Age           int    `db:"age" bun:"age"`
}

func (row) TableName() string { return "rss_rows" }

func main() {
	way := flag.String("way", "library-iter", "library-iter, library-all, bun-slice or gorm-slice")
	n := flag.Int("n", 1_000_000, "rows")
	flag.Parse()
	if err := run(*way, *n); err != nil {
		log.Fatal(err)
	}
}

func run(way string, n int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "typeddelete-rss-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(filepath.Join(dir, "rss.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := fill(ctx, db, n); err != nil {
		return err
	}
	base := peakKB()
	var deleted int64
	switch way {
	case "library-iter":
		sess := typeddelete.NewSession(db)
		for r, err := range typeddelete.Query[row](sess).AllRows().Iter(ctx) {
			if err != nil {
				return err
			}
			if err := sess.Delete(r); err != nil {
				return err
			}
		}
		if err := sess.Commit(ctx); err != nil {
			return err
		}
		deleted = sess.LastCommit().Deleted["rss_rows"]
	case "library-all":
		sess := typeddelete.NewSession(db)
		rows, err := typeddelete.Query[row](sess).AllRows().All(ctx)
		if err != nil {
			return err
		}
		if err := sess.Delete(rows); err != nil {
			return err
		}
		if err := sess.Commit(ctx); err != nil {
			return err
		}
		deleted = sess.LastCommit().Deleted["rss_rows"]
	case "bun-slice":
		bdb := bun.NewDB(db, sqlitedialect.New())
		var rows []row
		if err := bdb.NewSelect().Model(&rows).Scan(ctx); err != nil {
			return err
		}
		err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			res, err := tx.NewDelete().Model(&rows).WherePK().Exec(ctx)
			if err == nil {
				deleted, err = res.RowsAffected()
			}
			return err
		})
		if err != nil {
			return err
		}
	case "gorm-slice":
		gdb, err := gorm.Open(gormsqlite.New(gormsqlite.Config{Conn: db}), &gorm.Config{SkipDefaultTransaction: true, Logger: logger.Discard})
		if err != nil {
			return err
		}
		var rows []row
		if err := gdb.Find(&rows).Error; err != nil {
			return err
		}
		err = gdb.Transaction(func(tx *gorm.DB) error {
			for lo := 0; lo < len(rows); lo += 30000 {
				res := tx.Delete(rows[lo:min(lo+30000, len(rows))])
				if res.Error != nil {
					return res.Error
				}
				deleted += res.RowsAffected
			}
			return nil
		})
		if err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown way %q", way)
	}
	if deleted != int64(n) {
		return fmt.Errorf("%s deleted %d rows, want %d", way, deleted, n)
	}
	fmt.Printf("way=%s rows=%d peak_rss_mb=%.1f before_mb=%.1f\n", way, n, float64(peakKB())/1024, float64(base)/1024)
	return nil
}

// fill creates rss_rows with n rows.
func fill(ctx context.Context, db *sql.DB, n int) error {
	if _, err := db.ExecContext(ctx, "CREATE TABLE rss_rows (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER NOT NULL)"); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
		INSERT INTO rss_rows (id, name, age) SELECT i, 'user ' || i, i % 60 + 1 FROM c`, n)
	return err
}

// peakKB returns the process's peak resident set size, in KiB.
func peakKB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb)
			return kb
		}
	}
	return -1
}
