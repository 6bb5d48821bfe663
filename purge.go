package typeddelete

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"time"

	sq "github.com/Masterminds/squirrel"
)

// ErrBudget reports a Purge that stopped because its Budget was spent. The
// rows of every chunk it committed are gone; PurgeResult.Cursor resumes it.
var ErrBudget = errors.New("typeddelete: purge budget spent")

// PurgeOption configures TypedQuery.Purge.
type PurgeOption interface {
	apply(*purgeConfig)
}

type purgeOption func(*purgeConfig)

func (o purgeOption) apply(c *purgeConfig) { o(c) }

// purgeConfig is what the options of a Purge set.
type purgeConfig struct {
	chunk    int
	pause    time.Duration
	budget   time.Duration
	cursor   string
	onChunk  func(Progress) error
	archive  string
	rows     any // a func(context.Context, DBTX, []*T) error
	estimate bool
	err      error
}

// ChunkSize sets how many rows of the target table each chunk, and so each
// transaction, deletes: 1000 when not given. n must be at least 1.
func ChunkSize(n int) PurgeOption {
	return purgeOption(func(c *purgeConfig) {
		if n < 1 {
			c.err = fmt.Errorf("%w: ChunkSize(%d): want 1 or more", ErrInvalidValue, n)
		}
		c.chunk = n
	})
}

// Pause waits d between chunks, to let other work in.
func Pause(d time.Duration) PurgeOption {
	return purgeOption(func(c *purgeConfig) { c.pause = d })
}

// Budget stops the Purge cleanly, between chunks, once d has passed: it
// returns ErrBudget and the cursor to resume from.
func Budget(d time.Duration) PurgeOption {
	return purgeOption(func(c *purgeConfig) { c.budget = d })
}

// ResumeFrom continues an earlier Purge after the last chunk it committed:
// cursor is its PurgeResult.Cursor or Progress.Cursor. The same query must
// be purged.
func ResumeFrom(cursor string) PurgeOption {
	return purgeOption(func(c *purgeConfig) { c.cursor = cursor })
}

// OnChunk calls fn after each chunk commits, with the progress so far. An
// error from fn stops the Purge (the chunk stays committed) and is
// returned.
func OnChunk(fn func(Progress) error) PurgeOption {
	return purgeOption(func(c *purgeConfig) { c.onChunk = fn })
}

// ArchiveTo copies each chunk's rows into table, in the chunk's
// transaction, before they are deleted (pt-archiver's --dest): INSERT INTO
// table (columns) SELECT columns ...; on PostgreSQL one statement does
// both, WITH d AS (DELETE ... RETURNING columns) INSERT INTO table SELECT
// FROM d. table must have the model's columns.
func ArchiveTo(table string) PurgeOption {
	return purgeOption(func(c *purgeConfig) {
		if strings.TrimSpace(table) == "" {
			c.err = fmt.Errorf("%w: ArchiveTo(%q): want a table", ErrInvalidValue, table)
		}
		c.archive = table
	})
}

// WithRows calls fn with each chunk's deleted rows, as they were, inside
// the chunk's transaction after the delete: to write them elsewhere. An
// error from fn rolls the chunk back and stops the Purge. T must be the
// model of the query purged.
func WithRows[T any](fn func(ctx context.Context, tx DBTX, rows []*T) error) PurgeOption {
	return purgeOption(func(c *purgeConfig) { c.rows = fn })
}

// Estimate counts the matching rows once, at the start, so that Progress
// can estimate what remains. The count costs a scan of the rows the filter
// matches.
func Estimate() PurgeOption {
	return purgeOption(func(c *purgeConfig) { c.estimate = true })
}

// Progress is the state of a Purge after a chunk.
type Progress struct {
	Chunk     int           // chunks committed, this one included
	Rows      int64         // rows of the target table this chunk deleted (or soft-deleted)
	Total     int64         // rows of the target table deleted so far
	Elapsed   time.Duration // since the Purge started
	Rate      float64       // rows of the target table per second so far
	Estimate  int64         // matching rows at the start, with Estimate; -1 without
	Remaining time.Duration // time left at the current rate, with Estimate; -1 without
	Cursor    string        // resumes after this chunk
}

