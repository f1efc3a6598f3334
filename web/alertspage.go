package web

import "strings"

// AlertsPage lists every saved alert, with the search it watches and,
// for a client whose writes would be accepted, a button to delete it.
type AlertsPage struct {
	Alerts   []AlertView
	Writable bool
	// Off says the server runs without alerts.
	Off bool
}

// AlertsReturn is where deleting an alert from the alerts page returns.
const AlertsReturn = "/alerts"

// PageTitle is the text of the page's <title>.
func (p *AlertsPage) PageTitle() string { return "Saved alerts – policysearch" }

// Form is the header's search form.
func (p *AlertsPage) Form() FormView { return FormView{} }

// SearchHref is the page of the search an alert watches.
func SearchHref(params string) string {
	params = strings.TrimPrefix(params, "?")
	if params == "" {
		return "/?sort=newest"
	}
	return "/?" + params
}
