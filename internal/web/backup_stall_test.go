package web_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"milepost/internal/accounts"
	"milepost/internal/comments"
)

// How long a request, and a write of a few MiB, may take while a backup
// download is paused: without the snapshot, the writes that grow the file
// wait for the download for ever. The write's bound leaves room for the
// race detector on a busy machine.
const (
	stallBound = 10 * time.Second
	growBound  = 30 * time.Second
)

func TestAPausedBackupDownloadBlocksNoWriteAndNoRead(t *testing.T) {
	if testing.Short() {
		t.Skip("writes about 10 MiB")
	}
	h := newHarness(t, massageSite(""))
	h.addUser("boss", accounts.RoleAdmin)
	admin := h.browser()
	admin.signIn("boss")
	// Make the database larger than the socket buffers between the server
	// and a client that reads nothing (4 KiB asked for below, and Linux's
	// send buffer grows to 4 MiB by default), so that the server's writes
	// of the backup really block.
	growDatabase(t, h, 1, 6<<20)

	u, _ := url.Parse(h.srv.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	// Closed first among the clean-ups, so that a failing run does not
	// leave the server waiting on the download.
	t.Cleanup(func() { conn.Close() })
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetReadBuffer(4 << 10)
	}
	var cookies []string
	for _, c := range admin.jar.Cookies(u) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	fmt.Fprintf(conn, "GET /admin/backup HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\n\r\n", u.Host, strings.Join(cookies, "; "))
	// Read the status line only: the server has started sending the
	// backup. From here on the client reads nothing.
	conn.SetReadDeadline(time.Now().Add(stallBound))
	status, err := bufio.NewReaderSize(conn, 16).ReadString('\n')
	if err != nil || !strings.Contains(status, "200") {
		t.Fatalf("backup download: status line %q, %v", status, err)
	}

	client := &http.Client{
		Timeout:       stallBound,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	readAndWrite := func(when string) {
		t.Helper()
		res, err := client.PostForm(h.srv.URL+"/posts/massage/comments", commentForm("Kay", "Posted "+when))
		if err != nil {
			t.Fatalf("posting a comment %s: %v", when, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("posting a comment %s: %d, want 303", when, res.StatusCode)
		}
		res, err = client.Get(h.srv.URL + "/posts/massage/")
		if err != nil {
			t.Fatalf("reading the post %s: %v", when, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("reading the post %s: %d, want 200", when, res.StatusCode)
		}
	}
	readAndWrite("while the backup is paused")

	// Writes that must grow the file past bbolt's memory map (8 MiB for a
	// 6 MiB file), which a read transaction left open would hold in place.
	grown := make(chan error, 1)
	go func() { grown <- importBigComments(h, 2, 4<<20) }()
	select {
	case err := <-grown:
		if err != nil {
			t.Fatalf("growing the database: %v", err)
		}
	case <-time.After(growBound):
		t.Fatalf("a write that grows the database waited more than %v for the paused backup", growBound)
	}
	readAndWrite("after the file grew, while the backup is paused")

	conn.Close()
	// The abandoned download leaves no copy of the database behind.
	deadline := time.Now().Add(stallBound)
	for {
		left := snapshotFiles(t, filepath.Dir(h.db.Path()))
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("backup copies left beside the database: %q", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// growDatabase imports comments of the largest size allowed until about
// size bytes have been added, and fails the test on error.
func growDatabase(t *testing.T, h *harness, batch, size int) {
	t.Helper()
	if err := importBigComments(h, batch, size); err != nil {
		t.Fatal(err)
	}
}

// importBigComments imports about size bytes of comments whose sources are
// marked with batch, so that each call adds new ones.
func importBigComments(h *harness, batch, size int) error {
	// Four bytes a character, and stored twice (Markdown and HTML).
	body := strings.Repeat("🏃", comments.MaxBodyChars)
	n := size / (2 * len(body))
	cs := make([]comments.Comment, n)
	for i := range cs {
		cs[i] = comments.Comment{ID: uint64(i + 1), Post: "massage", Name: "Bulk", Body: body,
			Status: comments.StatusSpam, Created: time.Date(2025, 1, 1, 0, 0, i, 0, time.UTC),
			Source: fmt.Sprintf("test:%d:%d", batch, i)}
	}
	_, _, err := h.db.Import(context.Background(), cs)
	return err
}

// snapshotFiles lists the files in dir other than the database.
func snapshotFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Name() != "milepost.db" {
			names = append(names, e.Name())
		}
	}
	return names
}
