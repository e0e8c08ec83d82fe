package app

import (
	"context"
	"fmt"
	"io"
	"strings"

	"milepost/internal/content"
)

// CheckConfig is what `milepost check` is told.
type CheckConfig struct {
	ContentDir string
	// Stdout receives each problem as a line "file:line: message", then a
	// summary when there is none; nil for none.
	Stdout io.Writer
}

// CheckReport is what checking a content directory found.
type CheckReport struct {
	Posts, Drafts, Authors int
	// Problems are Load's (every file it skipped, the text serve logs)
	// followed by Site.Check's, which serve does not look for: images
	// missing from a bundle, or that the server's photo handling refuses.
	Problems []content.Problem
}

// ProblemsError is the error of a check that found problems: the command
// fails, so that a CI job or a git hook stops.
type ProblemsError struct {
	Problems, Files int
}

func (e *ProblemsError) Error() string {
	return fmt.Sprintf("%s in %s", plural(e.Problems, "problem"), plural(e.Files, "file"))
}

// Check loads the content directory as serve does, without serving it, and
// reports every problem. It returns a *ProblemsError when there is one;
// another error only when the content cannot be loaded at all (site.yaml
// missing or invalid, posts/ unreadable).
func Check(ctx context.Context, cfg CheckConfig) (CheckReport, error) {
	site, err := content.Load(ctx, cfg.ContentDir, content.Overrides{})
	if err != nil {
		return CheckReport{}, fmt.Errorf("loading the content directory: %w", err)
	}
	more, err := site.Check(ctx)
	if err != nil {
		return CheckReport{}, fmt.Errorf("checking the content directory: %w", err)
	}
	every := content.View{Site: site, Now: farFuture, Drafts: true}.Posts()
	rep := CheckReport{
		Posts:    len(every),
		Authors:  len(site.Authors),
		Problems: append(append([]content.Problem(nil), site.Problems...), more...),
	}
	for _, p := range every {
		if p.Draft {
			rep.Drafts++
		}
	}
	out := cfg.Stdout
	if out == nil {
		out = io.Discard
	}
	files := make(map[string]bool)
	for _, p := range rep.Problems {
		fmt.Fprintln(out, p.Error())
		files[p.File] = true
	}
	if len(rep.Problems) > 0 {
		return rep, &ProblemsError{Problems: len(rep.Problems), Files: len(files)}
	}
	fmt.Fprintln(out, rep.summary())
	return rep, nil
}

// summary is the line a check without problems ends with: "12 posts (2
// drafts), 3 authors, no problems".
func (r CheckReport) summary() string {
	var b strings.Builder
	b.WriteString(plural(r.Posts, "post"))
	if r.Drafts > 0 {
		fmt.Fprintf(&b, " (%s)", plural(r.Drafts, "draft"))
	}
	fmt.Fprintf(&b, ", %s, no problems", plural(r.Authors, "author"))
	return b.String()
}
