package server

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

	"policysearch/alerts"
	"policysearch/embedding"
	"policysearch/index"
	"policysearch/snapshots"
)

func init() {
	for _, ct := range []string{"text/csv", "application/x-bibtex", "application/x-research-info-systems", "application/atom+xml"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
}

// researchSpecCases are TestOpenAPI's cases for export, snapshots and
// alerts, on a handler that runs them (no keys: writes from loopback).
func researchSpecCases(t *testing.T, ix *index.Index, svc *embedding.Service, newHandler func(Deps) http.Handler) []specCase {
	t.Helper()
	dir := t.TempDir()
	st, err := snapshots.Open(filepath.Join(dir, "snapshots.db"))
	if err != nil {
		t.Fatal(err)
	}
	al, err := alerts.Open(filepath.Join(dir, "alerts.db"), ix, alerts.Config{Parse: ParseParams, Vectors: svc})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); al.Close(); st.Close() })
	ix.OnChange(al.OnChange)
	al.Start(ctx)
	snap := &snapshots.Snapshot{Params: "q=export+controls", Cap: 10, Total: 1,
		Ranking: snapshots.Ranking{Mode: "keyword", SemanticStatus: "off", Sort: "relevance"},
		Hits:    []snapshots.Hit{{Rank: 1, ID: "chips", Score: 1.2, Title: "Semiconductor export controls"}, {Rank: 2, ID: "gone", Score: 0.5, Title: "Deleted since"}}}
	if err := st.Create(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	mk := func(params string) string {
		a, err := al.Create(ctx, alerts.Alert{Params: params})
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	watched, byPage, byAPI := mk("q=chips"), mk("q=tariffs"), mk("q=grid")
	h := newHandler(Deps{Index: ix, Embeddings: svc, Snapshots: st, Alerts: al, ExportCap: 50})
	r := func(method, target string, want int) specCase {
		c := specCase{h: h, method: method, target: target, want: want}
		if isWrite(method) {
			c.remote = "127.0.0.1:9"
		}
		return c
	}
	json := func(c specCase, body string) specCase { c.ctype, c.body = "application/json", body; return c }
	form := func(c specCase, body string) specCase {
		c.ctype, c.body = "application/x-www-form-urlencoded", body
		return c
	}
	bad := func(c specCase) specCase { c.badRequest = true; return c }
	return []specCase{
		r("GET", "/api/export?q=export+controls&format=csv", 200),
		r("GET", "/api/export?q=export+controls&format=json&mode=hybrid", 200),
		r("GET", "/api/export?q=export+controls&format=bibtex&limit=2", 200),
		r("GET", "/api/export?q=chips&format=ris&mode=keyword&source=Policy+Lab", 200),
		r("GET", "/api/export?snapshot="+snap.ID+"&format=json", 200),
		r("GET", "/api/export?snapshot=aaaaaaaaaa&format=csv", 404),
		r("GET", "/api/export?snapshot="+snap.ID+"&q=x", 400),
		bad(r("GET", "/api/export?format=xml", 400)),
		bad(r("GET", "/api/export?format=csv&limit=51", 400)),
		json(r("POST", "/api/snapshots", 201), `{"params":"?q=export+controls&source=Policy+Lab&page=3","limit":5}`),
		json(r("POST", "/api/snapshots", 201), `{"q":"chips","mode":"keyword","source":["Policy Lab","Ministry"]}`),
		json(r("POST", "/api/snapshots", 400), `{"params":"q=x&mode=fast"}`),
		bad(json(r("POST", "/api/snapshots", 400), `{"q":"x","colour":"red"}`)),
		r("GET", "/api/snapshots/"+snap.ID, 200),
		r("GET", "/api/snapshots/zzzzzzzzzz", 404),
		r("GET", "/api/alerts", 200),
		r("GET", "/api/alerts?q=chips", 200),
		json(r("POST", "/api/alerts", 201), `{"name":"Chips","q":"chips","mode":"hybrid","webhook_url":"https://hooks.example.org/p"}`),
		json(r("POST", "/api/alerts", 400), `{"q":"chips","webhook_url":"http://127.0.0.1:9/hook"}`),
		bad(json(r("POST", "/api/alerts", 400), `{"q":"chips","threshold":2}`)),
		r("GET", "/api/alerts/"+watched, 200),
		r("GET", "/api/alerts/nope", 404),
		r("DELETE", "/api/alerts/"+byAPI, 200),
		r("DELETE", "/api/alerts/"+byAPI, 404),
		r("GET", "/alerts/"+watched+".atom", 200),
		r("GET", "/alerts/nope.atom", 404),
		bad(r("GET", "/alerts/"+watched, 404)),
		form(r("POST", "/s", 303), "q=export+controls&source=Policy+Lab"),
		r("GET", "/s/"+snap.ID, 200),
		bad(r("GET", "/s/"+snap.ID+"?page=0", 400)),
		r("GET", "/s/zzzzzzzzzz", 404),
		form(r("POST", "/alerts", 201), "q=chips&name=Chips+weekly"),
		r("GET", "/alerts", 200),
		form(r("POST", "/alerts/"+byPage+"/delete", 303), "return=/?q=tariffs"),
		form(r("POST", "/alerts/"+byPage+"/delete", 404), "return=/"),
	}
}
