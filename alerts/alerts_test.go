package alerts

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"policysearch/egress"
	"policysearch/index"
)

var oldDoc = index.Document{ID: "old-tariffs", Title: "Tariffs of 1930", Text: "Tariffs on everything, long ago."}

// quiet waits long enough for any stray delivery to arrive.
func quiet() { time.Sleep(300 * time.Millisecond) }

func TestWebhookDeliversOncePerNewMatchingDocument(t *testing.T) {
	r := newRig(t, Config{}, oldDoc)
	rc := newReceiver(t)
	a := r.create(Alert{Name: "Tariffs", Params: "q=tariffs", WebhookURL: rc.srv.URL + "/hook"})
	if a.Secret == "" || !strings.HasPrefix(a.Secret, "whsec_") {
		t.Fatalf("no secret at creation: %+v", a)
	}
	if got, _ := r.svc.Get(context.Background(), a.ID); got.Secret != "" {
		t.Error("Get shows the secret again")
	}

	r.put(index.Document{ID: "t1", Title: "Steel tariffs", Text: "New tariffs on steel imports strain relations with allies."},
		index.Document{ID: "n1", Title: "Grid capacity", Text: "Data centres compete for electricity."})
	waitFor(t, "the delivery for t1", func() bool { return len(rc.accepted()) == 1 })
	d := rc.accepted()[0]
	if !Verify(a.Secret, d.body, d.signature) || !strings.HasPrefix(d.signature, "sha256=") {
		t.Errorf("signature %q does not verify", d.signature)
	}
	p := d.payload
	if p.AlertID != a.ID || p.AlertName != "Tariffs" || p.Document.ID != "t1" || p.DeliveryID != d.id || p.DeliveredAt.IsZero() {
		t.Errorf("payload %+v", p)
	}
	if p.Document.Link != "http://search.example/doc/t1" || p.Document.Title != "Steel tariffs" || p.Document.ContentHash == "" {
		t.Errorf("document %+v", p.Document)
	}
	if p.Match.Kind != "keyword" || !slices.Contains(p.Match.Terms, "tariffs") || !strings.Contains(p.Match.PassageHTML, "<mark>tariffs</mark>") {
		t.Errorf("match %+v does not say which passage matched and why", p.Match)
	}

	r.put(index.Document{ID: "t1", Title: "Steel tariffs", Text: "New tariffs on steel imports strain relations with allies."}) // unchanged
	r.put(index.Document{ID: "n1", Title: "Grid capacity", Text: "Data centres compete for electricity and water."})            // changed, no match
	quiet()
	if n := len(rc.all()); n != 1 {
		t.Fatalf("%d requests after an unchanged re-add and a non-matching update, want 1", n)
	}

	// A changed document that still matches delivers once more; so does
	// one indexed before the alert once it changes.
	r.put(index.Document{ID: "t1", Title: "Steel tariffs", Text: "Tariffs on steel imports are raised again."}, index.Document{ID: oldDoc.ID, Title: oldDoc.Title, Text: oldDoc.Text + " Revised."})
	waitFor(t, "two more deliveries", func() bool { return len(rc.accepted()) == 3 })
	quiet()
	var got []string
	for _, d := range rc.accepted() {
		got = append(got, d.payload.Document.ID)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"old-tariffs", "t1", "t1"}) {
		t.Errorf("deliveries for %v", got)
	}

	// A 500 is retried with the same delivery id and body signature.
	rc.mu.Lock()
	rc.failNext = 1
	rc.mu.Unlock()
	r.put(index.Document{ID: "t2", Title: "Tariff truce", Text: "The tariffs truce holds."})
	waitFor(t, "the retried delivery", func() bool { return len(rc.accepted()) == 4 })
	quiet()
	var t2 []delivery
	for _, d := range rc.all() {
		if d.payload.Document.ID == "t2" {
			t2 = append(t2, d)
		}
	}
	if len(t2) != 2 || t2[0].status != 500 || t2[1].status != 200 || t2[0].id != t2[1].id || t2[1].payload.Attempt != 2 {
		t.Fatalf("t2 requests: %+v", t2)
	}
	if !Verify(a.Secret, t2[1].body, t2[1].signature) {
		t.Error("the retry's signature does not verify")
	}
	got2, _ := r.svc.Get(context.Background(), a.ID)
	if ld := got2.LastDelivery; ld == nil || ld.Status != "delivered" || ld.Attempts != 2 || got2.Matches != 4 {
		t.Errorf("alert after the retry: %+v last %+v", got2, ld)
	}
}

