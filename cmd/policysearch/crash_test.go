package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	crashTrials = flag.Int("crash.trials", 10, "kill -9 trials of TestCrashLosesNoAcknowledgedWrite")
	crashSeed   = flag.Uint64("crash.seed", 0, "seed of the kill points; 0 picks one (logged, to replay a failure)")
)

// maxDocsPerTrial keeps one trial's documents inside the search result
// window, so every one can be found by paging one search.
const maxDocsPerTrial = 9000

// TestCrashLosesNoAcknowledgedWrite builds the real binary, streams a bulk
// NDJSON load (and single PUTs beside it) into it, SIGKILLs it at a random
// moment, restarts it on the same data directory and checks that the
// index opens and every write the server acknowledged is there: by GET,
// and by search. Sometimes it also kills the restarted process while it
// is recovering, before checking.
func TestCrashLosesNoAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test builds and kills the binary; skipped with -short")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	seed := *crashSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("kill points seeded with -crash.seed=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	type trialResult struct{ acked, found int }
	var results []trialResult
	for trial := 1; trial <= *crashTrials; trial++ {
		p := startProcess(t, bin, data)
		killAfter := time.Duration(20+rng.IntN(1200)) * time.Millisecond
		acked := load(t, p, trial, killAfter)
		recoveryKilled := rng.IntN(3) == 0
		if recoveryKilled { // crash the restart too, while it opens and repairs the index
			q, _ := spawn(t, bin, data)
			time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
			q.kill()
		}
		p = startProcess(t, bin, data)
		found := verify(t, p, trial, acked)
		for earlier, r := range results {
			if total := searchTotal(t, p, trialToken(earlier+1)); total < r.acked {
				t.Errorf("trial %d: after trial %d's crash, search finds %d of its %d acknowledged documents", earlier+1, trial, total, r.acked)
			}
		}
		p.kill()
		results = append(results, trialResult{len(acked), found})
		note := ""
		if recoveryKilled {
			note = " (the first restart killed too)"
		}
		t.Logf("trial %2d: killed after %4dms: acknowledged %5d, found %5d after restart%s", trial, killAfter.Milliseconds(), len(acked), found, note)
		if t.Failed() {
			t.Logf("server log:\n%s", p.log())
			return
		}
	}
}

// buildBinary compiles this command once for the test.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "policysearch")
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is one run of the binary.
type process struct {
	t       *testing.T
	cmd     *exec.Cmd
	base    string
	logPath string
	hc      *http.Client
}

// startProcess starts serve on a free loopback port, rate limits off, and
// waits until it answers /healthz: the index has opened.
func startProcess(t *testing.T, bin, data string, extra ...string) *process {
	t.Helper()
	p, found := spawn(t, bin, data, extra...)
	select {
	case base, ok := <-found:
		if !ok {
			t.Fatalf("the server exited before listening:\n%s", p.log())
		}
		p.base = base
	case <-time.After(60 * time.Second):
		t.Fatalf("the server did not start in 60s:\n%s", p.log())
	}
	resp, err := p.hc.Get(p.base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz after start: %v %v\n%s", resp, err, p.log())
	}
	resp.Body.Close()
	return p
}

// spawn starts the process; found yields its URL once it listens. extra
// flags follow the defaults, so they win.
func spawn(t *testing.T, bin, data string, extra ...string) (*process, <-chan string) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--seeds=false",
		"--rate-limit", "0", "--write-rate-limit", "0", "--log-format", "json")
	cmd.Args = append(cmd.Args, extra...)
	// Durability is checked by keyword search, which pages through a
	// stable list; the built-in model would also spend the cores.
	cmd.Env = append(os.Environ(), "POLICYSEARCH_EMBEDDINGS=off")
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, cmd: cmd, logPath: logPath, hc: &http.Client{Timeout: 30 * time.Second}}
	t.Cleanup(p.kill)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		close(found)
	}()
	return p, found
}

// kill sends SIGKILL and reaps the process; it is safe to call twice.
func (p *process) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
}

func (p *process) log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

func trialToken(trial int) string { return fmt.Sprintf("crashtrial%dmark", trial) }

