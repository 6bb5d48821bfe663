//go:build race

package conformance_test

// raceEnabled reports whether the tests run with the race detector.
const raceEnabled = true
