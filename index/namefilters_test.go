package index

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
)

// seedArticles are the two real news articles this project started from.
func seedArticles(t *testing.T) []Document {
	t.Helper()
	var docs []Document
	for _, f := range []struct{ id, file, title, author string }{
		{"cnas", "cnas-ai-sovereignty.txt", "Sovereign AI without autarky", "Vivek Chilukuri"},
		{"ng", "ng-sovereign-ai.txt", "Andrew Ng on sovereign AI", "Phil Scanlon"},
	} {
		b, err := os.ReadFile("../../shared/corpora/seed-articles/" + f.file)
		if err != nil {
			t.Skipf("seed articles not available: %v", err)
		}
		docs = append(docs, Document{ID: f.id, Title: f.title, Text: string(b), Authors: []string{f.author}})
	}
	return docs
}

func TestAuthorFilterMatchesNameParts(t *testing.T) {
	ix := openTest(t, fixture...)
	cases := []struct {
		name    string
		authors []string
		want    []string
	}{
		{"surname", []string{"turing"}, []string{"statement"}},
		{"surname, capitalised", []string{"Hopper"}, []string{"statement"}},
		{"first name", []string{"ada"}, []string{"brief"}},
		{"whole name", []string{"Ida Tarbell"}, []string{"tariffs"}},
		{"surname first, comma", []string{"Tarbell, Ida"}, []string{"tariffs"}},
		{"OR between values", []string{"lovelace", "tarbell"}, []string{"brief", "tariffs"}},
		{"every word must match", []string{"ada tarbell"}, nil},
		{"a part of a word is not a name part", []string{"tarb"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := ix.Search(context.Background(), Query{Filters: Filters{Author: c.authors}, Size: 100})
			if err != nil {
				t.Fatal(err)
			}
			got := ids(res)
			slices.Sort(got)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("ids = %v, want %v", got, want)
			}
		})
	}
}

func TestLanguageDetectedAtIngest(t *testing.T) {
	ctx := context.Background()
	docs := append(seedArticles(t),
		Document{ID: "fr", Title: "La politique commerciale", Text: "Le gouvernement a présenté mercredi une révision de sa politique commerciale, avec de nouveaux droits de douane sur l'acier."},
		Document{ID: "given", Title: "Trade", Text: "A review of trade policy: tariffs, quotas and subsidies for the next budget year.", Language: "en-GB"},
		Document{ID: "short", Title: "AI", Text: "Compute."})
	ix := openTest(t, docs...)
	want := map[string]struct {
		lang     string
		detected bool
	}{"cnas": {"en", true}, "ng": {"en", true}, "fr": {"fr", true}, "given": {"en-gb", false}, "short": {"", false}}
	for id, w := range want {
		d, err := ix.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Language != w.lang || d.LanguageDetected != w.detected {
			t.Errorf("%s: language %q detected %v, want %q %v", id, d.Language, d.LanguageDetected, w.lang, w.detected)
		}
	}
	// Re-adding the same content changes nothing: detection is part of
	// what the content hash covers, and gives the same answer.
	res, err := ix.Put(ctx, docs[:1])
	if err != nil || res[0].Status != Unchanged {
		t.Errorf("re-put: %v %v, want unchanged", res, err)
	}
	// The detected language filters and shows as a facet.
	r, err := ix.Search(ctx, Query{Filters: Filters{Language: []string{"en"}}, Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(r); len(got) != 2 || !slices.Contains(got, "cnas") || !slices.Contains(got, "ng") {
		t.Errorf("language=en: %v, want cnas and ng", got)
	}
	r, err = ix.Search(ctx, Query{Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	facet := map[string]int{}
	for _, v := range r.Facets["language"] {
		facet[v.Value] = v.Count
	}
	if facet["en"] != 2 || facet["fr"] != 1 || facet["en-gb"] != 1 || len(facet) != 3 {
		t.Errorf("language facet = %v", facet)
	}
	authors := map[string]int{}
	for _, v := range r.Facets["author"] {
		authors[v.Value] = v.Count
	}
	if authors["Phil Scanlon"] != 1 || authors["Vivek Chilukuri"] != 1 || len(authors) != 2 {
		t.Errorf("author facet = %v", authors)
	}
	// A document stored before detection existed is indexed under the
	// detected language when the index is rebuilt.
	if got := bleveDoc(&Document{ID: "old", Title: docs[2].Title, Text: docs[2].Text}, true)["language"]; got != "fr" {
		t.Errorf("bleveDoc language of an undetected French document = %v, want fr", got)
	}
}

func TestFacetSizes(t *testing.T) {
	ix := openTest(t, fixture...)
	ctx := context.Background()
	r, err := ix.Search(ctx, Query{FacetSize: 1, FacetSizes: map[string]int{"year": MaxYearFacetSize, "tags": 3}})
	if err != nil {
		t.Fatal(err)
	}
	for facet, n := range map[string]int{"year": 5, "tags": 3, "source": 1, "country": 1} {
		if got := len(r.Facets[facet]); got != n {
			t.Errorf("facet %s lists %d values, want %d", facet, got, n)
		}
	}
	for _, bad := range []map[string]int{{"nope": 3}, {"tags": MaxFacetSize + 1}, {"year": 0}} {
		var e *Error
		if _, err := ix.Search(ctx, Query{FacetSizes: bad}); !errors.As(err, &e) || e.Kind != Invalid {
			t.Errorf("FacetSizes %v: err %v, want invalid", bad, err)
		}
	}
}
