package bench_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/schema"
	gormmysql "gorm.io/driver/mysql"
	gormpostgres "gorm.io/driver/postgres"
	gormsqlite "gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/typeddelete/typeddelete"
)

// The peers benchmarks: the library against GORM, bun and hand-written
// database/sql on the same *sql.DB, in the interleaved rounds of
// benchRunCases. Run them with -bench Peers and -benchtime Nx (N runs per
// case and round); bench/cmd/chart reads their output. With -short they
// shrink (500 and 5,000 keys, 10,000 bulk rows, 100 cascaded parents), for
// a smoke run.

// The peers' tables, the same on every database.
const (
	peerRows     = "typeddelete_peer_rows"
	peerParents  = "typeddelete_peer_parents"
	peerChildren = "typeddelete_peer_children"
)

// The models, one per table for the three libraries: the library reads the
// db tags and TableName, GORM the field names and TableName, bun the bun
// tags and the table named in the tag of bun.BaseModel (an empty struct,
// which the library and GORM flatten into nothing).

type peerRow struct {
	bun.BaseModel `bun:"table:typeddelete_peer_rows"`
	ID            int64  `db:"id,pk" bun:"id,pk"`
	Name          string `db:"name" bun:"name"`
	Age           int    `db:"age" bun:"age"`
}

func (peerRow) TableName() string { return peerRows }

// peerParent declares its children to the library (Relations) and to GORM
// (the Children field, which the library and bun skip).
type peerParent struct {
	bun.BaseModel `bun:"table:typeddelete_peer_parents"`
	ID            int64       `db:"id,pk" bun:"id,pk"`
	Name          string      `db:"name" bun:"name"`
	Children      []peerChild `db:"-" bun:"-" gorm:"foreignKey:ParentID"`
}

func (peerParent) TableName() string { return peerParents }

func (peerParent) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[peerChild](typeddelete.Cascade, "parent_id")}
}

type peerChild struct {
	bun.BaseModel `bun:"table:typeddelete_peer_children"`
	ID            int64 `db:"id,pk" bun:"id,pk"`
	ParentID      int64 `db:"parent_id" bun:"parent_id"`
}

func (peerChild) TableName() string { return peerChildren }

// peerDB is one database of the peers benchmarks and how each peer reaches
// it: GORM and bun are opened on the same *sql.DB as the library.
type peerDB struct {
	benchDialect
	db        *sql.DB
	gorm      gorm.Dialector
	bun       schema.Dialect
	params    int // bind parameters one statement may hold
	gormChunk int // keys per statement of GORM past params
	// floors are the dialect's fastest plain shapes, the fastest measured
	// first: the objs-* case reads the keys from the objects and sends
	// them in floors[0].
	floors      []benchShape
	perRowSizes int // how many of the smallest sizes run per-row
	// readCommitted: the library's transactions run at READ COMMITTED
	// (the MySQL dialect's), GORM's, bun's and the floors' at the server's
	// default isolation. Each group then also runs the library at the
	// server's (WithTxOptions; cases *-server-tx) and the first floor at
	// READ COMMITTED (floor-*-rc), so that the library meets the floor at
	// either isolation.
	readCommitted bool

	gdb *gorm.DB
	bdb *bun.DB
}

// peerSizes returns the keys of the object deletes, the rows of the bulk
// delete and the parents of the cascade (half of them deleted).
func peerSizes() (keys []int, bulk, parents int) {
	if testing.Short() {
		return []int{500, 5_000}, 10_000, 200
	}
	return []int{5_000, 50_000, 500_000}, 100_000, 2_000
}

// BenchmarkPeersSQLite runs the peers on a WAL SQLite file opened with
// sqlite.Open (github.com/mattn/go-sqlite3), which GORM and bun share.
func BenchmarkPeersSQLite(b *testing.B) {
	benchPeers(b, peerSQLite(b))
}

// peerSQLite is the SQLite of BenchmarkPeersSQLite, on a new file.
func peerSQLite(b *testing.B) *peerDB {
	db := benchOpenSQLite(b)
	return &peerDB{
		benchDialect: benchSQLite, db: db,
		gorm:   gormsqlite.New(gormsqlite.Config{Conn: db}),
		bun:    sqlitedialect.New(),
		params: 32766, gormChunk: 30_000,
		floors:      []benchShape{benchIn(500, false, true), benchIn(100, false, true), benchIn(2000, false, true), benchJSONEach()},
		perRowSizes: 3,
	}
}

