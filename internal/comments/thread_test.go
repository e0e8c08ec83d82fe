package comments

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2011, 10, 4, 9, 0, 0, 0, time.FixedZone("PDT", -7*3600))

// at makes a comment created minutes after t0.
func at(id, parent uint64, minutes int, status Status) Comment {
	return Comment{ID: id, Post: "p", Parent: parent, Body: fmt.Sprint("c", id),
		Status: status, Created: t0.Add(time.Duration(minutes) * time.Minute)}
}

// shape draws a thread as "1(2(4) 3) 5": IDs, children in brackets.
func shape(nodes []*Node) string {
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		parts[i] = fmt.Sprint(n.Comment.ID)
		if len(n.Children) > 0 {
			parts[i] += "(" + shape(n.Children) + ")"
		}
	}
	return strings.Join(parts, " ")
}

func approved(c Comment) bool { return c.Status == StatusApproved }

func TestThread(t *testing.T) {
	const A, P, S = StatusApproved, StatusPending, StatusSpam
	cases := []struct {
		name string
		in   []Comment
		want string
	}{
		{"empty", nil, ""},
		{"flat, oldest first whatever the input order",
			[]Comment{at(3, 0, 30, A), at(1, 0, 10, A), at(2, 0, 20, A)}, "1 2 3"},
		{"same instant falls back to ID",
			[]Comment{at(9, 0, 10, A), at(4, 0, 10, A)}, "4 9"},
		{"created time wins over ID (seeded comments)",
			[]Comment{at(1, 0, 50, A), at(2, 0, 10, A)}, "2 1"},
		{"replies nest, oldest first at every level",
			[]Comment{at(1, 0, 0, A), at(2, 0, 5, A), at(3, 1, 30, A), at(4, 1, 10, A), at(5, 4, 40, A), at(6, 2, 1, A)},
			"1(4(5) 3) 2(6)"},
		{"reply listed before its parent",
			[]Comment{at(5, 1, 10, A), at(1, 0, 0, A)}, "1(5)"},
		{"hidden parent: reply moves up to the grandparent",
			[]Comment{at(1, 0, 0, A), at(2, 1, 1, S), at(3, 2, 2, A)}, "1(3)"},
		{"hidden chain: reply moves up to the nearest visible ancestor",
			[]Comment{at(1, 0, 0, A), at(2, 1, 1, A), at(3, 2, 2, P), at(4, 3, 3, S), at(5, 4, 4, A)}, "1(2(5))"},
		{"hidden root: its replies become roots, in age order",
			[]Comment{at(1, 0, 0, P), at(2, 1, 9, A), at(3, 0, 5, A)}, "3 2"},
		{"missing (deleted) parent: reply becomes a root",
			[]Comment{at(1, 0, 0, A), at(3, 2, 5, A)}, "1 3"},
		{"moved-up replies keep age order among siblings",
			[]Comment{at(1, 0, 0, A), at(2, 1, 1, S), at(3, 2, 30, A), at(4, 1, 20, A)}, "1(4 3)"},
		{"hidden comments never appear",
			[]Comment{at(1, 0, 0, S), at(2, 0, 1, P)}, ""},
		{"a loop of parents does not hang",
			[]Comment{at(1, 2, 0, P), at(2, 1, 1, P), at(3, 1, 2, A)}, "3"},
		{"a comment that is its own parent is a root",
			[]Comment{at(1, 1, 0, A)}, "1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := shape(Thread(tc.in, approved)); got != tc.want {
				t.Errorf("Thread = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestThreadNilFilterShowsAll(t *testing.T) {
	in := []Comment{at(1, 0, 0, StatusSpam), at(2, 1, 1, StatusPending)}
	if got := shape(Thread(in, nil)); got != "1(2)" {
		t.Errorf("Thread(nil filter) = %q, want %q", got, "1(2)")
	}
}

func TestThreadDoesNotReorderInput(t *testing.T) {
	in := []Comment{at(3, 0, 30, StatusApproved), at(1, 0, 10, StatusApproved)}
	Thread(in, approved)
	if in[0].ID != 3 || in[1].ID != 1 {
		t.Errorf("input reordered: %v, %v", in[0].ID, in[1].ID)
	}
}

// TestReplyDepthIsTheOneRule: a reply is one level under its parent, and
// threads nest MaxDepth levels, 0 to MaxDepth-1.
func TestReplyDepthIsTheOneRule(t *testing.T) {
	for parent := -1; parent <= MaxDepth; parent++ {
		depth, ok := ReplyDepth(parent)
		if depth != parent+1 || ok != (parent+1 <= MaxDepth-1) {
			t.Errorf("ReplyDepth(%d) = %d, %v", parent, depth, ok)
		}
	}
	if _, ok := ReplyDepth(MaxDepth - 2); !ok {
		t.Error("a reply at the deepest level is refused")
	}
	if _, ok := ReplyDepth(MaxDepth - 1); ok {
		t.Error("a reply below the deepest level is allowed")
	}
}
