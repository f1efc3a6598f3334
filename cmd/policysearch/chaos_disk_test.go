package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tmpfs mounts a small tmpfs at a temporary directory for the test. It
// needs root: skipped otherwise, and a failure to mount as root fails the
// test under CI, where it must run.
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("disk-full test mounts a tmpfs, which needs root; skipped")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount tmpfs: %v %s", err, out)
		}
		t.Skipf("cannot mount a tmpfs (%v %s); skipped", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// TestChaosDiskFull replays "disk full": a bulk load fills a 32 MiB tmpfs
// data directory, then a file takes the rest. Writes must then answer 507 insufficient_storage in
// JSON, reads and pages keep answering, nothing acknowledged is lost and
// nothing reported failed is stored, and writes resume once the file
// is removed.
func TestChaosDiskFull(t *testing.T) {
	bin := chaosBinary(t)
	mnt := tmpfs(t, "32m")
	data := filepath.Join(mnt, "data")
	p := startProcess(t, bin, data)

	rng := rand.New(rand.NewPCG(14, 14))
	word := func() string {
		b := make([]byte, 3+rng.IntN(7))
		for i := range b {
			b[i] = byte('a' + rng.IntN(26))
		}
		return string(b)
	}
	vocab := make([]string, 5000)
	for i := range vocab {
		vocab[i] = word()
	}
	acked, refused := map[string]bool{}, map[string]bool{}
	codes := map[string]int{}
	n := 0
	for batch := 0; batch < 40 && len(refused) == 0; batch++ {
		var nd bytes.Buffer
		for range 1000 {
			words := make([]string, 250)
			for i := range words {
				words[i] = vocab[rng.IntN(len(vocab))]
			}
			nd.Write(docJSON(t, map[string]any{"id": fmt.Sprintf("fill%d", n), "title": fmt.Sprintf("fill %d", n), "text": strings.Join(words, " ")}))
			nd.WriteByte('\n')
			n++
		}
		status, body := p.send("POST", "/api/documents", "application/x-ndjson", nd.Bytes())
		codes[fmt.Sprint("ndjson ", status)]++
		sc := bufio.NewScanner(bytes.NewReader(body))
		for sc.Scan() {
			var line struct {
				ID     string
				Status string
				Error  *struct{ Code string }
			}
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil || line.ID == "" {
				continue
			}
			switch {
			case line.Status != "":
				acked[line.ID] = true
			case line.Error != nil:
				refused[line.ID] = true
				codes["line "+line.Error.Code]++
			}
		}
	}
	if len(refused) == 0 {
		t.Fatalf("the disk never filled: %d documents acknowledged", len(acked))
	}
	if codes["line insufficient_storage"] != len(refused) {
		t.Errorf("refused lines by code %v, want every one insufficient_storage", codes)
	}

	// Something else takes the rest of the disk: writes are refused in
	// JSON, reads and pages answer.
	filler := filepath.Join(mnt, "filler")
	if out, err := exec.Command("dd", "if=/dev/zero", "of="+filler, "bs=1M").CombinedOutput(); err == nil {
		t.Fatalf("dd filled no disk: %s", out)
	}
	for _, w := range []struct{ method, path string }{{"PUT", "/api/documents/while-full"}, {"DELETE", "/api/documents/fill1"}} {
		status, body := p.send(w.method, w.path, "application/json", []byte(`{"title":"while full","text":"refused"}`))
		codes[fmt.Sprint(w.method, " ", status)]++
		if status != http.StatusInsufficientStorage || !bytes.Contains(body, []byte(`"code":"insufficient_storage"`)) {
			t.Errorf("%s on a full disk: %d %s, want 507 insufficient_storage", w.method, status, body)
		}
	}
	refused["while-full"] = true
	someID := ""
	for id := range acked {
		someID = id
		break
	}
	for _, path := range []string{"/api/search?q=fill", "/api/documents/" + someID, "/doc/" + someID, "/", "/?q=fill", "/api/stats", "/healthz", "/readyz"} {
		status, body := p.send("GET", path, "", nil)
		codes[fmt.Sprint("GET ", status)]++
		if status != http.StatusOK {
			t.Errorf("GET %s on a full disk: %d %s", path, status, truncateBytes(body))
		}
	}

	// Space returns: writes resume.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	// The bulk load stopped at the reserve, and bleve's merges, which
	// write the merged segment before deleting its sources, may still hold
	// the data directory below it for a moment: a 507 then is right, so
	// the write is retried, a bounded number of times, until the merges
	// have let go of the old segments.
	var status int
	var body []byte
	for try := 0; try < 40; try++ {
		status, body = p.send("PUT", "/api/documents/after-full", "application/json", []byte(`{"title":"after full","text":"space returned"}`))
		codes[fmt.Sprint("PUT after ", status)]++
		if status != http.StatusInsufficientStorage {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if status != http.StatusCreated {
		var fs syscall.Statfs_t
		syscall.Statfs(mnt, &fs)
		t.Errorf("PUT once space returned: %d %s, want 201 (free %d KiB)", status, body, fs.Bavail*uint64(fs.Bsize)>>10)
	} else {
		acked["after-full"] = true
	}

	// A crash, then every acknowledged document is there and no refused one is.
	p.kill()
	p = startProcess(t, bin, data)
	found, foundRefused := 0, 0
	for _, set := range []map[string]bool{acked, refused} {
		for id := range set {
			status, _ := p.send("GET", "/api/documents/"+id, "", nil)
			switch {
			case status == http.StatusOK && acked[id]:
				found++
			case status == http.StatusOK:
				foundRefused++
			case acked[id]:
				t.Errorf("acknowledged %s is missing after restart (%d)", id, status)
			}
		}
	}
	total := searchTotal(t, p, "fill")
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range codes {
			if !yield(k) {
				return
			}
		}
	})
	var seen []string
	for _, k := range keys {
		seen = append(seen, fmt.Sprintf("%s ×%d", k, codes[k]))
	}
	t.Logf("disk full: statuses seen %s; acknowledged %d, found after restart %d (search finds %d 'fill'); refused %d, of which stored %d",
		strings.Join(seen, ", "), len(acked), found, total, len(refused), foundRefused)
	if foundRefused > 0 {
		t.Errorf("%d documents reported failed were stored", foundRefused)
	}
	if total < len(acked)-1 {
		t.Errorf("search finds %d of %d acknowledged fill documents after restart", total, len(acked)-1)
	}
}
