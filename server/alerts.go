package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"policysearch/alerts"
	"policysearch/index"
	"policysearch/web"
)

var errAlertsOff = &index.Error{Kind: index.Unavailable, Code: "alerts_off", Message: "alerts are not enabled on this server"}

// alertRequest is the body of POST /api/alerts: a search (see
// searchSpec), a name, and optionally a webhook URL and, for semantic
// alerts, the similarity threshold (default 0.75, calibrated: see alerts.DefaultThreshold).
type alertRequest struct {
	searchSpec
	Name       string   `json:"name"`
	WebhookURL string   `json:"webhook_url"`
	Threshold  *float64 `json:"threshold"`
}

// alertView is an alert as the API shows it. The secret appears only in
// the answer to its creation.
type alertView struct {
	alerts.Alert
	Query   queryView      `json:"query"`
	FeedURL string         `json:"feed_url"`
	Match   string         `json:"match"` // keyword, semantic or keyword+semantic
	Entries []alerts.Entry `json:"entries,omitempty"`
}

type alertsResponse struct {
	Alerts []alertView `json:"alerts"`
}

// viewAlert shows an alert. Only the answer to its creation (full) shows
// the webhook URL whole: such URLs often carry a token of their own, and
// reads may be open to anyone who can reach the server.
func viewAlert(c *gin.Context, d *Deps, a alerts.Alert, full bool) alertView {
	q, _ := ParseParams(a.Params)
	if !full && a.WebhookURL != "" {
		if u, err := url.Parse(a.WebhookURL); err == nil {
			a.WebhookURL = u.Scheme + "://" + u.Host + "/…"
		}
	}
	return alertView{Alert: a, Query: viewOf(q), FeedURL: alerts.FeedURL(baseURL(c, d), a), Match: d.Alerts.MatchKinds(a.ID)}
}

// createAlert validates the request's parts and saves the alert.
func createAlert(c *gin.Context, d *Deps, spec searchSpec, name, webhook string, threshold *float64) (alerts.Alert, error) {
	_, params, err := spec.query()
	if err != nil {
		return alerts.Alert{}, err
	}
	a := alerts.Alert{Name: name, Params: params, WebhookURL: webhook}
	if threshold != nil {
		if *threshold == 0 {
			return a, index.InvalidField("threshold", "must be greater than 0 and at most 1")
		}
		a.Threshold = *threshold
	}
	a, err = d.Alerts.Create(c, a)
	if err == nil {
		d.Log.Info("alert created", "alert", a.ID, "params", a.Params, "webhook", a.WebhookURL != "")
	}
	return a, err
}

// handleCreateAlert saves a search with its delivery: POST /api/alerts.
func handleCreateAlert(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		if d.Alerts == nil {
			writeError(c, d.Log, errAlertsOff)
			return
		}
		var req alertRequest
		if err := decodeBody(c, d, &req, "an alert takes name, webhook_url, threshold, and params or the search parameters as fields (q, source, …, mode)"); err != nil {
			writeError(c, d.Log, err)
			return
		}
		a, err := createAlert(c, d, req.searchSpec, req.Name, req.WebhookURL, req.Threshold)
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		c.Header("Location", "/api/alerts/"+a.ID)
		c.JSON(http.StatusCreated, viewAlert(c, d, a, true))
	}
}

// handleListAlerts lists every alert, or with search parameters (q,
// source, …) only the alerts saved for that search.
func handleListAlerts(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		resp := alertsResponse{Alerts: []alertView{}}
		if d.Alerts == nil {
			c.JSON(http.StatusOK, resp)
			return
		}
		want := ""
		if v := searchOnly(c.Request.URL.Query()); len(v) > 0 {
			q, err := parseSearch(v)
			if err != nil {
				writeError(c, d.Log, err)
				return
			}
			want = canonical(q)
		}
		all, err := d.Alerts.List(c)
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		for _, a := range all {
			if want == "" || a.Params == want {
				resp.Alerts = append(resp.Alerts, viewAlert(c, d, a, false))
			}
		}
		c.JSON(http.StatusOK, resp)
	}
}

// alertEntries is how many recent matches GET /api/alerts/{id} shows.
const alertEntries = 50

// handleGetAlert shows one alert with its recent matches, newest first.
func handleGetAlert(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		if d.Alerts == nil {
			writeError(c, d.Log, errAlertsOff)
			return
		}
		a, err := d.Alerts.Get(c, c.Param("id"))
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		v := viewAlert(c, d, a, false)
		if v.Entries, err = d.Alerts.Entries(c, a.ID, alertEntries); err != nil {
			writeError(c, d.Log, err)
			return
		}
		c.JSON(http.StatusOK, v)
	}
}

// handleDeleteAlert removes an alert, its matches and pending deliveries.
func handleDeleteAlert(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		if d.Alerts == nil {
			writeError(c, d.Log, errAlertsOff)
			return
		}
		id := c.Param("id")
		if err := d.Alerts.Delete(c, id); err != nil {
			writeError(c, d.Log, err)
			return
		}
		d.Log.Info("alert deleted", "alert", id)
		c.JSON(http.StatusOK, gin.H{"id": id, "deleted": true})
	}
}

