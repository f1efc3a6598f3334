package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"policysearch/index"
	"policysearch/snapshots"
)

// DefaultExportCap is how many documents an export or a snapshot holds
// at most, unless the server is configured otherwise (--export-cap).
const DefaultExportCap = 1000

// exportPage is how many hits one search of a ranking walk reads.
const exportPage = index.MaxSize

// walkRanking reads q's ranking from the top, a page at a time through
// the same search as /api/search, up to limit documents, and hands fn
// each page's rows and results. With docs set, rows carry what only the
// stored document knows (content hash, extra fields). A document seen on
// an earlier page (the index changed between pages) is not repeated.
func walkRanking(ctx context.Context, d *Deps, q index.Query, limit int, docs bool, fn func(res *index.Results, rows []snapshots.Hit) error) error {
	seen := map[string]bool{}
	rank := 0
	for p := 1; p <= index.MaxWindow/exportPage; p++ {
		q.Page, q.Size = p, exportPage
		res, err := search(ctx, d, q)
		if err != nil {
			return err
		}
		rows := make([]snapshots.Hit, 0, len(res.Hits))
		for _, h := range res.Hits {
			if seen[h.ID] || rank >= limit {
				continue
			}
			seen[h.ID] = true
			rank++
			var doc *index.Document
			if docs {
				if doc, err = d.Index.Get(ctx, h.ID); err != nil {
					doc = nil // deleted since the search: the hit still says what it was
				}
			}
			rows = append(rows, snapshots.FromHit(h, rank, doc))
		}
		if err := fn(res, rows); err != nil {
			return err
		}
		if rank >= limit || len(res.Hits) == 0 || uint64(p*exportPage) >= res.Total {
			return nil
		}
	}
	return nil
}

// handleExport streams a search's results, or a snapshot's frozen
// ranking (snapshot=ID), as CSV, JSON, BibTeX or RIS: up to limit (at
// most the export cap) documents with their metadata and a stable link
// each. Errors before the first row are JSON errors; a failure midway
// cuts the connection, so a truncated file is never taken for whole.
func handleExport(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		v := c.Request.URL.Query()
		f, limit, err := exportParams(v, d.ExportCap)
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		base := baseURL(c, d)
		if id := strings.TrimSpace(v.Get("snapshot")); id != "" {
			exportSnapshot(c, d, f, id, limit, base)
			return
		}
		q, err := parseSearch(searchOnly(v))
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		meta := exportMeta{Params: canonical(q), Generated: time.Now()}
		var w rowWriter
		err = walkRanking(c, d, q, limit, true, func(res *index.Results, rows []snapshots.Hit) error {
			if w == nil {
				meta.Total, meta.Mode = res.Total, res.Mode
				if w, err = startExport(c, f, meta, "policysearch-"+nameFor(q.Text)+"-"+meta.Generated.Format("2006-01-02")); err != nil {
					return err
				}
			}
			return writeRows(c, w, rows, res.Mode, base)
		})
		finishExport(c, d, w, err)
	}
}

// exportParams reads format (csv by default) and limit (the cap by
// default, at most the cap).
func exportParams(v url.Values, limitCap int) (exportFormat, int, error) {
	name := strings.ToLower(strings.TrimSpace(v.Get("format")))
	if name == "" {
		name = "csv"
	}
	f, ok := exportFormats[name]
	if !ok {
		return f, 0, badRequest("invalid_format", "format", "format must be one of csv, json, bibtex, ris")
	}
	limit := limitCap
	if s := strings.TrimSpace(v.Get("limit")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > limitCap {
			return f, 0, badRequest("invalid_limit", "limit", "limit must be a whole number from 1 to "+strconv.Itoa(limitCap))
		}
		limit = n
	}
	return f, limit, nil
}

func exportSnapshot(c *gin.Context, d *Deps, f exportFormat, id string, limit int, base string) {
	if d.Snapshots == nil {
		writeError(c, d.Log, errSnapshotsOff)
		return
	}
	for k := range searchOnly(c.Request.URL.Query()) {
		writeError(c, d.Log, badRequest("invalid_snapshot", "snapshot", "snapshot exports the frozen search; it cannot be combined with search parameters such as "+k))
		return
	}
	s, err := d.Snapshots.Get(id)
	if err != nil {
		writeError(c, d.Log, err)
		return
	}
	meta := exportMeta{Params: s.Params, Total: s.Total, Mode: s.Ranking.Mode, Snapshot: s.ID, Generated: time.Now()}
	w, err := startExport(c, f, meta, "policysearch-snapshot-"+s.ID)
	if err == nil {
		err = writeRows(c, w, s.Hits[:min(limit, len(s.Hits))], s.Ranking.Mode, base)
	}
	finishExport(c, d, w, err)
}

// startExport sends the headers and opens the format's writer.
func startExport(c *gin.Context, f exportFormat, m exportMeta, filename string) (rowWriter, error) {
	h := c.Writer.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Content-Disposition", `attachment; filename="`+filename+"."+f.ext+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Total-Count", strconv.FormatUint(m.Total, 10))
	c.Status(http.StatusOK)
	return f.open(c.Writer, m)
}

func writeRows(c *gin.Context, w rowWriter, rows []snapshots.Hit, mode, base string) error {
	for _, h := range rows {
		if err := w.row(exportRow{Hit: h, Link: base + "/doc/" + url.PathEscape(h.ID), Mode: mode}); err != nil {
			return err
		}
	}
	if err := w.flush(); err != nil {
		return err
	}
	c.Writer.Flush()
	return nil
}

// finishExport closes the document, or reports err: as a JSON error when
// nothing was sent yet, else by aborting the response.
func finishExport(c *gin.Context, d *Deps, w rowWriter, err error) {
	if err == nil && w != nil {
		err = w.end()
	}
	switch {
	case err == nil:
	case w == nil:
		writeError(c, d.Log, err)
	default:
		d.Log.Error("export cut short", "err", err, "request_id", c.GetString(ctxRequestID))
		panic(http.ErrAbortHandler)
	}
}

// nameFor makes a file name part of a query.
func nameFor(q string) string {
	if s := index.Slug(q, 40); s != "" {
		return s
	}
	return "all"
}
