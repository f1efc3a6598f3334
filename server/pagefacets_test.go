package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"policysearch/alerts"
	"policysearch/index"
)

// yearsDocs are one speech a year for 1950–1964, two in 1953, plus the
// seed articles as real text: more years and more authors than a facet
// lists.
func yearsDocs(t *testing.T) []index.Document {
	var docs []index.Document
	for y := 1950; y <= 1964; y++ {
		docs = append(docs, index.Document{ID: fmt.Sprintf("sotu-%d", y), Title: fmt.Sprintf("Annual message %d", y),
			Text: "The state of the union is strong; the budget and defence.", Authors: []string{fmt.Sprintf("President Number%d", y)},
			Source: "The White House", Published: index.MustDate(fmt.Sprint(y))})
	}
	docs = append(docs, index.Document{ID: "sotu-1953b", Title: "Second message 1953", Text: "The budget again.", Published: index.MustDate("1953-02-02")})
	return docs
}

func yearsOf(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<span class="box" aria-hidden="true"></span><span class="v">(\d+)</span>`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestPageFacetsMoreAndYears(t *testing.T) {
	h, _ := newPageServer(t, yearsDocs(t))
	body := get(h, "/?q=budget", "").Body.String()
	if got, want := strings.Join(yearsOf(body), " "), "1964 1963 1962 1961 1960 1959 1958 1957 1956 1955"; got != want {
		t.Errorf("years = %s, want the latest ten newest first: %s", got, want)
	}
	more := regexp.MustCompile(`<a class="facet-more" href="([^"]*more=year[^"]*)">More`).FindStringSubmatch(body)
	if more == nil {
		t.Fatal("no More link on the year facet")
	}
	all := get(h, unescape(more[1]), "").Body.String()
	if got := yearsOf(all); len(got) != 15 || got[14] != "1950" {
		t.Errorf("after More: years %v, want all 15 down to 1950", got)
	}
	if !strings.Contains(all, ">Fewer<") {
		t.Error("the opened year facet has no Fewer link")
	}
	// Authors: ten listed with More; more=author lists all 15.
	authors := regexp.MustCompile(`name="author" value="([^"]*)"`)
	if n := len(authors.FindAllString(body, -1)); n != 10 {
		t.Errorf("%d authors listed, want 10", n)
	}
	if !strings.Contains(body, `more=author`) {
		t.Error("no More link on the author facet")
	}
	if n := len(authors.FindAllString(get(h, "/?q=budget&more=author", "").Body.String(), -1)); n != 15 {
		t.Errorf("more=author lists %d authors, want 15", n)
	}
	// The page's own parameter stays out of the API link and the exports.
	if m := regexp.MustCompile(`href="(/api/[^"]*)"`).FindAllStringSubmatch(get(h, "/?q=budget&more=author", "").Body.String(), -1); len(m) == 0 {
		t.Error("no API links on the page")
	} else {
		for _, l := range m {
			if strings.Contains(l[1], "more=") {
				t.Errorf("an API link carries more=: %s", l[1])
			}
		}
	}
	// An author's surname is a filter; the chip names it.
	one := get(h, "/?author=number1953", "").Body.String()
	if !strings.Contains(one, "1 result<") || !strings.Contains(one, "Author: number1953") {
		t.Errorf("author=number1953 does not find one document:\n%.2000s", one)
	}
}

func TestEmptyResultsHaveNoResearchTools(t *testing.T) {
	h, _ := newPageServer(t, pageDocs(t))
	body := get(h, "/?q=zzyzx+quixotic", "").Body.String()
	if !strings.Contains(body, "No documents match") {
		t.Fatal("not the no-results page")
	}
	for _, tool := range []string{"export-menu", "Cite this search", "alerts-menu"} {
		if strings.Contains(body, tool) {
			t.Errorf("an empty result offers %q", tool)
		}
	}
	if body := get(h, "/?q=sovereign+AI", "").Body.String(); !strings.Contains(body, "export-menu") {
		t.Error("results lost their Export menu")
	}
}

