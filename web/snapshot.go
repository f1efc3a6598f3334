package web

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"policysearch/snapshots"
)

// snapshotPageSize is how many frozen hits one page of a snapshot shows.
const snapshotPageSize = 100

// SnapshotPage shows a frozen search: its provenance, what changed since
// and the frozen ranking, titles as they were (so deleted documents still
// show, marked).
type SnapshotPage struct {
	Snap    *snapshots.Snapshot
	Changes *snapshots.Changes // nil when the comparison failed
	Problem *Problem           // why it failed
	URL     string             // the snapshot's absolute, citable URL
	Query   string
	Filters []Chip // Remove is empty: these describe, not edit
	Rerun   string // the search, live
	Export  []Choice
	Ranking string // mode and fusion settings, in words
	Created string

	Hits    []SnapHit
	Added   []SnapHit
	Removed []SnapHit
	Dropped []SnapHit
	Pager   Pager
}

// SnapHit is a frozen (or, in Added, current) hit.
type SnapHit struct {
	snapshots.Hit
	Href      string
	TypeLabel string
	Score     string
	Removed   bool // no longer in the index
	New       bool // not in the snapshot: it would appear now
}

// NewSnapshotPage builds the page for s, on page (1-based, 0 = 1) of its
// ranking. base is the service's address, for the citable URL.
func NewSnapshotPage(s *snapshots.Snapshot, ch *snapshots.Changes, prob *Problem, page int, base string) *SnapshotPage {
	v, _ := url.ParseQuery(s.Params)
	p := &SnapshotPage{Snap: s, Changes: ch, Problem: prob, URL: base + "/s/" + s.ID, Query: v.Get("q"),
		Rerun: "/?" + s.Params, Created: s.Created.UTC().Format("2 January 2006, 15:04 MST")}
	if s.Params == "" {
		p.Rerun = "/?sort=relevance"
	}
	for _, f := range []struct{ param, label string }{
		{"source", "Source"}, {"source_type", "Type"}, {"country", "Country"}, {"tag", "Tag"}, {"author", "Author"},
		{"language", "Language"}, {"from", "From"}, {"to", "To"}, {"sort", "Sort"},
	} {
		for _, val := range v[f.param] {
			if f.param == "source_type" {
				val = SourceTypeLabel(val)
			}
			p.Filters = append(p.Filters, Chip{Label: f.label, Value: val})
		}
	}
	for _, e := range ExportLinks(nil) {
		e.Href = strings.Replace(e.Href, "/api/export?", "/api/export?snapshot="+s.ID+"&", 1)
		p.Export = append(p.Export, e)
	}
	p.Ranking = rankingWords(s.Ranking)
	removed := map[string]bool{}
	if ch != nil {
		for _, h := range ch.Removed {
			removed[h.ID] = true
		}
		for _, h := range ch.Added {
			p.Added = append(p.Added, snapHit(h, false, true, v))
		}
		for _, h := range ch.Removed {
			p.Removed = append(p.Removed, snapHit(h, true, false, v))
		}
		for _, h := range ch.Dropped {
			p.Dropped = append(p.Dropped, snapHit(h, false, false, v))
		}
	}
	last := max(1, (len(s.Hits)+snapshotPageSize-1)/snapshotPageSize)
	page = min(max(page, 1), last)
	from := (page - 1) * snapshotPageSize
	for _, h := range s.Hits[from:min(from+snapshotPageSize, len(s.Hits))] {
		p.Hits = append(p.Hits, snapHit(h, removed[h.ID], false, v))
	}
	p.pager(page, last, from)
	return p
}

func snapHit(h snapshots.Hit, removed, isNew bool, search url.Values) SnapHit {
	sh := SnapHit{Hit: h, TypeLabel: SourceTypeLabel(h.SourceType), Removed: removed, New: isNew,
		Score: strconv.FormatFloat(h.Score, 'g', 4, 64)}
	if !removed {
		sh.Href = DocHref(h.ID, searchState(search))
	}
	if sh.Title == "" {
		sh.Title = h.ID
	}
	return sh
}

func (p *SnapshotPage) pager(page, last, from int) {
	pg := Pager{Page: page, Last: last, First: uint64(from + 1), End: uint64(from + len(p.Hits))}
	if len(p.Hits) == 0 {
		pg.First = 0
	}
	href := func(n int) string {
		if n == 1 {
			return "/s/" + p.Snap.ID
		}
		return "/s/" + p.Snap.ID + "?page=" + strconv.Itoa(n)
	}
	if page > 1 {
		pg.Prev = href(page - 1)
	}
	if page < last {
		pg.Next = href(page + 1)
	}
	if last > 1 {
		for n := 1; n <= last; n++ {
			pg.Links = append(pg.Links, PageLink{N: n, Href: href(n), Current: n == page})
		}
	}
	p.Pager = pg
}

// rankingWords describes how a snapshot was ranked.
func rankingWords(r snapshots.Ranking) string {
	var parts []string
	switch r.Mode {
	case "hybrid":
		s := "hybrid (keywords and meaning"
		if r.Fusion != "" {
			s += ", " + r.Fusion + " fusion"
		}
		if r.SemanticRatio != nil {
			s += ", semantic ratio " + strconv.FormatFloat(*r.SemanticRatio, 'f', -1, 64)
		}
		parts = append(parts, s+")")
	case "semantic":
		parts = append(parts, "semantic (by meaning)")
	default:
		parts = append(parts, "keyword")
	}
	if r.Model != "" && r.Mode != "keyword" {
		parts = append(parts, "embedding model "+r.Model)
	}
	if r.SemanticStatus == "unavailable" {
		parts = append(parts, "semantic ranking was unavailable: "+r.SemanticReason)
	}
	if r.Sort != "" && r.Sort != "relevance" {
		parts = append(parts, "sorted "+r.Sort+" first")
	}
	return strings.Join(parts, "; ")
}

// Title is the text of the page's <title>.
func (p *SnapshotPage) Title() string {
	q := strings.TrimSpace(p.Query)
	if q == "" {
		q = "all documents"
	}
	return "Snapshot " + p.Snap.ID + ": " + q + " – policysearch"
}

// Form is the header's search form, holding the snapshot's query.
func (p *SnapshotPage) Form() FormView { return FormView{Query: p.Query} }

// APIHref is the snapshot as JSON.
func (p *SnapshotPage) APIHref() string { return "/api/snapshots/" + p.Snap.ID }

// CreatedISO is the creation time for <time datetime>.
func (p *SnapshotPage) CreatedISO() string { return p.Snap.Created.UTC().Format(time.RFC3339) }

// Changed reports whether anything differs from the snapshot today.
func (p *SnapshotPage) Changed() bool {
	return p.Changes != nil && (len(p.Added) > 0 || len(p.Removed) > 0 || len(p.Dropped) > 0 || !p.Changes.Same)
}
