package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/gin-gonic/gin"

	"policysearch/index"
)

// specCase is one real request and the status it must get; its response
// is validated against openapi.json, and so is the request unless it is
// deliberately malformed.
type specCase struct {
	h           http.Handler
	method      string
	target      string
	ctype, body string
	key         string
	remote      string
	want        int
	badRequest  bool // the request breaks the spec on purpose
}

// TestOpenAPI keeps server/openapi.json true: the description is valid,
// every route gin serves is in it (and nothing else is), and responses of
// every route, successes and errors, match it. A new route fails this
// test until it is described and exercised here.
func TestOpenAPI(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPI)
	if err != nil {
		t.Fatalf("openapi.json does not load: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3 description: %v", err)
	}
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", ndjsonDecoder)
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/markdown", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/pdf", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/openmetrics-text", openapi3filter.PlainBodyDecoder)

	const wk, rk, mk = "write-key-0123456789", "read-key-0123456789", "metrics-key-0123456789"
	ts, _, svc := semanticServer(t, semanticDocs)
	newHandler := func(d Deps) http.Handler {
		h, err := New(d)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	main := newHandler(Deps{Index: ts.ix, Embeddings: svc, WriteKeys: []string{wk}, ReadKey: rk, MetricsKey: mk,
		MaxBodyBytes: 2048, MaxQueryBytes: 100, Feeds: testFeeds(t, ts.ix, false)})
	limited := newHandler(Deps{Index: ts.ix, Embeddings: svc, ReadLimit: RateLimit{Rate: 0.001, Burst: 1}})
	other := newTestServer(t, index.Document{ID: "x", Title: "Keyword only"})
	closed, err := index.Open(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	unready := newHandler(Deps{Index: closed})
	closed.Close()

	page := send(main, request{method: "GET", target: "/", header: bearerHeader(rk)})
	asset := regexp.MustCompile(`/static/[^"]+\.css`).FindString(page.Body.String())
	if asset == "" {
		t.Fatalf("the page links no stylesheet:\n%s", page.Body.String())
	}

	r := func(method, target string, want int) specCase {
		key := rk
		if isWrite(method) {
			key = wk
		}
		return specCase{h: main, method: method, target: target, key: key, want: want}
	}
	withBody := func(c specCase, ctype, body string) specCase { c.ctype, c.body = ctype, body; return c }
	keyed := func(c specCase, key string) specCase { c.key = key; return c }
	bad := func(c specCase) specCase { c.badRequest = true; return c }
	const doc1 = `{"id":"new1","title":"Chip subsidies","text":"Subsidies for chip fabrication.","author":"A. Author","published":"2024-05","tags":["chips"],"party":"none"}`
	cases := []specCase{
		r("GET", "/healthz", 200),
		{h: unready, method: "GET", target: "/readyz", want: 503},
		r("GET", "/readyz", 200),
		keyed(r("GET", "/metrics", 200), mk),
		keyed(r("GET", "/metrics", 401), ""),
		keyed(r("GET", "/api/openapi.json", 200), ""),
		r("GET", "/api/search?q=export+controls", 200),
		r("GET", "/api/search?q=chips+and+fabrication&mode=semantic", 200),
		r("GET", "/api/search?q=data+centres&mode=hybrid&semantic_ratio=0.7&fusion=score", 200),
		r("GET", "/api/search?q=tariffs&mode=keyword&sort=newest&source=Policy+Lab&source=Daily+News&source_type=news&country=US&from=2020&to=2025-06&facet_size=3&size=5&page=1", 200),
		r("GET", "/api/search?q=%22unclosed", 200),
		r("GET", "/api/search", 200),
		bad(r("GET", "/api/search?q=%22unclosed&strict=true", 400)),
		bad(r("GET", "/api/search?q=a&size=0", 400)),
		r("GET", "/api/search?q="+strings.Repeat("a", 101), 414),
		keyed(r("GET", "/api/search?q=a", 401), ""),
		keyed(r("GET", "/api/search?q=a", 401), "wrong"),
		{h: limited, method: "GET", target: "/api/stats", want: 200},
		{h: limited, method: "GET", target: "/api/stats", want: 429},
		r("GET", "/api/stats", 200),
		r("GET", "/api/documents/chips", 200),
		r("GET", "/api/documents/nope", 404),
		withBody(r("POST", "/api/documents", 201), "application/json", doc1),
		withBody(r("POST", "/api/documents", 201), "application/json", `[{"title":"Only a title"},{"id":"new2","text":"Only text.","published":2021}]`),
		withBody(r("POST", "/api/documents", 200), "application/x-ndjson", `{"id":"nd1","title":"One"}`+"\n"+`{"id":"nd2","text":"Two"}`+"\n"),
		bad(withBody(r("POST", "/api/documents", 200), "application/x-ndjson", `{"id":"nd3","title":"Three"}`+"\n"+`{"id":`+"\n")),
		bad(withBody(r("POST", "/api/documents", 400), "application/json", `{"id":`)),
		withBody(r("POST", "/api/documents", 400), "application/json", `{"id":"empty"}`),
		bad(withBody(r("POST", "/api/documents", 413), "application/json", `{"title":"`+strings.Repeat("x", 3000)+`"}`)),
		bad(withBody(r("POST", "/api/documents", 415), "text/csv", "id,title\n")),
		withBody(r("POST", "/api/documents?name=memo.md&source=Lab&tag=a&tag=b", 201), "text/markdown", "# Memo\n\nA memo on grain corridors."),
		withBody(r("POST", "/api/documents?name=bad.pdf", 400), "application/pdf", "%PDF-1.4 not really"),
		keyed(withBody(r("POST", "/api/documents", 401), "application/json", doc1), ""),
		{h: limited, method: "POST", target: "/api/documents", ctype: "application/json", body: doc1, want: 403},
		withBody(r("PUT", "/api/documents/new3", 201), "application/json", `{"title":"Put","text":"By PUT."}`),
		withBody(r("PUT", "/api/documents/new3", 200), "application/json", `{"title":"Put again","text":"By PUT."}`),
		withBody(r("PUT", "/api/documents/new3", 400), "application/json", `{"id":"other","title":"Mismatch"}`),
		r("DELETE", "/api/documents/new3", 200),
		r("DELETE", "/api/documents/new3", 404),
		r("GET", "/api/documents/chips/similar?size=3", 200),
		r("GET", "/api/documents/new2/similar", 200),
		bad(r("GET", "/api/documents/chips/similar?size=0", 400)),
		r("GET", "/api/documents/nope/similar", 404),
		r("POST", "/api/embeddings/retry", 202),
		{h: other.h, method: "POST", target: "/api/embeddings/retry", remote: "127.0.0.1:9", want: 409},
		r("POST", "/api/admin/rebuild", 200),
		r("GET", "/api/feeds", 200),
		withBody(r("POST", "/api/feeds", 201), "application/json", feedBody),
		withBody(r("POST", "/api/feeds", 409), "application/json", feedBody),
		withBody(r("POST", "/api/feeds", 400), "application/json", `{"url":"http://127.0.0.1:8080/feed.xml"}`),
		bad(withBody(r("POST", "/api/feeds", 400), "application/json", `{"url":"https://example.org/f","colour":"red"}`)),
		r("GET", "/api/feeds", 200),
		r("DELETE", "/api/feeds/"+feedID(feedURL), 200),
		r("DELETE", "/api/feeds/"+feedID(feedURL), 404),
		r("GET", "/", 200),
		r("GET", "/?q=export+controls&mode=hybrid", 200),
		r("GET", "/?q=export&more=author&author=scanlon", 200),
		bad(r("GET", "/?q=%22x&strict=true", 400)),
		r("GET", "/?q="+strings.Repeat("a", 101), 414),
		keyed(r("GET", "/", 401), ""),
		r("GET", "/doc/chips?q=export", 200),
		r("GET", "/doc/nope", 404),
		keyed(r("GET", asset, 200), ""),
		keyed(r("GET", "/static/nope.css", 404), ""),
	}

	cases = append(cases, researchSpecCases(t, ts.ix, svc, newHandler)...)

	engine, err := newEngine(Deps{Index: ts.ix})
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, c := range cases {
		name := c.method + " " + c.target
		if len(name) > 80 {
			name = name[:80] + "…"
		}
		route, params := matchRoute(engine.Routes(), c.method, c.target)
		if route == "" {
			t.Errorf("%s: no route matches", name)
			continue
		}
		oaPath := openAPIPath(route)
		item := doc.Paths.Find(oaPath)
		if item == nil || item.GetOperation(c.method) == nil {
			t.Errorf("%s: %s %s is not described in openapi.json", name, c.method, oaPath)
			continue
		}
		req := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
		req.RemoteAddr = "203.0.113.7:5000"
		if c.remote != "" {
			req.RemoteAddr = c.remote
		}
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		if c.key != "" {
			req.Header.Set("Authorization", "Bearer "+c.key)
		}
		rec := httptest.NewRecorder()
		c.h.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("%s: status %d, want %d: %.300s", name, rec.Code, c.want, rec.Body.String())
			continue
		}
		input := &openapi3filter.RequestValidationInput{
			Request:    httptest.NewRequest(c.method, c.target, strings.NewReader(c.body)),
			PathParams: params,
			Route:      &routers.Route{Spec: doc, Path: oaPath, PathItem: item, Method: c.method, Operation: item.GetOperation(c.method)},
			Options:    &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true},
		}
		if c.ctype != "" {
			input.Request.Header.Set("Content-Type", c.ctype)
		}
		if !c.badRequest {
			if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
				t.Errorf("%s: the request does not match the description: %v", name, err)
			}
		}
		err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: input,
			Status:                 rec.Code,
			Header:                 rec.Header(),
			Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
			Options:                input.Options,
		})
		if err != nil {
			t.Errorf("%s → %d: the response does not match the description: %v\n%.500s", name, rec.Code, err, rec.Body.String())
		}
		covered[c.method+" "+route] = true
	}

	described := map[string]bool{}
	for _, rt := range engine.Routes() {
		key := rt.Method + " " + rt.Path
		oaPath := openAPIPath(rt.Path)
		described[rt.Method+" "+oaPath] = true
		if item := doc.Paths.Find(oaPath); item == nil || item.GetOperation(rt.Method) == nil {
			t.Errorf("route %s is not described in server/openapi.json; describe it and add cases here", key)
		} else if !covered[key] {
			t.Errorf("route %s has no case in TestOpenAPI; add one so its responses are checked", key)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !described[method+" "+path] {
				t.Errorf("openapi.json describes %s %s, which the server does not serve", method, path)
			}
		}
	}
}

