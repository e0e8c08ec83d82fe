package web

import (
	"strconv"
	"testing"
)

func TestChooseEncodingReadsQValuesAndWildcards(t *testing.T) {
	for accept, want := range map[string]string{
		"":                             "",
		"gzip, deflate, br, zstd":      "zstd",
		"GZIP":                         "gzip",
		"br;q=0.5, gzip;q=0.9":         "gzip",
		"*;q=0.1, gzip;q=0":            "zstd",
		"zstd;q=0, br;q=0, gzip;q=0":   "",
		"identity, *;q=0":              "",
		" br ; q=0.8 , zstd ; q=0.7 ":  "br",
		"gzip;q=bad, br":               "br",
		"deflate, compress, x-unknown": "",
	} {
		got := ""
		if e := chooseEncoding(accept); e != nil {
			got = e.name
		}
		if got != want {
			t.Errorf("Accept-Encoding %q: %q, want %q", accept, got, want)
		}
	}
}

func TestChooseEncodingAllocatesNothing(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { chooseEncoding("gzip, deflate, br;q=0.9, zstd") }); n != 0 {
		t.Errorf("%v allocations a call, want none: it runs on every kept page served", n)
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
