package server

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"policysearch/index"
	"policysearch/snapshots"
)

// goldenText compares got with testdata/export/name byte for byte
// (-update rewrites it).
func goldenText(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "export", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("missing golden file (run go test ./server -run %s -update): %v", t.Name(), err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if intended, run go test ./server -run %s -update\ngot:\n%s", name, t.Name(), got)
	}
}

// exportFixture are rows covering what each format must cope with:
// several authors, an organisation with "and" in its name, LaTeX's
// special characters, non-ASCII text, every date precision, no date, a
// formula-like title, semantic provenance and extra fields.
func exportFixture() []exportRow {
	sim, kw := 0.8123, 3
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return []exportRow{
		{Hit: snapshots.Hit{Rank: 1, ID: "brief-1", Score: 0.0325, Title: "Sovereign AI & national compute: 100% {public}?",
			Author: []string{"Ada Lovelace", "Tom Reid"}, Published: "2025-03", Source: "Policy Lab", SourceType: "think_tank",
			Country: "UK", Language: "en", Tags: []string{"AI", "compute_policy"}, URL: "https://policylab.example.org/briefs/compute?x=1&y=%20#s",
			Ranks: &index.Ranks{Keyword: &kw}, Similarity: &sim, ContentHash: "abc123", IndexedAt: &at, Extra: map[string]any{"party": "None"}},
			Link: "https://search.example/doc/brief-1", Mode: "hybrid"},
		{Hit: snapshots.Hit{Rank: 2, ID: "stmt~2@gov", Score: 0.03, Title: `Déclaration sur l'IA \ souveraine $5 #1 ~ ^`,
			Author: []string{"Ministry of Science and Technology"}, Published: "2024-06-02", Source: "Ministère", SourceType: "government",
			Country: "FR", Language: "fr"},
			Link: "https://search.example/doc/stmt~2@gov", Mode: "hybrid"},
		{Hit: snapshots.Hit{Rank: 3, ID: "news-3", Score: 0.02, Title: "=HYPERLINK(\"http://evil\")", Published: "1961",
			Source: "Daily News", SourceType: "news", Tags: []string{"tariffs"}},
			Link: "https://search.example/doc/news-3", Mode: "hybrid"},
		{Hit: snapshots.Hit{Rank: 4, ID: "undated", Score: 0.01, Title: "Untitled\nnote with a line break",
			AlsoPublishedBy: []index.Copy{{ID: "copy-a", Source: "Wire", Published: "2024-06", URL: "https://wire.example/a"}, {ID: "copy-b"}}},
			Link: "https://search.example/doc/undated", Mode: "hybrid"},
	}
}

