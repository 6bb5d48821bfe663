package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

// sample is go test -bench output of the peers benchmarks, cut down: two
// rounds of two sizes on SQLite, one size on PostgreSQL, a bulk group on
// SQLite and one on MySQL at two isolation levels, a skipped case, a log
// line and another benchmark.
const sample = `goos: linux
goarch: amd64
pkg: github.com/typeddelete/typeddelete/bench
cpu: Intel(R) Xeon(R) Processor
BenchmarkSQLiteDelete/round=1/case=library-2         	       5	   1990000 ns/op	        10.00 stmts/op
--- SKIP: BenchmarkPeersPostgres/keys=50000/case=per-row (50000 statements per iteration, about 0.1 ms each on a server)
BenchmarkPeersSQLite/keys=500/round=1/case=library-2         	       5	   1000000 ns/op	      2000 ns/key	         1.000 stmts/op
BenchmarkPeersSQLite/keys=500/round=1/case=floor-prep-in-500-2         	       5	    800000 ns/op	      1600 ns/key	         1.000 stmts/op
BenchmarkPeersSQLite/keys=500/round=1/case=floor-json-each-2           	       5	    900000 ns/op	      1800 ns/key	         1.000 stmts/op
BenchmarkPeersSQLite/keys=500/round=1/case=gorm-slice-2                	       5	   2000000 ns/op	      4000 ns/key	         1.000 stmts/op
BenchmarkPeersSQLite/keys=500/round=1/case=bun-slice-2                 	       5	    500000 ns/op	      1000 ns/key	         1.000 stmts/op
BenchmarkPeersSQLite/keys=500/round=2/case=floor-prep-in-500-2         	       5	    400000 ns/op	       800 ns/key	         1.000 stmts/op
BenchmarkPeersSQLite/keys=500/round=2/case=floor-json-each-2           	       5	   1000000 ns/op	      2000 ns/key	         1.000 stmts/op
BenchmarkPeersSQLite/keys=500/round=2/case=gorm-slice-2                	       5	   1000000 ns/op	      2000 ns/key	         1.000 stmts/op
BenchmarkPeersSQLite/keys=500/round=2/case=bun-slice-2                 	       5	   1000000 ns/op	      2000 ns/key	         1.000 stmts/op
BenchmarkPeersSQLite/keys=500/round=2/case=library-2                   	       5	    600000 ns/op	      1200 ns/key	         1.000 stmts/op
BenchmarkPeersSQLite/keys=50000/round=1/case=library-2                 	       5	  20000000 ns/op	       400 ns/key	       100.0 stmts/op
BenchmarkPeersSQLite/keys=50000/round=1/case=floor-prep-in-500-2       	       5	  10000000 ns/op	       200 ns/key	       100.0 stmts/op
BenchmarkPeersSQLite/keys=50000/round=1/case=library-slice-2           	       5	  15000000 ns/op	       300 ns/key	       100.0 stmts/op
BenchmarkPeersSQLite/keys=50000/round=1/case=gorm-chunks-30000-2       	       5	  40000000 ns/op	       800 ns/key	         2.000 stmts/op
BenchmarkPeersSQLite/keys=50000/round=1/case=bun-slice-2               	       5	  30000000 ns/op	       600 ns/key	         1.000 stmts/op
BenchmarkPeersSQLite/bulk=10000/round=1/case=library-2                 	       5	   2000000 ns/op	         1.000 stmts/op
BenchmarkPeersSQLite/bulk=10000/round=1/case=floor-exec-2              	       5	   1000000 ns/op	         1.000 stmts/op
BenchmarkPeersMySQL/bulk=10000/round=1/case=library-2                   	       5	   2200000 ns/op	         1.000 stmts/op
BenchmarkPeersMySQL/bulk=10000/round=1/case=floor-exec-2                	       5	   1600000 ns/op	         1.000 stmts/op
BenchmarkPeersMySQL/bulk=10000/round=1/case=gorm-where-2                	       5	   2000000 ns/op	         1.000 stmts/op
BenchmarkPeersMySQL/bulk=10000/round=1/case=bun-where-2                 	       5	   2500000 ns/op	         1.000 stmts/op
BenchmarkPeersMySQL/bulk=10000/round=1/case=library-server-tx-2         	       5	   1800000 ns/op	         1.000 stmts/op
BenchmarkPeersMySQL/bulk=10000/round=1/case=floor-exec-rc-2             	       5	   2000000 ns/op	         1.000 stmts/op
BenchmarkPeersPostgres/keys=500/round=1/case=library-2                 	       5	  10000000 ns/op	     20000 ns/key	         1.000 stmts/op
BenchmarkPeersPostgres/keys=500/round=1/case=floor-any-2               	       5	   5000000 ns/op	     10000 ns/key	         1.000 stmts/op
PASS
ok  	github.com/typeddelete/typeddelete/bench	8.436s
`