func crashDoc(trial int, id string, n int) string {
	b, _ := json.Marshal(map[string]string{
		"id":    id,
		"title": fmt.Sprintf("Crash trial %d document %d", trial, n),
		"text":  fmt.Sprintf("%s Durable writes survive a kill: every acknowledged document must be found again. Item %d.", trialToken(trial), n),
	})
	return string(b)
}

// load streams NDJSON and sends single PUTs until the process is killed
// after killAfter (or the documents run out, then it is killed anyway).
// It returns the ids whose writes were acknowledged.
func load(t *testing.T, p *process, trial int, killAfter time.Duration) []string {
	t.Helper()
	var mu sync.Mutex
	var acked []string
	ack := func(id string) {
		mu.Lock()
		acked = append(acked, id)
		mu.Unlock()
	}
	ctx, stop := context.WithCancel(context.Background())
	killed := time.AfterFunc(killAfter, func() { stop(); p.kill() })
	defer killed.Stop()

	var wg sync.WaitGroup
	wg.Go(func() { // single PUTs, each acknowledged by its 200/201
		for n := 0; ctx.Err() == nil && n < 1000; n++ {
			id := fmt.Sprintf("c%d-put-%d", trial, n)
			req, _ := http.NewRequestWithContext(ctx, "PUT", p.base+"/api/documents/"+id, strings.NewReader(crashDoc(trial, id, n)))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 || resp.StatusCode == 201 {
				ack(id)
			}
		}
	})

	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriter(pw)
		for n := 0; n < maxDocsPerTrial-1000 && ctx.Err() == nil; n++ {
			if _, err := fmt.Fprintln(bw, crashDoc(trial, fmt.Sprintf("c%d-nd-%d", trial, n), n)); err != nil {
				break
			}
			if n%64 == 63 {
				bw.Flush()
			}
		}
		bw.Flush()
		pw.Close()
	}()
	req, _ := http.NewRequestWithContext(ctx, "POST", p.base+"/api/documents", pr)
	req.Header.Set("Content-Type", "application/x-ndjson")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() { // each result line is written only once its document is durable
			var line struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.ID != "" && line.Status != "" {
				ack(line.ID)
			}
		}
		resp.Body.Close()
	}
	wg.Wait()
	stop()
	p.kill()
	pr.CloseWithError(io.ErrClosedPipe)
	return acked
}

// verify checks every acknowledged id by GET and by search, and returns
// how many were found both ways.
func verify(t *testing.T, p *process, trial int, acked []string) int {
	t.Helper()
	resp, err := p.hc.Get(p.base + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("trial %d: not ready after restart: %v %v", trial, resp, err)
	}
	resp.Body.Close()

	byGet := map[string]bool{}
	var mu sync.Mutex
	ids := make(chan string)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for id := range ids {
				resp, err := p.hc.Get(p.base + "/api/documents/" + url.PathEscape(id))
				if err != nil {
					t.Errorf("GET %s: %v", id, err)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				byGet[id] = resp.StatusCode == 200
				mu.Unlock()
			}
		})
	}
	for _, id := range acked {
		ids <- id
	}
	close(ids)
	wg.Wait()

	bySearch := map[string]bool{}
	for page := 1; ; page++ {
		var res struct {
			Total int `json:"total"`
			Hits  []struct {
				ID string `json:"id"`
			} `json:"hits"`
		}
		getJSON(t, fmt.Sprintf("%s/api/search?q=%s&size=100&page=%d", p.base, trialToken(trial), page), &res)
		for _, h := range res.Hits {
			bySearch[h.ID] = true
		}
		if len(res.Hits) < 100 || page*100 >= res.Total {
			break
		}
	}
	found := 0
	for _, id := range acked {
		switch {
		case !byGet[id]:
			t.Errorf("trial %d: acknowledged %s is not stored after the crash", trial, id)
		case !bySearch[id]:
			t.Errorf("trial %d: acknowledged %s is stored but not searchable after the crash", trial, id)
		default:
			found++
		}
	}
	return found
}

func searchTotal(t *testing.T, p *process, q string) int {
	t.Helper()
	var res struct {
		Total int `json:"total"`
	}
	getJSON(t, p.base+"/api/search?size=1&q="+url.QueryEscape(q), &res)
	return res.Total
}
