// Command cascade shows the delete planner on SQLite: relations declared on
// the models decide what deleting a parent does to its children. It
// previews each delete, as a confirmation page would, then commits it,
// printing each statement as the session sends it.
//
//	go run ./examples/cascade
//
// Teams cascade to projects, projects cascade to tasks, and tasks keep
// their comments by setting comments.task_id to NULL. Labels restrict
// deleting a project that still has them. Categories form a tree that is
// deleted leaves first, and documents carry a version checked at delete.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/typeddelete/typeddelete"
	"github.com/typeddelete/typeddelete/sqlite"
)

// Team has projects; deleting a team deletes them (Cascade).
type Team struct {
	ID   int64  `db:"id,pk"`
	Name string `db:"name"`
}

// Relations declares the children of a team.
func (Team) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[Project](typeddelete.Cascade, "team_id")}
}

// Project belongs to a team and has tasks and labels.
type Project struct {
	ID     int64 `db:"id,pk"`
	TeamID int64 `db:"team_id"`
}

// Relations declares the children of a project.
func (Project) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[Task](typeddelete.Cascade, "project_id"),
		typeddelete.HasMany[Label](typeddelete.Restrict, "project_id"),
	}
}

// Task belongs to a project; its comments outlive it.
type Task struct {
	ID        int64 `db:"id,pk"`
	ProjectID int64 `db:"project_id"`
}

// Relations declares the children of a task.
func (Task) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[Comment](typeddelete.SetNull, "task_id")}
}

// Comment may point at a task.
type Comment struct {
	ID     int64  `db:"id,pk"`
	TaskID *int64 `db:"task_id"`
}

// Label blocks deleting its project (Restrict).
type Label struct {
	ID        int64 `db:"id,pk"`
	ProjectID int64 `db:"project_id"`
}

// Category is a tree: deleting a category deletes its subtree.
type Category struct {
	ID       int64  `db:"id,pk"`
	ParentID *int64 `db:"parent_id"`
}

// Relations declares the subtree of a category.
func (Category) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[Category](typeddelete.Cascade, "parent_id")}
}

// Document is versioned: a delete only matches the version the object had
// when Delete registered it.
type Document struct {
	ID      int64 `db:"id,pk"`
	Version int64 `db:"version,version"`
}

const schema = `
CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE projects (id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES teams(id));
CREATE TABLE tasks (id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id));
CREATE TABLE comments (id INTEGER PRIMARY KEY, task_id INTEGER REFERENCES tasks(id));
CREATE TABLE labels (id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id));
CREATE TABLE categories (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES categories(id));
CREATE TABLE documents (id INTEGER PRIMARY KEY, version INTEGER NOT NULL);
INSERT INTO teams VALUES (1, 'core'), (2, 'web');
INSERT INTO projects VALUES (10, 1), (11, 1), (20, 2);
INSERT INTO tasks VALUES (100, 10), (101, 10), (110, 11), (200, 20);
INSERT INTO comments VALUES (1, 100), (2, 200);
INSERT INTO labels VALUES (1, 20);
INSERT INTO categories VALUES (1, NULL), (2, 1), (3, 2), (4, 2), (5, 1);
INSERT INTO documents VALUES (1, 3), (2, 1);
`

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "typeddelete-cascade-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(filepath.Join(dir, "app.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	for _, stmt := range strings.Split(schema, ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}

	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, slog.LevelKey, "duration":
				return slog.Attr{}
			}
			return a
		},
	}))
	sess := typeddelete.NewSession(db, typeddelete.WithLogger(logger))

	fmt.Println("# team 1 (cascade to projects and tasks, comments set to NULL), category 2 (a subtree), document 1")
	team, err := typeddelete.Query[Team](sess).Get(ctx, 1)
	if err != nil {
		return err
	}
	cat, err := typeddelete.Query[Category](sess).Get(ctx, 2)
	if err != nil {
		return err
	}
	doc, err := typeddelete.Query[Document](sess).Get(ctx, 1)
	if err != nil {
		return err
	}
	if err := sess.Delete(team, cat, doc); err != nil {
		return err
	}
	// What the Commit will do, read without writing anything.
	preview, err := sess.Preview(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("## preview\n%s## commit\n", preview)
	if err := sess.Commit(ctx); err != nil {
		return err
	}
	fmt.Printf("deleted per table: %v, set to NULL: %v\n\n", sess.LastCommit().Deleted, sess.LastCommit().Updated)

	fmt.Println("# team 2: its project 20 still has a label (Restrict), so nothing is deleted")
	web, err := typeddelete.Query[Team](sess).Get(ctx, 2)
	if err != nil {
		return err
	}
	if err := sess.Delete(web); err != nil {
		return err
	}
	preview, err = sess.Preview(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("## preview\n%s", preview)
	var restricted *typeddelete.RestrictError
	if err := sess.Commit(ctx); !errors.As(err, &restricted) {
		return fmt.Errorf("want a RestrictError, got %v", err)
	}
	fmt.Printf("refused: %v\n", restricted)
	if err := sess.Rollback(ctx); err != nil {
		return err
	}

	fmt.Println("\n# document 2, changed by someone else after it was loaded")
	doc2, err := typeddelete.Query[Document](sess).Get(ctx, 2)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, "UPDATE documents SET version = version + 1 WHERE id = 2"); err != nil {
		return err
	}
	if err := sess.Delete(doc2); err != nil {
		return err
	}
	if err := sess.Commit(ctx); errors.Is(err, typeddelete.ErrVersionConflict) {
		fmt.Printf("refused: %v\n", err)
	} else {
		return fmt.Errorf("want a version conflict, got %v", err)
	}
	if err := sess.Rollback(ctx); err != nil {
		return err
	}

	fmt.Println("\n# rows left")
	for _, table := range []string{"teams", "projects", "tasks", "comments", "labels", "categories", "documents"} {
		rows, err := db.QueryContext(ctx, "SELECT * FROM "+table+" ORDER BY 1")
		if err != nil {
			return err
		}
		var lines []string
		for rows.Next() {
			var a, b any // every table here has two columns
			if err := rows.Scan(&a, &b); err != nil {
				rows.Close()
				return err
			}
			lines = append(lines, fmt.Sprintf("(%v, %v)", a, b))
		}
		rows.Close()
		fmt.Printf("%-10s %s\n", table, strings.Join(lines, " "))
	}
	return nil
}
