package index

import (
	"slices"
	"sort"
	"sync"

	bindex "github.com/blevesearch/bleve_index_api"
)

// A broad page matches tens of thousands of copies, and hiddenAmong
// grouped them by id: a map entry per match, a group walk and a read of
// the rule's keys per group, 20 ms of a page at 10^6 passages. The groups
// and the order the rule puts their members in change only with the
// copies (every write moves dupIndex.version), so they are kept per
// version as positions in the sorted linked set, and the hidden copies
// of a bound cut's scan, which knows its matches by their place among
// the linked numbers (candidates.go), are array lookups.

// copyOrder is the linked set's groups for one version of the copies.
type copyOrder struct {
	version uint64
	ids     []string         // the linked set, sorted
	at      map[string]int32 // id → position in ids
	group   []int32          // position in ids → its group
	order   [][]int32        // group → member positions, the rule's first first

	mu        sync.Mutex
	posReader bindex.IndexReader // the snapshot pos belongs to
	pos       []int32            // linkedOn's internal order → position in ids
}

// copyOrders caches the copy order of the latest version built.
type copyOrders struct {
	mu       sync.Mutex
	last     *copyOrder
	building bool
	closed   bool
	done     sync.WaitGroup // the build in progress
}

// close waits for a build in progress and starts no other.
func (c *copyOrders) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.done.Wait()
}

// currentCopyOrder returns the copy order of the current version, or nil
// while it is built: on its own goroutine, since a write changes the
// version and a search should not wait for the whole linked set to be
// grouped again (it groups its own matches meanwhile, as before).
func (ix *Index) currentCopyOrder() *copyOrder {
	c := &ix.copyOrders
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last != nil && c.last.version == ix.dups.version.Load() {
		return c.last
	}
	if !c.building && !c.closed && ix.dups.loaded.Load() {
		c.building = true
		c.done.Add(1)
		go func() {
			defer c.done.Done()
			o, err := ix.buildCopyOrder()
			c.mu.Lock()
			defer c.mu.Unlock()
			c.building = false
			if err != nil {
				ix.log.Debug("grouping the copies", "err", err)
				return
			}
			if o != nil {
				c.last = o
			}
		}()
	}
	return nil
}

// buildCopyOrder groups the current version's linked set, or returns nil
// when it cannot be kept: the tables still load, the copies changed
// meanwhile, or a group is larger than a walk covers (its members' walks
// may then differ).
func (ix *Index) buildCopyOrder() (*copyOrder, error) {
	if !ix.dups.loaded.Load() {
		return nil, nil
	}
	v := ix.dups.version.Load()
	ids := ix.dups.linkedIDs()
	o := &copyOrder{version: v, ids: ids, at: make(map[string]int32, len(ids)), group: make([]int32, len(ids))}
	for i, id := range ids {
		o.at[id] = int32(i)
		o.group[i] = -1
	}
	for p, id := range ids {
		if o.group[p] >= 0 {
			continue
		}
		members := ix.dups.group(id)
		if len(members) >= maxGroup {
			return nil, nil
		}
		keys, err := ix.repKeys(members)
		if err != nil {
			return nil, err
		}
		slices.SortFunc(members, func(a, b string) int {
			switch {
			case before(a, keys[a], b, keys[b]):
				return -1
			case before(b, keys[b], a, keys[a]):
				return 1
			}
			return 0
		})
		g := int32(len(o.order))
		var order []int32
		for _, m := range members {
			at, ok := o.at[m]
			if !ok || o.group[at] >= 0 {
				continue
			}
			o.group[at] = g
			order = append(order, at)
		}
		o.order = append(o.order, order)
	}
	if ix.dups.version.Load() != v {
		return nil, nil
	}
	return o, nil
}

// positions returns, for linkedOn's numbers on snapshot r (internal, and
// their ids in external), each one's position in the linked set, or nil
// when one is not in it (another version).
func (o *copyOrder) positions(r bindex.IndexReader, internal []bindex.IndexInternalID, external map[string]string) []int32 {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.posReader == r && len(o.pos) == len(internal) {
		return o.pos
	}
	pos := make([]int32, len(internal))
	for i, n := range internal {
		p, ok := o.at[external[string(n)]]
		if !ok {
			return nil
		}
		pos[i] = p
	}
	o.posReader, o.pos = r, pos
	return pos
}

// hidden returns the copies a page hides when it matches the linked
// documents at positions matched (in any order): in each group with two
// or more of them, all but the first in the rule's order; sorted.
func (o *copyOrder) hidden(matched []int32) []string {
	is := make([]bool, len(o.ids))
	for _, p := range matched {
		is[p] = true
	}
	done := make(map[int32]bool)
	var out []int
	for _, p := range matched {
		g := o.group[p]
		if done[g] {
			continue
		}
		done[g] = true
		first := true
		for _, m := range o.order[g] {
			if !is[m] {
				continue
			}
			if first {
				first = false
				continue
			}
			out = append(out, int(m))
		}
	}
	sort.Ints(out)
	hidden := make([]string, len(out))
	for i, p := range out {
		hidden[i] = o.ids[p]
	}
	return hidden
}

// scanCopies is what a scan on one snapshot needs to find the copies a
// page hides: the linked documents' numbers in order, and their ids.
type scanCopies struct {
	reader   bindex.IndexReader
	internal []bindex.IndexInternalID
	external map[string]string
	numbers  []uint64
}

// copiesOn reads the linked documents' numbers on snapshot r.
func (ix *Index) copiesOn(r bindex.IndexReader) (*scanCopies, error) {
	internal, external, nums, err := ix.linkedOn(r, ix.dups.linkedIDs()) // linked.go
	if err != nil {
		return nil, err
	}
	return &scanCopies{reader: r, internal: internal, external: external, numbers: nums}, nil
}

// hidden returns the copies a page hides when it matches the linked
// documents at places matched of s.numbers: from the copy order when it
// is current, and otherwise by grouping them (hiddenAmong).
func (s *scanCopies) hidden(ix *Index, matched []int32) ([]string, error) {
	if o := ix.currentCopyOrder(); o != nil {
		if pos := o.positions(s.reader, s.internal, s.external); pos != nil {
			at := make([]int32, len(matched))
			for i, m := range matched {
				at[i] = pos[m]
			}
			return o.hidden(at), nil
		}
	}
	ids := make([]string, len(matched))
	for i, m := range matched {
		ids[i] = s.external[string(s.internal[m])]
	}
	slices.Sort(ids)
	return ix.hiddenAmong(ids)
}
