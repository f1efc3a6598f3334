package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"policysearch/index"
	"policysearch/web"
)

// handlePage renders the search page. It reads the same parameters as
// /api/search through parseSearch, so a page URL and an API URL mean the
// same search. Errors show on the page itself with the status the API
// would give.
func handlePage(d *Deps, pages *web.Pages) gin.HandlerFunc {
	return func(c *gin.Context) {
		params := c.Request.URL.Query()
		var res *index.Results
		var prob *web.Problem
		q, err := parseSearch(params)
		if !params.Has("facet_mode") {
			// Ticking a second source must stay possible: the sidebar
			// counts a filtered field's values as if it were unfiltered.
			q.FacetMode = index.FacetsMulti
		}
		pageFacets(&q, params)
		if err == nil && (q.Text != "" || len(params) > 0) {
			res, err = search(c, d, q)
		}
		status := http.StatusOK
		if err != nil {
			prob = pageProblem(c, d, err)
			status = prob.Status
		}
		page := web.NewSearchPage(params, res, prob)
		if t := page.Tools; t != nil {
			t.Cite, t.Writable = d.Snapshots != nil, writable(c, d)
			if d.Alerts != nil {
				t.Alerts = alertsPanel(c, d, q)
			}
		}
		if page.Empty() {
			page.Collection = collection(c, d)
		}
		render(c, d, pages, status, "search", page)
	}
}

// relatedCount is how many related documents a document page lists.
const relatedCount = 5

// handleDocPage renders one document in full, with the words of the
// search it was reached from (its q parameter) highlighted.
func handleDocPage(d *Deps, pages *web.Pages) gin.HandlerFunc {
	return func(c *gin.Context) {
		doc, err := d.Index.Get(c, c.Param("id"))
		if err != nil {
			prob := pageProblem(c, d, err)
			page := &web.ErrorPage{Status: prob.Status, Heading: "Something went wrong", Message: prob.Message}
			if prob.Status == http.StatusNotFound {
				page.Heading = "No such document"
				page.Message = "There is no document with this id. It may have been deleted, or the link may be mistyped."
			}
			page.Query = strings.TrimSpace(c.Query("q"))
			render(c, d, pages, prob.Status, "error", page)
			return
		}
		related, err := d.Index.Similar(c, doc.ID, relatedCount)
		if err != nil { // the document still shows; only the list is missing
			d.Log.Warn("related documents", "id", doc.ID, "err", err, "request_id", c.GetString(ctxRequestID))
			related = nil
		}
		copies, err := d.Index.Copies(c, doc.ID)
		if err != nil { // as with related documents: the page still shows
			d.Log.Warn("copies of a document", "id", doc.ID, "err", err, "request_id", c.GetString(ctxRequestID))
		}
		render(c, d, pages, http.StatusOK, "doc", web.NewDocPage(doc, c.Request.URL.Query(), related).WithCopies(copies))
	}
}

// handleNoRoute answers unknown routes: a page for browsers, the JSON
// error for the API and every other client.
func handleNoRoute(d *Deps, pages *web.Pages) gin.HandlerFunc {
	return func(c *gin.Context) {
		path := c.Request.URL.Path
		if c.Request.Method == http.MethodGet && !strings.HasPrefix(path, "/api/") && wantsHTML(c.GetHeader("Accept")) {
			render(c, d, pages, http.StatusNotFound, "error", &web.ErrorPage{Status: http.StatusNotFound,
				Heading: "Page not found", Message: "There is no page at this address."})
			return
		}
		writeError(c, d.Log, errNotFound("no such route: "+c.Request.Method+" "+path))
	}
}

// wantsHTML reports whether an Accept header asks for HTML explicitly, as
// browsers' navigations do; "*/*" alone (curl) gets JSON.
func wantsHTML(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if mt == "text/html" || mt == "application/xhtml+xml" {
			return true
		}
	}
	return false
}

// pageProblem turns an error into what the page shows, logging failures
// of ours as the API does.
func pageProblem(c *gin.Context, d *Deps, err error) *web.Problem {
	status, body := errorResponse(err)
	if status >= 500 {
		d.Log.Error("page failed", "err", err, "path", c.Request.URL.Path, "request_id", c.GetString(ctxRequestID))
	}
	e := body.Error
	return &web.Problem{Status: status, Code: e.Code, Message: e.Message, Field: e.Field, Position: e.Position}
}

// render writes a page. Pages depend on the index, which changes, so
// browsers revalidate rather than cache them.
func render(c *gin.Context, d *Deps, pages *web.Pages, status int, name string, data any) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-cache")
	c.Status(status)
	if err := pages.Render(c.Writer, name, data); err != nil {
		d.Log.Error("render page", "page", name, "err", err, "request_id", c.GetString(ctxRequestID))
		if !c.Writer.Written() {
			c.String(http.StatusInternalServerError, "the page could not be rendered; it has been logged")
		}
	}
}

// pageForm reads a form posted by the page: from the page's own origin
// only (CSRF), and at most 64 KiB. On failure it has answered.
func pageForm(c *gin.Context, d *Deps, pages *web.Pages) (url.Values, bool) {
	if !sameOrigin(c, d) {
		pageError(c, d, pages, errCrossSite)
		return nil, false
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10)
	if err := c.Request.ParseForm(); err != nil {
		pageError(c, d, pages, badRequest("invalid_form", "", "the form could not be read: "+err.Error()))
		return nil, false
	}
	return c.Request.PostForm, true
}

// pageError shows err on the error page, with the status the API gives.
func pageError(c *gin.Context, d *Deps, pages *web.Pages, err error) {
	prob := pageProblem(c, d, err)
	page := &web.ErrorPage{Status: prob.Status, Heading: "Something went wrong", Message: prob.Message}
	switch {
	case prob.Status == http.StatusNotFound:
		page.Heading = "Not found"
	case prob.Status < 500:
		page.Heading = "That did not work"
	}
	render(c, d, pages, prob.Status, "error", page)
}