// matchRoute finds the gin route template a request takes, and its path
// parameters, preferring static segments as gin does.
func matchRoute(routes gin.RoutesInfo, method, target string) (string, map[string]string) {
	path, _, _ := strings.Cut(target, "?")
	best, bestParams := "", map[string]string(nil)
	for _, rt := range routes {
		if rt.Method != method {
			continue
		}
		params, ok := matchTemplate(rt.Path, path)
		if ok && (best == "" || len(params) < len(bestParams)) {
			best, bestParams = rt.Path, params
		}
	}
	return best, bestParams
}

func matchTemplate(template, path string) (map[string]string, bool) {
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	params := map[string]string{}
	for i, seg := range ts {
		if strings.HasPrefix(seg, "*") {
			params[seg[1:]] = strings.Join(ps[i:], "/")
			return params, true
		}
		if i >= len(ps) {
			return nil, false
		}
		switch {
		case strings.HasPrefix(seg, ":") && ps[i] != "":
			params[seg[1:]] = ps[i]
		case seg != ps[i]:
			return nil, false
		}
	}
	return params, len(ts) == len(ps)
}

// openAPIPath turns gin's /documents/:id and /static/*path into
// OpenAPI's /documents/{id} and /static/{path}.
func openAPIPath(route string) string {
	segs := strings.Split(route, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") || strings.HasPrefix(s, "*") {
			segs[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(segs, "/")
}

// ndjsonDecoder reads an NDJSON body as an array of its lines' values.
func ndjsonDecoder(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	var out []any
	sc := bufio.NewScanner(body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var v any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, sc.Err()
}

func TestMatchRoute(t *testing.T) {
	routes := gin.RoutesInfo{{Method: "GET", Path: "/api/documents/:id"}, {Method: "GET", Path: "/api/documents/:id/similar"},
		{Method: "GET", Path: "/api/search"}, {Method: "GET", Path: "/static/*path"}, {Method: "GET", Path: "/"}}
	for target, want := range map[string]string{
		"/api/documents/a":         "/api/documents/:id",
		"/api/documents/a/similar": "/api/documents/:id/similar",
		"/api/search?q=x":          "/api/search",
		"/static/style.1234.css":   "/static/*path",
		"/?q=x":                    "/",
		"/api/nothing":             "",
	} {
		if got, _ := matchRoute(routes, "GET", target); got != want {
			t.Errorf("matchRoute(%q) = %q, want %q", target, got, want)
		}
	}
	if !slices.Equal([]string{openAPIPath("/static/*path"), openAPIPath("/api/documents/:id/similar")},
		[]string{"/static/{path}", "/api/documents/{id}/similar"}) {
		t.Error("openAPIPath")
	}
}
