package server

import (
	"net/url"
	"slices"

	"github.com/gin-gonic/gin"

	"policysearch/index"
	"policysearch/web"
)

// pageFacets sizes the facets the page shows: one value more than it
// lists (so it knows to offer "more"), every value of the facet the
// reader opened with more=, and every year, so the year list shows the
// latest years rather than the most frequent ones. A facet_size in the
// URL is kept as the reader's choice.
func pageFacets(q *index.Query, params url.Values) {
	if !params.Has("facet_size") {
		q.FacetSize = web.FacetShown + 1
	}
	q.FacetSizes = map[string]int{"year": index.MaxYearFacetSize}
	if m := params.Get(web.MoreParam); m != "year" && slices.Contains(index.FacetNames, m) {
		q.FacetSizes[m] = index.MaxFacetSize
	}
}

// collection describes the collection for the start page; nil, and a
// log line, when it cannot be read: the page still works without it.
func collection(c *gin.Context, d *Deps) *web.Collection {
	res, err := search(c, d, web.CollectionQuery())
	if err != nil {
		d.Log.Warn("describe the collection for the start page", "err", err, "request_id", c.GetString(ctxRequestID))
		return nil
	}
	return web.NewCollection(res)
}

// handleAlertsPage lists every saved alert, each with its search, its
// feed and, for a client whose writes would be accepted, a delete button
// (which posts to /alerts/{id}/delete under the page forms' cross-site
// rules and comes back here).
func handleAlertsPage(d *Deps, pages *web.Pages) gin.HandlerFunc {
	return func(c *gin.Context) {
		page := &web.AlertsPage{Off: d.Alerts == nil, Writable: writable(c, d)}
		if d.Alerts != nil {
			all, err := d.Alerts.List(c)
			if err != nil {
				pageError(c, d, pages, err)
				return
			}
			for _, a := range all {
				q, _ := ParseParams(a.Params)
				v := alertItem(a)
				v.Search, v.Href = describeSearch(q), web.SearchHref(a.Params)
				page.Alerts = append(page.Alerts, v)
			}
		}
		render(c, d, pages, 200, "alerts", page)
	}
}
