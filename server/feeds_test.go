package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"policysearch/feeds"
	"policysearch/index"
)

const (
	feedURL  = "https://example.org/feed.xml"
	feedBody = `{"url":"` + feedURL + `","interval":"15m","source":"Example Institute","source_type":"think_tank","country":"US","tags":["trade"]}`
)

// testFeeds is a feed reader over ix that is never started: handlers
// can subscribe and list without anything being fetched.
func testFeeds(t *testing.T, ix *index.Index, allowPrivate bool) *feeds.Service {
	t.Helper()
	s, err := feeds.New(ix, feeds.Config{AllowPrivate: allowPrivate, MinInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func feedID(url string) string { return "feed-" + index.DeriveID(index.CanonicalURL(url)) }

func TestFeedsAPI(t *testing.T) {
	ts := newTestServer(t)
	fs := testFeeds(t, ts.ix, false)
	h, err := New(Deps{Index: ts.ix, Feeds: fs})
	if err != nil {
		t.Fatal(err)
	}
	ts.h = h

	rec := ts.do("POST", "/api/feeds", "application/json", feedBody)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}
	var st feeds.Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if st.ID != feedID(feedURL) || time.Duration(st.Interval) != 15*time.Minute || st.SourceType != "think_tank" || st.NextPoll.IsZero() {
		t.Errorf("created %+v", st)
	}
	if !strings.Contains(rec.Body.String(), `"interval":"15m0s"`) {
		t.Errorf("interval not shown as a duration: %s", rec.Body)
	}

	for _, tc := range []struct{ body, field string }{
		{`{"url":"http://127.0.0.1/feed"}`, "url"},
		{`{"url":"file:///etc/passwd"}`, "url"},
		{`{"interval":"15m"}`, "url"},
		{`{"url":"https://example.org/a","interval":"soon"}`, "interval"},
		{`{"url":"https://example.org/a","interval":"500ms"}`, "interval"},
		{`{"url":"https://example.org/a","interval":true}`, "interval"},
		{`{"url":"https://example.org/a","source_type":"blog"}`, "source_type"},
		{`{"url":"https://example.org/a","tags":"x"}`, "tags"},
		{`{"url":"https://example.org/a","colour":"red"}`, "colour"},
	} {
		rec := ts.do("POST", "/api/feeds", "application/json", tc.body)
		var e errorBody
		json.Unmarshal(rec.Body.Bytes(), &e)
		if rec.Code != http.StatusBadRequest || e.Error.Field != tc.field {
			t.Errorf("%s: %d field %q (%s), want 400 naming %s", tc.body, rec.Code, e.Error.Field, e.Error.Message, tc.field)
		}
	}
	if rec := ts.do("POST", "/api/feeds", "application/json", `{"url":"http://127.0.0.1/feed"}`); !strings.Contains(rec.Body.String(), "--allow-private-fetch") {
		t.Errorf("a private URL's refusal should say how to allow it: %s", rec.Body)
	}
	if rec := ts.do("POST", "/api/feeds", "application/json", feedBody); rec.Code != http.StatusConflict {
		t.Errorf("duplicate: %d, want 409", rec.Code)
	}

	rec = ts.do("GET", "/api/feeds", "", "")
	var list feedsResponse
	json.Unmarshal(rec.Body.Bytes(), &list)
	if rec.Code != 200 || len(list.Feeds) != 1 || list.Feeds[0].URL != feedURL {
		t.Errorf("GET: %d %s", rec.Code, rec.Body)
	}
	if rec := ts.do("DELETE", "/api/feeds/"+st.ID, "", ""); rec.Code != 200 {
		t.Errorf("DELETE: %d %s", rec.Code, rec.Body)
	}
	if rec := ts.do("DELETE", "/api/feeds/"+st.ID, "", ""); rec.Code != 404 {
		t.Errorf("DELETE again: %d, want 404", rec.Code)
	}
}

// Without a feed reader the list is empty and subscriptions are refused.
func TestFeedsOff(t *testing.T) {
	ts := newTestServer(t)
	if rec := ts.do("GET", "/api/feeds", "", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"feeds":[]`) {
		t.Errorf("GET: %d %s", rec.Code, rec.Body)
	}
	if rec := ts.do("POST", "/api/feeds", "application/json", feedBody); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("POST: %d %s", rec.Code, rec.Body)
	}
}
