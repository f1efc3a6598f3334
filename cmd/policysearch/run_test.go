package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is an io.Writer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// startServer runs `serve` with the seeds on a free port; see serveData.
func startServer(t *testing.T, data string) (string, func()) {
	t.Helper()
	return serveData(t, data, nil, "--seeds=true")
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode
}

type searchResult struct {
	Total int `json:"total"`
	Hits  []struct {
		ID       string   `json:"id"`
		Snippets []string `json:"snippets"`
	} `json:"hits"`
}

func TestServeEndToEnd(t *testing.T) {
	data := t.TempDir()
	base, stop := startServer(t, data)

	var res searchResult
	if code := getJSON(t, base+"/api/search?q=sovereign+AI", &res); code != 200 || res.Total != 2 {
		t.Fatalf("seeds search: %d total=%d", code, res.Total)
	}
	for _, h := range res.Hits {
		if len(h.Snippets) == 0 || !strings.Contains(strings.Join(h.Snippets, " "), "<mark>") {
			t.Errorf("hit %s has no highlighted snippet: %q", h.ID, h.Snippets)
		}
	}
	resp, err := http.Post(base+"/api/documents", "application/json",
		strings.NewReader(`{"id":"e2e-1","title":"Chip export controls","text":"Export controls on advanced chips reshape alliances."}`))
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("post: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	stop()

	base, stop = startServer(t, data)
	defer stop()
	if code := getJSON(t, base+"/api/search?q=%22export+controls%22", &res); code != 200 || res.Total != 1 || res.Hits[0].ID != "e2e-1" {
		t.Fatalf("after restart: %d %+v", code, res)
	}
	var st struct{ Documents int }
	getJSON(t, base+"/api/stats", &st)
	if st.Documents != 3 {
		t.Errorf("documents after restart = %d, want 3 (seeds not duplicated)", st.Documents)
	}
}

func TestCLIAddSearchGetDelete(t *testing.T) {
	data := t.TempDir()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "brief.md"), []byte("---\ntitle: Tariffs and allies\nsource: Policy Lab\npublished: 2024-05\n---\nTariffs on steel strain relations with allies.\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`{"id":"x"}`), 0o644)
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "more.jsonl"), []byte(`{"id":"j1","text":"allies meet"}`+"\n"+`{"id":"j2","text":"tariffs rise"}`+"\n"), 0o644)

	cli := func(stdin string, args ...string) (string, string, error) {
		var out, errs bytes.Buffer
		err := runIO(context.Background(), append(args, "--data", data), env(nil), ioSet{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errs})
		return out.String(), errs.String(), err
	}
	out, errs, err := cli("", "add", dir)
	if err == nil || !strings.Contains(out, "added 3, updated 0, unchanged 0, failed 1") || !strings.Contains(errs, "bad.json") {
		t.Fatalf("first add: err=%v out=%q errs=%q", err, out, errs)
	}
	out, _, _ = cli("", "add", dir)
	if !strings.Contains(out, "added 0, updated 0, unchanged 3") {
		t.Errorf("second add: %q", out)
	}
	out, _, err = cli(`{"id":"s1","text":"stdin tariffs"}`+"\n", "add", "-")
	if err != nil || !strings.Contains(out, "added 1") {
		t.Errorf("add -: %v %q", err, out)
	}
	out, _, err = cli("", "search", "tariffs AND allies", "--json")
	var res searchResult
	if err != nil || json.Unmarshal([]byte(out), &res) != nil || res.Total != 1 {
		t.Fatalf("search --json: %v %q", err, out)
	}
	out, _, err = cli("", "search", "tariffs", "--sort", "newest")
	if err != nil || !strings.Contains(out, "3 result(s)") || !strings.Contains(out, "*Tariffs*") {
		t.Errorf("search text: %v %q", err, out)
	}
	out, _, err = cli("", "get", res.Hits[0].ID)
	if err != nil || !strings.Contains(out, `"published": "2024-05"`) {
		t.Errorf("get: %v %q", err, out)
	}
	if _, _, err := cli("", "delete", "j1"); err != nil {
		t.Errorf("delete: %v", err)
	}
	if _, _, err := cli("", "get", "j1"); err == nil {
		t.Error("get after delete succeeded")
	}
	out, _, err = cli("", "rebuild")
	if err != nil || !strings.Contains(out, "rebuilt 3 documents") {
		t.Errorf("rebuild: %v %q", err, out)
	}
	if _, _, err := cli("", "search", "x", "--size", "500"); err == nil {
		t.Error("search --size 500 succeeded")
	}
	if _, _, err := cli("", "frobnicate"); exitCode(err) != 2 {
		t.Errorf("unknown command exit code = %d, want 2", exitCode(err))
	}
}

