package server

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"policysearch/index"
)

// accessServer is the real router over an empty index with deps applied.
func accessServer(t *testing.T, d Deps) http.Handler {
	t.Helper()
	ix, err := index.Open(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if _, err := ix.Put(context.Background(), []index.Document{{ID: "a", Title: "Steel tariffs", Text: "Tariffs on steel."}}); err != nil {
		t.Fatal(err)
	}
	d.Index = ix
	h, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// request describes one call: who sends it and with which headers.
type request struct {
	method, target, body string
	remote               string            // peer address; default a remote client
	header               map[string]string // extra headers
}

func send(h http.Handler, r request) *httptest.ResponseRecorder {
	req := httptest.NewRequest(r.method, r.target, strings.NewReader(r.body))
	req.RemoteAddr = "203.0.113.7:5000"
	if r.remote != "" {
		req.RemoteAddr = r.remote
	}
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

const docBody = `{"id":"b","title":"Grid capacity","text":"Data centres compete for grid capacity."}`

func bearerHeader(key string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + key}
}

// checkStatus fails unless rec has status want and, for errors, the JSON
// error body with code.
func checkStatus(t *testing.T, name string, rec *httptest.ResponseRecorder, want int, code string) {
	t.Helper()
	if rec.Code != want {
		t.Errorf("%s: status %d, want %d: %s", name, rec.Code, want, rec.Body.String())
		return
	}
	if code != "" {
		if got := decode[errorBody](t, rec).Error.Code; got != code {
			t.Errorf("%s: code %q, want %q", name, got, code)
		}
	}
}

func TestWritesWithoutKeyOnlyFromThisMachine(t *testing.T) {
	h := accessServer(t, Deps{TrustedProxies: []string{"10.0.0.1"}})
	for _, tc := range []struct {
		name   string
		remote string
		header map[string]string
		want   int
	}{
		{"loopback v4", "127.0.0.1:1234", nil, 200},
		{"loopback v6", "[::1]:1234", nil, 200},
		{"remote", "203.0.113.7:1234", nil, 403},
		{"private network", "192.168.1.20:1234", nil, 403},
		{"local proxy forwarding a remote client", "127.0.0.1:1234", map[string]string{"X-Forwarded-For": "203.0.113.9"}, 403},
		{"local proxy forwarding via Forwarded", "127.0.0.1:1234", map[string]string{"Forwarded": "for=203.0.113.9"}, 403},
		{"remote client claiming loopback", "203.0.113.7:1234", map[string]string{"X-Forwarded-For": "127.0.0.1"}, 403},
		{"trusted proxy forwarding a local client", "10.0.0.1:1234", map[string]string{"X-Forwarded-For": "127.0.0.1"}, 200},
		{"trusted proxy forwarding a remote client", "10.0.0.1:1234", map[string]string{"X-Forwarded-For": "203.0.113.9"}, 403},
	} {
		rec := send(h, request{method: "PUT", target: "/api/documents/b", body: docBody, remote: tc.remote, header: tc.header})
		if tc.want == 200 {
			if rec.Code != 200 && rec.Code != 201 {
				t.Errorf("%s: status %d, want 200 or 201: %s", tc.name, rec.Code, rec.Body.String())
			}
			continue
		}
		checkStatus(t, tc.name, rec, tc.want, "write_forbidden")
		if !strings.Contains(rec.Body.String(), "POLICYSEARCH_API_KEY") {
			t.Errorf("%s: the 403 does not say how to allow writes: %s", tc.name, rec.Body.String())
		}
	}
	// Every write method and route is covered, including ones added later.
	for _, r := range []request{
		{method: "POST", target: "/api/documents", body: docBody},
		{method: "DELETE", target: "/api/documents/a"},
		{method: "POST", target: "/api/admin/rebuild"},
		{method: "POST", target: "/api/embeddings/retry"},
	} {
		checkStatus(t, r.method+" "+r.target, send(h, r), 403, "write_forbidden")
	}
	// Reads stay open, and a route that does not exist is still a 404/405.
	checkStatus(t, "search", send(h, request{method: "GET", target: "/api/search?q=steel"}), 200, "")
	checkStatus(t, "unknown method", send(h, request{method: "DELETE", target: "/api/search"}), 405, "method_not_allowed")
	checkStatus(t, "unknown route", send(h, request{method: "POST", target: "/api/nothing"}), 404, "not_found")
}

func TestWriteKeys(t *testing.T) {
	h := accessServer(t, Deps{WriteKeys: []string{"first-key-0123456789", "second-key-0123456789"}})
	put := func(remote string, header map[string]string) *httptest.ResponseRecorder {
		return send(h, request{method: "PUT", target: "/api/documents/b", body: docBody, remote: remote, header: header})
	}
	rec := put("", nil)
	checkStatus(t, "no key", rec, 401, "unauthorized")
	if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
		t.Errorf("no key: WWW-Authenticate %q, want a Bearer challenge", got)
	}
	rec = put("", bearerHeader("wrong"))
	checkStatus(t, "wrong key", rec, 401, "unauthorized")
	if got := rec.Header().Get("WWW-Authenticate"); !strings.Contains(got, "invalid_token") {
		t.Errorf("wrong key: WWW-Authenticate %q, want invalid_token", got)
	}
	checkStatus(t, "key as basic auth", put("", map[string]string{"Authorization": "Basic Zmlyc3Qta2V5"}), 401, "unauthorized")
	checkStatus(t, "prefix of a key", put("", bearerHeader("first-key")), 401, "unauthorized")
	checkStatus(t, "loopback without key", put("127.0.0.1:9", nil), 401, "unauthorized")
	if rec := put("", bearerHeader("second-key-0123456789")); rec.Code != 201 {
		t.Errorf("second key: status %d, want 201: %s", rec.Code, rec.Body.String())
	}
	if rec := put("", map[string]string{"Authorization": "bearer first-key-0123456789"}); rec.Code != 200 {
		t.Errorf("first key, lower-case scheme: status %d, want 200: %s", rec.Code, rec.Body.String())
	}
	checkStatus(t, "read without read key", send(h, request{method: "GET", target: "/api/documents/b"}), 200, "")
}

func TestReadAndMetricsKeys(t *testing.T) {
	const write, read, metrics = "write-key-0123456789", "read-key-0123456789", "metrics-key-0123456789"
	h := accessServer(t, Deps{WriteKeys: []string{write}, ReadKey: read, MetricsKey: metrics})
	for _, tc := range []struct {
		target string
		key    string
		want   int
	}{
		{"/api/search?q=steel", "", 401},
		{"/api/search?q=steel", "wrong", 401},
		{"/api/search?q=steel", read, 200},
		{"/api/search?q=steel", write, 200},
		{"/api/search?q=steel", metrics, 401},
		{"/api/documents/a", "", 401},
		{"/api/documents/a", read, 200},
		{"/api/stats", "", 401},
		{"/", "", 401},
		{"/", read, 200},
		{"/doc/a", "", 401},
		{"/healthz", "", 200},
		{"/readyz", "", 200},
		{"/api/openapi.json", "", 200},
		{"/metrics", "", 401},
		{"/metrics", read, 401},
		{"/metrics", metrics, 200},
		{"/metrics", write, 200},
		{"/api/nothing", "", 404},
	} {
		var header map[string]string
		if tc.key != "" {
			header = bearerHeader(tc.key)
		}
		rec := send(h, request{method: "GET", target: tc.target, header: header})
		code := ""
		if tc.want == 401 {
			code = "unauthorized"
		}
		checkStatus(t, tc.target+" with "+tc.key, rec, tc.want, code)
	}
	checkStatus(t, "write with the read key", send(h, request{method: "DELETE", target: "/api/documents/a", header: bearerHeader(read)}), 401, "unauthorized")
}

func TestKeysNeverLogged(t *testing.T) {
	const write, read = "write-secret-4f9a1c", "read-secret-8b2e7d"
	var logs bytes.Buffer
	h := accessServer(t, Deps{WriteKeys: []string{write}, ReadKey: read, Log: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	for _, r := range []request{
		{method: "GET", target: "/api/search?q=steel", header: bearerHeader(read)},
		{method: "GET", target: "/api/search?q=steel", header: bearerHeader(read + "x")},
		{method: "PUT", target: "/api/documents/b", body: docBody, header: bearerHeader(write)},
		{method: "PUT", target: "/api/documents/b", body: "{", header: bearerHeader(write)},
		{method: "DELETE", target: "/api/documents/zzz", header: bearerHeader(write)},
		{method: "GET", target: "/api/nothing", header: bearerHeader(write)},
	} {
		send(h, r)
	}
	if logs.Len() == 0 {
		t.Fatal("nothing was logged; the test proves nothing")
	}
	for _, k := range []string{"write-secret", "read-secret"} {
		if strings.Contains(logs.String(), k) {
			t.Errorf("the log contains a key:\n%s", logs.String())
		}
	}
}

func TestParseNets(t *testing.T) {
	nets := parseNets([]string{"10.0.0.1", "192.168.0.0/16", "::1", "bad"})
	for ip, want := range map[string]bool{"10.0.0.1": true, "10.0.0.2": false, "192.168.44.1": true, "::1": true, "127.0.0.1": false} {
		if got := contains(nets, parseIP(t, ip)); got != want {
			t.Errorf("contains(%s) = %v, want %v", ip, got, want)
		}
	}
}

func parseIP(t *testing.T, s string) net.IP {
	t.Helper()
	ip := net.ParseIP(s)
	if ip == nil {
		t.Fatalf("bad IP %q", s)
	}
	return ip
}