// PurgeResult tells what a Purge did.
type PurgeResult struct {
	Deleted     map[string]int64 // rows deleted per table, cascades included
	SoftDeleted map[string]int64 // rows soft-deleted per table
	Updated     map[string]int64 // rows whose foreign key was set (SetNull, SetDefault, SetValue) per table
	Chunks      int              // chunks committed
	Cursor      string           // resumes after the last chunk committed; "" before the first
	Done        bool             // no matching row was left after the cursor
}

// Purge deletes every row the query matches now, in chunks of ChunkSize
// rows, each in a transaction of its own that does what a Commit of those
// rows does: relations, hooks, soft delete, AtMost, WithMaxRows. Chunks
// walk the primary key in order (keyset pagination: no OFFSET, and no more
// than one chunk of keys in memory); after each, the cursor moves past its
// last key. A chunk the database aborts on a deadlock runs again (see
// WithRetries); any other error stops the Purge with the result so far,
// whose Cursor resumes it (ResumeFrom) without deleting any row twice, and
// so do a cancelled context and a spent Budget (ErrBudget). Rows that
// start to match behind the cursor are not chased.
//
// Where the first chunk's plan is only its own DELETE and the key is one
// integer column, the later chunks are one statement each that picks its
// rows, deletes them and returns their keys, on the dialects that have one
// (SQLite, PostgreSQL, MariaDB; not MySQL or TiDB): no read of the keys
// first, unless a statement deleted nothing, when a read tells whether
// rows are left.
//
// Purge runs at once, on the session's database, which must be able to
// begin transactions (not a *sql.Tx); it holds the session for its run and
// neither sends nor waits for the session's pending work, which must not
// be flushed. With WithLogger each chunk is logged at Info.
func (q *TypedQuery[T]) Purge(ctx context.Context, opts ...PurgeOption) (PurgeResult, error) {
	res := PurgeResult{Deleted: map[string]int64{}, SoftDeleted: map[string]int64{}, Updated: map[string]int64{}}
	cfg := purgeConfig{chunk: 1000}
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if err := q.check(); err != nil {
		return res, err
	}
	if cfg.err != nil {
		return res, cfg.err
	}
	var rowsFn func(context.Context, DBTX, []*T) error
	if cfg.rows != nil {
		fn, ok := cfg.rows.(func(context.Context, DBTX, []*T) error)
		if !ok {
			return res, fmt.Errorf("%w: WithRows takes a func(context.Context, DBTX, []*%s) error for this query, not %T", ErrInvalidValue, q.m.typ, cfg.rows)
		}
		rowsFn = fn
	}
	s := q.s
	if !s.beginner() {
		return res, fmt.Errorf("typeddelete: Purge needs a database that begins transactions, not a %T", s.db)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open() {
		return res, errors.New("typeddelete: Purge on a session with flushed work; Commit or Rollback it first")
	}
	op, err := q.bulk(rowsFn != nil, q.mode())
	if err != nil {
		return res, err
	}
	if err := s.renderFilter(ctx, op, true, len(q.m.pk)); err != nil {
		return res, prefixed(err)
	}
	op.archive = cfg.archive
	p := &purger{s: s, m: q.m, op: op, cfg: cfg, res: &res, start: time.Now(), estimate: -1}
	if cfg.cursor != "" {
		if p.cursor, err = decodeCursor(q.m, cfg.cursor); err != nil {
			return res, err
		}
		res.Cursor = cfg.cursor
	}
	if op.none {
		res.Done = true
		return res, nil
	}
	if cfg.estimate {
		if p.estimate, err = p.count(ctx); err != nil {
			return res, prefixed(err)
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if cfg.budget > 0 && time.Since(p.start) >= cfg.budget {
			return res, ErrBudget
		}
		n, err := p.chunk(ctx, func(tx DBTX, objs []any) error {
			if rowsFn == nil {
				return nil
			}
			rows := make([]*T, len(objs))
			for i, o := range objs {
				rows[i] = o.(*T)
			}
			return rowsFn(ctx, tx, rows)
		})
		if err != nil {
			return res, prefixed(err)
		}
		if n == 0 {
			res.Done = true
			return res, nil
		}
		if err := p.progress(ctx, n); err != nil {
			return res, err
		}
		if cfg.pause > 0 {
			t := time.NewTimer(cfg.pause)
			select {
			case <-ctx.Done():
				t.Stop()
				return res, ctx.Err()
			case <-t.C:
			}
		}
	}
}

// purger runs the chunks of one Purge.
type purger struct {
	s        *Session
	m        *model
	op       *bulkOp
	cfg      purgeConfig
	res      *PurgeResult
	cursor   []any // key parts of the last row of the last chunk; nil before
	start    time.Time
	total    int64 // rows of the target table deleted
	estimate int64
	shape    int8 // how the chunks run: shapeUndecided, shapePlanned or shapeOne
}

// next builds the read of a chunk's keys: SELECT pk FROM t WHERE filter
// AND pk > cursor ORDER BY pk LIMIT chunk [FOR UPDATE].
func (p *purger) next(lock bool) sq.SelectBuilder {
	d := p.s.dialect
	cols := d.quoteAll(p.m.pkColumns())
	b := p.after(cols...).OrderBy(cols...).Limit(uint64(p.cfg.chunk))
	if lock && d.lockRows != "" {
		b = b.Suffix(d.lockRows)
	}
	return b
}

// after builds SELECT cols FROM t WHERE filter [live] [scope] AND pk >
// cursor: the rows left to purge.
func (p *purger) after(sel ...string) sq.SelectBuilder {
	d := p.s.dialect
	b := sq.Select(sel...).From(d.quoteTable(p.m.table)).PlaceholderFormat(d.placeholder)
	for _, c := range p.conds() {
		b = b.Where(c)
	}
	return b
}

// conds returns the conditions of the rows left to purge, with ?
// placeholders: filter [live] [scope] AND pk > cursor.
func (p *purger) conds() []sqlizer {
	d, m := p.s.dialect, p.m
	var c []sqlizer
	if p.op.where != "" {
		c = append(c, sq.Expr(p.op.where, p.op.args...))
	}
	if m.softDelete != nil && p.op.mode == modeDelete {
		c = append(c, m.softSQL(d, false))
	}
	if m.scope != nil {
		c = append(c, p.s.scopeCond(m))
	}
	if p.cursor != nil {
		c = append(c, sq.Expr(d.rowTarget(m.pkColumns())+" > "+tuple(len(m.pk)), p.cursor...))
	}
	return c
}

// tuple returns (?, ?, ...) for n values, or ? for one.
func tuple(n int) string {
	if n == 1 {
		return "?"
	}
	return "(" + placeholders(n) + ")"
}

// count counts the rows left to purge.
func (p *purger) count(ctx context.Context) (int64, error) {
	return p.s.count(ctx, p.s.db, "purge count", p.after("COUNT(*)"))
}

// chunk deletes the next chunk in a transaction of its own, running it
// again on a deadlock, and returns how many rows of the target table it
// deleted; 0 when none was left.
func (p *purger) chunk(ctx context.Context, withRows func(DBTX, []any) error) (int64, error) {
	s := p.s
	defer func() { s.attempt = 0 }()
	hooked := hasHooks([]item{{bulk: p.op}})
	for attempt := 1; ; attempt++ {
		s.attempt = attempt
		// The statements of this attempt are retried on a serialization
		// failure exactly when the case below says so.
		retry := attempt <= s.retries && (s.hookRetries || !hooked)
		n, last, cursor, res, err := p.try(retrying(ctx, retry), withRows)
		switch {
		case err == nil:
			if n > 0 {
				p.cursor = last
				p.res.Cursor = cursor
				p.res.Chunks++
				addCounts(p.res.Deleted, res.Deleted)
				addCounts(p.res.SoftDeleted, res.SoftDeleted)
				addCounts(p.res.Updated, res.Updated)
			}
			return n, nil
		case errors.Is(err, ErrSerialization) && retry:
			if s.logger != nil {
				s.logger.LogAttrs(ctx, slog.LevelWarn, "typeddelete: retry", slog.Int("attempt", attempt+1))
			}
			if werr := backoff(ctx, attempt); werr != nil {
				return 0, errors.Join(err, werr)
			}
		default:
			return 0, err
		}
	}
}

// try runs one attempt of a chunk: its keys read and locked, then what a
// Commit of them does, as planned; or, once the first chunk's plan showed
// that nothing else needs the keys, the dialect's one statement (one).
func (p *purger) try(ctx context.Context, withRows func(DBTX, []any) error) (n int64, last []any, cursor string, res *CommitResult, err error) {
	if p.shape == shapeOne {
		// A statement that deletes nothing may have found nothing left,
		// or (PostgreSQL, whose subquery does not lock) picked only rows
		// that went meanwhile: the read below tells, locking the next.
		if n, last, cursor, res, err = p.one(ctx); err != nil || n > 0 {
			return n, last, cursor, res, err
		}
	}
	s := p.s
	if err := s.begin(ctx); err != nil {
		return 0, nil, "", nil, err
	}
	defer func() { p.abort(ctx, recover(), &err) }()
	// The chunk's keys, locked.
	keys := &objBatch{m: p.m, keys: newKeyList(p.m)}
	rows, err := s.query(ctx, s.conn(), "purge read", p.next(true))
	if err != nil {
		return 0, nil, "", nil, inner(fmt.Sprintf("read from %q", p.m.table), err)
	}
	sc := newRowScanner(p.m, nil)
	err = scanAll(rows, func() error {
		k, _, _, err := sc.scan(rows)
		if err == nil {
			keys.keys.add(k)
		}
		return err
	})
	if err != nil {
		return 0, nil, "", nil, inner(fmt.Sprintf("read from %q", p.m.table), err)
	}
	if keys.keys.len() == 0 {
		return 0, nil, "", nil, s.finish(ctx)
	}
	last = p.m.keyParts(keys.keys.at(keys.keys.len() - 1))
	if cursor, err = encodeCursor(last); err != nil {
		return 0, nil, "", nil, fmt.Errorf("%w: the key %s of %q cannot be a cursor: %w", ErrInvalidValue, formatKeys([][]any{last}), p.m.table, err)
	}
	op := *p.op
	op.fixed = keys
	op.handle = &Deletion{table: p.m.table}
	plan, err := s.plan(ctx, []item{{bulk: &op}}, false)
	if err != nil {
		return 0, nil, "", nil, err
	}
	if p.shape == shapeUndecided {
		if p.shape, err = p.decide(ctx, plan); err != nil {
			return 0, nil, "", nil, err
		}
	}
	x := &sender{s: s, ctx: ctx, conn: s.conn(), d: s.dialect, now: stampNow(), attempt: s.attempt, res: newResult()}
	if err := x.run(plan); err != nil {
		return 0, nil, "", nil, err
	}
	n, _ = op.handle.RowsAffected()
	if withRows != nil && op.returning {
		op.handle.mu.Lock()
		objs := op.handle.objs
		op.handle.mu.Unlock()
		if err := withRows(s.conn(), objs); err != nil {
			return 0, nil, "", nil, inner("WithRows", err)
		}
	}
	if err := s.finish(ctx); err != nil {
		return 0, nil, "", nil, wrapError("commit", err)
	}
	for _, st := range x.stamped {
		st.apply()
	}
	return n, last, cursor, x.res, nil
}

// abort, deferred by an attempt of a chunk with the value recover
// returned, rolls the chunk back when the attempt fails or panics; the
// panic goes on.
func (p *purger) abort(ctx context.Context, r any, err *error) {
	s := p.s
	if r != nil {
		// A failed rollback cannot be returned; the logger has it.
		_ = s.undoWithin(ctx, panicRollbackWait)
		panic(r)
	}
	if *err != nil {
		if uerr := s.undo(ctx); uerr != nil {
			*err = errors.Join(*err, wrapError("rollback", uerr))
		}
	}
}

// How a Purge's chunks run.
const (
	shapeUndecided int8 = iota // before the first chunk's plan
	shapePlanned               // keys read and locked, then planned as a Commit of them
	shapeOne                   // the dialect's one statement (Dialect.chunkDelete)
)

// decide returns how the chunks after the first run, from the first's
// plan: as the dialect's one statement when that plan was only the
// chunk's own DELETE (Plan.lone), the key is one integer column, so that
// the largest key deleted is the cursor, and nothing counts the rows
// (AtMost, WithMaxRows) or needs them (WithRows); the dialect may ask
// the server whether it has the statement.
func (p *purger) decide(ctx context.Context, pl *plan) (int8, error) {
	s, d := p.s, p.s.dialect
	if d.chunk == 0 || !pl.lone() || p.m.keyKind != intKeys || p.op.atMost > 0 || s.maxRows > 0 || p.op.returning {
		return shapePlanned, nil
	}
	si := pl.si
	if si == nil && d.serverProbe != "" {
		si = &schemaInfo{}
		if err := s.scalar(ctx, s.conn(), "server version", sq.Expr(d.serverProbe), &si.server); err != nil {
			return 0, inner("read the server version", err)
		}
	}
	if !d.marked(si) {
		return shapePlanned, nil
	}
	return shapeOne, nil
}

// one runs one attempt of a chunk as the dialect's one statement, which
// picks the chunk's rows, deletes them and returns their keys, in a
// transaction of its own.
func (p *purger) one(ctx context.Context) (n int64, last []any, cursor string, res *CommitResult, err error) {
	s, m := p.s, p.m
	if err := s.begin(ctx); err != nil {
		return 0, nil, "", nil, err
	}
	defer func() { p.abort(ctx, recover(), &err) }()
	q, err := s.dialect.chunkDelete(m.table, m.pkColumns()[0], sq.And(p.conds()), uint64(p.cfg.chunk))
	if err != nil {
		return 0, nil, "", nil, err
	}
	rows, err := s.query(ctx, s.conn(), "purge delete", q)
	if err != nil {
		return 0, nil, "", nil, inner(fmt.Sprintf("delete from %q", m.table), err)
	}
	var top int64
	err = scanAll(rows, func() error {
		var k int64
		if err := rows.Scan(&k); err != nil {
			return err
		}
		if n == 0 || k > top {
			top = k
		}
		n++
		return nil
	})
	if err != nil {
		return 0, nil, "", nil, inner(fmt.Sprintf("delete from %q", m.table), err)
	}
	if n == 0 {
		return 0, nil, "", nil, s.finish(ctx)
	}
	last = m.keyParts(top)
	if cursor, err = encodeCursor(last); err != nil {
		return 0, nil, "", nil, err
	}
	if err := s.finish(ctx); err != nil {
		return 0, nil, "", nil, wrapError("commit", err)
	}
	res = newResult()
	res.Statements = 1
	res.Deleted[m.table] = n
	return n, last, cursor, res, nil
}

// progress reports a chunk: to OnChunk, and to the logger at Info.
func (p *purger) progress(ctx context.Context, n int64) error {
	p.total += n
	el := time.Since(p.start)
	pr := Progress{Chunk: p.res.Chunks, Rows: n, Total: p.total, Elapsed: el, Estimate: p.estimate, Remaining: -1, Cursor: p.res.Cursor}
	if secs := el.Seconds(); secs > 0 {
		pr.Rate = float64(p.total) / secs
	}
	if p.estimate >= 0 && pr.Rate > 0 {
		left := max(p.estimate-p.total, 0)
		pr.Remaining = time.Duration(float64(left) / pr.Rate * float64(time.Second))
	}
	if l := p.s.logger; l != nil {
		l.LogAttrs(ctx, slog.LevelInfo, "typeddelete: purge chunk", slog.String("table", p.m.table),
			slog.Int("chunk", pr.Chunk), slog.Int64("rows", n), slog.Int64("total", pr.Total),
			slog.Float64("rate", pr.Rate), slog.Duration("elapsed", el), slog.String("cursor", pr.Cursor))
	}
	if p.cfg.onChunk != nil {
		return p.cfg.onChunk(pr)
	}
	return nil
}

// addCounts adds the counts of src to dst.
func addCounts(dst, src map[string]int64) {
	for t, n := range src {
		addCount(dst, t, n)
	}
}

// cursorVersion marks the encoding of a cursor.
const cursorVersion = "v1."

// encodeCursor encodes a key as an opaque string that survives a restart:
// its parts as JSON, in base64. It fails for a key that JSON cannot hold.
func encodeCursor(parts []any) (string, error) {
	b, err := json.Marshal(parts)
	if err != nil {
		return "", err
	}
	return cursorVersion + base64.RawURLEncoding.EncodeToString(b), nil
}

// decodeCursor decodes a cursor into key parts of m's key field types.
func decodeCursor(m *model, cursor string) ([]any, error) {
	bad := func(why string) error {
		return fmt.Errorf("%w: ResumeFrom(%q): %s", ErrInvalidValue, cursor, why)
	}
	enc, ok := strings.CutPrefix(cursor, cursorVersion)
	if !ok {
		return nil, bad("not a cursor of Purge")
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return nil, bad("not a cursor of Purge")
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || len(raw) != len(m.pk) {
		return nil, bad(fmt.Sprintf("not a key of %s", m.table))
	}
	parts := make([]any, len(raw))
	for i, f := range m.pk {
		t := f.typ
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		v := reflect.New(t)
		if err := json.Unmarshal(raw[i], v.Interface()); err != nil {
			return nil, bad(fmt.Sprintf("not a key of %s: %v", m.table, err))
		}
		parts[i] = v.Elem().Interface()
	}
	return parts, nil
}
