package index

import (
	"encoding/binary"
	"hash/fnv"
	"sort"
	"strings"
	"sync"
	"unicode"
)

// Near-duplicate detection for syndicated copies: the same article under
// several URLs, with small edits. Each document gets a MinHash signature of
// its word 3-shingles; two documents are copies when their estimated
// Jaccard similarity is at least dupJaccard. Locality-sensitive hashing
// (bands of rows) finds candidates without comparing every pair.
const (
	dupHashes  = 48
	dupBands   = 12
	dupRows    = dupHashes / dupBands
	dupJaccard = 0.7
	// dupMinWords keeps short texts (a headline, a stub) out: their
	// shingle sets are too small to call anything a copy.
	dupMinWords = 40
	shingle     = 3
)

// signature is a MinHash signature; nil means "too short to judge".
type signature []uint32

var dupSeeds = func() [dupHashes]uint64 {
	var s [dupHashes]uint64
	x := uint64(0x9E3779B97F4A7C15)
	for i := range s {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		s[i] = x | 1
	}
	return s
}()

// minhash returns text's signature, or nil when it is too short.
func minhash(text string) signature {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(words) < dupMinWords {
		return nil
	}
	sig := make(signature, dupHashes)
	for i := range sig {
		sig[i] = ^uint32(0)
	}
	h := fnv.New64a()
	for i := 0; i+shingle <= len(words); i++ {
		h.Reset()
		for _, w := range words[i : i+shingle] {
			h.Write([]byte(w))
			h.Write([]byte{0})
		}
		x := h.Sum64()
		for j, seed := range dupSeeds {
			// a cheap family of hash functions: multiply, then fold
			v := x * seed
			v ^= v >> 29
			if m := uint32(v >> 32); m < sig[j] {
				sig[j] = m
			}
		}
	}
	return sig
}

// similarity estimates the Jaccard similarity of two shingle sets.
func similarity(a, b signature) float64 {
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	return float64(same) / float64(len(a))
}

// bandKey is the FNV-1a hash of a band's rows, little-endian, computed
// inline: hash/fnv's interface allocated once per band and document.
func bandKey(sig signature, band int) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for _, v := range sig[band*dupRows : (band+1)*dupRows] {
		for s := 0; s < 32; s += 8 {
			h ^= uint64(byte(v >> s))
			h *= prime
		}
	}
	return h
}

// dupIndex holds every document's signature and the LSH band tables.
type dupIndex struct {
	mu    sync.RWMutex
	sigs  map[string]signature
	bands [dupBands]map[uint64][]string
	// linked holds the documents that have at least one copy, so that a
	// search finds the copies among its matches with one id query.
	linked map[string]bool
	// keys caches what the representative rule reads of each linked
	// document (see representative.go); dropped when it changes.
	keys map[string]repKey
}

func newDupIndex() *dupIndex {
	d := &dupIndex{sigs: map[string]signature{}, linked: map[string]bool{}, keys: map[string]repKey{}}
	for i := range d.bands {
		d.bands[i] = map[uint64][]string{}
	}
	return d
}

func (d *dupIndex) set(id string, sig signature) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.removeLocked(id)
	if len(sig) != dupHashes {
		return
	}
	d.sigs[id] = sig
	for i := range d.bands {
		k := bandKey(sig, i)
		d.bands[i][k] = append(d.bands[i][k], id)
	}
	d.neighbours(id, func(other string) bool {
		d.linked[id], d.linked[other] = true, true
		return true
	})
}

func (d *dupIndex) remove(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.removeLocked(id)
}

func (d *dupIndex) removeLocked(id string) {
	delete(d.keys, id)
	sig, ok := d.sigs[id]
	if !ok {
		return
	}
	var was []string // id's copies, which may have been its only copy
	d.neighbours(id, func(other string) bool { was = append(was, other); return true })
	defer func() {
		delete(d.linked, id)
		for _, o := range was {
			if !d.hasLocked(o) {
				delete(d.linked, o)
			}
		}
	}()
	delete(d.sigs, id)
	for i := range d.bands {
		k := bandKey(sig, i)
		ids := d.bands[i][k]
		for j, x := range ids {
			if x == id {
				ids = append(ids[:j], ids[j+1:]...)
				break
			}
		}
		if len(ids) == 0 {
			delete(d.bands[i], k)
		} else {
			d.bands[i][k] = ids
		}
	}
}

// neighbours calls fn for every document that is a copy of id.
func (d *dupIndex) neighbours(id string, fn func(string) bool) {
	sig := d.sigs[id]
	if sig == nil {
		return
	}
	checked := map[string]bool{id: true}
	for i := range d.bands {
		for _, other := range d.bands[i][bandKey(sig, i)] {
			if checked[other] {
				continue
			}
			checked[other] = true
			if similarity(sig, d.sigs[other]) >= dupJaccard && !fn(other) {
				return
			}
		}
	}
}

// group returns id's copies, itself included, following copy links
// transitively; nil when it has none.
func (d *dupIndex) group(id string) []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	seen := map[string]bool{id: true}
	queue := []string{id}
	for len(queue) > 0 && len(seen) < 1000 {
		cur := queue[0]
		queue = queue[1:]
		d.neighbours(cur, func(other string) bool {
			if !seen[other] {
				seen[other] = true
				queue = append(queue, other)
			}
			return true
		})
	}
	if len(seen) < 2 {
		return nil
	}
	out := make([]string, 0, len(seen))
	for x := range seen {
		out = append(out, x)
	}
	sort.Strings(out)
	return out
}

// has reports whether id has at least one copy.
func (d *dupIndex) has(id string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.hasLocked(id)
}

func (d *dupIndex) hasLocked(id string) bool {
	found := false
	d.neighbours(id, func(string) bool { found = true; return false })
	return found
}

// linkedIDs lists the documents that have copies, in id order.
func (d *dupIndex) linkedIDs() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]string, 0, len(d.linked))
	for id := range d.linked {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func encodeSignature(sig signature) []byte {
	b := make([]byte, 4*len(sig))
	for i, v := range sig {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return b
}

func decodeSignature(b []byte) signature {
	if len(b) != 4*dupHashes {
		return nil
	}
	sig := make(signature, dupHashes)
	for i := range sig {
		sig[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return sig
}

// load fills an empty index with the stored signatures (Open): the band
// tables first, then the copy links, from the buckets that hold more than
// one document only. Linking each document as it comes (set) walks its
// neighbours with a map of its own, for every document: 29 µs each,
// half a minute at a million.
func (d *dupIndex) load(each func(add func(id string, sig signature)) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	err := each(func(id string, sig signature) {
		if len(sig) != dupHashes {
			return
		}
		if _, dup := d.sigs[id]; dup {
			d.removeLocked(id)
		}
		d.sigs[id] = sig
		for i := range d.bands {
			k := bandKey(sig, i)
			d.bands[i][k] = append(d.bands[i][k], id)
		}
	})
	for i := range d.bands {
		for _, ids := range d.bands[i] {
			for a := 0; a < len(ids); a++ {
				for b := a + 1; b < len(ids); b++ {
					if d.linked[ids[a]] && d.linked[ids[b]] {
						continue
					}
					if similarity(d.sigs[ids[a]], d.sigs[ids[b]]) >= dupJaccard {
						d.linked[ids[a]], d.linked[ids[b]] = true, true
					}
				}
			}
		}
	}
	return err
}
