package typeddelete

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"

	sq "github.com/Masterminds/squirrel"
)

// dbForeignKey is one foreign key read from the database's catalog.
type dbForeignKey struct {
	child, parent string
	columns       []string // child columns
	onDelete      string   // CASCADE, SET NULL, SET DEFAULT, RESTRICT or NO ACTION
}

// hasAction reports whether the database itself acts on the children when a
// parent is deleted.
func (fk *dbForeignKey) hasAction() bool {
	switch fk.onDelete {
	case "CASCADE", "SET NULL", "SET DEFAULT":
		return true
	}
	return false
}

// schemaInfo is the foreign keys of one database, by child table.
type schemaInfo struct {
	byChild map[string][]*dbForeignKey
}

// schemas caches the foreign keys read from each *sql.DB, so that they are
// read once per database. Entries are immutable; ForgetSchema drops one.
var schemas sync.Map // *sql.DB -> *schemaInfo

// ForgetSchema drops the foreign keys cached for db, so that the next
// Commit reads them again (after a migration, say).
func ForgetSchema(db *sql.DB) { schemas.Delete(db) }

// schema returns the database's foreign keys, reading them on first use: once
// per *sql.DB, once per session for a *sql.Conn or *sql.Tx.
func (s *Session) schema(ctx context.Context) (*schemaInfo, error) {
	if db, ok := s.db.(*sql.DB); ok {
		if si, ok := schemas.Load(db); ok {
			return si.(*schemaInfo), nil
		}
	} else if s.schemaInfo != nil {
		return s.schemaInfo, nil
	}
	si, err := s.readSchema(ctx)
	if err != nil {
		return nil, fmt.Errorf("typeddelete: reading foreign keys: %w", err)
	}
	if db, ok := s.db.(*sql.DB); ok {
		schemas.Store(db, si)
	} else {
		s.schemaInfo = si
	}
	return si, nil
}

// fkQuery returns the dialect's catalog query. Each row is: child table,
// constraint id, parent table, child column, ON DELETE action.
func (d *Dialect) fkQuery() sq.SelectBuilder {
	switch d.name {
	case "postgres":
		return sq.Select("tc.relname", "c.conname", "pc.relname", "a.attname",
			"CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' WHEN 'r' THEN 'RESTRICT' ELSE 'NO ACTION' END").
			From("pg_constraint c").
			Join("pg_class tc ON tc.oid = c.conrelid").
			Join("pg_namespace n ON n.oid = tc.relnamespace").
			Join("pg_class pc ON pc.oid = c.confrelid").
			CrossJoin("LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)").
			Join("pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum").
			Where("c.contype = 'f' AND n.nspname = current_schema()").
			OrderBy("tc.relname", "c.conname", "k.ord")
	case "mysql":
		return sq.Select("k.TABLE_NAME", "k.CONSTRAINT_NAME", "k.REFERENCED_TABLE_NAME", "k.COLUMN_NAME", "r.DELETE_RULE").
			From("information_schema.KEY_COLUMN_USAGE k").
			Join("information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME").
			Where("k.CONSTRAINT_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL").
			OrderBy("k.TABLE_NAME", "k.CONSTRAINT_NAME", "k.ORDINAL_POSITION")
	}
	return sq.Select("m.name", "p.id", `p."table"`, `p."from"`, "p.on_delete").
		From("sqlite_master m").
		Join("pragma_foreign_key_list(m.name) p").
		Where("m.type = 'table'").
		OrderBy("m.name", "p.id", "p.seq")
}

// readSchema reads every foreign key of the current schema or database.
func (s *Session) readSchema(ctx context.Context) (*schemaInfo, error) {
	rows, err := s.query(ctx, s.dialect.fkQuery().PlaceholderFormat(s.dialect.placeholder))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	si := &schemaInfo{byChild: make(map[string][]*dbForeignKey)}
	var last *dbForeignKey
	var lastID string
	for rows.Next() {
		var child, id, parent, col, action string
		if err := rows.Scan(&child, &id, &parent, &col, &action); err != nil {
			return nil, err
		}
		if last == nil || last.child != child || lastID != id {
			last = &dbForeignKey{child: child, parent: parent, onDelete: strings.ToUpper(action)}
			lastID = id
			si.byChild[child] = append(si.byChild[child], last)
		}
		last.columns = append(last.columns, col)
	}
	return si, rows.Err()
}
