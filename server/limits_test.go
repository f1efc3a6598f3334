package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLimitsAnswerWithTheJSONError(t *testing.T) {
	h := accessServer(t, Deps{MaxBodyBytes: 200, MaxLineBytes: 120, MaxQueryBytes: 20})
	local := "127.0.0.1:9"
	big := `{"id":"x","title":"t","text":"` + strings.Repeat("a", 300) + `"}`
	for _, tc := range []struct {
		name string
		r    request
		want int
		code string
	}{
		{"JSON body over the limit", request{method: "POST", target: "/api/documents", body: big, remote: local}, 413, "body_too_large"},
		{"PUT body over the limit", request{method: "PUT", target: "/api/documents/x", body: big, remote: local}, 413, "body_too_large"},
		{"body at the limit", request{method: "POST", target: "/api/documents", body: `{"id":"x","title":"short"}`, remote: local}, 201, ""},
		{"query over the limit", request{method: "GET", target: "/api/search?q=" + strings.Repeat("a", 21)}, 414, "query_too_long"},
		{"query at the limit", request{method: "GET", target: "/api/search?q=" + strings.Repeat("a", 20)}, 200, ""},
		{"size over the maximum", request{method: "GET", target: "/api/search?q=a&size=101"}, 400, "invalid_size"},
		{"result window", request{method: "GET", target: "/api/search?q=a&size=100&page=101"}, 400, "invalid_page"},
		{"result window past int overflow", request{method: "GET", target: "/api/search?q=a&size=2&page=9223372036854775807"}, 400, "invalid_page"},
		{"facets over the maximum", request{method: "GET", target: "/api/search?q=a&facet_size=101"}, 400, "invalid_facet_size"},
		{"similar size over the maximum", request{method: "GET", target: "/api/documents/a/similar?size=101"}, 400, "invalid_size"},
	} {
		checkStatus(t, tc.name, send(h, tc.r), tc.want, tc.code)
	}
	// The page gives the same status for a query over the limit.
	if rec := send(h, request{method: "GET", target: "/?q=" + strings.Repeat("a", 21)}); rec.Code != 414 {
		t.Errorf("page with a long query: status %d, want 414", rec.Code)
	}
	// An NDJSON line over the limit fails alone; the lines around it load.
	req := httptest.NewRequest("POST", "/api/documents", strings.NewReader(
		`{"id":"n1","title":"one"}`+"\n"+`{"id":"n2","title":"`+strings.Repeat("b", 200)+`"}`+"\n"+`{"id":"n3","title":"three"}`+"\n"))
	req.RemoteAddr = local
	req.Header.Set("Content-Type", "application/x-ndjson")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body := rec.Body.String()
	if !strings.Contains(body, `{"line":2,"error":{"code":"line_too_long"`) || !strings.Contains(body, `"summary":{"added":2,"failed":1`) {
		t.Errorf("NDJSON with a long line answered:\n%s", rec.Body.String())
	}
}

func TestRateLimit(t *testing.T) {
	h := accessServer(t, Deps{ReadLimit: RateLimit{Rate: 1, Burst: 3}, WriteLimit: RateLimit{Rate: 1, Burst: 2}})
	search := request{method: "GET", target: "/api/search?q=steel"}
	for i := range 3 {
		checkStatus(t, "burst "+strconv.Itoa(i), send(h, search), 200, "")
	}
	rec := send(h, search)
	checkStatus(t, "past the burst", rec, 429, "rate_limited")
	if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After = %q, want whole seconds ≥ 1", rec.Header().Get("Retry-After"))
	}
	if rec.Header().Get("X-Request-Id") == "" || rec.Header().Get("Content-Security-Policy") == "" {
		t.Errorf("429 lacks the usual headers: %v", rec.Header())
	}
	other := search
	other.remote = "198.51.100.4:1"
	checkStatus(t, "another client", send(h, other), 200, "")
	for _, target := range []string{"/healthz", "/readyz", "/metrics", "/api/openapi.json"} {
		checkStatus(t, target+" is not limited", send(h, request{method: "GET", target: target}), 200, "")
	}
	// Writes have their own budget.
	put := request{method: "PUT", target: "/api/documents/b", body: docBody, remote: "127.0.0.1:9"}
	for i := range 2 {
		if rec := send(h, put); rec.Code >= 300 {
			t.Errorf("write %d: status %d", i, rec.Code)
		}
	}
	checkStatus(t, "writes past the burst", send(h, put), 429, "rate_limited")
}

