package alerts

import (
	"context"
	"slices"
	"strings"
	"testing"

	"policysearch/index"
)

// The case: an alert for `export controls chips` fired (webhook
// and Atom entry) on a farm bill whose only overlap was "pest control".
// A short saved search needs all its words, as the search means them.
func TestAlertNeedsEveryWordOfAShortQuery(t *testing.T) {
	r := newRig(t, Config{})
	rc := newReceiver(t)
	a := r.create(Alert{Params: "q=export+controls+chips", WebhookURL: rc.srv.URL + "/hook"})
	phrase := r.create(Alert{Params: "q=%22export+controls%22+chips"})
	r.put(index.Document{ID: "pest", Title: "Farm bill extends pest control grants", Text: "The farm bill extends grants for pest control on small farms."},
		index.Document{ID: "grain", Title: "Export growth", Text: "Exports of grain grew; chips were not part of it."},
		index.Document{ID: "chips", Title: "Chip export controls", Text: "New export controls restrict sales of advanced chips."})
	waitFor(t, "the delivery for chips", func() bool { return len(rc.accepted()) >= 1 })
	quiet()
	var got []string
	for _, d := range rc.accepted() {
		got = append(got, d.payload.Document.ID)
	}
	if !slices.Equal(got, []string{"chips"}) {
		t.Errorf("webhook deliveries for %v, want only chips", got)
	}
	es, err := r.svc.Entries(context.Background(), a.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Document.ID != "chips" {
		t.Fatalf("entries %+v, want one for chips", es)
	}
	m := es[0].Match
	for _, w := range []string{"export", "controls", "chips"} {
		if !slices.Contains(m.Terms, w) {
			t.Errorf("evidence terms %q lack %q", m.Terms, w)
		}
	}
	ps, err := r.svc.Entries(context.Background(), phrase.ID, 10)
	if err != nil || len(ps) != 1 || !slices.Equal(ps[0].Match.Phrases, []string{"export controls"}) {
		t.Errorf("the phrase alert's entries %+v (%v), want chips holding \"export controls\"", ps, err)
	}
	feed, err := r.svc.Feed(context.Background(), a.ID, "http://search.example")
	if err != nil {
		t.Fatal(err)
	}
	if s := string(feed); strings.Contains(s, "pest") || strings.Count(s, "<entry>") != 1 {
		t.Errorf("the Atom feed has other entries than chips:\n%s", s)
	}
}
