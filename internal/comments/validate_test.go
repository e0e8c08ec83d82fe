package comments

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// form returns a valid form changed by edit.
func form(edit func(*Input)) Input {
	in := Input{Post: "massage-during-training", Name: "Kay", Body: "Hello"}
	if edit != nil {
		edit(&in)
	}
	return in
}

// valid is the comment form(nil) describes, changed by edit.
func valid(edit func(*Comment)) Comment {
	c := Comment{Post: "massage-during-training", Name: "Kay", Body: "Hello"}
	if edit != nil {
		edit(&c)
	}
	return c
}

func TestValidate(t *testing.T) {
	longEmail := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".org" // 254
	longSite := "https://example.org/" + strings.Repeat("é", MaxWebsiteChars-20)   // 2000 runes, more bytes
	cases := []struct {
		name string
		in   Input
		// errs maps each field that must be refused to a word its message
		// must contain ("" for any message); no other field may be refused.
		errs map[string]string
		// want is the comment returned, errors or not: every field that
		// passed keeps its cleaned value.
		want Comment
	}{
		{"minimal", form(nil), nil, valid(nil)},
		{"everything", form(func(in *Input) {
			in.Parent, in.Email, in.Website = "12", "kay@example.org", "https://kay.example.org/runs?y=2011#oct"
		}), nil, valid(func(c *Comment) {
			c.Parent, c.Email, c.Website = 12, "kay@example.org", "https://kay.example.org/runs?y=2011#oct"
		})},
		{"values are trimmed", Input{Post: "p", Name: "  Kay \t", Email: " kay@example.org\n", Website: "  https://example.org/ ", Body: "\n  Hello  \n\n", Parent: " 7 "},
			nil, Comment{Post: "p", Name: "Kay", Email: "kay@example.org", Website: "https://example.org/", Body: "Hello", Parent: 7}},

		// post: set by the server, but never trusted blindly.
		{"post missing", form(func(in *Input) { in.Post = " " }), map[string]string{"post": "missing"}, valid(func(c *Comment) { c.Post = "" })},

		// name
		{"name missing", form(func(in *Input) { in.Name = "" }), map[string]string{"name": "name"}, valid(func(c *Comment) { c.Name = "" })},
		{"name only spaces", form(func(in *Input) { in.Name = " \t " }), map[string]string{"name": "name"}, valid(func(c *Comment) { c.Name = "" })},
		{"name at limit in runes", form(func(in *Input) { in.Name = strings.Repeat("é", MaxNameChars) }), nil,
			valid(func(c *Comment) { c.Name = strings.Repeat("é", MaxNameChars) })},
		{"name too long", form(func(in *Input) { in.Name = strings.Repeat("a", MaxNameChars+1) }), map[string]string{"name": "100"}, valid(func(c *Comment) { c.Name = "" })},
		{"name with tab", form(func(in *Input) { in.Name = "Kay\tB" }), map[string]string{"name": "control"}, valid(func(c *Comment) { c.Name = "" })},
		{"name with newline", form(func(in *Input) { in.Name = "Kay\nB" }), map[string]string{"name": "control"}, valid(func(c *Comment) { c.Name = "" })},
		{"name with escape", form(func(in *Input) { in.Name = "Kay\x1b[31m" }), map[string]string{"name": "control"}, valid(func(c *Comment) { c.Name = "" })},
		{"name with DEL", form(func(in *Input) { in.Name = "Kay\x7f" }), map[string]string{"name": "control"}, valid(func(c *Comment) { c.Name = "" })},
		{"name with bidi override", form(func(in *Input) { in.Name = "Kay\u202enimda" }), map[string]string{"name": "control"}, valid(func(c *Comment) { c.Name = "" })},
		{"name with NUL", form(func(in *Input) { in.Name = "Kay\x00" }), map[string]string{"name": "NUL"}, valid(func(c *Comment) { c.Name = "" })},
		{"name not UTF-8", form(func(in *Input) { in.Name = "K\xffay" }), map[string]string{"name": "UTF-8"}, valid(func(c *Comment) { c.Name = "" })},
		{"name in another script", form(func(in *Input) { in.Name = "  Łukasz 山田 " }), nil, valid(func(c *Comment) { c.Name = "Łukasz 山田" })},

		// email
		{"email empty is fine", form(func(in *Input) { in.Email = "  " }), nil, valid(nil)},
		{"email at limit", form(func(in *Input) { in.Email = longEmail }), nil, valid(func(c *Comment) { c.Email = longEmail })},
		{"email too long", form(func(in *Input) { in.Email = "a" + longEmail }), map[string]string{"email": "254"}, valid(nil)},
		{"email without at", form(func(in *Input) { in.Email = "not-an-email" }), map[string]string{"email": "valid"}, valid(nil)},
		{"email without domain", form(func(in *Input) { in.Email = "kay@" }), map[string]string{"email": ""}, valid(nil)},
		{"email without local part", form(func(in *Input) { in.Email = "@example.org" }), map[string]string{"email": ""}, valid(nil)},
		{"email with display name", form(func(in *Input) { in.Email = "Kay <kay@example.org>" }), map[string]string{"email": ""}, valid(nil)},
		{"email with comment", form(func(in *Input) { in.Email = "kay@example.org (Kay)" }), map[string]string{"email": ""}, valid(nil)},
		{"email two addresses", form(func(in *Input) { in.Email = "kay@example.org, ana@example.org" }), map[string]string{"email": ""}, valid(nil)},
		{"email with newline", form(func(in *Input) { in.Email = "kay@example.org\nBcc: x@example.org" }), map[string]string{"email": ""}, valid(nil)},
		{"email not UTF-8", form(func(in *Input) { in.Email = "k\xc3@example.org" }), map[string]string{"email": "UTF-8"}, valid(nil)},
		{"email NUL", form(func(in *Input) { in.Email = "kay@example.org\x00" }), map[string]string{"email": "NUL"}, valid(nil)},

		// website
		{"website empty is fine", form(func(in *Input) { in.Website = "" }), nil, valid(nil)},
		{"website normalised", form(func(in *Input) { in.Website = " HTTP://Example.ORG/Runs " }), nil, valid(func(c *Comment) { c.Website = "http://example.org/Runs" })},
		{"website with port", form(func(in *Input) { in.Website = "https://example.org:8443/" }), nil, valid(func(c *Comment) { c.Website = "https://example.org:8443/" })},
		{"website at limit", form(func(in *Input) { in.Website = longSite }), nil, valid(func(c *Comment) { c.Website = "https://example.org/" + strings.Repeat("%C3%A9", MaxWebsiteChars-20) })},
		{"website too long", form(func(in *Input) { in.Website = longSite + "x" }), map[string]string{"website": "2000"}, valid(nil)},
		{"website javascript", form(func(in *Input) { in.Website = "javascript:alert(1)" }), map[string]string{"website": "https://"}, valid(nil)},
		{"website JavaScript mixed case", form(func(in *Input) { in.Website = "JaVaScRiPt:alert(1)" }), map[string]string{"website": ""}, valid(nil)},
		{"website javascript with slashes", form(func(in *Input) { in.Website = "javascript://example.org/%0aalert(1)" }), map[string]string{"website": ""}, valid(nil)},
		{"website tab in scheme", form(func(in *Input) { in.Website = "java\tscript:alert(1)" }), map[string]string{"website": ""}, valid(nil)},
		{"website data", form(func(in *Input) { in.Website = "data:text/html,<script>alert(1)</script>" }), map[string]string{"website": ""}, valid(nil)},
		{"website vbscript", form(func(in *Input) { in.Website = "vbscript:msgbox(1)" }), map[string]string{"website": ""}, valid(nil)},
		{"website ftp", form(func(in *Input) { in.Website = "ftp://example.org/" }), map[string]string{"website": ""}, valid(nil)},
		{"website without scheme", form(func(in *Input) { in.Website = "example.org" }), map[string]string{"website": "https://"}, valid(nil)},
		{"website protocol-relative", form(func(in *Input) { in.Website = "//example.org/" }), map[string]string{"website": ""}, valid(nil)},
		{"website without host", form(func(in *Input) { in.Website = "https:///path" }), map[string]string{"website": ""}, valid(nil)},
		{"website opaque", form(func(in *Input) { in.Website = "https:example.org" }), map[string]string{"website": ""}, valid(nil)},
		{"website only port", form(func(in *Input) { in.Website = "https://:80/" }), map[string]string{"website": ""}, valid(nil)},
		{"website with space", form(func(in *Input) { in.Website = "https://exa mple.org/" }), map[string]string{"website": ""}, valid(nil)},
		{"website with password", form(func(in *Input) { in.Website = "https://bank.example@evil.example/" }), map[string]string{"website": "user name"}, valid(nil)},
		{"website unparseable", form(func(in *Input) { in.Website = "https://example.org/%zz" }), map[string]string{"website": ""}, valid(nil)},
		{"website not UTF-8", form(func(in *Input) { in.Website = "https://example.org/\xff" }), map[string]string{"website": "UTF-8"}, valid(nil)},

		// body
		{"body missing", form(func(in *Input) { in.Body = "" }), map[string]string{"body": "write"}, valid(func(c *Comment) { c.Body = "" })},
		{"body only whitespace", form(func(in *Input) { in.Body = " \r\n\t\n " }), map[string]string{"body": "write"}, valid(func(c *Comment) { c.Body = "" })},
		{"body one character", form(func(in *Input) { in.Body = "!" }), nil, valid(func(c *Comment) { c.Body = "!" })},
		{"body at limit in runes", form(func(in *Input) { in.Body = strings.Repeat("ü", MaxBodyChars) }), nil,
			valid(func(c *Comment) { c.Body = strings.Repeat("ü", MaxBodyChars) })},
		{"body too long", form(func(in *Input) { in.Body = strings.Repeat("a", MaxBodyChars+1) }), map[string]string{"body": "10000"},
			valid(func(c *Comment) { c.Body = "" })},
		{"body CRLF counts once", form(func(in *Input) { in.Body = strings.Repeat("ab\r\n", MaxBodyChars/3) + "a" }), nil,
			valid(func(c *Comment) { c.Body = strings.Repeat("ab\n", MaxBodyChars/3) + "a" })},
		{"body lone CR", form(func(in *Input) { in.Body = "one\rtwo" }), nil, valid(func(c *Comment) { c.Body = "one\ntwo" })},
		{"body keeps inner spacing and markup", form(func(in *Input) { in.Body = "  <b>x</b>\n\n    code\n" }), nil,
			valid(func(c *Comment) { c.Body = "<b>x</b>\n\n    code" })},
		{"body NUL", form(func(in *Input) { in.Body = "Hel\x00lo" }), map[string]string{"body": "NUL"}, valid(func(c *Comment) { c.Body = "" })},
		{"body not UTF-8", form(func(in *Input) { in.Body = "caf\xe9" }), map[string]string{"body": "UTF-8"}, valid(func(c *Comment) { c.Body = "" })},

		// parent
		{"parent zero is top level", form(func(in *Input) { in.Parent = "0" }), nil, valid(nil)},
		{"parent max", form(func(in *Input) { in.Parent = "18446744073709551615" }), nil, valid(func(c *Comment) { c.Parent = 1<<64 - 1 })},
		{"parent overflow", form(func(in *Input) { in.Parent = "18446744073709551616" }), map[string]string{"parent": ""}, valid(nil)},
		{"parent negative", form(func(in *Input) { in.Parent = "-1" }), map[string]string{"parent": ""}, valid(nil)},
		{"parent plus", form(func(in *Input) { in.Parent = "+1" }), map[string]string{"parent": ""}, valid(nil)},
		{"parent hex", form(func(in *Input) { in.Parent = "0x10" }), map[string]string{"parent": ""}, valid(nil)},
		{"parent word", form(func(in *Input) { in.Parent = "abc" }), map[string]string{"parent": ""}, valid(nil)},
		{"parent fraction", form(func(in *Input) { in.Parent = "1.5" }), map[string]string{"parent": ""}, valid(nil)},

		// Several at once: each field is judged alone, the good ones kept.
		{"several wrong, rest kept", Input{Post: "p", Name: "", Email: " kay@example.org ", Website: "javascript:x", Body: " Hi ", Parent: "x"},
			map[string]string{"name": "", "website": "", "parent": ""}, Comment{Post: "p", Email: "kay@example.org", Body: "Hi"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := Validate(tc.in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("comment (-want +got):\n%s", diff)
			}
			if len(tc.errs) == 0 {
				if errs != nil {
					t.Fatalf("unexpected errors: %v", errs)
				}
				return
			}
			if errs == nil {
				t.Fatalf("no errors, want errors on %v", tc.errs)
			}
			for field, word := range tc.errs {
				msg, ok := errs[field]
				if !ok {
					t.Errorf("no error on %q; got %v", field, errs)
					continue
				}
				if !strings.Contains(msg, word) {
					t.Errorf("error on %q = %q, want it to mention %q", field, msg, word)
				}
				if !strings.HasSuffix(msg, ".") || strings.ToUpper(msg[:1]) != msg[:1] {
					t.Errorf("error on %q = %q: want a sentence", field, msg)
				}
			}
			for field := range errs {
				if _, want := tc.errs[field]; !want {
					t.Errorf("unexpected error on %q: %q", field, errs[field])
				}
			}
		})
	}
}

func TestFieldErrorsIsAnError(t *testing.T) {
	_, errs := Validate(Input{Post: "p"})
	var err error = errs
	var fe FieldErrors
	if !errors.As(err, &fe) || len(fe) != 2 {
		t.Fatalf("errors.As(%v) = %v", err, fe)
	}
	want := "invalid comment: body: Please write a comment.; name: Please tell us your name."
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q (fields in order)", err.Error(), want)
	}
}
