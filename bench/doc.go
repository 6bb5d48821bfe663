// Package bench holds typeddelete's benchmarks, against hand-written SQL and
// against other Go libraries. It is a module of its own so that what it
// measures against is not a requirement of the library; BENCHMARKS.md says
// how to run it.
package bench
