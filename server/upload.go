package server

import (
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"policysearch/index"
	"policysearch/ingest"
)

// uploadExt names an upload without a name by its type, so the loader and
// the derived id see a file name.
var uploadExt = map[string]string{"application/pdf": ".pdf", "text/html": ".html", "application/xhtml+xml": ".html",
	"text/markdown": ".md", "text/x-markdown": ".md", "text/plain": ".txt"}

// postFile indexes one uploaded file — a PDF, HTML page, Markdown or text
// sent as the body of POST /api/documents with its own Content-Type —
// read exactly as a file in a folder is. ?name= is its file name (the
// origin its id derives from, so uploading the same name again updates
// it); ?url=, ?source=, ?source_type=, ?country=, ?published= and ?tag=
// (repeatable) set metadata the file does not carry.
func postFile(c *gin.Context, d *Deps, mt string) {
	q := c.Request.URL.Query()
	name := strings.TrimSpace(q.Get("name"))
	if name == "" {
		if _, p, err := mime.ParseMediaType(c.GetHeader("Content-Disposition")); err == nil {
			name = p["filename"]
		}
	}
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "" || name == "." || name == "/" {
		name = "upload" + uploadExt[mt]
	}
	var docs []index.Document
	body := http.MaxBytesReader(c.Writer, c.Request.Body, d.MaxBodyBytes)
	err := ingest.Load(c, "upload/"+name, body, c.GetHeader("Content-Type"), func(r ingest.Record) error {
		if r.Err != nil {
			return r.Err
		}
		docs = append(docs, r.Doc)
		return nil
	})
	if err != nil {
		writeError(c, d.Log, err)
		return
	}
	for i := range docs {
		if err := uploadMeta(&docs[i], q); err != nil {
			writeError(c, d.Log, err)
			return
		}
	}
	res, err := d.Index.Put(c, docs)
	if err != nil {
		writeError(c, d.Log, err)
		return
	}
	ids := make([]string, len(res))
	for i, r := range res {
		ids[i] = r.ID
	}
	c.JSON(writeStatus(http.StatusCreated, res), postResponse{IDs: ids, Results: res})
}

// uploadMeta applies the query's metadata; a url changes the id to the
// one derived from it, as for any document with a url.
func uploadMeta(doc *index.Document, q map[string][]string) error {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	for k, dst := range map[string]*string{"source": &doc.Source, "source_type": &doc.SourceType, "country": &doc.Country} {
		if v := get(k); v != "" {
			*dst = v
		}
	}
	if v := get("url"); v != "" {
		doc.URL, doc.ID = v, ""
		doc.EnsureID()
	}
	if v := get("published"); v != "" {
		p, err := index.ParseDate(v)
		if err != nil {
			return index.InvalidField("published", "%v", err)
		}
		ingest.StatePublished(doc, p)
	}
	doc.Tags = append(doc.Tags, q["tag"]...)
	return nil
}
