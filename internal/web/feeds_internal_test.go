package web

import (
	"strconv"
	"testing"

	"milepost/internal/content"
)

// The feed cache forgets the feeds used least recently, one at a time, when
// full: requests naming ever more hosts (the key without a base_url) cost a
// build each, never the feeds readers keep polling, and never more memory.
func TestTheFeedCacheForgetsTheLeastRecentlyUsedFeed(t *testing.T) {
	var c feedCache
	site := &content.Site{}
	builds := map[string]int{}
	get := func(host string) {
		t.Helper()
		k := feedKey{base: "http://" + host, path: "/feed.xml", visible: 1}
		if _, err := c.get(site, k, func() (builtFeed, error) {
			builds[host]++
			return builtFeed{body: []byte(host)}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	const readers = "runners.example.org"
	get(readers)
	last := maxCachedFeeds + 100
	for i := range last + 1 {
		get("h" + strconv.Itoa(i) + ".example")
		// The readers' feed is polled between the made-up hosts.
		get(readers)
		if len(c.entries) > maxCachedFeeds {
			t.Fatalf("the cache holds %d feeds, past its bound of %d", len(c.entries), maxCachedFeeds)
		}
	}
	if n := builds[readers]; n != 1 {
		t.Errorf("the feed polled all along was built %d times, want once", n)
	}
	// The oldest of the made-up hosts is gone; the newest is kept.
	get("h0.example")
	get("h" + strconv.Itoa(last) + ".example")
	if builds["h0.example"] != 2 || builds["h"+strconv.Itoa(last)+".example"] != 1 {
		t.Errorf("builds: h0 %d (want 2: forgotten), h%d %d (want 1: kept)", builds["h0.example"], last, builds["h"+strconv.Itoa(last)+".example"])
	}
	// A new site starts afresh.
	if _, err := c.get(&content.Site{}, feedKey{path: "/feed.xml"}, func() (builtFeed, error) { return builtFeed{}, nil }); err != nil {
		t.Fatal(err)
	}
	if len(c.entries) != 1 {
		t.Errorf("after a reload the cache holds %d feeds, want 1", len(c.entries))
	}
}
