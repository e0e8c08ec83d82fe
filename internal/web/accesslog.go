package web

import (
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// The access log's line is the one slog's TextHandler writes for the
// record accessLog would hand it (TestAnAccessLineIsSlogsOwnLine holds
// them to the same bytes), appended directly when Options.AccessLog is
// set: the handler's generic walk of the attributes was over a third of
// the handler's own time for a page answered 304.

// accessLine is one request, as logged.
type accessLine struct {
	end           time.Time
	method, path  string
	status, bytes int
	duration      time.Duration
	ip            string
}

func (l accessLine) append(b []byte) []byte {
	b = append(b, "time="...)
	b = l.end.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	b = append(b, " level=INFO msg=request method="...)
	b = appendLogString(b, l.method)
	b = append(b, " path="...)
	b = appendLogString(b, l.path)
	b = append(b, " status="...)
	b = strconv.AppendInt(b, int64(l.status), 10)
	b = append(b, " bytes="...)
	b = strconv.AppendInt(b, int64(l.bytes), 10)
	b = append(b, " duration="...)
	b = append(b, l.duration.String()...)
	b = append(b, " ip="...)
	b = appendLogString(b, l.ip)
	return append(b, '\n')
}

// record is the line as a slog record, for a Log without an AccessLog.
// It is handed to the handler directly: Logger.LogAttrs would also walk
// the stack for the caller's address, which the line does not show, on
// every request.
func (l accessLine) record() slog.Record {
	r := slog.NewRecord(l.end, slog.LevelInfo, "request", 0)
	r.AddAttrs(
		slog.String("method", l.method),
		slog.String("path", l.path),
		slog.Int("status", l.status),
		slog.Int("bytes", l.bytes),
		slog.Duration("duration", l.duration),
		slog.String("ip", l.ip),
	)
	return r
}

// appendLogString appends s as slog's TextHandler writes a value: bare, or
// quoted when it is empty or holds a space, '=', '"', a control character,
// or a character beyond ASCII that is a space or not printable.
func appendLogString(b []byte, s string) []byte {
	if needsLogQuotes(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func needsLogQuotes(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == '=' || c == '"' {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}

var accessBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}
