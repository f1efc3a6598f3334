package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"policysearch/alerts"
	"policysearch/index"
)

// alertServer is the real handler with alerts running over a fresh index,
// as cmd wires them.
func alertServer(t *testing.T, allowPrivate bool, with ...func(*Deps)) (*testServer, *alerts.Service) {
	t.Helper()
	dir := t.TempDir()
	ix, err := index.Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	al, err := alerts.Open(filepath.Join(dir, "alerts.db"), ix, alerts.Config{Parse: ParseParams, AllowPrivate: allowPrivate,
		BackoffBase: 20 * time.Millisecond, BaseURL: "http://search.example"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); al.Close(); ix.Close() })
	ix.OnChange(al.OnChange)
	al.Start(ctx)
	d := Deps{Index: ix, Alerts: al}
	for _, f := range with {
		f(&d)
	}
	h, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{t: t, h: h, ix: ix}, al
}

// TestAlertFeedToken: with a read key set, a feed reader (which cannot
// send headers) reads an alert's feed with the token in its feed URL, and
// that token opens nothing else.
func TestAlertFeedToken(t *testing.T) {
	const read = "read-key-for-feeds"
	s, al := alertServer(t, true, func(d *Deps) { d.ReadKey = read })
	ctx := context.Background()
	a, err := al.Create(ctx, alerts.Alert{Params: "q=tariffs"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := al.Create(ctx, alerts.Alert{Params: "q=steel"})
	if err != nil {
		t.Fatal(err)
	}
	feed := "/alerts/" + a.ID + ".atom"
	cases := []struct {
		name, target string
		header       map[string]string
		status       int
		code         string
	}{
		{"no key, no token", feed, nil, 401, "unauthorized"},
		{"its token", feed + "?token=" + a.FeedToken, nil, 200, ""},
		{"a wrong token", feed + "?token=feed_0000", nil, 401, "invalid_feed_token"},
		{"another alert's token", feed + "?token=" + other.FeedToken, nil, 401, "invalid_feed_token"},
		{"an empty token", feed + "?token=", nil, 401, "unauthorized"},
		{"the read key", feed, bearerHeader(read), 200, ""},
		{"the read key and a stale token", feed + "?token=x", bearerHeader(read), 200, ""},
		{"the token on another route", "/api/search?q=tariffs&token=" + a.FeedToken, nil, 401, "unauthorized"},
		{"the token on the alert's API", "/api/alerts/" + a.ID + "?token=" + a.FeedToken, nil, 401, "unauthorized"},
	}
	for _, c := range cases {
		rec := send(s.h, request{method: "GET", target: c.target, header: c.header})
		checkStatus(t, c.name, rec, c.status, c.code)
		if c.status == 200 && !strings.Contains(rec.Body.String(), "?token="+a.FeedToken) {
			t.Errorf("%s: the feed's self link lacks its token", c.name)
		}
	}
	// the API shows readers the feed URL with its token
	rec := send(s.h, request{method: "GET", target: "/api/alerts/" + a.ID, header: bearerHeader(read)})
	if v := decode[alertView](t, rec); !strings.HasSuffix(v.FeedURL, feed+"?token="+a.FeedToken) {
		t.Errorf("feed_url = %q", v.FeedURL)
	}
}

// hook records webhook deliveries.
type hook struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []*http.Request
	body [][]byte
}

func newHook(t *testing.T) *hook {
	k := &hook{}
	k.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		k.mu.Lock()
		k.got, k.body = append(k.got, r), append(k.body, b)
		k.mu.Unlock()
	}))
	t.Cleanup(k.srv.Close)
	return k
}

