package web

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestEncodedBodiesKeepWithinTheirByteBudgetDroppingTheLeastRecentlyUsed(t *testing.T) {
	c := newEncodedBodies(10_000)
	// Random bytes compress to about their own size: 40 pages of 1 KB
	// go well over the budget.
	rnd := rand.New(rand.NewPCG(1, 2))
	page := make([]byte, 1000)
	for i := range page {
		page[i] = byte(rnd.Uint32())
	}
	gz := &encodings[2] // gzip
	var sizes []int
	for i := range 40 {
		body, err := c.get(`"page`+strconv.Itoa(i)+`-gzip"`, gz, append(page[:len(page):len(page)], byte(i)))
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(body))
		// The first page is read again each time: used recently, kept.
		if _, err := c.get(`"page0-gzip"`, gz, nil); err != nil {
			t.Fatal(err)
		}
		if c.used > c.budget {
			t.Fatalf("after %d pages: %d bytes kept, budget %d", i+1, c.used, c.budget)
		}
	}
	if _, ok := c.byKey[`"page0-gzip"`]; !ok {
		t.Error("the most recently used page was dropped")
	}
	if _, ok := c.byKey[`"page1-gzip"`]; ok {
		t.Error("the least recently used page is still kept")
	}
	total := 0
	for _, n := range sizes {
		total += n
	}
	if total <= c.budget {
		t.Fatalf("the test never went over the budget (%d bytes in all)", total)
	}
}

// BenchmarkCompression compresses a 40 KB page in each encoding, as a miss
// of the encoded-body cache does once per page and encoding.
func BenchmarkCompression(b *testing.B) {
	var page []byte
	for i := range 200 {
		page = append(page, `<li class="comment" id="comment-`+strconv.Itoa(i)+`"><p>Reader `+strconv.Itoa(i)+
			` wrote: easy miles along the river, then strides.</p></li>`+"\n"...)
	}
	for i := range encodings {
		e := &encodings[i]
		b.Run(e.name, func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			var out []byte
			for b.Loop() {
				var err error
				if out, err = e.compress(page); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(out))/float64(len(page)), "ratio")
		})
	}
}
