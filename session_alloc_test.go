package typeddelete

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"testing"
)

// allocIntUser and allocStrUser are models keyed by one int64 and one
// string column: Session.Delete holds their keys unboxed.
type allocIntUser struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name"`
}

type allocStrUser struct {
	Key  string `db:"key,pk"`
	Name string `db:"name"`
}

// allocPair is keyed by an int64 and a string column: Session.Delete reads
// its key from memory into one list per column.
type allocPair struct {
	Tenant int64  `db:"tenant,pk"`
	Code   string `db:"code,pk"`
	Name   string `db:"name"`
}

// TestDeleteAllocatesNothingPerObject registers 10,000 objects one Delete
// call at a time in a fresh session, for int64, string and composite
// (int64, string) keys. The
// session, its first object and the growth of its key list allocate; the
// objects themselves must not: the allocations per object stay far below
// the one that boxing a key or copying an object would add.
func TestDeleteAllocatesNothingPerObject(t *testing.T) {
	const n = 10_000
	// Registering sends nothing: a database that cannot connect will do.
	db := sql.OpenDB(unitFakeConnector{})
	t.Cleanup(func() { db.Close() })
	ints := make([]allocIntUser, n)
	strs := make([]allocStrUser, n)
	pairs := make([]allocPair, n)
	for i := range n {
		ints[i] = allocIntUser{ID: int64(i + 1)}
		strs[i] = allocStrUser{Key: "key-" + string(rune('a'+i%26)) + string(rune(0x100+i))}
		pairs[i] = allocPair{Tenant: int64(i%7 + 1), Code: strs[i].Key}
	}
	tests := []struct {
		name     string
		register func(s *Session, i int) error
	}{
		{"int64 keys", func(s *Session, i int) error { return s.Delete(&ints[i]) }},
		{"string keys", func(s *Session, i int) error { return s.Delete(&strs[i]) }},
		{"composite keys", func(s *Session, i int) error { return s.Delete(&pairs[i]) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s *Session
			var failed error
			allocs := testing.AllocsPerRun(5, func() {
				s = NewSession(db, WithDialect(SQLiteDialect()))
				for i := range n {
					if err := tt.register(s, i); err != nil && failed == nil {
						failed = err
					}
				}
			})
			if failed != nil {
				t.Fatalf("Delete: %v", failed)
			}
			if o, b := s.Pending(); o != n || b != 0 {
				t.Fatalf("Pending() = (%d, %d), want (%d, 0)", o, b, n)
			}
			if tt.name == "composite keys" {
				// Each key holds its parts as their own types.
				keys := &s.pending[0].objs[0].keys
				for _, i := range []int{0, 1, 4999, n - 1} {
					if got, want := keys.at(i), []any{pairs[i].Tenant, pairs[i].Code}; !reflect.DeepEqual(got, want) {
						t.Fatalf("key %d = %#v, want %#v", i, got, want)
					}
				}
			}
			t.Logf("%.0f allocations for %d objects", allocs, n)
			if per := allocs / n; per > 0.01 {
				t.Errorf("Delete allocates %.3f times per object (%.0f for %d), want about 0", per, allocs, n)
			}
			if err := s.Rollback(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDeleteOfASliceGrowsOnce registers 10,000 objects in one Delete of
// the slice: the key list gets room for all of them at once, not by
// doubling, and holds every key in order.
func TestDeleteOfASliceGrowsOnce(t *testing.T) {
	const n = 10_000
	db := sql.OpenDB(unitFakeConnector{})
	t.Cleanup(func() { db.Close() })
	objs := make([]*allocIntUser, n)
	for i := range objs {
		objs[i] = &allocIntUser{ID: int64(i + 1)}
	}
	// Two collections empty the pools of key arrays that other tests'
	// Rollbacks filled, so that the list's room is the call's own.
	runtime.GC()
	runtime.GC()
	var s *Session
	var failed error
	allocs := testing.AllocsPerRun(5, func() {
		s = NewSession(db, WithDialect(SQLiteDialect()))
		if err := s.Delete(objs); err != nil && failed == nil {
			failed = err
		}
	})
	if failed != nil {
		t.Fatalf("Delete: %v", failed)
	}
	keys := s.pending[0].objs[0].keys.ints
	if len(keys) != n || cap(keys) > n+n/8 { // the allocator rounds up a little
		t.Fatalf("key list has length %d, capacity %d; want %d and about the same", len(keys), cap(keys), n)
	}
	for i, k := range keys {
		if k != int64(i+1) {
			t.Fatalf("key %d = %d, want %d", i, k, i+1)
		}
	}
	t.Logf("%.0f allocations for %d objects in one call", allocs, n)
	// The race detector's runtime allocates a few times more now and then
	// (13 to 17 in 30 runs); one allocation per doubling would still add
	// about 14.
	limit := 16.0
	if raceEnabled {
		limit = 22
	}
	if allocs > limit {
		t.Errorf("Delete of a slice allocates %.0f times, want a few, none per object or per doubling", allocs)
	}
}

// TestDeleteOfASliceReadsKeysInRuns registers slices of int64-, string-
// and composite-keyed objects, with the model made the session's fast one
// by the slice's first element or by an earlier call, and checks the keys
// registered, in order; a nil element or a zero key in the middle fails
// naming its index and leaves nothing of the call registered.
func TestDeleteOfASliceReadsKeysInRuns(t *testing.T) {
	db := sql.OpenDB(unitFakeConnector{})
	t.Cleanup(func() { db.Close() })
	newSession := func() *Session { return NewSession(db, WithDialect(SQLiteDialect())) }
	ints := []*allocIntUser{{ID: 3}, {ID: 1}, {ID: 2}}
	strs := []*allocStrUser{{Key: "b"}, {Key: "a"}}
	pairs := []*allocPair{{Tenant: 1, Code: "x"}, {Tenant: 1, Code: "y"}}

	s := newSession()
	if err := s.Delete(&allocIntUser{ID: 9}); err != nil {
		t.Fatal(err)
	}
	for _, objs := range []any{ints, strs, pairs, ints[:1]} {
		if err := s.Delete(objs); err != nil {
			t.Fatal(err)
		}
	}
	var got []any
	for _, b := range s.pending[0].objs {
		for i := range b.keys.len() {
			got = append(got, b.keys.at(i))
		}
	}
	// One batch per model, in the order of the models' first objects.
	want := []any{int64(9), int64(3), int64(1), int64(2), int64(3), "b", "a", []any{int64(1), "x"}, []any{int64(1), "y"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("registered keys %v, want %v", got, want)
	}

	for _, tt := range []struct {
		name string
		objs any
		want string
	}{
		{"a nil int64-keyed element", []*allocIntUser{{ID: 1}, {ID: 2}, nil, {ID: 4}},
			"typeddelete: Delete argument 0: element 2: invalid model: nil *typeddelete.allocIntUser"},
		{"a zero int64 key", []*allocIntUser{{ID: 1}, {ID: 2}, {ID: 3}, {}},
			"typeddelete: Delete argument 0: element 3: object has a zero primary key: typeddelete.allocIntUser.ID is zero"},
		{"a zero string key", []*allocStrUser{{Key: "a"}, {}},
			"typeddelete: Delete argument 0: element 1: object has a zero primary key: typeddelete.allocStrUser.Key is zero"},
		{"a zero composite key", []*allocPair{{Tenant: 1, Code: "a"}, {Code: "b"}},
			"typeddelete: Delete argument 0: element 1: object has a zero primary key: typeddelete.allocPair.Tenant (part of the composite key) is zero"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession()
			if err := s.Delete(&allocIntUser{ID: 9}); err != nil {
				t.Fatal(err)
			}
			err := s.Delete(tt.objs)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Delete = %v, want %s", err, tt.want)
			}
			if n := len(s.pending); n != 1 || len(s.pending[0].objs) != 1 || s.pending[0].objs[0].keys.len() != 1 {
				t.Fatalf("pending after the failed call: %+v, want only the object registered before", s.pending)
			}
		})
	}
}

// TestDeleteOfOneObjectChecksItsKey registers objects one call at a time,
// the second of them with a zero key, for each kind of key that the
// session reads straight from memory: the call fails naming the field,
// with ErrNotPersisted, and the first object stays registered alone.
func TestDeleteOfOneObjectChecksItsKey(t *testing.T) {
	db := sql.OpenDB(unitFakeConnector{})
	t.Cleanup(func() { db.Close() })
	for _, tt := range []struct {
		name        string
		first, zero any
		want        string
	}{
		{"int64", &allocIntUser{ID: 1}, &allocIntUser{},
			"typeddelete: Delete argument 0: object has a zero primary key: typeddelete.allocIntUser.ID is zero"},
		{"string", &allocStrUser{Key: "a"}, &allocStrUser{},
			"typeddelete: Delete argument 0: object has a zero primary key: typeddelete.allocStrUser.Key is zero"},
		{"composite", &allocPair{Tenant: 1, Code: "a"}, &allocPair{Code: "b"},
			"typeddelete: Delete argument 0: object has a zero primary key: typeddelete.allocPair.Tenant (part of the composite key) is zero"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSession(db, WithDialect(SQLiteDialect()))
			if err := s.Delete(tt.first); err != nil {
				t.Fatal(err)
			}
			err := s.Delete(tt.zero)
			if err == nil || err.Error() != tt.want || !errors.Is(err, ErrNotPersisted) {
				t.Fatalf("Delete = %v, want %s (ErrNotPersisted)", err, tt.want)
			}
			if n := len(s.pending); n != 1 || len(s.pending[0].objs) != 1 || s.pending[0].objs[0].keys.len() != 1 {
				t.Fatalf("pending after the failed call: %+v, want only the first object", s.pending)
			}
		})
	}
}

// TestDeleteReusesKeyArrays registers 10,000 objects one Delete call at a
// time and rolls back, for int64, string and composite (int64, string)
// keys, then does it again: the second time the keys go into the arrays
// the Rollback gave back, so the lists do not double their way up again
// (11 allocations more for each). A pool may
// drop an array (the race detector drops a quarter of them on purpose,
// and two collections empty it), so the fewest allocations of several
// tries count. An array given back holds none of the strings it held.
func TestDeleteReusesKeyArrays(t *testing.T) {
	const n = 10_000
	ctx := context.Background()
	db := sql.OpenDB(unitFakeConnector{})
	t.Cleanup(func() { db.Close() })
	ints := make([]allocIntUser, n)
	strs := make([]allocStrUser, n)
	pairs := make([]allocPair, n)
	for i := range n {
		ints[i] = allocIntUser{ID: int64(i + 1)}
		strs[i] = allocStrUser{Key: "key " + strconv.Itoa(i+1)}
		pairs[i] = allocPair{Tenant: int64(i%7 + 1), Code: strs[i].Key}
	}
	for _, tt := range []struct {
		name     string
		register func(s *Session, i int) error
		most     float64 // allocations allowed; 11 more for each array not reused
	}{
		{"int64 keys", func(s *Session, i int) error { return s.Delete(&ints[i]) }, 8},
		{"string keys", func(s *Session, i int) error { return s.Delete(&strs[i]) }, 8},
		// One array per column, each reused, and the list of the columns.
		{"composite keys", func(s *Session, i int) error { return s.Delete(&pairs[i]) }, 11},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fewest := math.Inf(1)
			var failed error
			for range 10 {
				s := NewSession(db, WithDialect(SQLiteDialect()))
				// AllocsPerRun runs once before it counts: that run's
				// Rollback gives the array back for the counted one.
				allocs := testing.AllocsPerRun(1, func() {
					for i := range n {
						if err := tt.register(s, i); err != nil && failed == nil {
							failed = err
						}
					}
					if err := s.Rollback(ctx); err != nil && failed == nil {
						failed = err
					}
				})
				fewest = min(fewest, allocs)
			}
			if failed != nil {
				t.Fatal(failed)
			}
			t.Logf("fewest allocations for %d objects and a Rollback: %.0f", n, fewest)
			if fewest > tt.most {
				t.Errorf("registering %d objects after a Rollback allocates %.0f times, want a few: the Rollback's array is not reused", n, fewest)
			}

			s := NewSession(db, WithDialect(SQLiteDialect()))
			for _, i := range []int{2, 0, 1} {
				if err := tt.register(s, i); err != nil {
					t.Fatal(err)
				}
			}
			keys := &s.pending[0].objs[0].keys
			var got []any
			for i := range keys.len() {
				got = append(got, keys.at(i))
			}
			want := []any{ints[2].ID, ints[0].ID, ints[1].ID}
			strKeys := keys.strs
			switch tt.name {
			case "string keys":
				want = []any{strs[2].Key, strs[0].Key, strs[1].Key}
			case "composite keys":
				want = []any{[]any{pairs[2].Tenant, pairs[2].Code}, []any{pairs[0].Tenant, pairs[0].Code}, []any{pairs[1].Tenant, pairs[1].Code}}
				strKeys = keys.cols[1].strs
			}
			if rest := strKeys[len(strKeys):cap(strKeys)]; slices.ContainsFunc(rest, func(k string) bool { return k != "" }) {
				t.Errorf("the array past the keys holds strings of the rolled-back session")
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("registered keys %v, want %v", got, want)
			}
		})
	}
}

// TestKeyArraysAreNotShared runs sessions in eight goroutines, each
// registering keys of its own one Delete at a time and rolling back, over
// and over, so that the arrays given back pass between goroutines: each
// session holds exactly its own keys every time (and the race detector,
// when on, sees no array written by two sessions at once).
func TestKeyArraysAreNotShared(t *testing.T) {
	const workers, rounds, n = 8, 50, 300
	db := sql.OpenDB(unitFakeConnector{})
	t.Cleanup(func() { db.Close() })
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			objs := make([]allocStrUser, n)
			for i := range objs {
				objs[i].Key = "w" + strconv.Itoa(w) + "-" + strconv.Itoa(i)
			}
			for r := range rounds {
				s := NewSession(db, WithDialect(SQLiteDialect()))
				k := n - r%n // a different count each round
				for i := range k {
					if err := s.Delete(&objs[i]); err != nil {
						errs <- err
						return
					}
				}
				got := s.pending[0].objs[0].keys.strs
				if len(got) != k {
					errs <- fmt.Errorf("worker %d, round %d: %d keys registered, want %d", w, r, len(got), k)
					return
				}
				for i, key := range got {
					if key != objs[i].Key {
						errs <- fmt.Errorf("worker %d, round %d: key %d = %q, want %q", w, r, i, key, objs[i].Key)
						return
					}
				}
				if err := s.Rollback(context.Background()); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
