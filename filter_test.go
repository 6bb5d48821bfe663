package typeddelete

import (
	"slices"
	"testing"

	sq "github.com/Masterminds/squirrel"
)

// TestNamesColumn checks which Raw terms count as naming a column of
// unitUser (so that they are never probed as constants): a column's name
// as a word or a quoted identifier does; one inside a string literal, a
// comment, a function's name or a string's prefix does not, as each
// dialect quotes.
func TestNamesColumn(t *testing.T) {
	sqlite, pg, mysql := SQLiteDialect(), PostgresDialect(), MySQLDialect()
	all := []*Dialect{sqlite, pg, mysql}
	tests := []struct {
		name string
		on   []*Dialect
		sql  string
		want bool
	}{
		{"a column as a word", all, "age > 3", true},
		{"a column in another case", all, "AGE > 3", true},
		{"a column beside an operator", all, "(name)<>'x'", true},
		{"a column in a function's arguments", all, "length(name) > 3", true},
		{"a column's name in a string", all, "'name' = 'name'", false},
		{"a column's name in a string with a doubled quote", all, "'it''s name' <> 'age'", false},
		{"a column after a string with a doubled quote", all, "'it''s' <> age", true},
		{"a string that is empty", all, "'id' <> ''", false},
		{"a column's name in a block comment", all, "1 = 1 /* name */", false},
		{"a column's name in a line comment", all, "1 = 1 -- name\n", false},
		{"a column after a line comment", all, "1 = 1 -- x\n OR age > 3", true},
		{"a function with a column's name", all, "name ('x') > 0", false},
		{"a string's prefix with a column's name", all, "age'x' = 'x'", false},
		{"an unterminated string", all, "'x' = 'age", false},
		{"a quoted identifier that is a column", []*Dialect{sqlite, pg}, `"email_address" IS NULL`, true},
		{"a quoted identifier that is no column", []*Dialect{sqlite, pg}, `"nothing" = "nothing"`, false},
		{"a bracketed identifier on SQLite", []*Dialect{sqlite}, "[age] > 3", true},
		{"a backquoted identifier on MySQL", []*Dialect{mysql, sqlite}, "`age` > 3", true},
		{"double quotes around a string on MySQL", []*Dialect{mysql}, `"name" = "name"`, false},
		{"an escaped quote on MySQL", []*Dialect{mysql}, `'\' name' <> 'x'`, false},
		{"a hash comment on MySQL", []*Dialect{mysql}, "1 = 1 # name", false},
		{"a backslash in a string on PostgreSQL", []*Dialect{pg, sqlite}, `'C:\' <> age`, true},
		{"an escaped quote in an E string on PostgreSQL", []*Dialect{pg}, `E'\' name' <> 'x'`, false},
		{"a dollar-quoted string on PostgreSQL", []*Dialect{pg}, "$$name$$ = $$name$$", false},
		{"a tagged dollar-quoted string on PostgreSQL", []*Dialect{pg}, "$q$ it's $$ name $q$ <> 'x'", false},
		{"a column after a dollar-quoted string", []*Dialect{pg}, "$q$x$q$ <> age", true},
		{"a placeholder on PostgreSQL is no quote", []*Dialect{pg}, "$1 < age", true},
	}
	m := unitModel[unitUser](t)
	for _, tt := range tests {
		for _, d := range tt.on {
			t.Run(tt.name+" on "+d.name, func(t *testing.T) {
				leaf := &rawLeaf{s: sq.Expr(tt.sql)}
				if got := namesColumn(d, m, leaf); got != tt.want {
					t.Errorf("namesColumn(%q) = %v, want %v (words %q)", tt.sql, got, tt.want, columnWords(d.quoting, tt.sql))
				}
			})
		}
	}
}

// TestColumnWords checks the words and identifiers read out of SQL text.
func TestColumnWords(t *testing.T) {
	tests := []struct {
		d    *Dialect
		sql  string
		want []string
	}{
		{SQLiteDialect(), `a = 'b' AND "c""d" > [e]`, []string{"a", "AND", `c"d`, "e"}},
		{MySQLDialect(), "`a``b` = \"c\" OR d", []string{"a`b", "OR", "d"}},
		{PostgresDialect(), `x IN (SELECT y FROM z) AND COALESCE(w, 1) = 1`, []string{"x", "SELECT", "y", "FROM", "z", "AND", "w", "1", "1"}},
	}
	for _, tt := range tests {
		if got := columnWords(tt.d.quoting, tt.sql); !slices.Equal(got, tt.want) {
			t.Errorf("%s: columnWords(%q) = %q, want %q", tt.d, tt.sql, got, tt.want)
		}
	}
}
