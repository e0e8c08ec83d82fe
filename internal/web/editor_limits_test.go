package web_test

import (
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"milepost/internal/accounts"
)

// The editor's form is read part by part within its bounds: the text
// fields 1 MiB together, each file its own limit, the whole form some
// 251 MB; a form over a bound is shown back with the text read before it,
// and nothing is saved.

// postStreamed sends the editor's form as a browser does, with no length
// said (chunked): the fields in order, then one "photos" part of
// photoSize bytes (none for 0), written as the server reads it.
func (b *browser) postStreamed(path string, fields [][2]string, photoSize int64) response {
	b.h.t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		for _, f := range fields {
			mw.WriteField(f[0], f[1])
		}
		var err error
		if photoSize > 0 {
			var part io.Writer
			if part, err = mw.CreateFormFile("photos", "big.jpg"); err == nil {
				_, err = io.Copy(part, io.LimitReader(zeros{}, photoSize))
			}
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err) // the server may stop reading first
	}()
	req, err := http.NewRequest(http.MethodPost, b.h.srv.URL+path, pr)
	if err != nil {
		b.h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// fieldsInOrder are the new post form's fields, in the order editor.html
// sends them, with the given values.
func fieldsInOrder(form url.Values) [][2]string {
	var out [][2]string
	for _, k := range []string{"version", "title", "slug", "body", "summary", "tags", "date", "cover", "run_type", "run_distance", "run_time", "run_race", "photo_alts", "action"} {
		out = append(out, [2]string{k, form.Get(k)})
	}
	return out
}

func TestTheEditorsTextFieldsTakeOneMebibyteTogether(t *testing.T) {
	h := newHarness(t, siteFiles{}, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	story := "My long story starts here. " + strings.Repeat("And on. ", 1<<20) // 8 MB
	for _, c := range []struct {
		what   string
		fields url.Values
	}{
		{"an 8 MB story", newPostFields(t, kay, "title", "Too long", "body", story, "action", "draft")},
		{"two fields of 600 kB", newPostFields(t, kay, "title", "Too long", "body", "My long story starts here. "+strings.Repeat("x", 600<<10),
			"summary", strings.Repeat("y", 600<<10), "action", "draft")},
	} {
		t.Run(c.what, func(t *testing.T) {
			res := kay.postStreamed("/admin/posts/new", fieldsInOrder(c.fields), 0)
			wantStatus(t, "saving", res, http.StatusRequestEntityTooLarge)
			mustContain(t, "the answer", res.body, "over 1 MiB together", "Nothing was saved",
				`value="Too long"`, "My long story starts here.", `<form class="comment-form editor-form"`)
			if len(res.body) > 2<<20 {
				t.Errorf("the answer is %d bytes: more than what fits was shown back", len(res.body))
			}
			if _, err := os.Stat(filepath.Join(h.dir, "posts/too-long")); !os.IsNotExist(err) {
				t.Errorf("a refused form wrote its post: %v", err)
			}
		})
	}
}

func TestAFormOverTheWholeBoundIsShownBackWithItsText(t *testing.T) {
	h := newHarness(t, siteFiles{}, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	fields := newPostFields(t, kay, "title", "Photo day", "body", "Eleven photos of the long run.", "tags", "long run",
		"run_distance", "32 km", "photo_alts", "The start")
	res := kay.postStreamed("/admin/posts/new", fieldsInOrder(fields), 260<<20)
	wantStatus(t, "a form of 260 MB", res, http.StatusRequestEntityTooLarge)
	mustContain(t, "the answer", res.body, fmt.Sprintf("over %d MB together", 251), "Nothing was saved",
		`value="Photo day"`, "Eleven photos of the long run.", `value="long run"`, `value="32 km"`, "The start")
	if _, err := os.Stat(filepath.Join(h.dir, "posts/photo-day")); !os.IsNotExist(err) {
		t.Errorf("a refused form wrote its post: %v", err)
	}
}
