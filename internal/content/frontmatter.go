package content

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"
)

// lineError is a problem at one line of the file being loaded. The loader
// turns it into a Problem once it knows the file's name.
type lineError struct {
	line int // 1-based; 0 when no line applies
	err  error
}

func errAt(line int, format string, args ...any) *lineError {
	return &lineError{line: line, err: fmt.Errorf(format, args...)}
}

// document is a content file split into its front matter and Markdown body.
type document struct {
	format string // "YAML" or "TOML"
	front  []byte
	// frontLine is the file line of the first front matter line; endLine is
	// the line of the closing delimiter. Parser line n is file line
	// n+frontLine-1.
	frontLine, endLine int
	body               []byte
}

// openLine is the line of the opening delimiter, where problems that belong
// to the front matter as a whole (a missing key, say) are reported.
const openLine = 1

var errNoFrontMatter = errors.New("no front matter: the file must start with a --- (YAML) or +++ (TOML) line")

// checkUTF8 reports the line of the first byte that is not UTF-8: every later
// step (YAML, TOML, goldmark, templates) assumes valid text.
func checkUTF8(src []byte) *lineError {
	if utf8.Valid(src) {
		return nil
	}
	line := 1
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && n <= 1 {
			return errAt(line, "invalid UTF-8 (byte %#x)", src[i])
		}
		if r == '\n' {
			line++
		}
		i += n
	}
	return errAt(line, "invalid UTF-8") // unreachable: utf8.Valid said otherwise
}

// splitDocument finds the front matter between a first line of --- (YAML) or
// +++ (TOML) and the next line with the same delimiter, as Hugo does.
func splitDocument(src []byte) (document, *lineError) {
	src = bytes.TrimPrefix(src, []byte("\uFEFF")) // editors on Windows add a BOM
	first, pos := nextLine(src, 0)
	delim := delimiter(first)
	var doc document
	switch delim {
	case "---":
		doc.format = "YAML"
	case "+++":
		doc.format = "TOML"
	default:
		return document{}, &lineError{line: openLine, err: errNoFrontMatter}
	}
	start := pos
	for line := openLine + 1; pos < len(src); line++ {
		l, next := nextLine(src, pos)
		if delimiter(l) == delim {
			doc.front = src[start:pos]
			doc.frontLine = openLine + 1
			doc.endLine = line
			doc.body = src[next:]
			return doc, nil
		}
		pos = next
	}
	return document{}, errAt(openLine, "unterminated front matter: no closing %s line", delim)
}

// nextLine returns the line starting at pos, without its newline, and the
// position after the newline.
func nextLine(src []byte, pos int) ([]byte, int) {
	if i := bytes.IndexByte(src[pos:], '\n'); i >= 0 {
		return src[pos : pos+i], pos + i + 1
	}
	return src[pos:], len(src)
}

// delimiter is the line with the trailing white space (and the \r of CRLF
// files) removed.
func delimiter(line []byte) string {
	return string(bytes.TrimRight(line, " \t\r"))
}

// field is one top-level front matter key, decoded the same way whichever the
// format, with the line of its key for problems.
type field struct {
	key   string // as written
	line  int
	value any // nil for an empty value
	// text is the value's text when it is a scalar (text, number, boolean).
	// YAML keeps the text as written, so title: 1.10 stays "1.10".
	text   string
	scalar bool
	// items is the text of each item when the value is a list of scalars.
	items []string
	list  bool
	// fields are the keys of a value that is a map (run:), each with its
	// own line, named "run.distance"; nil for any other value.
	fields []field
}

// parseFront decodes the front matter of doc into its top-level fields, in
// the order they were written.
func parseFront(doc document) ([]field, *lineError) {
	if doc.format == "TOML" {
		return parseTOML(doc)
	}
	return parseYAML(doc)
}

// yamlLineRE matches the position yaml.v3 puts into its syntax errors.
var yamlLineRE = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)

