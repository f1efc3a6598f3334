package corpus

import (
	"fmt"
	"math/rand"
	"slices"
	"strconv"
	"strings"
)

// sampled draws n passages of 3 to 5 sentences from all the speeches'
// sentences with a fixed seed. A passage whose sentences include three
// that an earlier passage already holds together is drawn again, so no two
// passages are near-duplicates.
func sampled(speeches []Speech, n int) []Doc {
	type sent struct {
		speech int
		text   string
	}
	var all []sent
	for i, s := range speeches {
		for _, t := range sentences(s.Text) {
			all = append(all, sent{i, t})
		}
	}
	if len(all) < 5 {
		return nil
	}
	r := rand.New(rand.NewSource(1_000_000))
	triples := make(map[[3]int32]struct{}, 4*n)
	out := make([]Doc, 0, n)
	picked := make([]int32, 0, 5)
	var b strings.Builder
	for len(out) < n {
		picked = picked[:0]
		for k := 3 + r.Intn(3); len(picked) < k; {
			if x := int32(r.Intn(len(all))); !slices.Contains(picked, x) {
				picked = append(picked, x)
			}
		}
		if !newTriples(picked, triples) {
			continue
		}
		b.Reset()
		for i, x := range picked {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(all[x].text)
		}
		sp := speeches[all[picked[0]].speech]
		num := strconv.Itoa(len(out) + 1)
		out = append(out, Doc{ID: fmt.Sprintf("%s-m%07d", sp.ID, len(out)+1), Title: sp.Title + " — passage " + num + "m",
			Text: b.String(), Author: sp.Author, Published: strconv.Itoa(sp.Year), Source: sp.Source})
	}
	return out
}

// newTriples records every three of the picked sentences, unless one of
// those threes was recorded before: then it records nothing and says no.
func newTriples(picked []int32, seen map[[3]int32]struct{}) bool {
	s := slices.Clone(picked)
	slices.Sort(s)
	var ts [][3]int32
	for i := 0; i < len(s); i++ {
		for j := i + 1; j < len(s); j++ {
			for k := j + 1; k < len(s); k++ {
				t := [3]int32{s[i], s[j], s[k]}
				if _, ok := seen[t]; ok {
					return false
				}
				ts = append(ts, t)
			}
		}
	}
	for _, t := range ts {
		seen[t] = struct{}{}
	}
	return true
}

// PastedWords is the length of a pasted query.
const PastedWords = 200

// Pasted returns n pasted queries: runs of PastedWords words from the
// speeches, starting at a sentence, drawn with a fixed seed, as when a
// user pastes a paragraph of an argument into the search box.
func Pasted(speeches []Speech, n int) []string {
	r := rand.New(rand.NewSource(200))
	var out []string
	for tries := 0; len(out) < n && tries < 100*n; tries++ {
		s := speeches[r.Intn(len(speeches))]
		sents := sentences(s.Text)
		if len(sents) == 0 {
			continue
		}
		var words []string
		for _, t := range sents[r.Intn(len(sents)):] {
			if words = append(words, strings.Fields(t)...); len(words) >= PastedWords {
				break
			}
		}
		if len(words) >= PastedWords {
			out = append(out, strings.Join(words[:PastedWords], " "))
		}
	}
	return out
}
