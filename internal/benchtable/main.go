// Command benchtable measures Milepost against references in the same run
// and prints the table of issue 10 ("Fast at any size") in Markdown: each
// figure beside the reference it is compared with, their ratio, the goal
// and whether it is met.
//
//	go run ./internal/benchtable -content DIR [-rounds 3] [-duration 10s] [-connections 64] [-only ROWS]
//
// DIR is a site: site.yaml, posts/ and authors/, such as a generated
// 10,000-post site. Every server runs on loopback on a copy of it, with a
// database of its own, under a work directory removed at the end.
//
// The references are a bare net/http handler writing the same response
// from memory (pages and feeds, loaded by wrk), raw bbolt Batch (comment
// writes, from BenchmarkCommentWrite), Hugo (live edit and static build,
// when installed) and nginx serving a static file. Rounds are interleaved
// — Milepost, then its reference, then the next round — and each ratio is
// of the medians. A row whose tool is missing is skipped with a note; a
// step that breaks makes the row FAILED and the exit status 1: no figure is
// ever printed for something that was not measured.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// rowNames are the rows -only selects, in the order of the table.
var rowNames = []string{"post", "home", "tag", "feed", "feed304", "comments", "live", "startup", "build", "nginx"}

// pageRows are the rows loaded by wrk against one server; "pages" selects
// them all.
var pageRows = []string{"post", "home", "tag", "feed", "feed304"}

type config struct {
	contentDir  string
	content30k  string
	rounds      int
	duration    time.Duration
	connections int
	only        map[string]bool
	workDir     string
	keepWork    bool
	milepost    string // a binary to measure instead of building cmd/milepost
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchtable: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ok, err := run(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchtable: %v\n", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("benchtable", flag.ContinueOnError)
	var cfg config
	var only string
	fs.StringVar(&cfg.contentDir, "content", "", "the site `DIR` to measure (site.yaml, posts/, authors/); required")
	fs.StringVar(&cfg.content30k, "content30k", "", "a larger site `DIR` (30,000 posts) for the start-up row's growth; optional")
	fs.IntVar(&cfg.rounds, "rounds", 3, "interleaved rounds of each measurement; the table shows medians")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "length of each wrk run")
	fs.IntVar(&cfg.connections, "connections", 64, "wrk's open connections")
	fs.StringVar(&only, "only", "", "comma-separated rows to run ("+strings.Join(rowNames, ", ")+", or pages for the first five); default all")
	fs.StringVar(&cfg.workDir, "work", "", "`DIR` for the copies, databases and outputs (default: a new temporary directory, removed at the end)")
	fs.BoolVar(&cfg.keepWork, "keep", false, "keep the work directory (its logs) at the end")
	fs.StringVar(&cfg.milepost, "milepost", "", "a milepost `BINARY` to measure instead of building ./cmd/milepost of this module")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if cfg.contentDir == "" {
		return cfg, errors.New("-content DIR is required: a site with site.yaml and posts/")
	}
	if cfg.rounds < 1 || cfg.connections < 1 || cfg.duration < time.Second {
		return cfg, errors.New("-rounds and -connections must be at least 1, -duration at least 1s")
	}
	cfg.only = map[string]bool{}
	for name := range strings.SplitSeq(only, ",") {
		switch name = strings.TrimSpace(name); {
		case name == "":
		case name == "pages":
			for _, p := range pageRows {
				cfg.only[p] = true
			}
		case slices.Contains(rowNames, name):
			cfg.only[name] = true
		default:
			return cfg, fmt.Errorf("-only: unknown row %q (rows: %s, pages)", name, strings.Join(rowNames, ", "))
		}
	}
	if len(cfg.only) == 0 {
		for _, n := range rowNames {
			cfg.only[n] = true
		}
	}
	return cfg, nil
}

// bench is one run of the command: its settings and what the rows share.
type bench struct {
	cfg      config
	log      *slog.Logger
	repo     string // the module's root directory
	work     string
	milepost string // the binary, built once
	posts    int    // posts in cfg.contentDir
	load     wrkLoad
}

// group measures some rows; its rows are returned in table order.
type group struct {
	rows []string
	run  func(context.Context) ([]row, error)
	what string // the row a failure is reported on
}