// handleAlertFeed serves /alerts/{id}.atom[?token=…].
func handleAlertFeed(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := strings.CutSuffix(c.Param("feed"), ".atom")
		if !ok || d.Alerts == nil {
			writeError(c, d.Log, errNotFound("no such feed: alert feeds are /alerts/{id}.atom"))
			return
		}
		// A token in the URL is checked here when it is what lets the
		// request in (authorize let it through without a key); a reader
		// with the key, or on a server with open reads, needs none.
		if token := c.Query("token"); token != "" && !c.GetBool(ctxReadAllowed) && !d.Alerts.FeedTokenValid(id, token) {
			c.Header("WWW-Authenticate", `Bearer realm="policysearch", error="invalid_token"`)
			writeError(c, d.Log, &apiError{status: http.StatusUnauthorized, code: "invalid_feed_token",
				msg: "the feed token is not valid for this alert: copy the feed URL again from the alert"})
			return
		}
		body, err := d.Alerts.Feed(c, id, baseURL(c, d))
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		c.Header("Cache-Control", "no-cache")
		c.Data(http.StatusOK, "application/atom+xml; charset=utf-8", body)
	}
}

// handleAlertForm is the page's "Create alert" form: it saves the search
// in the form's fields and shows the alert, with its secret this once.
func handleAlertForm(d *Deps, pages *web.Pages) gin.HandlerFunc {
	return func(c *gin.Context) {
		form, ok := pageForm(c, d, pages)
		if !ok {
			return
		}
		if d.Alerts == nil {
			pageError(c, d, pages, errAlertsOff)
			return
		}
		spec := searchSpec{Params: searchOnly(form).Encode()}
		a, err := createAlert(c, d, spec, form.Get("name"), form.Get("webhook_url"), nil)
		if err != nil {
			pageError(c, d, pages, err)
			return
		}
		q, _ := ParseParams(a.Params)
		page := &web.AlertPage{Name: a.Name, Search: describeSearch(q), Feed: alerts.FeedURL(baseURL(c, d), a),
			Webhook: a.WebhookURL, Secret: a.Secret, Back: "/?" + a.Params, Semantic: strings.Contains(d.Alerts.MatchKinds(a.ID), "semantic")}
		render(c, d, pages, http.StatusCreated, "alert", page)
	}
}

// handleAlertDeleteForm is the page's delete button; it returns to the
// page it came from.
func handleAlertDeleteForm(d *Deps, pages *web.Pages) gin.HandlerFunc {
	return func(c *gin.Context) {
		form, ok := pageForm(c, d, pages)
		if !ok {
			return
		}
		if d.Alerts == nil {
			pageError(c, d, pages, errAlertsOff)
			return
		}
		if err := d.Alerts.Delete(c, c.Param("id")); err != nil {
			pageError(c, d, pages, err)
			return
		}
		c.Redirect(http.StatusSeeOther, web.SafeReturn(form.Get("return")))
	}
}

// alertsPanel lists the alerts saved for the search on a page.
func alertsPanel(c *gin.Context, d *Deps, q index.Query) *web.AlertsPanel {
	p := &web.AlertsPanel{Semantic: d.Embeddings != nil}
	all, err := d.Alerts.List(c)
	if err != nil {
		d.Log.Warn("list alerts for the page", "err", err, "request_id", c.GetString(ctxRequestID))
		return p
	}
	want := canonical(q)
	for _, a := range all {
		if a.Params == want {
			p.List = append(p.List, alertItem(a))
		}
	}
	return p
}

// alertItem is an alert as the pages list it: its feed, the webhook's
// host only (webhook URLs often carry a token), matches and the last
// delivery in words.
func alertItem(a alerts.Alert) web.AlertView {
	v := web.AlertView{ID: a.ID, Name: a.Name, Feed: alerts.FeedURL("", a), Matches: a.Matches}
	if u, err := url.Parse(a.WebhookURL); err == nil && a.WebhookURL != "" {
		v.Webhook = u.Host
	}
	if ld := a.LastDelivery; ld != nil {
		v.Status = "last delivery " + ld.Status
		if ld.Status != "delivered" && ld.Error != "" {
			v.Status += ": " + ld.Error
		}
	}
	return v
}

// describeSearch says in words what a search looks for.
func describeSearch(q index.Query) string {
	s := "all documents"
	if q.Text != "" {
		s = "“" + q.Text + "”"
	}
	f := q.Filters
	var parts []string
	for _, l := range []struct {
		name string
		vs   []string
	}{{"source", f.Source}, {"type", f.SourceType}, {"author", f.Author}, {"country", f.Country}, {"tag", f.Tag}, {"language", f.Language}} {
		if len(l.vs) > 0 {
			parts = append(parts, l.name+" "+strings.Join(l.vs, " or "))
		}
	}
	if !f.From.IsZero() {
		parts = append(parts, "from "+f.From.String())
	}
	if !f.To.IsZero() {
		parts = append(parts, "to "+f.To.String())
	}
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}
