package typeddelete

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error the package returns wraps one of these (or a
// driver error), so callers test them with errors.Is.
var (
	// ErrNotFound is returned by First and Get when no row matches.
	ErrNotFound = errors.New("typeddelete: no row found")

	// ErrInvalidModel reports a value that cannot be used as a model: nil, a
	// non-pointer, a pointer to a non-struct, or a struct with no primary key.
	ErrInvalidModel = errors.New("typeddelete: invalid model")

	// ErrNotPersisted reports an object whose primary key (or any part of a
	// composite key) is the zero value, so it was never stored.
	ErrNotPersisted = errors.New("typeddelete: object has a zero primary key")

	// ErrUnknownColumn reports a column name that the model does not map.
	ErrUnknownColumn = errors.New("typeddelete: unknown column")

	// ErrInvalidValue reports a value whose type does not fit its column, or
	// a wrong number of primary-key values.
	ErrInvalidValue = errors.New("typeddelete: invalid value")

	// ErrInvalidPredicate reports a predicate that cannot be rendered: the
	// zero Predicate, a Column not made by Col, Raw(nil), or a Raw
	// expression that renders to nothing.
	ErrInvalidPredicate = errors.New("typeddelete: invalid predicate")

	// ErrMissingWhere reports a bulk delete with no filter, or with a filter
	// that is always true. Call AllRows to delete every row on purpose.
	ErrMissingWhere = errors.New("typeddelete: bulk delete without a filter")

	// ErrStaleData reports, with strict row counts, keys that matched no row
	// at Commit. Use errors.As with *StaleDataError for the table and keys.
	ErrStaleData = errors.New("typeddelete: stale data")

	// ErrUnknownDialect reports a database whose dialect cannot be detected
	// from its driver. Pass WithDialect to NewSession.
	ErrUnknownDialect = errors.New("typeddelete: unknown dialect")
)

// StaleDataError lists the keys of one table that matched no row during a
// Commit with strict row counts. It matches ErrStaleData with errors.Is.
type StaleDataError struct {
	Table string  // table name
	Keys  [][]any // each key as its primary-key values, in column order
}

// Error names the table and the keys that matched no row.
func (e *StaleDataError) Error() string {
	return fmt.Sprintf("typeddelete: stale data: %d key(s) of %q matched no row: %s",
		len(e.Keys), e.Table, formatKeys(e.Keys))
}

// Is reports whether target is ErrStaleData.
func (e *StaleDataError) Is(target error) bool { return target == ErrStaleData }

// formatKeys renders keys as 1, 2 or (1, "a"), (2, "b"), shortened after 20.
func formatKeys(keys [][]any) string {
	const max = 20
	var b strings.Builder
	for i, k := range keys {
		if i == max {
			fmt.Fprintf(&b, ", ... (%d more)", len(keys)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if len(k) == 1 {
			fmt.Fprintf(&b, "%#v", k[0])
			continue
		}
		b.WriteByte('(')
		for j, v := range k {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%#v", v)
		}
		b.WriteByte(')')
	}
	return b.String()
}
