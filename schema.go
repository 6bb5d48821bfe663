package typeddelete

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	sq "github.com/Masterminds/squirrel"
)

// dbForeignKey is one foreign key read from the database's catalog.
type dbForeignKey struct {
	child, parent string
	columns       []string // child columns
	refColumns    []string // the parent columns they reference, in the same order
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

// schemaInfo is what the planner uses of a database's catalog: foreign keys
// by child table, and the column sets that identify rows (the primary key
// and unique indexes without a condition) by table.
type schemaInfo struct {
	byChild map[string][]*dbForeignKey
	unique  map[string][][]string
	types   map[string]map[string]string // column types by table, where the dialect reads them
	// defaults holds column defaults by table, where the dialect reads
	// them: the SQL text of each default.
	defaults map[string]map[string]string
	// server is the answer to the dialect's serverProbe, where it has one.
	server string
}

// columnTypes returns the SQL types of columns of table, "" where unknown;
// nil without a catalog.
func (si *schemaInfo) columnTypes(table string, cols []string) []string {
	if si == nil || si.types[table] == nil {
		return nil
	}
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = si.types[table][c]
	}
	return out
}

// Catalog holds what sessions read from a database's catalog: its foreign
// keys, which order deletes and check Database relations, its unique
// keys, which check that a model's key identifies rows, and, on MySQL,
// the server's version, which tells MariaDB from MySQL and TiDB. It is
// read at the first Commit that needs it and kept until Forget.
//
// A session without WithCatalog reads the catalog once for itself. In a
// service that makes a Session per request, make one Catalog per database
// at start and pass WithCatalog to every session, so the catalog is read
// once. A Catalog is safe for concurrent use.
type Catalog struct {
	mu sync.Mutex
	si *schemaInfo
}

// NewCatalog returns an empty Catalog, read on first use.
func NewCatalog() *Catalog { return &Catalog{} }

// Forget drops what was read, so that the next Commit reads the catalog
// again (after a migration, say).
func (c *Catalog) Forget() {
	c.mu.Lock()
	c.si = nil
	c.mu.Unlock()
}

// get returns the catalog's contents, reading them with read on first use.
// Concurrent first uses read once.
func (c *Catalog) get(read func() (*schemaInfo, error)) (*schemaInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.si != nil {
		return c.si, nil
	}
	si, err := read()
	if err != nil {
		return nil, err
	}
	c.si = si
	return si, nil
}

// schema returns the database's catalog, reading it on first use.
func (s *Session) schema(ctx context.Context) (*schemaInfo, error) {
	return s.catalog.get(func() (*schemaInfo, error) {
		si, err := s.readSchema(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading the catalog: %w", err)
		}
		return si, nil
	})
}

