// Command milepost serves a running blog: Markdown posts from a content
// directory, reader comments kept in a bbolt file, and feeds. Its other
// commands manage moderator accounts and move comments in and out of the
// database while the server is stopped.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"milepost/internal/accounts"
	"milepost/internal/app"
	"milepost/internal/deploy"
	"milepost/internal/importer"
	"milepost/internal/web"
)

const usage = `Milepost serves a running blog.

Usage:
  milepost serve [flags]                        serve the site
  milepost nginx-config [flags]                 print an nginx configuration that caches readers'
                                                pages in front of serve
  milepost user add NAME -role ROLE             add an account (asks for its password)
  milepost user passwd NAME                     set a user's password, ending their sessions
  milepost user remove NAME                     remove a user (never the last admin)
  milepost user list                            list the users
  milepost export [-o FILE]                     write every comment, ban and moderation record as JSON
  milepost import [-dry-run] FILE               import comments from a Milepost export (with its bans
                                                and moderation log), a WordPress WXR file or a Disqus
                                                XML export
  milepost backup -o FILE                       copy the database of a stopped server
  milepost new "TITLE" [flags]                  write a new draft post, content/posts/SLUG/index.md
  milepost check [-content DIR]                 check every content file without serving; exit
                                                status 1 and file:line: problem lines if any
  milepost import-strava EXPORT.zip -author ID  make a draft post of each run of a Strava bulk
                                                export, with its activity file
  milepost build [-o public/] [flags]           write the whole site as static files, with .gz
                                                and .br copies; again: only what changed

Every command but new, check, import-strava and nginx-config takes -db FILE (default ./data/milepost.db).
Those that take it, but serve, need the server stopped; a running server's backup is GET /admin/backup, for admins.
"milepost COMMAND -h" lists a command's flags.
`

const defaultDB = "./data/milepost.db"

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "serve":
		if err := serve(ctx, args); err != nil {
			log.Error("milepost failed", "err", err)
			os.Exit(1)
		}
		return
	case "nginx-config":
		err = nginxConfig(args)
	case "user":
		err = user(ctx, args)
	case "export":
		err = export(ctx, args)
	case "import":
		err = importCmd(ctx, args)
	case "backup":
		err = backup(ctx, args)
	case "new":
		err = newPost(ctx, args)
	case "check":
		err = check(ctx, args)
	case "import-strava":
		err = importStrava(ctx, args)
	case "build":
		err = buildSite(ctx, log, args)
	case "help", "-h", "-help", "--help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "milepost: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	var uerr usageError
	switch {
	case errors.As(err, &uerr):
		fmt.Fprintf(os.Stderr, "milepost: %v\n\n", uerr.msg)
		uerr.fs.SetOutput(os.Stderr)
		uerr.fs.Usage()
		os.Exit(2)
	case err != nil:
		fmt.Fprintf(os.Stderr, "milepost: %v\n", err)
		os.Exit(1)
	}
}

func serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	// Buffered: a line per request (written out before serve returns).
	log, access, flushLog := app.BufferedLogger(os.Stderr)
	defer flushLog()
	cfg := app.ServeConfig{Log: log, AccessLog: access}
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&cfg.ContentDir, "content", "./content", "content directory: site.yaml, posts/, authors/")
	fs.StringVar(&cfg.DBPath, "db", defaultDB, "bbolt database file (created with its directory if missing)")
	fs.StringVar(&cfg.BaseURL, "base-url", "", "absolute URL the site is served at (overrides site.yaml's base_url)")
	fs.BoolVar(&cfg.Drafts, "drafts", false, "show draft posts")
	fs.BoolVar(&cfg.Live, "live", false, "reload open browser tabs when a content file changes, for writing locally (pages then run a script of the server's own)")
	fs.StringVar(&cfg.ThemeDir, "theme", "", "theme directory whose files override the embedded default theme")
	fs.IntVar(&cfg.CommentRate, "comment-rate", 5, "comments one address may post per minute")
	fs.DurationVar(&cfg.CacheMaxAge, "cache-max-age", web.DefaultPublicMaxAge, "how long shared caches (nginx, a CDN) may keep a reader's page before asking again; whole seconds, at least 1s")
	cfg.Guards = web.DefaultGuards
	fs.BoolVar(&cfg.Guards.Honeypot, "honeypot", cfg.Guards.Honeypot, "add a hidden field that only bots fill in")
	fs.DurationVar(&cfg.Guards.MinFormAge, "min-form-age", cfg.Guards.MinFormAge, "refuse comment forms sent sooner than this after the page was served (0: off)")
	fs.DurationVar(&cfg.Guards.MaxFormAge, "max-form-age", cfg.Guards.MaxFormAge, "refuse comment forms older than this (0: off)")
	fs.StringVar(&cfg.DebugAddr, "debug-addr", "", "serve expvar, pprof and /debug/heap on this loopback address")
	fs.BoolVar(&cfg.DebugAddrPublic, "debug-addr-public", false, "allow a -debug-addr that is not on loopback (it shows profiles and the command line to anyone who reaches it)")
	fs.IntVar(&cfg.MaxConns, "max-conns", app.DefaultMaxConns, "connections served at once; more wait until one closes")
	fs.Func("trusted-proxy", "an address or CIDR range whose X-Forwarded-For is believed (repeatable)", func(v string) error {
		p, err := web.ParseTrustedProxy(v)
		if err != nil {
			return err
		}
		cfg.Guards.TrustedProxies = append(cfg.Guards.TrustedProxies, p)
		return nil
	})
	smtpPasswordFile := fs.String("smtp-password-file", "", "`FILE` holding the SMTP password for site.yaml's email: block (else $MILEPOST_SMTP_PASSWORD)")
	fs.Parse(args)
	password, err := app.SMTPPassword(*smtpPasswordFile)
	if err != nil {
		return err
	}
	cfg.SMTPPassword = password
	if cfg.CacheMaxAge < time.Second || cfg.CacheMaxAge%time.Second != 0 {
		return fmt.Errorf("-cache-max-age %v: it must be whole seconds, at least 1s", cfg.CacheMaxAge)
	}
	return app.Serve(ctx, cfg)
}

func nginxConfig(args []string) error {
	fs := newFlagSet("nginx-config", `milepost nginx-config [-upstream 127.0.0.1:8080] [-server-name example.org] [-listen 80] [-cache-dir /var/cache/nginx/milepost] [-cache-size 1g]

Prints an nginx configuration (for Debian's nginx: /etc/nginx/sites-available/)
that runs nginx in front of milepost serve and caches readers' pages for as
long as serve says they may be kept, and nothing personal. Run serve with
-trusted-proxy set to the address nginx connects from (127.0.0.1).`)
	site := deploy.DefaultNginxSite
	fs.StringVar(&site.Upstream, "upstream", site.Upstream, "`ADDRESS` milepost serve listens on (its -addr)")
	fs.StringVar(&site.ServerName, "server-name", site.ServerName, "the site's host `NAME`")
	fs.StringVar(&site.Listen, "listen", site.Listen, "nginx's listen `PORT` or ADDRESS:PORT")
	fs.StringVar(&site.CacheDir, "cache-dir", site.CacheDir, "`DIR` nginx keeps cached pages in")
	fs.StringVar(&site.CacheMaxSize, "cache-size", site.CacheMaxSize, "the cache's bound on disk, in nginx's notation (`SIZE`: 500m, 1g)")
	if pos := fs.parse(args); len(pos) != 0 {
		return fs.usageErr("nginx-config takes no arguments")
	}
	return deploy.RenderNginx(os.Stdout, site)
}

const userUsage = `Usage:
  milepost user add NAME -role ROLE [-password-stdin] [-db FILE]
  milepost user passwd NAME [-password-stdin] [-db FILE]
  milepost user remove NAME [-db FILE]
  milepost user list [-db FILE]

A password is typed twice on the terminal, without being shown, or read as one
line from standard input with -password-stdin. It needs 10 to 72 bytes.
ROLE is one of:
  contributor  writes drafts and submits them for review
  author       also publishes their own posts
  editor       also edits and reviews anyone's posts, and moderates comments
  moderator    moderates comments, and nothing else
  admin        all of that, and manages users and invites and takes backups
The last enabled admin can be neither removed, disabled nor given another role.
These commands open the database, so the server must be stopped: use them for
the first admin. While the server runs, admins manage users at /admin/users/.
"milepost user SUBCOMMAND -h" lists a subcommand's flags.
`

