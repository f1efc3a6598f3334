package index

import (
	"encoding/json"
	"strconv"

	lru "github.com/hashicorp/golang-lru/v2"
)

// DefaultCacheSize is how many search results the index keeps. Query logs
// follow a Zipf law: a few hundred popular requests make most of the load.
const DefaultCacheSize = 2048

// resultCache remembers results by request and by the generations of the
// index and of the semantic vectors, so any write or newly embedded
// document makes every older entry unreachable (and LRU drops it).
type resultCache struct {
	lru *lru.Cache[string, *Results]
}

// generational is implemented by semantic rankers whose answers change
// as vectors arrive in the background.
type generational interface{ Generation() uint64 }

// SetCacheSize sets how many results are cached; 0 turns the cache off.
// Call before serving.
func (ix *Index) SetCacheSize(n int) {
	if n <= 0 {
		ix.cache = nil
		return
	}
	c, _ := lru.New[string, *Results](n)
	ix.cache = &resultCache{lru: c}
}

func (ix *Index) cacheKey(q Query) string {
	b, _ := json.Marshal(q) // field order is fixed, so equal requests are equal keys
	key := strconv.FormatUint(ix.Generation(), 36)
	if g, ok := ix.semantic.(generational); ok {
		key += "." + strconv.FormatUint(g.Generation(), 36)
	}
	return key + "|" + string(b)
}

func (c *resultCache) get(key string) (*Results, bool) {
	if c == nil {
		return nil, false
	}
	r, ok := c.lru.Get(key)
	if !ok {
		return nil, false
	}
	cp := *r // callers may set per-response fields such as TookMS
	return &cp, true
}

func (c *resultCache) put(key string, r *Results) {
	if c == nil || r.Semantic.Status == "unavailable" {
		return // a degraded answer must not outlive the outage
	}
	cp := *r
	c.lru.Add(key, &cp)
}
