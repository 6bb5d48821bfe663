package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The chart's canvas and plot area, in pixels.
const (
	width, height = 900, 600
	plotLeft      = 90
	plotRight     = 640
	plotTop       = 70
	plotBottom    = 520
	legendLeft    = 665
)

// The look of each system (color) and database (dash and marker).
var (
	colors = map[string]string{"library": "#1f5fbf", "gorm": "#e07b00", "bun": "#2a9d3a", "floor": "#555555"}
	dashes = []string{"", "9 5", "3 4"}
)

// A line is one system on one database: its points, by keys.
type line struct {
	sys, db string
	dbIndex int // the database's index, for its dash and marker
	points  []point
}

// A point is the median time per key of one case at one number of keys.
type point struct {
	keys    int
	perKey  float64 // ns
	chunked bool    // GORM past the bind-parameter limit, in chunks
}

// chartLines returns the lines of the keys=K groups: per database (in
// order of appearance), library, GORM, bun and the best floor.
func chartLines(groups []*group) []line {
	var dbs []string
	for _, g := range groups {
		if g.keys > 0 && !slices.Contains(dbs, g.db) {
			dbs = append(dbs, g.db)
		}
	}
	var lines []line
	for i, db := range dbs {
		for _, sys := range systems {
			l := line{sys: sys, db: db, dbIndex: i}
			for _, g := range groups {
				if g.db != db || g.keys == 0 {
					continue
				}
				if s := g.system(sys); s != nil {
					l.points = append(l.points, point{g.keys, s.median() / float64(g.keys), strings.HasPrefix(s.name, "gorm-chunks")})
				}
			}
			slices.SortFunc(l.points, func(a, b point) int { return a.keys - b.keys })
			if len(l.points) > 0 {
				lines = append(lines, l)
			}
		}
	}
	return lines
}

// logAxis maps values on a log scale to pixels.
type logAxis struct {
	lo, hi   float64 // log10 of the ends
	from, to float64 // pixels of the ends
}

func (a logAxis) at(v float64) float64 {
	return a.from + (math.Log10(v)-a.lo)/(a.hi-a.lo)*(a.to-a.from)
}

