package index

import (
	"encoding/binary"
	"hash/fnv"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
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
// Documents are numbered (slots), and the signatures and band tables hold
// slots, not ids, in pointer-free memory: at a million passages the
// previous maps of ids (a map per band, a slice per bucket) held 1 KB a
// document on the heap, which the garbage collector scanned on every
// cycle, and loading them was most of a 25-second restart.
type dupIndex struct {
	mu   sync.RWMutex
	slot map[string]uint32 // id → slot
	ids  []string          // slot → id; "" for a free slot
	sigs []uint32          // slot's signature at [slot*dupHashes:]
	free []uint32          // slots to reuse
	// bands[i] maps a band key to the slot of its only document, or, for
	// a key that several documents share, to many+i into shared.
	bands  [dupBands]map[uint64]uint32
	shared [][]uint32
	// linked holds the documents that have at least one copy, so that a
	// search finds the copies among its matches with one id query.
	linked map[string]bool
	// keys caches what the representative rule reads of each linked
	// document (see representative.go); dropped when it changes.
	keys map[string]repKey
	// early is linked as the last clean Close recorded it, for searches
	// while the tables load (duprestart.go); loaded says they have.
	early       []string
	earlyGroups map[string][]string
	loaded      atomic.Bool
	// groups caches group's answers until the next change: a group is a
	// walk of band buckets and signature comparisons per member, and
	// every search asked it for each linked match and each shown hit.
	gmu    sync.Mutex
	groups map[string][]string
	sorted []string // linked in id order, until the next change
	// version counts changes, so that caches of the linked set know it.
	version atomic.Uint64
}

// changed drops the cached groups; called with mu held for writing.
func (d *dupIndex) changed() {
	d.version.Add(1)
	d.gmu.Lock()
	d.groups, d.sorted = nil, nil
	d.gmu.Unlock()
}

// many marks a band entry that indexes shared rather than naming a slot.
const many = 1 << 31

func newDupIndex() *dupIndex {
	d := &dupIndex{slot: map[string]uint32{}, linked: map[string]bool{}, keys: map[string]repKey{}}
	for i := range d.bands {
		d.bands[i] = map[uint64]uint32{}
	}
	return d
}

func (d *dupIndex) sigOf(slot uint32) signature {
	return d.sigs[int(slot)*dupHashes : int(slot+1)*dupHashes]
}

// bucket calls fn with each slot whose band i has key k.
func (d *dupIndex) bucket(i int, k uint64, fn func(uint32)) {
	v, ok := d.bands[i][k]
	switch {
	case !ok:
	case v&many == 0:
		fn(v)
	default:
		for _, s := range d.shared[v&^many] {
			fn(s)
		}
	}
}

func (d *dupIndex) bucketAdd(i int, k uint64, slot uint32) {
	v, ok := d.bands[i][k]
	switch {
	case !ok:
		d.bands[i][k] = slot
	case v&many == 0:
		d.shared = append(d.shared, []uint32{v, slot})
		d.bands[i][k] = many | uint32(len(d.shared)-1)
	default:
		d.shared[v&^many] = append(d.shared[v&^many], slot)
	}
}

// bucketRemove takes slot out of band i's key k. A shared list left with
// one slot goes back to a plain entry; its place in shared is left empty
// (reused by no one: buckets shared by copies are few).
func (d *dupIndex) bucketRemove(i int, k uint64, slot uint32) {
	v, ok := d.bands[i][k]
	switch {
	case !ok:
	case v&many == 0:
		if v == slot {
			delete(d.bands[i], k)
		}
	default:
		l := d.shared[v&^many]
		for j, x := range l {
			if x == slot {
				l = append(l[:j], l[j+1:]...)
				break
			}
		}
		if len(l) == 1 {
			d.shared[v&^many] = nil
			d.bands[i][k] = l[0]
		} else {
			d.shared[v&^many] = l
		}
	}
}

// add stores sig under id (absent) and files it in the band tables.
func (d *dupIndex) add(id string, sig signature) uint32 {
	var slot uint32
	if n := len(d.free); n > 0 {
		slot, d.free = d.free[n-1], d.free[:n-1]
		d.ids[slot] = id
		copy(d.sigOf(slot), sig)
	} else {
		slot = uint32(len(d.ids))
		d.ids = append(d.ids, id)
		d.sigs = append(d.sigs, sig...)
	}
	d.slot[id] = slot
	for i := range d.bands {
		d.bucketAdd(i, bandKey(sig, i), slot)
	}
	return slot
}

func (d *dupIndex) set(id string, sig signature) {
	d.mu.Lock()
	defer d.mu.Unlock()
	defer d.changed()
	d.removeLocked(id)
	if len(sig) != dupHashes {
		return
	}
	d.add(id, sig)
	d.neighbours(id, func(other string) bool {
		d.linked[id], d.linked[other] = true, true
		return true
	})
}

func (d *dupIndex) remove(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	defer d.changed()
	d.removeLocked(id)
}

func (d *dupIndex) removeLocked(id string) {
	delete(d.keys, id)
	slot, ok := d.slot[id]
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
	sig := d.sigOf(slot)
	for i := range d.bands {
		d.bucketRemove(i, bandKey(sig, i), slot)
	}
	delete(d.slot, id)
	d.ids[slot] = ""
	d.free = append(d.free, slot)
}

// has a signature: the document is long enough to judge.
func (d *dupIndex) hasSignature(id string) bool {
	_, ok := d.slot[id]
	return ok
}

// neighbours calls fn for every document that is a copy of id.
func (d *dupIndex) neighbours(id string, fn func(string) bool) {
	slot, ok := d.slot[id]
	if !ok {
		return
	}
	sig := d.sigOf(slot)
	checked := []uint32{slot} // a few: candidates share a band
	stop := false
	for i := range d.bands {
		d.bucket(i, bandKey(sig, i), func(other uint32) {
			if stop || slices.Contains(checked, other) {
				return
			}
			checked = append(checked, other)
			if similarity(sig, d.sigOf(other)) >= dupJaccard && !fn(d.ids[other]) {
				stop = true
			}
		})
		if stop {
			return
		}
	}
}

// group returns id's copies, itself included, following copy links
// transitively; nil when it has none.
func (d *dupIndex) group(id string) []string {
	if !d.loaded.Load() && d.earlyGroups != nil {
		return slices.Clone(d.earlyGroups[id])
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	d.gmu.Lock()
	g, ok := d.groups[id]
	d.gmu.Unlock()
	if ok {
		return slices.Clone(g)
	}
	g = d.walkGroup(id)
	d.gmu.Lock()
	if d.groups == nil {
		d.groups = map[string][]string{}
	}
	if len(g) < maxGroup { // a whole group: every member's walk finds it
		for _, m := range g {
			d.groups[m] = g
		}
	}
	d.groups[id] = g
	d.gmu.Unlock()
	return slices.Clone(g)
}

// maxGroup bounds a group's walk.
const maxGroup = 1000

// walkGroup follows id's copy links; d.mu is held for reading.
func (d *dupIndex) walkGroup(id string) []string {
	seen := map[string]bool{id: true}
	queue := []string{id}
	for len(queue) > 0 && len(seen) < maxGroup {
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

// linkedIDs lists the documents that have copies, in id order: while the
// tables load in the background, the set the last Close recorded.
//
// The slice is shared: callers must not change it.
func (d *dupIndex) linkedIDs() []string {
	if !d.loaded.Load() && d.early != nil {
		return d.early
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	d.gmu.Lock()
	defer d.gmu.Unlock()
	if d.sorted == nil {
		d.sorted = make([]string, 0, len(d.linked))
		for id := range d.linked {
			d.sorted = append(d.sorted, id)
		}
		sort.Strings(d.sorted)
	}
	return d.sorted
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

// load fills an empty index with the stored signatures (Open), hint of
// them (a guess; 0 when unknown): the band
// tables first, then the copy links, from the buckets that hold more than
// one document only. Linking each document as it comes (set) walks its
// neighbours for every document.
func (d *dupIndex) load(each func(add func(id string, sig signature)) error, hint int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.loadLocked(each, hint)
}

// loadLocked is load with d.mu held by the caller; it marks d loaded.
func (d *dupIndex) loadLocked(each func(add func(id string, sig signature)) error, hint int) error {
	defer d.loaded.Store(true)
	if hint > len(d.slot) { // sized once: growing rehashes every table several times
		d.slot = make(map[string]uint32, hint)
		d.ids = make([]string, 0, hint)
		d.sigs = make([]uint32, 0, hint*dupHashes)
		for i := range d.bands {
			d.bands[i] = make(map[uint64]uint32, hint)
		}
	}
	defer d.changed()
	err := each(func(id string, sig signature) {
		if len(sig) != dupHashes {
			return
		}
		if _, dup := d.slot[id]; dup {
			d.removeLocked(id)
		}
		d.add(id, sig)
	})
	for _, l := range d.shared {
		for a := 0; a < len(l); a++ {
			for b := a + 1; b < len(l); b++ {
				x, y := d.ids[l[a]], d.ids[l[b]]
				if d.linked[x] && d.linked[y] {
					continue
				}
				if similarity(d.sigOf(l[a]), d.sigOf(l[b])) >= dupJaccard {
					d.linked[x], d.linked[y] = true, true
				}
			}
		}
	}
	return err
}