func parseYAML(doc document) ([]field, *lineError) {
	var root yaml.Node
	if err := yaml.Unmarshal(doc.front, &root); err != nil {
		return nil, yamlSyntaxError(doc, err)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, nil // only comments, or nothing at all
	}
	m := root.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil, errAt(doc.fileLine(m.Line), "front matter must be keys with values, not %s", describeNode(m))
	}
	fields := make([]field, 0, len(m.Content)/2)
	seen := make(map[string]int, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		line := doc.fileLine(k.Line)
		if k.Kind != yaml.ScalarNode {
			return nil, errAt(line, "front matter keys must be names, not %s", describeNode(k))
		}
		// Known keys match whatever their case, so a second spelling of one
		// is as much a duplicate as the same spelling twice.
		if first, dup := seen[strings.ToLower(k.Value)]; dup {
			return nil, errAt(line, "duplicate key %q (first on line %d)", k.Value, first)
		}
		seen[strings.ToLower(k.Value)] = line
		f, lerr := yamlField(doc, k.Value, line, v)
		if lerr != nil {
			return nil, lerr
		}
		fields = append(fields, f)
	}
	return fields, nil
}

// yamlField decodes the value v of the key written key at the file line
// line; the keys of a map value become its fields.
func yamlField(doc document, key string, line int, v *yaml.Node) (field, *lineError) {
	f := field{key: key, line: line}
	if err := v.Decode(&f.value); err != nil {
		return field{}, errAt(doc.fileLine(v.Line), "decoding %s: %v", key, err)
	}
	if v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	switch {
	case v.Kind == yaml.ScalarNode && f.value != nil:
		f.text, f.scalar = v.Value, true
	case v.Kind == yaml.SequenceNode:
		f.list = true
		for _, it := range v.Content {
			if it.Kind == yaml.AliasNode {
				it = it.Alias
			}
			if it.Kind != yaml.ScalarNode || it.Tag == "!!null" {
				f.list, f.items = false, nil
				break
			}
			f.items = append(f.items, it.Value)
		}
	case v.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(v.Content); i += 2 {
			k := v.Content[i]
			if k.Kind != yaml.ScalarNode {
				continue // the map is then not what its key takes; its reader says so
			}
			sub, lerr := yamlField(doc, key+"."+k.Value, doc.fileLine(k.Line), v.Content[i+1])
			if lerr != nil {
				return field{}, lerr
			}
			f.fields = append(f.fields, sub)
		}
	}
	return f, nil
}

// fileLine turns a line of the front matter text into a line of the file.
// Parsers report some errors (an unclosed quote) at the end of their input,
// which is the closing delimiter's line or beyond, so the line is kept
// inside the front matter.
func (d document) fileLine(n int) int {
	line := n + d.frontLine - 1
	if last := max(d.frontLine, d.endLine-1); line > last {
		line = last
	}
	return max(line, d.frontLine)
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a map"
	}
	return "a single value"
}

func parseTOML(doc document) ([]field, *lineError) {
	var values map[string]any
	md, err := toml.Decode(string(doc.front), &values)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			line := doc.fileLine(perr.Position.Line)
			return nil, errAt(line, "invalid TOML front matter: %s%s", perr.Message, tomlQuoteHint(doc, line))
		}
		return nil, errAt(openLine, "invalid TOML front matter: %v", err)
	}
	lines := tomlKeyLines(doc.front, doc.frontLine)
	var fields []field
	seen := make(map[string]int)
	emitted := make(map[string]bool)
	for _, k := range md.Keys() {
		// A table written with dotted keys only (run.type = "race") has
		// no key of its own: its first dotted key stands for it.
		key := k[0]
		if emitted[key] {
			continue
		}
		emitted[key] = true
		line, ok := lines[key]
		if !ok {
			line = openLine
		}
		if first, dup := seen[strings.ToLower(key)]; dup {
			return nil, errAt(line, "duplicate key %q (first on line %d)", key, first)
		}
		seen[strings.ToLower(key)] = line
		f := tomlField(key, line, values[key])
		if m, ok := f.value.(map[string]any); ok {
			subLines := tomlTableKeyLines(doc.front, doc.frontLine, key)
			for _, k := range md.Keys() {
				if len(k) != 2 || k[0] != key {
					continue
				}
				subLine, ok := subLines[k[1]]
				if !ok {
					subLine = line
				}
				f.fields = append(f.fields, tomlField(key+"."+k[1], subLine, m[k[1]]))
			}
		}
		fields = append(fields, f)
	}
	return fields, nil
}

