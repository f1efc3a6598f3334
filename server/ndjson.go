package server

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"policysearch/index"
	"policysearch/ingest"
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

// postNDJSON indexes a stream line by line, committing lines in Put's
// batches (each commit is an fsync) while the next lines are read. A bad
// line is reported with its number, in order, and the good lines around
// it are still indexed; each result line is written only after its
// document is durable.
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
	bulk := index.NewBulk(c, d.Index, func(items []index.BulkItem[int]) error {
		var failed error
		var done []index.PutResult
		for _, it := range items {
			r := lineResult{Line: it.Tag, Status: it.Status}
			if it.Doc != nil {
				r.ID = it.Doc.ID
			}
			if it.Err != nil {
				_, body := errorResponse(it.Err)
				r.Status, r.Error = "", &body.Error
				counts["failed"]++
				if it.Doc != nil {
					failed = it.Err
				}
			} else {
				counts[string(r.Status)]++
				done = append(done, index.PutResult{ID: r.ID, Status: r.Status})
			}
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		d.Metrics.Ingested("ndjson", done)
		d.Metrics.IngestFailed("ndjson", len(items)-len(done))
		c.Writer.Flush()
		if failed != nil && c.Request.Context().Err() == nil { // a client that went away is not a failure
			d.Log.Error("ndjson batch failed", "err", failed, "request_id", c.GetString(ctxRequestID))
		}
		return nil
	})
	defer bulk.Close() // a no-op after the Close below, but a panic must not leave its goroutine behind
	err := ingest.JSONLines(c, "", c.Request.Body, d.MaxLineBytes, func(rec ingest.Record) error {
		if rec.Err != nil {
			return bulk.Fail(rec.Line, rec.Err)
		}
		rec.Doc.EnsureID()
		return bulk.Add(rec.Line, rec.Doc)
	})
	// The lines read before a broken stream are still written and reported.
	if cerr := bulk.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_, body := errorResponse(err)
		d.Log.Warn("ndjson stream ended early", "err", err, "request_id", c.GetString(ctxRequestID))
		_ = enc.Encode(lineResult{Error: &body.Error})
		return
	}
	_ = enc.Encode(summaryLine{Summary: counts})
}
