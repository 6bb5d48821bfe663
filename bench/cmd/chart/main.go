// Command chart reads the output of the peers benchmarks (go test -bench
// Peers ./bench/) on standard input and writes an SVG chart of the time per
// key of the loaded-object deletes to standard output: one line per system
// (the library, GORM, bun and the fastest hand-written floor) and database,
// against the number of keys, both on log scales. It writes a markdown
// table of the medians and paired ratios of every group to standard error,
// or to the file named by -md:
//
//	go test -run '^$' -bench Peers -benchtime 5x ./bench/ | tee peers.txt
//	go run ./bench/cmd/chart < peers.txt > bench/peers.svg
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	md := flag.String("md", "", "write the markdown table to this file instead of standard error")
	flag.Parse()
	if err := run(os.Stdin, os.Stdout, os.Stderr, *md); err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
}

// run reads benchmark output from in, writes the SVG to out and the table
// to mdPath, or to errOut when mdPath is empty.
func run(in io.Reader, out, errOut io.Writer, mdPath string) error {
	results, skips, err := parse(in)
	if err != nil {
		return err
	}
	if len(results) == 0 {
		return fmt.Errorf("no %s results in the input", benchPrefix)
	}
	groups := groupResults(results)
	var svg, table bytes.Buffer
	if err := writeSVG(&svg, groups); err != nil {
		return err
	}
	if err := writeTable(&table, groups, skips); err != nil {
		return err
	}
	if mdPath != "" {
		if err := os.WriteFile(mdPath, table.Bytes(), 0o644); err != nil {
			return err
		}
	} else if _, err := errOut.Write(table.Bytes()); err != nil {
		return err
	}
	_, err = out.Write(svg.Bytes())
	return err
}
