// Command purge deletes a million old events from SQLite in chunks, as a
// retention job would: it seeds the table, purges the events older than
// the cutoff with a progress bar, is interrupted after a few chunks (as a
// deploy or a timeout would stop it), and resumes from the cursor it was
// given, deleting exactly the rest. It exits with an error unless exactly
// the old events are gone, each counted once.
//
//	go run ./examples/purge
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/typeddelete/typeddelete"
	"github.com/typeddelete/typeddelete/sqlite"
)

// Event is the model: table "events".
type Event struct {
	ID        int64     `db:"id,pk"`
	Kind      string    `db:"kind"`
	CreatedAt time.Time `db:"created_at"`
}

const rows = 1_000_000

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "typeddelete-purge-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(filepath.Join(dir, "events.db"))
	if err != nil {
		return err
	}
	defer db.Close()

	// A million events over 200 days; the cutoff keeps the last 100.
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	fmt.Printf("seeding %d events...\n", rows)
	if _, err := db.ExecContext(ctx, `CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, created_at TIMESTAMP NOT NULL)`); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
		INSERT INTO events (id, kind, created_at)
		SELECT i, 'click', strftime('%Y-%m-%d %H:%M:%f', ?, '-' || (i % 200) || ' days') FROM c`, rows, now.Format("2006-01-02 15:04:05")); err != nil {
		return err
	}
	createdAt := typeddelete.Col(func(e *Event) *time.Time { return &e.CreatedAt })
	cutoff := now.AddDate(0, 0, -100)

	sess := typeddelete.NewSession(db)
	old := typeddelete.Query[Event](sess).Filter(createdAt.Lt(cutoff))
	matching, err := old.Count(ctx)
	if err != nil {
		return err
	}

	// The first run stops after 5 chunks.
	interrupted := errors.New("interrupted")
	res, err := old.Purge(ctx,
		typeddelete.ChunkSize(20_000),
		typeddelete.Estimate(),
		typeddelete.OnChunk(func(p typeddelete.Progress) error {
			bar(p)
			if p.Chunk == 5 {
				return interrupted
			}
			return nil
		}))
	if !errors.Is(err, interrupted) {
		return fmt.Errorf("want the interruption, got %v", err)
	}
	fmt.Printf("\ninterrupted after %d chunks, %d events deleted; cursor %s\n", res.Chunks, res.Deleted["events"], res.Cursor)

	// Later, maybe in another process: resume from the cursor.
	rest, err := old.Purge(ctx,
		typeddelete.ChunkSize(20_000),
		typeddelete.Estimate(),
		typeddelete.ResumeFrom(res.Cursor),
		typeddelete.Pause(time.Millisecond), // let other writers in between chunks
		typeddelete.OnChunk(func(p typeddelete.Progress) error {
			bar(p)
			return nil
		}))
	if err != nil {
		return err
	}
	fmt.Printf("\nresumed: %d more events deleted in %d chunks, done: %v\n", rest.Deleted["events"], rest.Chunks, rest.Done)

	left, err := typeddelete.Query[Event](sess).AllRows().Count(ctx)
	if err != nil {
		return err
	}
	older, err := old.Count(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("events left: %d, of them older than the cutoff: %d\n", left, older)
	// Exactly the old events are gone, each once.
	if deleted := res.Deleted["events"] + rest.Deleted["events"]; !rest.Done || older != 0 || deleted != matching || left != rows-matching {
		return fmt.Errorf("purge left %d old events (want 0) and %d in all (want %d), deleting %d (want %d)",
			older, left, rows-matching, deleted, matching)
	}
	return nil
}

// bar draws the progress of a purge on one terminal line.
func bar(p typeddelete.Progress) {
	const width = 40
	done := 0.0
	if p.Estimate > 0 {
		done = min(float64(p.Total)/float64(p.Estimate), 1)
	}
	fill := int(done * width)
	fmt.Printf("\r[%s%s] %3.0f%% %7d rows  %6.0f rows/s  %s left ",
		strings.Repeat("#", fill), strings.Repeat(".", width-fill), done*100, p.Total, p.Rate,
		p.Remaining.Round(time.Second))
}