func user(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, userUsage)
		os.Exit(2)
	}
	sub, args := args[0], args[1:]
	cfg := app.UsersConfig{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	var role accounts.Role
	fs := newFlagSet("user "+sub, "")
	fs.StringVar(&cfg.DBPath, "db", defaultDB, "bbolt database `FILE`")
	passwordStdin := func() {
		fs.BoolVar(&cfg.PasswordStdin, "password-stdin", false, "read the password as one line from standard input instead of the terminal")
	}
	switch sub {
	case "add":
		fs.synopsis = "milepost user add NAME -role ROLE [flags]"
		fs.Func("role", "the user's role, required: `contributor|author|editor|moderator|admin` (see \"milepost user help\")", func(v string) error {
			r, err := accounts.ParseRole(v)
			role = r
			return err
		})
		passwordStdin()
	case "passwd":
		fs.synopsis = "milepost user passwd NAME [flags]"
		passwordStdin()
	case "remove":
		fs.synopsis = "milepost user remove NAME [flags]"
	case "list":
		fs.synopsis = "milepost user list [flags]"
	case "help", "-h", "-help", "--help":
		fmt.Print(userUsage)
		return nil
	default:
		fmt.Fprintf(os.Stderr, "milepost: unknown user command %q\n\n%s", sub, userUsage)
		os.Exit(2)
	}
	pos := fs.parse(args)
	if sub == "list" {
		if len(pos) != 0 {
			return fs.usageErr("user list takes no arguments")
		}
		return app.UserList(ctx, cfg)
	}
	if len(pos) != 1 {
		return fs.usageErr("want exactly one user NAME")
	}
	switch sub {
	case "add":
		if role == "" {
			return fs.usageErr("-role is required: contributor, author, editor, moderator or admin")
		}
		return app.UserAdd(ctx, cfg, pos[0], role)
	case "passwd":
		return app.UserPasswd(ctx, cfg, pos[0])
	default:
		return app.UserRemove(ctx, cfg, pos[0])
	}
}

func export(ctx context.Context, args []string) error {
	fs := newFlagSet("export", "milepost export [-db FILE] [-o FILE]")
	cfg := app.ExportConfig{Stdout: os.Stdout, Stderr: os.Stderr}
	fs.StringVar(&cfg.DBPath, "db", defaultDB, "bbolt database `FILE`")
	fs.StringVar(&cfg.Output, "o", "-", "`FILE` to write the export to (private: it holds emails and IP addresses); - for standard output")
	if pos := fs.parse(args); len(pos) != 0 {
		return fs.usageErr("export takes no arguments; name the output file with -o")
	}
	return app.Export(ctx, cfg)
}

func importCmd(ctx context.Context, args []string) error {
	fs := newFlagSet("import", "milepost import [-db FILE] [-content DIR] [-dry-run] FILE\n\n"+
		"FILE is a Milepost export, a WordPress WXR file or a Disqus XML export (- for\n"+
		"standard input), of at most "+strconv.Itoa(importer.MaxInputBytes>>20)+" MiB; the format is detected. Comments are placed\n"+
		"on the posts of the content directory by slug or URL, and must keep the rules of\n"+
		"a comment written on the site. Importing the same file again adds nothing.")
	cfg := app.ImportConfig{Stdin: os.Stdin, Stdout: os.Stdout}
	fs.StringVar(&cfg.DBPath, "db", defaultDB, "bbolt database `FILE` (created if missing)")
	fs.StringVar(&cfg.ContentDir, "content", "./content", "content `DIR`: the comments go on its published posts")
	fs.BoolVar(&cfg.DryRun, "dry-run", false, "report what would be imported, and change nothing")
	pos := fs.parse(args)
	if len(pos) != 1 {
		return fs.usageErr("want exactly one FILE to import")
	}
	cfg.File = pos[0]
	_, err := app.Import(ctx, cfg)
	return err
}

func backup(ctx context.Context, args []string) error {
	fs := newFlagSet("backup", "milepost backup -o FILE [-db FILE]\n\n"+
		"Copies the database of a stopped server. A running server holds the database:\n"+
		"download GET /admin/backup from it instead.")
	cfg := app.BackupConfig{Stdout: os.Stdout, Stderr: os.Stderr}
	fs.StringVar(&cfg.DBPath, "db", defaultDB, "bbolt database `FILE`")
	fs.StringVar(&cfg.Output, "o", "", "`FILE` to write the copy to (private: it holds everything); - for standard output; required")
	if pos := fs.parse(args); len(pos) != 0 {
		return fs.usageErr("backup takes no arguments; name the output file with -o")
	}
	if cfg.Output == "" {
		return fs.usageErr("-o FILE is required")
	}
	return app.Backup(ctx, cfg)
}

