package authoring

import (
	"errors"
	"fmt"
	"strings"

	"milepost/internal/content"
)

// The run: mapping is edited like the top-level keys: a key under it whose
// value did not change keeps its bytes, a changed one has its lines written
// again (with its comment, in YAML), a new one goes after the mapping's
// last key at the same indentation, and the keys the editor does not edit
// (elevation, place, bib, shoes, ...) are never touched. In TOML the
// mapping is a [run] table or dotted keys (run.distance = "10 km"), and a
// new one is a [run] table at the end.

// ErrRunByHand is matched by the error for a run: the editor cannot edit
// without rewriting it: written on one line ({type: race}), or not a
// mapping at all. The writer edits the file by hand.
var ErrRunByHand = errors.New("the run: fields are written in a way only a hand edit changes (on one line, or not as keys)")

// setRun records the changes from the run fields was to want.
func (e *frontEditor) setRun(was, want RunFields) error {
	if was == want {
		return nil
	}
	if e.replace == nil {
		e.replace, e.spans = map[int]string{}, map[int]int{}
	}
	if e.insert == nil {
		e.insert = map[int][]string{}
	}
	lines := splitLines(e.front)
	var run *content.FrontKey
	for i := range e.split.Keys {
		if strings.EqualFold(e.split.Keys[i].Key, "run") {
			run = &e.split.Keys[i]
			break
		}
	}
	if run == nil {
		text, err := runBlock(e.split.Format, want)
		if err != nil || text == "" {
			return err
		}
		text = strings.ReplaceAll(text, "\n", e.newline)
		if e.split.Format == "TOML" {
			// A table takes every key after it: it goes last.
			e.insert[len(lines)] = append(e.insert[len(lines)], text)
		} else {
			e.add = append(e.add, text)
		}
		return nil
	}
	first := run.Line - e.split.FrontLine
	if first < 0 || first >= len(lines) {
		return fmt.Errorf("front matter key %s is not where the parser says (line %d)", run.Key, run.Line)
	}
	end := e.spanEnd(first, lines)
	head := strings.TrimSpace(lines[first])
	_, isMap := run.Value.(map[string]any)
	switch {
	case run.Value == nil:
		// run: with nothing under it: written anew.
		text, err := runBlock(e.split.Format, want)
		if err != nil {
			return err
		}
		e.replace[first], e.spans[first] = strings.ReplaceAll(text, "\n", e.newline), end
		return nil
	case !isMap:
		return ErrRunByHand
	case e.split.Format == "YAML" && strings.TrimSpace(strings.TrimPrefix(head, run.Key+":")) != "" &&
		!strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(head, run.Key+":")), "#"):
		return ErrRunByHand // run: {type: race}
	case e.split.Format == "TOML" && !strings.HasPrefix(head, "[") && !strings.HasPrefix(head, run.Key+"."):
		return ErrRunByHand // run = {type = "race"}
	}
	dotted := e.split.Format == "TOML" && !strings.HasPrefix(head, "[")

	// Where each key under run: starts, and where a new one goes: after
	// the last, without the blank and comment lines that end the mapping.
	starts := make([]int, 0, len(run.Fields))
	for _, sk := range run.Fields {
		starts = append(starts, sk.Line-e.split.FrontLine)
	}
	subEnd := func(i int) int {
		if e.split.Format == "TOML" {
			return i + 1
		}
		return valueEnd(lines, i, end, starts)
	}
	insertAt, indent := first+1, "  "
	if e.split.Format == "TOML" {
		indent = ""
	}
	for n, s := range starts {
		if s < first || (s == first && !dotted) || s >= len(lines) {
			return fmt.Errorf("front matter key run.%s is not where the parser says (line %d)", run.Fields[n].Key, run.Fields[n].Line)
		}
		if n == 0 {
			indent = lines[s][:len(lines[s])-len(strings.TrimLeft(lines[s], " \t"))]
		}
		insertAt = max(insertAt, subEnd(s))
	}
	removed := 0
	for _, key := range runKeys {
		v := want.value(key)
		if v == was.value(key) {
			continue
		}
		var found *content.FrontKey
		for i := range run.Fields {
			if strings.EqualFold(run.Fields[i].Key, key) {
				found = &run.Fields[i]
				break
			}
		}
		if found == nil {
			if v == "" {
				continue
			}
			text, err := e.runKey(key, v, indent, dotted, "")
			if err != nil {
				return err
			}
			e.insert[insertAt] = append(e.insert[insertAt], text)
			continue
		}
		at := found.Line - e.split.FrontLine
		if v == "" {
			e.replace[at], e.spans[at] = "", subEnd(at)
			removed++
			continue
		}
		comment := ""
		if subEnd(at)-at == 1 && e.split.Format == "YAML" {
			comment = yamlLineComment(strings.TrimLeft(lines[at], " \t"))
		}
		text, err := e.runKey(found.Key, v, indent, dotted, comment)
		if err != nil {
			return err
		}
		e.replace[at], e.spans[at] = text, subEnd(at)
	}
	if removed == len(run.Fields) && len(e.insert[insertAt]) == 0 && !dotted {
		// Nothing left under run: the mapping goes, as a key set to
		// nothing does.
		for _, s := range starts {
			delete(e.replace, s)
			delete(e.spans, s)
		}
		e.replace[first], e.spans[first] = "", end
	}
	return nil
}

// runKey is the text of one key under run:, ending in the file's newline.
func (e *frontEditor) runKey(key, v, indent string, dotted bool, comment string) (string, error) {
	text, err := e.render(key, v, comment, true)
	if err != nil {
		return "", err
	}
	if dotted {
		return "run." + text, nil
	}
	// A value of several lines (a long YAML string) stays under its key.
	body := strings.TrimSuffix(text, e.newline)
	return indent + strings.ReplaceAll(body, e.newline, e.newline+indent) + e.newline, nil
}

// runBlock is the text of a run: mapping with the fields of r that are
// set, in format ("YAML" or "TOML"); "" when none is.
func runBlock(format string, r RunFields) (string, error) {
	var b strings.Builder
	for _, key := range runKeys {
		v := r.value(key)
		if v == "" {
			continue
		}
		var text string
		var err error
		if format == "TOML" {
			text, err = tomlKey(key, v)
		} else {
			text, err = yamlKey(key, v, true)
			text = "  " + text
		}
		if err != nil {
			return "", err
		}
		b.WriteString(text)
	}
	if b.Len() == 0 {
		return "", nil
	}
	if format == "TOML" {
		return "[run]\n" + b.String(), nil
	}
	return "run:\n" + b.String(), nil
}
