package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"policysearch/index"
	"policysearch/snapshots"
	"policysearch/web"
)

var errSnapshotsOff = &index.Error{Kind: index.Unavailable, Code: "snapshots_off", Message: "snapshots are not enabled on this server"}

// snapshotRequest is the body of POST /api/snapshots: a search (see
// searchSpec) and optionally how many documents to freeze (at most the
// export cap, which is the default).
type snapshotRequest struct {
	searchSpec
	Limit int `json:"limit"`
}

// snapshotSummary answers POST /api/snapshots.
type snapshotSummary struct {
	ID         string            `json:"id"`
	URL        string            `json:"url"`
	Created    time.Time         `json:"created"`
	Params     string            `json:"params"`
	Query      queryView         `json:"query"`
	Ranking    snapshots.Ranking `json:"ranking"`
	Generation uint64            `json:"index_generation"`
	Total      uint64            `json:"total"`
	Count      int               `json:"count"`
	Cap        int               `json:"cap"`
	Export     map[string]string `json:"export"`
}

// snapshotDetail answers GET /api/snapshots/{id}: the frozen record with
// its ranked hits, and what changed since.
type snapshotDetail struct {
	snapshotSummary
	Notice  string            `json:"notice,omitempty"`
	Hits    []snapshots.Hit   `json:"hits"`
	Changes snapshots.Changes `json:"changes"`
}

