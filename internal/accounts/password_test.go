package accounts

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

func TestReadPasswordFrom(t *testing.T) {
	for in, want := range map[string]string{
		"secret words\n":   "secret words",
		"secret words\r\n": "secret words",
		"secret words":     "secret words", // no final newline
		"  spaced  \n":     "  spaced  ",
		"\n":               "",
		"first\nsecond\n":  "first",
		"tab\there\r\r\n":  "tab\there\r",
	} {
		got, err := ReadPasswordFrom(strings.NewReader(in))
		if err != nil || got != want {
			t.Errorf("ReadPasswordFrom(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ReadPasswordFrom(strings.NewReader("")); err == nil {
		t.Error("ReadPasswordFrom of nothing did not fail")
	}
	if _, err := ReadPasswordFrom(strings.NewReader(strings.Repeat("x", maxLine+1))); err == nil {
		t.Error("ReadPasswordFrom of an endless line did not fail")
	}
	if _, err := ReadPasswordFrom(errReader{}); err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("ReadPasswordFrom of a failing reader: %v", err)
	}
}

// ReadPasswordFrom must leave what follows the line for the next reader.
func TestReadPasswordFromReadsOneLine(t *testing.T) {
	r := strings.NewReader("first password\nsecond\n")
	if p, _ := ReadPasswordFrom(r); p != "first password" {
		t.Fatalf("got %q", p)
	}
	rest, _ := io.ReadAll(r)
	if string(rest) != "second\n" {
		t.Errorf("left %q, want %q", rest, "second\n")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("broken") }

func TestReadPasswordRefusesNonTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w.WriteString("secret words\n")
	w.Close()
	var out strings.Builder
	if _, err := ReadPassword(r, &out, "Password: ", false); !errors.Is(err, ErrNotTerminal) {
		t.Errorf("ReadPassword from a pipe: %v, want ErrNotTerminal", err)
	}
	if out.Len() != 0 {
		t.Errorf("prompted %q on a pipe", out.String())
	}
}
