package index

import (
	"encoding/json"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
)

// DefaultCacheSize is how many search results the index keeps. Query logs
// follow a Zipf law: a few hundred popular requests make most of the load.
const DefaultCacheSize = 2048

// resultCache remembers results of one generation of the index and of the
// semantic vectors. An entry of an older generation can never be asked
// for again, so the first result of a newer generation empties the cache
// instead of leaving up to its size of dead pages in memory; a result of
// an older one (a search that began before a write) is not kept.
type resultCache struct {
	lru *lru.Cache[string, *Results]
	mu  sync.Mutex
	gen cacheGen // the generation the entries belong to
}

// cacheGen is the index generation and the vector generation.
type cacheGen struct{ index, vectors uint64 }

func (g cacheGen) before(o cacheGen) bool {
	return g.index < o.index || (g.index == o.index && g.vectors < o.vectors)
}

// cacheKey is a request's generation and its canonical form.
type cacheKey struct {
	gen cacheGen
	req string
}

// generational is implemented by semantic rankers whose answers change
// as vectors arrive in the background.
type generational interface{ Generation() uint64 }

// SetCacheSize sets how many results are cached; 0 turns the cache off,
// and the rank cache of deep pages with it.
// Call before serving.
func (ix *Index) SetCacheSize(n int) {
	if n <= 0 {
		ix.cache, ix.ranks = nil, nil
		return
	}
	ix.ranks = newRankCache(rankCacheSize)
	c, _ := lru.New[string, *Results](n)
	ix.cache = &resultCache{lru: c}
}

func (ix *Index) cacheKey(q Query) cacheKey {
	b, _ := json.Marshal(q) // field order is fixed, so equal requests are equal keys
	k := cacheKey{gen: cacheGen{index: ix.Generation()}, req: string(b)}
	if g, ok := ix.semantic.(generational); ok {
		k.gen.vectors = g.Generation()
	}
	return k
}

func (c *resultCache) get(k cacheKey) (*Results, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	current := c.gen == k.gen
	c.mu.Unlock()
	if !current {
		return nil, false
	}
	r, ok := c.lru.Get(k.req)
	if !ok {
		return nil, false
	}
	cp := *r // callers may set per-response fields such as TookMS
	return &cp, true
}

func (c *resultCache) put(k cacheKey, r *Results) {
	if c == nil || r.Semantic.Status == "unavailable" {
		return // a degraded answer must not outlive the outage
	}
	cp := *r
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case k.gen.before(c.gen):
		return
	case c.gen.before(k.gen):
		c.lru.Purge()
		c.gen = k.gen
	}
	c.lru.Add(k.req, &cp)
}
