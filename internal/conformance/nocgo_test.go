//go:build !cgo

package conformance_test

// isMattnFKError is never called without cgo, where the suite has no mattn
// database.
func isMattnFKError(error) bool { return false }
