package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"policysearch/alerts"
	"policysearch/index"
	"policysearch/seeds"
	"policysearch/snapshots"
)

// xssTitle is a document title that would run script if the page ever
// let a field through unescaped; the browser test asserts it never does.
const xssTitle = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2">`

// pageDocs are the documents page tests search: the seeds, as the
// service indexes them, plus 28 fixtures from several sources, countries
// and years (testdata/pages/fixtures.ndjson), and a hostile one.
func pageDocs(tb testing.TB) []index.Document {
	tb.Helper()
	docs, err := seeds.Documents(context.Background())
	if err != nil {
		tb.Fatalf("load seeds: %v", err)
	}
	f, err := os.Open(filepath.Join("testdata", "pages", "fixtures.ndjson"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var d index.Document
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			tb.Fatalf("fixtures.ndjson: %v", err)
		}
		docs = append(docs, d)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return append(docs, index.Document{ID: "xss-title", Title: xssTitle, Source: `<b>Injected</b> Press`, SourceType: "news",
		Authors: []string{`<img src=x onerror="window.__xss=3">`}, Tags: []string{`<script>window.__xss=4</script>`},
		Text: "A hostile payload document: its fields carry markup that must show as text.", URL: "javascript:window.__xss=5",
		Published: index.MustDate("2021-04-01"), Country: "XX"})
}

// newPageServer is the real handler over a real index holding docs, with
// snapshots and alerts as serve runs them.
func newPageServer(tb testing.TB, docs []index.Document) (http.Handler, *index.Index) {
	tb.Helper()
	dir := tb.TempDir()
	ix, err := index.Open(context.Background(), dir, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ix.Close() })
	if _, err := ix.Put(context.Background(), docs); err != nil {
		tb.Fatal(err)
	}
	snaps, err := snapshots.Open(filepath.Join(dir, "snapshots.db"))
	if err != nil {
		tb.Fatal(err)
	}
	al, err := alerts.Open(filepath.Join(dir, "alerts.db"), ix, alerts.Config{Parse: ParseParams})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(func() { cancel(); al.Close(); snaps.Close() })
	ix.OnChange(al.OnChange)
	al.Start(ctx)
	h, err := New(Deps{Index: ix, Version: "test", Snapshots: snaps, Alerts: al})
	if err != nil {
		tb.Fatal(err)
	}
	return h, ix
}
