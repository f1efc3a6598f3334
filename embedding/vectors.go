package embedding

import (
	"container/heap"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"policysearch/embedding/ann"
)

// Search tuning. Below exactBelow passages an exact scan costs a few
// milliseconds and is always right; above it the graph answers, with a
// beam of at least efSearch passages, widened by one per passagesPerEf
// passages. embedding/ann's TestMeasure (512-dim clustered vectors) gave
// recall@10 at beam 100 / 200: 1.000 / 1.000 at 10^5, 0.989 / 0.999 at
// 2·10^5, 0.932 / 0.981 at 7·10^5 and 0.849 / 0.937 at 10^6, the search
// taking 0.9 to 1.5 ms: recall falls as the graph grows, and a wider beam
// buys it back for little (10^6 passages get a beam of 400).
const (
	exactBelow    = 20_000
	efSearch      = 100
	passagesPerEf = 2_500
	// sampleSize slots are tested against a filter to estimate how much of
	// the collection it keeps.
	sampleSize = 512
)

// vectors holds every passage vector of the current model, in an HNSW
// graph that owns their storage, with which document and passage each
// graph node (slot) holds.
type vectors struct {
	mu       sync.RWMutex
	dims     int
	g        *ann.Graph // nil until the first vector
	slots    []slot     // what each slot holds; doc "" marks a free slot
	docs     map[string][]int
	free     []int
	restored map[string]bool // loaded from a snapshot, not yet confirmed by the documents
	gen      atomic.Uint64   // bumps on every change, for result caches
	// exactBelow is the package constant, a field so tests can put the
	// graph to work on small sets.
	exactBelow int
	// How searches were answered, for /api/stats.
	graphSearches, scans atomic.Int64
	// linked counts passages linked into the graph, the cost a snapshot
	// saves on restart.
	linked atomic.Int64
}

type slot struct {
	doc     string
	passage int
	span    Passage
	hash    string // the embedded input's hash: an unchanged passage keeps its node
}

func newVectors() *vectors {
	return &vectors{docs: map[string][]int{}, restored: map[string]bool{}, exactBelow: exactBelow}
}

func (v *vectors) vec(s int) []float32 { return v.g.Vector(uint32(s)) }

// set replaces a document's passage vectors. All vectors must have the
// index's dimension; the first vectors ever set decide it. A document
// whose passages and their hashes are unchanged keeps its nodes: on
// restart every document passes through here, and relinking them all
// would cost as much as building the graph anew.
func (v *vectors) set(doc string, spans []Passage, vecs [][]float32, hashes []string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.restored, doc)
	if v.sameLocked(doc, spans, hashes) {
		return
	}
	v.removeLocked(doc)
	if len(vecs) == 0 {
		return
	}
	if v.dims == 0 {
		v.dims = len(vecs[0])
	}
	if v.g == nil {
		v.g = ann.New(v.dims, ann.Options{Seed: 1})
	}
	idx := make([]int, 0, len(vecs))
	for i, vec := range vecs {
		var s int
		if n := len(v.free); n > 0 {
			s, v.free = v.free[n-1], v.free[:n-1]
		} else {
			s = len(v.slots)
			v.slots = append(v.slots, slot{})
		}
		v.slots[s] = slot{doc, i, spans[i], hashes[i]}
		v.g.Set(uint32(s), vec)
		v.linked.Add(1)
		idx = append(idx, s)
	}
	v.docs[doc] = idx
	v.gen.Add(1)
}

// confirm reports whether doc already holds exactly these passages, and
// if so marks it current (not to be swept as a restored leftover).
func (v *vectors) confirm(doc string, spans []Passage, hashes []string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.sameLocked(doc, spans, hashes) {
		return false
	}
	delete(v.restored, doc)
	return true
}

func (v *vectors) sameLocked(doc string, spans []Passage, hashes []string) bool {
	have, ok := v.docs[doc]
	if !ok || len(have) != len(hashes) {
		return false
	}
	for i, s := range have {
		if v.slots[s].hash != hashes[i] || v.slots[s].span != spans[i] {
			return false
		}
	}
	return true
}

func (v *vectors) remove(doc string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.removeLocked(doc)
}

func (v *vectors) removeLocked(doc string) {
	if _, ok := v.docs[doc]; ok {
		v.gen.Add(1)
	}
	for _, s := range v.docs[doc] {
		v.slots[s] = slot{}
		v.g.Delete(uint32(s))
		v.free = append(v.free, s)
	}
	delete(v.docs, doc)
	delete(v.restored, doc)
}

// Match is a document's best passage for a query vector.
type Match struct {
	ID         string
	Similarity float64
	Passage    int
	Span       Passage
}

// nearest returns the n documents whose best passage is closest to q,
// best first (ties by id), among documents keep accepts (all when keep is
// nil). Small collections, and filters that keep too few passages for the
// graph's beam to find them cheaply, are scanned exactly.
func (v *vectors) nearest(q []float32, n int, keep func(string) bool) []Match {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.g == nil || len(q) != v.dims || n <= 0 {
		return nil
	}
	ef := max(efSearch, 2*n, v.g.Len()/passagesPerEf)
	if live := v.g.Len(); live >= v.exactBelow && (keep == nil || v.share(keep)*float64(live) >= float64(4*ef)) {
		if out, ok := v.approx(q, n, ef, keep); ok {
			v.graphSearches.Add(1)
			return out
		}
	}
	v.scans.Add(1)
	return v.scan(q, n, keep)
}