func newPost(ctx context.Context, args []string) error {
	fs := newFlagSet("new", `milepost new "TITLE" [-author ID] [-slug SLUG] [-date DATE] [-draft=false] [-content DIR]

Writes a new post as a page bundle, content/posts/SLUG/index.md, with its
front matter filled in, and prints the file's path. The slug comes from the
title unless -slug gives it; a slug another post has is refused. Photos go
in the same folder, beside index.md.`)
	cfg := app.NewPostConfig{Stdout: os.Stdout}
	fs.StringVar(&cfg.ContentDir, "content", "./content", "content `DIR`: the post goes into its posts/")
	fs.StringVar(&cfg.Author, "author", "", "the author: an `ID` of content/authors (a file name without .md)")
	fs.StringVar(&cfg.Slug, "slug", "", "the post's `SLUG` (lowercase letters, digits and inner hyphens) instead of the title's")
	fs.StringVar(&cfg.Date, "date", "", "the post's `DATE` (2006-01-02, 2006-01-02 15:04 or RFC 3339), in the site's time zone; default now")
	fs.BoolVar(&cfg.Draft, "draft", true, "mark the post draft: served only with serve -drafts until draft: true is taken out")
	pos := fs.parse(args)
	if len(pos) != 1 {
		return fs.usageErr(`want exactly one TITLE (quote it: milepost new "Race day: 10k PR")`)
	}
	cfg.Title = pos[0]
	_, err := app.NewPost(ctx, cfg)
	return err
}

func check(ctx context.Context, args []string) error {
	fs := newFlagSet("check", `milepost check [-content DIR]

Loads the content directory as serve does, without serving it, and prints
every problem as "file:line: message", files relative to the content
directory; also images a post shows from its folder that readers would not
get. Exit status 1 if there is any problem, else 0 with a one-line summary:
for CI and git hooks.`)
	cfg := app.CheckConfig{Stdout: os.Stdout}
	fs.StringVar(&cfg.ContentDir, "content", "./content", "content `DIR` to check")
	if pos := fs.parse(args); len(pos) != 0 {
		return fs.usageErr("check takes no arguments; name the content directory with -content")
	}
	_, err := app.Check(ctx, cfg)
	return err
}

// buildMemoryLimit is build's soft memory limit, unless GOMEMLIMIT sets
// one.
const buildMemoryLimit = 256 << 20

// buildGCPercent is build's GOGC, unless GOGC or GOMEMLIMIT sets one.
const buildGCPercent = 400

func buildSite(ctx context.Context, log *slog.Logger, args []string) error {
	fs := newFlagSet("build", `milepost build [-o public/] [-content DIR] [-db FILE] [-base-url URL] [-no-comments]

Writes the whole site as static files, as serve serves it: every page, page
of a list, tag and author page, feed, comment feed, the sitemap, robots.txt,
photos and their narrower copies, static files, with the comments as of the
build, and a .gz and a .br copy beside each text file. Built again into the
same directory, it rewrites only the files that changed and removes those of
pages that are gone. It needs the base URL (site.yaml's base_url or
-base-url); the comment form posts there, to serve. The database must not be
open in a running server: build from a copy (GET /admin/backup).`)
	cfg := app.BuildConfig{Log: log}
	fs.StringVar(&cfg.OutDir, "o", "public", "output `DIR`: new, empty, or made by an earlier build")
	fs.StringVar(&cfg.ContentDir, "content", "./content", "content `DIR`: site.yaml, posts/, authors/")
	fs.StringVar(&cfg.DBPath, "db", defaultDB, "bbolt database `FILE` the comments are read from")
	fs.StringVar(&cfg.BaseURL, "base-url", "", "absolute `URL` of the site, where serve runs (overrides site.yaml's base_url)")
	fs.StringVar(&cfg.ThemeDir, "theme", "", "theme `DIR` whose files override the embedded default theme")
	fs.BoolVar(&cfg.NoComments, "no-comments", false, "leave the comment form out: pages show the comments as of the build")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the build to `FILE` (go tool pprof reads it)")
	memProfile := fs.String("memprofile", "", "write a heap profile, taken at the build's end, to `FILE`")
	if pos := fs.parse(args); len(pos) != 0 {
		return fs.usageErr("build takes no arguments; name the output directory with -o")
	}
	stopProfiles, err := startProfiles(*cpuProfile, *memProfile)
	if err != nil {
		return err
	}
	defer stopProfiles()
	if term.IsTerminal(int(os.Stderr.Fd())) {
		cfg.Progress = os.Stderr
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// A build's live memory is the site and the pages in hand; the
		// rest is garbage, which a soft limit collects before the heap
		// doubles (the 10,000-post site: 219 MB peak at 200 MiB, 381 MB
		// without), for more of the collector's time.
		debug.SetMemoryLimit(buildMemoryLimit)
		if os.Getenv("GOGC") == "" {
			// Under the limit, collect less often than the default
			// while the heap grows from nothing: a build again after an
			// edit never nears the limit, and spent a tenth of its CPU
			// collecting a heap that doubled from 4 MB in steps.
			debug.SetGCPercent(buildGCPercent)
		}
	}
	res, err := app.Build(ctx, cfg)
	if err != nil {
		return err
	}
	for _, l := range res.Broken {
		log.Warn("a page links to an address the site does not serve", "link", l.String())
	}
	fmt.Printf("built %d pages and files into %s in %.1f s (%d unchanged since the last build, not rendered): %d files written, %d unchanged, %d removed; %d broken links\n",
		res.Pages, cfg.OutDir, res.Elapsed.Seconds(), res.Skipped, res.Written, res.Unchanged, res.Removed, len(res.Broken))
	return nil
}

