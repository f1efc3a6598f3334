package index

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// BenchmarkDupIndexLoad is Open's loading of the stored fingerprints:
// time and heap per document at 100k random signatures (few copies, as in
// a real collection).
func BenchmarkDupIndexLoad(b *testing.B) {
	const n = 100_000
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]string, n)
	sigs := make([]signature, n)
	for i := range sigs {
		ids[i] = fmt.Sprintf("sotu-%d-passage-p%05d", i%200, i)
		sigs[i] = make(signature, dupHashes)
		for j := range sigs[i] {
			sigs[i][j] = rng.Uint32()
		}
	}
	var heap uint64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		d := newDupIndex()
		d.load(func(add func(string, signature)) error {
			for i := range ids {
				add(ids[i], sigs[i])
			}
			return nil
		}, n)
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(d)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/doc")
	b.ReportMetric(float64(heap)/n, "heap-B/doc")
}

// TestLoadLinksAsSetDoes: loading signatures in bulk links the same
// copies as adding them one by one.
func TestLoadLinksAsSetDoes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var ids []string
	var sigs []signature
	for i := range 2000 {
		sig := make(signature, dupHashes)
		for j := range sig {
			sig[j] = rng.Uint32()
		}
		if i%10 == 9 { // a near copy of an earlier one: most rows kept
			sig = append(signature(nil), sigs[rng.IntN(len(sigs))]...)
			for j := range 4 {
				sig[rng.IntN(dupHashes)] = uint32(j)
			}
		}
		ids, sigs = append(ids, fmt.Sprintf("d%d", i)), append(sigs, sig)
	}
	one, bulk := newDupIndex(), newDupIndex()
	for i := range ids {
		one.set(ids[i], sigs[i])
	}
	bulk.load(func(add func(string, signature)) error {
		for i := range ids {
			add(ids[i], sigs[i])
		}
		return nil
	}, 1000) // fewer than it loads: the tables grow past a hint
	a, b := one.linkedIDs(), bulk.linkedIDs()
	if len(a) < 100 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("linked one by one: %d, in bulk: %d (want the same, and copies)", len(a), len(b))
	}
	for _, id := range a[:10] {
		if fmt.Sprint(one.group(id)) != fmt.Sprint(bulk.group(id)) {
			t.Errorf("group of %s: %v one by one, %v in bulk", id, one.group(id), bulk.group(id))
		}
	}
}
