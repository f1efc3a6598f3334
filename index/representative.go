package index

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// A group of near-duplicate copies shows as one hit: its representative,
// chosen by a stated rule and never by arrival order, so that re-polling
// a feed cannot replace the user's own file:
//
//  1. the user's own document (an upload, a watched-folder or added file,
//     an API post) before a copy that came from a feed;
//  2. then the one with the richest metadata (most of url, source, source
//     type, authors, a stated publication date, country, language, tags);
//  3. then the earliest published (undated last);
//  4. then the smallest id.
//
// The rule picks among the copies a search matches (with its filters),
// so a filter on a feed's source still shows that feed's copy. The others
// are hidden from that search's hits, totals and facets, and every member
// stays stored and listed as "also published by": no metadata is lost.

// repKey is what the rule reads of a document.
type repKey struct {
	own       bool
	richness  int
	published time.Time // zero when undated or only inferred
}

// keyOf applies the rule's reading to d.
func keyOf(d *Document) repKey {
	k := repKey{own: !fromFeed(d.Origin)}
	for _, filled := range []bool{d.URL != "", d.Source != "", d.SourceType != "", len(d.Authors) > 0,
		stated(d), d.Country != "", d.Language != "", len(d.Tags) > 0} {
		if filled {
			k.richness++
		}
	}
	if stated(d) {
		k.published = d.Published.Time
	}
	return k
}

// fromFeed reports whether a document's origin is a feed subscription (a
// feed URL) rather than a path, an upload or an API post.
func fromFeed(origin string) bool {
	return strings.HasPrefix(origin, "http://") || strings.HasPrefix(origin, "https://")
}

// stated reports whether d's publication date was given rather than
// guessed (ingest records a guess, such as a PDF's creation date, under
// Extra["published_from"]).
func stated(d *Document) bool {
	if d.Published.IsZero() {
		return false
	}
	_, inferred := d.Extra["published_from"]
	return !inferred
}

// before reports whether the document a (key ka) represents a group
// before b.
func before(a string, ka repKey, b string, kb repKey) bool {
	if ka.own != kb.own {
		return ka.own
	}
	if ka.richness != kb.richness {
		return ka.richness > kb.richness
	}
	if ka.published.IsZero() != kb.published.IsZero() {
		return kb.published.IsZero()
	}
	if c := ka.published.Compare(kb.published); c != 0 {
		return c < 0
	}
	return a < b
}

// representative returns the member of ids the rule puts first.
func (ix *Index) representative(ids []string) (string, error) {
	keys, err := ix.repKeys(ids)
	if err != nil {
		return "", err
	}
	best := ids[0]
	for _, id := range ids[1:] {
		if before(id, keys[id], best, keys[best]) {
			best = id
		}
	}
	return best, nil
}

// repKeys reads the rule's keys of ids, from the cache or the store.
func (ix *Index) repKeys(ids []string) (map[string]repKey, error) {
	out := make(map[string]repKey, len(ids))
	if !ix.dups.loaded.Load() { // the tables still load (duprestart.go): read, do not cache
		for _, id := range ids {
			if d, err := ix.store.get(id); err != nil {
				return nil, err
			} else if d != nil {
				out[id] = keyOf(d)
			}
		}
		return out, nil
	}
	var missing []string
	ix.dups.mu.RLock()
	for _, id := range ids {
		if k, ok := ix.dups.keys[id]; ok {
			out[id] = k
		} else {
			missing = append(missing, id)
		}
	}
	ix.dups.mu.RUnlock()
	for _, id := range missing {
		d, err := ix.store.get(id)
		if err != nil {
			return nil, err
		}
		if d == nil {
			continue // deleted meanwhile: the zero key puts it last
		}
		k := keyOf(d)
		out[id] = k
		ix.dups.mu.Lock()
		if ix.dups.hasSignature(id) { // not removed while it was read
			ix.dups.keys[id] = k
		}
		ix.dups.mu.Unlock()
	}
	return out, nil
}

// hiddenCopies returns the documents matching base that a search hides:
// in each group of copies with two or more members among the matches,
// all but the one the rule puts first. One id query finds which copies
// match; searches over documents without copies cost nothing more.
func (ix *Index) hiddenCopies(ctx context.Context, base query.Query) ([]string, error) {
	linked := ix.dups.linkedIDs()
	if len(linked) == 0 {
		return nil, nil
	}
	ids, err := ix.matchingLinked(ctx, base, linked) // linked.go
	if err != nil {
		if ctx.Err() != nil {
			return nil, errSearchTimeout(err)
		}
		return nil, err
	}
	return ix.hiddenAmong(ids)
}

// hiddenAmong returns, of the linked documents a search matches (ids,
// sorted), those it hides.
func (ix *Index) hiddenAmong(ids []string) ([]string, error) {
	// One map, sized once: a broad page matches tens of thousands of
	// copies, and hashing their ids was most of this.
	const matched, done = 1, 2
	state := make(map[string]uint8, len(ids))
	for _, id := range ids {
		state[id] = matched
	}
	var hidden []string
	for _, id := range ids {
		if state[id] == done {
			continue
		}
		var members []string
		for _, m := range ix.dups.group(id) {
			if state[m] == matched {
				state[m] = done
				members = append(members, m)
			}
		}
		if len(members) < 2 {
			continue
		}
		rep, err := ix.representative(members)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			if m != rep {
				hidden = append(hidden, m)
			}
		}
	}
	slices.Sort(hidden)
	return hidden, nil
}

// visible is base without the copies it hides (see hiddenCopies).
func (ix *Index) visible(ctx context.Context, base query.Query) (query.Query, []string, error) {
	hidden, err := ix.hiddenCopies(ctx, base)
	if err != nil {
		return nil, nil, err
	}
	return ix.excluding(base, hidden), hidden, nil
}

// excluding is q without the hidden copies ids (sorted).
func (ix *Index) excluding(q query.Query, ids []string) query.Query {
	if len(ids) == 0 {
		return q
	}
	b := bleve.NewBooleanQuery()
	b.AddMust(q)
	b.AddMustNot(&hiddenQuery{ix: ix, ids: ids})
	return b
}

// withoutHidden drops hidden documents (sorted ids) from a semantic list.
func withoutHidden(list []SemanticMatch, hidden []string) []SemanticMatch {
	if len(hidden) == 0 {
		return list
	}
	out := make([]SemanticMatch, 0, len(list))
	for _, m := range list {
		if _, found := slices.BinarySearch(hidden, m.ID); !found {
			out = append(out, m)
		}
	}
	return out
}
