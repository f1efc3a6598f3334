package alerts

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"policysearch/index"
)

// testParse reads the parameters these tests use; the server passes its
// own parser (the one /api/search uses) in production.
func testParse(params string) (index.Query, error) {
	v, err := url.ParseQuery(params)
	if err != nil {
		return index.Query{}, index.InvalidField("params", "%v", err)
	}
	q := index.Query{Text: v.Get("q"), Mode: v.Get("mode"),
		Filters: index.Filters{SourceType: v["source_type"], Source: v["source"]}}
	if r := v.Get("semantic_ratio"); r != "" {
		f, _ := strconv.ParseFloat(r, 64)
		q.SemanticRatio = &f
	}
	return q, q.Validate()
}

// rig is an index and an alert service over it, started, with matches
// delivered to loopback receivers.
type rig struct {
	t   *testing.T
	ix  *index.Index
	svc *Service
	dir string
	cfg Config

	stopFn func()
}

// stop stops the service as a shutdown would, leaving its store.
func (r *rig) stop() { r.stopFn() }

func newRig(t *testing.T, cfg Config, docs ...index.Document) *rig {
	t.Helper()
	dir := t.TempDir()
	ix, err := index.Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if len(docs) > 0 {
		if _, err := ix.Put(context.Background(), docs); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Parse = testParse
	cfg.AllowPrivate = true
	if cfg.BackoffBase == 0 {
		cfg.BackoffBase = 20 * time.Millisecond
	}
	cfg.PollInterval = 20 * time.Millisecond
	cfg.BaseURL = "http://search.example"
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	r := &rig{t: t, ix: ix, dir: dir, cfg: cfg}
	r.start()
	return r
}

// start opens the service on the rig's store and starts it; the test's
// end (or stop) stops it.
func (r *rig) start() {
	r.t.Helper()
	svc, err := Open(filepath.Join(r.dir, "alerts.db"), r.ix, r.cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.ix.OnChange(func(ev index.ChangeEvent) {
		if r.svc == svc {
			svc.OnChange(ev)
		}
	})
	svc.Start(ctx)
	r.svc = svc
	var once sync.Once
	r.stopFn = func() { once.Do(func() { cancel(); svc.Close() }) }
	r.t.Cleanup(r.stopFn)
}

func (r *rig) put(docs ...index.Document) {
	r.t.Helper()
	if _, err := r.ix.Put(context.Background(), docs); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) create(a Alert) Alert {
	r.t.Helper()
	got, err := r.svc.Create(context.Background(), a)
	if err != nil {
		r.t.Fatalf("Create(%+v): %v", a, err)
	}
	return got
}

// receiver is a webhook endpoint on loopback that records deliveries and
// can be told to fail the next requests.
type receiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	failNext int // answer 500 to this many requests
	requests []delivery
}

type delivery struct {
	id, signature string
	body          []byte
	payload       Payload
	status        int
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		d := delivery{id: r.Header.Get(HeaderDelivery), signature: r.Header.Get(HeaderSignature), body: body, status: 200}
		_ = json.Unmarshal(body, &d.payload)
		rc.mu.Lock()
		if rc.failNext > 0 {
			rc.failNext--
			d.status = 500
		}
		rc.requests = append(rc.requests, d)
		rc.mu.Unlock()
		w.WriteHeader(d.status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) all() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.requests...)
}

// accepted are the deliveries answered 2xx.
func (rc *receiver) accepted() []delivery {
	var out []delivery
	for _, d := range rc.all() {
		if d.status == 200 {
			out = append(out, d)
		}
	}
	return out
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
