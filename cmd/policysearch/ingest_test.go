package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveData runs `serve` with extra arguments and environment and returns
// its base URL and a stop function that waits for a clean shutdown.
func serveData(t *testing.T, data string, envs map[string]string, args ...string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs syncBuffer
	done := make(chan error, 1)
	argv := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--log-format", "text", "--seeds=false"}, args...)
	if _, set := envs["POLICYSEARCH_EMBEDDINGS"]; !set {
		// These tests count keyword hits; hybrid search would add the
		// nearest documents by meaning, and embedding them costs CPU the
		// other tests need. The default (built-in model) has its own test.
		envs = maps.Clone(envs)
		if envs == nil {
			envs = map[string]string{}
		}
		envs["POLICYSEARCH_EMBEDDINGS"] = "off"
	}
	go func() { done <- run(ctx, argv, env(envs), &out, &errs) }()
	deadline := time.Now().Add(20 * time.Second)
	base := ""
	for time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			if resp, err := http.Get(base + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, errs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if base == "" {
		t.Fatalf("server did not come up:\n%s", errs.String())
	}
	return base, func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not shut down")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", errs.String())
		}
	}
}

// titles searches through the API and returns the hits' titles.
func titles(t *testing.T, base, q string) []string {
	t.Helper()
	resp, err := http.Get(base + "/api/search?q=" + url.QueryEscape(q))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res struct {
		Hits []struct {
			Title, Published, Source string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range res.Hits {
		out = append(out, h.Title+"|"+h.Published+"|"+h.Source)
	}
	return out
}

func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < limit {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v", what, limit)
	return 0
}

// newsSite serves an RSS feed whose items link to article pages, and
// can publish more.
type newsSite struct {
	srv   *httptest.Server
	mu    sync.Mutex
	items []string // slugs, oldest first
}

func (n *newsSite) publish(slug string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.items = append(n.items, slug)
}

func newNewsSite(t *testing.T) *newsSite {
	n := &newsSite{}
	n.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.mu.Lock()
		defer n.mu.Unlock()
		if r.URL.Path == "/feed.xml" {
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><link>`+n.srv.URL+`/</link>`)
			for i := len(n.items) - 1; i >= 0; i-- {
				s := n.items[i]
				fmt.Fprintf(w, `<item><title>%s</title><link>%s/a/%s</link><guid>%s</guid><pubDate>Mon, 06 May 2024 09:30:00 +0000</pubDate></item>`, s, n.srv.URL, s, s)
			}
			fmt.Fprint(w, `</channel></rss>`)
			return
		}
		slug := strings.TrimPrefix(r.URL.Path, "/a/")
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<html><head><title>%[1]s headline</title><meta property="og:site_name" content="Harbour Wire">
<meta property="article:published_time" content="2024-05-06T09:30:00Z"></head><body><article><h1>%[1]s headline</h1>
<p>The article about %[1]s explains what the new rules mean for ports, shipping lines and the towns that depend on them.</p></article></body></html>`, slug)
	}))
	t.Cleanup(n.srv.Close)
	return n
}

func postJSON(t *testing.T, target, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(target, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeKeepsUp runs the server with a watched folder and feeds:
// a file dropped in the folder and a new feed item both become
// searchable on their own, and subscriptions survive a restart.
func TestServeKeepsUp(t *testing.T) {
	data, inbox := t.TempDir(), t.TempDir()
	site := newNewsSite(t)
	site.publish("dredging")
	feedsFile := filepath.Join(t.TempDir(), "feeds.txt")
	os.WriteFile(feedsFile, []byte("# from the file\n"+site.srv.URL+"/feed.xml?via=file interval=1s source=\"File Wire\"\n"), 0o644)
	os.WriteFile(filepath.Join(inbox, "before.md"), []byte("# Before start\n\nWritten while the server was down: estuary."), 0o644)

	// Rate limits off: the test polls the API in tight loops.
	base, stop := serveData(t, data, map[string]string{"POLICYSEARCH_WATCH": inbox, "POLICYSEARCH_RATE_LIMIT": "0"},
		"--allow-private-fetch", "--feed-min-interval", "1s", "--feeds-file", feedsFile)

	// Start-up sync, then a new file.
	waitUntil(t, 5*time.Second, "start-up sync", func() bool { return len(titles(t, base, "estuary")) == 1 })
	os.WriteFile(filepath.Join(inbox, "note.md"), []byte("# Harbour note\n\nA note on pilotage fees."), 0o644)
	took := waitUntil(t, 2*time.Second, "dropped file", func() bool { return len(titles(t, base, "pilotage")) == 1 })
	t.Logf("file dropped → searchable through the API: %v", took.Round(time.Millisecond))

	// A subscription through the API.
	code, body := postJSON(t, base+"/api/feeds", `{"url":"`+site.srv.URL+`/feed.xml","interval":"1s","source_type":"news","tags":["ports"]}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /api/feeds: %d %s", code, body)
	}
	waitUntil(t, 5*time.Second, "first poll", func() bool {
		got := titles(t, base, "dredging")
		return len(got) == 1 && got[0] == "dredging headline|2024-05-06T09:30:00Z|Harbour Wire"
	})
	site.publish("tugboats")
	took = waitUntil(t, 5*time.Second, "new feed item", func() bool { return len(titles(t, base, "tugboats")) == 1 })
	t.Logf("new feed item → searchable through the API (1s interval): %v", took.Round(time.Millisecond))

	resp, err := http.Get(base + "/api/feeds")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Feeds []struct {
			URL        string `json:"url"`
			ItemsAdded int    `json:"items_added"`
			LastError  string `json:"last_error"`
			Config     bool   `json:"from_config"`
		}
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := json.Unmarshal(raw, &list); err != nil || len(list.Feeds) != 2 {
		t.Fatalf("GET /api/feeds: %v %s, want the file's feed and the API's", err, raw)
	}
	for _, f := range list.Feeds {
		if f.LastError != "" || f.Config != strings.Contains(f.URL, "via=file") {
			t.Errorf("feed status %+v", f)
		}
	}
	stop()

	// After a restart the API's subscription is still there; without
	// --allow-private-fetch a loopback feed is refused.
	base, stop = serveData(t, data, map[string]string{"POLICYSEARCH_RATE_LIMIT": "0"})
	defer stop()
	resp, err = http.Get(base + "/api/feeds")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), site.srv.URL+"/feed.xml\"") || strings.Contains(string(b), "via=file") {
		t.Errorf("after restart without the feeds file: %s; want only the API's subscription", b)
	}
	code, body = postJSON(t, base+"/api/feeds", `{"url":"`+site.srv.URL+`/other.xml"}`)
	if code != http.StatusBadRequest || !strings.Contains(body, "allow-private-fetch") {
		t.Errorf("loopback feed without --allow-private-fetch: %d %s", code, body)
	}
	if got := titles(t, base, "pilotage"); len(got) != 1 {
		t.Errorf("watched file's document gone after restart: %v", got)
	}
}
