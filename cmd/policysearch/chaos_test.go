package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The chaos suite replays each row of issue 14 against the real binary:
// a document, a query, a full disk or a damaged file must not bring the
// service down. Each test says which row it replays.

// memoryBudget is the resident memory the service promises to stay
// under for the attacks below (README, Security).
const memoryBudget = 1 << 30

var (
	chaosBinOnce sync.Once
	chaosBin     string
	chaosBinErr  error
)

// TestMain removes the chaos binary's directory after the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if chaosBin != "" {
		os.RemoveAll(filepath.Dir(chaosBin))
	}
	os.Exit(code)
}

// chaosBinary builds the binary once for every chaos test.
func chaosBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("chaos tests build and run the binary; skipped with -short")
	}
	chaosBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "policysearch-chaos-")
		if err != nil {
			chaosBinErr = err
			return
		}
		chaosBin = filepath.Join(dir, "policysearch")
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
		}
		out, err := exec.Command(goTool, "build", "-o", chaosBin, ".").CombinedOutput()
		if err != nil {
			chaosBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if chaosBinErr != nil {
		t.Fatal(chaosBinErr)
	}
	return chaosBin
}

// peakRSS reads the process's resident high-water mark (VmHWM) in bytes.
func (p *process) peakRSS() int64 {
	p.t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		p.t.Skipf("no /proc to measure memory: %v", err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				p.t.Fatalf("VmHWM %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	p.t.Fatal("no VmHWM in /proc status")
	return 0
}

// send posts body with a content type and returns the status and body.
func (p *process) send(method, path, contentType string, body []byte) (int, []byte) {
	p.t.Helper()
	req, err := http.NewRequest(method, p.base+path, bytes.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v\n%s", method, path, err, p.log())
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func docJSON(t *testing.T, doc map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantRefused checks a 413 naming field.
func wantRefused(t *testing.T, what string, status int, body []byte, field string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Field, Message string }
	}
	_ = json.Unmarshal(body, &e)
	if status != http.StatusRequestEntityTooLarge || e.Error.Field != field {
		t.Errorf("%s: got %d %s, want 413 naming %q", what, status, truncateBytes(body), field)
	}
}

func truncateBytes(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// TestChaosBigDocumentThenBulk replays "out-of-memory crash": one 16 MB
// document of "word " (3.3M words, over the per-document word budget),
// one just under the budget, then an NDJSON bulk of 600 tiny documents,
// which a zap buffer estimate once turned into a 26 GB allocation.
func TestChaosBigDocumentThenBulk(t *testing.T) {
	bin := chaosBinary(t)
	p := startProcess(t, bin, t.TempDir())

	status, body := p.send("POST", "/api/documents", "application/json",
		docJSON(t, map[string]any{"id": "big", "title": "big", "text": strings.Repeat("word ", 16<<20/5-20)}))
	wantRefused(t, "16 MB document", status, body, "text")

	status, body = p.send("POST", "/api/documents", "application/json",
		docJSON(t, map[string]any{"id": "near", "title": "near", "text": strings.Repeat("word ", 990_000)}))
	if status != http.StatusCreated {
		t.Fatalf("990,000-word document: %d %s", status, truncateBytes(body))
	}
	var nd bytes.Buffer
	for i := range 600 {
		nd.Write(docJSON(t, map[string]any{"id": fmt.Sprintf("t%d", i), "title": fmt.Sprintf("tiny %d", i), "text": "a tiny policy document"}))
		nd.WriteByte('\n')
	}
	status, body = p.send("POST", "/api/documents", "application/x-ndjson", nd.Bytes())
	if status != http.StatusOK || !bytes.Contains(body, []byte(`"added":600`)) {
		t.Fatalf("bulk of 600: %d %s", status, truncateBytes(body[max(0, len(body)-300):]))
	}
	rss := p.peakRSS()
	t.Logf("peak RSS after the 16 MB document, a 990,000-word one and 600 tiny ones: %d MiB (budget %d MiB)", rss>>20, memoryBudget>>20)
	if rss > memoryBudget {
		t.Errorf("peak RSS %d MiB is over the %d MiB budget", rss>>20, memoryBudget>>20)
	}
}

// TestChaosTags replays "tags and authors uncapped": eight documents of
// 100,000 tags at once are refused naming the field, a list of authors
// likewise, and a page with 50,000 article:tag metas keeps the first 100.
func TestChaosTags(t *testing.T) {
	bin := chaosBinary(t)
	p := startProcess(t, bin, t.TempDir())

	tags := make([]string, 100_000)
	for i := range tags {
		tags[i] = fmt.Sprintf("t%d", i)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			status, body := p.send("POST", "/api/documents", "application/json",
				docJSON(t, map[string]any{"id": fmt.Sprintf("tags%d", i), "title": "tags", "text": "many tags", "tags": tags}))
			wantRefused(t, "100k tags", status, body, "tags")
		})
	}
	wg.Wait()
	status, body := p.send("POST", "/api/documents", "application/json",
		docJSON(t, map[string]any{"id": "authors", "title": "authors", "author": tags[:5000]}))
	wantRefused(t, "5,000 authors", status, body, "author")

	var page strings.Builder
	page.WriteString("<html><head><title>Tagged page</title>")
	for i := range 50_000 {
		fmt.Fprintf(&page, `<meta property="article:tag" content="tag%d">`, i)
	}
	page.WriteString("</head><body><p>A page that tags itself fifty thousand times.</p></body></html>")
	status, body = p.send("POST", "/api/documents?name=tagged.html", "text/html", []byte(page.String()))
	if status != http.StatusCreated {
		t.Fatalf("page with 50,000 tags: %d %s", status, truncateBytes(body))
	}
	var res struct{ IDs []string }
	if err := json.Unmarshal(body, &res); err != nil || len(res.IDs) != 1 {
		t.Fatalf("upload answer %s: %v", body, err)
	}
	_, body = p.send("GET", "/api/documents/"+res.IDs[0], "", nil)
	var doc struct{ Tags []string }
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Tags) != 100 || doc.Tags[0] != "tag0" {
		t.Errorf("page kept %d tags (first %v), want the first 100", len(doc.Tags), doc.Tags[:min(1, len(doc.Tags))])
	}
	rss := p.peakRSS()
	t.Logf("peak RSS after 8 × 100,000 tags and a 50,000-tag page: %d MiB (budget %d MiB)", rss>>20, memoryBudget>>20)
	if rss > memoryBudget {
		t.Errorf("peak RSS %d MiB is over the %d MiB budget", rss>>20, memoryBudget>>20)
	}
}