// takeSnapshot runs q to depth limit and stores the ranking with its
// provenance.
func takeSnapshot(ctx context.Context, d *Deps, q index.Query, limit int) (*snapshots.Snapshot, error) {
	s := &snapshots.Snapshot{Params: canonical(q), Cap: limit, Generation: d.Index.Generation(), Hits: []snapshots.Hit{}}
	first := true
	err := walkRanking(ctx, d, q, limit, true, func(res *index.Results, rows []snapshots.Hit) error {
		if first {
			first = false
			s.Total, s.Notice = res.Total, res.Notice
			s.Ranking = snapshots.Ranking{Mode: res.Mode, Model: res.Semantic.Model, SemanticStatus: res.Semantic.Status,
				SemanticReason: res.Semantic.Reason, Sort: res.Sort}
			if res.Mode == index.ModeHybrid {
				s.Ranking.Fusion, s.Ranking.SemanticRatio = q.Fusion, q.SemanticRatio
				if s.Ranking.Fusion == "" {
					s.Ranking.Fusion = index.FusionRRF
				}
				if s.Ranking.SemanticRatio == nil {
					r := index.DefaultSemanticRatio
					s.Ranking.SemanticRatio = &r
				}
			}
		}
		s.Hits = append(s.Hits, rows...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := d.Snapshots.Create(ctx, s); err != nil {
		return nil, err
	}
	d.Log.Info("snapshot taken", "snapshot", s.ID, "documents", len(s.Hits), "params", s.Params)
	return s, nil
}

// compareSnapshot runs the snapshot's search again to its depth and says
// what changed.
func compareSnapshot(ctx context.Context, d *Deps, s *snapshots.Snapshot) (snapshots.Changes, error) {
	q, err := ParseParams(s.Params)
	if err != nil {
		return snapshots.Changes{}, err
	}
	var now []snapshots.Hit
	var res0 *index.Results
	err = walkRanking(ctx, d, q, max(s.Cap, len(s.Hits)), false, func(res *index.Results, rows []snapshots.Hit) error {
		if res0 == nil {
			res0 = res
		}
		now = append(now, rows...)
		return nil
	})
	if err != nil {
		return snapshots.Changes{}, err
	}
	exists, err := d.Index.Existing(ctx, s.IDs())
	if err != nil {
		return snapshots.Changes{}, err
	}
	ch := snapshots.Compare(s, now, res0.Total, d.Index.Generation(), exists)
	ch.Mode, ch.Model = res0.Mode, res0.Semantic.Model
	return ch, nil
}

func summarize(c *gin.Context, d *Deps, s *snapshots.Snapshot) snapshotSummary {
	base := baseURL(c, d)
	q, _ := ParseParams(s.Params)
	sum := snapshotSummary{ID: s.ID, URL: base + "/s/" + s.ID, Created: s.Created, Params: s.Params, Query: viewOf(q),
		Ranking: s.Ranking, Generation: s.Generation, Total: s.Total, Count: len(s.Hits), Cap: s.Cap, Export: map[string]string{}}
	for _, f := range []string{"csv", "json", "bibtex", "ris"} {
		sum.Export[f] = base + "/api/export?" + url.Values{"snapshot": {s.ID}, "format": {f}}.Encode()
	}
	return sum
}

// handleCreateSnapshot freezes a search: POST /api/snapshots.
func handleCreateSnapshot(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		if d.Snapshots == nil {
			writeError(c, d.Log, errSnapshotsOff)
			return
		}
		var req snapshotRequest
		if err := decodeBody(c, d, &req, "a snapshot takes params or the search parameters as fields (q, source, …, mode, fusion, semantic_ratio), and limit"); err != nil {
			writeError(c, d.Log, err)
			return
		}
		q, _, err := req.query()
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		limit := d.ExportCap
		if req.Limit != 0 {
			if req.Limit < 1 || req.Limit > d.ExportCap {
				writeError(c, d.Log, badRequest("invalid_limit", "limit", "limit must be from 1 to the export cap, "+strconv.Itoa(d.ExportCap)))
				return
			}
			limit = req.Limit
		}
		s, err := takeSnapshot(c, d, q, limit)
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		sum := summarize(c, d, s)
		c.Header("Location", "/api/snapshots/"+s.ID)
		c.JSON(http.StatusCreated, sum)
	}
}

// handleGetSnapshot returns a snapshot and what changed since.
func handleGetSnapshot(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		if d.Snapshots == nil {
			writeError(c, d.Log, errSnapshotsOff)
			return
		}
		s, err := d.Snapshots.Get(c.Param("id"))
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		ch, err := compareSnapshot(c, d, s)
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		c.JSON(http.StatusOK, snapshotDetail{snapshotSummary: summarize(c, d, s), Notice: s.Notice, Hits: s.Hits, Changes: ch})
	}
}

// handleSnapshotForm is the page's "Cite this search" button: it freezes
// the search in the form's fields and sends the browser to its page.
func handleSnapshotForm(d *Deps, pages *web.Pages) gin.HandlerFunc {
	return func(c *gin.Context) {
		form, ok := pageForm(c, d, pages)
		if !ok {
			return
		}
		if d.Snapshots == nil {
			pageError(c, d, pages, errSnapshotsOff)
			return
		}
		q, err := parseSearch(searchOnly(form))
		if err == nil {
			var s *snapshots.Snapshot
			if s, err = takeSnapshot(c, d, q, d.ExportCap); err == nil {
				c.Redirect(http.StatusSeeOther, "/s/"+s.ID)
				return
			}
		}
		pageError(c, d, pages, err)
	}
}

// handleSnapshotPage shows a snapshot's frozen ranking and what changed.
func handleSnapshotPage(d *Deps, pages *web.Pages) gin.HandlerFunc {
	return func(c *gin.Context) {
		if d.Snapshots == nil {
			pageError(c, d, pages, errNotFound("snapshots are not enabled on this server"))
			return
		}
		s, err := d.Snapshots.Get(c.Param("id"))
		if err != nil {
			pageError(c, d, pages, err)
			return
		}
		var changes *snapshots.Changes
		var prob *web.Problem
		if ch, err := compareSnapshot(c, d, s); err != nil {
			prob = pageProblem(c, d, err)
		} else {
			changes = &ch
		}
		page, err := intParam(c.Request.URL.Query(), "page")
		if err != nil {
			pageError(c, d, pages, err)
			return
		}
		render(c, d, pages, http.StatusOK, "snapshot", web.NewSnapshotPage(s, changes, prob, page, baseURL(c, d)))
	}
}
