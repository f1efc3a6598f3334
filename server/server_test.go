package server

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"policysearch/index"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testServer is the real router over a real index in a temp dir.
type testServer struct {
	t  *testing.T
	h  http.Handler
	ix *index.Index
}

func newTestServer(t *testing.T, docs ...index.Document) *testServer {
	t.Helper()
	ix, err := index.Open(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if len(docs) > 0 {
		if _, err := ix.Put(context.Background(), docs); err != nil {
			t.Fatal(err)
		}
	}
	h, err := New(Deps{Index: ix})
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{t: t, h: h, ix: ix}
}

// do sends a request and returns the recorder.
func (s *testServer) do(method, target, contentType, body string) *httptest.ResponseRecorder {
	s.t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.RemoteAddr = "127.0.0.1:40000" // a local client: writes need no key (auth_test.go covers the rest)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec
}

// decode unmarshals a JSON response body, failing the test on bad JSON.
func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, rec.Body.String())
	}
	return v
}

var tookMS = regexp.MustCompile(`"took_ms":\s*[0-9.e+-]+`)

// golden compares got with testdata/name, after removing timings.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	got = tookMS.ReplaceAll(got, []byte(`"took_ms": 0`))
	var pretty bytes.Buffer
	if json.Indent(&pretty, got, "", "  ") == nil {
		got = append(pretty.Bytes(), '\n')
	}
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("missing golden file (run with -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file:\n got: %s\nwant: %s", name, got, want)
	}
}

var docs = []index.Document{
	{ID: "brief", Title: "Sovereign AI and national compute", Text: "Governments want sovereign AI: domestic compute and open-weight models.",
		Source: "Policy Lab", SourceType: "think_tank", Authors: []string{"Ada Lovelace"}, Country: "UK", Tags: []string{"AI"}, Published: index.MustDate("2025-03")},
	{ID: "statement", Title: "Trusted AI in public services", Text: "Public services keep control of AI; sovereign deployment protects data.",
		Source: "Ministry", SourceType: "government", Country: "FR", Tags: []string{"AI"}, Published: index.MustDate("2024")},
	{ID: "tariffs", Title: "Steel tariffs and allies", Text: "Tariffs on steel strain relations with allies.",
		Source: "Daily News", SourceType: "news", Country: "US", Published: index.MustDate("2023-05-02")},
}

func TestSearchAPI(t *testing.T) {
	s := newTestServer(t, docs...)
	rec := s.do("GET", "/api/search?q=sovereign+AI", "", "")
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	golden(t, "search_sovereign_ai.json", rec.Body.Bytes())

	res := decode[index.Results](t, s.do("GET", "/api/search?source_type=news&source_type=government&sort=oldest", "", ""))
	if res.Total != 2 || res.Hits[0].ID != "tariffs" || res.Hits[1].ID != "statement" {
		t.Errorf("filtered oldest-first = %+v", res.Hits)
	}
}

func TestSearchAPIErrors(t *testing.T) {
	s := newTestServer(t, docs...)
	cases := []struct {
		name, target string
		status       int
		code         string
	}{
		{"size not a number", "/api/search?q=x&size=ten", 400, "invalid_size"},
		{"size too big", "/api/search?q=x&size=1000", 400, "invalid_size"},
		{"page zero", "/api/search?q=x&page=0", 400, "invalid_page"},
		{"deep window", "/api/search?q=x&page=500&size=100", 400, "invalid_page"},
		{"bad sort", "/api/search?q=x&sort=best", 400, "invalid_sort"},
		{"bad facet mode", "/api/search?q=x&facet_mode=all", 400, "invalid_facet_mode"},
		{"bad date", "/api/search?q=x&from=last+week", 400, "invalid_from"},
		{"to before from", "/api/search?from=2024&to=2020", 400, "invalid_to"},
		{"bad source type", "/api/search?source_type=blog", 400, "invalid_source_type"},
		{"bad strict flag", "/api/search?q=x&strict=maybe", 400, "invalid_strict"},
		{"strict syntax error", "/api/search?q=%22unclosed&strict=true", 400, "invalid_query"},
		{"query too long", "/api/search?q=" + strings.Repeat("a", MaxQueryLength+1), 414, "query_too_long"},
		{"unknown route", "/api/nothing", 404, "not_found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := s.do("GET", c.target, "", "")
			body := decode[errorBody](t, rec)
			if rec.Code != c.status || body.Error.Code != c.code || body.Error.Message == "" {
				t.Errorf("got %d %+v, want %d %s", rec.Code, body.Error, c.status, c.code)
			}
		})
	}
	rec := s.do("GET", "/api/search?q=%22sovereign+AI&strict=true", "", "")
	golden(t, "error_strict_query.json", rec.Body.Bytes())
	rec = s.do("GET", "/api/search?q=%22sovereign+AI", "", "")
	if res := decode[index.Results](t, rec); rec.Code != 200 || res.Notice == "" || res.Total == 0 {
		t.Errorf("non-strict broken query: %d notice=%q total=%d", rec.Code, res.Notice, res.Total)
	}
	rec = s.do("DELETE", "/api/search", "", "")
	if body := decode[errorBody](t, rec); rec.Code != 405 || body.Error.Code != "method_not_allowed" {
		t.Errorf("DELETE /api/search = %d %+v, want 405", rec.Code, body)
	}
}

