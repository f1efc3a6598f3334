package index

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// Ranking behaviour the relevance tuning relies on (docs/RELEVANCE.md).
func TestRanking(t *testing.T) {
	ix := openTest(t,
		Document{ID: "phrase", Title: "Chips", Text: "The new export controls on chips took effect in spring, with licences for allies."},
		Document{ID: "apart", Title: "Chips", Text: "Export volumes rose in spring; the controls on chips, officials said, will be reviewed."},
		Document{ID: "gap", Title: "Wakes", Text: "Heat transfer in the wake of a blunt body falls off with distance."},
		Document{ID: "nogap", Title: "Wakes", Text: "Heat moves downstream; transfer to the wall is small in a wake."},
		Document{ID: "energy", Title: "Prices", Text: "Energy prices and energy security dominate the debate."},
		Document{ID: "subsidies", Title: "Farms", Text: "Subsidies for farms were cut."},
		Document{ID: "filler", Title: "Other", Text: "Nothing about either topic."},
		Document{ID: "long", Title: "Sovereign AI Without Autarky", Text: strings.Repeat(
			"States want capability in the stack without cutting themselves off from allies and suppliers. ", 10) +
			"Sovereign AI means control where it matters."},
		Document{ID: "note", Title: "National AI plan", Text: "A short note: the plan funds sovereign compute for AI research."},
	)
	cases := []struct {
		name, query string
		want        []string // these ids, in this order, before any other
	}{
		{"neighbouring words rank the phrase first", "export controls", []string{"phrase", "apart"}},
		{"stop words between are gaps", "heat transfer in the wake", []string{"gap", "nogap"}},
		{"the words together in a title beat a short note", "sovereign AI", []string{"long", "note"}},
		{"punctuation between pasted words", "pasted: export, controls.", []string{"phrase", "apart"}},
		{"boost on an unfielded word weighs it", "subsidies^4 energy", []string{"subsidies", "energy"}},
		{"boost the other word", "subsidies energy^4", []string{"energy", "subsidies"}},
		{"a prefix of one word ranks like the word", "subsid* energy", []string{"energy", "subsidies"}},
		{"boost a prefix", "subsid*^4 energy", []string{"subsidies", "energy"}},
		{"boost next to a prefix", "subsid* energy^4", []string{"energy", "subsidies"}},
		{"unboosted words", "subsidies energy", []string{"energy", "subsidies"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := ix.Search(context.Background(), Query{Text: c.query})
			if err != nil {
				t.Fatal(err)
			}
			got := ids(res)
			if len(got) < len(c.want) || !slices.Equal(got[:len(c.want)], c.want) {
				t.Errorf("%q ranks %v, want %v first", c.query, got, c.want)
			}
		})
	}
}
