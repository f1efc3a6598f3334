package ann

import "sort"

// Result is a node and its similarity to the query.
type Result struct {
	ID         uint32
	Similarity float32
}

// Search returns up to ef live nodes nearest q that accept allows (all
// when accept is nil), best first, and whether the search finished within
// budget node visits (0: unbounded). A filter that rejects most nodes
// makes the beam walk far to fill; an unfinished search tells the caller
// an exact scan is the cheaper answer.
func (g *Graph) Search(q []float32, ef int, accept func(uint32) bool, budget int) ([]Result, bool) {
	if g.entry < 0 || ef <= 0 || len(q) != g.dims {
		return nil, true
	}
	ep := cand{uint32(g.entry), Dot(q, g.Vector(uint32(g.entry)))}
	for l := g.top; l > 0; l-- {
		ep = g.greedy(q, ep, l)
	}
	admit := func(id uint32) bool { return !g.nodes[id].deleted && (accept == nil || accept(id)) }
	found := g.searchLayer(q, ep, ef, 0, admit, budget)
	out := make([]Result, len(found.c))
	for i, c := range found.c {
		out[i] = Result{c.id, c.sim}
	}
	return out, !found.cut
}

type cand struct {
	id  uint32
	sim float32
}

// greedy walks level l from ep to the nearest node it can reach.
func (g *Graph) greedy(q []float32, ep cand, l int) cand {
	for moved := true; moved; {
		moved = false
		links := g.nodes[ep.id].links
		if l >= len(links) {
			return ep
		}
		for _, x := range links[l] {
			if s := Dot(q, g.Vector(x)); s > ep.sim {
				ep, moved = cand{x, s}, true
			}
		}
	}
	return ep
}

type found struct {
	c   []cand // best first
	cut bool   // the visit budget ran out
}

// searchLayer is the beam search of level l from ep: it keeps the ef best
// nodes that admit accepts and walks through all nodes, admitted or not,
// until no unexplored node can improve the beam.
func (g *Graph) searchLayer(q []float32, ep cand, ef, l int, admit func(uint32) bool, budget int) found {
	vis := g.visited()
	defer g.visits.Put(vis)
	vis.mark(ep.id)
	todo := candHeap{better: true}  // best first
	best := candHeap{better: false} // worst first
	todo.push(ep)
	if admit(ep.id) {
		best.push(ep)
	}
	visits, cut := 1, false
	for len(todo.c) > 0 {
		c := todo.pop()
		if len(best.c) >= ef && c.sim < best.c[0].sim {
			break
		}
		links := g.nodes[c.id].links
		if l >= len(links) {
			continue
		}
		for _, x := range links[l] {
			if !vis.mark(x) {
				continue
			}
			visits++
			s := Dot(q, g.Vector(x))
			if len(best.c) < ef || s > best.c[0].sim {
				todo.push(cand{x, s})
				if admit(x) {
					best.push(cand{x, s})
					if len(best.c) > ef {
						best.pop()
					}
				}
			}
		}
		if budget > 0 && visits > budget {
			cut = true
			break
		}
	}
	out := best.c
	sortDesc(out)
	return found{c: out, cut: cut}
}

func sortDesc(cs []cand) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].sim != cs[j].sim {
			return cs[i].sim > cs[j].sim
		}
		return cs[i].id < cs[j].id
	})
}

// candHeap is a binary heap of candidates: best at the root when better is
// set, worst otherwise.
type candHeap struct {
	c      []cand
	better bool
}

func (h *candHeap) less(i, j int) bool {
	if h.better {
		return h.c[i].sim > h.c[j].sim
	}
	return h.c[i].sim < h.c[j].sim
}

func (h *candHeap) push(c cand) {
	h.c = append(h.c, c)
	for i := len(h.c) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h.c[i], h.c[p] = h.c[p], h.c[i]
		i = p
	}
}

func (h *candHeap) pop() cand {
	top := h.c[0]
	last := len(h.c) - 1
	h.c[0] = h.c[last]
	h.c = h.c[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && h.less(l, m) {
			m = l
		}
		if r < last && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h.c[i], h.c[m] = h.c[m], h.c[i]
		i = m
	}
	return top
}

// visited marks nodes seen by one search; a stamp per node avoids clearing
// the whole array between searches.
type visited struct {
	stamp []uint16
	now   uint16
}

func (g *Graph) visited() *visited {
	v, _ := g.visits.Get().(*visited)
	if v == nil {
		v = &visited{}
	}
	if len(v.stamp) < len(g.nodes) {
		v.stamp = make([]uint16, len(g.nodes)+len(g.nodes)/4)
		v.now = 0
	}
	v.now++
	if v.now == 0 { // wrapped: old stamps could collide
		clear(v.stamp)
		v.now = 1
	}
	return v
}

// mark records id as seen and says whether it was new.
func (v *visited) mark(id uint32) bool {
	if v.stamp[id] == v.now {
		return false
	}
	v.stamp[id] = v.now
	return true
}