// readSchema reads every foreign key and unique key of the current schema
// or database, with the dialect's catalog queries.
func (s *Session) readSchema(ctx context.Context) (*schemaInfo, error) {
	d := s.dialect
	si := &schemaInfo{byChild: make(map[string][]*dbForeignKey), unique: make(map[string][][]string)}
	c := s.conn()
	rows, err := s.query(ctx, c, readCatalog, d.fkCatalog())
	if err != nil {
		return nil, err
	}
	var last *dbForeignKey
	var lastID string
	err = scanAll(rows, func() error {
		var child, id, parent, col, action string
		var ref *string
		if err := rows.Scan(&child, &id, &parent, &col, &ref, &action); err != nil {
			return err
		}
		if last == nil || last.child != child || lastID != id {
			last = &dbForeignKey{child: child, parent: parent, onDelete: strings.ToUpper(action)}
			lastID = id
			si.byChild[child] = append(si.byChild[child], last)
		}
		last.columns = append(last.columns, col)
		r := ""
		if ref != nil {
			r = *ref
		}
		last.refColumns = append(last.refColumns, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rows, err = s.query(ctx, c, readCatalog, d.keyCatalog())
	if err != nil {
		return nil, err
	}
	var lastTable, lastKey string
	err = scanAll(rows, func() error {
		var table, key, col string
		if err := rows.Scan(&table, &key, &col); err != nil {
			return err
		}
		keys := si.unique[table]
		if table != lastTable || key != lastKey || len(keys) == 0 {
			keys = append(keys, nil)
			lastTable, lastKey = table, key
		}
		keys[len(keys)-1] = append(keys[len(keys)-1], col)
		si.unique[table] = keys
		return nil
	})
	if err != nil {
		return nil, err
	}
	if d.types != nil {
		if si.types, err = s.readColumns(ctx, c, d.types().PlaceholderFormat(d.placeholder)); err != nil {
			return nil, err
		}
	}
	if d.defaults != nil {
		if si.defaults, err = s.readColumns(ctx, c, d.defaults().PlaceholderFormat(d.placeholder)); err != nil {
			return nil, err
		}
	}
	if d.serverProbe != "" {
		if err := s.scalar(ctx, c, readCatalog, sq.Expr(d.serverProbe), &si.server); err != nil {
			return nil, err
		}
	}
	// SQLite names no referenced column when a foreign key references the
	// parent's primary key implicitly.
	for _, fks := range si.byChild {
		for _, fk := range fks {
			if slices.Contains(fk.refColumns, "") {
				if pk := si.primaryKey(fk.parent); len(pk) == len(fk.columns) {
					fk.refColumns = pk
				}
			}
		}
	}
	return si, nil
}

// readColumns reads a catalog query of (table, column, text) rows into a
// map by table and column.
func (s *Session) readColumns(ctx context.Context, c DBTX, q sq.SelectBuilder) (map[string]map[string]string, error) {
	rows, err := s.query(ctx, c, readCatalog, q)
	if err != nil {
		return nil, err
	}
	out := make(map[string]map[string]string)
	err = scanAll(rows, func() error {
		var table, col, text string
		if err := rows.Scan(&table, &col, &text); err != nil {
			return err
		}
		if out[table] == nil {
			out[table] = make(map[string]string)
		}
		out[table][col] = text
		return nil
	})
	return out, err
}

// primaryKey returns the first unique key read for table, which the
// catalog queries list first when it is the primary key.
func (si *schemaInfo) primaryKey(table string) []string {
	if keys := si.unique[table]; len(keys) > 0 {
		return keys[0]
	}
	return nil
}

// identifies reports whether the columns cols identify rows of table: they
// include a unique key of it. ok is false when the catalog knows no key of
// the table (a view, say), and nothing can be told.
func (si *schemaInfo) identifies(table string, cols []string) (identifies, ok bool) {
	keys := si.unique[table]
	if len(keys) == 0 {
		return false, false
	}
	for _, k := range keys {
		if subset(k, cols) {
			return true, true
		}
	}
	return false, true
}

// subset reports whether every string of a is in b.
func subset(a, b []string) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	return true
}

// find returns the foreign key of child on cols that references parent.
func (si *schemaInfo) find(child, parent string, cols []string) *dbForeignKey {
	for _, fk := range si.byChild[child] {
		if fk.parent == parent && sameSet(fk.columns, cols) {
			return fk
		}
	}
	return nil
}

// sameSet reports whether a and b hold the same strings.
func sameSet(a, b []string) bool {
	return len(a) == len(b) && subset(a, b)
}

// checkModel checks m against the catalog: its key must identify rows,
// and each relation's foreign key, where the database has one, must
// reference the parent's key columns, and a Database relation must have a
// foreign key whose ON DELETE acts.
func checkModel(m *model, si *schemaInfo) error {
	cols := m.pkColumns()
	if m.scope != nil {
		cols = append(cols, m.scope.column) // every statement names the scope too
	}
	if ok, known := si.identifies(m.table, cols); known && !ok && !m.join {
		return fmt.Errorf("%w: %s: the key (%s) is neither the primary key nor a unique key of %q, so it may name several rows",
			ErrInvalidModel, m.typ, strings.Join(cols, ", "), m.table)
	}
	rels, err := m.relations()
	if err != nil {
		return err
	}
	for _, r := range rels {
		if ok, known := si.identifies(r.parent.table, r.refColumns()); !r.byKey() && known && !ok {
			return fmt.Errorf("%w: %s: the relation to %s references %s(%s), which is neither the primary key nor a unique key",
				ErrInvalidRelation, m.typ, r.child.table, r.parent.table, strings.Join(r.refColumns(), ","))
		}
		cols := r.fkColumns()
		fk := si.find(r.child.table, r.parent.table, cols)
		if fk != nil {
			want := r.refColumns()
			for i, c := range fk.columns {
				j := slices.Index(cols, c)
				if fk.refColumns[i] != want[j] {
					return fmt.Errorf("%w: %s: %s(%s) references %s(%s) in the database, not the columns the relation follows, %s(%s)",
						ErrInvalidRelation, m.typ, r.child.table, strings.Join(fk.columns, ","), fk.parent, strings.Join(fk.refColumns, ","),
						r.parent.table, strings.Join(want, ","))
				}
			}
		}
		if r.policy != Database {
			continue
		}
		switch {
		case fk == nil:
			return fmt.Errorf("%w: %s: Database policy on %s(%s), but the database has no such foreign key to %q",
				ErrInvalidRelation, m.typ, r.child.table, strings.Join(cols, ","), m.table)
		case !fk.hasAction():
			return fmt.Errorf("%w: %s: Database policy on %s(%s), but its foreign key has no ON DELETE action (%s)",
				ErrInvalidRelation, m.typ, r.child.table, strings.Join(cols, ","), fk.onDelete)
		}
	}
	return nil
}