func renderExport(t *testing.T, format string, rows []exportRow) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := exportFormats[format].open(&b, exportMeta{Params: "q=sovereign+AI&mode=hybrid", Total: 57, Mode: "hybrid",
		Generated: time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.row(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.end(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestExportGolden(t *testing.T) {
	for format, file := range map[string]string{"csv": "fixture.csv", "json": "fixture.json", "bibtex": "fixture.bib", "ris": "fixture.ris"} {
		t.Run(format, func(t *testing.T) { goldenText(t, file, renderExport(t, format, exportFixture())) })
	}
}

// TestExportFormatsParseBack reads each format back and finds every
// field it was given.
func TestExportFormatsParseBack(t *testing.T) {
	rows := exportFixture()
	t.Run("csv", func(t *testing.T) {
		recs, err := csv.NewReader(bytes.NewReader(renderExport(t, "csv", rows))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(recs[0], csvHeader) || len(recs) != len(rows)+1 {
			t.Fatalf("header %v, %d records", recs[0], len(recs))
		}
		col := func(r []string, name string) string { return r[slices.Index(csvHeader, name)] }
		for i, r := range rows {
			rec := recs[i+1]
			title := r.Title
			if strings.HasPrefix(title, "=") {
				title = "'" + title // the formula guard
			}
			if col(rec, "id") != r.ID || col(rec, "title") != title || col(rec, "author") != strings.Join(r.Author, "; ") ||
				col(rec, "link") != r.Link || col(rec, "url") != r.URL || col(rec, "rank") != strconv.Itoa(r.Rank) {
				t.Errorf("row %d = %q", i+1, rec)
			}
		}
		if got := col(recs[1], "extra"); got != `{"party":"None"}` {
			t.Errorf("extra = %q", got)
		}
	})
	t.Run("json", func(t *testing.T) {
		var got []exportRow
		if err := json.Unmarshal(renderExport(t, "json", rows), &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(rows) || got[0].Link != rows[0].Link || *got[0].Similarity != *rows[0].Similarity || got[1].Title != rows[1].Title {
			t.Errorf("JSON rows %+v", got)
		}
		if len(renderExport(t, "json", nil)) == 0 || json.Unmarshal(renderExport(t, "json", nil), &got) != nil || len(got) != 0 {
			t.Error("an empty export is not an empty JSON array")
		}
	})
	t.Run("bibtex", func(t *testing.T) {
		entries := parseBibTeX(t, string(renderExport(t, "bibtex", rows)))
		if len(entries) != len(rows) {
			t.Fatalf("%d entries", len(entries))
		}
		for i, r := range rows {
			e := entries[i]
			if e["type"] != "misc" || untex(e["title"]) != "{"+oneLine(r.Title)+"}" {
				t.Errorf("entry %d title %q (type %s), want %q", i, untex(e["title"]), e["type"], r.Title)
			}
			if r.Link != "" && !strings.Contains(e["note"], r.Link) {
				t.Errorf("entry %d has no stable link: %q", i, e["note"])
			}
		}
		if got := entries[0]["author"]; got != "{Lovelace}, Ada and {Reid}, Tom" {
			t.Errorf("authors %q", got)
		}
		if got := entries[1]["author"]; got != "{Ministry of Science and Technology}" {
			t.Errorf("an organisation named with 'and' is split: %q", got)
		}
		if entries[0]["key"] != "brief-1" || !regexp.MustCompile(`^stmt-2-gov-[0-9a-f]{6}$`).MatchString(entries[1]["key"]) {
			t.Errorf("keys %q %q", entries[0]["key"], entries[1]["key"])
		}
		if entries[0]["year"] != "2025" || entries[0]["month"] != "mar" || entries[2]["date"] != "1961" || entries[3]["year"] != "" {
			t.Errorf("dates: %v", entries)
		}
	})
	t.Run("ris", func(t *testing.T) {
		recs := parseRIS(t, string(renderExport(t, "ris", rows)))
		if len(recs) != len(rows) {
			t.Fatalf("%d records", len(recs))
		}
		for i, r := range rows {
			rec := recs[i]
			var au []string
			for _, a := range r.Author {
				au = append(au, splitName(a).ris())
			}
			if rec["TI"][0] != oneLine(r.Title) || !slices.Equal(rec["AU"], au) || !slices.Contains(rec["UR"], r.Link) {
				t.Errorf("record %d: %v", i, rec)
			}
		}
		if ty := []string{recs[0]["TY"][0], recs[1]["TY"][0], recs[2]["TY"][0], recs[3]["TY"][0]}; !slices.Equal(ty, []string{"RPRT", "GOVDOC", "NEWS", "GEN"}) {
			t.Errorf("types %v", ty)
		}
		if recs[0]["DA"][0] != "2025/03//" || recs[2]["DA"][0] != "1961///" || recs[1]["DA"][0] != "2024/06/02/" {
			t.Errorf("dates %v %v %v", recs[0]["DA"], recs[1]["DA"], recs[2]["DA"])
		}
	})
}

// parseBibTeX reads @type{key, name = {value}, …} entries, checking that
// braces balance; values keep their inner braces and escapes.
func parseBibTeX(t *testing.T, s string) []map[string]string {
	t.Helper()
	var out []map[string]string
	for {
		i := strings.IndexByte(s, '@')
		if i < 0 {
			return out
		}
		s = s[i+1:]
		open := strings.IndexByte(s, '{')
		comma := strings.IndexByte(s, ',')
		e := map[string]string{"type": s[:open], "key": s[open+1 : comma]}
		s = s[comma+1:]
		for {
			s = strings.TrimLeft(s, " \r\n\t,")
			if strings.HasPrefix(s, "}") {
				s = s[1:]
				break
			}
			eq := strings.Index(s, " = {")
			if eq < 0 {
				t.Fatalf("no field at %.40q", s)
			}
			name := s[:eq]
			s = s[eq+3:]
			depth, j := 0, 0
			for ; j < len(s); j++ {
				if s[j] == '\\' {
					j++
					continue
				}
				if s[j] == '{' {
					depth++
				} else if s[j] == '}' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if depth != 0 {
				t.Fatalf("unbalanced braces in %s", name)
			}
			e[name] = s[1:j]
			s = s[j+1:]
		}
		out = append(out, e)
	}
}

// untex undoes texEscape.
func untex(s string) string {
	return strings.NewReplacer(`\textbackslash{}`, `\`, `\textasciitilde{}`, "~", `\textasciicircum{}`, "^",
		`\{`, "{", `\}`, "}", `\%`, "%", `\&`, "&", `\$`, "$", `\#`, "#", `\_`, "_").Replace(s)
}

// parseRIS reads records of "TG  - value" lines ended by ER.
func parseRIS(t *testing.T, s string) []map[string][]string {
	t.Helper()
	var out []map[string][]string
	rec := map[string][]string{}
	for _, line := range strings.Split(s, "\r\n") {
		if line == "" {
			continue
		}
		if len(line) < 6 || line[2:6] != "  - " {
			t.Fatalf("not a RIS line: %q", line)
		}
		if line[:2] == "ER" {
			out = append(out, rec)
			rec = map[string][]string{}
			continue
		}
		rec[line[:2]] = append(rec[line[:2]], line[6:])
	}
	if len(rec) != 0 {
		t.Fatal("a record is not closed by ER")
	}
	return out
}

// exportDocs are n documents about tariffs, ranked by how often they say
// so, plus one that does not match.
func exportDocs(n int) []index.Document {
	var docs []index.Document
	for i := range n {
		docs = append(docs, index.Document{ID: fmt.Sprintf("t%03d", i), Title: fmt.Sprintf("Tariff note %d", i),
			Text: strings.Repeat("tariffs ", 1+i%7) + "and trade.", Source: "Daily News", SourceType: "news",
			Authors: []string{"A. Writer"}, Published: index.MustDate(fmt.Sprintf("%d", 2000+i%20))})
	}
	return append(docs, index.Document{ID: "other", Title: "Grid", Text: "Electricity."})
}

func TestExportThroughTheAPI(t *testing.T) {
	s := newTestServer(t, exportDocs(250)...)
	h, err := New(Deps{Index: s.ix, ExportCap: 220})
	if err != nil {
		t.Fatal(err)
	}
	s.h = h
	rec := s.do("GET", "/api/export?q=tariffs&format=csv&source_type=news", "", "")
	if rec.Code != 200 || rec.Header().Get("X-Total-Count") != "250" ||
		!regexp.MustCompile(`^attachment; filename="policysearch-tariffs-\d{4}-\d\d-\d\d\.csv"$`).MatchString(rec.Header().Get("Content-Disposition")) {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	recs, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 221 {
		t.Fatalf("%d rows, want the cap of 220 (three pages of search)", len(recs)-1)
	}
	// The export is the search's ranking, page after page.
	var want []string
	for p := 1; p <= 3; p++ {
		res := decode[index.Results](t, s.do("GET", fmt.Sprintf("/api/search?q=tariffs&source_type=news&size=100&page=%d", p), "", ""))
		for _, hit := range res.Hits {
			want = append(want, hit.ID)
		}
	}
	seen := map[string]bool{}
	for i, r := range recs[1:] {
		if r[1] != want[i] || seen[r[1]] {
			t.Fatalf("row %d is %s, the search ranks %s there", i+1, r[1], want[i])
		}
		seen[r[1]] = true
		if r[11] != "http://example.com/doc/"+r[1] {
			t.Errorf("link %q", r[11])
		}
	}

	for target, want := range map[string]int{
		"/api/export?q=tariffs&format=json&limit=5":      200,
		"/api/export?q=tariffs&format=bibtex&limit=220":  200,
		"/api/export?q=tariffs&format=ris&page=9&size=3": 200, // paging is not part of an export
		"/api/export?q=tariffs&format=xml":               400,
		"/api/export?q=tariffs&limit=221":                400,
		"/api/export?q=tariffs&limit=0":                  400,
		"/api/export?q=%22x&strict=true":                 400,
		"/api/export?snapshot=aaaaaaaaaa":                503, // this server keeps no snapshots
	} {
		if got := s.do("GET", target, "", ""); got.Code != want {
			t.Errorf("%s: %d, want %d: %s", target, got.Code, want, got.Body.String())
		}
	}
	var rows []exportRow
	if err := json.Unmarshal(s.do("GET", "/api/export?q=tariffs&format=json&limit=5", "", "").Body.Bytes(), &rows); err != nil || len(rows) != 5 {
		t.Fatalf("JSON export: %v, %d rows", err, len(rows))
	}
	if rows[0].ContentHash == "" || rows[0].IndexedAt == nil || rows[0].Mode != "keyword" || len(rows[0].Author) != 1 {
		t.Errorf("a JSON row lacks metadata: %+v", rows[0])
	}
	if n := len(parseBibTeX(t, s.do("GET", "/api/export?q=tariffs&format=bibtex", "", "").Body.String())); n != 220 {
		t.Errorf("%d BibTeX entries", n)
	}
	if n := len(parseRIS(t, s.do("GET", "/api/export?q=tariffs&format=ris&limit=7", "", "").Body.String())); n != 7 {
		t.Errorf("%d RIS records", n)
	}
}

func TestExportLinksHonourTrustedProxies(t *testing.T) {
	s := newTestServer(t, exportDocs(2)...)
	for _, c := range []struct {
		trusted []string
		want    string
	}{{nil, "http://search.internal:8080/doc/"}, {[]string{"127.0.0.1"}, "https://search.example.org/doc/"}} {
		h, err := New(Deps{Index: s.ix, TrustedProxies: c.trusted})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "http://search.internal:8080/api/export?q=tariffs&format=json", nil)
		req.RemoteAddr = "127.0.0.1:5000"
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("X-Forwarded-Host", "search.example.org")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if body := rec.Body.String(); !strings.Contains(body, `"link":"`+c.want) {
			t.Errorf("trusted %v: links are not %s…: %.300s", c.trusted, c.want, body)
		}
	}
}

// TestSplitName: how authors are written in RIS ("Last, First") and
// BibTeX ("{Last}, First"), organisations kept whole.
func TestSplitName(t *testing.T) {
	for _, c := range []struct{ in, ris, bib string }{
		{"Andrew Jackson", "Jackson, Andrew", "{Jackson}, Andrew"},
		{"Ruby Scanlon", "Scanlon, Ruby", "{Scanlon}, Ruby"},
		{"Jackson, Andrew", "Jackson, Andrew", "{Jackson}, Andrew"},
		{"Martin Luther King Jr.", "King, Martin Luther, Jr.", "{King}, Jr., Martin Luther"},
		{"Ludwig van Beethoven", "van Beethoven, Ludwig", "{van Beethoven}, Ludwig"},
		{"Bill and Melinda Gates Foundation", "Bill and Melinda Gates Foundation", "{Bill and Melinda Gates Foundation}"},
		{"Policy Lab", "Policy Lab", "{Policy Lab}"},
		{"Reuters", "Reuters", "{Reuters}"},
		{"Ministry of Science and Technology", "Ministry of Science and Technology", "{Ministry of Science and Technology}"},
	} {
		n := splitName(c.in)
		if got := n.ris(); got != c.ris {
			t.Errorf("RIS %q = %q, want %q", c.in, got, c.ris)
		}
		if got := n.bibtex(); got != c.bib {
			t.Errorf("BibTeX %q = %q, want %q", c.in, got, c.bib)
		}
	}
	if got := bibList("Bill and Melinda Gates Foundation"); got != "{Bill and Melinda Gates Foundation}" {
		t.Errorf("publisher with and = %q", got)
	}
}

// TestExportMarksFoldedCopies is the case: an export dropped the
// copies search folded away (X-Total-Count 23, 22 rows). The count is the
// rows written, and each row names the copies folded into it.
func TestExportMarksFoldedCopies(t *testing.T) {
	article := strings.Repeat("New tariffs on steel imports take effect next month, the ministry said, citing overcapacity abroad. ", 4)
	docs := []index.Document{
		{ID: "own", Title: "Steel tariffs", Text: article, Origin: "upload/steel.txt", Source: "CNAS"},
		{ID: "feed-1", Title: "Steel tariffs", Text: article + " (Wire)", Origin: "https://wire.example/feed", Source: "Wire", URL: "https://wire.example/s", Published: index.MustDate("2025-02-01")},
		{ID: "feed-2", Title: "Steel tariffs", Text: article + " Reposted.", Origin: "https://blog.example/feed", Source: "Blog"},
		{ID: "note", Title: "Tariff note", Text: "Tariffs and trade."},
		{ID: "other", Title: "Tariffs again", Text: "More tariffs on cars."},
	}
	s := newTestServer(t, docs...)
	rec := s.do("GET", "/api/export?q=tariffs&format=csv", "", "")
	recs, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil || rec.Code != 200 {
		t.Fatalf("%d %v", rec.Code, err)
	}
	if got := rec.Header().Get("X-Total-Count"); got != strconv.Itoa(len(recs)-1) || len(recs)-1 != 3 {
		t.Fatalf("X-Total-Count %s, %d rows; want 3 and 3", got, len(recs)-1)
	}
	col := func(r []string, name string) string { return r[slices.Index(csvHeader, name)] }
	for _, r := range recs[1:] {
		if col(r, "id") == "own" {
			if got := col(r, "also_published_by"); !strings.Contains(got, "feed-1 (Wire, 2025-02-01, https://wire.example/s)") || !strings.Contains(got, "feed-2 (Blog)") {
				t.Errorf("the user's upload represents the group but marks its copies as %q", got)
			}
			return
		}
	}
	t.Errorf("the user's own upload does not represent the group: %v", recs)
}
