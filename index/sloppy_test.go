package index

import (
	"context"
	"slices"
	"testing"

	"github.com/blevesearch/bleve/v2/search"
)

// `"a b"~N` means Lucene's sloppy phrase: the words within N moves of
// standing as typed, and nothing further apart (issue 13).
func TestSloppyPhrase(t *testing.T) {
	ix := openTest(t,
		Document{ID: "exact", Title: "Chips", Text: "New export controls took effect."},
		Document{ID: "one", Title: "Chips", Text: "Export of chips: controls tightened."},        // two words between
		Document{ID: "three", Title: "Chips", Text: "Export volumes rose; new controls loomed."}, // three between
		Document{ID: "reversed", Title: "Chips", Text: "Chip controls export rules were eased."}, // the other order
		Document{ID: "far", Title: "Chips", Text: "Export volumes rose in spring, summer and autumn; officials said new controls will come."},
		Document{ID: "split", Title: "Export", Text: "New controls were announced."}, // one word per field
		Document{ID: "none", Title: "Other", Text: "Nothing here."},
	)
	cases := []struct {
		query string
		first string   // the hit that must rank first, if any
		want  []string // the hits, in any order
	}{
		{`"export controls"`, "exact", []string{"exact"}},
		{`"export controls"~1`, "exact", []string{"exact"}},
		{`"export controls"~2`, "exact", []string{"exact", "one", "reversed"}},
		{`"export controls"~3`, "exact", []string{"exact", "one", "three", "reversed"}},
		{`"export controls"~10`, "exact", []string{"exact", "one", "three", "reversed", "far"}},
		{`text:"export controls"~3`, "exact", []string{"exact", "one", "three", "reversed"}},
		{`title:"export controls"~3`, "", nil},
		{`"controls export"~2`, "reversed", []string{"reversed", "exact"}},
		{`"export of controls"~1`, "", []string{"exact", "one"}}, // "of" is a gap
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			res, err := ix.Search(context.Background(), Query{Text: c.query, Mode: ModeKeyword})
			if err != nil {
				t.Fatal(err)
			}
			got := ids(res)
			if c.first != "" && (len(got) == 0 || got[0] != c.first) {
				t.Errorf("%s ranks %v, want %s first", c.query, got, c.first)
			}
			slices.Sort(got)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s finds %v, want %v", c.query, got, want)
			}
		})
	}
}

func TestSloppyFits(t *testing.T) {
	cases := []struct {
		name    string
		offsets []int
		pos     [][]uint64 // per term
		slop    int
		want    bool
	}{
		{"adjacent", []int{0, 1}, [][]uint64{{5}, {6}}, 0, true},
		{"one between", []int{0, 1}, [][]uint64{{5}, {7}}, 0, false},
		{"one between, slop 1", []int{0, 1}, [][]uint64{{5}, {7}}, 1, true},
		{"reversed needs 2", []int{0, 1}, [][]uint64{{6}, {5}}, 1, false},
		{"reversed, slop 2", []int{0, 1}, [][]uint64{{6}, {5}}, 2, true},
		{"best of many", []int{0, 1}, [][]uint64{{1, 40, 90}, {20, 43}}, 2, true},
		{"three words", []int{0, 1, 2}, [][]uint64{{10}, {12}, {13}}, 1, true},
		{"three words too far", []int{0, 1, 2}, [][]uint64{{10}, {12}, {15}}, 2, false},
		{"gap for a stop word", []int{0, 2}, [][]uint64{{3}, {5}}, 0, true},
		{"missing term", []int{0, 1}, [][]uint64{{3}, nil}, 5, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &sloppyPhrase{field: "text", slop: c.slop, offsets: c.offsets}
			var locs []search.FieldTermLocation
			for i, ps := range c.pos {
				term := string(rune('a' + i))
				p.terms = append(p.terms, term)
				for _, pos := range ps {
					locs = append(locs, ftl("text", term, pos))
				}
			}
			locs = append(locs, ftl("title", "a", 1), ftl("title", "b", 2)) // another field never helps
			if got := p.fits(locs); got != c.want {
				t.Errorf("fits = %v, want %v", got, c.want)
			}
		})
	}
}

func ftl(field, term string, pos uint64) search.FieldTermLocation {
	return search.FieldTermLocation{Field: field, Term: term, Location: search.Location{Pos: pos}}
}
