package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// row is one line of the printed table.
type row struct {
	what      string
	measured  string
	reference string
	ratio     string
	goal      string
	met       string // "yes", "no" or "—" (no goal, or not measured)
}

// printTable writes rows as a Markdown table.
func printTable(w io.Writer, rows []row) {
	fmt.Fprintln(w, "| what | measured | reference | ratio | goal | met? |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range rows {
		cells := []string{r.what, r.measured, r.reference, r.ratio, r.goal, r.met}
		for i, c := range cells {
			if c == "" {
				c = "—"
			}
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
}

// skippedRow is a row not measured because a tool or a command is missing.
func skippedRow(what, why string) row {
	return row{what: what, measured: "skipped: " + why, met: "—"}
}

// failedRow is a row whose measurement broke; the command exits non-zero.
func failedRow(what string, err error) row {
	return row{what: what, measured: "FAILED: " + err.Error(), met: "no"}
}

// median is the middle value of xs (the mean of the two middle ones for an
// even count). xs must not be empty.
func median[T ~int64 | ~float64](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// yesNo is the met? cell.
func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

// formatRatio prints a ratio as the table does: "0.85×".
func formatRatio(x float64) string {
	switch {
	case x >= 10:
		return fmt.Sprintf("%.0f×", x)
	case x >= 0.095:
		return fmt.Sprintf("%.2f×", x)
	default:
		return fmt.Sprintf("%.3f×", x)
	}
}

// formatRate prints a rate with thousands separators: "12,345 req/s".
func formatRate(perSecond float64, unit string) string {
	n := int64(perSecond + 0.5)
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String() + " " + unit
}

// formatDuration prints a wall time in the unit that suits it.
func formatDuration(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	default:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
}

// formatBytes prints a memory size in MB (10^6 bytes, as the issue does).
func formatBytes(n int64) string {
	if n >= 1e9 {
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	}
	return fmt.Sprintf("%.0f MB", float64(n)/1e6)
}

// formatCount prints a count with thousands separators: "10,000".
func formatCount(n int) string {
	s := formatRate(float64(n), "")
	return strings.TrimSuffix(s, " ")
}
