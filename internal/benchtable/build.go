package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"time"
)

// build measures `milepost build` of the whole site (a new output each
// round) against `hugo` building the same posts, by wall time and peak
// memory, and a second build after one post is edited.
func (b *bench) build(ctx context.Context) (rows []row, err error) {
	site := fmt.Sprintf("static build of the %s-post site", formatCount(b.posts))
	whatWall, whatRSS, whatAgain := site+": wall time", site+": peak memory", "the build again after one edit"
	// CPU time, beside the goal's wall time: on a machine others share,
	// a build's wall time swings with their load; the work it did less.
	whatCPU := site + ": CPU time (user + system)"
	bin, err := b.milepostBinary(ctx)
	if err != nil {
		return nil, err
	}
	if out, _ := exec.CommandContext(ctx, bin, "build", "-h").CombinedOutput(); bytes.Contains(out, []byte(`unknown command "build"`)) {
		const why = "this milepost has no `build` command"
		return []row{skippedRow(whatWall, why), skippedRow(whatCPU, why), skippedRow(whatRSS, why), skippedRow(whatAgain, why)}, nil
	}
	dir := filepath.Join(b.work, "build")
	content := filepath.Join(dir, "site")
	if err := copySite(b.cfg.contentDir, content); err != nil {
		return nil, err
	}
	// A build needs the site's base URL (its comment form posts there):
	// a site without one is built for a made-up address.
	args := []string{"build", "-content", content}
	settings, err := readSiteSettings(content)
	if err != nil {
		return nil, err
	}
	if settings.BaseURL == "" {
		args = append(args, "-base-url", "https://runners.example.org/")
	}
	hugoBin := lookTool("hugo")
	hugoSite := filepath.Join(dir, "hugo")
	if hugoBin != "" {
		if err := makeHugoSite(content, hugoSite); err != nil {
			return nil, err
		}
	}
	// The edit between a build and the next is to the newest post, the
	// first the home page links to, whose lists and feeds change with it.
	var edited string

	var wall, hugoWall, again, cpu, hugoCPU []float64
	var rss, hugoRSS []int64
	for round := range b.cfg.rounds {
		runMilepost := func() error {
			// Each round builds from nothing: a new output directory, and
			// a new working directory for the default database.
			work := filepath.Join(dir, fmt.Sprintf("milepost-%d", round+1))
			out := filepath.Join(work, "public")
			if err := os.MkdirAll(work, 0o755); err != nil {
				return fmt.Errorf("making a build directory: %w", err)
			}
			m, err := measure(ctx, work, "milepost build", bin, append(args, "-o", out)...)
			if err != nil {
				return err
			}
			if err := requireFile(filepath.Join(out, "index.html")); err != nil {
				return fmt.Errorf("milepost build: %w", err)
			}
			wall, rss, cpu = append(wall, float64(m.wall)), append(rss, m.maxRSS), append(cpu, float64(m.cpu))
			b.log.Info("build", "round", round+1, "milepost", m.wall, "cpu", m.cpu, "peak MB", m.maxRSS/1e6)
			if edited == "" {
				if edited, err = newestPostFile(content, filepath.Join(out, "index.html")); err != nil {
					return err
				}
			}
			if err := appendLine(edited, fmt.Sprintf("\nEdited between builds, round %d.\n", round+1)); err != nil {
				return err
			}
			m, err = measure(ctx, work, "milepost build (again)", bin, append(args, "-o", out)...)
			if err != nil {
				return err
			}
			again = append(again, float64(m.wall))
			b.log.Info("build", "round", round+1, "milepost again", m.wall, "cpu", m.cpu)
			return nil
		}
		runHugo := func() error {
			if hugoBin == "" {
				return nil
			}
			out := filepath.Join(dir, fmt.Sprintf("hugo-public-%d", round+1))
			m, err := measure(ctx, hugoSite, "hugo", hugoBin, "--source", hugoSite, "--destination", out, "--quiet")
			if err != nil {
				return err
			}
			if err := requireFile(filepath.Join(out, "index.html")); err != nil {
				return fmt.Errorf("hugo: %w", err)
			}
			hugoWall, hugoRSS, hugoCPU = append(hugoWall, float64(m.wall)), append(hugoRSS, m.maxRSS), append(hugoCPU, float64(m.cpu))
			b.log.Info("build", "round", round+1, "hugo", m.wall, "cpu", m.cpu, "peak MB", m.maxRSS/1e6)
			return nil
		}
		steps := []func() error{runMilepost, runHugo}
		if round%2 == 1 {
			steps[0], steps[1] = steps[1], steps[0]
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return nil, err
			}
		}
	}
	w, c, m, a := time.Duration(median(wall)), time.Duration(median(cpu)), median(rss), time.Duration(median(again))
	rows = []row{
		{what: whatWall, measured: formatDuration(w), goal: "≤ 0.3× Hugo's"},
		{what: whatCPU, measured: formatDuration(c), goal: "—", met: "—"},
		{what: whatRSS, measured: formatBytes(m), goal: "≤ 0.2× Hugo's"},
		{what: whatAgain, measured: formatDuration(a), goal: "≤ 1 s", met: yesNo(a <= time.Second)},
	}
	if hugoBin == "" {
		for i := range 3 {
			rows[i].reference = "hugo is not installed"
		}
		return rows, nil
	}
	hw, hc, hm := time.Duration(median(hugoWall)), time.Duration(median(hugoCPU)), median(hugoRSS)
	wallRatio, cpuRatio, rssRatio := float64(w)/float64(hw), float64(c)/float64(hc), float64(m)/float64(hm)
	rows[0].reference, rows[0].ratio, rows[0].met = formatDuration(hw)+" `hugo`", formatRatio(wallRatio), yesNo(wallRatio <= 0.3)
	rows[1].reference, rows[1].ratio = formatDuration(hc)+" `hugo`", formatRatio(cpuRatio)
	rows[2].reference, rows[2].ratio, rows[2].met = formatBytes(hm)+" `hugo`", formatRatio(rssRatio), yesNo(rssRatio <= 0.2)
	return rows, nil
}

