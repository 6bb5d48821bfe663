package typeddelete

import (
	"database/sql/driver"
	"errors"
	"reflect"
	"testing"
)

// errUnitRender is the error of a statement part that cannot be rendered.
var errUnitRender = errors.New("unit: cannot render")

// unitFailingSQL is a statement part whose ToSql fails.
type unitFailingSQL struct{}

func (unitFailingSQL) ToSql() (string, []any, error) { return "", nil, errUnitRender }

// unitFailingValuer is a field whose Value method fails.
type unitFailingValuer struct{}

func (unitFailingValuer) Value() (driver.Value, error) { return nil, errUnitRender }

// unitBadRelations declares a relation on a column its child lacks.
type unitBadRelations struct{ ID int64 }

func (unitBadRelations) Relations() []Relation {
	return []Relation{HasMany[unitPost](Cascade, "no_such_column")}
}

func TestRecordFailsOnAStatementItCannotRender(t *testing.T) {
	x := &sender{dry: true, pv: &Preview{}}
	if err := x.record(unitFailingSQL{}); !errors.Is(err, errUnitRender) {
		t.Errorf("record = %v, want the statement's error", err)
	}
	if len(x.pv.Statements) != 0 {
		t.Errorf("Preview.Statements = %v, want none", x.pv.Statements)
	}
}

func TestNullValueReturnsAValuersError(t *testing.T) {
	got, err := nullValue(reflect.ValueOf(unitFailingValuer{}))
	if got != nil || !errors.Is(err, errUnitRender) {
		t.Errorf("nullValue = %v, %v; want nil and the Value method's error", got, err)
	}
}

func TestEncodeCursorFailsForAKeyJSONCannotHold(t *testing.T) {
	if c, err := encodeCursor([]any{complex(1, 2)}); err == nil {
		t.Errorf("encodeCursor(complex) = %q, nil; want an error", c)
	}
	if c, err := encodeCursor([]any{int64(7), "a"}); err != nil || c != "v1.WzcsImEiXQ" {
		t.Errorf("encodeCursor(7, a) = %q, %v; want v1.WzcsImEiXQ", c, err)
	}
}

func TestHasHooksCountsUnresolvedRelationsAsHooked(t *testing.T) {
	m, err := modelFor(reflect.TypeFor[unitBadRelations]())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.relations(); !errors.Is(err, ErrInvalidRelation) {
		t.Fatalf("relations() = %v, want ErrInvalidRelation", err)
	}
	if !hasHooks([]item{{bulk: &bulkOp{m: m}}}) {
		t.Error("hasHooks = false for a model whose relations do not resolve, want true: no retry on a guess")
	}
}
