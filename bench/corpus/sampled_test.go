package corpus

import (
	"slices"
	"strings"
	"testing"
)

// TestSampledPassages checks the 1m corpus's construction on the real
// speeches at a hundredth of its size: 3 to 5 whole sentences a passage,
// unique ids, complete fields, the same passages on every run, and no two
// passages sharing three sentences. Also the pasted queries.
func TestSampledPassages(t *testing.T) {
	speeches, _ := sotuSpeeches(t)
	const n = 10_000
	docs := sampled(speeches, n)
	if len(docs) != n {
		t.Fatalf("%d passages, want %d", len(docs), n)
	}
	if again := sampled(speeches, n); !slices.Equal(docs, again) {
		t.Fatal("two builds differ")
	}
	ids, odd := map[string]bool{}, 0
	holding := map[string][]int{} // sentence -> passages holding it
	for i, d := range docs {
		if ids[d.ID] {
			t.Fatalf("duplicate id %s", d.ID)
		}
		ids[d.ID] = true
		if d.Title == "" || d.Author == "" || len(d.Published) != 4 || d.Source == "" {
			t.Fatalf("incomplete passage %+v", d)
		}
		ss := sentences(d.Text)
		if len(ss) < 3 || len(ss) > 5 {
			// a speech's last sentence may lack its full stop and read as
			// one with the next: rare, and counted below
			odd++
		}
		for _, s := range ss {
			holding[s] = append(holding[s], i)
		}
	}
	if odd > n/1000 {
		t.Errorf("%d passages of %d do not read as 3 to 5 sentences", odd, n)
	}
	for i, d := range docs {
		shared := map[int]int{}
		for _, s := range sentences(d.Text) {
			for _, j := range holding[s] {
				if j != i {
					shared[j]++
				}
			}
		}
		for j, k := range shared {
			if k >= 3 {
				t.Fatalf("%s and %s share %d sentences", d.ID, docs[j].ID, k)
			}
		}
	}

	qs := Pasted(speeches, 50)
	if len(qs) != 50 || !slices.Equal(qs, Pasted(speeches, 50)) {
		t.Fatalf("pasted queries: %d, or not the same twice", len(qs))
	}
	for _, q := range qs {
		if w := len(strings.Fields(q)); w != PastedWords {
			t.Fatalf("a pasted query has %d words, want %d", w, PastedWords)
		}
	}
}