// BenchmarkPeersPostgres runs the peers on PostgreSQL through pgx's
// database/sql driver.
func BenchmarkPeersPostgres(b *testing.B) {
	db := benchOpenServer(b, benchPostgresEnv, "pgx", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	benchPeers(b, &peerDB{
		benchDialect: benchPostgres, db: db,
		gorm:   gormpostgres.New(gormpostgres.Config{Conn: db}),
		bun:    pgdialect.New(),
		params: 65535, gormChunk: 60_000,
		floors:      []benchShape{benchAny()},
		perRowSizes: 1,
	})
}

// BenchmarkPeersMySQL runs the peers on MariaDB (or MySQL) through
// go-sql-driver/mysql.
func BenchmarkPeersMySQL(b *testing.B) {
	db := benchOpenServer(b, benchMySQLEnv, "mysql", "root@tcp(127.0.0.1:3306)/test")
	benchPeers(b, &peerDB{
		benchDialect: benchMySQL, db: db,
		gorm:   gormmysql.New(gormmysql.Config{Conn: db}),
		bun:    mysqldialect.New(),
		params: 65535, gormChunk: 60_000,
		floors:        []benchShape{benchLiteral(50000, true), benchLiteral(5000, false), benchLiteral(50000, false), benchIn(5000, false, true)},
		perRowSizes:   1,
		readCommitted: true,
	})
}

// benchPeers opens GORM and bun on p.db and runs the groups of cases:
// keys=K (K loaded objects of 2K rows), bulk=N (age > 30 on N rows) and
// cascade=P (P loaded parents of 2P, 10 children each).
func benchPeers(b *testing.B, p *peerDB) {
	p.openGorm(b)
	p.bdb = bun.NewDB(p.db, p.bun)
	keys, bulk, parents := peerSizes()
	for i, k := range keys {
		b.Run("keys="+strconv.Itoa(k), func(b *testing.B) { peerObjects(b, p, k, i < p.perRowSizes) })
	}
	b.Run("bulk="+strconv.Itoa(bulk), func(b *testing.B) { peerBulk(b, p, bulk) })
	b.Run("cascade="+strconv.Itoa(parents/2), func(b *testing.B) { peerCascade(b, p, parents) })
}

// openGorm opens GORM on p.db with GORM's documented advice for speed: no
// implicit transaction around each call (every case here opens its own),
// and no logger.
func (p *peerDB) openGorm(b *testing.B) {
	var err error
	if p.gdb, err = gorm.Open(p.gorm, &gorm.Config{SkipDefaultTransaction: true, Logger: logger.Discard}); err != nil {
		b.Fatal(err)
	}
}

// gormTx runs f in a GORM transaction.
func (p *peerDB) gormTx(ctx context.Context, f func(tx *gorm.DB) error) error {
	return p.gdb.WithContext(ctx).Transaction(f)
}

// bunTx runs f in a bun transaction.
func (p *peerDB) bunTx(ctx context.Context, f func(ctx context.Context, tx bun.Tx) error) error {
	return p.bdb.RunInTx(ctx, nil, f)
}

// gormWant checks that a GORM delete deleted want rows.
func gormWant(res *gorm.DB, want int) error {
	if res.Error == nil && res.RowsAffected != int64(want) {
		return fmt.Errorf("deleted %d rows, want %d", res.RowsAffected, want)
	}
	return res.Error
}

// peerCase is a peer's case that sends stmts statements.
func peerCase(name string, stmts int, run func(ctx context.Context) error) benchCase {
	return benchCase{name: name, run: run, stmts: func() int { return stmts }}
}

// peerObjects deletes k loaded objects, every other row of 2k, in one
// transaction: the library, the dialect's floors, GORM, bun and, when
// perRow, one statement per key.
func peerObjects(b *testing.B, p *peerDB, k int, perRow bool) {
	t, objs, ids := peerLoad(b, p.db, p.benchDialect, k)
	// library-commit, second, warms the table up: the library with
	// Session.Delete outside the timer, Commit alone. library-slice
	// registers the slice in one call, library one call per object.
	cases := []benchCase{benchLibrarySlice(p.db, objs), benchLibraryCommit(p.db, objs), benchLibrary(p.db, objs)}
	if p.readCommitted {
		c := benchLibrarySlice(p.db, objs, peerServerTx)
		c.name = "library-slice-server-tx"
		cases = append(cases, c)
	}
	for _, s := range p.floorShapes() {
		cases = append(cases, benchFloor(p.db, "floor-"+s.name, s, benchKeys(peerRows, ids)))
	}
	cases = append(cases, benchObjsFloor(p.db, p.floors[0], peerRows, objs, func(r *peerRow) int64 { return r.ID }))
	cases = append(cases, peerGormObjects(p, objs),
		// bun writes the keys into the SQL text: no parameter limit.
		peerCase("bun-slice", 1, func(ctx context.Context) error {
			return p.bunTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				return benchWant(len(objs))(tx.NewDelete().Model(&objs).WherePK().Exec(ctx))
			})
		}))
	if perRow {
		cases = append(cases, benchFloor(p.db, "per-row", benchPerRow(p.dollar), benchKeys(peerRows, ids)))
	} else {
		// go test shows a skipped benchmark only with -v: say it in the
		// output itself, where bench/cmd/chart finds it.
		fmt.Printf("--- SKIP: %s/case=per-row (%d statements per iteration, about 0.1 ms each on a server)\n", b.Name(), k)
	}
	benchRunCases(b, t, k, cases)
}

