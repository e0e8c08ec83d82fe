package web

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"
)

func TestAnAccessLineIsSlogsOwnLine(t *testing.T) {
	end := time.Date(2026, 12, 1, 3, 4, 5, 678901234, time.FixedZone("", -7*3600))
	for _, path := range []string{
		"/", "/posts/massage/", "/search", "", "/a b", "/a=b", `/a"b`, `/a\b`, "/tab\there", "/nl\n",
		"/\x00", "/\x7f", "/caf\u00e9", "/\u00a0nbsp", "/zero\u200bwidth", "/emoji\U0001F3C3", "/bad\xffutf8",
		"/µs", "/%20", "/posts/x/preview/TOKEN",
	} {
		line := accessLine{end: end, method: "GET", path: path, status: 304, bytes: 0, duration: 41234 * time.Nanosecond, ip: "2001:db8::1"}
		var want bytes.Buffer
		if err := slog.NewTextHandler(&want, nil).Handle(context.Background(), line.record()); err != nil {
			t.Fatal(err)
		}
		if got := line.append(nil); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("path %q:\n got %s\nwant %s", path, got, want.Bytes())
		}
	}
	for _, odd := range []accessLine{
		{end: end.UTC(), method: "M-SEARCH", path: "/", status: 200, bytes: 1 << 40, duration: 3*time.Hour + time.Nanosecond, ip: ""},
		{end: time.Date(2026, 1, 1, 0, 0, 0, 999999999, time.UTC), method: "", path: "/", status: 599, duration: 0, ip: "203.0.113.9"},
	} {
		var want bytes.Buffer
		_ = slog.NewTextHandler(&want, nil).Handle(context.Background(), odd.record())
		if got := odd.append(nil); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("\n got %s\nwant %s", got, want.Bytes())
		}
	}
}
