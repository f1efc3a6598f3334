package index

import (
	"container/heap"
	"context"
	"encoding/binary"
	"math"
	"sort"

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
	words   int
	clauses int
	rules   bool
	// phrases says, per field, whether two neighbouring words both have
	// postings there: otherwise no phrase bonus is possible in it.
	phrases [2]bool
	// counts has the spare lists read too, for their documents alone:
	// when they hold at most the collection's worth of postings, the
	// scan then visits every match (a word in every title holds one).
	counts bool
	// everyDoc is set when a spare list holds every document (a word in
	// every title): every document matches, so none of the spare lists
	// is read, and the sample and the copies are every one of theirs.
	everyDoc bool
}

// boundList is one word's postings in one field, with the weights bleve
// scores them by there: BM25 in the word's own score (weight: field
// weight · idf²) and in a phrase bonus (idf², field weight 1), and the
// tf-idf of the phrase's term searcher (tfidf: idf², before √tf·norm).
type boundList struct {
	word, field int // field: 0 text, 1 title
	term, name  string
	weight, w1  float64
	tfidf       float64
	avg         float64
	spare       bool // not scored: bounded at its highest
	df          uint64
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

// norm is the query norm bleve scales tf-idf term scores by (the phrase
// bonus's exact phrases).
func newBounds(ctx context.Context, r bindex.IndexReader, plan *prunePlan, avg map[string]float64, norm float64) (*bounds, error) {
	n, err := r.DocCount()
	if err != nil {
		return nil, err
	}
	b := &bounds{words: len(plan.words), clauses: plan.clauses, rules: plan.rules, spare: make([][2]*boundList, len(plan.words))}
	for i := 0; i+1 < len(plan.words); i++ {
		between := uint64(plan.words[i+1].clause - plan.words[i].clause - 1)
		b.gap = append(b.gap, 1+3*between) // a stop-word clause is a token or few
	}
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
			idf := math.Pow(math.Log(1+(docs-df+0.5)/(df+0.5)), bm25IDFPower)
			tidf := 1 + math.Log(docs/(df+1))
			l := boundList{word: i, field: f, term: w.term, name: fd.name, df: uint64(df), weight: fd.weight * idf, w1: idf,
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
	b.counts = countSpare(b.lists, n)
	for _, l := range b.lists {
		b.everyDoc = b.everyDoc || (l.spare && l.df == n)
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

// countSpare reports whether spare lists are few enough postings to read
// for their documents: at most n, the documents there are.
func countSpare(lists []boundList, n uint64) bool {
	var postings uint64
	for _, l := range lists {
		if l.spare {
			postings += l.df
		}
	}
	return postings <= n
}

// visitsAll reports whether a scan visits every match: every list is
// read, the spare ones for their documents.
func (b *bounds) visitsAll() bool { return b.counts || b.everyDoc }

// score is bm25Field.score's factor tf/(tf + k1·norm) for one posting.
func (l *boundList) score(tf uint64, norm float64) float64 {
	t := float64(tf)
	k := 1.0
	if norm > 0 && l.avg > 0 {
		length := max(1/(norm*norm), bm25MinLength*l.avg)
		k = 1 - bm25B + bm25B*length/l.avg
	}
	return t / (t + bm25K1*k)
}

// spareOnly bounds a document that holds none of the read postings.
func (b *bounds) spareOnly() float64 {
	var at docBound
	at.reset(b.words)
	return b.total(&at)
}

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
// (tf → ∞) and its highest tf-idf factor 1 (√tf·norm ≤ 1: tf ≤ length).
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
		return s.w1, s.tfidf, nil, true
	}
	return 0, 0, nil, false
}

// scanned is what a scan of some documents found.
type scanned struct {
	best    boundHeap // the best-bounded documents
	rest    float64   // the best bound of the others
	visited uint64    // documents holding a read posting
	sampled uint64    // of them, in the facet sample (tallied)
	linked  []int32   // of them, the linked ones (copies): their places in scanSides.linked
}

// scanSides is what a scan counts besides bounds, when every posting
// list is read and its documents are thus the query's matches: the
// facet sample (facetsample.go) in tally, and which of the linked
// documents (sorted numbers) match, for the hidden copies
// (representative.go).
type scanSides struct {
	tally  *facetTally
	linked []uint64
}

// scan reads the postings of documents lo ≤ number < hi and returns the
// keep best-bounded ones with the best bound of the others. With a tally,
// it also counts the facets of the visited documents in the facet sample
// (facetsample.go), as the sample's own search would; with linked
// numbers, it notes which it visits.
func (b *bounds) scan(ctx context.Context, r bindex.IndexReader, lo, hi uint64, keep int, sides scanSides) (scanned, error) {
	tally, linked := sides.tally, sides.linked
	var matchedLinked []int32
	li := sort.Search(len(linked), func(i int) bool { return linked[i] >= lo })
	lists := make([]*boundList, 0, len(b.lists))
	for i := range b.lists {
		if b.lists[i].spare && (!b.counts || b.everyDoc) {
			continue
		}
		l := b.lists[i] // a copy: each half reads its own
		scored := !l.spare
		tr, err := r.TermFieldReader(ctx, []byte(l.term), l.name, scored, scored, scored)
		if err != nil {
			closeLists(lists)
			return scanned{}, err
		}
		l.reader = tr
		lists = append(lists, &l)
	}
	defer closeLists(lists)
	var start [8]byte
	binary.BigEndian.PutUint64(start[:], lo)
	for _, l := range lists {
		var d *bindex.TermFieldDoc
		var err error
		if lo == 0 {
			d, err = l.reader.Next(l.tfd.Reset())
		} else {
			d, err = l.reader.Advance(start[:], l.tfd.Reset())
		}
		if err != nil {
			return scanned{}, err
		}
		l.set(d, hi)
	}
	var mark *boundList // the sample mark's postings, when tallying
	if tally != nil {   // started by the caller, which adds up its spans
		tr, err := r.TermFieldReader(ctx, []byte("1"), sampleField, false, false, false)
		if err != nil {
			return scanned{}, err
		}
		mark = &boundList{reader: tr}
		defer tr.Close()
		var d *bindex.TermFieldDoc
		if lo == 0 {
			d, err = tr.Next(mark.tfd.Reset())
		} else {
			d, err = tr.Advance(start[:], mark.tfd.Reset())
		}
		if err != nil {
			return scanned{}, err
		}
		mark.set(d, hi)
	}
	var id [8]byte
	h := make(boundHeap, 0, keep+1)
	rest := 0.0
	var at docBound
	var visited, sampled uint64
	for ; ; visited++ {
		if visited&8191 == 0 {
			if err := ctx.Err(); err != nil {
				return scanned{}, err
			}
		}
		doc := uint64(math.MaxUint64)
		for _, l := range lists {
			doc = min(doc, l.doc)
		}
		if doc == math.MaxUint64 {
			break
		}
		at.reset(b.words)
		scored := false
		for _, l := range lists {
			if l.doc != doc {
				continue
			}
			if l.spare { // read for its documents only
				d, err := l.reader.Next(l.tfd.Reset())
				if err != nil {
					return scanned{}, err
				}
				l.set(d, hi)
				continue
			}
			scored = true
			s := l.score(l.tf, l.norm)
			i, f := l.word, l.field
			at.held[i][f] = true
			at.bm[i][f] = l.weight * s
			at.b1[i][f] = l.w1 * s
			at.tfid[i][f] = l.tfidf * math.Sqrt(float64(l.tf)) * l.norm
			at.pos[i][f] = at.pos[i][f][:0]
			for _, v := range l.tfd.Vectors {
				at.pos[i][f] = append(at.pos[i][f], v.Pos)
			}
			d, err := l.reader.Next(l.tfd.Reset())
			if err != nil {
				return scanned{}, err
			}
			l.set(d, hi)
		}
		if mark != nil && !b.everyDoc {
			for mark.doc < doc {
				d, err := mark.reader.Next(mark.tfd.Reset())
				if err != nil {
					return scanned{}, err
				}
				mark.set(d, hi)
			}
			if mark.doc == doc {
				sampled++
				binary.BigEndian.PutUint64(id[:], doc)
				if err := tally.record(id[:]); err != nil {
					return scanned{}, err
				}
			}
		}
		if linked != nil && !b.everyDoc {
			for li < len(linked) && linked[li] < doc {
				li++
			}
			if li < len(linked) && linked[li] == doc {
				matchedLinked = append(matchedLinked, int32(li))
			}
		}
		if !scored {
			continue // bounded by spareOnly, which the caller takes
		}
		u := b.total(&at)
		switch {
		case len(h) < keep:
			heap.Push(&h, bounded{doc: doc, score: u})
		case u > h[0].score:
			rest = max(rest, h[0].score)
			h[0] = bounded{doc: doc, score: u}
			heap.Fix(&h, 0)
		default:
			rest = max(rest, u)
		}
	}
	if b.everyDoc { // every sampled and every linked document matches
		for ; mark != nil && mark.doc != math.MaxUint64; sampled++ {
			binary.BigEndian.PutUint64(id[:], mark.doc)
			if err := tally.record(id[:]); err != nil {
				return scanned{}, err
			}
			d, err := mark.reader.Next(mark.tfd.Reset())
			if err != nil {
				return scanned{}, err
			}
			mark.set(d, hi)
		}
		for ; li < len(linked) && linked[li] < hi; li++ {
			matchedLinked = append(matchedLinked, int32(li))
		}
	}
	return scanned{best: h, rest: rest, visited: visited, sampled: sampled, linked: matchedLinked}, nil
}

// set moves the list onto d, or past its end at hi.
func (l *boundList) set(d *bindex.TermFieldDoc, hi uint64) {
	if d == nil || len(d.ID) != 8 {
		l.doc = math.MaxUint64
		return
	}
	doc := binary.BigEndian.Uint64(d.ID)
	if doc >= hi {
		l.doc = math.MaxUint64
		return
	}
	l.doc, l.tf, l.norm = doc, d.Freq, d.Norm
}

// near reports whether a position of b follows one of a by 1 to gap, or
// either is not known (nil: a spare posting, assumed anywhere).
func near(a, b []uint64, gap uint64) bool {
	if a == nil || b == nil {
		return true
	}
	for _, p := range a {
		for _, q := range b {
			if q > p && q-p <= gap {
				return true
			}
		}
	}
	return false
}

func closeLists(lists []*boundList) {
	for _, l := range lists {
		l.reader.Close()
	}
}

// bounded is one document and its bound.
type bounded struct {
	doc   uint64
	score float64
}

// boundHeap is a min-heap of bounds: its root is the first to leave.
type boundHeap []bounded

func (h boundHeap) Len() int           { return len(h) }
func (h boundHeap) Less(i, j int) bool { return h[i].score < h[j].score }
func (h boundHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *boundHeap) Push(x any)        { *h = append(*h, x.(bounded)) }
func (h *boundHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
