package index

import (
	"context"
	"testing"
)

func TestResultCache(t *testing.T) {
	ctx := context.Background()
	ix := openTest(t, fixture...)
	q := Query{Text: "tariffs"}
	first, err := ix.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	q.Validate() // Search keys on the request with its defaults filled in
	key := ix.cacheKey(q)
	if _, ok := ix.cache.get(key); !ok {
		t.Fatal("result not cached")
	}
	again, _ := ix.Search(ctx, q)
	if again.Total != first.Total || len(again.Hits) != len(first.Hits) {
		t.Errorf("cached result differs: %d vs %d", again.Total, first.Total)
	}
	// a write makes the old entry unreachable
	if _, err := ix.Put(ctx, []Document{{ID: "new", Text: "new tariffs on lumber"}}); err != nil {
		t.Fatal(err)
	}
	after, _ := ix.Search(ctx, q)
	if after.Total != first.Total+1 {
		t.Errorf("after a write total = %d, want %d", after.Total, first.Total+1)
	}
	if ix.cacheKey(q) == key {
		t.Error("cache key did not change with the index generation")
	}
	// the first result after the write emptied the cache of older ones
	if n := ix.cache.lru.Len(); n != 1 {
		t.Errorf("cache holds %d results after a write and one search, want 1", n)
	}
	// a search that began before the write does not put its result back
	ix.cache.put(key, first)
	if _, ok := ix.cache.get(key); ok || ix.cache.lru.Len() != 1 {
		t.Error("a result of an older generation was cached")
	}
	// degraded answers are not cached
	k := ix.cacheKey(Query{Text: "other"})
	ix.cache.put(k, &Results{Semantic: SemanticStatus{Status: "unavailable"}})
	if _, ok := ix.cache.get(k); ok {
		t.Error("an unavailable-semantic result was cached")
	}
	ix.SetCacheSize(0)
	if _, err := ix.Search(ctx, q); err != nil {
		t.Errorf("search without cache: %v", err)
	}
}
