package feed_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"milepost/internal/feed"
)

func TestCommentFeedParsesBackWithoutPrivateData(t *testing.T) {
	at := time.Date(2011, 10, 4, 8, 14, 0, 0, time.UTC)
	var items []feed.CommentItem
	for i := 30; i >= 1; i-- {
		items = append(items, feed.CommentItem{
			ID: uint64(i), PostSlug: "massage-during-training", PostTitle: "Massage during training",
			Name: "", HTML: "<p>I’ve gotten a few massages &amp; more.</p>", Created: at.Add(time.Duration(i) * time.Hour),
		})
	}
	items[0].Name = "Dana"
	b, err := feed.BuildComments(feed.Channel{
		Title: "Comments · Milepost", BaseURL: "https://runners.example.org", Path: "/", Language: "en",
	}, items)
	if err != nil {
		t.Fatal(err)
	}
	f, err := gofeed.NewParser().ParseString(string(b))
	if err != nil {
		t.Fatalf("parsing: %v\n%s", err, b)
	}
	if f.FeedType != "rss" || len(f.Items) != feed.MaxItems {
		t.Fatalf("%s feed with %d items, want rss with %d", f.FeedType, len(f.Items), feed.MaxItems)
	}
	first := f.Items[0]
	if first.Title != "Dana on “Massage during training”" ||
		first.Link != "https://runners.example.org/posts/massage-during-training/comments/30" ||
		first.GUID != "tag:runners.example.org,2011-10-05:comment:30" ||
		!strings.Contains(first.Description, "I’ve gotten a few massages &amp; more.") {
		t.Errorf("first item = %q %q %q %q", first.Title, first.Link, first.GUID, first.Description)
	}
	if f.Items[1].Title != "An anonymous reader on “Massage during training”" {
		t.Errorf("anonymous item title = %q", f.Items[1].Title)
	}
	// The commenter's name is in dc:creator, never in RSS's <author>.
	if first.Author == nil || first.Author.Name != "Dana" || first.Author.Email != "" {
		t.Errorf("first item's author = %+v, want Dana", first.Author)
	}
	creators := rssCreators(t, b)
	if len(creators) != feed.MaxItems || creators[0] != "Dana" || creators[1] != "An anonymous reader" {
		t.Errorf("items' dc:creator = %q", creators)
	}
	if f.FeedLink != "https://runners.example.org/comments.xml" {
		t.Errorf("self link = %q", f.FeedLink)
	}
	if strings.Contains(string(b), "@") {
		t.Error("the comment feed contains an @: no email may ever appear")
	}
}
