package authoring

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"

	"milepost/internal/content"
)

// Front matter is edited as text, key by key: a key whose value did not
// change keeps its bytes (spelling, quoting, comments, order), and only the
// lines of a changed key are written again. Re-marshalling the whole front
// matter would reorder keys, drop comments and requote values, and a post
// written by hand would come back different after a save that changed
// nothing.

// Fields are the front matter keys Milepost knows, as text the way a form
// shows them. A key left out of the file is the zero value; setting one to
// its zero value removes it from the file.
type Fields struct {
	Title string
	// Date and Lastmod are the text written (2006-01-02, 2006-01-02 15:04,
	// RFC 3339, ...), read by content in the site's time zone.
	Date, Lastmod string
	Author        string // an author ID (content/authors/ID.md)
	Tags          []string
	Summary       string // Markdown
	// Cover is the cover photo: a file name in the post's bundle, shown
	// as the post's Open Graph image and in feeds (content judges it).
	Cover string
	Draft bool
	// SlugKey is the front matter's slug key, which overrides the file or
	// folder name; "" when the slug comes from the name.
	SlugKey string
	// Activity is the activity file of the post's bundle (activity:), the
	// watch file the run's figures and route are read from.
	Activity string
	// Run is what the editor edits of the run: mapping; its other keys
	// (elevation, place, shoes, ...) are kept as they are.
	Run RunFields
}

// RunFields are the keys of a post's run: mapping the editor edits, as
// text the way the file has them (content reads and judges them).
type RunFields struct {
	Type, Distance, Time, Race string
}

// runKeys are the keys of RunFields under run:, in the order a new run:
// mapping lists them.
var runKeys = []string{"type", "distance", "time", "race"}

// value is the value of the run key key.
func (r RunFields) value(key string) string {
	switch key {
	case "type":
		return r.Type
	case "distance":
		return r.Distance
	case "time":
		return r.Time
	case "race":
		return r.Race
	}
	panic("authoring: unknown run key " + key)
}

// set sets the run key key, reporting whether it is one of RunFields.
func (r *RunFields) set(key, text string) bool {
	switch key {
	case "type":
		r.Type = text
	case "distance":
		r.Distance = text
	case "time":
		r.Time = text
	case "race":
		r.Race = text
	default:
		return false
	}
	return true
}

// Extra is a front matter key Milepost does not know. It is kept as it
// was; the editor shows it and cannot change it.
type Extra struct {
	Key   string
	Value any
}

// knownKeys are the keys of Fields, in the order a new post's front matter
// lists them.
var knownKeys = []string{"title", "date", "lastmod", "author", "tags", "summary", "cover", "activity", "draft", "slug"}

// value is the Fields value of a known key: a string, []string or bool.
func (f Fields) value(key string) any {
	switch key {
	case "title":
		return f.Title
	case "date":
		return f.Date
	case "lastmod":
		return f.Lastmod
	case "author":
		return f.Author
	case "tags":
		return f.Tags
	case "summary":
		return f.Summary
	case "cover":
		return f.Cover
	case "activity":
		return f.Activity
	case "draft":
		return f.Draft
	case "slug":
		return f.SlugKey
	}
	panic("authoring: unknown key " + key)
}

func isZero(v any) bool {
	switch v := v.(type) {
	case string:
		return v == ""
	case []string:
		return len(v) == 0
	case bool:
		return !v
	}
	return v == nil
}

func sameValue(a, b any) bool {
	as, aok := a.([]string)
	bs, bok := b.([]string)
	if aok || bok {
		return slices.Equal(as, bs)
	}
	return a == b
}

// readFields takes the known keys (matched whatever their case, as content
// does) and the others from a split file.
func readFields(src content.PostSource) (Fields, []Extra) {
	var f Fields
	var extra []Extra
	for _, k := range src.Keys {
		switch strings.ToLower(k.Key) {
		case "title":
			f.Title = k.Text
		case "date":
			f.Date = dateText(k)
		case "lastmod":
			f.Lastmod = dateText(k)
		case "author":
			f.Author = k.Text
		case "tags":
			f.Tags = slices.Clone(k.Items)
		case "summary":
			f.Summary = k.Text
		case "cover":
			f.Cover = k.Text
		case "activity":
			f.Activity = k.Text
		case "run":
			if _, isMap := k.Value.(map[string]any); !isMap {
				extra = append(extra, Extra{Key: k.Key, Value: k.Value})
				break
			}
			// The keys the editor does not edit are kept like unknown
			// keys, so a save is checked to leave them as they were.
			for _, sk := range k.Fields {
				if sk.Scalar && f.Run.set(strings.ToLower(sk.Key), sk.Text) {
					continue
				}
				extra = append(extra, Extra{Key: k.Key + "." + sk.Key, Value: sk.Value})
			}
		case "draft":
			f.Draft, _ = k.Value.(bool)
		case "slug":
			f.SlugKey = k.Text
		default:
			extra = append(extra, Extra{Key: k.Key, Value: k.Value})
		}
	}
	return f, extra
}

