package index

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// expectationDocs is a small policy library whose documents differ in
// the ways ranking must respect: the exact phrase or the words apart,
// all the query's words or some, a word in the title or only in the
// body, long articles and short notes, acronyms and fields.
func expectationDocs() []Document {
	para := func(s string, n int) string { return strings.TrimSpace(strings.Repeat(s+" ", n)) }
	filler := "Officials met partners in the capital to review budgets, staffing and the calendar for the coming year."
	return []Document{
		// export controls
		{ID: "ec-article", Title: "New export controls on advanced chips", Source: "Policy Lab", SourceType: "think_tank", Published: MustDate("2025-03-01"),
			Text: para("The government announced export controls on advanced chips and the tools that make them.", 2) + " " + para(filler, 6) +
				" Export controls of this kind need allies to agree, or the trade simply moves elsewhere."},
		{ID: "ec-news", Title: "Allies weigh chip rules", Source: "Daily News", SourceType: "news", Published: MustDate("2025-04-02"),
			Text: "Ministers discussed export controls on lithography machines. " + para(filler, 40)},
		{ID: "ec-apart", Title: "Trade notes", Source: "Daily News", SourceType: "news", Published: MustDate("2024-06-01"),
			Text: "Grain export volumes rose in spring. " + para(filler, 30) + " Separately, the central bank tightened capital controls."},
		{ID: "farm", Title: "Farm bill extends pest control grants", Source: "Daily News", SourceType: "news", Published: MustDate("2024-05-01"),
			Text: "The bill extends grants for pest control."},
		{ID: "wine", Title: "Record wine exports", Source: "Daily News", SourceType: "news", Published: MustDate("2023-01-01"),
			Text: "Wine exports reached a record as exports to Asia doubled."},
		{ID: "ec-chips-semis", Title: "Semiconductor supply chains", Source: "Policy Lab", SourceType: "think_tank", Published: MustDate("2025-05-01"),
			Text: "Semiconductor firms expect export controls to widen. " + para(filler, 3)},
		// sovereign AI: a long brief against a short note
		{ID: "sovereign-brief", Title: "Sovereign AI Without Autarky", Source: "Policy Lab", SourceType: "think_tank", Published: MustDate("2025-02-01"),
			Text: para("States want capability in the AI stack without cutting themselves off from allies and suppliers.", 12) + " Sovereign AI means control where it matters."},
		{ID: "ai-note", Title: "National AI plan", Source: "Ministry", SourceType: "government", Published: MustDate("2025-01-15"),
			Text: "A short note: the plan funds sovereign compute for AI research."},
		// tariffs: an on-topic article against one mention in a short text
		{ID: "tariffs-article", Title: "Tariffs and the steel industry", Source: "Policy Lab", SourceType: "think_tank", Published: MustDate("2024-09-01"),
			Text: para("Tariffs on imported steel raised prices for builders while tariffs protected mills.", 4) + " " + para(filler, 8)},
		{ID: "tariffs-digest", Title: "Weekly digest", Source: "Daily News", SourceType: "news", Published: MustDate("2024-09-08"),
			Text: "Tariffs came up once this week."},
		{ID: "tariffs-allies", Title: "Tariffs between allies", Source: "Ministry", SourceType: "government", Published: MustDate("2024-10-01"),
			Text: "Tariffs strain alliances; allies negotiate quotas instead. " + para(filler, 2)},
		{ID: "quotas", Title: "Import quotas explained", Source: "Ministry", SourceType: "government", Published: MustDate("2022-02-01"),
			Text: "Quotas cap the volume of imports rather than taxing them. " + para(filler, 2)},
		// acronyms written in capitals
		{ID: "who", Title: "WHO pandemic treaty talks", Source: "Daily News", SourceType: "news", Published: MustDate("2025-06-01"),
			Text: "The WHO asked members to agree the treaty text."},
		{ID: "who-pronoun", Title: "Who pays for roads", Source: "Daily News", SourceType: "news", Published: MustDate("2025-06-02"),
			Text: "Who pays, and who decides, is a question for councils."},
		{ID: "it", Title: "IT procurement reform", Source: "Ministry", SourceType: "government", Published: MustDate("2024-03-01"),
			Text: "Departments buy IT through a central framework."},
		{ID: "us", Title: "US trade policy", Source: "Policy Lab", SourceType: "think_tank", Published: MustDate("2025-07-01"),
			Text: "The US raised duties on imports from several partners."},
		// regulation, prefixes, fuzzy
		{ID: "regulation", Title: "Regulation of AI models", Source: "Ministry", SourceType: "government", Published: MustDate("2025-08-01"),
			Text: "The regulation sets duties for providers of general purpose models."},
		{ID: "regulatory", Title: "A regulatory sandbox", Source: "Policy Lab", SourceType: "think_tank", Published: MustDate("2023-08-01"),
			Text: "Regulators let firms test products under supervision."},
		// fields
		{ID: "lincoln", Title: "Second inaugural address", Authors: []string{"Abraham Lincoln"}, Source: "Archive", SourceType: "government", Published: MustDate("1865-03-04"),
			Text: "With malice toward none, with charity for all, let us strive on to finish the work we are in."},
		{ID: "inflation", Title: "Inflation outlook", Source: "Ministry", SourceType: "government", Published: MustDate("2024-12-01"),
			Text: "Inflation eased as energy prices fell; inflation expectations remain anchored."},
		{ID: "energy", Title: "Energy prices", Source: "Daily News", SourceType: "news", Published: MustDate("2024-11-01"),
			Text: "Energy prices and energy security dominate the debate."},
		{ID: "subsidies", Title: "Farm subsidies", Source: "Daily News", SourceType: "news", Published: MustDate("2024-11-02"),
			Text: "Subsidies for farms were cut."},
		// three words: all three above two
		{ID: "climate-all", Title: "Climate finance for adaptation", Source: "Policy Lab", SourceType: "think_tank", Published: MustDate("2025-09-01"),
			Text: "Climate finance for adaptation lags mitigation. " + para(filler, 6)},
		{ID: "climate-two", Title: "Climate finance", Source: "Daily News", SourceType: "news", Published: MustDate("2025-09-02"),
			Text: "Climate finance pledges grew."},
		{ID: "adaptation-one", Title: "Adaptation", Source: "Daily News", SourceType: "news", Published: MustDate("2025-09-03"),
			Text: "Adaptation plans."},
	}
}

