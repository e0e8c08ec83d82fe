package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"milepost/internal/comments"
)

var commentIDs = regexp.MustCompile(`<li class="comment[^"]*" id="comment-(\d+)"`)

// TestAHugeThreadIsServedInPages: one thread of 5,000 replies made a page
// of megabytes even once pages had 50 threads. Now the thread goes on over
// pages of at most comments.CommentsPerPage comments, each page small, a
// continued page links back to the comment its replies answer, and every
// comment's lasting address leads to the page that shows it.
func TestAHugeThreadIsServedInPages(t *testing.T) {
	h := newHarness(t, massageSite(""))
	const replies = 5000
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	cs := []comments.Comment{{ID: 1, Post: "massage", Name: "Kay", Body: "Who ran the long one today?",
		Status: comments.StatusApproved, Created: start}}
	for i := range replies {
		cs = append(cs, comments.Comment{ID: uint64(i + 2), Post: "massage", Parent: 1, Depth: 1,
			Name: "Reader " + strconv.Itoa(i+2), Body: "Reply number " + strconv.Itoa(i+2) + " with a few words to make it look real.",
			Status: comments.StatusApproved, Created: start.Add(time.Duration(i+1) * time.Minute)})
	}
	if ok, err := h.db.Seed(context.Background(), cs); err != nil || !ok {
		t.Fatalf("seeding: %v, %v", ok, err)
	}

	per := comments.CommentsPerPage
	pages := (len(cs) + per - 1) / per
	pageOf := map[int]int{}
	for page := 1; page <= pages; page++ {
		path := "/posts/massage/"
		if page > 1 {
			path += "?comments=" + strconv.Itoa(page)
		}
		res := h.get(path)
		if res.status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, res.status)
		}
		shown := commentIDs.FindAllStringSubmatch(res.body, -1)
		if len(shown) == 0 || len(shown) > per {
			t.Errorf("page %d shows %d comments, want 1 to %d", page, len(shown), per)
		}
		// 200 short comments come to 105-125 KB; the whole thread was 4.5 MB.
		if size := len(res.body); size > 256<<10 {
			t.Errorf("page %d is %d bytes, more than 256 KiB", page, size)
		}
		for _, m := range shown {
			id, _ := strconv.Atoi(m[1])
			if prev, ok := pageOf[id]; ok {
				t.Errorf("comment %d is on page %d and page %d", id, prev, page)
			}
			pageOf[id] = page
		}
		if want := "Comments page " + strconv.Itoa(page) + " of " + strconv.Itoa(pages); !strings.Contains(res.body, want) {
			t.Errorf("page %d lacks %q", page, want)
		}
		continued := strings.Contains(res.body, `In reply to <a href="/posts/massage/comments/1">`)
		if continued != (page > 1) {
			t.Errorf("page %d links to the comment its replies answer: %v", page, continued)
		}
	}
	if len(pageOf) != len(cs) {
		t.Errorf("the pages show %d comments, want %d", len(pageOf), len(cs))
	}
	for _, c := range cs {
		id := strconv.FormatUint(c.ID, 10)
		res := h.get("/posts/massage/comments/" + id)
		want := "/posts/massage/#comment-" + id
		if p := pageOf[int(c.ID)]; p > 1 {
			want = "/posts/massage/?comments=" + strconv.Itoa(p) + "#comment-" + id
		}
		if got := res.header.Get("Location"); got != want {
			t.Fatalf("comment %d's address leads to %q, want %q (status %d)", c.ID, got, want, res.status)
		}
	}
}
