package content

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"
)

// Front matter syntax errors name the line of the key whose value broke
// the front matter, and say how to fix the commonest mistake: text with a
// colon, or starting with a character YAML reserves, left unquoted
// (title: Race day: 10k PR).

// yamlSyntaxError turns a YAML parse error into a problem at the right
// line. yaml.v3 numbers lines inconsistently (from 0 or 1 depending on the
// error, and not at all on the first line), so the line is found by
// parsing the front matter one top-level key more at a time: the first
// key whose value makes the parse fail is at fault.
func yamlSyntaxError(doc document, err error) *lineError {
	lines := bytes.SplitAfter(doc.front, []byte("\n"))
	starts := yamlKeyStarts(lines)
	for k, start := range starts {
		end := len(lines)
		if k+1 < len(starts) {
			end = starts[k+1]
		}
		var n yaml.Node
		perr := yaml.Unmarshal(bytes.Join(lines[:end], nil), &n)
		if perr == nil {
			continue
		}
		msg, yamlLine := yamlMessage(perr)
		line := doc.frontLine + start
		// Within a value of several lines, yaml's own line is more precise
		// (a tab in a list), if it falls inside the value.
		if yamlLine > 0 {
			if l := doc.fileLine(yamlLine); l > line && l < doc.frontLine+end {
				line = l
			}
		}
		return errAt(line, "invalid YAML front matter: %s%s", msg, yamlQuoteHint(lines, start, end))
	}
	msg, yamlLine := yamlMessage(err)
	line := openLine
	if yamlLine > 0 {
		line = doc.fileLine(yamlLine)
	}
	return errAt(line, "invalid YAML front matter: %s", msg)
}

// yamlMessage splits a yaml.v3 error into its message and its line, 0
// when it has none.
func yamlMessage(err error) (string, int) {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return m[2], n
	}
	return strings.TrimPrefix(err.Error(), "yaml: "), 0
}

// yamlKeyStarts returns the indexes of the lines that start a top-level
// key: lines that begin in the first column with neither a comment nor a
// list item, which continue the key before.
func yamlKeyStarts(lines [][]byte) []int {
	var starts []int
	for i, l := range lines {
		t := bytes.TrimRight(l, "\r\n")
		if len(t) == 0 || strings.ContainsRune(" \t#-]}", rune(t[0])) {
			continue
		}
		starts = append(starts, i)
	}
	return starts
}

// yamlKeyValueRE matches a one-line "key: value".
var yamlKeyValueRE = regexp.MustCompile(`^([^\s:#][^:]*):[ \t]+(.*?)[ \t]*\r?\n?$`)

// yamlQuoteHint suggests quoting the value of the key on lines[start],
// when the key's value is one line of unquoted text and the front matter
// up to it parses once it is quoted.
func yamlQuoteHint(lines [][]byte, start, end int) string {
	for _, l := range lines[start+1 : end] {
		if t := bytes.TrimSpace(l); len(t) > 0 && t[0] != '#' {
			return "" // a value of several lines
		}
	}
	m := yamlKeyValueRE.FindSubmatch(lines[start])
	if m == nil || len(m[2]) == 0 || strings.ContainsRune(`"'[{|>&*!`, rune(m[2][0])) {
		return ""
	}
	fixed := string(m[1]) + ": " + doubleQuoted(string(m[2]))
	try := append(bytes.Join(lines[:start], nil), fixed+"\n"...)
	var n yaml.Node
	if yaml.Unmarshal(try, &n) != nil {
		return ""
	}
	return "; quote the value: " + fixed
}

// tomlKeyValueRE matches a one-line "key = value".
var tomlKeyValueRE = regexp.MustCompile(`^\s*([A-Za-z0-9_-]+)\s*=\s*(.*?)\s*$`)

// tomlQuoteHint suggests quoting the value on the file line of a TOML
// error when it is unquoted text and quoting it makes the line valid.
func tomlQuoteHint(doc document, line int) string {
	lines := strings.Split(string(doc.front), "\n")
	i := line - doc.frontLine
	if i < 0 || i >= len(lines) {
		return ""
	}
	m := tomlKeyValueRE.FindStringSubmatch(lines[i])
	if m == nil || m[2] == "" || strings.ContainsRune(`"'[{`, rune(m[2][0])) {
		return ""
	}
	fixed := m[1] + " = " + doubleQuoted(m[2])
	var v map[string]any
	if _, err := toml.Decode(fixed, &v); err != nil {
		return ""
	}
	return "; quote the value: " + fixed
}

// doubleQuoted quotes s the way both YAML and TOML read double quotes.
func doubleQuoted(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
