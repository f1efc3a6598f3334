// Package ann finds approximate nearest neighbours among unit vectors by
// dot product: an HNSW graph, built one vector at a time, with deletes, filters and persistence.
//
// The graph owns the vectors (in fixed-size chunks, so growth never copies
// them all) and names nodes by small integers the caller chooses; a caller
// may reuse a deleted node's number for a new vector. It is not safe for
// concurrent use while it changes: callers hold a write lock around Set and
// Delete and a read lock around searches, which may run in parallel.
package ann

import (
	"math"
	"math/rand/v2"
	"sync"
)

const (
	chunkBits = 12 // 4,096 vectors per chunk
	chunkSize = 1 << chunkBits
)

// Options tune the graph; zero fields take the defaults.
type Options struct {
	// M is how many neighbours a node keeps per upper level; level 0 keeps
	// 2M. More means better recall and more memory and insert time.
	M int
	// EfConstruction is the beam width while inserting.
	EfConstruction int
	// Seed fixes the random levels, so the same inserts build the same graph.
	Seed uint64
}

func (o *Options) defaults() {
	if o.M == 0 {
		o.M = 16
	}
	if o.EfConstruction == 0 {
		o.EfConstruction = 64
	}
}

// Graph is an HNSW graph over vectors of one dimension.
type Graph struct {
	dims    int
	m, m0   int
	efBuild int
	mult    float64 // level multiplier 1/ln(M)
	rng     *rand.Rand

	chunks [][]float32
	nodes  []node
	entry  int32 // -1 when the graph has no node
	top    int   // entry's level
	live   int

	visits sync.Pool // *visited
}

type node struct {
	links   [][]uint32 // links[l]: neighbours at level l; nil for a number never set
	deleted bool
}

// New returns an empty graph for vectors of dims dimensions.
func New(dims int, o Options) *Graph {
	o.defaults()
	return &Graph{
		dims: dims, m: o.M, m0: 2 * o.M, efBuild: o.EfConstruction,
		mult: 1 / math.Log(float64(o.M)), rng: rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15)),
		entry: -1,
	}
}

// Dims is the vectors' dimension.
func (g *Graph) Dims() int { return g.dims }

// Len is the number of live (set and not deleted) nodes.
func (g *Graph) Len() int { return g.live }

// Cap is one more than the highest node number ever set.
func (g *Graph) Cap() int { return len(g.nodes) }

// Live reports whether node id holds a vector that searches may return.
func (g *Graph) Live(id uint32) bool {
	return int(id) < len(g.nodes) && g.nodes[id].links != nil && !g.nodes[id].deleted
}

// Vector returns node id's vector, which the caller must not change. A
// deleted node keeps its vector until its number is reused.
func (g *Graph) Vector(id uint32) []float32 {
	off := int(id&(chunkSize-1)) * g.dims
	return g.chunks[id>>chunkBits][off : off+g.dims : off+g.dims]
}

// grow makes room for node id.
func (g *Graph) grow(id uint32) {
	for int(id>>chunkBits) >= len(g.chunks) {
		g.chunks = append(g.chunks, make([]float32, chunkSize*g.dims))
	}
	for int(id) >= len(g.nodes) {
		g.nodes = append(g.nodes, node{})
	}
}

// Delete removes node id from search results. Its vector and links stay,
// so searches still pass through it, until Set reuses the number.
func (g *Graph) Delete(id uint32) {
	if g.Live(id) {
		g.nodes[id].deleted = true
		g.live--
	}
}

// Set stores vec as node id and links it into the graph. Setting a number
// that is live or deleted replaces its vector and relinks it: its own links
// are chosen afresh, while older links to it stay, which costs a little
// recall, not correctness, since every result is scored with its vector.
func (g *Graph) Set(id uint32, vec []float32) {
	g.grow(id)
	copy(g.Vector(id), vec)
	n := &g.nodes[id]
	if n.links == nil {
		n.links = make([][]uint32, g.randomLevel()+1)
		g.live++
	} else if n.deleted {
		g.live++
	}
	n.deleted = false
	level := len(n.links) - 1
	if g.entry < 0 {
		g.entry, g.top = int32(id), level
		return
	}
	q := g.Vector(id)
	ep := cand{uint32(g.entry), Dot(q, g.Vector(uint32(g.entry)))}
	for l := g.top; l > level; l-- {
		ep = g.greedy(q, ep, l)
	}
	admit := func(c uint32) bool { return c != id && !g.nodes[c].deleted }
	for l := min(level, g.top); l >= 0; l-- {
		found := g.searchLayer(q, ep, g.efBuild, l, admit, 0)
		if len(found.c) > 0 {
			ep = found.c[0]
		}
		chosen := g.selectNeighbours(found.c, g.m)
		links := make([]uint32, len(chosen), g.maxLinks(l)+g.maxLinks(l)/2+1)
		for i, c := range chosen {
			links[i] = c.id
		}
		g.nodes[id].links[l] = links
		for _, c := range chosen {
			g.link(c.id, id, l)
		}
	}
	if level > g.top {
		g.entry, g.top = int32(id), level
	}
}

func (g *Graph) randomLevel() int {
	l := int(-math.Log(1-g.rng.Float64()) * g.mult)
	return min(l, 16)
}

func (g *Graph) maxLinks(level int) int {
	if level == 0 {
		return g.m0
	}
	return g.m
}

// link adds to from's level-l neighbours, pruning them with the same
// heuristic as insertion when the list overflows.
func (g *Graph) link(from, to uint32, l int) {
	n := &g.nodes[from]
	if l >= len(n.links) {
		return
	}
	for _, x := range n.links[l] {
		if x == to {
			return
		}
	}
	max := g.maxLinks(l)
	// Lists may overflow by half before the heuristic prunes them back:
	// pruning costs some max² dot products, and paying it once per max/2
	// new links instead of once per link halves the cost of building.
	if len(n.links[l]) < max+max/2 {
		n.links[l] = append(n.links[l], to)
		return
	}
	base := g.Vector(from)
	cs := make([]cand, 0, len(n.links[l])+1)
	for _, x := range append(n.links[l], to) {
		cs = append(cs, cand{x, Dot(base, g.Vector(x))})
	}
	sortDesc(cs)
	chosen := g.selectNeighbours(cs, max)
	out := n.links[l][:0]
	for _, c := range chosen {
		out = append(out, c.id)
	}
	n.links[l] = out
}

// selectNeighbours is HNSW's heuristic (Malkov and Yashunin, algorithm 4,
// keeping pruned connections): a candidate, best first, is taken only if
// it is nearer the base than to every neighbour already taken, so links
// spread in all directions and clusters stay connected; the rest fill the
// remaining places. cs must be sorted best first.
func (g *Graph) selectNeighbours(cs []cand, m int) []cand {
	if len(cs) <= m {
		return cs
	}
	chosen := make([]cand, 0, m)
	var pruned []cand
	for _, c := range cs {
		if len(chosen) == m {
			break
		}
		v, good := g.Vector(c.id), true
		for _, r := range chosen {
			if Dot(v, g.Vector(r.id)) > c.sim {
				good = false
				break
			}
		}
		if good {
			chosen = append(chosen, c)
		} else {
			pruned = append(pruned, c)
		}
	}
	for _, c := range pruned {
		if len(chosen) == m {
			break
		}
		chosen = append(chosen, c)
	}
	return chosen
}

// Dot is the similarity of two vectors of equal length; for unit vectors
// it is their cosine. Four running sums let the CPU overlap the adds.
func Dot(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	b = b[:len(a)]
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}