// dateText is a date key's text: as written in YAML, and in TOML (whose
// dates are values of their own) the TOML spelling of the date.
func dateText(k content.FrontKey) string {
	if k.Scalar {
		return k.Text
	}
	t, ok := k.Value.(time.Time)
	if !ok {
		return ""
	}
	switch t.Location().String() {
	case "date-local":
		return t.Format(time.DateOnly)
	case "datetime-local":
		return t.Format("2006-01-02T15:04:05.999999999")
	}
	return t.Format(time.RFC3339Nano)
}

// sameOrWithLineEnds is text as it was (was) when it differs from it only
// in its line ends, else text with every line ended by newline.
func sameOrWithLineEnds(text, was, newline string) string {
	if text == was || withLineEnds(text, "\n") == withLineEnds(was, "\n") {
		return was
	}
	return withLineEnds(text, newline)
}

func withLineEnds(text, newline string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if newline != "\n" {
		text = strings.ReplaceAll(text, "\n", newline)
	}
	return text
}

// storyStart is where the story of a split file starts: after the blank
// line that separates it from the front matter, when there is one. That
// line is the front matter's side of the file, so the editor's Story does
// not open with an empty line, and a save writes it back as it was.
func storyStart(src []byte, split content.PostSource) int {
	rest := src[split.BodyStart:]
	switch {
	case bytes.HasPrefix(rest, []byte("\r\n")):
		return split.BodyStart + 2
	case bytes.HasPrefix(rest, []byte("\n")):
		return split.BodyStart + 1
	}
	return split.BodyStart
}

// newFile is the text of a new post: YAML front matter with the fields
// that are set, then the body.
func newFile(f Fields, body string) ([]byte, error) {
	body, f.Summary = withLineEnds(body, "\n"), withLineEnds(f.Summary, "\n")
	var front bytes.Buffer
	for _, key := range knownKeys {
		v := f.value(key)
		if isZero(v) {
			continue
		}
		text, err := yamlKey(key, v, true)
		if err != nil {
			return nil, err
		}
		front.WriteString(text)
	}
	if f.Run != (RunFields{}) {
		text, err := runBlock("YAML", f.Run)
		if err != nil {
			return nil, err
		}
		front.WriteString(text)
	}
	var out bytes.Buffer
	out.WriteString("---\n")
	out.Write(front.Bytes())
	out.WriteString("---\n")
	if body != "" && !strings.HasPrefix(body, "\n") && !strings.HasPrefix(body, "\r\n") {
		out.WriteString("\n")
	}
	out.WriteString(body)
	return out.Bytes(), nil
}