func TestConfigPrecedence(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want Config
	}{
		{"defaults", nil, nil, Config{Addr: "127.0.0.1:8080", Data: "./data"}},
		{"env", map[string]string{"POLICYSEARCH_ADDR": "0.0.0.0:9", "POLICYSEARCH_DATA": "/d"}, nil, Config{Addr: "0.0.0.0:9", Data: "/d"}},
		{"flags win", map[string]string{"POLICYSEARCH_ADDR": "0.0.0.0:9", "POLICYSEARCH_DATA": "/d"}, []string{"--addr", "127.0.0.1:7", "--data", "/f"}, Config{Addr: "127.0.0.1:7", Data: "/f"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := defaultConfig()
			if err := cfg.fromEnv(env(c.env)); err != nil {
				t.Fatal(err)
			}
			fs := newFlagSet("serve")
			serveCmd().flags(fs, &cfg)
			if err := fs.Parse(c.args); err != nil {
				t.Fatal(err)
			}
			if cfg.Addr != c.want.Addr || cfg.Data != c.want.Data {
				t.Errorf("got addr=%s data=%s, want %s %s", cfg.Addr, cfg.Data, c.want.Addr, c.want.Data)
			}
		})
	}
	if err := (&Config{Addr: "nope", Data: "x", LogLevel: "info", LogFormat: "auto"}).Validate(); err == nil || !strings.Contains(err.Error(), "addr") {
		t.Errorf("Validate bad addr = %v", err)
	}
}

// TestCLIUsesRunningServer runs add, search, get, stats and delete while
// `serve` holds the data directory: they must go through its API.
func TestCLIUsesRunningServer(t *testing.T) {
	data := t.TempDir()
	base, stop := startServer(t, data)
	defer stop()
	addr := strings.TrimPrefix(base, "http://")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.md"), []byte("---\ntitle: Chip export controls\n---\nExport controls on chips.\n"), 0o644)
	cli := func(args ...string) (string, error) {
		var out, errs bytes.Buffer
		err := runIO(context.Background(), append(args, "--data", data, "--addr", addr), env(nil), ioSet{stdin: strings.NewReader(""), stdout: &out, stderr: &errs})
		if err == nil && !strings.Contains(errs.String(), "using its API") {
			t.Errorf("%v did not say it used the server: %q", args, errs.String())
		}
		return out.String(), err
	}
	if out, err := cli("add", dir); err != nil || !strings.Contains(out, "added 1,") {
		t.Fatalf("add: %v %q", err, out)
	}
	if out, err := cli("add", dir); err != nil || !strings.Contains(out, "unchanged 1") {
		t.Fatalf("second add: %v %q", err, out)
	}
	out, err := cli("search", "\"chip export controls\"", "--json")
	var res searchResult
	if err != nil || json.Unmarshal([]byte(out), &res) != nil || res.Total != 1 {
		t.Fatalf("search: %v %q", err, out)
	}
	if out, err := cli("get", res.Hits[0].ID); err != nil || !strings.Contains(out, "Chip export controls") || strings.Contains(out, `"embedding"`) {
		t.Errorf("get: %v %q", err, out)
	}
	if out, err := cli("stats"); err != nil || !strings.Contains(out, `"documents": 3`) {
		t.Errorf("stats: %v %q", err, out)
	}
	if out, err := cli("rebuild"); err != nil || !strings.Contains(out, "rebuilt 3 documents") {
		t.Errorf("rebuild: %v %q", err, out)
	}
	if _, err := cli("delete", res.Hits[0].ID); err != nil {
		t.Errorf("delete: %v", err)
	}
	if _, err := cli("get", res.Hits[0].ID); err == nil || !strings.Contains(err.Error(), "no document") {
		t.Errorf("get after delete: %v", err)
	}
}

// TestFeedRefetchSetting: --feed-refetch and its variable, where 0 means
// never (feeds.Config's negative) and a negative duration is refused.
func TestFeedRefetchSetting(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		args    []string
		want    time.Duration // what feeds.Config gets
		wantErr string
	}{
		{"default", nil, nil, 24 * time.Hour, ""},
		{"env", map[string]string{"POLICYSEARCH_FEED_REFETCH": "6h"}, nil, 6 * time.Hour, ""},
		{"flag wins", map[string]string{"POLICYSEARCH_FEED_REFETCH": "6h"}, []string{"--feed-refetch", "1h"}, time.Hour, ""},
		{"zero is never", nil, []string{"--feed-refetch", "0"}, -1, ""},
		{"negative", nil, []string{"--feed-refetch", "-1h"}, 0, "feed-refetch"},
		{"not a duration", map[string]string{"POLICYSEARCH_FEED_REFETCH": "daily"}, nil, 0, "POLICYSEARCH_FEED_REFETCH"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := defaultConfig()
			err := cfg.fromEnv(env(c.env))
			if err == nil {
				fs := newFlagSet("serve")
				serveCmd().flags(fs, &cfg)
				if err = fs.Parse(c.args); err == nil {
					err = cfg.Ingest.Validate()
				}
			}
			switch {
			case c.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("err = %v, want one naming %s", err, c.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case refetchAfter(cfg.Ingest.FeedRefetch) != c.want:
				t.Errorf("feeds get %v, want %v", refetchAfter(cfg.Ingest.FeedRefetch), c.want)
			}
		})
	}
}

