package server

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"policysearch/index"
	"policysearch/snapshots"
)

// researchServer is the real handler over an index and a snapshot store
// in dir, as cmd wires them; reopening the same dir is a restart.
type researchServer struct {
	t    *testing.T
	dir  string
	ix   *index.Index
	snap *snapshots.Store
	h    http.Handler
	once sync.Once
}

func openResearch(t *testing.T, dir string) *researchServer {
	t.Helper()
	ix, err := index.Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := snapshots.Open(filepath.Join(dir, "snapshots.db"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Deps{Index: ix, Snapshots: st, ExportCap: 20})
	if err != nil {
		t.Fatal(err)
	}
	r := &researchServer{t: t, dir: dir, ix: ix, snap: st, h: h}
	t.Cleanup(r.close)
	return r
}

func (r *researchServer) close() {
	r.once.Do(func() {
		r.snap.Close()
		r.ix.Close()
	})
}

func (r *researchServer) do(method, target, ctype, body string, header ...string) *httptest.ResponseRecorder {
	r.t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.RemoteAddr = "127.0.0.1:40000"
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, req)
	return rec
}

func TestSnapshotSurvivesRebuildAndRestartAndFlagsChanges(t *testing.T) {
	dir := t.TempDir()
	s := openResearch(t, dir)
	if _, err := s.ix.Put(context.Background(), exportDocs(30)); err != nil {
		t.Fatal(err)
	}
	rec := s.do("POST", "/api/snapshots", "application/json", `{"params":"q=tariffs&source_type=news","limit":10}`)
	if rec.Code != 201 {
		t.Fatalf("create: %d %s", rec.Code, rec.Body.String())
	}
	created := decode[snapshotSummary](t, rec)
	if !snapshots.ValidID(created.ID) || created.URL != "http://example.com/s/"+created.ID || created.Count != 10 || created.Total != 30 ||
		created.Params != "q=tariffs&source_type=news" || created.Ranking.Mode != "keyword" || created.Generation == 0 {
		t.Fatalf("created %+v", created)
	}
	frozen := decode[snapshotDetail](t, s.do("GET", "/api/snapshots/"+created.ID, "", ""))
	if !frozen.Changes.Same || len(frozen.Changes.Added) != 0 || len(frozen.Hits) != 10 {
		t.Fatalf("fresh snapshot: changes %+v, %d hits", frozen.Changes, len(frozen.Hits))
	}

	// New documents that outrank everything, one frozen document deleted,
	// the index rebuilt, the process restarted.
	news := []index.Document{
		{ID: "new-a", Title: "Tariffs, tariffs, tariffs", Text: strings.Repeat("tariffs ", 30), SourceType: "news"},
		{ID: "new-b", Title: "Tariff war", Text: strings.Repeat("tariffs ", 25), SourceType: "news"},
		{ID: "new-c", Title: "Tariffs", Text: "Tariffs, but a government document.", SourceType: "government"},
	}
	if _, err := s.ix.Put(context.Background(), news); err != nil {
		t.Fatal(err)
	}
	gone := frozen.Hits[3].ID
	if err := s.ix.Delete(context.Background(), gone); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ix.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.close()
	s = openResearch(t, dir)

	after := decode[snapshotDetail](t, s.do("GET", "/api/snapshots/"+created.ID, "", ""))
	if !slices.Equal(snapIDs(after.Hits), snapIDs(frozen.Hits)) {
		t.Fatalf("the frozen ranking changed:\n%v\n%v", snapIDs(after.Hits), snapIDs(frozen.Hits))
	}
	for i := range after.Hits {
		if after.Hits[i].Score != frozen.Hits[i].Score || after.Hits[i].Title != frozen.Hits[i].Title {
			t.Errorf("hit %d: %+v, frozen %+v", i, after.Hits[i], frozen.Hits[i])
		}
	}
	ch := after.Changes
	if !slices.Equal(snapIDs(ch.Added), []string{"new-a", "new-b"}) {
		t.Errorf("added %v, want the two new news documents (new-c is filtered out)", snapIDs(ch.Added))
	}
	if !slices.Equal(snapIDs(ch.Removed), []string{gone}) {
		t.Errorf("removed %v, want %s", snapIDs(ch.Removed), gone)
	}
	if len(ch.Dropped) != 1 || ch.Same || ch.Total != 31 { // ten deep: two new, one deleted
		t.Errorf("dropped %v, same %v, total %d", snapIDs(ch.Dropped), ch.Same, ch.Total)
	}

	page := s.do("GET", "/s/"+created.ID, "", "")
	body := page.Body.String()
	for _, want := range []string{"removed since", ">new<", "Tariffs, tariffs, tariffs", "2 new documents would now appear",
		"1 removed from the index", "http://example.com/s/" + created.ID, `href="/?q=tariffs&amp;source_type=news"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the snapshot page lacks %q", want)
		}
	}
	if page.Code != 200 || strings.Count(body, `<li class="hit`) != 10 {
		t.Errorf("snapshot page %d with %d hits", page.Code, strings.Count(body, `<li class="hit`))
	}

	// Export works on the snapshot: the frozen ranking, deleted document
	// included.
	exp := s.do("GET", "/api/export?snapshot="+created.ID+"&format=csv", "", "")
	recs, err := csv.NewReader(exp.Body).ReadAll()
	if err != nil || exp.Code != 200 || !strings.Contains(exp.Header().Get("Content-Disposition"), "policysearch-snapshot-"+created.ID+".csv") {
		t.Fatalf("snapshot export: %d %v %v", exp.Code, err, exp.Header())
	}
	var exported []string
	for _, r := range recs[1:] {
		exported = append(exported, r[1])
	}
	if !slices.Equal(exported, snapIDs(frozen.Hits)) {
		t.Errorf("snapshot export %v, frozen %v", exported, snapIDs(frozen.Hits))
	}
}