// measured is what a finished command took.
type measured struct {
	wall   time.Duration
	cpu    time.Duration // user and system time
	maxRSS int64         // its peak resident memory (the kernel's ru_maxrss), in bytes
}

// measure runs a command to its end in dir, its output kept in a log
// beside, and returns its wall time and peak memory. A failing command is
// an error with the end of its output.
func measure(ctx context.Context, dir, name, bin string, args ...string) (measured, error) {
	logPath := filepath.Join(filepath.Dir(dir), filepath.Base(dir)+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return measured{}, fmt.Errorf("creating the log of %s: %w", name, err)
	}
	defer logFile.Close()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil {
		tail, _ := os.ReadFile(logPath)
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return measured{}, fmt.Errorf("%s: %w: %s", name, err, bytes.TrimSpace(tail))
	}
	usage, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return measured{}, errors.New("this system reports no peak memory of a process (rusage)")
	}
	cpu := time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
	return measured{wall: wall, cpu: cpu, maxRSS: usage.Maxrss * 1024}, nil // Linux counts ru_maxrss in KiB
}

func requireFile(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("no output: %w", err)
	}
	if st.Size() == 0 {
		return fmt.Errorf("%s is empty", path)
	}
	return nil
}

func appendLine(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("editing %s: %w", path, err)
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return fmt.Errorf("editing %s: %w", path, err)
	}
	return f.Close()
}

// newestPostFile is the file of the first post the built home page links
// to (by a link relative or absolute).
func newestPostFile(site, homePage string) (string, error) {
	page, err := os.ReadFile(homePage)
	if err != nil {
		return "", fmt.Errorf("reading the built home page: %w", err)
	}
	for _, l := range links(page) {
		if m := builtPostLink.FindStringSubmatch(l); m != nil {
			return postFile(site, "/posts/"+m[1]+"/")
		}
	}
	return "", errors.New("the built home page links to no post")
}

// builtPostLink is a link to a post's page in a built site, relative or not.
var builtPostLink = regexp.MustCompile(`(?:^|/)posts/([^/?#]+)/(?:index\.html)?$`)
