package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestChaosWatchedLinksStayInside replays "watched folders": a watched
// folder holding links to /etc/hostname and to a file outside it indexes
// neither, only its own file.
func TestChaosWatchedLinksStayInside(t *testing.T) {
	bin := chaosBinary(t)
	dir, outside := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "brief.txt"), []byte("Insidebrief on tariffs."), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("Outsidesecret credentials."), 0o644); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{"secret.txt": filepath.Join(outside, "secret.txt")}
	if _, err := os.Stat("/etc/hostname"); err == nil {
		links["hostname.txt"] = "/etc/hostname"
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Skipf("no symlinks: %v", err)
		}
	}
	p := startProcess(t, bin, t.TempDir(), "--watch", dir)
	for deadline := time.Now().Add(30 * time.Second); searchTotal(t, p, "insidebrief") == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the watched folder's own file was not indexed in 30 s:\n%s", p.log())
		}
	}
	if n := searchTotal(t, p, "outsidesecret"); n != 0 {
		t.Errorf("a link to a file outside the watched folder was indexed (%d hits)", n)
	}
	_, body := p.send("GET", "/api/stats", "", nil)
	var st struct{ Documents int }
	if err := json.Unmarshal(body, &st); err != nil || st.Documents != 1 {
		t.Errorf("stats %s: want exactly the folder's one document (links followed: %v)", body, links)
	}
	if !bytes.Contains([]byte(p.log()), []byte("leads outside the watched folder")) {
		t.Errorf("the refused links were not logged:\n%s", p.log())
	}
}

// TestChaosForwardedAndFetchFilter replays "trusted proxy" and "fetch
// filter" against the binary: behind a trusted proxy on this machine, a
// forwarded address that is garbage or not loopback is not local (403
// with no key), and feeds and webhooks naming special-purpose or
// non-canonical IPv4 hosts are refused at subscribe time with a 400.
func TestChaosForwardedAndFetchFilter(t *testing.T) {
	bin := chaosBinary(t)
	p := startProcess(t, bin, t.TempDir(), "--trusted-proxies", "127.0.0.1")
	put := func(header, value string) (int, []byte) {
		req, _ := http.NewRequest("PUT", p.base+"/api/documents/f", bytes.NewReader(docJSON(t, map[string]any{"title": "F", "text": "forwarded"})))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(header, value)
		resp, err := p.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.Bytes()
	}
	for _, h := range [][2]string{{"X-Forwarded-For", "garbage"}, {"Forwarded", "for=10.1.2.3"}, {"Forwarded", "for=unknown"}, {"X-Forwarded-For", "0x7f.1"}} {
		if status, body := put(h[0], h[1]); status != http.StatusForbidden || !bytes.Contains(body, []byte("write_forbidden")) {
			t.Errorf("write with %s: %s: %d %s, want 403 write_forbidden", h[0], h[1], status, truncateBytes(body))
		}
	}
	if status, body := put("Forwarded", `for="[::1]:4711"`); status >= 300 {
		t.Errorf("write forwarded for ::1 by the trusted proxy: %d %s", status, truncateBytes(body))
	}
	for _, u := range []string{"http://198.18.0.1/feed", "http://[64:ff9b::7f00:1]/feed", "http://[::127.0.0.1]/feed",
		"http://2130706433/feed", "http://0x7f.1/feed", "http://017700000001/feed", "http://127.1/feed"} {
		if status, body := p.send("POST", "/api/feeds", "application/json", docJSON(t, map[string]any{"url": u})); status != http.StatusBadRequest {
			t.Errorf("feed %s: %d %s, want 400", u, status, truncateBytes(body))
		}
		hook := u[:len(u)-len("/feed")] + "/hook"
		if status, body := p.send("POST", "/api/alerts", "application/json", docJSON(t, map[string]any{"q": "x", "name": "x", "webhook_url": hook})); status != http.StatusBadRequest {
			t.Errorf("webhook %s: %d %s, want 400", hook, status, truncateBytes(body))
		}
	}
}
