package main

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"policysearch/alerts"
)

// webhookSink records webhook deliveries.
type webhookSink struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []sunk
}

type sunk struct {
	at        time.Time
	signature string
	body      []byte
	payload   alerts.Payload
}

func newWebhookSink(t *testing.T) *webhookSink {
	w := &webhookSink{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s := sunk{at: time.Now(), signature: r.Header.Get(alerts.HeaderSignature), body: b}
		_ = json.Unmarshal(b, &s.payload)
		w.mu.Lock()
		w.got = append(w.got, s)
		w.mu.Unlock()
	}))
	t.Cleanup(w.srv.Close)
	return w
}

// find returns the delivery for document id, if any.
func (w *webhookSink) find(match func(alerts.Payload) bool) (sunk, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.got {
		if match(s.payload) {
			return s, true
		}
	}
	return sunk{}, false
}

// TestAlertsAndSnapshotsEndToEnd runs the server as a user would: an
// alert is delivered with its matching passage within seconds of a
// matching article arriving by folder and by feed, and a snapshot gives
// the same ranking after a restart.
func TestAlertsAndSnapshotsEndToEnd(t *testing.T) {
	data, inbox := t.TempDir(), t.TempDir()
	site := newNewsSite(t)
	sink := newWebhookSink(t)
	base, stop := serveData(t, data, map[string]string{"POLICYSEARCH_RATE_LIMIT": "0", "POLICYSEARCH_EXPORT_CAP": "40"},
		"--watch", inbox, "--allow-private-fetch", "--feed-min-interval", "1s")

	code, body := postJSON(t, base+"/api/alerts", `{"name":"Ports","q":"ports shipping","webhook_url":"`+sink.srv.URL+`/hook"}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /api/alerts: %d %s", code, body)
	}
	var alert struct {
		ID, Secret string
		FeedURL    string `json:"feed_url"`
	}
	json.Unmarshal([]byte(body), &alert)

	// By folder.
	dropped := time.Now()
	os.WriteFile(filepath.Join(inbox, "harbour.md"), []byte("# Harbour dredging plan\n\nThe council's plan to dredge the harbour "+
		"so larger ships can dock. Ports and shipping lines welcomed it; fishermen did not."), 0o644)
	var got sunk
	waitUntil(t, 5*time.Second, "the alert for the dropped file", func() bool {
		var ok bool
		got, ok = sink.find(func(p alerts.Payload) bool { return strings.Contains(p.Document.Title, "Harbour dredging") })
		return ok
	})
	t.Logf("file dropped → alert webhook delivered: %v", got.at.Sub(dropped).Round(time.Millisecond))
	if !alerts.Verify(alert.Secret, got.body, got.signature) {
		t.Error("the delivery's signature does not verify")
	}
	if m := got.payload.Match; m.Kind != "keyword" || !strings.Contains(m.PassageHTML, "<mark>Ports</mark>") || !slices.Contains(m.Terms, "shipping") {
		t.Errorf("the delivery does not show the matching passage: %+v", m)
	}
	if got.payload.Document.Link != "" { // the server listens on port 0: no public address to link with
		t.Errorf("document link %q", got.payload.Document.Link)
	}

	// By feed.
	if code, body := postJSON(t, base+"/api/feeds", `{"url":"`+site.srv.URL+`/feed.xml","interval":"1s","source_type":"news"}`); code != http.StatusCreated {
		t.Fatalf("POST /api/feeds: %d %s", code, body)
	}
	waitUntil(t, 5*time.Second, "the first poll", func() bool { return len(titles(t, base, "ports")) >= 1 })
	published := time.Now()
	site.publish("container-terminal")
	waitUntil(t, 8*time.Second, "the alert for the feed article", func() bool {
		var ok bool
		got, ok = sink.find(func(p alerts.Payload) bool { return strings.Contains(p.Document.Title, "container-terminal") })
		return ok
	})
	t.Logf("feed item published → alert webhook delivered (1s poll interval): %v", got.at.Sub(published).Round(time.Millisecond))

	// The Atom feed lists both.
	resp, err := http.Get(alert.FeedURL)
	if err != nil {
		t.Fatal(err)
	}
	atom, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Count(string(atom), "<entry>") != 2 {
		t.Errorf("feed %d:\n%s", resp.StatusCode, atom)
	}

	// A snapshot, cited, then the server restarts.
	code, body = postJSON(t, base+"/api/snapshots", `{"q":"ports OR harbour OR council"}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /api/snapshots: %d %s", code, body)
	}
	var snap struct {
		ID, URL string
		Cap     int
	}
	json.Unmarshal([]byte(body), &snap)
	if snap.Cap != 40 {
		t.Errorf("cap %d, want POLICYSEARCH_EXPORT_CAP", snap.Cap)
	}
	before := snapshotIDs(t, base, snap.ID)
	stop()
	base, stop = serveData(t, data, map[string]string{"POLICYSEARCH_RATE_LIMIT": "0"})
	defer stop()
	if after := snapshotIDs(t, base, snap.ID); !slices.Equal(after, before) || len(after) == 0 {
		t.Errorf("after a restart the snapshot lists %v, before %v", after, before)
	}
	resp, err = http.Get(base + "/api/export?format=csv&snapshot=" + snap.ID)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(resp.Body).ReadAll()
	resp.Body.Close()
	if err != nil || len(recs) != len(before)+1 {
		t.Errorf("snapshot export: %v, %d rows", err, len(recs)-1)
	}
}

func snapshotIDs(t *testing.T, base, id string) []string {
	t.Helper()
	var s struct{ Hits []struct{ ID string } }
	if code := getJSON(t, base+"/api/snapshots/"+id, &s); code != 200 {
		t.Fatalf("GET snapshot: %d", code)
	}
	var out []string
	for _, h := range s.Hits {
		out = append(out, h.ID)
	}
	return out
}

func TestResearchConfig(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string // error substring, "" for none
	}{
		{nil, []string{"--export-cap", "5000"}, ""},
		{map[string]string{"POLICYSEARCH_EXPORT_CAP": "0"}, nil, "export-cap 0"},
		{nil, []string{"--export-cap", "10001"}, "export-cap 10001"},
		{map[string]string{"POLICYSEARCH_EXPORT_CAP": "many"}, nil, "POLICYSEARCH_EXPORT_CAP"},
		{nil, []string{"--public-url", "ftp://x"}, "public-url"},
	} {
		cfg := defaultConfig()
		err := cfg.fromEnv(env(c.env))
		if err == nil {
			fs := newFlagSet("serve")
			researchFlags(fs, &cfg)
			err = fs.Parse(c.args)
		}
		if err == nil {
			err = cfg.Validate()
		}
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%v %v: %v, want %q", c.env, c.args, err, c.want)
		}
	}
	cfg := defaultConfig()
	if got := cfg.baseURL(); got != "http://127.0.0.1:8080" {
		t.Errorf("default base URL %q", got)
	}
	cfg.Addr = ":8080"
	if got := cfg.baseURL(); got != "" {
		t.Errorf("base URL for %s: %q", cfg.Addr, got)
	}
}