// TestRateLimitChargesCostlySearches: a search's fuzzy and prefix terms
// cost tokens of their own, so a client's budget buys fewer of them.
func TestRateLimitChargesCostlySearches(t *testing.T) {
	h := accessServer(t, Deps{ReadLimit: RateLimit{Rate: 0.001, Burst: 10}})
	costly := request{method: "GET", target: "/api/search?q=" + url.QueryEscape("steel~ tariff* trade~ alum*")} // 5 tokens
	checkStatus(t, "first costly search", send(h, costly), 200, "")
	checkStatus(t, "second costly search", send(h, costly), 200, "")
	checkStatus(t, "third costly search, past the budget", send(h, costly), 429, "rate_limited")
	cheap := request{method: "GET", target: "/api/search?q=steel", remote: "198.51.100.7:1"}
	for i := range 10 {
		checkStatus(t, "cheap search "+strconv.Itoa(i), send(h, cheap), 200, "")
	}
	checkStatus(t, "cheap search past the budget", send(h, cheap), 429, "rate_limited")
}

func TestRateLimitForwardedClients(t *testing.T) {
	h := accessServer(t, Deps{TrustedProxies: []string{"10.0.0.1"}, ReadLimit: RateLimit{Rate: 0.001, Burst: 1}})
	via := func(client string) request {
		return request{method: "GET", target: "/api/stats", remote: "10.0.0.1:5", header: map[string]string{"X-Forwarded-For": client}}
	}
	checkStatus(t, "first client", send(h, via("203.0.113.1")), 200, "")
	checkStatus(t, "first client again", send(h, via("203.0.113.1")), 429, "rate_limited")
	checkStatus(t, "second client behind the same proxy", send(h, via("203.0.113.2")), 200, "")
	// An untrusted peer's header is ignored: the peer is the client.
	spoof := request{method: "GET", target: "/api/stats", remote: "198.51.100.9:5", header: map[string]string{"X-Forwarded-For": "203.0.113.3"}}
	checkStatus(t, "spoofer", send(h, spoof), 200, "")
	spoof.header["X-Forwarded-For"] = "203.0.113.4"
	checkStatus(t, "spoofer with another header", send(h, spoof), 429, "rate_limited")
}

func TestBucketsStayBounded(t *testing.T) {
	b := newBuckets(RateLimit{Rate: 10, Burst: 1})
	now := time.Now()
	for i := range maxClients + 500 {
		b.take(fmt.Sprintf("client-%d", i), 1, now)
	}
	if n := b.size(); n > maxClients {
		t.Errorf("%d buckets kept, want at most %d", n, maxClients)
	}
	// Idle buckets are dropped first: after a quiet spell one sweep clears them.
	b.take("late", 1, now.Add(2*time.Hour))
	for i := range maxClients {
		b.take(fmt.Sprintf("new-%d", i), 1, now.Add(2*time.Hour))
	}
	if n := b.size(); n > maxClients {
		t.Errorf("%d buckets kept after a sweep, want at most %d", n, maxClients)
	}
}

func TestClientKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7":             "203.0.113.7",
		"2001:db8:1:2:3:4:5:6":    "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1":    "2001:db8:1:2::/64",
		"::ffff:203.0.113.7":      "::ffff:203.0.113.7",
		"not an address":          "not an address",
		"2001:db8:1:3:3:4:5:6":    "2001:db8:1:3::/64",
		"fe80::1":                 "fe80::/64",
		"2001:0db8:0001:0002::ab": "2001:db8:1:2::/64",
	} {
		if got := clientKey(in); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCORS(t *testing.T) {
	off := accessServer(t, Deps{})
	rec := send(off, request{method: "GET", target: "/api/search?q=a", header: map[string]string{"Origin": "https://example.org"}})
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("CORS is off by default, but Access-Control-Allow-Origin = %q", got)
	}
	on := accessServer(t, Deps{CORSOrigins: []string{"https://example.org"}})
	rec = send(on, request{method: "GET", target: "/api/search?q=a", header: map[string]string{"Origin": "https://example.org"}})
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "https://example.org" {
		t.Errorf("allowed origin: Access-Control-Allow-Origin = %q", got)
	}
	rec = send(on, request{method: "GET", target: "/api/search?q=a", header: map[string]string{"Origin": "https://evil.example"}})
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("other origin: Access-Control-Allow-Origin = %q", got)
	}
	rec = send(on, request{method: "OPTIONS", target: "/api/documents", header: map[string]string{
		"Origin": "https://example.org", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}})
	if rec.Code != 204 || !strings.Contains(rec.Header().Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(rec.Header().Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("preflight: status %d, headers %v", rec.Code, rec.Header())
	}
	rec = send(on, request{method: "GET", target: "/", header: map[string]string{"Origin": "https://example.org"}})
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("the page is not shared, but Access-Control-Allow-Origin = %q", got)
	}
	any := accessServer(t, Deps{CORSOrigins: []string{"*"}})
	rec = send(any, request{method: "GET", target: "/api/stats", header: map[string]string{"Origin": "https://anywhere.example"}})
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "https://anywhere.example" {
		t.Errorf("any origin: Access-Control-Allow-Origin = %q", got)
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	h := accessServer(t, Deps{ReadKey: "read-key-0123456789", ReadLimit: RateLimit{Rate: 0.001, Burst: 1}})
	for _, r := range []request{
		{method: "GET", target: "/healthz"},
		{method: "GET", target: "/api/search?q=a"}, // 401
		{method: "GET", target: "/api/search?q=a"}, // 429
		{method: "GET", target: "/nothing"},
		{method: "DELETE", target: "/healthz"},
		{method: "POST", target: "/api/documents", body: "{}"},
		{method: "GET", target: "/metrics"},
	} {
		rec := send(h, r)
		for _, hdr := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Request-Id"} {
			if rec.Header().Get(hdr) == "" {
				t.Errorf("%s %s (%d) lacks %s", r.method, r.target, rec.Code, hdr)
			}
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s %s: CSP %q lacks frame-ancestors", r.method, r.target, csp)
		}
	}
}

// TestNDJSONStreamsOverARealServer sends a body much larger than what
// net/http would otherwise discard once the answer starts, reading the
// answer while still sending, as a bulk loader does.
func TestNDJSONStreamsOverARealServer(t *testing.T) {
	srv := httptest.NewServer(accessServer(t, Deps{}))
	defer srv.Close()
	const n = 3000
	pr, pw := io.Pipe()
	go func() {
		for i := range n {
			fmt.Fprintf(pw, `{"id":"d%d","title":"doc %d","text":"text long enough to make the body a few hundred kilobytes %d"}`+"\n", i, i, i)
		}
		pw.Close()
	}()
	resp, err := http.Post(srv.URL+"/api/documents", "application/x-ndjson", pr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	results := 0
	var last struct{ Summary map[string]int }
	for sc.Scan() {
		results++
		_ = json.Unmarshal(sc.Bytes(), &last)
	}
	if results != n+1 || last.Summary["added"] != n {
		t.Errorf("%d answer lines (want %d), summary %v", results, n+1, last.Summary)
	}
}
