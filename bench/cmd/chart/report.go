package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// A series is the samples of one case in one group of one database.
type series struct {
	name    string
	rounds  map[int][]float64 // ns/op by round
	samples []float64         // ns/op, every round
	metrics map[string][]float64
}

// A group is one sub-benchmark of a database (keys=5000, bulk=100000, ...)
// and its cases, in the order they first appear.
type group struct {
	db, name string
	keys     int
	cases    []*series
}

// groupResults collects results into groups, in the order they first
// appear.
func groupResults(results []result) []*group {
	var groups []*group
	byName := map[string]*group{}
	for _, r := range results {
		g := byName[r.DB+"/"+r.Group]
		if g == nil {
			g = &group{db: r.DB, name: r.Group, keys: r.Keys}
			byName[r.DB+"/"+r.Group] = g
			groups = append(groups, g)
		}
		s := g.find(r.Case)
		if s == nil {
			s = &series{name: r.Case, rounds: map[int][]float64{}, metrics: map[string][]float64{}}
			g.cases = append(g.cases, s)
		}
		s.rounds[r.Round] = append(s.rounds[r.Round], r.NsPerOp)
		s.samples = append(s.samples, r.NsPerOp)
		for unit, v := range r.Metrics {
			s.metrics[unit] = append(s.metrics[unit], v)
		}
	}
	return groups
}

// find returns the case named name, or nil.
func (g *group) find(name string) *series {
	for _, s := range g.cases {
		if s.name == name {
			return s
		}
	}
	return nil
}

// The systems of the chart and the summary, in their order.
var systems = []string{"library", "gorm", "bun", "floor"}

// system returns the case that stands for sys in g: library-slice where
// the group has it (loaded objects deleted in one call, as GORM's and
// bun's slice cases do), else library; the first gorm-* or bun-* case; or
// the floor-* case with the lowest median; nil when there is none.
func (g *group) system(sys string) *series {
	if sys == "library" {
		if s := g.find("library-slice"); s != nil {
			return s
		}
		return g.find("library")
	}
	if sys == "floor" {
		return g.fastestFloor(func(string) bool { return true })
	}
	for _, s := range g.cases {
		if strings.HasPrefix(s.name, sys+"-") {
			return s
		}
	}
	return nil
}

// fastestFloor returns the floor-* case with the lowest median among those
// whose name keep accepts; nil when there is none.
func (g *group) fastestFloor(keep func(name string) bool) *series {
	var best *series
	for _, s := range g.cases {
		if strings.HasPrefix(s.name, "floor-") && keep(s.name) && (best == nil || s.median() < best.median()) {
			best = s
		}
	}
	return best
}

// serverTx returns the library's case (system's) run at the server's
// default isolation, its name with -server-tx, where the library's own
// transactions use another; nil when there is none.
func (g *group) serverTx() *series {
	lib := g.system("library")
	if lib == nil {
		return nil
	}
	return g.find(lib.name + "-server-tx")
}

// readCommitted reports whether a floor's name says it ran at READ
// COMMITTED, the MySQL dialect's isolation.
func readCommitted(name string) bool { return strings.HasSuffix(name, "-rc") }

// median returns the median ns/op.
func (s *series) median() float64 { return median(s.samples) }

// median returns the median of xs, NaN for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// paired returns the median over rounds of a ÷ b, pairing the samples of
// each round in order: both measured moments apart. ok is false when no
// round has both.
func paired(a, b *series) (ratio float64, ok bool) {
	var ratios []float64
	for r, as := range a.rounds {
		bs := b.rounds[r]
		for i := range min(len(as), len(bs)) {
			ratios = append(ratios, as[i]/bs[i])
		}
	}
	if len(ratios) == 0 {
		return 0, false
	}
	return median(ratios), true
}

// label is how a group reads in the tables: "5,000 keys",
// "bulk, 100,000 rows", "cascade, 1,000 parents".
func (g *group) label() string {
	kind, size, _ := strings.Cut(g.name, "=")
	n, err := strconv.Atoi(size)
	if err != nil {
		return g.name
	}
	switch kind {
	case "keys":
		return thousands(n) + " keys"
	case "bulk":
		return "bulk, " + thousands(n) + " rows"
	case "cascade":
		return "cascade, " + thousands(n) + " parents"
	}
	return g.name
}

// thousands writes n with commas: 500,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// scale returns ns in the largest unit that keeps it at 1 or more.
func scale(ns float64) (v float64, unit string) {
	switch {
	case ns >= 1e9:
		return ns / 1e9, "s"
	case ns >= 1e6:
		return ns / 1e6, "ms"
	case ns >= 1e3:
		return ns / 1e3, "µs"
	}
	return ns, "ns"
}