func TestDocumentLifecycle(t *testing.T) {
	s := newTestServer(t)
	steps := []struct {
		name, method, target, ctype, body string
		status                            int
		check                             func(t *testing.T, rec *httptest.ResponseRecorder)
	}{
		{name: "create one", method: "POST", target: "/api/documents", ctype: "application/json",
			body: `{"id":"d1","title":"Data centres","text":"Grid capacity for data centres.","author":"Jane Roe","year":2021,"party":"none"}`, status: 201,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if r := decode[postResponse](t, rec); len(r.IDs) != 1 || r.IDs[0] != "d1" || r.Results[0].Status != index.Added {
					t.Errorf("got %+v", r)
				}
			}},
		{name: "get keeps extra fields and precision", method: "GET", target: "/api/documents/d1", status: 200,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				d := decode[map[string]any](t, rec)
				if d["published"] != "2021" || d["extra"].(map[string]any)["party"] != "none" || d["author"].([]any)[0] != "Jane Roe" {
					t.Errorf("got %v", d)
				}
			}},
		{name: "create array, id derived from url", method: "POST", target: "/api/documents", ctype: "application/json",
			body: `[{"id":"d2","text":"Energy policy"},{"url":"https://Example.org/a#x","title":"Linked"}]`, status: 201,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				r := decode[postResponse](t, rec)
				if len(r.IDs) != 2 || r.IDs[1] != index.DeriveID("https://example.org/a") {
					t.Errorf("got %+v", r)
				}
			}},
		{name: "same again is unchanged", method: "POST", target: "/api/documents", ctype: "application/json",
			body: `{"id":"d2","text":"Energy policy"}`, status: 201,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if r := decode[postResponse](t, rec); r.Results[0].Status != index.Unchanged {
					t.Errorf("got %+v", r)
				}
			}},
		{name: "put updates", method: "PUT", target: "/api/documents/d2", ctype: "application/json", body: `{"text":"Energy policy, revised"}`, status: 200},
		{name: "put creates", method: "PUT", target: "/api/documents/d3", ctype: "application/json", body: `{"id":"d3","text":"New"}`, status: 201},
		{name: "put id mismatch", method: "PUT", target: "/api/documents/d3", ctype: "application/json", body: `{"id":"other","text":"x"}`, status: 400},
		{name: "invalid json", method: "POST", target: "/api/documents", ctype: "application/json", body: `{"id":`, status: 400},
		{name: "not an object", method: "POST", target: "/api/documents", ctype: "application/json", body: `"hello"`, status: 400},
		{name: "no title or text", method: "POST", target: "/api/documents", ctype: "application/json", body: `{"id":"x"}`, status: 400},
		{name: "bad source type", method: "POST", target: "/api/documents", ctype: "application/json", body: `{"id":"x","text":"t","source_type":"blog"}`, status: 400},
		{name: "bad date", method: "POST", target: "/api/documents", ctype: "application/json", body: `{"id":"x","text":"t","published":"yesterday"}`, status: 400},
		{name: "bad id", method: "POST", target: "/api/documents", ctype: "application/json", body: `{"id":"a/b","text":"t"}`, status: 400},
		{name: "one bad document rejects the array", method: "POST", target: "/api/documents", ctype: "application/json", body: `[{"id":"ok1","text":"t"},{"id":"x","text":"t","author":5}]`, status: 400},
		{name: "empty body", method: "POST", target: "/api/documents", ctype: "application/json", body: ``, status: 400},
		{name: "wrong content type", method: "POST", target: "/api/documents", ctype: "text/csv", body: `a,b`, status: 415},
		{name: "delete", method: "DELETE", target: "/api/documents/d1", status: 200},
		{name: "delete again", method: "DELETE", target: "/api/documents/d1", status: 404},
		{name: "get deleted", method: "GET", target: "/api/documents/d1", status: 404},
	}
	for _, st := range steps {
		rec := s.do(st.method, st.target, st.ctype, st.body)
		if rec.Code != st.status {
			t.Fatalf("%s: status %d, want %d: %s", st.name, rec.Code, st.status, rec.Body)
		}
		if rec.Code >= 400 {
			if e := decode[errorBody](t, rec); e.Error.Code == "" || e.Error.Message == "" {
				t.Errorf("%s: error body %s lacks code or message", st.name, rec.Body)
			}
		}
		if st.check != nil {
			st.check(t, rec)
		}
	}
	if _, err := s.ix.Get(context.Background(), "ok1"); index.KindOf(err) != index.NotFound {
		t.Errorf("a rejected array stored its valid document: %v", err)
	}
	res := decode[index.Results](t, s.do("GET", "/api/search?q=revised", "", ""))
	if res.Total != 1 || res.Hits[0].ID != "d2" {
		t.Errorf("updated text not searchable: %+v", res)
	}
}

