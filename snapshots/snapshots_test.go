package snapshots

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"policysearch/index"
)

func TestStoreSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snapshots.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s := &Snapshot{Params: "q=tariffs", Ranking: Ranking{Mode: "keyword", Sort: "relevance"}, Total: 2, Cap: 1000,
		Hits: []Hit{{Rank: 1, ID: "a", Score: 1.5, Title: "A"}, {Rank: 2, ID: "b", Score: 0.5, Title: "B"}}}
	if err := st.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if !ValidID(s.ID) || s.Created.IsZero() {
		t.Fatalf("id %q created %v", s.ID, s.Created)
	}
	st.Close()
	st, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Get(s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Params != s.Params || !slices.Equal(got.IDs(), []string{"a", "b"}) || got.Hits[0].Score != 1.5 || !got.Created.Equal(s.Created) {
		t.Errorf("reopened snapshot = %+v, want %+v", got, s)
	}
	for _, id := range []string{"aaaaaaaaaa", "../etc", "", "AAAAAAAAAA"} {
		if _, err := st.Get(id); index.KindOf(err) != index.NotFound {
			t.Errorf("Get(%q) = %v, want not found", id, err)
		}
	}
}

func TestIDsAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		id := newID()
		if !ValidID(id) || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
}

func TestCompare(t *testing.T) {
	h := func(ids ...string) []Hit {
		var out []Hit
		for i, id := range ids {
			out = append(out, Hit{Rank: i + 1, ID: id})
		}
		return out
	}
	snap := &Snapshot{Hits: h("a", "b", "c")}
	all := map[string]bool{"a": true, "b": true, "c": true}
	cases := []struct {
		name                    string
		now                     []Hit
		exists                  map[string]bool
		added, removed, dropped []string
		same                    bool
	}{
		{"nothing changed", h("a", "b", "c"), all, nil, nil, nil, true},
		{"reordered", h("b", "a", "c"), all, nil, nil, nil, false},
		{"new document ranks", h("a", "n", "b"), all, []string{"n"}, nil, []string{"c"}, false},
		{"document deleted", h("a", "c"), map[string]bool{"a": true, "c": true}, nil, []string{"b"}, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Compare(snap, c.now, uint64(len(c.now)), 7, c.exists)
			if !slices.Equal(ids(got.Added), c.added) || !slices.Equal(ids(got.Removed), c.removed) ||
				!slices.Equal(ids(got.Dropped), c.dropped) || got.Same != c.same {
				t.Errorf("added %v removed %v dropped %v same %v; want %v %v %v %v",
					ids(got.Added), ids(got.Removed), ids(got.Dropped), got.Same, c.added, c.removed, c.dropped, c.same)
			}
		})
	}
}