func importStrava(ctx context.Context, args []string) error {
	fs := newFlagSet("import-strava", `milepost import-strava EXPORT.zip -author ID [-since DATE] [-type TYPE] [-dry-run] [-content DIR]

Reads a Strava bulk export (Settings, My Account, Download or Delete Your
Account: the zip of activities.csv and activities/) and writes each run in
it as a draft page bundle, content/posts/SLUG/index.md with the activity
file beside it: title, date, description, run: distance, moving time and
elevation gain. Importing the same export again adds nothing. Runs left
out are reported with why. No server is needed; a running one picks the
drafts up.`)
	cfg := app.ImportStravaConfig{Stdout: os.Stdout}
	fs.StringVar(&cfg.ContentDir, "content", "./content", "content `DIR`: the posts go into its posts/")
	fs.StringVar(&cfg.Author, "author", "", "the runner: an `ID` of content/authors (a file name without .md); required")
	fs.StringVar(&cfg.Since, "since", "", "leave out activities before this `DATE` (2006-01-02), in the site's time zone")
	fs.StringVar(&cfg.Type, "type", "Run", "the Strava activity `TYPE` to import; Run also takes Trail Run and Virtual Run")
	fs.BoolVar(&cfg.DryRun, "dry-run", false, "read and check everything, report what would be imported, and write nothing")
	pos := fs.parse(args)
	if len(pos) != 1 {
		return fs.usageErr("want exactly one EXPORT.zip")
	}
	if cfg.Author == "" {
		return fs.usageErr("-author ID is required")
	}
	cfg.Export = pos[0]
	_, err := app.ImportStrava(ctx, cfg)
	return err
}

// flagSet is a command's flags, with the synopsis its -h prints first.
type flagSet struct {
	*flag.FlagSet
	synopsis string
}

func newFlagSet(name, synopsis string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ExitOnError), synopsis: synopsis}
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage:\n  %s\n\nFlags:\n", fs.synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, which may mix flags and positional arguments ("user
// add kay -role admin"), and returns the positional ones. Everything after
// "--" is positional.
func (fs *flagSet) parse(args []string) []string {
	var pos []string
	for len(args) > 0 {
		fs.Parse(args) // exits on a bad flag, or after -h
		rest := fs.Args()
		if used := args[:len(args)-len(rest)]; len(used) > 0 && used[len(used)-1] == "--" {
			return append(pos, rest...)
		}
		if len(rest) == 0 {
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	return pos
}

// usageError is a command line that makes no sense: main prints it with the
// command's usage and exits with status 2.
type usageError struct {
	fs  *flagSet
	msg string
}

func (e usageError) Error() string { return e.msg }

func (fs *flagSet) usageErr(msg string) error {
	return usageError{fs: fs, msg: strings.TrimSpace(msg)}
}
