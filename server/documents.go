package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"policysearch/embedding"
	"policysearch/index"
	"policysearch/ingest"
)

// postResponse answers POST /api/documents.
type postResponse struct {
	IDs     []string          `json:"ids"`
	Results []index.PutResult `json:"results"`
}

// documentResponse is a stored document plus, when the semantic layer is
// on, its embedding status.
type documentResponse struct {
	*index.Document
	Embedding *embedding.DocStatus `json:"embedding,omitempty"`
	// Copies are syndicated copies of the document, earliest first.
	Copies []index.Copy `json:"copies,omitempty"`
}

func handleGetDocument(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		doc, err := d.Index.Get(c, c.Param("id"))
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		if doc.Origin != "" && !writable(c, d) {
			// Origin is a path on the server (or a feed's URL): how the
			// service is laid out is for those who may change it, the
			// same rule as writes. The stored document is shared, so
			// the change is made on a copy.
			cp := *doc
			cp.Origin = ""
			doc = &cp
		}
		resp := documentResponse{Document: doc}
		if resp.Copies, err = d.Index.Copies(c, doc.ID); err != nil {
			writeError(c, d.Log, err)
			return
		}
		if d.Embeddings != nil {
			resp.Embedding = d.Embeddings.DocStatus(doc.ID)
		}
		c.JSON(http.StatusOK, resp)
	}
}

// handleSimilar lists related documents: by passage vectors, or by shared
// keywords when the document has none.
func handleSimilar(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		n, err := intParam(c.Request.URL.Query(), "size")
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		if n == 0 {
			n = 10
		}
		if n > index.MaxSize {
			writeError(c, d.Log, badRequest("invalid_size", "size", "size must be at most 100"))
			return
		}
		res, err := d.Index.Similar(c, c.Param("id"), n)
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		c.JSON(http.StatusOK, res)
	}
}

// handlePostDocuments takes one JSON document or an array (all or
// nothing), or an NDJSON stream (line by line).
func handlePostDocuments(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
		switch mt {
		case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines":
			postNDJSON(c, d)
			return
		case "", "application/json", "text/json":
		default:
			if ingest.FileType(mt) { // a PDF, page or text file as it is (upload.go)
				postFile(c, d, mt)
				return
			}
			writeError(c, d.Log, &apiError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
				msg: fmt.Sprintf("content type %q is not accepted; send application/json, application/x-ndjson or a file as application/pdf, text/html, text/markdown or text/plain", mt)})
			return
		}
		docs, err := decodeDocuments(http.MaxBytesReader(c.Writer, c.Request.Body, d.MaxBodyBytes))
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		for i := range docs {
			docs[i].EnsureID()
		}
		res, err := d.Index.Put(c, docs)
		if err != nil {
			d.Metrics.IngestFailed("json", len(docs))
			writeError(c, d.Log, err)
			return
		}
		d.Metrics.Ingested("json", res)
		ids := make([]string, len(res))
		for i, r := range res {
			ids[i] = r.ID
		}
		c.JSON(writeStatus(http.StatusCreated, res), postResponse{IDs: ids, Results: res})
	}
}

// decodeDocuments reads a JSON object or an array of objects.
func decodeDocuments(r io.Reader) ([]index.Document, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, badRequest("empty_body", "", "the request body is empty; send a JSON document or an array of them")
	}
	var raws []json.RawMessage
	if body[0] == '[' {
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, badJSON(err)
		}
		if len(raws) == 0 {
			return nil, badRequest("empty_body", "", "the array holds no documents")
		}
	} else {
		raws = []json.RawMessage{body}
	}
	docs := make([]index.Document, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &docs[i]); err != nil {
			if len(raws) > 1 {
				return nil, badRequest("invalid_document", "", fmt.Sprintf("document %d: %s", i+1, jsonMessage(err)))
			}
			return nil, badRequest("invalid_document", "", jsonMessage(err))
		}
	}
	return docs, nil
}

func badJSON(err error) error {
	return badRequest("invalid_json", "", "the body is not valid JSON: "+jsonMessage(err))
}

// jsonMessage explains a decoding error without Go type names.
func jsonMessage(err error) string {
	var ie *index.Error
	if errors.As(err, &ie) {
		return ie.Field + ": " + ie.Message
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", se.Error(), se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q has the wrong type (got %s)", te.Field, te.Value)
	}
	return err.Error()
}

func handlePutDocument(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		docs, err := decodeDocuments(http.MaxBytesReader(c.Writer, c.Request.Body, d.MaxBodyBytes))
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		if len(docs) != 1 {
			writeError(c, d.Log, badRequest("invalid_document", "", "PUT takes one document, not an array"))
			return
		}
		id := c.Param("id")
		doc := docs[0]
		if doc.ID != "" && doc.ID != id {
			writeError(c, d.Log, badRequest("id_mismatch", "id", fmt.Sprintf("the body's id %q differs from the path's %q", doc.ID, id)))
			return
		}
		doc.ID = id
		res, err := d.Index.Put(c, []index.Document{doc})
		if err != nil {
			d.Metrics.IngestFailed("json", 1)
			writeError(c, d.Log, err)
			return
		}
		d.Metrics.Ingested("json", res)
		status := http.StatusOK
		if res[0].Status == index.Added {
			status = http.StatusCreated
		}
		c.JSON(writeStatus(status, res), res[0])
	}
}

func handleDeleteDocument(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.Param("id")
		if err := d.Index.Delete(c, id); err != nil {
			if acc, ok := errors.AsType[*index.Accepted](err); ok {
				c.JSON(http.StatusAccepted, gin.H{"id": id, "deleted": true, "pending": true, "sequence": acc.Seq})
				return
			}
			writeError(c, d.Log, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"id": id, "deleted": true})
	}
}
