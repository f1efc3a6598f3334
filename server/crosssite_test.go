package server

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"policysearch/index"
)

// TestCrossSiteWrites replays "cross-site writes with no key set": a page
// on another site drives a browser on the server's machine (a loopback
// peer) to replace a document, and a DNS-rebinding page reaches it under
// its own host name.
func TestCrossSiteWrites(t *testing.T) {
	ix, err := index.Open(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	h, err := New(Deps{Index: ix, AllowedHosts: []string{"localhost", "127.0.0.1", "::1"}, CORSOrigins: []string{"https://app.example"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, target, host, ctype string
		headers                           map[string]string
		want                              int
	}{
		{"text/plain upload from evil.example", "POST", "/api/documents?name=x.txt", "127.0.0.1:8080", "text/plain",
			map[string]string{"Origin": "https://evil.example"}, 403},
		{"JSON from evil.example", "PUT", "/api/documents/a", "127.0.0.1:8080", "application/json",
			map[string]string{"Origin": "https://evil.example"}, 403},
		{"Sec-Fetch-Site cross-site, no Origin", "DELETE", "/api/documents/a", "127.0.0.1:8080", "",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"null origin", "POST", "/api/documents?name=x.txt", "127.0.0.1:8080", "text/plain",
			map[string]string{"Origin": "null"}, 403},
		{"the page's own alert form", "POST", "/alerts", "127.0.0.1:8080", "application/x-www-form-urlencoded",
			map[string]string{"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-origin"}, 0},
		{"the CLI: no Origin", "PUT", "/api/documents/b", "127.0.0.1:8080", "application/json", nil, 201},
		{"a configured CORS origin", "PUT", "/api/documents/c", "localhost:8080", "application/json",
			map[string]string{"Origin": "https://app.example", "Sec-Fetch-Site": "cross-site"}, 201},
		{"DNS rebinding read", "GET", "/api/search?q=x", "evil.example:8080", "", nil, 421},
		{"DNS rebinding write", "PUT", "/api/documents/d", "evil.example:8080", "application/json",
			map[string]string{"Origin": "http://evil.example:8080"}, 421},
		{"IPv6 loopback host", "GET", "/healthz", "[::1]:8080", "", nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"title":"t","text":"x"}`
			if tt.ctype == "text/plain" {
				body = "replaced"
			}
			if tt.ctype == "application/x-www-form-urlencoded" {
				body = "q=x&name=n"
			}
			req := httptest.NewRequest(tt.method, tt.target, strings.NewReader(body))
			req.RemoteAddr = "127.0.0.1:40000"
			req.Host = tt.host
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			switch {
			case tt.want == 0 && (rec.Code == 403 || rec.Code == 421):
				t.Errorf("got %d %s, want it let through", rec.Code, rec.Body)
			case tt.want != 0 && rec.Code != tt.want:
				t.Errorf("got %d %s, want %d", rec.Code, rec.Body, tt.want)
			case rec.Code == 403 && !strings.Contains(rec.Body.String(), `"code":"cross_site_write"`):
				t.Errorf("403 body %s, want code cross_site_write", rec.Body)
			}
		})
	}
}