func (k *hook) count() int { k.mu.Lock(); defer k.mu.Unlock(); return len(k.got) }

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestAlertsThroughTheAPI(t *testing.T) {
	s, _ := alertServer(t, true)
	k := newHook(t)
	rec := s.do("POST", "/api/alerts", "application/json", `{"name":"Tariff news","q":"tariffs","source_type":"news","webhook_url":"`+k.srv.URL+`"}`)
	if rec.Code != 201 {
		t.Fatalf("create: %d %s", rec.Code, rec.Body.String())
	}
	a := decode[alertView](t, rec)
	if a.Secret == "" || a.Params != "q=tariffs&source_type=news" || a.FeedToken == "" || a.FeedURL != "http://example.com/alerts/"+a.ID+".atom?token="+a.FeedToken ||
		a.Match != "keyword" || a.Query.Q != "tariffs" || a.Threshold != alerts.DefaultThreshold || rec.Header().Get("Location") != "/api/alerts/"+a.ID {
		t.Fatalf("created %+v", a)
	}
	for target, n := range map[string]int{"/api/alerts": 1, "/api/alerts?q=tariffs&source_type=news": 1, "/api/alerts?q=tariffs": 0} {
		got := decode[alertsResponse](t, s.do("GET", target, "", ""))
		if len(got.Alerts) != n || (n == 1 && (got.Alerts[0].Secret != "" || got.Alerts[0].WebhookURL != "http://"+k.srv.Listener.Addr().String()+"/…")) {
			t.Errorf("%s: %+v", target, got.Alerts)
		}
	}

	docs := `[{"id":"n1","title":"Tariffs bite","text":"New tariffs on steel hit importers.","source_type":"news","source":"Daily News"},` +
		`{"id":"g1","title":"Tariffs statement","text":"The ministry on tariffs.","source_type":"government"},` +
		`{"id":"x1","title":"Grid","text":"Electricity.","source_type":"news"}]`
	if rec := s.do("POST", "/api/documents", "application/json", docs); rec.Code != 201 {
		t.Fatalf("post documents: %d", rec.Code)
	}
	eventually(t, "the webhook delivery", func() bool { return k.count() == 1 })
	if rec := s.do("PUT", "/api/documents/n1", "application/json", `{"title":"Tariffs bite","text":"New tariffs on steel hit importers.","source_type":"news","source":"Daily News"}`); rec.Code != 200 {
		t.Fatalf("unchanged re-put: %d", rec.Code)
	}
	time.Sleep(300 * time.Millisecond)
	if k.count() != 1 {
		t.Fatalf("%d deliveries, want exactly 1 (the government and grid documents do not match; the re-put is unchanged)", k.count())
	}
	req, body := k.got[0], k.body[0]
	if !alerts.Verify(a.Secret, body, req.Header.Get("X-Policysearch-Signature")) || req.Header.Get("X-Policysearch-Delivery") == "" {
		t.Errorf("delivery headers %v", req.Header)
	}
	var p alerts.Payload
	if err := json.Unmarshal(body, &p); err != nil || p.Document.ID != "n1" || p.AlertName != "Tariff news" ||
		!strings.Contains(p.Match.PassageHTML, "<mark>tariffs</mark>") || p.Document.Link != "http://search.example/doc/n1" {
		t.Errorf("payload %s (%v)", body, err)
	}

	got := decode[alertView](t, s.do("GET", "/api/alerts/"+a.ID, "", ""))
	if len(got.Entries) != 1 || got.Matches != 1 || got.Entries[0].Match.Terms[0] != "tariffs" || got.Secret != "" {
		t.Errorf("alert after a match: %+v", got)
	}
	eventually(t, "the delivery status", func() bool {
		got := decode[alertView](t, s.do("GET", "/api/alerts/"+a.ID, "", ""))
		return got.LastDelivery != nil && got.LastDelivery.Status == "delivered"
	})

	feed := s.do("GET", "/alerts/"+a.ID+".atom", "", "")
	if feed.Code != 200 || !strings.HasPrefix(feed.Header().Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("feed: %d %v", feed.Code, feed.Header())
	}
	f, err := gofeed.NewParser().ParseString(feed.Body.String())
	if err != nil || f.FeedType != "atom" || len(f.Items) != 1 || f.Items[0].Link != "http://example.com/doc/n1" {
		t.Fatalf("feed %+v: %v", f, err)
	}

	for target, want := range map[string]int{"/alerts/nope.atom": 404, "/alerts/" + a.ID: 404, "/api/alerts/nope": 404} {
		if rec := s.do("GET", target, "", ""); rec.Code != want {
			t.Errorf("%s: %d, want %d", target, rec.Code, want)
		}
	}
	if rec := s.do("DELETE", "/api/alerts/"+a.ID, "", ""); rec.Code != 200 {
		t.Errorf("delete: %d", rec.Code)
	}
	if rec := s.do("DELETE", "/api/alerts/"+a.ID, "", ""); rec.Code != 404 {
		t.Errorf("second delete: %d", rec.Code)
	}
}