func TestStartPageFromTheCollection(t *testing.T) {
	h, _ := newPageServer(t, append(pageDocs(t), yearsDocs(t)...))
	body := get(h, "/", browserAccept).Body.String()
	summary := regexp.MustCompile(`<p class="collection">(\d+) documents from (\d+) sources, dated (\d+) to (\d+)\.</p>`).FindStringSubmatch(body)
	if summary == nil {
		t.Fatalf("no collection summary:\n%.3000s", body)
	}
	if summary[3] != "1950" {
		t.Errorf("span starts %s, want 1950", summary[3])
	}
	examples := regexp.MustCompile(`<li><a href="(/\?q=[^"]*)">`).FindAllStringSubmatch(body, -1)
	if len(examples) < 3 {
		t.Fatalf("%d examples, want at least 3", len(examples))
	}
	for _, e := range examples {
		res := get(h, unescape(e[1]), "").Body.String()
		if strings.Contains(res, "No documents match") {
			t.Errorf("the example %s finds nothing", e[1])
		}
	}
	if strings.Contains(body, `href="/?q=regulat%2A+-tariffs"`) || strings.Contains(body, `href="/?q=sovereign+AI"`) {
		t.Error("the start page still shows the fixed sample examples")
	}
	empty, _ := newPageServer(t, nil)
	if body := get(empty, "/", browserAccept).Body.String(); !strings.Contains(body, "The collection is empty") {
		t.Error("an empty collection does not say so")
	}
}

func TestAlertsPage(t *testing.T) {
	s, al := alertServer(t, true)
	ctx := context.Background()
	a, err := al.Create(ctx, alerts.Alert{Name: "Tariff watch", Params: "q=tariffs&source=Daily+News"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := al.Create(ctx, alerts.Alert{Name: "Steel", Params: "q=steel"}); err != nil {
		t.Fatal(err)
	}
	local := s.do("GET", "/alerts", "", "").Body.String()
	for _, want := range []string{"Tariff watch", "Steel", `href="/?q=tariffs&amp;source=Daily&#43;News"`, "/alerts/" + a.ID + ".atom",
		`action="/alerts/` + a.ID + `/delete"`, `name="return" value="/alerts"`} {
		if !strings.Contains(local, want) {
			t.Errorf("the alerts page lacks %q", want)
		}
	}
	// A remote reader sees the list but no delete buttons.
	req := httptest.NewRequest("GET", "/alerts", nil)
	req.RemoteAddr = "203.0.113.7:5000"
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	if body := rec.Body.String(); rec.Code != 200 || !strings.Contains(body, "Tariff watch") || strings.Contains(body, "/delete") {
		t.Errorf("remote reader: %d, delete buttons shown: %v", rec.Code, strings.Contains(body, "/delete"))
	}
	// Delete from the page: back to the page, without the alert.
	del := s.do("POST", "/alerts/"+a.ID+"/delete", "application/x-www-form-urlencoded", url.Values{"return": {"/alerts"}}.Encode())
	if del.Code != 303 || del.Header().Get("Location") != "/alerts" {
		t.Fatalf("delete: %d to %q", del.Code, del.Header().Get("Location"))
	}
	if body := s.do("GET", "/alerts", "", "").Body.String(); strings.Contains(body, "Tariff watch") || !strings.Contains(body, "Steel") {
		t.Error("the deleted alert is still listed, or the other is gone")
	}
	// A cross-site form cannot delete.
	req = httptest.NewRequest("POST", "/alerts/x/delete", strings.NewReader("return=/alerts"))
	req.RemoteAddr = "127.0.0.1:4000"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rec = httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	if rec.Code != 403 {
		t.Errorf("cross-site delete: %d, want 403", rec.Code)
	}
	// With a read key, the list is for key holders only.
	keyed, _ := alertServer(t, true, func(d *Deps) { d.ReadKey = "read-key-0123456789" })
	req = httptest.NewRequest("GET", "/alerts", nil)
	req.RemoteAddr = "127.0.0.1:4000"
	rec = httptest.NewRecorder()
	keyed.h.ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Errorf("alerts page without the read key: %d, want 401", rec.Code)
	}
	req.Header.Set("Authorization", "Bearer read-key-0123456789")
	rec = httptest.NewRecorder()
	keyed.h.ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Saved alerts") {
		t.Errorf("alerts page with the read key: %d", rec.Code)
	}
	off := newTestServer(t)
	if body := off.do("GET", "/alerts", "", "").Body.String(); !strings.Contains(body, "Alerts are off") {
		t.Error("without alerts the page does not say so")
	}
}