// tomlField is the field of a decoded TOML value.
func tomlField(key string, line int, value any) field {
	f := field{key: key, line: line, value: value}
	f.text, f.scalar = scalarText(f.value)
	if list, ok := f.value.([]any); ok {
		f.list = true
		for _, it := range list {
			s, ok := scalarText(it)
			if !ok {
				f.list, f.items = false, nil
				break
			}
			f.items = append(f.items, s)
		}
	}
	return f
}

// tomlTableKeyLines finds the line of each key of the table named table:
// the keys under its [table] header, and the dotted keys table.key = at
// the top level. Keys it cannot place are reported at the table's line.
func tomlTableKeyLines(front []byte, firstLine int, table string) map[string]int {
	lines := make(map[string]int)
	record := func(key string, line int) {
		if _, ok := lines[key]; !ok {
			lines[key] = line
		}
	}
	section := "" // the [table] the lines are in; "" at the top level
	for i, l := range strings.Split(string(front), "\n") {
		s := strings.TrimSpace(l)
		if strings.HasPrefix(s, "[") {
			section = ""
			if k, rest, ok := tomlKeySegment(strings.TrimLeft(s, "[ \t")); ok && strings.HasPrefix(rest, "]") {
				section = k
			}
			continue
		}
		k, rest, ok := tomlKeySegment(s)
		if !ok {
			continue
		}
		switch {
		case section == table && strings.HasPrefix(rest, "="):
			record(k, firstLine+i)
		case section == "" && k == table && strings.HasPrefix(rest, "."):
			if sub, rest, ok := tomlKeySegment(strings.TrimLeft(rest[1:], " \t")); ok && strings.HasPrefix(rest, "=") {
				record(sub, firstLine+i)
			}
		}
	}
	return lines
}

// tomlKeyLines finds the line of each top-level key and table in TOML text.
// The TOML decoder knows these positions but does not export them, and a
// problem such as "unknown author" must point at its line. A line scan is
// enough for front matter: it skips multi-line strings and stops taking
// plain keys at the first [table], whose keys are not top-level.
func tomlKeyLines(front []byte, firstLine int) map[string]int {
	lines := make(map[string]int)
	record := func(key string, line int) {
		if _, ok := lines[key]; !ok {
			lines[key] = line
		}
	}
	inTable := false
	openString := "" // the delimiter of the multi-line string being skipped
	for i, l := range strings.Split(string(front), "\n") {
		s := strings.TrimSpace(l)
		if openString != "" {
			if strings.Count(s, openString)%2 == 1 {
				openString = ""
			}
			continue
		}
		if strings.HasPrefix(s, "[") {
			inTable = true
			if k, rest, ok := tomlKeySegment(strings.TrimLeft(s, "[ \t")); ok && (strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, "]")) {
				record(k, firstLine+i)
			}
		} else if !inTable {
			if k, rest, ok := tomlKeySegment(s); ok && (strings.HasPrefix(rest, "=") || strings.HasPrefix(rest, ".")) {
				record(k, firstLine+i)
			}
		}
		for _, q := range []string{`"""`, `'''`} {
			if strings.Count(s, q)%2 == 1 {
				openString = q
				break
			}
		}
	}
	return lines
}

