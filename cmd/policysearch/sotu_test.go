package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"policysearch/index"
)

const sotuPath = "../../../shared/corpora/sotu.jsonl"

// sotuCorpus reads the shared corpus for brute-force recounts, or skips.
func sotuCorpus(t *testing.T) []map[string]any {
	t.Helper()
	f, err := os.Open(sotuPath)
	if err != nil {
		t.Skipf("../shared not present (%v): skipping the SOTU corpus test", err)
	}
	defer f.Close()
	var docs []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var d map[string]any
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	return docs
}

// TestSOTUCorpus loads the 233 State of the Union addresses with the real
// add command, then checks facets and phrase queries against counts made
// directly from the file.
func TestSOTUCorpus(t *testing.T) {
	raw := sotuCorpus(t)
	data := t.TempDir()
	var out, errs bytes.Buffer
	start := time.Now()
	if err := runIO(context.Background(), []string{"add", sotuPath, "--data", data}, env(nil), ioSet{stdout: &out, stderr: &errs}); err != nil {
		t.Fatalf("add: %v\n%s", err, errs.String())
	}
	t.Logf("add sotu.jsonl: %s (%s)", strings.TrimSpace(out.String()), time.Since(start))
	if !strings.Contains(out.String(), "added 233,") {
		t.Fatalf("add output %q, want 233 added", out.String())
	}

	ctx := context.Background()
	ix, err := index.Open(ctx, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	st, _ := ix.Stats(ctx)
	t.Logf("index size %d bytes, store %d bytes", st.IndexBytes, st.StoreBytes)

	years, authors := map[string]int{}, map[string]int{}
	for _, d := range raw {
		years[strconv.Itoa(int(d["year"].(float64)))]++
		authors[d["author"].(string)]++
	}
	res, err := ix.Search(ctx, index.Query{FacetSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 233 {
		t.Errorf("total = %d, want 233", res.Total)
	}
	if src := res.Facets["source"]; len(src) != 1 || src[0].Count != 233 {
		t.Errorf("source facet = %v, want one source with 233", src)
	}
	if len(res.Facets["year"]) != 100 {
		t.Errorf("year facet has %d values, want 100 (capped)", len(res.Facets["year"]))
	}
	for _, v := range res.Facets["year"] {
		if years[v.Value] != v.Count {
			t.Errorf("year %s: facet %d, file %d", v.Value, v.Count, years[v.Value])
		}
	}
	if y := res.Facets["year"]; y[0].Count != 2 || y[1].Count != 2 {
		t.Errorf("years with two addresses should lead the facet: %v", y[:3])
	}

	cases := []struct {
		name   string
		q      index.Query
		phrase string // recount: documents whose text holds these words in a row
		want   int
	}{
		{name: "phrase with a stop word", q: index.Query{Text: `"weapons of mass destruction"`}, phrase: "weapons of mass destruction"},
		{name: "phrase", q: index.Query{Text: `"soviet union"`}, phrase: "soviet union"},
		{name: "phrase in a date range", q: index.Query{Text: `"emancipation proclamation"`, Filters: index.Filters{To: index.MustDate("1870")}}, phrase: "emancipation proclamation", want: -1},
		{name: "author filter", q: index.Query{Filters: index.Filters{Author: []string{"Franklin D Roosevelt"}}}, want: authors["Franklin D Roosevelt"]},
		{name: "year field", q: index.Query{Text: "year:1961"}, want: years["1961"]},
		{name: "party is kept, not searchable as a field", q: index.Query{Text: "author:lincoln"}, want: authors["Abraham Lincoln"]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := c.want
			if c.phrase != "" {
				re := regexp.MustCompile(`(?i)\b` + strings.ReplaceAll(c.phrase, " ", `\W+`))
				n := 0
				for _, d := range raw {
					y := int(d["year"].(float64))
					if (c.q.Filters.To.IsZero() || y <= c.q.Filters.To.Time.Year()) && re.MatchString(d["text"].(string)) {
						n++
					}
				}
				want = n
			}
			res, err := ix.Search(ctx, c.q)
			if err != nil {
				t.Fatal(err)
			}
			if int(res.Total) != want || want == 0 {
				t.Errorf("total = %d, want %d (non-zero)", res.Total, want)
			}
		})
	}
}
