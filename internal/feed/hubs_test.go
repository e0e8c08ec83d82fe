package feed_test

import (
	"encoding/json"
	"encoding/xml"
	"slices"
	"testing"

	"milepost/internal/feed"
)

// hubLinks are the hrefs of the links with rel="hub" anywhere in an XML
// feed, as a WebSub subscriber finds them (any namespace).
func hubLinks(t *testing.T, data []byte) []string {
	t.Helper()
	var doc struct {
		Links   []xmlLink `xml:"link"`
		Channel struct {
			Links []xmlLink `xml:"link"`
		} `xml:"channel"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parsing the feed: %v", err)
	}
	var out []string
	for _, l := range append(doc.Links, doc.Channel.Links...) {
		if l.Rel == "hub" {
			out = append(out, l.Href)
		}
	}
	return out
}

type xmlLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
}

func TestEveryFeedFormatNamesItsHubs(t *testing.T) {
	hubs := []string{"https://hub.example/", "https://pubsubhubbub.example/publish"}
	ch := siteChannel()
	ch.Hubs = hubs
	for _, f := range []feed.Format{feed.RSS, feed.Atom} {
		data, err := feed.Build(ch, samplePosts(), f)
		if err != nil {
			t.Fatal(err)
		}
		if got := hubLinks(t, data); !slices.Equal(got, hubs) {
			t.Errorf("%v feed's hub links = %v, want %v", f, got, hubs)
		}
		parse(t, data) // still a feed readers read
		plain, _ := feed.Build(siteChannel(), samplePosts(), f)
		if got := hubLinks(t, plain); len(got) != 0 {
			t.Errorf("%v feed without hubs names %v", f, got)
		}
	}
	data, err := feed.Build(ch, samplePosts(), feed.JSON)
	if err != nil {
		t.Fatal(err)
	}
	var jf struct {
		Hubs []struct{ Type, URL string } `json:"hubs"`
	}
	if err := json.Unmarshal(data, &jf); err != nil {
		t.Fatal(err)
	}
	if len(jf.Hubs) != 2 || jf.Hubs[0].Type != "WebSub" || jf.Hubs[0].URL != hubs[0] || jf.Hubs[1].URL != hubs[1] {
		t.Errorf("JSON Feed hubs = %+v, want both, of type WebSub", jf.Hubs)
	}
}