// TestRankingExpectations checks the order a researcher expects for
// queries people type (issue 13). Each case lists groups of ids: every
// id of a group must rank above every id of the later groups (order
// within a group is free); with exact, the hits are exactly the groups.
func TestRankingExpectations(t *testing.T) {
	ix := openTest(t, expectationDocs()...)
	cases := []struct {
		name   string
		query  string
		groups [][]string
		exact  bool
	}{
		// the words rule
		{"phrase, then both words, then one", "export controls",
			[][]string{{"ec-article", "ec-news", "ec-chips-semis"}, {"ec-apart"}, {"farm", "wine", "sovereign-brief"}}, true},
		{"a title with the phrase first", "export controls", [][]string{{"ec-article"}, {"ec-news"}}, false},
		{"farm bill below both words, also with the News filter", "export controls",
			[][]string{{"ec-news"}, {"ec-apart"}, {"farm", "wine"}}, true},
		{"all three words above two above one", "climate finance adaptation",
			[][]string{{"climate-all"}, {"climate-two"}, {"adaptation-one"}}, true},
		{"stop words do not count as words", "the export of controls",
			[][]string{{"ec-article", "ec-news", "ec-chips-semis", "ec-apart"}, {"farm", "wine", "sovereign-brief"}}, true},
		{"three words with a phrase inside", `semiconductor "export controls"`,
			[][]string{{"ec-chips-semis"}, {"ec-article", "ec-news"}}, false},
		{"either word of an OR", "tariffs OR quotas", [][]string{{"tariffs-article", "tariffs-allies", "tariffs-digest", "quotas"}}, true},
		{"both words of a pair", "tariffs allies", [][]string{{"tariffs-allies"}, {"tariffs-article", "tariffs-digest"}}, false},
		// length and title
		{"a long brief titled with the query beats a short note", "sovereign AI", [][]string{{"sovereign-brief"}, {"ai-note"}, {"regulation"}}, true},
		{"an on-topic article beats one mention in a short text", "tariffs", [][]string{{"tariffs-article", "tariffs-allies"}, {"tariffs-digest"}}, true},
		{"a title match first", "energy", [][]string{{"energy"}, {"inflation"}}, true},
		{"title word over body mention", "quotas", [][]string{{"quotas"}, {"tariffs-allies"}}, true},
		// quoted phrases and proximity
		{"quoted phrase only", `"export controls"`, [][]string{{"ec-article", "ec-news", "ec-chips-semis"}}, true},
		{"quoted phrase, title phrase first", `"export controls"`, [][]string{{"ec-article"}, {"ec-news", "ec-chips-semis"}}, true},
		{"sloppy phrase keeps near words only", `"export controls"~3`, [][]string{{"ec-article", "ec-news", "ec-chips-semis"}}, true},
		{"sloppy phrase, far words out", `"grain controls"~10`, nil, true},
		{"sloppy phrase, two words between", `"grain rose"~1`, nil, true},
		{"sloppy phrase, near enough", `"grain rose"~2`, [][]string{{"ec-apart"}}, true},
		{"sloppy phrase in reverse needs two", `"controls export"~1`, nil, true},
		{"sloppy phrase in reverse", `"chips advanced"~2`, [][]string{{"ec-article"}}, true},
		// fields, operators, boosts
		{"title field", "title:tariffs", [][]string{{"tariffs-article", "tariffs-allies"}}, true},
		{"author field", "author:lincoln", [][]string{{"lincoln"}}, true},
		{"source field phrase", `source:"daily news" tariffs`, [][]string{{"tariffs-digest"}, {"tariffs-article", "tariffs-allies", "farm"}}, false},
		{"exact value field", "source_type:government tariffs", [][]string{{"tariffs-allies"}, {"tariffs-article", "tariffs-digest", "quotas"}}, false},
		{"year field", "year:1865", [][]string{{"lincoln"}}, true},
		{"required word", "+tariffs allies", [][]string{{"tariffs-allies"}, {"tariffs-article", "tariffs-digest"}}, true},
		{"excluded word", "tariffs -steel", [][]string{{"tariffs-allies", "tariffs-digest"}}, true},
		{"boolean", "tariffs AND (allies OR steel) NOT digest", [][]string{{"tariffs-article", "tariffs-allies"}}, true},
		{"boost one word", "subsidies^4 energy", [][]string{{"subsidies"}, {"energy"}}, false},
		{"boost the other word", "subsidies energy^4", [][]string{{"energy"}, {"subsidies"}}, false},
		// prefixes and typos
		{"prefix", "regulat*", [][]string{{"regulation", "regulatory"}}, false},
		{"fuzzy on words as written", "inflaton~1", [][]string{{"inflation"}}, true},
		{"fuzzy on a stem", "tarifs~1", [][]string{{"tariffs-article", "tariffs-allies", "tariffs-digest"}}, false},
		// acronyms
		{"WHO is an acronym", "WHO", [][]string{{"who"}}, true},
		{"WHO with a word", "WHO treaty", [][]string{{"who"}}, true},
		{"IT is an acronym", "IT", [][]string{{"it"}}, true},
		{"US is an acronym", "US trade", [][]string{{"us"}}, false},
		{"who in lower case is a stop word", "who", nil, true},
	}
	filtered := map[string]Filters{"farm bill below both words, also with the News filter": {SourceType: []string{"news"}}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := ix.Search(context.Background(), Query{Text: c.query, Mode: ModeKeyword, Size: 50, Filters: filtered[c.name]})
			if err != nil {
				t.Fatalf("%s: %v", c.query, err)
			}
			if msg := checkOrder(ids(res), c.groups, c.exact); msg != "" {
				t.Errorf("query %q: %s", c.query, msg)
			}
		})
	}
	if len(cases) < 30 {
		t.Errorf("%d expectations; the issue asks for at least 30", len(cases))
	}
}

// checkOrder says how got breaks the groups' order, or "".
func checkOrder(got []string, groups [][]string, exact bool) string {
	rank := map[string]int{}
	for i, id := range got {
		rank[id] = i
	}
	var want []string
	for g, ids := range groups {
		for _, id := range ids {
			want = append(want, id)
			r, ok := rank[id]
			if !ok {
				return fmt.Sprintf("ranks %v: %s is missing", got, id)
			}
			for _, later := range groups[g+1:] {
				for _, l := range later {
					if lr, ok := rank[l]; ok && lr < r {
						return fmt.Sprintf("ranks %v: %s above %s", got, l, id)
					}
				}
			}
		}
	}
	if exact {
		a, b := slices.Clone(got), slices.Clone(want)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			return fmt.Sprintf("finds %v, want exactly %v", got, want)
		}
	}
	return ""
}