func run(ctx context.Context, cfg config, log *slog.Logger) (bool, error) {
	b := &bench{cfg: cfg, log: log, milepost: cfg.milepost}
	var err error
	if b.repo, err = moduleRoot(ctx); err != nil {
		return false, err
	}
	if b.posts, err = countPosts(cfg.contentDir); err != nil {
		return false, err
	}
	if b.work = cfg.workDir; b.work == "" {
		if b.work, err = os.MkdirTemp("", "benchtable-"); err != nil {
			return false, fmt.Errorf("making a work directory: %w", err)
		}
		if !cfg.keepWork {
			defer os.RemoveAll(b.work)
		}
	} else if err := os.MkdirAll(b.work, 0o755); err != nil {
		return false, fmt.Errorf("making the work directory: %w", err)
	}
	b.load = wrkLoad{bin: lookTool("wrk"), threads: 2, connections: cfg.connections, duration: cfg.duration}

	header(ctx, b)
	groups := []group{
		{rows: pageRows, run: b.pages, what: "pages and feeds"},
		{rows: []string{"comments"}, run: b.comments, what: "durable comment POSTs"},
		{rows: []string{"live"}, run: b.liveEdit, what: "one post edited, live"},
		{rows: []string{"startup"}, run: b.startup, what: "serve ready"},
		{rows: []string{"build"}, run: b.build, what: "static build"},
		{rows: []string{"nginx"}, run: b.nginx, what: "behind nginx"},
	}
	var rows []row
	ok := true
	for _, g := range groups {
		if !slices.ContainsFunc(g.rows, func(n string) bool { return cfg.only[n] }) {
			continue
		}
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		got, err := g.run(ctx)
		rows = append(rows, got...)
		if err != nil {
			ok = false
			log.Error("a measurement failed", "rows", g.what, "err", err)
			rows = append(rows, failedRow(g.what, err))
		}
	}
	fmt.Println()
	printTable(os.Stdout, rows)
	if !ok {
		fmt.Fprintln(os.Stderr, "benchtable: some measurements FAILED (see the table and the log above)")
	}
	return ok, nil
}

// header prints what the figures were measured with: the command, the
// machine, the date and the code.
func header(ctx context.Context, b *bench) {
	fmt.Printf("Command: go run ./internal/benchtable %s\n", shellJoin(os.Args[1:]))
	fmt.Printf("Machine: %s, %d CPUs, GOMAXPROCS %d, %s %s/%s\n",
		cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Printf("Date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	if b.cfg.milepost != "" {
		fmt.Printf("Milepost: the binary %s\n", b.cfg.milepost)
	} else {
		fmt.Printf("Milepost: %s\n", gitDescribe(ctx, b.repo))
	}
	fmt.Printf("Site: %s posts; wrk -t%d -c%d -d%s, %d interleaved rounds, ratios of medians\n",
		formatCount(b.posts), b.load.threads, b.load.connections, b.cfg.duration, b.cfg.rounds)
	var tools []string
	for _, t := range []struct{ name, versionFlag string }{{"wrk", "-v"}, {"hugo", "version"}, {"nginx", "-v"}} {
		tools = append(tools, t.name+": "+toolVersion(ctx, t.name, t.versionFlag))
	}
	fmt.Printf("Tools: %s\n", strings.Join(tools, "; "))
}

// moduleRoot is the directory of the go.mod of the module the command runs
// in (it builds milepost and runs its benchmarks from there).
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module (go env GOMOD): %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run benchtable inside the milepost module (go run ./internal/benchtable)")
	}
	return filepath.Dir(gomod), nil
}

// countPosts counts the Markdown files a site's posts/ holds that are
// posts: single files and the index.md of a bundle (other Markdown in a
// bundle is not a post).
func countPosts(dir string) (int, error) {
	n := 0
	root := filepath.Join(dir, "posts")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || filepath.Ext(path) != ".md" {
			return nil
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(path), "index.md")); err == nil && d.Name() != "index.md" {
			return nil
		}
		n++
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("counting the posts of %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "site.yaml")); err != nil {
		return 0, fmt.Errorf("%s is not a site: %w", dir, err)
	}
	return n, nil
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func gitDescribe(ctx context.Context, dir string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown commit"
	}
	desc := strings.TrimSpace(string(out))
	if st, err := exec.CommandContext(ctx, "git", "-C", dir, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		desc += " with uncommitted changes"
	}
	return desc
}

// lookTool is the path of an installed tool, or "" when it is missing.
func lookTool(name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		return ""
	}
	return p
}

func toolVersion(ctx context.Context, name, flag string) string {
	p := lookTool(name)
	if p == "" {
		return "not installed"
	}
	out, _ := exec.CommandContext(ctx, p, flag).CombinedOutput() // wrk -v exits 1
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if line == "" {
		return p
	}
	return line
}

// shellJoin quotes args for a shell where they need it.
func shellJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`*?[]{}()<>|&;#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		quoted[i] = a
	}
	return strings.Join(quoted, " ")
}