func TestAtomFeedParsesWithGofeed(t *testing.T) {
	r := newRig(t, Config{})
	a := r.create(Alert{Params: "q=tariffs&source_type=news"})
	if a.Name != "tariffs" || a.WebhookURL != "" || a.Secret != "" {
		t.Errorf("feed-only alert %+v", a)
	}
	r.put(index.Document{ID: "n1", Title: "Tariffs & <trade>", Text: "Tariffs on steel.", SourceType: "news", Source: "Daily News", URL: "https://news.example/t"},
		index.Document{ID: "g1", Title: "Tariffs policy", Text: "Tariffs policy statement.", SourceType: "government"})
	waitFor(t, "an entry", func() bool { es, _ := r.svc.Entries(context.Background(), a.ID, 10); return len(es) == 1 })
	body, err := r.svc.Feed(context.Background(), a.ID, "http://search.example")
	if err != nil {
		t.Fatal(err)
	}
	f, err := gofeed.NewParser().ParseString(string(body))
	if err != nil {
		t.Fatalf("the feed does not parse: %v\n%s", err, body)
	}
	if f.FeedType != "atom" || f.FeedVersion != "1.0" || !strings.Contains(f.Title, "tariffs") || f.UpdatedParsed == nil {
		t.Errorf("feed %q type %s %s updated %v", f.Title, f.FeedType, f.FeedVersion, f.UpdatedParsed)
	}
	if !strings.HasPrefix(a.FeedToken, "feed_") || f.FeedLink != "http://search.example/alerts/"+a.ID+".atom?token="+a.FeedToken {
		t.Errorf("self link %q", f.FeedLink)
	}
	if len(f.Items) != 1 {
		t.Fatalf("%d items, want 1:\n%s", len(f.Items), body)
	}
	it := f.Items[0]
	if it.Title != "Tariffs & <trade>" || it.Link != "http://search.example/doc/n1" || it.GUID == "" || it.UpdatedParsed == nil {
		t.Errorf("item %+v", it)
	}
	if !strings.Contains(it.Description, "<mark>Tariffs</mark>") || !strings.Contains(it.Description, "Matched terms: tariffs") {
		t.Errorf("the summary does not show the passage and why: %q", it.Description)
	}
}

func TestDeliveriesResumeAfterRestart(t *testing.T) {
	r := newRig(t, Config{BackoffBase: 300 * time.Millisecond})
	rc := newReceiver(t)
	rc.failNext = 1 << 30
	a := r.create(Alert{Params: "q=capybara", WebhookURL: rc.srv.URL})
	r.put(index.Document{ID: "c1", Text: "A capybara report."})
	waitFor(t, "a failed attempt", func() bool {
		got, _ := r.svc.Get(context.Background(), a.ID)
		return got.LastDelivery != nil && got.LastDelivery.Status == "retrying"
	})
	r.stop()
	rc.mu.Lock()
	rc.failNext = 0
	rc.mu.Unlock()
	r.start()
	waitFor(t, "the delivery after restart", func() bool { return len(rc.accepted()) == 1 })
	if d := rc.accepted()[0]; d.payload.Document.ID != "c1" || d.id != rc.all()[0].id {
		t.Errorf("resumed delivery %+v", d.payload)
	}
}

func TestCatchUpAfterRestart(t *testing.T) {
	r := newRig(t, Config{})
	a := r.create(Alert{Params: "q=capybara"})
	r.stop()
	r.put(index.Document{ID: "c1", Text: "Capybara added while alerts were stopped."})
	r.start()
	waitFor(t, "the caught-up entry", func() bool { es, _ := r.svc.Entries(context.Background(), a.ID, 10); return len(es) == 1 })
}

