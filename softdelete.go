package typeddelete

import (
	"database/sql"
	"fmt"
	"reflect"
	"time"
	"unsafe"

	sq "github.com/Masterminds/squirrel"
)

// A soft-deletable model has a field tagged `db:",softdelete"`. Its rows
// are live while the column holds the live value, and soft-deleted once a
// Commit stamps it:
//
//	*time.Time, sql.NullTime     NULL is live; stamped with the time
//	time.Time                    the zero time is live; stamped with the time
//	int64 (any integer kind)     0 is live; stamped with Unix seconds
//	*int64, sql.NullInt64        NULL is live; stamped with Unix seconds
//
// The stamp is the time the Commit started (WithDatabaseClock: the
// database's clock), one value for every row the Commit soft-deletes, so
// that Restore can tell the children a soft delete reached by their
// stamp.

// softKind is how a soft-delete column marks live rows and stamps.
type softKind uint8

const (
	softNullTime softKind = iota + 1 // NULL live, a time stamp
	softZeroTime                     // the zero time live, a time stamp
	softNullUnix                     // NULL live, Unix seconds
	softZeroUnix                     // 0 live, Unix seconds
)

// softKindOf returns the soft-delete kind of a field type, or 0 when the
// type cannot hold a soft-delete stamp.
func softKindOf(t reflect.Type) softKind {
	switch {
	case t == reflect.TypeFor[*time.Time]() || t == reflect.TypeFor[sql.NullTime]():
		return softNullTime
	case t == reflect.TypeFor[time.Time]():
		return softZeroTime
	case t == reflect.TypeFor[sql.NullInt64]() || t.Kind() == reflect.Pointer && isInteger(t):
		return softNullUnix
	case isInteger(t):
		return softZeroUnix
	}
	return 0
}

// stampNow returns the application's time as soft deletes stamp it: UTC,
// to the microsecond, the finest the servers store.
func stampNow() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// parseClock returns the time a dialect's clock query read: a time, or
// its text as "2006-01-02 15:04:05.999999", in UTC.
func parseClock(v any) (time.Time, error) {
	switch v := v.(type) {
	case time.Time:
		return v.UTC().Truncate(time.Microsecond), nil
	case []byte:
		return parseClock(string(v))
	case string:
		t, err := time.Parse("2006-01-02 15:04:05.999999999", v)
		if err != nil {
			return time.Time{}, fmt.Errorf("reading the database's clock: %w", err)
		}
		return t.Truncate(time.Microsecond), nil
	}
	return time.Time{}, fmt.Errorf("reading the database's clock: got %T", v)
}

// liveValue returns the value of the soft-delete column of live rows.
func (m *model) liveValue() any {
	switch m.softKind {
	case softZeroTime:
		return time.Time{}
	case softZeroUnix:
		return int64(0)
	}
	return nil
}

// stampValue returns the value the soft-delete column is stamped with at
// time at.
func (m *model) stampValue(at time.Time) any {
	if m.softKind == softNullUnix || m.softKind == softZeroUnix {
		return at.Unix()
	}
	return at
}

// softCond returns the condition on m's soft-delete column that selects
// live rows, or with deleted, soft-deleted rows. A zero time is a bound
// parameter; the other live values are written out.
func (m *model) softCond(d *Dialect, deleted bool) (string, []any) {
	col := d.Quote(m.softDelete.column)
	switch m.softKind {
	case softZeroTime:
		if deleted {
			return col + " <> ?", []any{time.Time{}}
		}
		return col + " = ?", []any{time.Time{}}
	case softZeroUnix:
		if deleted {
			return col + " <> 0", nil
		}
		return col + " = 0", nil
	}
	if deleted {
		return col + " IS NOT NULL", nil
	}
	return col + " IS NULL", nil
}

// softSQL is softCond as a squirrel condition.
func (m *model) softSQL(d *Dialect, deleted bool) sq.Sqlizer {
	c, args := m.softCond(d, deleted)
	return sq.Expr(c, args...)
}

// softExpr is softCond as a predicate of a query.
func (m *model) softExpr(deleted bool) expr {
	switch m.softKind {
	case softZeroTime, softZeroUnix:
		op := "="
		if deleted {
			op = "<>"
		}
		return cmpExpr{m.softDelete, op, m.liveValue()}
	}
	return nullExpr{m.softDelete, deleted}
}

// deletedKeyLive returns the value of the deleted-key column of live rows:
// NULL where the field can hold it, else the field type's zero value.
func (m *model) deletedKeyLive() any {
	t := m.deletedKey.typ
	if canBeNull(t) {
		return nil
	}
	return reflect.Zero(t).Interface()
}

// setSoftDeleted sets the soft-delete field of the struct v to the stamp
// of time at.
func setSoftDeleted(m *model, v reflect.Value, at time.Time) {
	fv := v.FieldByIndex(m.softDelete.index)
	switch m.softKind {
	case softNullTime:
		if fv.Kind() == reflect.Pointer {
			fv.Set(reflect.ValueOf(&at))
		} else {
			fv.Set(reflect.ValueOf(sql.NullTime{Time: at, Valid: true}))
		}
	case softZeroTime:
		fv.Set(reflect.ValueOf(at))
	case softNullUnix:
		if fv.Kind() == reflect.Pointer {
			p := reflect.New(fv.Type().Elem())
			p.Elem().Set(reflect.ValueOf(at.Unix()).Convert(fv.Type().Elem()))
			fv.Set(p)
		} else {
			fv.Set(reflect.ValueOf(sql.NullInt64{Int64: at.Unix(), Valid: true}))
		}
	case softZeroUnix:
		fv.Set(reflect.ValueOf(at.Unix()).Convert(fv.Type()))
	}
}

// setRestored sets the soft-delete field of the struct v to its live
// value.
func setRestored(m *model, v reflect.Value) {
	fv := v.FieldByIndex(m.softDelete.index)
	fv.Set(reflect.Zero(fv.Type()))
}

// stamp is objects soft-deleted at one time, or restored, whose
// soft-delete field is set once the Commit succeeds.
type stamp struct {
	m       *model
	objs    []unsafe.Pointer
	at      time.Time
	restore bool
}

// apply sets the soft-delete field of each object.
func (st stamp) apply() {
	for _, p := range st.objs {
		if p == nil {
			continue
		}
		v := reflect.NewAt(st.m.typ, p).Elem()
		if st.restore {
			setRestored(st.m, v)
		} else {
			setSoftDeleted(st.m, v, st.at)
		}
	}
}

// checkSoftDelete checks the type of m's soft-delete field.
func (m *model) checkSoftDelete() error {
	f := m.softDelete
	if f == nil {
		return nil
	}
	if m.softKind = softKindOf(f.typ); m.softKind == 0 {
		return fmt.Errorf("%w: %s.%s: a soft-delete field must be *time.Time, sql.NullTime, time.Time, an integer (Unix seconds), a pointer to one or sql.NullInt64, not %s",
			ErrInvalidModel, m.typ, f.name, f.typ)
	}
	return nil
}