func TestParse(t *testing.T) {
	results, skips, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 25 {
		t.Fatalf("got %d results, want the 25 peers lines", len(results))
	}
	want := skip{"PeersPostgres/keys=50000/case=per-row", "50000 statements per iteration, about 0.1 ms each on a server"}
	if len(skips) != 1 || skips[0] != want {
		t.Errorf("skips read as %+v, want %+v", skips, want)
	}
	got := results[1]
	if got.DB != "SQLite" || got.Group != "keys=500" || got.Keys != 500 || got.Round != 1 ||
		got.Case != "floor-prep-in-500" || got.NsPerOp != 800000 ||
		got.Metrics["ns/key"] != 1600 || got.Metrics["stmts/op"] != 1 {
		t.Errorf("second line read as %+v", got)
	}
	if bulk := results[15]; bulk.Group != "bulk=10000" || bulk.Keys != 0 || bulk.Case != "library" {
		t.Errorf("bulk line read as %+v", bulk)
	}
}

func TestParseKeepsNumbersEndingCaseNamesWithoutGOMAXPROCS(t *testing.T) {
	in := "BenchmarkPeersSQLite/keys=500/round=1/case=library 1 100 ns/op\n" +
		"BenchmarkPeersSQLite/keys=500/round=1/case=floor-in-500 1 100 ns/op\n"
	results, _, err := parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Case != "library" || results[1].Case != "floor-in-500" {
		t.Errorf("cases read as %q and %q", results[0].Case, results[1].Case)
	}
}

func TestParseRejectsMalformedPeersLines(t *testing.T) {
	for _, line := range []string{
		"BenchmarkPeersSQLite/keys=500/case=library-2 1 100 ns/op",
		"BenchmarkPeersSQLite/keys=x/round=1/case=library-2 1 100 ns/op",
		"BenchmarkPeersSQLite/keys=500/round=one/case=library-2 1 100 ns/op",
		"BenchmarkPeersSQLite/keys=500/round=1/case=library-2 1 100 stmts/op",
		"BenchmarkPeersSQLite/keys=500/round=1/case=library-2 1 fast ns/op",
	} {
		if _, _, err := parse(strings.NewReader(line + "\n")); err == nil {
			t.Errorf("%q: no error", line)
		}
	}
}

func TestStatistics(t *testing.T) {
	results, _, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	groups := groupResults(results)
	if len(groups) != 5 {
		t.Fatalf("got %d groups, want 5", len(groups))
	}
	g := groups[0]
	// Medians over the two rounds: prep-in 600 µs, json-each 950 µs.
	if floor := g.system("floor"); floor == nil || floor.name != "floor-prep-in-500" {
		t.Fatalf("best floor is %+v, want floor-prep-in-500", floor)
	}
	// Paired: round 1 1.0/0.8 = 1.25, round 2 0.6/0.4 = 1.5; median 1.375,
	// where the ratio of the medians would be 0.8/0.6.
	if r, ok := paired(g.system("library"), g.system("floor")); !ok || r != 1.375 {
		t.Errorf("library ÷ floor paired = %v, %v; want 1.375", r, ok)
	}
	// Where a group has library-slice, it stands for the library.
	if s := groups[1].system("library"); s == nil || s.name != "library-slice" {
		t.Errorf("the library at 50,000 keys is %+v, want library-slice", s)
	}
	if s := groups[1].system("gorm"); s == nil || s.name != "gorm-chunks-30000" {
		t.Errorf("GORM at 50,000 keys is %+v, want gorm-chunks-30000", s)
	}
	if s := groups[4].system("bun"); s != nil {
		t.Errorf("PostgreSQL has a bun case: %+v", s)
	}
}

func TestRunWritesAnSVGAndATable(t *testing.T) {
	var svg, table bytes.Buffer
	if err := run(strings.NewReader(sample), &svg, &table, ""); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&svg)
	polylines, root := 0, ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		if el, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = el.Name.Local
			}
			if el.Name.Local == "polyline" {
				polylines++
			}
		}
	}
	// SQLite: library, GORM, bun, floor; PostgreSQL: library, floor.
	if root != "svg" || polylines != 6 {
		t.Errorf("root <%s> with %d lines, want <svg> with 6", root, polylines)
	}
	for _, want := range []string{
		"| SQLite | 500 keys | 800.0 µs | 1.500 ms (`gorm-slice`) |",
		"| Postgres | 500 keys | 10.00 ms | — | — | 5.000 ms (`floor-any`) | — | — | 2.00× |",
		"### SQLite: bulk, 10,000 rows",
		"- `PeersPostgres/keys=50000/case=per-row`: 50000 statements per iteration, about 0.1 ms each on a server",
		"| floor-prep-in-500 | 600.0 µs | 400.0 µs–800.0 µs | 1200 | 1 | 1.38× |",
		// MySQL's bulk group: the library at READ COMMITTED against
		// floor-exec-rc, library-server-tx against the others.
		"| MySQL | bulk, 10,000 rows | 1.10× | 1.12× | 0.90× | 0.72× |",
	} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
}

func TestRunWithoutPeersResults(t *testing.T) {
	if err := run(strings.NewReader("PASS\n"), io.Discard, io.Discard, ""); err == nil {
		t.Error("no error for input without peers results")
	}
}
