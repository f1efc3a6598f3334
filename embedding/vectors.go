package embedding

import (
	"container/heap"
	"sort"
	"sync"
	"sync/atomic"
)

// vectors holds every passage vector of the current model in one flat
// slice, searched exhaustively: exact cosine over some 10^5 passages costs
// tens of milliseconds, less than an approximate index would to maintain.
type vectors struct {
	mu    sync.RWMutex
	dims  int
	data  []float32 // slot i is data[i*dims:(i+1)*dims]
	slots []slot    // what each slot holds; doc "" marks a free slot
	docs  map[string][]int
	free  []int
	gen   atomic.Uint64 // bumps on every change, for result caches
}

type slot struct {
	doc     string
	passage int
	span    Passage
}

func newVectors() *vectors { return &vectors{docs: map[string][]int{}} }

// set replaces a document's passage vectors. All vectors must have the
// index's dimension; the first vectors ever set decide it.
func (v *vectors) set(doc string, spans []Passage, vecs [][]float32) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.removeLocked(doc)
	if len(vecs) == 0 {
		return
	}
	if v.dims == 0 {
		v.dims = len(vecs[0])
	}
	idx := make([]int, 0, len(vecs))
	for i, vec := range vecs {
		var s int
		if n := len(v.free); n > 0 {
			s, v.free = v.free[n-1], v.free[:n-1]
			copy(v.data[s*v.dims:], vec)
			v.slots[s] = slot{doc, i, spans[i]}
		} else {
			s = len(v.slots)
			v.data = append(v.data, vec...)
			v.slots = append(v.slots, slot{doc, i, spans[i]})
		}
		idx = append(idx, s)
	}
	v.docs[doc] = idx
	v.gen.Add(1)
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
		v.free = append(v.free, s)
	}
	delete(v.docs, doc)
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
// nil). Every passage is scored, but only the n best documents so far are
// kept, in a heap: at 10^5 passages a map of every document's best and a
// full sort cost three times the scan itself.
func (v *vectors) nearest(q []float32, n int, keep func(string) bool) []Match {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.dims == 0 || len(q) != v.dims || n <= 0 {
		return nil
	}
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
		sim := dot(q, v.data[s*v.dims:(s+1)*v.dims])
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
		out = append(out, append([]float32(nil), v.data[s*v.dims:(s+1)*v.dims]...))
	}
	return out
}

func (v *vectors) stats() (docs, passages, dims int) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.docs), len(v.slots) - len(v.free), v.dims
}

func dot(a, b []float32) float64 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return float64(s0 + s1 + s2 + s3)
}