// editFile returns src with its known front matter keys set to f and its
// body replaced; everything else is left byte for byte. When f and body are
// what src holds, the result is src.
func editFile(src []byte, split content.PostSource, f Fields, body string) ([]byte, error) {
	old, oldExtra := readFields(split)
	front := src[split.FrontStart:split.FrontEnd]
	newline := "\n" // the file's, as its opening delimiter line ends
	if split.FrontStart >= 2 && src[split.FrontStart-2] == '\r' {
		newline = "\r\n"
	}
	// A browser sends a textarea's lines ended by CR LF whatever the file
	// has: text that differs from the file's only in its line ends is the
	// file's text, and changed text takes the file's line ends.
	story := storyStart(src, split)
	body = sameOrWithLineEnds(body, string(src[story:]), newline)
	f.Summary = sameOrWithLineEnds(f.Summary, old.Summary, "\n")
	ed := frontEditor{split: split, front: front, newline: newline}
	for _, key := range knownKeys {
		want := f.value(key)
		if sameValue(old.value(key), want) {
			continue
		}
		if err := ed.set(key, want); err != nil {
			return nil, err
		}
	}
	if err := ed.setRun(old.Run, f.Run); err != nil {
		return nil, err
	}
	newFront, err := ed.apply()
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Write(src[:split.FrontStart])
	out.Write(newFront)
	out.Write(src[split.FrontEnd:story])
	if story == split.BodyStart && (strings.HasPrefix(body, "\n") || strings.HasPrefix(body, "\r\n")) {
		// A story that starts with a blank line in a file with none
		// after its front matter: one more, which is the front matter's.
		out.WriteString(newline)
	}
	out.WriteString(body)
	result := out.Bytes()

	// The splice works on lines; read the result back and refuse to write
	// anything but exactly the fields asked for, with every other key as
	// it was.
	again, err := content.SplitSource(result)
	if err != nil {
		return nil, fmt.Errorf("editing the front matter gave a file that does not read back (%v): edit this file by hand", err)
	}
	gotFields, gotExtra := readFields(again)
	if !sameFields(gotFields, f) || !reflect.DeepEqual(gotExtra, oldExtra) || string(result[storyStart(result, again):]) != body {
		return nil, fmt.Errorf("editing the front matter would change more than the fields asked for: edit this file by hand")
	}
	return result, nil
}

func sameFields(a, b Fields) bool {
	for _, key := range knownKeys {
		if !sameValue(a.value(key), b.value(key)) {
			return false
		}
	}
	return a.Run == b.Run
}

// frontEditor collects the changes to a front matter text.
type frontEditor struct {
	split   content.PostSource
	front   []byte
	newline string
	// replace maps a front matter line index (of a key's first line) to
	// its key's new text, "" to remove it; add is text for keys the file
	// did not have.
	replace map[int]string
	spans   map[int]int // first line index → line index after the key
	add     []string
	// insert maps a line index to text written before that line: keys
	// added inside a mapping (run:), or a new TOML table at the end.
	insert map[int][]string
}

// set records key's new value (its zero value removes the key).
func (e *frontEditor) set(key string, v any) error {
	if e.replace == nil {
		e.replace, e.spans = map[int]string{}, map[int]int{}
	}
	lines := splitLines(e.front)
	var found *content.FrontKey
	for i := range e.split.Keys {
		if strings.EqualFold(e.split.Keys[i].Key, key) {
			found = &e.split.Keys[i]
			break
		}
	}
	if found == nil {
		if isZero(v) {
			return nil
		}
		text, err := e.render(key, v, "", true)
		if err != nil {
			return err
		}
		e.add = append(e.add, text)
		return nil
	}
	first := found.Line - e.split.FrontLine
	if first < 0 || first >= len(lines) {
		return fmt.Errorf("front matter key %s is not where the parser says (line %d)", found.Key, found.Line)
	}
	end := e.spanEnd(first, lines)
	if isZero(v) {
		e.replace[first], e.spans[first] = "", end
		return nil
	}
	flow := !(end-first > 1 && strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[first]), found.Key+":")) == "")
	comment := ""
	if end-first == 1 && e.split.Format == "YAML" {
		comment = yamlLineComment(lines[first])
	}
	text, err := e.render(found.Key, v, comment, flow)
	if err != nil {
		return err
	}
	e.replace[first], e.spans[first] = text, end
	return nil
}

// spanEnd is the line index after the key starting at first: up to the
// next top-level key (or TOML table), without the blank and comment lines
// before it, which belong to what follows.
func (e *frontEditor) spanEnd(first int, lines []string) int {
	starts := make([]int, len(e.split.Keys))
	for i, k := range e.split.Keys {
		starts[i] = k.Line - e.split.FrontLine
	}
	return valueEnd(lines, first, len(lines), starts)
}

// valueEnd is the line index after the key starting at first among keys
// starting at starts (line indexes), none of them past limit: up to the
// next key, without the blank and comment lines before it.
func valueEnd(lines []string, first, limit int, starts []int) int {
	end := limit
	for _, i := range starts {
		if i > first && i < end {
			end = i
		}
	}
	for end-1 > first {
		s := strings.TrimSpace(lines[end-1])
		if s != "" && !strings.HasPrefix(s, "#") {
			break
		}
		end--
	}
	return end
}