// tomlKeySegment reads the first segment of a (dotted) TOML key at the start
// of s, bare or quoted, and returns it with the rest of s after any spaces.
func tomlKeySegment(s string) (key, rest string, ok bool) {
	if s == "" {
		return "", "", false
	}
	switch s[0] {
	case '"', '\'':
		end := strings.IndexByte(s[1:], s[0])
		if end < 0 {
			return "", "", false
		}
		key, rest = s[1:1+end], s[2+end:]
		if s[0] == '"' {
			if uq, err := strconv.Unquote(s[:2+end]); err == nil {
				key = uq
			}
		}
	default:
		n := 0
		for n < len(s) && isBareKeyByte(s[n]) {
			n++
		}
		if n == 0 {
			return "", "", false
		}
		key, rest = s[:n], s[n:]
	}
	return key, strings.TrimLeft(rest, " \t"), true
}

func isBareKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// scalarText is the text of a decoded TOML scalar. Dates are left out: only
// the date keys take them, and they read the time.Time itself.
func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case int64:
		return strconv.FormatInt(v, 10), true
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

// describe names the kind of a decoded value for "wrong type" problems.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "empty"
	case string:
		return "text"
	case bool:
		return "true or false"
	case time.Time:
		return "a date"
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map:
		return "a map"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return fmt.Sprintf("a %T", v)
}

// what describes the value for a "must be" problem, quoting a scalar.
func (f field) what() string {
	if f.scalar {
		return fmt.Sprintf("%s %q", describe(f.value), f.text)
	}
	return describe(f.value)
}

// str is the value as text. An empty value is "".
func (f field) str() (string, *lineError) {
	if f.value == nil {
		return "", nil
	}
	if !f.scalar {
		return "", errAt(f.line, "%s must be text, not %s", f.key, f.what())
	}
	return f.text, nil
}

// boolean is the value as true or false. An empty value is def.
func (f field) boolean(def bool) (bool, *lineError) {
	switch v := f.value.(type) {
	case nil:
		return def, nil
	case bool:
		return v, nil
	}
	return false, errAt(f.line, "%s must be true or false, not %s", f.key, f.what())
}

// strs is the value as a list of text. An empty value is nil.
func (f field) strs() ([]string, *lineError) {
	if f.value == nil {
		return nil, nil
	}
	if !f.list {
		return nil, errAt(f.line, "%s must be a list such as [a, b], not %s", f.key, f.what())
	}
	return f.items, nil
}

// dateLayouts are the accepted spellings of a date without a zone, beside
// RFC 3339. Such a date is in the site's time zone.
var dateLayouts = []string{
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
}

// date is the value as a time in loc. ok is false for an empty value.
func (f field) date(loc *time.Location) (t time.Time, ok bool, lerr *lineError) {
	if f.value == nil {
		return time.Time{}, false, nil
	}
	// YAML keeps the text of the scalar, which is read below: its decoder
	// would put a date written without a zone in UTC.
	if v, ok := f.value.(time.Time); ok && !f.scalar {
		// TOML's own dates. The decoder marks the ones written without a
		// zone with these location names and gives them the server's
		// offset; they belong in the site's zone instead.
		switch v.Location().String() {
		case "datetime-local", "date-local":
			y, mo, d := v.Date()
			h, mi, s := v.Clock()
			return time.Date(y, mo, d, h, mi, s, v.Nanosecond(), loc), true, nil
		case "time-local":
			return time.Time{}, false, errAt(f.line, "%s %s has no day", f.key, v.Format("15:04:05"))
		}
		return v.In(loc), true, nil
	}
	if !f.scalar {
		return time.Time{}, false, errAt(f.line, "%s must be a date, not %s", f.key, f.what())
	}
	if t, ok := parseDate(f.text, loc); ok {
		return t, true, nil
	}
	return time.Time{}, false, errAt(f.line,
		"%s %q is not a date: write it as 2006-01-02, 2006-01-02 15:04, 2006-01-02T15:04:05 or RFC 3339 (2006-01-02T15:04:05+01:00)",
		f.key, f.text)
}

func parseDate(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(loc), true
	}
	for _, layout := range dateLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
