package index

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// Typo help and acronyms (issue 13): corrections come from the index's
// own words; fuzzy terms match words as written; capitals are acronyms.
func TestTypoHelpAndAcronyms(t *testing.T) {
	var docs []Document
	for i := range 12 {
		docs = append(docs,
			Document{ID: fmt.Sprintf("tariffs-%d", i), Title: "Tariffs and trade", Text: "The government raised tariffs on steel as inflation rose; the tariff stays."},
			// "tariff" is in twice as many documents as "tariffs" and as far
			// from "tarrifs": the correction keeps the length typed.
			Document{ID: fmt.Sprintf("tariff-%d", i), Title: "Tariff", Text: "A tariff on steel."},
		)
	}
	docs = append(docs,
		Document{ID: "typo", Title: "A note", Text: "The goverment said little of the tarrif."}, // the corpus's own typos
		Document{ID: "who", Title: "WHO guidance", Text: "The WHO issued new guidance on vaccines."},
		Document{ID: "who-lower", Title: "Who decides", Text: "Who decides what we buy?"},
		Document{ID: "it", Title: "IT budgets", Text: "Spending on IT rose."},
	)
	ix := openTest(t, docs...)
	ctx := context.Background()
	suggest := []struct{ query, want string }{
		{"tarrifs", "tariffs"},
		{"goverment", "government"}, // one document has the typo: still a correction
		{"inflaton", "inflation"},
		{"Inflaton", "Inflation"},
		{"steel tarrifs", "steel tariffs"},
		{"title:tarrifs", "title:tariffs"},
		{"+inflaton -steel", "+inflation -steel"},
		{"tariffs", ""},        // known and found
		{"steel", ""},          // known and found
		{"tarrifs~1", ""},      // the user asked for fuzziness already
		{"zzzzqqq", ""},        // nothing near
		{`"tarrifs"`, ""},      // a phrase is meant as written
		{"steel -tarrifs", ""}, // an exclusion is not corrected
	}
	for _, c := range suggest {
		res, err := ix.Search(ctx, Query{Text: c.query, Mode: ModeKeyword})
		if err != nil {
			t.Fatal(err)
		}
		if res.Suggestion != c.want {
			t.Errorf("%q suggests %q, want %q", c.query, res.Suggestion, c.want)
		}
	}
	find := []struct {
		query string
		want  []string // ids, any order; nil means none
	}{
		{"inflaton~1", nil}, // filled below: every tariffs document
		{"WHO", []string{"who"}},
		{"IT", []string{"it"}},
		{"who", nil}, // a stop word in lower case: not searched
		{"WHO guidance", []string{"who"}},
	}
	for i := range 12 {
		find[0].want = append(find[0].want, fmt.Sprintf("tariffs-%d", i))
	}
	for _, c := range find {
		res, err := ix.Search(ctx, Query{Text: c.query, Mode: ModeKeyword, Size: 50})
		if err != nil {
			t.Fatal(err)
		}
		got := ids(res)
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%q finds %v, want %v", c.query, got, want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	cases := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"tarrifs", "tariffs", 2, 2},
		{"goverment", "government", 2, 1},
		{"inflaton", "inflation", 2, 1},
		{"abc", "abc", 1, 0},
		{"abc", "xyz", 1, 2}, // over the limit: limit+1
		{"a", "abcd", 2, 3},
	}
	for _, c := range cases {
		if got := editDistance(c.a, c.b, c.limit); got != c.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", c.a, c.b, c.limit, got, c.want)
		}
	}
}
