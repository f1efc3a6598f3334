package server

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// get sends a GET through h with an optional Accept header.
func get(h http.Handler, target, accept string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", target, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

func TestPagesThroughTheRouter(t *testing.T) {
	h, _ := newPageServer(t, pageDocs(t))
	cases := []struct {
		name, target, accept string
		status               int
		contentType          string
		want, notWant        []string
	}{
		{"start page", "/", browserAccept, 200, "text/html",
			[]string{`<html lang="en">`, "Search policy texts", `role="search"`, "autofocus"}, []string{`class="hits"`}},
		{"results", "/?q=sovereign+AI", browserAccept, 200, "text/html",
			[]string{"Without Autarky: Building National Capability", `href="/doc/seed-sovereign-ai-capability-brief?q=sovereign&#43;AI"`, "<mark>", `rel="next"`, `<legend>Source type</legend>`},
			[]string{"autofocus"}},
		{"browse without a query", "/?sort=newest", browserAccept, 200, "text/html",
			[]string{"31 results", "All documents – policysearch"}, nil},
		{"filtered", "/?q=sovereign+AI&source_type=government&from=2024&to=2024", "", 200, "text/html",
			[]string{"5 results", `value="government" form="search" data-autosubmit checked`, "Date: 2024"}, nil},
		{"a ticked facet keeps its other values countable", "/?q=sovereign+AI&source_type=government", "", 200, "text/html",
			[]string{"8 results", `value="government" form="search" data-autosubmit checked`, `value="think_tank" form="search" data-autosubmit>`,
				`<span class="v">Think tank</span> <span class="n">5<`}, nil},
		{"facet_mode=filtered counts the filtered results only", "/?q=sovereign+AI&source_type=government&facet_mode=filtered", "", 200, "text/html",
			[]string{"8 results", `value="government" form="search" data-autosubmit checked`, `name="facet_mode" value="filtered"`},
			[]string{`value="think_tank"`}},
		{"no results", "/?q=sovereign+AI&country=XX", "", 200, "text/html",
			[]string{"No documents match", "Remove the filter", "Check the spelling"}, nil},
		{"syntax error in strict mode", "/?q=%22sovereign+AI&strict=true", "", 400, "text/html",
			[]string{"The query does not parse", `<mark class="at">&#34;</mark>sovereign AI`, "Position 1", "Search it as plain words"},
			[]string{"goroutine", ".go:"}},
		{"broken query searched as words", "/?q=%22sovereign+AI", "", 200, "text/html",
			[]string{"Searched as plain words", "Show where"}, nil},
		{"bad parameter", "/?q=x&page=0", "", 400, "text/html", []string{"Page must be a whole number", "parameter <code>page</code>"}, nil},
		{"document", "/doc/seed-sovereign-ai-capability-brief?q=sovereign+compute&sort=newest", browserAccept, 200, "text/html",
			[]string{`<mark id="m1">`, "Back to results", `href="/?q=sovereign&#43;compute&amp;sort=newest"`, "Related documents", "Where control matters most"},
			[]string{"**"}},
		{"document without a search", "/doc/uk-compute-strategy", browserAccept, 200, "text/html",
			[]string{"Compute for the Nation", "Read the original at policylab.example.org"}, []string{"<mark", "Back to results"}},
		{"hostile document", "/doc/xss-title", browserAccept, 200, "text/html",
			[]string{"&lt;script&gt;window.__xss=1&lt;/script&gt;"}, []string{"<script>window", "<img src=x", "javascript:"}},
		{"unknown document", "/doc/no-such-doc?q=sovereign", browserAccept, 404, "text/html", []string{"No such document", "Search for"}, nil},
		{"unknown page for a browser", "/nowhere", browserAccept, 404, "text/html", []string{"Page not found"}, nil},
		{"unknown page for curl", "/nowhere", "*/*", 404, "application/json", []string{`"code":"not_found"`}, nil},
		{"unknown API route for a browser", "/api/nowhere", browserAccept, 404, "application/json", []string{`"code":"not_found"`}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := get(h, c.target, c.accept)
			body := rec.Body.String()
			if rec.Code != c.status {
				t.Fatalf("status = %d, want %d\n%s", rec.Code, c.status, body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, c.contentType) {
				t.Errorf("Content-Type = %q, want %s", ct, c.contentType)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q", w)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(body, w) {
					t.Errorf("body contains %q", w)
				}
			}
		})
	}
}

var assetURL = regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`)

func TestPageSecurityAndAssets(t *testing.T) {
	h, _ := newPageServer(t, pageDocs(t))
	rec := get(h, "/?q=sovereign", browserAccept)
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP = %q", csp)
	}
	body := rec.Body.String()
	if strings.Contains(body, " style=") || regexp.MustCompile(`<script>|<script [^s]`).MatchString(body) || strings.Contains(body, " onclick=") {
		t.Error("page has inline style or script, which the CSP would block")
	}
	assets := assetURL.FindAllStringSubmatch(body, -1)
	if len(assets) < 3 {
		t.Fatalf("found %d asset links, want style, script and icon", len(assets))
	}
	for _, m := range assets {
		if !regexp.MustCompile(`\.[0-9a-f]{8}\.(css|js|svg)$`).MatchString(m[1]) {
			t.Errorf("asset %s is not content-hashed", m[1])
		}
		a := get(h, m[1], "")
		if a.Code != 200 || a.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: status %d, Cache-Control %q", m[1], a.Code, a.Header().Get("Cache-Control"))
		}
	}
	if rec := get(h, "/static/style.00000000.css", ""); rec.Code != 404 {
		t.Errorf("unknown asset status %d", rec.Code)
	}
}

// TestFacetLinksRoundTrip follows the page's own links: a year, a facet
// value and page 2 all lead to a page that shows that state.
func TestFacetLinksRoundTrip(t *testing.T) {
	h, _ := newPageServer(t, pageDocs(t))
	body := get(h, "/?q=sovereign+AI", "").Body.String()
	year := regexp.MustCompile(`<a href="([^"]*from=2025[^"]*)"><span class="box"`).FindStringSubmatch(body)
	if year == nil {
		t.Fatal("no link for the 2025 year facet")
	}
	y := get(h, unescape(year[1]), "").Body.String()
	if !strings.Contains(y, `aria-current="true"><span class="box" aria-hidden="true"></span><span class="v">2025</span>`) || !strings.Contains(y, "Date: 2025") {
		t.Error("following the 2025 year link does not show 2025 as chosen")
	}
	next := regexp.MustCompile(`<a href="([^"]*)" rel="next"`).FindStringSubmatch(body)
	if next == nil {
		t.Fatal("no next-page link")
	}
	p2 := get(h, unescape(next[1]), "").Body.String()
	if !strings.Contains(p2, "Showing 11–20") || !strings.Contains(p2, `<ol class="hits" start="11">`) {
		t.Error("page 2 does not show results 11–20")
	}
}

func unescape(s string) string { return strings.NewReplacer("&amp;", "&", "&#43;", "+").Replace(s) }

// BenchmarkResultsPage measures the server time of a results page with
// facets and snippets, through the whole handler stack.
func BenchmarkResultsPage(b *testing.B) {
	h, _ := newPageServer(b, pageDocs(b))
	for _, target := range []string{"/?q=sovereign+AI", "/?q=sovereign+AI&source_type=government&sort=newest&page=1"} {
		if rec := get(h, target, browserAccept); rec.Code != 200 {
			b.Fatalf("%s: %d", target, rec.Code)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		get(h, "/?q=sovereign+AI", browserAccept)
	}
}