func TestNDJSONReportsBadLinesAndKeepsGoodOnes(t *testing.T) {
	s := newTestServer(t)
	body := `{"id":"n1","text":"first good line"}
{"id":"n2","text":
{"id":"n3","text":"third line","source_type":"blog"}

{"id":"n4","text":"fourth good line"}
`
	rec := s.do("POST", "/api/documents", "application/x-ndjson", body)
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var results []lineResult
	var summary summaryLine
	for _, line := range strings.Split(strings.TrimSpace(rec.Body.String()), "\n") {
		if strings.HasPrefix(line, `{"summary"`) {
			json.Unmarshal([]byte(line), &summary)
			continue
		}
		var r lineResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("bad response line %q", line)
		}
		results = append(results, r)
	}
	byLine := map[int]lineResult{}
	for i, r := range results {
		byLine[r.Line] = r
		if i > 0 && r.Line <= results[i-1].Line {
			t.Errorf("result lines out of input order: %+v", results)
		}
	}
	if byLine[1].Status != index.Added || byLine[5].Status != index.Added {
		t.Errorf("good lines: %+v", results)
	}
	if byLine[2].Error == nil || byLine[3].Error == nil || !strings.Contains(byLine[3].Error.Message, "source_type") {
		t.Errorf("bad lines not reported with reasons: %+v", results)
	}
	if summary.Summary["added"] != 2 || summary.Summary["failed"] != 2 {
		t.Errorf("summary = %v", summary.Summary)
	}
	res := decode[index.Results](t, s.do("GET", "/api/search?q=good", "", ""))
	if res.Total != 2 {
		t.Errorf("good lines searchable: total %d, want 2", res.Total)
	}
}

func TestHealthStatsAndHeaders(t *testing.T) {
	s := newTestServer(t, docs...)
	for _, path := range []string{"/healthz", "/readyz", "/api/stats"} {
		rec := s.do("GET", path, "", "")
		if rec.Code != 200 {
			t.Errorf("%s = %d", path, rec.Code)
		}
		for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Request-Id"} {
			if rec.Header().Get(h) == "" {
				t.Errorf("%s lacks header %s", path, h)
			}
		}
	}
	st := decode[index.Stats](t, s.do("GET", "/api/stats", "", ""))
	if st.Documents != 3 || st.IndexBytes == 0 || st.LastUpdate.IsZero() {
		t.Errorf("stats = %+v", st)
	}
}

func TestPageRendersResultsEscaped(t *testing.T) {
	s := newTestServer(t, append(docs, index.Document{ID: "xss", Title: `<script>alert(1)</script> sovereign`, Text: "x"})...)
	rec := s.do("GET", "/?q=sovereign", "", "")
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 200 || !bytes.Contains(body, []byte("AI and national compute")) {
		t.Fatalf("page %d lacks results: %s", rec.Code, body)
	}
	if bytes.Contains(body, []byte("<script>alert")) {
		t.Error("page contains an unescaped script tag from a document title")
	}
}

// TestResponsesCompressed: a client that accepts gzip or brotli gets the
// results page and the JSON API compressed in that encoding, and one that
// accepts neither gets them plain.
func TestResponsesCompressed(t *testing.T) {
	h, _ := newPageServer(t, pageDocs(t))
	for _, tc := range []struct{ path, accept, want string }{
		{"/?q=sovereign+AI", "gzip", "gzip"},
		{"/?q=sovereign+AI", "br", "br"},
		{"/api/search?q=sovereign+AI", "gzip, br", "br"},
		{"/?q=sovereign+AI", "", ""},
	} {
		req := httptest.NewRequest("GET", tc.path, nil)
		if tc.accept != "" {
			req.Header.Set("Accept-Encoding", tc.accept)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if got := w.Header().Get("Content-Encoding"); w.Code != 200 || got != tc.want {
			t.Errorf("GET %s with Accept-Encoding %q: %d, Content-Encoding %q, want %q", tc.path, tc.accept, w.Code, got, tc.want)
		}
	}
}