// insertAt is the line index where keys the file did not have go: the end,
// or in TOML before the first table (and the comments just above it), as
// keys after a table header would belong to the table.
func (e *frontEditor) insertAt(lines []string) int {
	if e.split.Format != "TOML" {
		return len(lines)
	}
	at := len(lines)
	for _, k := range e.split.Keys {
		i := k.Line - e.split.FrontLine
		if i >= 0 && i < at && strings.HasPrefix(strings.TrimSpace(lines[i]), "[") {
			at = i
		}
	}
	for at > 0 {
		s := strings.TrimSpace(lines[at-1])
		if s != "" && !strings.HasPrefix(s, "#") {
			break
		}
		at--
	}
	return at
}

func (e *frontEditor) apply() ([]byte, error) {
	lines := splitLines(e.front)
	at := e.insertAt(lines)
	var out strings.Builder
	for i := 0; i <= len(lines); {
		if text := e.insert[i]; len(text) > 0 {
			if i > 0 && !strings.HasSuffix(lines[i-1], "\n") {
				out.WriteString(e.newline)
			}
			for _, t := range text {
				out.WriteString(t)
			}
		}
		if i == at {
			if i > 0 && !strings.HasSuffix(lines[i-1], "\n") {
				out.WriteString(e.newline)
			}
			for _, text := range e.add {
				out.WriteString(text)
			}
		}
		if i == len(lines) {
			break
		}
		if text, ok := e.replace[i]; ok {
			out.WriteString(text)
			i = e.spans[i]
			continue
		}
		out.WriteString(lines[i])
		i++
	}
	return []byte(out.String()), nil
}

// render is the text of one key with its value, ending in a newline.
func (e *frontEditor) render(key string, v any, comment string, flow bool) (string, error) {
	var text string
	var err error
	if e.split.Format == "TOML" {
		text, err = tomlKey(key, v)
	} else {
		text, err = yamlKey(key, v, flow)
		if err == nil && comment != "" && strings.Count(text, "\n") == 1 {
			text = strings.TrimSuffix(text, "\n") + comment + "\n"
		}
	}
	if err != nil {
		return "", err
	}
	return strings.ReplaceAll(text, "\n", e.newline), nil
}

// yamlKey renders one YAML key. Text is tagged as text, so a title such as
// "yes" or 1.10 is quoted; dates are left untagged, so 2024-05-01 stays
// plain as people write it; tags are a flow list ([a, b]) unless the file
// had them as a block.
func yamlKey(key string, v any, flow bool) (string, error) {
	var value *yaml.Node
	switch v := v.(type) {
	case string:
		value = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
		if key == "date" || key == "lastmod" {
			value.Tag = ""
		}
	case bool:
		value = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(v)}
	case []string:
		value = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if flow {
			value.Style = yaml.FlowStyle
		}
		for _, it := range v {
			value.Content = append(value.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: it})
		}
	default:
		return "", fmt.Errorf("front matter key %s: cannot write a %T", key, v)
	}
	doc := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: key}, value}}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return "", fmt.Errorf("writing front matter key %s: %w", key, err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("writing front matter key %s: %w", key, err)
	}
	return buf.String(), nil
}

// tomlKey renders one TOML key. Dates are written as text, which content
// reads like a TOML date.
func tomlKey(key string, v any) (string, error) {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(map[string]any{key: v}); err != nil {
		return "", fmt.Errorf("writing front matter key %s: %w", key, err)
	}
	return buf.String(), nil
}

// yamlLineComment is the comment at the end of a one-line YAML key, with
// the spaces before it ("   # why"), or "".
func yamlLineComment(line string) string {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(line), &n); err != nil || len(n.Content) == 0 {
		return ""
	}
	m := n.Content[0]
	if m.Kind != yaml.MappingNode || len(m.Content) != 2 {
		return ""
	}
	c := m.Content[1].LineComment
	if c == "" {
		c = m.Content[0].LineComment
	}
	// The comment with the spaces before it, as the line has them.
	line = strings.TrimRight(line, "\r\n")
	i := strings.LastIndex(line, c)
	if c == "" || i < 0 {
		return ""
	}
	return line[len(strings.TrimRight(line[:i], " \t")):]
}

// splitLines splits text into lines that keep their newlines.
func splitLines(b []byte) []string {
	var lines []string
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			lines = append(lines, string(b))
			break
		}
		lines = append(lines, string(b[:i+1]))
		b = b[i+1:]
	}
	return lines
}