func snapIDs(hs []snapshots.Hit) []string {
	out := []string{}
	for _, h := range hs {
		out = append(out, h.ID)
	}
	return out
}

func TestSnapshotRequests(t *testing.T) {
	s := openResearch(t, t.TempDir())
	if _, err := s.ix.Put(context.Background(), exportDocs(5)); err != nil {
		t.Fatal(err)
	}
	for body, want := range map[string]string{
		`{"q":"tariffs","source":"Daily News","mode":"keyword","sort":"newest"}`: "mode=keyword&q=tariffs&sort=newest&source=Daily+News",
		`{"params":"http://example.com/?q=tariffs&page=2&size=5&facet_size=3"}`:  "q=tariffs",
		`{"params":"q=steel","q":"tariffs","from":"2005","to":"2010-06"}`:        "from=2005&q=tariffs&to=2010-06",
		`{}`: "",
	} {
		rec := s.do("POST", "/api/snapshots", "application/json", body)
		if rec.Code != 201 {
			t.Errorf("%s: %d %s", body, rec.Code, rec.Body.String())
			continue
		}
		if got := decode[snapshotSummary](t, rec); got.Params != want {
			t.Errorf("%s: params %q, want %q", body, got.Params, want)
		}
	}
	for body, field := range map[string]string{
		`{"q":"x","limit":21}`:        "limit",
		`{"q":"x","mode":"fast"}`:     "mode",
		`{"q":"x","colour":"red"}`:    "colour",
		`{"q":7}`:                     "q",
		`{"params":"from=yesterday"}`: "from",
	} {
		rec := s.do("POST", "/api/snapshots", "application/json", body)
		if e := decode[errorBody](t, rec); rec.Code != 400 || e.Error.Field != field {
			t.Errorf("%s: %d field %q, want 400 naming %s", body, rec.Code, e.Error.Field, field)
		}
	}
	if rec := s.do("GET", "/api/snapshots/nope", "", ""); rec.Code != 404 {
		t.Errorf("unknown snapshot: %d", rec.Code)
	}
	if rec := s.do("GET", "/s/aaaaaaaaaa", "", ""); rec.Code != 404 || !strings.Contains(rec.Body.String(), "no snapshot") {
		t.Errorf("unknown snapshot page: %d", rec.Code)
	}
}

func TestCiteFormRedirectsAndRefusesOtherSites(t *testing.T) {
	s := openResearch(t, t.TempDir())
	if _, err := s.ix.Put(context.Background(), exportDocs(5)); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"q": {"tariffs"}, "source": {"Daily News"}}.Encode()
	const ct = "application/x-www-form-urlencoded"
	rec := s.do("POST", "/s", ct, form, "Origin", "http://example.com", "Sec-Fetch-Site", "same-origin")
	loc := rec.Header().Get("Location")
	if rec.Code != 303 || !strings.HasPrefix(loc, "/s/") || !snapshots.ValidID(strings.TrimPrefix(loc, "/s/")) {
		t.Fatalf("cite: %d Location %q", rec.Code, loc)
	}
	if page := s.do("GET", loc, "", ""); page.Code != 200 || !strings.Contains(page.Body.String(), "Source: Daily News") {
		t.Errorf("snapshot page %d", page.Code)
	}
	for _, h := range [][]string{
		{"Origin", "https://evil.example"},
		{"Sec-Fetch-Site", "cross-site"},
		{"Referer", "https://evil.example/page"},
		{"Origin", "null"},
	} {
		if rec := s.do("POST", "/s", ct, form, h...); rec.Code != 403 {
			t.Errorf("cross-site post with %s: %s: %d", h[0], h[1], rec.Code)
		}
	}
	if n := s.snap.Count(); n != 1 {
		t.Errorf("%d snapshots stored, want 1", n)
	}
}
