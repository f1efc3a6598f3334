package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"policysearch/replica/natstest"
)

// call makes a JSON request to a node and decodes the answer into out.
func (n *clusterNode) call(method, path, body string, out any) (int, error) {
	req, err := http.NewRequest(method, n.base+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode, nil
}

// TestClusterSharesSnapshotsAndAlerts: a snapshot taken on one node reads
// on another; an alert created on one is served, matched and deleted
// across the cluster, and its webhook is posted once, by the --ingest
// node, though every node records the match for its feed.
func TestClusterSharesSnapshotsAndAlerts(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test runs real processes; skipped with -short")
	}
	var posts atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	nats := natstest.Start(t, 1)
	bin := buildBinary(t)
	a := newClusterNode(t, bin, "a", nats.URLs())
	a.extra = []string{"--embeddings", "off", "--ingest", "--allow-private-fetch"}
	b := newClusterNode(t, bin, "b", nats.URLs())
	b.extra = []string{"--embeddings", "off", "--allow-private-fetch"}
	for _, n := range []*clusterNode{a, b} {
		n.start()
	}
	for _, n := range []*clusterNode{a, b} {
		n.waitReady(60 * time.Second)
	}
	for i, text := range []string{"tariff on steel", "tariff on grain", "water rights"} {
		if code, err := a.call(http.MethodPut, fmt.Sprintf("/api/documents/r%d", i), fmt.Sprintf(`{"title":"Record %d","text":%q}`, i, text), nil); err != nil || code != http.StatusCreated {
			t.Fatalf("put r%d: %d %v", i, code, err)
		}
	}

	// A snapshot taken on a reads on b, the same.
	var snap struct {
		ID    string `json:"id"`
		Total int    `json:"total"`
	}
	if code, err := a.call(http.MethodPost, "/api/snapshots", `{"q":"tariff"}`, &snap); err != nil || code != http.StatusCreated || snap.Total != 2 {
		t.Fatalf("snapshot on a: %d %+v %v", code, snap, err)
	}
	var onB struct {
		ID   string `json:"id"`
		Hits []struct {
			ID string `json:"id"`
		} `json:"hits"`
	}
	// Create waits for a's own apply; b applies the log on its own time.
	if code, err := getWithin(b, "/api/snapshots/"+snap.ID, &onB); err != nil || code != http.StatusOK || onB.ID != snap.ID || len(onB.Hits) != 2 {
		t.Fatalf("snapshot %s on b: %d %+v %v", snap.ID, code, onB, err)
	}

	// An alert created on b is served by a.
	var alert struct {
		ID string `json:"id"`
	}
	body := fmt.Sprintf(`{"q":"levy","webhook_url":%q}`, hook.URL+"/hook")
	if code, err := b.call(http.MethodPost, "/api/alerts", body, &alert); err != nil || code != http.StatusCreated {
		t.Fatalf("alert on b: %d %v", code, err)
	}
	if code, err := getWithin(a, "/api/alerts/"+alert.ID, nil); err != nil || code != http.StatusOK {
		t.Fatalf("alert %s on a: %d %v", alert.ID, code, err)
	}

	// A matching document, written through b: both nodes record the
	// match under the same entry id, and only a posts it.
	if code, err := b.call(http.MethodPut, "/api/documents/levy1", `{"title":"Levy notice","text":"a new levy on imports"}`, nil); err != nil || code != http.StatusCreated {
		t.Fatalf("put levy1: %d %v", code, err)
	}
	entries := map[string]string{}
	deadline := time.Now().Add(15 * time.Second)
	for len(entries) < 2 || posts.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after 15 s: entries %v, webhook posts %d; want a match on both nodes and a post", entries, posts.Load())
		}
		for _, n := range []*clusterNode{a, b} {
			var v struct {
				Entries []struct {
					ID string `json:"id"`
				} `json:"entries"`
			}
			if _, err := n.call(http.MethodGet, "/api/alerts/"+alert.ID, "", &v); err == nil && len(v.Entries) > 0 {
				entries[n.name] = v.Entries[0].ID
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if entries["a"] != entries["b"] {
		t.Errorf("the match has entry id %q on a, %q on b; want one id", entries["a"], entries["b"])
	}

	// Deleted through a, gone on b; deleting it again through b is 404.
	if code, err := a.call(http.MethodDelete, "/api/alerts/"+alert.ID, "", nil); err != nil || code != http.StatusOK && code != http.StatusNoContent {
		t.Fatalf("delete alert on a: %d %v", code, err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		code, err := b.call(http.MethodGet, "/api/alerts/"+alert.ID, "", nil)
		if err == nil && code == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alert still on b 10 s after its delete on a: %d %v", code, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, err := b.call(http.MethodDelete, "/api/alerts/"+alert.ID, "", nil); err != nil || code != http.StatusNotFound {
		t.Errorf("second delete on b: %d %v, want 404", code, err)
	}
	// b never posts: only a's delivery reached the hook, once.
	if got := posts.Load(); got != 1 {
		t.Errorf("webhook posted %d times for one match; want once, by the ingest node", got)
	}
	if strings.Contains(b.logText(), "webhook") && strings.Contains(b.logText(), "deliver") {
		t.Errorf("b logged a webhook delivery:\n%s", tail(b.logText(), 2000))
	}
}

// getWithin GETs path on n until it answers 200, for up to 10 s: a record
// written through another node reaches n when n applies the log.
func getWithin(n *clusterNode, path string, into any) (int, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, err := n.call(http.MethodGet, path, "", into)
		if (err == nil && code == http.StatusOK) || time.Now().After(deadline) {
			return code, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
