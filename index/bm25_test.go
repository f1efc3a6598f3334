package index

import (
	"context"
	"math"
	"testing"
)

// The BM25 score is the formula's, with the average lengths measured on
// the documents (not bleve's distinct-term count).
func TestBM25Score(t *testing.T) {
	ix := openTest(t,
		// text lengths after stop words: 4, 2, 6; titles 1, 1, 1
		Document{ID: "a", Title: "Steel", Text: "tariffs tariffs steel mills"},
		Document{ID: "b", Title: "Grain", Text: "grain harvest"},
		Document{ID: "c", Title: "Ports", Text: "ports ships cranes tariffs berths docks"},
	)
	avg := ix.averages(context.Background())
	if avg["text"] != 4 || avg["title"] != 1 {
		t.Fatalf("average lengths = %v, want text 4, title 1", avg)
	}
	res, err := ix.Search(context.Background(), Query{Text: "tariffs", Mode: ModeKeyword})
	if err != nil {
		t.Fatal(err)
	}
	idf := math.Pow(math.Log(1+(3-2+0.5)/(2+0.5)), bm25IDFPower)
	score := func(tf, length float64) float64 {
		return idf * tf / (tf + bm25K1*(1-bm25B+bm25B*length/4))
	}
	want := map[string]float64{"a": score(2, 4), "c": score(1, 6)}
	if len(res.Hits) != 2 {
		t.Fatalf("hits = %v, want a and c", ids(res))
	}
	for _, h := range res.Hits {
		if math.Abs(h.Score-want[h.ID]) > 1e-4 {
			t.Errorf("%s scores %v, want %v", h.ID, h.Score, want[h.ID])
		}
	}
}

// A word in the title and the text adds both scores, the title's at
// bm25Title, with no coordination factor between the two.
func TestBM25TitleAndText(t *testing.T) {
	ix := openTest(t,
		Document{ID: "both", Title: "Tariffs", Text: "tariffs rose"},
		Document{ID: "text", Title: "Trade", Text: "tariffs rose"},
		Document{ID: "other", Title: "Other", Text: "nothing here"},
	)
	res, err := ix.Search(context.Background(), Query{Text: "tariffs", Mode: ModeKeyword})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, h := range res.Hits {
		got[h.ID] = h.Score
	}
	avg := ix.averages(context.Background())
	idf := math.Pow(math.Log(1+(3-2+0.5)/(2+0.5)), bm25IDFPower)
	textScore := idf / (1 + bm25K1*(1-bm25B+bm25B*2/avg["text"]))
	titleIDF := math.Pow(math.Log(1+(3-1+0.5)/(1+0.5)), bm25IDFPower)
	titleScore := bm25Title * titleIDF / (1 + bm25K1*(1-bm25B+bm25B*1/avg["title"]))
	if math.Abs(got["text"]-textScore) > 1e-4 || math.Abs(got["both"]-(textScore+titleScore)) > 1e-4 {
		t.Errorf("scores %v, want text %v and both %v", got, textScore, textScore+titleScore)
	}
}