func TestEntriesAreBoundedAndDeleteForgets(t *testing.T) {
	r := newRig(t, Config{MaxEntries: 3})
	a := r.create(Alert{Params: "q=capybara"})
	for i := range 5 {
		r.put(index.Document{ID: "c" + string(rune('1'+i)), Text: "capybara number " + string(rune('1'+i))})
	}
	waitFor(t, "five matches", func() bool { got, _ := r.svc.Get(context.Background(), a.ID); return got.Matches == 5 })
	es, err := r.svc.Entries(context.Background(), a.ID, 10)
	if err != nil || len(es) != 3 || es[0].Document.ID != "c5" || es[2].Document.ID != "c3" {
		t.Fatalf("entries %+v, %v; want c5, c4, c3", es, err)
	}
	if err := r.svc.Delete(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Entries(context.Background(), a.ID, 10); index.KindOf(err) != index.NotFound {
		t.Errorf("entries of a deleted alert: %v", err)
	}
	if err := r.svc.Delete(context.Background(), a.ID); index.KindOf(err) != index.NotFound {
		t.Errorf("second delete: %v", err)
	}
}

func TestCreateValidates(t *testing.T) {
	r := newRig(t, Config{})
	r.svc.cfg.AllowPrivate = false
	cases := []struct {
		a     Alert
		field string
	}{
		{Alert{Params: "q=x", Name: strings.Repeat("n", 201)}, "name"},
		{Alert{Params: "q=x", Threshold: 1.5}, "threshold"},
		{Alert{Params: "q=x", Threshold: -0.1}, "threshold"},
		{Alert{Params: "q=x&mode=fast"}, "mode"},
		{Alert{Params: "q=x", WebhookURL: "ftp://example.org/hook"}, "webhook_url"},
		{Alert{Params: "q=x", WebhookURL: "/relative"}, "webhook_url"},
		{Alert{Params: "q=x", WebhookURL: "http://127.0.0.1:9/hook"}, "webhook_url"},
		{Alert{Params: "q=x", WebhookURL: "http://localhost/hook"}, "webhook_url"},
		{Alert{Params: "q=x", WebhookURL: "http://[::1]/hook"}, "webhook_url"},
		{Alert{Params: "q=x", WebhookURL: "http://10.1.2.3/hook"}, "webhook_url"},
		{Alert{Params: "q=x", WebhookURL: "http://169.254.169.254/latest/meta-data"}, "webhook_url"},
		{Alert{Params: "q=x", WebhookURL: "http://198.18.0.1/hook"}, "webhook_url"},
		{Alert{Params: "q=x", WebhookURL: "http://[64:ff9b::7f00:1]/hook"}, "webhook_url"},
		{Alert{Params: "q=x", WebhookURL: "http://[::127.0.0.1]/hook"}, "webhook_url"},
		{Alert{Params: "q=x", WebhookURL: "http://2130706433/hook"}, "webhook_url"},
		{Alert{Params: "q=x", WebhookURL: "http://0x7f.1/hook"}, "webhook_url"},
		{Alert{Params: "q=x", WebhookURL: "http://017700000001/hook"}, "webhook_url"},
		{Alert{Params: "q=x", WebhookURL: "http://127.1/hook"}, "webhook_url"},
		{Alert{Params: "q=x", WebhookURL: "http://100.64.0.1/hook"}, "webhook_url"},
		{Alert{Params: "q=x", WebhookURL: "http://240.0.0.1/hook"}, "webhook_url"},
	}
	for _, c := range cases {
		_, err := r.svc.Create(context.Background(), c.a)
		var e *index.Error
		if !errors.As(err, &e) || e.Kind != index.Invalid || e.Field != c.field {
			t.Errorf("Create(%+v) = %v, want invalid %s", c.a, err, c.field)
		}
	}
	if _, err := r.svc.Create(context.Background(), Alert{Params: "q=x", WebhookURL: "https://hooks.example.org/p"}); err != nil {
		t.Errorf("a public webhook is refused: %v", err)
	}
}

func TestPrivateAddressesAreRefusedAtConnect(t *testing.T) {
	rc := newReceiver(t)
	_, err := newClient(false, time.Second).Get(rc.srv.URL)
	if !errors.Is(err, errPrivate) {
		t.Errorf("a loopback webhook connected: %v", err)
	}
	if _, err := newClient(true, time.Second).Get(rc.srv.URL); err != nil {
		t.Errorf("with private addresses allowed: %v", err)
	}
	for addr, want := range map[string]bool{"8.8.8.8": true, "2001:4860::8888": true, "127.0.0.1": false, "10.0.0.1": false,
		"192.168.1.1": false, "172.16.0.1": false, "169.254.169.254": false, "100.64.0.1": false, "0.0.0.0": false,
		"::1": false, "fe80::1": false, "fc00::1": false, "::ffff:127.0.0.1": false, "224.0.0.1": false} {
		if got := egress.Why(netip.MustParseAddr(addr)) == ""; got != want {
			t.Errorf("public(%s) = %v", addr, got)
		}
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 10: time.Minute, 80: time.Minute} {
		for range 20 {
			if got := backoff(time.Second, time.Minute, n); got < want/2 || got > want {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", n, got, want/2, want)
			}
		}
	}
}

// TestFeedTokenForOlderAlerts: an alert saved before alerts had feed
// tokens gets one when the service opens, and keeps it across restarts.
func TestFeedTokenForOlderAlerts(t *testing.T) {
	r := newRig(t, Config{})
	a := r.create(Alert{Params: "q=tariffs"})
	a.FeedToken = ""
	if err := r.svc.st.putAlert(a); err != nil { // as an older version saved it
		t.Fatal(err)
	}
	r.stop()
	r.start()
	got, err := r.svc.Get(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.FeedToken, "feed_") || !r.svc.FeedTokenValid(a.ID, got.FeedToken) {
		t.Fatalf("older alert's feed token after a start = %q", got.FeedToken)
	}
	r.stop()
	r.start()
	if again, _ := r.svc.Get(context.Background(), a.ID); again.FeedToken != got.FeedToken {
		t.Errorf("feed token changed across a restart: %q → %q", got.FeedToken, again.FeedToken)
	}
}
