package web_test

import (
	"net/http"
	"testing"

	"milepost/internal/accounts"
)

func TestTheStoryFieldStartsWithTheStorysFirstLine(t *testing.T) {
	file := "---\ntitle: Hills\ndate: 2026-11-01\nauthor: kay\ndraft: true\n---\n\nUp and down.\n"
	h := newHarness(t, siteFiles{"posts/hills/index.md": file}, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	page := kay.get("/admin/posts/hills/edit")
	// A browser drops the line end right after <textarea>: the story is
	// shown from "Up", with no empty line above it.
	mustContain(t, "the edit page", page.body, "<textarea id=\"post-body\" name=\"body\" rows=\"20\">\nUp and down.\n</textarea>")
	if got := formFields(t, page.body).Get("body"); got != "Up and down.\r\n" { // as a browser sends it
		t.Errorf("the story field holds %q", got)
	}
	res := kay.postForm("/admin/posts/hills/edit", with(formFields(t, page.body), "action", "draft"))
	wantStatus(t, "saving it unchanged", res, http.StatusSeeOther)
	if got := h.readFile("posts/hills/index.md"); got != file {
		t.Errorf("an unchanged save wrote:\n%q", got)
	}
}
