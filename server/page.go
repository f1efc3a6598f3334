package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"policysearch/index"
	"policysearch/web"
)

// searchPage is what the search template renders.
type searchPage struct {
	Query   string
	Results *index.Results
	Error   string
}

// handlePage renders the search page; errors show on the page itself with
// the status a client would get from the API.
func handlePage(d *Deps, pages *web.Pages) gin.HandlerFunc {
	return func(c *gin.Context) {
		data := searchPage{Query: c.Query("q")}
		status := http.StatusOK
		q, err := parseSearch(c.Request.URL.Query())
		if err == nil && (q.Text != "" || len(c.Request.URL.Query()) > 0) {
			data.Results, err = search(c, d, q)
		}
		if err != nil {
			var body errorBody
			status, body = errorResponse(err)
			data.Error = body.Error.Message
			if status >= 500 {
				d.Log.Error("page search failed", "err", err)
			}
		}
		c.Status(status)
		c.Header("Content-Type", "text/html; charset=utf-8")
		if err := pages.Render(c.Writer, "search", data); err != nil {
			d.Log.Error("render page", "err", err)
		}
	}
}
