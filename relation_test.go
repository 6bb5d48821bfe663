package typeddelete

import (
	"database/sql"
	"database/sql/driver"
	"reflect"
	"testing"
	"time"
)

// unitUUID is a key type the package cannot tell: its Value method says
// what it sends.
type unitUUID [16]byte

func (u unitUUID) Value() (driver.Value, error) { return string(u[:]), nil }

// unitNullUUID is a Null wrapper of a unitUUID, as github.com/google/uuid's.
type unitNullUUID struct {
	UUID  unitUUID
	Valid bool
}

type unitCode string

func TestKeyTypesMatch(t *testing.T) {
	i64 := reflect.TypeFor[int64]()
	tests := []struct {
		name    string
		fk, ref reflect.Type
		want    bool
	}{
		{"int64 holds int64", i64, i64, true},
		{"*int64 holds int64", reflect.TypeFor[*int64](), i64, true},
		{"sql.NullInt64 holds int64", reflect.TypeFor[sql.NullInt64](), i64, true},
		{"int32 holds int64: integers of any size", reflect.TypeFor[int32](), i64, true},
		{"uint64 holds int64", reflect.TypeFor[uint64](), i64, true},
		{"sql.Null[string] holds a named string type", reflect.TypeFor[sql.Null[string]](), reflect.TypeFor[unitCode](), true},
		{"sql.NullString holds string", reflect.TypeFor[sql.NullString](), reflect.TypeFor[string](), true},
		{"sql.NullTime holds time.Time", reflect.TypeFor[sql.NullTime](), reflect.TypeFor[time.Time](), true},
		{"a Null wrapper of a Valuer holds the Valuer", reflect.TypeFor[unitNullUUID](), reflect.TypeFor[unitUUID](), true},
		{"string holds a Valuer the package cannot tell", reflect.TypeFor[string](), reflect.TypeFor[unitUUID](), true},
		{"string does not hold int64", reflect.TypeFor[string](), i64, false},
		{"sql.NullString does not hold int64", reflect.TypeFor[sql.NullString](), i64, false},
		{"int64 does not hold string", i64, reflect.TypeFor[string](), false},
		{"float64 does not hold int64", reflect.TypeFor[float64](), i64, false},
		{"[]byte does not hold string", reflect.TypeFor[[]byte](), reflect.TypeFor[string](), false},
		{"int64 does not hold time.Time", i64, reflect.TypeFor[time.Time](), false},
		{"string does not hold [16]byte, which has no Value method", reflect.TypeFor[string](), reflect.TypeFor[[16]byte](), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := keyTypesMatch(tt.fk, tt.ref); got != tt.want {
				t.Errorf("keyTypesMatch(%s, %s) = %t, want %t", tt.fk, tt.ref, got, tt.want)
			}
		})
	}
}
