//go:build cgo

package typeddelete_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/typeddelete/typeddelete"
)

// Posts and tags, linked through post_tags.

type exPost struct {
	ID int64 `db:"id,pk"`
}

func (exPost) TableName() string { return "ex_posts" }
func (exPost) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.ManyToMany[exTag]("ex_post_tags", "post_id", "tag_id")}
}

type exTag struct {
	ID int64 `db:"id,pk"`
}

func (exTag) TableName() string { return "ex_tags" }
func (exTag) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.ManyToMany[exPost]("ex_post_tags", "tag_id", "post_id")}
}

// Deleting a post removes its links to tags, and keeps the tags.
func ExampleManyToMany() {
	db := exOpen(`
CREATE TABLE ex_posts (id INTEGER PRIMARY KEY);
CREATE TABLE ex_tags (id INTEGER PRIMARY KEY);
CREATE TABLE ex_post_tags (post_id INTEGER NOT NULL REFERENCES ex_posts(id), tag_id INTEGER NOT NULL REFERENCES ex_tags(id),
	PRIMARY KEY (post_id, tag_id));
INSERT INTO ex_posts (id) VALUES (1), (2);
INSERT INTO ex_tags (id) VALUES (7), (8);
INSERT INTO ex_post_tags (post_id, tag_id) VALUES (1, 7), (1, 8), (2, 8)`)
	defer db.Close()
	ctx := context.Background()

	sess := typeddelete.NewSession(db)
	_ = sess.Delete(&exPost{ID: 1})
	if err := sess.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("deleted:", sess.LastCommit().Deleted)
	tags, _ := typeddelete.Query[exTag](sess).Count(ctx)
	fmt.Println("tags kept:", tags)
	// Output:
	// deleted: map[ex_post_tags:2 ex_posts:1]
	// tags kept: 2
}

// Accounts whose orders reference their UNIQUE number, not their key.

type exAccount struct {
	ID     int64  `db:"id,pk"`
	Number string `db:"number"`
}

func (exAccount) TableName() string { return "ex_accounts" }
func (exAccount) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[exOrder](typeddelete.Cascade, "account_number").References("number"),
	}
}

type exOrder struct {
	ID            int64  `db:"id,pk"`
	AccountNumber string `db:"account_number"`
}

func (exOrder) TableName() string { return "ex_orders" }

// A foreign key to a UNIQUE column: the relation follows the account's
// number.
func ExampleRelation_References() {
	db := exOpen(`
CREATE TABLE ex_accounts (id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE);
CREATE TABLE ex_orders (id INTEGER PRIMARY KEY, account_number TEXT NOT NULL REFERENCES ex_accounts(number));
INSERT INTO ex_accounts (id, number) VALUES (1, 'A-2'), (2, 'A-1');
INSERT INTO ex_orders (id, account_number) VALUES (10, 'A-1'), (20, 'A-2')`)
	defer db.Close()
	ctx := context.Background()

	sess := typeddelete.NewSession(db)
	_ = sess.Delete(&exAccount{ID: 1})
	if err := sess.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	left, _ := typeddelete.Query[exOrder](sess).All(ctx)
	fmt.Println("deleted:", sess.LastCommit().Deleted, "order left:", left[0].ID, left[0].AccountNumber)
	// Output:
	// deleted: map[ex_accounts:1 ex_orders:1] order left: 10 A-1
}

// Owners and pets: a pet goes to the owner the column defaults to, or to
// the shelter.

type exOwner struct {
	ID int64 `db:"id,pk"`
}

func (exOwner) TableName() string { return "ex_owners" }
func (exOwner) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{
		typeddelete.HasMany[exPet](typeddelete.SetDefault, "owner_id"),
		typeddelete.HasMany[exPet](typeddelete.SetValue, "vet_id").Value(int64(9)),
	}
}

