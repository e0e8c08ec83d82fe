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
	c := feedCache{max: 3}
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
	get("runners.example.org")
	for i := range 100 {
		get("h" + strconv.Itoa(i) + ".example")
		// The readers' feed is polled between the made-up hosts.
		get("runners.example.org")
		if c.lru.Len() > 3 || len(c.entries) > 3 {
			t.Fatalf("the cache holds %d feeds (%d keys), past its bound of 3", c.lru.Len(), len(c.entries))
		}
	}
	if n := builds["runners.example.org"]; n != 1 {
		t.Errorf("the feed polled all along was built %d times, want once", n)
	}
	// The oldest of the made-up hosts is gone; the newest are kept.
	get("h0.example")
	get("h99.example")
	if builds["h0.example"] != 2 || builds["h99.example"] != 1 {
		t.Errorf("builds: h0 %d (want 2: forgotten), h99 %d (want 1: kept)", builds["h0.example"], builds["h99.example"])
	}
	// A new site starts afresh.
	c.get(&content.Site{}, feedKey{path: "/feed.xml"}, func() (builtFeed, error) { return builtFeed{}, nil })
	if c.lru.Len() != 1 {
		t.Errorf("after a reload the cache holds %d feeds, want 1", c.lru.Len())
	}
}