// share estimates the fraction of passages keep accepts from evenly spaced
// slots.
func (v *vectors) share(keep func(string) bool) float64 {
	step := max(1, len(v.slots)/sampleSize)
	seen, kept := 0, 0
	for s := 0; s < len(v.slots); s += step {
		if d := v.slots[s].doc; d != "" {
			seen++
			if keep(d) {
				kept++
			}
		}
	}
	if seen == 0 {
		return 0
	}
	return float64(kept) / float64(seen)
}

// approx asks the graph for passages and keeps each document's best. When
// documents have many passages the beam may hold fewer than n documents,
// so it widens; a search that outgrows half the collection is abandoned
// (ok false) for the exact scan, which is cheaper by then.
func (v *vectors) approx(q []float32, n, ef int, keep func(string) bool) ([]Match, bool) {
	var accept func(uint32) bool
	if keep != nil {
		accept = func(id uint32) bool { return keep(v.slots[id].doc) }
	}
	budget := v.g.Len() / 2
	for range 3 {
		res, done := v.g.Search(q, ef, accept, budget)
		if !done {
			return nil, false
		}
		out := make([]Match, 0, n)
		seen := make(map[string]bool, len(res))
		for _, r := range res { // best first, so a document's first is its best
			sl := v.slots[r.ID]
			if !seen[sl.doc] {
				seen[sl.doc] = true
				out = append(out, Match{ID: sl.doc, Similarity: float64(r.Similarity), Passage: sl.passage, Span: sl.span})
			}
		}
		if len(out) >= n || len(res) < ef { // enough, or all there is
			slices.SortFunc(out, func(a, b Match) int {
				if better(a.Similarity, a.ID, b) {
					return -1
				}
				return 1
			})
			return out[:min(n, len(out))], true
		}
		ef *= 4
	}
	return nil, false
}

// scan scores every passage, keeping only the n best documents so far in
// a heap: at 10^5 passages a map of every document's best and a full sort
// cost three times the scan itself.
func (v *vectors) scan(q []float32, n int, keep func(string) bool) []Match {
	top := topDocs{at: make(map[string]int, n)}
	var allowed map[string]bool
	for s, sl := range v.slots {
		if sl.doc == "" {
			continue
		}
		if keep != nil {
			ok, seen := allowed[sl.doc]
			if !seen {
				if allowed == nil {
					allowed = map[string]bool{}
				}
				ok = keep(sl.doc)
				allowed[sl.doc] = ok
			}
			if !ok {
				continue
			}
		}
		sim := dot(q, v.vec(s))
		if len(top.h) == n && !better(sim, sl.doc, top.h[0]) {
			continue // cannot enter, nor raise a document already in
		}
		m := Match{ID: sl.doc, Similarity: sim, Passage: sl.passage, Span: sl.span}
		if i, ok := top.at[sl.doc]; ok {
			if sim > top.h[i].Similarity { // the first best passage stays on ties
				top.h[i] = m
				heap.Fix(&top, i)
			}
		} else if len(top.h) < n {
			heap.Push(&top, m)
		} else {
			delete(top.at, top.h[0].ID)
			top.at[m.ID] = 0
			top.h[0] = m
			heap.Fix(&top, 0)
		}
	}
	out := top.h
	sort.Slice(out, func(i, j int) bool { return better(out[i].Similarity, out[i].ID, out[j]) })
	return out
}

// better orders matches: higher similarity first, then lower id.
func better(sim float64, id string, than Match) bool {
	if sim != than.Similarity {
		return sim > than.Similarity
	}
	return id < than.ID
}

// topDocs is a min-heap of matches, worst at the root, with each
// document's position so its entry can be raised in place.
type topDocs struct {
	h  []Match
	at map[string]int
}

func (t *topDocs) Len() int           { return len(t.h) }
func (t *topDocs) Less(i, j int) bool { return better(t.h[j].Similarity, t.h[j].ID, t.h[i]) }
func (t *topDocs) Swap(i, j int) {
	t.h[i], t.h[j] = t.h[j], t.h[i]
	t.at[t.h[i].ID], t.at[t.h[j].ID] = i, j
}
func (t *topDocs) Push(x any) {
	m := x.(Match)
	t.at[m.ID] = len(t.h)
	t.h = append(t.h, m)
}
func (t *topDocs) Pop() any {
	m := t.h[len(t.h)-1]
	t.h = t.h[:len(t.h)-1]
	delete(t.at, m.ID)
	return m
}

// docVectors returns a copy of a document's passage vectors.
func (v *vectors) docVectors(doc string) [][]float32 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	var out [][]float32
	for _, s := range v.docs[doc] {
		out = append(out, slices.Clone(v.vec(s)))
	}
	return out
}

func (v *vectors) stats() (docs, passages, dims int) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.docs), len(v.slots) - len(v.free), v.dims
}

func dot(a, b []float32) float64 { return float64(ann.Dot(a, b)) }