// peerLoad makes the table of 2k rows and loads every other row, the k
// objects to delete, with their keys.
func peerLoad(b *testing.B, db *sql.DB, d benchDialect, k int) (*benchTable, []*peerRow, []int64) {
	b.Helper()
	t := benchCreate(b, db, d, peerRows, 2*k)
	benchDropOnCleanup(b, db, peerRows)
	t.keys = k
	var objs []*peerRow
	var ids []int64
	benchQuery(b, db, "SELECT id, name, age FROM "+peerRows+" WHERE id % 2 = 0 ORDER BY id", func(rows *sql.Rows) error {
		var r peerRow
		if err := rows.Scan(&r.ID, &r.Name, &r.Age); err != nil {
			return err
		}
		objs, ids = append(objs, &r), append(ids, r.ID)
		return nil
	})
	if len(objs) != k {
		b.Fatalf("loaded %d objects, want %d", len(objs), k)
	}
	return t, objs, ids
}

// peerGormObjects is GORM's delete of loaded objects: the slice in one
// statement, db.Delete(&objs), when its keys fit in the bind parameters of
// one statement; past them, gormChunk keys per statement with
// Where("id IN ?", chunk), in one transaction.
func peerGormObjects(p *peerDB, objs []*peerRow) benchCase {
	if len(objs) <= p.params {
		return peerCase("gorm-slice", 1, func(ctx context.Context) error {
			return p.gormTx(ctx, func(tx *gorm.DB) error { return gormWant(tx.Delete(&objs), len(objs)) })
		})
	}
	chunk := p.gormChunk
	return peerCase("gorm-chunks-"+strconv.Itoa(chunk), (len(objs)+chunk-1)/chunk, func(ctx context.Context) error {
		return p.gormTx(ctx, func(tx *gorm.DB) error {
			ids := make([]int64, len(objs))
			for i, o := range objs {
				ids[i] = o.ID
			}
			for lo := 0; lo < len(ids); lo += chunk {
				part := ids[lo:min(lo+chunk, len(ids))]
				if err := gormWant(tx.Where("id IN ?", part).Delete(&peerRow{}), len(part)); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// peerBulk deletes the rows with age > 30 of n rows (about half): the
// library, the same SQL by hand, GORM and bun.
func peerBulk(b *testing.B, p *peerDB, n int) {
	t := benchCreate(b, p.db, p.benchDialect, peerRows, n)
	benchDropOnCleanup(b, p.db, peerRows)
	// The condition with its value written into the text, as bun sends it.
	literal := " WHERE age > " + strconv.Itoa(benchBulkAge)
	var want int
	benchQuery(b, p.db, "SELECT COUNT(*) FROM "+peerRows+literal, func(rows *sql.Rows) error {
		return rows.Scan(&want)
	})
	age := typeddelete.Col(func(r *peerRow) *int { return &r.Age })
	del := func(s *typeddelete.Session) error {
		_, err := typeddelete.Query[peerRow](s).Filter(age.Gt(benchBulkAge)).Delete()
		return err
	}
	q := "DELETE FROM " + peerRows + " WHERE age > " + benchPlaceholders(1, p.dollar)
	var isolations []benchCase
	if p.readCommitted {
		c := benchLibraryCase(p.db, del, peerServerTx)
		c.name = "library-server-tx"
		rc := benchFloorExecAt(p.db, benchReadCommitted, q, benchBulkAge)
		rc.name += "-rc"
		lit := benchFloorExecAt(p.db, benchReadCommitted, "DELETE FROM "+peerRows+literal)
		lit.name = "floor-literal-exec-rc"
		isolations = append(isolations, c, rc, lit)
	}
	benchRunCases(b, t, want, append([]benchCase{
		benchLibraryCase(p.db, del),
		benchFloorExec(p.db, q, benchBulkAge),
		peerCase("gorm-where", 1, func(ctx context.Context) error {
			return p.gormTx(ctx, func(tx *gorm.DB) error {
				return gormWant(tx.Where("age > ?", benchBulkAge).Delete(&peerRow{}), want)
			})
		}),
		peerCase("bun-where", 1, func(ctx context.Context) error {
			return p.bunTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				return benchWant(want)(tx.NewDelete().Model((*peerRow)(nil)).Where("age > ?", benchBulkAge).Exec(ctx))
			})
		}),
	}, isolations...))
}

// peerServerTx runs the library's transactions at the server's default
// isolation level, as GORM's and bun's.
var peerServerTx = typeddelete.WithTxOptions(&sql.TxOptions{})

// floorShapes returns p.floors and, where p.readCommitted, the first of
// them at READ COMMITTED.
func (p *peerDB) floorShapes() []benchShape {
	if !p.readCommitted {
		return p.floors
	}
	return append(slices.Clone(p.floors), benchAtReadCommitted(p.floors[0]))
}

// peerCascade deletes n/2 loaded parents of n, 10 children each, in one
// transaction: the library (Cascade relation), the set-based SQL by hand in
// each of the dialect's shapes (children by parent_id, then parents), GORM
// (Select("Children"), its association delete) and bun, which has no
// cascade: the children by parent ids, then the parents.
func peerCascade(b *testing.B, p *peerDB, n int) {
	t := benchCreateCascade(b, p.db, p.benchDialect, peerParents, peerChildren, n)
	benchDropOnCleanup(b, p.db, peerChildren, peerParents)
	var objs []*peerParent
	var ids []int64
	benchQuery(b, p.db, "SELECT id, name FROM "+peerParents+" WHERE id % 2 = 0 ORDER BY id", func(rows *sql.Rows) error {
		var r peerParent
		if err := rows.Scan(&r.ID, &r.Name); err != nil {
			return err
		}
		objs, ids = append(objs, &r), append(ids, r.ID)
		return nil
	})
	cases := []benchCase{benchLibrary(p.db, objs)}
	for _, s := range p.floorShapes() {
		cases = append(cases, benchFloor(p.db, "floor-"+s.name, s,
			benchStep{table: peerChildren, column: "parent_id", ids: ids, want: len(ids) * benchChildren},
			benchKeys(peerParents, ids)))
	}
	cases = append(cases,
		peerCase("gorm-select", 2, func(ctx context.Context) error {
			return p.gormTx(ctx, func(tx *gorm.DB) error { return gormWant(tx.Select("Children").Delete(&objs), len(objs)) })
		}),
		peerCase("bun-children-then-parents", 2, func(ctx context.Context) error {
			return p.bunTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				pids := make([]int64, len(objs))
				for i, o := range objs {
					pids[i] = o.ID
				}
				err := benchWant(len(pids) * benchChildren)(tx.NewDelete().Model((*peerChild)(nil)).Where("parent_id IN (?)", bun.In(pids)).Exec(ctx))
				if err != nil {
					return err
				}
				return benchWant(len(objs))(tx.NewDelete().Model(&objs).WherePK().Exec(ctx))
			})
		}))
	benchRunCases(b, t, len(ids)*(1+benchChildren), cases)
}

// BenchmarkPeersSQLiteCompany runs the library and its floor at 5,000
// SQLite keys in the company they keep in BenchmarkPeersSQLite: alone
// (library-commit, the first floor, library-slice) and with GORM's slice
// delete taking its turn among them (with=gorm). Every case of a round
// runs after the one before it in benchOrder's order, so a case that
// leaves the CPU's caches and the Go heap in another state slows the one
// after it; this measures by how much for the library and the floor.
func BenchmarkPeersSQLiteCompany(b *testing.B) {
	p := peerSQLite(b)
	p.openGorm(b)
	const k = 5_000
	for _, with := range []string{"none", "gorm"} {
		b.Run("with="+with, func(b *testing.B) {
			t, objs, ids := peerLoad(b, p.db, p.benchDialect, k)
			floor := p.floors[0]
			cases := []benchCase{
				benchLibraryCommit(p.db, objs),
				benchFloor(p.db, "floor-"+floor.name, floor, benchKeys(peerRows, ids)),
				benchLibrarySlice(p.db, objs),
			}
			if with == "gorm" {
				cases = append(cases, peerGormObjects(p, objs))
			}
			benchRunCases(b, t, k, cases)
		})
	}
}
