package snapshots

import (
	"slices"
	"time"
)

// Changes says how the live index differs from a snapshot, for the same
// search run again now to the same depth.
type Changes struct {
	CheckedAt  time.Time `json:"checked_at"`
	Generation uint64    `json:"index_generation"`
	// Total is how many documents match now, ranked by Mode (with Model's
	// vectors): a snapshot taken by meaning is compared by keywords when
	// the semantic layer is off now, and these say so.
	Total uint64 `json:"total"`
	Mode  string `json:"mode"`
	Model string `json:"embedding_model,omitempty"`
	// Added are documents that now rank within the snapshot's depth but
	// are not in it: new documents, or older ones that now match. Their
	// rank and metadata are today's.
	Added []Hit `json:"added"`
	// Removed are documents of the snapshot that are no longer in the
	// index, as frozen.
	Removed []Hit `json:"removed"`
	// Dropped are documents of the snapshot still in the index that no
	// longer rank within its depth (changed, or pushed down), as frozen.
	Dropped []Hit `json:"dropped"`
	// Same is true when the search lists the same documents in the same
	// order as the snapshot.
	Same bool `json:"same_ranking"`
}

// Compare lists what changed between s and now, the search's ranking
// today (to s's depth); exists says which of s's documents are still in
// the index.
func Compare(s *Snapshot, now []Hit, total uint64, generation uint64, exists map[string]bool) Changes {
	c := Changes{CheckedAt: time.Now().UTC(), Generation: generation, Total: total,
		Added: []Hit{}, Removed: []Hit{}, Dropped: []Hit{}}
	frozen := make(map[string]bool, len(s.Hits))
	for _, h := range s.Hits {
		frozen[h.ID] = true
	}
	current := make(map[string]bool, len(now))
	for _, h := range now {
		current[h.ID] = true
		if !frozen[h.ID] {
			c.Added = append(c.Added, h)
		}
	}
	for _, h := range s.Hits {
		switch {
		case !exists[h.ID]:
			c.Removed = append(c.Removed, h)
		case !current[h.ID]:
			c.Dropped = append(c.Dropped, h)
		}
	}
	c.Same = slices.Equal(s.IDs(), ids(now))
	return c
}

func ids(hs []Hit) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.ID
	}
	return out
}
