package bench_test

import (
	"slices"
	"testing"
)

// TestBenchOrder checks that each round runs every case once, each in
// first place in another round, and that over the rounds of a Williams
// design each case runs right after each other case once; with an odd
// number of cases, once more after one of them.
func TestBenchOrder(t *testing.T) {
	for n := 1; n <= 16; n++ {
		m := n + n%2
		firsts := map[int]bool{}
		after := make([]map[int]int, n) // after[c][p]: rounds c ran right after p
		for c := range after {
			after[c] = map[int]int{}
		}
		for r := range m {
			order := benchOrder(r, n)
			if got := slices.Sorted(slices.Values(order)); !slices.Equal(got, benchIdentity(n)) {
				t.Fatalf("benchOrder(%d, %d) = %v: not an order of the %d cases", r, n, order, n)
			}
			if r < n {
				firsts[order[0]] = true
			}
			for i := 1; i < n; i++ {
				after[order[i]][order[i-1]]++
			}
		}
		if len(firsts) != n {
			t.Errorf("n=%d: %d cases came first in the first %d rounds, want each once", n, len(firsts), n)
		}
		for c, ps := range after {
			repeats := 0
			for p, k := range ps {
				if p == c || k > 2 {
					t.Fatalf("n=%d: case %d ran right after case %d in %d rounds", n, c, p, k)
				}
				if k == 2 {
					repeats++
				}
			}
			if len(ps) != n-1 && n > 1 || repeats > n%2 {
				t.Errorf("n=%d: case %d ran right after %v (cases: rounds)", n, c, ps)
			}
		}
	}
}

func benchIdentity(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
