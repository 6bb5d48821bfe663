package typeddelete

import (
	"errors"
	"reflect"
	"testing"
)

func TestArchiveStatement(t *testing.T) {
	m, err := modelFor(reflect.TypeFor[unitPost]())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		d    *Dialect
		soft bool
		want string
	}{
		{"on sqlite the rows are copied by INSERT ... SELECT", SQLiteDialect(), false,
			`INSERT INTO "posts_archive" ("id", "created_at", "title") SELECT "id", "created_at", "title" FROM "unit_posts" WHERE id = ?`},
		{"on mysql the rows are copied by INSERT ... SELECT", MySQLDialect(), false,
			"INSERT INTO `posts_archive` (`id`, `created_at`, `title`) SELECT `id`, `created_at`, `title` FROM `unit_posts` WHERE id = ?"},
		{"on postgres one statement deletes the rows and copies them", PostgresDialect(), false,
			`WITH d AS (DELETE FROM "unit_posts" WHERE id = $1 RETURNING "id", "created_at", "title") INSERT INTO "posts_archive" ("id", "created_at", "title") SELECT "id", "created_at", "title" FROM d`},
		{"on postgres rows soft-deleted are copied by INSERT ... SELECT", PostgresDialect(), true,
			`INSERT INTO "posts_archive" ("id", "created_at", "title") SELECT "id", "created_at", "title" FROM "unit_posts" WHERE id = $1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := &sender{d: tt.d}
			st := &step{act: actDelete, m: m, archive: "posts_archive", soft: tt.soft}
			q, args, err := x.archiveStmt(st, "id = ?", []any{int64(7)}).ToSql()
			if err != nil || q != tt.want || !reflect.DeepEqual(args, []any{int64(7)}) {
				t.Errorf("archiveStmt(...).ToSql() = %q, %v, %v; want %q, [7], nil", q, args, err, tt.want)
			}
		})
	}
}

func TestArchiveStatementCarriesErrors(t *testing.T) {
	m, err := modelFor(reflect.TypeFor[unitPost]())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*Dialect{SQLiteDialect(), PostgresDialect(), MySQLDialect()} {
		t.Run("on "+d.Name()+" a condition that cannot be rendered is the archive statement's error", func(t *testing.T) {
			x := &sender{d: d}
			st := &step{act: actDelete, m: m, archive: "posts_archive"}
			q, args, err := x.archiveStmt(st, `"id" = ?`, []any{unitFailingSQL{}}).ToSql()
			if !errors.Is(err, errUnitRender) {
				t.Errorf("archiveStmt(...).ToSql() = %q, %v, %v; want the condition's error", q, args, err)
			}
		})
	}
}