func TestAlertRequestsNameTheBadField(t *testing.T) {
	s, _ := alertServer(t, false)
	for body, field := range map[string]string{
		`{"q":"x","webhook_url":"http://127.0.0.1:9/hook"}`:   "webhook_url",
		`{"q":"x","webhook_url":"http://localhost/hook"}`:     "webhook_url",
		`{"q":"x","webhook_url":"javascript:alert(1)"}`:       "webhook_url",
		`{"q":"x","threshold":1.5}`:                           "threshold",
		`{"q":"x","threshold":0}`:                             "threshold",
		`{"q":"x","name":"` + strings.Repeat("n", 201) + `"}`: "name",
		`{"q":"x","mode":"fast"}`:                             "mode",
		`{"q":"x","from":"soon"}`:                             "from",
		`{"q":"x","hook":"https://x"}`:                        "hook",
		`{"q":["x"]}`:                                         "q",
	} {
		rec := s.do("POST", "/api/alerts", "application/json", body)
		if e := decode[errorBody](t, rec); rec.Code != 400 || e.Error.Field != field {
			t.Errorf("%.60s: %d %+v, want 400 naming %s", body, rec.Code, e.Error, field)
		}
	}
	if rec := s.do("POST", "/api/alerts", "application/json", `{"params":"q=x","webhook_url":"https://hooks.example.org/p"}`); rec.Code != 201 {
		t.Errorf("a public webhook: %d %s", rec.Code, rec.Body.String())
	}
}

func TestAlertsPanelAndForms(t *testing.T) {
	s, al := alertServer(t, true)
	const ct = "application/x-www-form-urlencoded"
	same := []string{"Origin", "http://example.com"}
	post := func(target string, form url.Values, header ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", target, strings.NewReader(form.Encode()))
		req.RemoteAddr = "127.0.0.1:40000"
		req.Header.Set("Content-Type", ct)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, req)
		return rec
	}
	s.ix.Put(context.Background(), exportDocs(3))
	rec := post("/alerts", url.Values{"q": {"tariffs"}, "source": {"Daily News"}, "page": {"2"}, "name": {"Daily tariffs"},
		"webhook_url": {"https://hooks.example.org/p"}}, same...)
	body := rec.Body.String()
	if rec.Code != 201 || !strings.Contains(body, "Alert created: Daily tariffs") || !strings.Contains(body, "whsec_") ||
		!strings.Contains(body, `href="/?q=tariffs&amp;source=Daily&#43;News"`) {
		t.Fatalf("create form: %d\n%s", rec.Code, body)
	}
	list, _ := al.List(context.Background())
	if len(list) != 1 || list[0].Params != "q=tariffs&source=Daily+News" {
		t.Fatalf("saved %+v", list)
	}
	id := list[0].ID

	page := s.do("GET", "/?q=tariffs&source=Daily+News&page=2", "", "")
	for _, want := range []string{"Daily tariffs", "/alerts/" + id + ".atom", `action="/alerts/` + id + `/delete"`, "webhook to hooks.example.org",
		"/api/export?format=csv&amp;q=tariffs&amp;source=Daily&#43;News"} {
		if !strings.Contains(page.Body.String(), want) {
			t.Errorf("the search page lacks %q", want)
		}
	}
	if other := s.do("GET", "/?q=tariffs", "", ""); strings.Contains(other.Body.String(), "Daily tariffs") {
		t.Error("another search's page lists the alert")
	}
	remote := get(s.h, "/?q=tariffs&source=Daily+News", "") // from 192.0.2.1: writes would be refused
	if b := remote.Body.String(); strings.Contains(b, `action="/alerts"`) || strings.Contains(b, `action="/s"`) || !strings.Contains(b, "need write access") {
		t.Error("a client whose writes would be refused is offered the forms")
	}

	if rec := post("/alerts/"+id+"/delete", url.Values{"return": {"/?q=tariffs"}}, "Origin", "https://evil.example"); rec.Code != 403 {
		t.Errorf("cross-site delete: %d", rec.Code)
	}
	rec = post("/alerts/"+id+"/delete", url.Values{"return": {"https://evil.example/"}}, same...)
	if rec.Code != 303 || rec.Header().Get("Location") != "/" {
		t.Errorf("delete with a foreign return: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if list, _ := al.List(context.Background()); len(list) != 0 {
		t.Errorf("alert not deleted: %+v", list)
	}
	if rec := post("/alerts", url.Values{"q": {"x"}, "webhook_url": {"ftp://nope"}}, same...); rec.Code != 400 || !strings.Contains(rec.Body.String(), "webhook_url") {
		t.Errorf("bad webhook from the page: %d", rec.Code)
	}
}
