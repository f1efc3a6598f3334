package index

import (
	"context"

	bindex "github.com/blevesearch/bleve_index_api"
)

// bounds computes documents' score bounds for a plain-word query from
// its postings (candidates.go): what each word and field can add, read
// on one snapshot so that document frequencies are the searcher's own.
type bounds struct {
	lists []boundList // the postings read, one per word and field
	// gap is the most positions between a word and the next in a phrase
	// of the two: stop words typed between them leave gaps.
	gap     []uint64
	spare   [][2]*boundList
	blocks  *blockMaxima // of lists, segment by segment; nil: none
	words   int
	clauses int
	rules   bool
	// phrases says, per field, whether two neighbouring words both have
	// postings there: otherwise no phrase bonus is possible in it.
	phrases [2]bool
}

// boundList is one word's postings in one field, with the weights bleve
// scores them by there: BM25 in the word's own score (weight: field
// weight · idf²) and in a phrase bonus (idf², field weight 1), and the
// tf-idf of the phrase's term searcher (tfidf: idf², before √tf·norm).
type boundList struct {
	word, field int // field: 0 text, 1 title
	at          int // place in bounds.lists
	term, name  string
	weight, w1  float64
	tfidf       float64
	avg         float64
	spare       bool // not scored: bounded at its highest
	reader      bindex.TermFieldReader
	tfd         bindex.TermFieldDoc
	doc         uint64 // current document; math.MaxUint64 when done
	tf          uint64
	norm        float64
}

var boundFields = [2]struct {
	name      string
	weight    float64
	proximity float64
}{{"text", 1, proximityBoost}, {"title", bm25Title, titleProximityBoost}}

// spareShare is the share of a word once at the average length below
// which a posting list is not read but bounded at its highest: only
// lists whose idf is close to nothing (a word in nearly every title).
const spareShare = 0.01

// spareBelow is the weight under which a list is spare, for text lists
// of summed weight text.
func spareBelow(text float64) float64 { return spareShare * text / (1 + bm25K1) }

// newBounds reads the statistics of plan's words on snapshot r; norm is
// the query norm bleve scales tf-idf term scores by (the phrase bonus's
// exact phrases).
func newBounds(ctx context.Context, r bindex.IndexReader, plan *prunePlan, avg map[string]float64, norm float64) (*bounds, error) {
	n, err := r.DocCount()
	if err != nil {
		return nil, err
	}
	b := &bounds{words: len(plan.words), clauses: plan.clauses, rules: plan.rules, gap: plan.gaps,
		spare: make([][2]*boundList, len(plan.words))}
	text := 0.0
	for i, w := range plan.words {
		for f, fd := range boundFields {
			tr, err := r.TermFieldReader(ctx, []byte(w.term), fd.name, false, false, false)
			if err != nil {
				return nil, err
			}
			df := float64(tr.Count())
			tr.Close()
			if df == 0 {
				continue
			}
			docs := float64(n)
			idf := bm25IDF(docs, df)
			tidf := tfidfIDF(docs, df)
			l := boundList{word: i, field: f, at: len(b.lists), term: w.term, name: fd.name, weight: fd.weight * idf, w1: idf,
				tfidf: tidf * tidf * norm, avg: avg[fd.name]}
			if f == 0 {
				text += l.weight
			}
			b.lists = append(b.lists, l)
		}
	}
	for i := range b.lists {
		l := &b.lists[i]
		if l.weight < spareBelow(text) {
			l.spare = true
			b.spare[l.word][l.field] = l
		}
	}
	for f := range boundFields {
		for i := 0; i+1 < b.words; i++ {
			b.phrases[f] = b.phrases[f] || (b.has(i, f) && b.has(i+1, f))
		}
	}
	return b, nil
}

// has reports whether word i has postings in field f.
func (b *bounds) has(i, f int) bool {
	for _, l := range b.lists {
		if l.word == i && l.field == f {
			return true
		}
	}
	return false
}

// terms returns every list's word and field, spare ones included: the
// query's matches hold one of them.
func (b *bounds) terms() []fieldTerm {
	out := make([]fieldTerm, len(b.lists))
	for i, l := range b.lists {
		out[i] = fieldTerm{field: l.name, term: l.term}
	}
	return out
}

// spareOnly bounds a document that holds none of the read postings.
func (b *bounds) spareOnly() float64 {
	var at docBound
	at.reset(b.words)
	return b.total(&at)
}

// tfNormMax is the most √tf·norm can be: 1 (tf ≤ length, norm =
// 1/√length), but the norm is stored as a float32 rounded to nearest,
// which can add 6e-8 when a field is the word repeated.
const tfNormMax = 1 + 1e-6

// docBound gathers one document's postings.
type docBound struct {
	held         [maxPrunedClauses][2]bool
	bm, b1, tfid [maxPrunedClauses][2]float64
	pos          [maxPrunedClauses][2][]uint64 // of held postings; nil for spare ones
}

func (d *docBound) reset(words int) {
	for i := range words {
		d.held[i] = [2]bool{}
	}
}

// total is the document's bound: exact BM25 for the postings it holds,
// the highest for spare ones, the coordination factor of the words it may
// hold, a phrase bonus wherever two neighbouring words may both be, and
// the words rule's tier. A spare posting's highest BM25 is its weight
// (tf → ∞) and its highest tf-idf factor tfNormMax.
func (b *bounds) total(d *docBound) float64 {
	m := 0
	sum := 0.0
	for i := range b.words {
		word := false
		for f := range 2 {
			if d.held[i][f] {
				sum += d.bm[i][f]
				word = true
			} else if s := b.spare[i][f]; s != nil {
				sum += s.weight
				word = true
			}
		}
		if word {
			m++
		}
	}
	if m == 0 {
		return 0
	}
	score := sum * float64(min(m, b.clauses)) / float64(max(b.clauses, 1))
	// Each field's phrases are one disjunction: its coordination factor
	// scales their sum by the share of the pairs that match.
	pairs := float64(b.words - 1)
	for f, fd := range boundFields {
		if !b.phrases[f] {
			continue
		}
		bonus, matched := 0.0, 0
		b1a, ta, pa, oka := d.phrasePart(b, 0, f)
		for i := 1; i < b.words; i++ {
			b1b, tb, pb, okb := d.phrasePart(b, i, f)
			if oka && okb && near(pa, pb, b.gap[i-1]) {
				bonus += b1a + b1b + ta + tb
				matched++
			}
			b1a, ta, pa, oka = b1b, tb, pb, okb
		}
		score += fd.proximity * bonus * float64(matched) / pairs
	}
	score *= boundMargin
	if b.rules {
		score += wordsTier * float64(m) * float64(m) / float64(b.words) * boundMargin
	}
	return score
}

// phrasePart is what word i adds to a phrase bonus in field f at most,
// with its positions (nil: spare, anywhere), or false when the document
// cannot hold it there.
func (d *docBound) phrasePart(b *bounds, i, f int) (b1, tfidf float64, pos []uint64, ok bool) {
	if d.held[i][f] {
		return d.b1[i][f], d.tfid[i][f], d.pos[i][f], true
	}
	if s := b.spare[i][f]; s != nil {
		return s.w1, s.tfidf * tfNormMax, nil, true
	}
	return 0, 0, nil, false
}