type exPet struct {
	ID      int64 `db:"id,pk"`
	OwnerID int64 `db:"owner_id"`
	VetID   int64 `db:"vet_id"`
}

func (exPet) TableName() string { return "ex_pets" }

// SetDefault and SetValue, Django's SET_DEFAULT and SET(...), on every
// database: the children's foreign key changes before the parent goes.
func ExampleRelation_Value() {
	db := exOpen(`
CREATE TABLE ex_owners (id INTEGER PRIMARY KEY);
CREATE TABLE ex_pets (id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL DEFAULT 0 REFERENCES ex_owners(id),
	vet_id INTEGER NOT NULL REFERENCES ex_owners(id));
INSERT INTO ex_owners (id) VALUES (0), (1), (9);
INSERT INTO ex_pets (id, owner_id, vet_id) VALUES (10, 1, 1)`)
	defer db.Close()
	ctx := context.Background()

	sess := typeddelete.NewSession(db)
	_ = sess.Delete(&exOwner{ID: 1})
	if err := sess.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	pet, _ := typeddelete.Query[exPet](sess).Get(ctx, int64(10))
	fmt.Println("owner:", pet.OwnerID, "vet:", pet.VetID, "updated:", sess.LastCommit().Updated)
	// Output:
	// owner: 0 vet: 9 updated: map[ex_pets:2]
}

// A soft-deletable document with soft-deletable pages.

type exDoc struct {
	ID        int64      `db:"id,pk"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (exDoc) TableName() string { return "ex_docs" }
func (exDoc) Relations() []typeddelete.Relation {
	return []typeddelete.Relation{typeddelete.HasMany[exPage](typeddelete.Cascade, "doc_id")}
}

type exPage struct {
	ID        int64      `db:"id,pk"`
	DocID     int64      `db:"doc_id"`
	DeletedAt *time.Time `db:"deleted_at,softdelete"`
}

func (exPage) TableName() string { return "ex_pages" }

const exDocsSchema = `
CREATE TABLE ex_docs (id INTEGER PRIMARY KEY, deleted_at DATETIME);
CREATE TABLE ex_pages (id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL REFERENCES ex_docs(id), deleted_at DATETIME);
INSERT INTO ex_docs (id) VALUES (1);
INSERT INTO ex_pages (id, doc_id) VALUES (10, 1), (11, 1)`

// Restore undoes a soft delete, with the children it reached; the object
// reflects each Commit.
func ExampleSession_Restore() {
	db := exOpen(exDocsSchema)
	defer db.Close()
	ctx := context.Background()

	sess := typeddelete.NewSession(db)
	doc := &exDoc{ID: 1}
	_ = sess.Delete(doc)
	if err := sess.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("soft-deleted:", sess.LastCommit().SoftDeleted, "stamped:", doc.DeletedAt != nil)

	_ = sess.Restore(doc)
	if err := sess.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("restored:", sess.LastCommit().Restored, "stamped:", doc.DeletedAt != nil)
	// Output:
	// soft-deleted: map[ex_docs:1 ex_pages:2] stamped: true
	// restored: map[ex_docs:1 ex_pages:2] stamped: false
}

// The trash: OnlyDeleted reads the soft-deleted rows, and with HardDelete
// empties it.
func ExampleTypedQuery_OnlyDeleted() {
	db := exOpen(exDocsSchema)
	defer db.Close()
	ctx := context.Background()

	sess := typeddelete.NewSession(db)
	_ = sess.Delete(&exPage{ID: 10})
	if err := sess.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	trash, _ := typeddelete.Query[exPage](sess).OnlyDeleted().All(ctx)
	fmt.Println("in the trash:", len(trash), trash[0].ID)

	_, _ = typeddelete.Query[exPage](sess).OnlyDeleted().HardDelete().Delete()
	if err := sess.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("deleted:", sess.LastCommit().Deleted)
	// Output:
	// in the trash: 1 10
	// deleted: map[ex_pages:1]
}