// TestCLIFindsServerOnAnotherPort: with the server on a random port and no
// --addr, the CLI reads the address the server recorded in the data
// directory and says so; after shutdown the record is gone.
func TestCLIFindsServerOnAnotherPort(t *testing.T) {
	data := t.TempDir()
	base, stop := serveData(t, data, nil)
	addr := strings.TrimPrefix(base, "http://")
	var out, errs bytes.Buffer
	err := runIO(context.Background(), []string{"search", "anything", "--data", data}, env(nil), ioSet{stdin: strings.NewReader(""), stdout: &out, stderr: &errs})
	if err != nil || !strings.Contains(errs.String(), "the server at "+addr+" (recorded in") {
		t.Errorf("search without --addr: err=%v stderr=%q", err, errs.String())
	}
	stop()
	if got, _ := readServerAddr(data); got != "" {
		t.Errorf("server.addr after shutdown = %q, want it removed", got)
	}
}

// TestSeedsOncePerDataDirectory: the samples come on the first start only;
// one deleted stays deleted across restarts; --seeds=false adds none.
func TestSeedsOncePerDataDirectory(t *testing.T) {
	data := t.TempDir()
	base, stop := startServer(t, data)
	var st struct{ Documents int }
	if getJSON(t, base+"/api/stats", &st); st.Documents != 2 {
		t.Fatalf("documents after first start = %d, want the 2 seeds", st.Documents)
	}
	req, _ := http.NewRequest("DELETE", base+"/api/documents/seed-sovereign-ai-capability-brief", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode >= 300 {
		t.Fatalf("delete seed: %v %v", err, resp.Status)
	}
	resp.Body.Close()
	stop()
	for range 2 {
		base, stop = startServer(t, data)
		getJSON(t, base+"/api/stats", &st)
		stop()
		if st.Documents != 1 {
			t.Fatalf("documents after restart = %d, want 1 (the deleted seed stays deleted)", st.Documents)
		}
	}
	fresh := t.TempDir()
	base, stop = serveData(t, fresh, nil)
	defer stop()
	if getJSON(t, base+"/api/stats", &st); st.Documents != 0 {
		t.Errorf("documents with --seeds=false = %d, want 0", st.Documents)
	}
}

// TestCLIAddrMeansThatServer: an --addr typed on the command line names the
// server meant, wherever the CLI runs: documents go to it, never into a
// data directory of the CLI's own; with nobody answering there, the command
// fails and creates nothing.
func TestCLIAddrMeansThatServer(t *testing.T) {
	data := t.TempDir()
	base, stop := serveData(t, data, nil)
	defer stop()
	addr := strings.TrimPrefix(base, "http://")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.md"), []byte("---\ntitle: Tariffs between allies\n---\nTariffs between allies.\n"), 0o644)
	elsewhere := filepath.Join(t.TempDir(), "data")
	cases := []struct {
		name    string
		addr    string
		wantErr string
	}{
		{"answers", addr, ""},
		{"nobody there", "127.0.0.1:1", "no policysearch server answers at 127.0.0.1:1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			err := runIO(context.Background(), []string{"add", dir, "--addr", c.addr, "--data", elsewhere}, env(nil), ioSet{stdin: strings.NewReader(""), stdout: &out, stderr: &errs})
			switch {
			case c.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("add: err = %v, want one containing %q", err, c.wantErr)
				}
			case err != nil || !strings.Contains(out.String(), "added 1,") || !strings.Contains(errs.String(), "--addr names the server at "+addr):
				t.Errorf("add: err=%v stdout=%q stderr=%q", err, out.String(), errs.String())
			}
			if _, err := os.Stat(elsewhere); !os.IsNotExist(err) {
				t.Errorf("%s was created (stat err %v): the CLI wrote beside the server it was sent to", elsewhere, err)
			}
		})
	}
	var res searchResult
	if getJSON(t, base+"/api/search?q=tariffs+between+allies", &res); res.Total != 1 {
		t.Errorf("the server holds %d matching documents, want the one added through --addr", res.Total)
	}
}
