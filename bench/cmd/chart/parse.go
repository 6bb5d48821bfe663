package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// A result is one line of go test -bench output from the peers benchmarks:
//
//	BenchmarkPeersSQLite/keys=5000/round=3/case=library-2  5  4397328 ns/op  879.5 ns/key  10.00 stmts/op
type result struct {
	DB      string             // SQLite, Postgres, MySQL: the name after BenchmarkPeers
	Group   string             // keys=5000, bulk=100000, cascade=1000
	Keys    int                // the keys of a keys=K group; 0 for the others
	Round   int                // the R of round=R
	Case    string             // library, gorm-slice, floor-any, ...
	NsPerOp float64            // ns/op
	Metrics map[string]float64 // the other units: ns/key, stmts/op, ...
}

// A skip is a case the benchmarks skipped, from a line
//
//	--- SKIP: BenchmarkPeersPostgres/keys=50000/case=per-row (reason)
type skip struct {
	Name   string // without the Benchmark prefix: PeersPostgres/keys=50000/case=per-row
	Reason string
}

// benchPrefix starts the names of the benchmarks the chart reads, and
// skipPrefix the lines of their skipped cases.
const (
	benchPrefix = "BenchmarkPeers"
	skipPrefix  = "--- SKIP: " + benchPrefix
)

// procsSuffix is the -N that go test appends to benchmark names when
// GOMAXPROCS is above 1.
var procsSuffix = regexp.MustCompile(`-\d+$`)

// parse reads go test -bench output and returns the results and the
// skipped cases of the peers benchmarks, in input order. Other lines
// (headers, logs, other benchmarks) are ignored; a peers line that cannot
// be read is an error.
func parse(r io.Reader) ([]result, []skip, error) {
	type line struct {
		no     int
		name   string
		fields []string
	}
	var lines []line
	var skips []skip
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for no := 1; sc.Scan(); no++ {
		if rest, ok := strings.CutPrefix(sc.Text(), skipPrefix); ok {
			name, reason, _ := strings.Cut(rest, " ")
			reason = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(reason), "("), ")")
			skips = append(skips, skip{"Peers" + name, reason})
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], benchPrefix) {
			continue
		}
		lines = append(lines, line{no, f[0], f[1:]})
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	// go test adds -N to every name, or (GOMAXPROCS=1) to none: strip it
	// only when every name ends in the same -N, since a case name may end
	// in a number too (floor-in-500) but "library" does not.
	suffix := ""
	for i, l := range lines {
		s := procsSuffix.FindString(l.name)
		if i == 0 {
			suffix = s
		}
		if s == "" || s != suffix {
			suffix = ""
			break
		}
	}
	results := make([]result, 0, len(lines))
	for _, l := range lines {
		res, err := parseLine(strings.TrimSuffix(l.name, suffix), l.fields)
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: %w", l.no, err)
		}
		results = append(results, res)
	}
	return results, skips, nil
}

// parseLine reads the name (without its -N suffix) and the fields after
// it: the iterations, then value-unit pairs.
func parseLine(name string, fields []string) (result, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 {
		return result{}, fmt.Errorf("%s: want BenchmarkPeersDB/GROUP/round=R/case=NAME", name)
	}
	res := result{DB: strings.TrimPrefix(parts[0], benchPrefix), Group: parts[1], Metrics: map[string]float64{}}
	kind, size, ok := strings.Cut(parts[1], "=")
	n, err := strconv.Atoi(size)
	if !ok || err != nil || n <= 0 {
		return result{}, fmt.Errorf("%s: group %q is not NAME=SIZE", name, parts[1])
	}
	if kind == "keys" {
		res.Keys = n
	}
	r, ok := strings.CutPrefix(parts[2], "round=")
	if res.Round, err = strconv.Atoi(r); !ok || err != nil {
		return result{}, fmt.Errorf("%s: %q is not round=R", name, parts[2])
	}
	if res.Case, ok = strings.CutPrefix(parts[3], "case="); !ok || res.Case == "" {
		return result{}, fmt.Errorf("%s: %q is not case=NAME", name, parts[3])
	}
	if _, err := strconv.Atoi(fields[0]); err != nil {
		return result{}, fmt.Errorf("%s: iterations %q: %w", name, fields[0], err)
	}
	if len(fields)%2 != 1 {
		return result{}, fmt.Errorf("%s: values and units do not pair up", name)
	}
	for i := 1; i+1 < len(fields); i += 2 {
		v, err := strconv.ParseFloat(fields[i], 64)
		if err != nil {
			return result{}, fmt.Errorf("%s: %s %s: %w", name, fields[i], fields[i+1], err)
		}
		res.Metrics[fields[i+1]] = v
	}
	ns, ok := res.Metrics["ns/op"]
	if !ok {
		return result{}, fmt.Errorf("%s: no ns/op", name)
	}
	res.NsPerOp = ns
	delete(res.Metrics, "ns/op")
	return res, nil
}
