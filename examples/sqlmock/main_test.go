package main

import (
	"context"
	"errors"
	"testing"

	"github.com/DATA-DOG/go-sqlmock"

	"github.com/typeddelete/typeddelete"
)

// newMock returns a session over a sqlmock database that matches SQL
// exactly (whitespace aside). sqlmock's driver is unknown to typeddelete,
// so the session needs WithDialect: use the dialect of your real database.
// sqlmock has no catalog either, so the session is told not to read the
// database's foreign keys: deletes go in registration order.
func newMock(t *testing.T) (*typeddelete.Session, sqlmock.Sqlmock) {
	t.Helper()
	db, mock, err := sqlmock.New(sqlmock.QueryMatcherOption(sqlmock.QueryMatcherEqual))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sess := typeddelete.NewSession(db,
		typeddelete.WithDialect(typeddelete.SQLiteDialect()),
		typeddelete.WithoutSchemaIntrospection())
	return sess, mock
}

// The SQL PurgeInactive sends, as the SQLite dialect renders it.
const (
	selectStale   = `SELECT "id", "email", "active", "last_seen" FROM "accounts" WHERE ("active" = ? AND "last_seen" < ?)`
	deleteTokens  = `DELETE FROM "tokens" WHERE "account_id" IN (?,?)`
	deleteAccount = `DELETE FROM "accounts" WHERE "id" IN (?,?)`
)

// expectStale expects the read of the stale accounts and returns two.
func expectStale(mock sqlmock.Sqlmock) {
	mock.ExpectQuery(selectStale).WithArgs(false, int64(2000)).WillReturnRows(
		sqlmock.NewRows([]string{"id", "email", "active", "last_seen"}).
			AddRow(int64(4), "dee@example.com", false, int64(1500)).
			AddRow(int64(1), "ada@example.com", false, int64(1000)))
}

func TestPurgeInactive(t *testing.T) {
	t.Run("deletes tokens then accounts in one transaction", func(t *testing.T) {
		sess, mock := newMock(t)
		expectStale(mock)
		mock.ExpectBegin()
		mock.ExpectExec(deleteTokens).WithArgs(int64(4), int64(1)).WillReturnResult(sqlmock.NewResult(0, 3))
		// Object deletes are sent with their keys sorted.
		mock.ExpectExec(deleteAccount).WithArgs(int64(1), int64(4)).WillReturnResult(sqlmock.NewResult(0, 2))
		mock.ExpectCommit()

		purged, err := PurgeInactive(context.Background(), sess, 2000)
		if err != nil {
			t.Fatalf("PurgeInactive: %v", err)
		}
		if len(purged) != 2 {
			t.Errorf("purged %d accounts, want 2", len(purged))
		}
		if got := sess.LastCommit().Deleted; got["accounts"] != 2 || got["tokens"] != 3 {
			t.Errorf("LastCommit().Deleted = %v, want accounts:2 tokens:3", got)
		}
		if err := mock.ExpectationsWereMet(); err != nil {
			t.Error(err)
		}
	})

	t.Run("sends nothing when no account is stale", func(t *testing.T) {
		sess, mock := newMock(t)
		mock.ExpectQuery(selectStale).WithArgs(false, int64(2000)).
			WillReturnRows(sqlmock.NewRows([]string{"id", "email", "active", "last_seen"}))

		purged, err := PurgeInactive(context.Background(), sess, 2000)
		if err != nil || purged != nil {
			t.Fatalf("PurgeInactive = %v, %v; want nil, nil", purged, err)
		}
		// No BEGIN, no COMMIT: sqlmock fails on any statement not expected.
		if err := mock.ExpectationsWereMet(); err != nil {
			t.Error(err)
		}
	})

	t.Run("rolls back and returns the error when a delete fails", func(t *testing.T) {
		sess, mock := newMock(t)
		errFK := errors.New("FOREIGN KEY constraint failed")
		expectStale(mock)
		mock.ExpectBegin()
		mock.ExpectExec(deleteTokens).WithArgs(int64(4), int64(1)).WillReturnResult(sqlmock.NewResult(0, 3))
		mock.ExpectExec(deleteAccount).WithArgs(int64(1), int64(4)).WillReturnError(errFK)
		mock.ExpectRollback()

		purged, err := PurgeInactive(context.Background(), sess, 2000)
		if !errors.Is(err, errFK) {
			t.Fatalf("PurgeInactive error = %v, want one that wraps %v", err, errFK)
		}
		if purged != nil {
			t.Errorf("purged = %v, want nil", purged)
		}
		// The failed work stays pending, to retry with Commit or drop with
		// Rollback.
		if objects, bulk := sess.Pending(); objects != 2 || bulk != 1 {
			t.Errorf("Pending() = %d, %d; want 2, 1", objects, bulk)
		}
		if err := mock.ExpectationsWereMet(); err != nil {
			t.Error(err)
		}
	})
}
