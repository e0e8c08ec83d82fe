package comments

import (
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzValidate feeds whole comment forms through validation and rendering:
// whatever a reader types, a comment that passes has a safe name, an http(s)
// website or none, a body within its limits, and HTML with nothing
// script-capable in it.
func FuzzValidate(f *testing.F) {
	f.Add("Kay", "kay@example.org", "https://kay.example/", "A **great** run.", "")
	f.Add("<script>alert(1)</script>", "", "javascript:alert(1)", "<img src=x onerror=alert(1)>", "1")
	f.Add("Ana\u202e", "a@b", " HTTPS://EXAMPLE.ORG/ ", "[x](java\tscript:alert(1))", "0")
	f.Add("\x00", "not an email", "data:text/html,hi", strings.Repeat("a", MaxBodyChars+1), "-1")
	for _, in := range hostile[:min(len(hostile), 20)] {
		f.Add("Reader", "", "", in, "")
	}
	f.Fuzz(func(t *testing.T, name, email, website, body, parent string) {
		c, errs := Validate(Input{Post: "massage", Parent: parent, Name: name, Email: email, Website: website, Body: body})
		if errs != nil {
			if errs.Error() == "" {
				t.Fatal("FieldErrors with no message")
			}
			return
		}
		for field, v := range map[string]string{"name": c.Name, "email": c.Email, "website": c.Website, "body": c.Body} {
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				t.Errorf("accepted %s %q is not clean UTF-8", field, v)
			}
		}
		if c.Name == "" || utf8.RuneCountInString(c.Name) > MaxNameChars || strings.IndexFunc(c.Name, unicode.IsControl) >= 0 {
			t.Errorf("accepted name %q", c.Name)
		}
		if n := utf8.RuneCountInString(c.Body); n < 1 || n > MaxBodyChars {
			t.Errorf("accepted a body of %d characters", n)
		}
		if c.Website != "" {
			u, err := url.Parse(c.Website)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
				t.Errorf("accepted website %q", c.Website)
			}
		}
		if out := Render(c.Body); unsafeHTML(out) != "" {
			t.Errorf("Render(%q) = %q: %s", c.Body, out, unsafeHTML(out))
		}
	})
}
