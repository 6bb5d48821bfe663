package typeddelete

// policy is what a relation with one OnDelete policy contributes to a
// unit's plan, for the rows the unit removes at node from. Handlers only
// add to the graph; emit turns the graph into steps.
type policy func(g *graph, from *node, r *relation)

// policies holds the handler of each OnDelete policy.
var policies = [...]policy{
	Restrict:   restrictPolicy,
	Cascade:    cascadePolicy,
	SetNull:    reassignPolicy,
	Database:   databasePolicy,
	Protect:    restrictPolicy,
	SetDefault: reassignPolicy,
	SetValue:   reassignPolicy,
}

// reassignWords names what each reassigning policy does to the children,
// for the log and for errors.
var reassignWords = [...]string{
	SetNull:    "set null",
	SetDefault: "set default",
	SetValue:   "set value",
}

// cascadePolicy removes the children too, in the unit's mode; a soft
// delete leaves children that cannot be soft-deleted as they are, and a
// restore follows only the children a soft delete reached. A
// relation to the model itself makes the table a tree: the descendants of
// every removed row go too.
func cascadePolicy(g *graph, from *node, r *relation) {
	if r.self() {
		from.tree = r
		return
	}
	if (from.soft || from.restore) && r.child.softDelete == nil {
		return
	}
	n, _ := g.node(r.child, from.soft)
	n.in = append(n.in, edge{r: r, from: from})
}

// restrictPolicy refuses the Commit while children remain: Restrict lets
// go children the unit removes through another relation, Protect does not.
func restrictPolicy(g *graph, from *node, r *relation) {
	g.restricts = append(g.restricts, edge{r: r, from: from})
}

// reassignPolicy sets the children's foreign key to NULL, its default or
// a value (SetNull, SetDefault, SetValue) before their parent is deleted.
// A soft delete leaves the parent row, and so the reference, in place.
func reassignPolicy(g *graph, from *node, r *relation) {
	if from.soft {
		return
	}
	g.sets = append(g.sets, edge{r: r, from: from})
}

// databasePolicy leaves the children to the database's own ON DELETE.
func databasePolicy(g *graph, from *node, r *relation) {
	g.dbs = append(g.dbs, edge{r: r, from: from})
}
