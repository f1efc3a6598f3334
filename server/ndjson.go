package server

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"policysearch/index"
	"policysearch/ingest"
)

// ndjsonBatch is how many good lines are committed together: each commit
// is an fsync, so batching is what makes bulk loads fast. A batch also
// ends at ndjsonBatchBytes of text, so long documents do not pile up.
const (
	ndjsonBatch      = 512
	ndjsonBatchBytes = 4 << 20
)

// lineResult is one line of the NDJSON response: the outcome of the input
// line with the same number.
type lineResult struct {
	Line   int          `json:"line"`
	ID     string       `json:"id,omitempty"`
	Status index.Status `json:"status,omitempty"`
	Error  *errorDetail `json:"error,omitempty"`
}

// summaryLine closes the NDJSON response.
type summaryLine struct {
	Summary map[string]int `json:"summary"`
}

// postNDJSON indexes a stream line by line. A bad line is reported with its
// number and the good lines around it are still indexed; each result line
// is written only after its document is durable.
func postNDJSON(c *gin.Context, d *Deps) {
	// Result lines go out while the body still streams in; without full
	// duplex, net/http would discard unread body (lines lost silently) at
	// the first flush.
	if err := http.NewResponseController(c.Writer).EnableFullDuplex(); err != nil {
		d.Log.Debug("ndjson: full duplex unavailable", "err", err)
	}
	c.Header("Content-Type", "application/x-ndjson")
	c.Status(http.StatusOK)
	enc := json.NewEncoder(c.Writer)
	counts := map[string]int{"added": 0, "updated": 0, "unchanged": 0, "failed": 0}
	var batch []index.Document
	var lines []int
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		res, err := d.Index.Put(c, batch)
		d.Metrics.Ingested("ndjson", res)
		for i, line := range lines {
			r := lineResult{Line: line, ID: batch[i].ID}
			if i < len(res) {
				r.Status = res[i].Status
				counts[string(r.Status)]++
			} else {
				_, body := errorResponse(err)
				r.Error = &body.Error
				counts["failed"]++
				d.Metrics.IngestFailed("ndjson", 1)
			}
			if werr := enc.Encode(r); werr != nil {
				return werr
			}
		}
		c.Writer.Flush()
		batch, lines, size = batch[:0], lines[:0], 0
		if err != nil {
			d.Log.Error("ndjson batch failed", "err", err, "request_id", c.GetString(ctxRequestID))
		}
		return nil
	}
	err := ingest.JSONLines(c, "", c.Request.Body, d.MaxLineBytes, func(rec ingest.Record) error {
		if rec.Err != nil {
			_, body := errorResponse(rec.Err)
			counts["failed"]++
			d.Metrics.IngestFailed("ndjson", 1)
			return enc.Encode(lineResult{Line: rec.Line, Error: &body.Error})
		}
		rec.Doc.EnsureID()
		batch = append(batch, rec.Doc)
		lines = append(lines, rec.Line)
		size += len(rec.Doc.Text) + len(rec.Doc.Title)
		if len(batch) >= ndjsonBatch || size >= ndjsonBatchBytes {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		_, body := errorResponse(err)
		d.Log.Warn("ndjson stream ended early", "err", err, "request_id", c.GetString(ctxRequestID))
		_ = enc.Encode(lineResult{Error: &body.Error})
		return
	}
	_ = enc.Encode(summaryLine{Summary: counts})
}
