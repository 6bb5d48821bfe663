//go:build !race

package typeddelete

// raceEnabled reports whether the tests run with the race detector.
const raceEnabled = false