// duration writes ns with a unit and four significant digits or so.
func duration(ns float64) string {
	v, unit := scale(ns)
	prec := 1
	switch {
	case v < 10:
		prec = 3
	case v < 100:
		prec = 2
	}
	return strconv.FormatFloat(v, 'f', prec, 64) + " " + unit
}

// ratio writes a paired ratio, or a dash.
func ratio(a, b *series) string {
	if a == nil || b == nil {
		return "—"
	}
	r, ok := paired(a, b)
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.2f×", r)
}

// writeTable writes the markdown summary of the groups, the skipped cases,
// then one table per group.
func writeTable(w io.Writer, groups []*group, skips []skip) error {
	var sb strings.Builder
	sb.WriteString("| Database | Benchmark | library | GORM | bun | best floor | library ÷ GORM | library ÷ bun | library ÷ best floor |\n")
	sb.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, g := range groups {
		lib := g.system("library")
		fmt.Fprintf(&sb, "| %s | %s |", g.db, g.label())
		for _, sys := range systems {
			s := g.system(sys)
			switch {
			case s == nil:
				sb.WriteString(" — |")
			case sys == "library":
				fmt.Fprintf(&sb, " %s |", duration(s.median()))
			default:
				fmt.Fprintf(&sb, " %s (`%s`) |", duration(s.median()), s.name)
			}
		}
		for _, sys := range systems[1:] {
			fmt.Fprintf(&sb, " %s |", ratio(lib, g.system(sys)))
		}
		sb.WriteByte('\n')
	}
	sb.WriteString("\nMedians of ns/op over the rounds; a ratio is the median over rounds of library ÷ the other case, both measured in the same round (below 1: the library is faster).\n")
	writeIsolations(&sb, groups)
	if len(skips) > 0 {
		sb.WriteString("\nSkipped:\n\n")
		for _, s := range skips {
			fmt.Fprintf(&sb, "- `%s`: %s\n", s.Name, s.Reason)
		}
	}
	for _, g := range groups {
		fmt.Fprintf(&sb, "\n### %s: %s\n\n", g.db, g.label())
		sb.WriteString("| Case | Median | Min–max | ns/key | stmts/op | library ÷ case |\n")
		sb.WriteString("|---|---:|---:|---:|---:|---:|\n")
		lib := g.system("library")
		for _, s := range g.cases {
			perKey := "—"
			if g.keys > 0 {
				perKey = strconv.FormatFloat(s.median()/float64(g.keys), 'f', 0, 64)
			}
			stmts := "—"
			if v := s.metrics["stmts/op"]; len(v) > 0 {
				stmts = strconv.FormatFloat(median(v), 'f', -1, 64)
			}
			r := ratio(lib, s)
			if s == lib {
				r = "1"
			}
			fmt.Fprintf(&sb, "| %s | %s | %s–%s | %s | %s | %s |\n", s.name, duration(s.median()),
				duration(slices.Min(s.samples)), duration(slices.Max(s.samples)), perKey, stmts, r)
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// writeIsolations writes, for the groups that run the library at two
// isolation levels (MySQL: its own READ COMMITTED, and the server's
// default in a *-server-tx case), each comparison at one level: the
// library ÷ the fastest floor run at READ COMMITTED, and the *-server-tx
// case ÷ the fastest other floor, GORM and bun, which run at the
// server's.
func writeIsolations(sb *strings.Builder, groups []*group) {
	header := false
	for _, g := range groups {
		tx := g.serverTx()
		if tx == nil {
			continue
		}
		if !header {
			sb.WriteString("\nAt one isolation level each, where the library also ran at the server's default:\n\n")
			sb.WriteString("| Database | Benchmark | library ÷ fastest floor at READ COMMITTED | at the server's isolation: library ÷ fastest floor | library ÷ GORM | library ÷ bun |\n")
			sb.WriteString("|---|---|---:|---:|---:|---:|\n")
			header = true
		}
		rc := g.fastestFloor(readCommitted)
		other := g.fastestFloor(func(name string) bool { return !readCommitted(name) })
		fmt.Fprintf(sb, "| %s | %s | %s | %s | %s | %s |\n", g.db, g.label(),
			ratio(g.system("library"), rc), ratio(tx, other), ratio(tx, g.system("gorm")), ratio(tx, g.system("bun")))
	}
}
