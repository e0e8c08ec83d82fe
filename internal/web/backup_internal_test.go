package web

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A backup download whose client stops reading is cut off once no byte has
// moved for the stall timeout, instead of holding its handler for ever;
// one that keeps reading may take far longer than that in all.
func TestABackupDownloadThatStallsIsCutOff(t *testing.T) {
	// The reader below pauses a twelfth of it between reads: the margin holds
	// on a loaded machine, where a 300 ms stall once cut a steady reader off.
	const stall = time.Second
	payload := bytes.Repeat([]byte("milepost"), 8<<20/8) // more than socket buffers hold
	done := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.Copy(newProgressWriter(w, stall), bytes.NewReader(payload))
		done <- err
	}))
	defer srv.Close()

	// A reader that takes its time but keeps reading gets everything, over
	// several stall timeouts.
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var got int
	buf := make([]byte, 1<<20)
	for {
		n, err := res.Body.Read(buf)
		got += n
		if err != nil {
			break
		}
		time.Sleep(stall / 12)
	}
	res.Body.Close()
	if err := <-done; err != nil || got != len(payload) {
		t.Fatalf("slow but steady reader: got %d of %d bytes, handler error %v", got, len(payload), err)
	}

	// A client that reads the status line and then nothing more.
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(conn).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("the handler wrote everything to a client that reads nothing")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a stalled download still holds its handler after 30s")
	}
}
