package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"milepost/internal/bolt"
	"milepost/internal/mail/mailtest"
	"milepost/internal/outbox"
	"milepost/internal/subscriptions"
)

// TestMailChild is the server TestKill9MidOutbox kills: Serve, in a
// process of its own, with the content and database the environment
// names. It prints the address when it serves. Run alone, it skips.
func TestMailChild(t *testing.T) {
	dir, db := os.Getenv("MILEPOST_MAIL_CHILD_CONTENT"), os.Getenv("MILEPOST_MAIL_CHILD_DB")
	if dir == "" {
		t.Skip("the child server of TestKill9MidOutbox")
	}
	err := Serve(context.Background(), ServeConfig{Addr: "127.0.0.1:0", ContentDir: dir, DBPath: db,
		DebugAddr: os.Getenv("MILEPOST_MAIL_CHILD_DEBUG"),
		Log:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Ready:     func(addr string) { fmt.Println("SERVING", addr) }})
	t.Fatal(err)
}

// child is a running TestMailChild.
type child struct {
	cmd   *exec.Cmd
	debug string // the address of its expvar endpoint
}

func startChild(t *testing.T, dir, db string) *child {
	t.Helper()
	ln := listen(t)
	debug := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMailChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "MILEPOST_MAIL_CHILD_CONTENT="+dir, "MILEPOST_MAIL_CHILD_DB="+db, "MILEPOST_MAIL_CHILD_DEBUG="+debug)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "SERVING ") {
				ready <- true
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the child server did not start")
	}
	c := &child{cmd: cmd, debug: debug}
	t.Cleanup(func() { c.kill9() })
	return c
}

func (c *child) kill9() {
	if c.cmd.ProcessState == nil {
		c.cmd.Process.Signal(syscall.SIGKILL)
		c.cmd.Wait()
	}
}

// outboxPending is how many messages the child's outbox still holds, as
// its /debug/vars says; -1 while that cannot be read.
func (c *child) outboxPending() int {
	resp, err := http.Get("http://" + c.debug + "/debug/vars")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var vars struct {
		Outbox *outbox.Stats `json:"outbox"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&vars); err != nil || vars.Outbox == nil {
		return -1
	}
	n := 0
	for _, k := range vars.Outbox.Pending {
		n += k
	}
	return n
}

func (c *child) stop(t *testing.T) {
	t.Helper()
	c.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		c.kill9()
		t.Fatal("the child server did not stop on SIGINT")
	}
}

// TestKill9MidOutbox: a new post goes to 40 subscribers through a slow
// SMTP server; the server is killed with SIGKILL halfway through and
// started again. Every subscriber gets the post, and every copy one
// subscriber receives has the same Message-ID: a copy sent again after
// the kill (the send went, its record did not) is recognisably the same
// mail, and no mail is lost.
func TestKill9MidOutbox(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	smtp := mailtest.Start(t)
	ln := listen(t)
	dir := newMailContent(t, smtp, ln)
	ln.Close()
	writeFile(t, filepath.Join(dir, "site.yaml"), strings.Replace(readFile(t, filepath.Join(dir, "site.yaml")), "tls: none", "tls: none\n  per_minute: 100000", 1))
	db := filepath.Join(t.TempDir(), "milepost.db")
	const readers = 40

	// The subscribers, confirmed, straight into the database.
	ctx := context.Background()
	store, err := bolt.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for i := range readers {
		err := store.UpdateSubscriber(ctx, fmt.Sprintf("reader%02d@example.org", i), func(s *subscriptions.Subscriber) ([]outbox.Message, error) {
			s.Created, s.Confirmed = now, now
			s.Scopes = map[string]subscriptions.Sub{subscriptions.ScopeSite: {Since: now, Active: true}}
			return nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	store.Close()

	// The first run records the site as it is: nothing is sent.
	c := startChild(t, dir, db)
	time.Sleep(300 * time.Millisecond)
	c.stop(t)
	if n := len(smtp.Messages()); n != 0 {
		t.Fatalf("the first run sent %d emails", n)
	}

	writeFile(t, filepath.Join(dir, "posts", "race.md"), "---\ntitle: Race day\ndate: "+now.Add(-time.Hour).Format(time.RFC3339)+"\n---\nWe ran.\n")
	smtp.SetDelay(40 * time.Millisecond)
	c = startChild(t, dir, db)
	deadline := time.Now().Add(20 * time.Second)
	for len(smtp.Messages()) < readers/3 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d emails arrived before the kill", len(smtp.Messages()))
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.kill9()
	before := len(smtp.Messages())
	if before >= readers {
		t.Fatalf("all %d emails went before the kill: it proves nothing", before)
	}
	smtp.SetDelay(0)
	c = startChild(t, dir, db)
	ids := map[string]map[string]bool{}
	deadline = time.Now().Add(30 * time.Second)
	for {
		clear(ids)
		for _, m := range smtp.Messages() {
			if ids[m.To[0]] == nil {
				ids[m.To[0]] = map[string]bool{}
			}
			ids[m.To[0]][m.Header.Get("Message-ID")] = true
		}
		// Every subscriber may hold a copy while the outbox still has
		// work: a copy delivered before the kill whose record was lost
		// goes again, with its Message-ID.
		if len(ids) == readers && c.outboxPending() == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.stop(t)
	if len(ids) != readers {
		t.Fatalf("%d of %d subscribers got the post", len(ids), readers)
	}
	for to, set := range ids {
		if len(set) != 1 {
			t.Errorf("%s got %d different Message-IDs for one post: %v", to, len(set), set)
		}
	}
	t.Logf("%d emails before the kill, %d in all for %d subscribers (a copy again is one whose send went but whose record did not)",
		before, len(smtp.Messages()), readers)
	store, err = bolt.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if st, _ := store.Stats(ctx); st.Pending[subscriptions.Kind] != 0 || st.Dead[subscriptions.Kind] != 0 {
		t.Errorf("outbox after the run: %+v", st)
	}
	if err := store.Check(ctx); err != nil {
		t.Error(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