// writeSVG draws time per key against keys, both on log scales, one line
// per system and database, with a legend.
func writeSVG(w io.Writer, groups []*group) error {
	lines := chartLines(groups)
	if len(lines) == 0 {
		return fmt.Errorf("no keys=K groups to chart")
	}
	var keys []int
	minY, maxY := math.Inf(1), math.Inf(-1)
	for _, l := range lines {
		for _, p := range l.points {
			if !slices.Contains(keys, p.keys) {
				keys = append(keys, p.keys)
			}
			minY, maxY = math.Min(minY, p.perKey), math.Max(maxY, p.perKey)
		}
	}
	slices.Sort(keys)
	pad := 0.15
	if len(keys) == 1 {
		pad = 0.5
	}
	x := logAxis{math.Log10(float64(keys[0])) - pad, math.Log10(float64(keys[len(keys)-1])) + pad, plotLeft, plotRight}
	// y runs between the 1-2-5 values around the points.
	var steps []float64
	for d := math.Floor(math.Log10(minY)); d <= math.Ceil(math.Log10(maxY)); d++ {
		for _, m := range []float64{1, 2, 5} {
			steps = append(steps, m*math.Pow(10, d))
		}
	}
	lo, hi := steps[0], steps[len(steps)-1]
	for _, v := range steps {
		if v <= minY {
			lo = v
		}
		if v >= maxY && hi == steps[len(steps)-1] {
			hi = v
		}
	}
	if hi <= lo {
		hi = lo * 2
	}
	// A margin of 4% keeps the markers off the frame.
	margin := 0.04 * (math.Log10(hi) - math.Log10(lo))
	y := logAxis{math.Log10(lo) - margin, math.Log10(hi) + margin, plotBottom, plotTop}

	var sb strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&sb, format+"\n", args...) }
	text := func(x, y float64, anchor, extra, s string) {
		p(`<text x="%.1f" y="%.1f" text-anchor="%s"%s>%s</text>`, x, y, anchor, extra, html.EscapeString(s))
	}
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="13">`, width, height, width, height)
	p(`<rect width="100%%" height="100%%" fill="white"/>`)
	text(width/2, 28, "middle", ` font-size="18" font-weight="bold"`, "Deleting loaded objects: time per key")
	text(width/2, 48, "middle", ` fill="#555"`, "median over rounds, one transaction per iteration; lower is faster")

	// Grid and ticks: a line per decade of y (labels at 1, 2 and 5 when the
	// range is short), one per number of keys on x.
	p(`<g stroke="#e4e4e4" stroke-width="1">`)
	var yTicks []float64
	for _, v := range steps {
		decade := math.Abs(math.Log10(v)-math.Round(math.Log10(v))) < 1e-9
		if v >= lo && v <= hi && (decade || y.hi-y.lo <= 3.5 || v == lo || v == hi) {
			yTicks = append(yTicks, v)
		}
	}
	for _, v := range yTicks {
		p(`<line x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, plotLeft, plotRight, y.at(v), y.at(v))
	}
	for _, k := range keys {
		p(`<line x1="%.1f" x2="%.1f" y1="%d" y2="%d"/>`, x.at(float64(k)), x.at(float64(k)), plotTop, plotBottom)
	}
	p(`</g>`)
	p(`<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>`, plotLeft, plotTop, plotRight-plotLeft, plotBottom-plotTop)
	for _, v := range yTicks {
		text(plotLeft-8, y.at(v)+4, "end", "", tick(v))
	}
	for _, k := range keys {
		text(x.at(float64(k)), plotBottom+20, "middle", "", thousands(k))
	}
	text((plotLeft+plotRight)/2, plotBottom+48, "middle", ` font-size="14"`, "keys deleted in one transaction (log scale)")
	text(24, (plotTop+plotBottom)/2, "middle", fmt.Sprintf(` font-size="14" transform="rotate(-90 24 %d)"`, (plotTop+plotBottom)/2), "time per key (log scale)")

	// The lines, the library's last so that it is on top.
	ordered := slices.Clone(lines)
	slices.SortStableFunc(ordered, func(a, b line) int {
		return boolInt(a.sys == "library") - boolInt(b.sys == "library")
	})
	for _, l := range ordered {
		var pts []string
		for _, pt := range l.points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x.at(float64(pt.keys)), y.at(pt.perKey)))
		}
		p(`<polyline fill="none" stroke="%s" stroke-width="%s"%s points="%s"/>`, colors[l.sys], strokeWidth(l.sys), dashAttr(l.dbIndex), strings.Join(pts, " "))
		for _, pt := range l.points {
			fill := colors[l.sys]
			if pt.chunked {
				fill = "white"
			}
			marker(&sb, l.dbIndex, x.at(float64(pt.keys)), y.at(pt.perKey), colors[l.sys], fill)
		}
	}

	// The legend: one entry per line, then notes.
	ly := float64(plotTop + 8)
	text(legendLeft, ly, "start", ` font-weight="bold"`, "system · database")
	for _, l := range lines {
		ly += 22
		p(`<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="%s"%s/>`, legendLeft, legendLeft+34, ly-4, ly-4, colors[l.sys], strokeWidth(l.sys), dashAttr(l.dbIndex))
		marker(&sb, l.dbIndex, legendLeft+17, ly-4, colors[l.sys], colors[l.sys])
		text(legendLeft+42, ly, "start", "", systemName(l.sys)+" · "+l.db)
	}
	ly += 16
	for _, note := range []string{
		"floor: the fastest hand-written",
		"database/sql case at each size",
		"hollow marker: GORM in chunks,",
		"past the bind-parameter limit",
	} {
		ly += 17
		text(legendLeft, ly, "start", ` font-size="12" fill="#555"`, note)
	}
	p(`</svg>`)
	_, err := io.WriteString(w, sb.String())
	return err
}

// marker draws the marker of database i: a circle, a square or a triangle.
func marker(sb *strings.Builder, i int, cx, cy float64, stroke, fill string) {
	const r = 4.5
	switch i % 3 {
	case 0:
		fmt.Fprintf(sb, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s" stroke="%s" stroke-width="1.5"/>`+"\n", cx, cy, r, fill, stroke)
	case 1:
		fmt.Fprintf(sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" stroke="%s" stroke-width="1.5"/>`+"\n", cx-r, cy-r, 2*r, 2*r, fill, stroke)
	default:
		fmt.Fprintf(sb, `<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s" stroke="%s" stroke-width="1.5"/>`+"\n", cx, cy-r-1, cx-r-1, cy+r, cx+r+1, cy+r, fill, stroke)
	}
}

// dashAttr is the stroke-dasharray of database i.
func dashAttr(i int) string {
	if d := dashes[i%len(dashes)]; d != "" {
		return ` stroke-dasharray="` + d + `"`
	}
	return ""
}

// strokeWidth draws the library thicker.
func strokeWidth(sys string) string {
	if sys == "library" {
		return "3"
	}
	return "2"
}

// systemName is how the legend names a system.
func systemName(sys string) string {
	if sys == "gorm" {
		return "GORM"
	}
	return sys
}

// tick writes a 1-2-5 value of ns in the shortest way: 500 ns, 2 µs.
func tick(ns float64) string {
	v, unit := scale(ns)
	return strconv.FormatFloat(v, 'g', 4, 64) + " " + unit
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
