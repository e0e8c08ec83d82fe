package comments

import (
	"cmp"
	"slices"
)

// Thread arranges a post's comments into reply trees, oldest first at every
// level. Only comments for which visible returns true appear (nil shows all).
// A visible reply whose parent is missing (deleted) or hidden (pending, spam)
// is shown under its nearest visible ancestor, or as a top-level comment when
// there is none, so that hiding one comment never hides the answers to it.
func Thread(cs []Comment, visible func(Comment) bool) []*Node {
	if visible == nil {
		visible = func(Comment) bool { return true }
	}
	byID := make(map[uint64]*Comment, len(cs))
	for i := range cs {
		byID[cs[i].ID] = &cs[i]
	}
	nodes := make(map[uint64]*Node, len(cs))
	var shown []*Node
	for _, c := range cs {
		if visible(c) {
			n := &Node{Comment: c}
			nodes[c.ID] = n
			shown = append(shown, n)
		}
	}
	// Sorting before attaching makes every Children list come out sorted.
	slices.SortStableFunc(shown, func(a, b *Node) int { return compareAge(a.Comment, b.Comment) })

	var roots []*Node
	for _, n := range shown {
		if p := visibleAncestor(n.Comment, byID, nodes); p != nil {
			p.Children = append(p.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	return roots
}

// visibleAncestor walks up from c to the first ancestor that is shown. The
// walk is bounded by the number of comments, so a corrupt cycle of parents
// ends it rather than looping.
func visibleAncestor(c Comment, byID map[uint64]*Comment, shown map[uint64]*Node) *Node {
	seen := 0
	for id := c.Parent; id != 0 && id != c.ID && seen <= len(byID); seen++ {
		if n, ok := shown[id]; ok {
			return n
		}
		p, ok := byID[id]
		if !ok {
			return nil
		}
		id = p.Parent
	}
	return nil
}

// compareAge orders comments oldest first; the ID breaks ties between
// comments made in the same instant (or imported without a time zone's care).
func compareAge(a, b Comment) int {
	if c := a.Created.Compare(b.Created); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// SortOldestFirst sorts comments by creation time, then ID: the order of
// Store.ByPost.
func SortOldestFirst(cs []Comment) {
	slices.SortStableFunc(cs, compareAge)
}
