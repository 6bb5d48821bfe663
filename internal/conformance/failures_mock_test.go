package conformance_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"testing"

	"github.com/typeddelete/typeddelete"
)

// Every failure reaches the caller: a key's Value method, a rollback, the
// close of a prepared statement. None becomes a NULL, a missing key or a
// success.

var (
	errFailKey  = errors.New("failKey: no value for bad")
	errRollback = errors.New("mock driver: rollback failed")
	errClose    = errors.New("mock driver: close failed")
	errFn       = errors.New("the handler failed")
)

// failKey is a key whose Value method fails for "bad".
type failKey string

func (k failKey) Value() (driver.Value, error) {
	if k == "bad" {
		return nil, errFailKey
	}
	return string(k), nil
}

// failDoc is keyed by a failKey.
type failDoc struct {
	Code failKey `db:"code,pk"`
}

func (failDoc) TableName() string { return "fail_docs" }

func TestMockFailuresReachTheCaller(t *testing.T) {
	ctx := context.Background()

	for _, d := range planDialects {
		t.Run("on "+d.name+" a key whose Value fails fails the Commit with ErrInvalidValue and sends nothing", func(t *testing.T) {
			s, mock, _ := newMockSession(t, typeddelete.WithDialect(d.make()))
			planMust(t, "Delete", s.Delete(&failDoc{Code: "ok"}, &failDoc{Code: "bad"}))
			mockExpect(mock, mockBegin{}, mockRollback{})
			err := s.Commit(ctx)
			if !errors.Is(err, typeddelete.ErrInvalidValue) || !errors.Is(err, errFailKey) {
				t.Errorf("Commit error = %v, want ErrInvalidValue wrapping the Value method's error", err)
			}
			want := map[string]string{
				// Keys go as one array, which the session builds.
				"postgres": `typeddelete: delete from "fail_docs": invalid value: column "code": key "bad": Value failed: failKey: no value for bad`,
				// Keys go as parameters, which database/sql converts; "bad"
				// sorts first.
				"sqlite": `typeddelete: delete from "fail_docs": invalid value: sql: converting argument $1 type: Value failed: failKey: no value for bad`,
				"mysql":  `typeddelete: delete from "fail_docs": invalid value: sql: converting argument $1 type: Value failed: failKey: no value for bad`,
			}[d.name]
			if err == nil || err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
			mockVerify(t, mock)
			mockPending(t, s, 2, 0)
		})
	}

	t.Run("a key whose Value fails fails the Preview the same way", func(t *testing.T) {
		s, mock, _ := newMockSession(t, typeddelete.WithDialect(typeddelete.PostgresDialect()))
		planMust(t, "Delete", s.Delete(&failDoc{Code: "bad"}))
		mockExpect(mock, mockBegin{}, mockRollback{})
		pv, err := s.Preview(ctx)
		if pv != nil || !errors.Is(err, typeddelete.ErrInvalidValue) || !errors.Is(err, errFailKey) {
			t.Errorf("Preview = %v, %v; want nil and ErrInvalidValue wrapping the Value method's error", pv, err)
		}
		mockVerify(t, mock)
		mockPending(t, s, 1, 0)
	})

	t.Run("Run returns the handler's error joined with the rollback's", func(t *testing.T) {
		db, mock := newMock(t)
		mockExpect(mock,
			mockBegin{},
			mockExec{query: `DELETE FROM "users" WHERE "id" IN (?)`, args: mockArgs(1), rows: 1},
			mockRollback{err: errRollback},
		)
		_, err := typeddelete.Run(ctx, db, func(s *typeddelete.Session) error {
			if err := s.Delete(&mockUser{ID: 1}); err != nil {
				return err
			}
			if err := s.Flush(ctx); err != nil {
				return err
			}
			return errFn
		}, typeddelete.WithDialect(typeddelete.SQLiteDialect()), typeddelete.WithoutSchemaIntrospection())
		if !errors.Is(err, errFn) || !errors.Is(err, errRollback) {
			t.Errorf("Run error = %v, want the handler's error and the rollback's", err)
		}
		mockVerify(t, mock)
	})

	t.Run("a prepared statement that fails to close fails the Commit, which rolls back", func(t *testing.T) {
		s, mock, _ := newMockSession(t, typeddelete.WithBatchSize(1))
		planMust(t, "Delete", s.Delete(&mockUser{ID: 1}, &mockUser{ID: 2}))
		del := `DELETE FROM "users" WHERE "id" IN (?)`
		mockExpect(mock, mockBegin{})
		mock.ExpectPrepare(del).WillReturnCloseError(errClose)
		mock.ExpectExec(del).WithArgs(1).WillReturnResult(driver.RowsAffected(1))
		mock.ExpectExec(del).WithArgs(2).WillReturnResult(driver.RowsAffected(1))
		mockExpect(mock, mockRollback{})
		err := s.Commit(ctx)
		if !errors.Is(err, errClose) {
			t.Errorf("Commit error = %v, want the close's error", err)
		}
		mockVerify(t, mock)
		mockPending(t, s, 2, 0)
	})
}
