package comments

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// bypasses are ways of writing "casino" that read "casino" to a person but
// are other bytes; each once slipped past the hold and reject words.
var bypasses = map[string]string{
	"character reference":   "Win at ca&#115;ino tonight",
	"HTML comment":          "Win at cas<!-- -->ino tonight",
	"Markdown emphasis":     "Win at cas**ino** tonight",
	"zero-width space":      "Win at cas\u200bino tonight",
	"soft hyphen":           "Win at cas\u00adino tonight",
	"Cyrillic a":            "Win at c\u0430sino tonight",
	"full-width letters":    "Win at ｃａｓｉｎｏ tonight",
	"capitals and joiner":   "Win at CA\u200dSINO tonight",
	"mathematical letters":  "Win at 𝐜𝐚𝐬𝐢𝐧𝐨 tonight",
	"inline code":           "Win at `cas`ino tonight",
	"word joiner":           "Win at cas\u2060ino tonight",
	"variation selector":    "Win at casi\ufe0fno tonight",
	"Cyrillic in link text": "[с\u0430sino](https://example.org/)",
	"link inside the word":  "cas[ino](https://example.org/) tonight",
}

func serviceWith(settings Settings) *Service {
	settings.DuplicateMinutes = 0 // the tests send the same text again
	return New(newMemStore(), Options{Now: func() time.Time { return now }, Settings: func() Settings { return settings }})
}

func TestHoldWordsMatchWhatAReaderSees(t *testing.T) {
	settings := openSettings()
	settings.HoldWords = []string{"casino"}
	settings.LinkLimit = 5
	s := serviceWith(settings)
	for name, body := range bypasses {
		c, err := s.Post(context.Background(), Input{Post: "p", Name: "Kay", Body: body}, Author{IP: "192.0.2.1"})
		if err != nil || c.Status != StatusPending || c.HoldReason != "contains “casino”" {
			t.Errorf("%s: %q was %s (%q), %v; want held for “casino”", name, body, c.Status, c.HoldReason, err)
		}
	}
}

func TestRejectWordsMatchWhatAReaderSees(t *testing.T) {
	settings := openSettings()
	settings.RejectWords = []string{"casino"}
	settings.LinkLimit = 5
	s := serviceWith(settings)
	for name, body := range bypasses {
		_, err := s.Post(context.Background(), Input{Post: "p", Name: "Kay", Body: body}, Author{IP: "192.0.2.1"})
		var fe FieldErrors
		if !errors.As(err, &fe) || fe["body"] == "" {
			t.Errorf("%s: %q was not refused: %v", name, body, err)
		}
	}
}

func TestNamesAndWebsitesAreMatchedTheSameWay(t *testing.T) {
	settings := openSettings()
	settings.HoldWords = []string{"casino"}
	settings.RejectWords = []string{"idiot"}
	s := serviceWith(settings)
	ctx := context.Background()
	for _, in := range []Input{
		{Post: "p", Name: "C\u0430sino King", Body: "hello"},
		{Post: "p", Name: "Kay", Website: "https://cas\u00adino.example.org/", Body: "hello"},
		{Post: "p", Name: "ＣＡＳＩＮＯ", Body: "hello"},
		{Post: "p", Name: "Kay", Website: "https://xn--csino-4ve.example.org/", Body: "hello"}, // c\u0430sino in punycode
	} {
		c, err := s.Post(ctx, in, Author{IP: "192.0.2.1"})
		if err != nil || c.Status != StatusPending {
			t.Errorf("%+v was %s, %v; want held", in, c.Status, err)
		}
	}
	for _, in := range []Input{
		{Post: "p", Name: "id\u200biot", Body: "hello"},
		{Post: "p", Name: "Kay", Website: "https://\u0456diot.example.org/", Body: "hello"},
	} {
		_, err := s.Post(ctx, in, Author{IP: "192.0.2.1"})
		var fe FieldErrors
		if !errors.As(err, &fe) || (fe["name"] == "" && fe["website"] == "") {
			t.Errorf("%+v was not refused: %v", in, err)
		}
	}
}

// TestWordsStillMatchWholeWordsOnly: normalising must not make innocent
// words match.
func TestWordsStillMatchWholeWordsOnly(t *testing.T) {
	settings := openSettings()
	settings.HoldWords = []string{"casino", "buy now"}
	s := serviceWith(settings)
	for _, body := range []string{
		"Casinos are not my thing", "an occasion to run", "cas ino", "buy it now",
		"**cas** and *ino*", "casino\u0301 with an accent on the o is another word",
	} {
		c, err := s.Post(context.Background(), Input{Post: "p", Name: "Kay", Body: body}, Author{IP: "192.0.2.1"})
		if err != nil || c.Status != StatusApproved {
			t.Errorf("%q was %s (%q), %v; want published", body, c.Status, c.HoldReason, err)
		}
	}
}

// TestEditsAreMatchedTheSameWay: a writer's edit cannot slip a word in.
func TestEditsAreMatchedTheSameWay(t *testing.T) {
	settings := openSettings()
	settings.HoldWords = []string{"casino"}
	settings.RejectWords = []string{"idiot"}
	s := serviceWith(settings)
	ctx := context.Background()
	c, err := s.Post(ctx, Input{Post: "p", Name: "Kay", Body: "fine"}, Author{IP: "192.0.2.1", CommenterID: "kay"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EditOwn(ctx, c.ID, "kay", "id<!-- -->iot"); err == nil {
		t.Error("an edit with a hidden reject word was accepted")
	}
	edited, err := s.EditOwn(ctx, c.ID, "kay", "ca&#115;ino")
	if err != nil || edited.Status != StatusPending {
		t.Errorf("edit = %s, %v; want held", edited.Status, err)
	}
}

func TestVisibleText(t *testing.T) {
	for md, want := range map[string]string{
		"cas**ino**":                     "casino",
		"ca&#115;ino &amp; more":         "casino & more",
		"one\n\ntwo":                     "one two",
		"[text](https://casino.example)": "text https://casino.example",
		"* a\n* b":                       "a b",
	} {
		if got := strings.Join(strings.Fields(visibleText(Render(md))), " "); got != want {
			t.Errorf("visibleText(Render(%q)) = %q, want %q", md, got, want)
		}
	}
}
