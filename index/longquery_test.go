package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"policysearch/index/querylang"
)

// longCorpus is 300 notes over a vocabulary in which the first words are
// common and the later ones rare, and one brief, "target", on a subject
// whose words no other note uses.
func longCorpus() []Document {
	r := rand.New(rand.NewPCG(17, 3))
	var vocab []string
	for i := range 400 {
		vocab = append(vocab, fmt.Sprintf("w%sx", strings.Repeat(string(rune('a'+i%26)), 1+i/26)))
	}
	var docs []Document
	for i := range 300 {
		var words []string
		for range 40 {
			words = append(words, vocab[int(float64(len(vocab))*r.Float64()*r.Float64())]) // low indices more often
		}
		docs = append(docs, Document{ID: fmt.Sprintf("n%03d", i), Title: "Note " + vocab[i%len(vocab)], Text: strings.Join(words, " ") + "."})
	}
	docs = append(docs, Document{ID: "target", Title: "Desalination subsidies for coastal aquifers",
		Text: "Desalination plants along coastal aquifers need subsidies, brine disposal rules and groundwater monitoring " +
			"before saltwater intrusion ruins the wells. " + strings.Join(vocab[:40], " ") + "."})
	return docs
}

// TestLongQueryKeepsTheDistinctiveWords pastes long queries and checks
// the cap: what it keeps, what the notice says, and that the document
// the paste comes from still ranks first.
func TestLongQueryKeepsTheDistinctiveWords(t *testing.T) {
	docs := longCorpus()
	ix := openTest(t, docs...)
	var filler []string // the 80 commonest words of the notes
	for i := range 260 {
		filler = append(filler, fmt.Sprintf("w%sx", strings.Repeat(string(rune('a'+(i*7)%80%26)), 1+(i*7)%80/26)))
	}
	paste := strings.Join(filler[:130], " ") + " " + docs[len(docs)-1].Text + " " + strings.Join(filler[130:], " ")
	tests := []struct {
		name   string
		text   string
		capped bool
		want   string // first hit
		kept   []string
		gone   []string
	}{
		{name: "a 300-word paste", text: paste, capped: true, want: "target",
			kept: []string{"Desalination", "aquifers", "brine", "saltwater"}, gone: []string{"wax", "wbx"}},
		{name: "a paste that does not parse", text: paste + ` "unclosed`, capped: true, want: "target",
			kept: []string{"Desalination", "groundwater"}},
		{name: "a short query", text: "desalination subsidies brine", want: "target"},
		{name: "a long query with syntax is searched as written", text: "+desalination " + strings.Join(filler, " "), want: "target"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ix.Search(context.Background(), Query{Text: tc.text, Mode: ModeKeyword})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) == 0 || res.Hits[0].ID != tc.want {
				var ids []string
				for _, h := range res.Hits {
					ids = append(ids, h.ID)
				}
				t.Fatalf("hits %v, want %s first", ids, tc.want)
			}
			if got := strings.Contains(res.Notice, "Long query: searched by its"); got != tc.capped {
				t.Fatalf("notice %q: capped %v, want %v", res.Notice, got, tc.capped)
			}
			_, list, _ := strings.Cut(res.Notice, "words (")
			named := strings.Fields(strings.TrimSuffix(list, ")."))
			for _, w := range tc.kept {
				if !slices.Contains(named, w) {
					t.Errorf("notice %q does not name the kept word %q", res.Notice, w)
				}
			}
			for _, w := range tc.gone {
				if slices.Contains(named, w) {
					t.Errorf("notice %q names %q, one of the commonest words", res.Notice, w)
				}
			}
		})
	}
}

// TestLongQueryCap checks the cap on parsed queries: how many words it
// keeps, each once with its count as weight, and that only neighbours
// both kept form phrase pairs.
func TestLongQueryCap(t *testing.T) {
	ix := openTest(t, longCorpus()...)
	c := compiler{ix: ix}
	var words []string
	for i := range longQueryWords + 8 {
		words = append(words, fmt.Sprintf("uniq%02d", i)) // in no document: ranked last
	}
	tests := []struct {
		name  string
		text  string
		kept  int
		boost map[string]float64
	}{
		{"at the limit", strings.Join(words[:longQueryWords], " "), 0, nil},
		{"repeats are one word", strings.Join(words[:longQueryWords], " ") + " uniq00 uniq00 the of", 0, nil},
		{"over the limit", "desalination brine brine " + strings.Join(words, " "), longQueryWords,
			map[string]float64{"desalination": 0, "brine": 2}},
	}
	for _, tc := range tests {
		e, err := querylang.Parse(tc.text, QueryFields)
		if err != nil {
			t.Fatal(err)
		}
		out, lq, notice := c.capLong(e)
		if tc.kept == 0 {
			if lq != nil || notice != "" {
				t.Errorf("%s: capped (%q)", tc.name, notice)
			}
			continue
		}
		seq := out.(*querylang.Seq)
		if len(seq.Clauses) != tc.kept || lq == nil {
			t.Fatalf("%s: kept %d clauses, want %d", tc.name, len(seq.Clauses), tc.kept)
		}
		got := map[string]float64{}
		for _, cl := range seq.Clauses {
			term := cl.Expr.(*querylang.Term)
			got[term.Value] = term.Boost
		}
		for w, b := range tc.boost {
			if g, ok := got[w]; !ok || g != b {
				t.Errorf("%s: %s kept %v with boost %v, want boost %v", tc.name, w, ok, g, b)
			}
		}
		if !strings.Contains(notice, fmt.Sprintf("its %d most distinctive of %d words", tc.kept, len(words)+2)) {
			t.Errorf("%s: notice %q", tc.name, notice)
		}
	}
}
