package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// clusterWriter writes one request at a time through any live node: new
// documents, updates of older ones and deletes. A request that fails is
// sent again, the same, through the next node, until acknowledged. Its
// client waits longer than a node takes at most to answer a write (its
// lookup and append timeouts and apply wait: 45 s), so a request is
// either answered or its node died; a dead node's half-sent write cannot
// land after a later write on the same id. For the same reason a write
// under way when the run stops is finished, not abandoned: it could land
// after the run.
type clusterWriter struct {
	t    *testing.T
	live *liveSet
	// acked maps id to the content hash of its last acknowledged write,
	// "" after an acknowledged delete.
	acked map[string]string
	// history is every id's writes, for the message when one is wrong.
	history      map[string][]string
	order        []string     // ids in first-write order
	ops          atomic.Int64 // acknowledged writes; read while it runs
	longestPause time.Duration
	failed       error
}

func (w *clusterWriter) count() int { return len(w.order) }

// run writes until ctx ends, each write to its answer.
func (w *clusterWriter) run(ctx context.Context) {
	hc := &http.Client{Timeout: 60 * time.Second}
	w.history = map[string][]string{}
	last := time.Now()
	for i := 0; i < 20000 && ctx.Err() == nil; i++ {
		method, id, body, hash := w.next(i)
		if err := w.send(hc, i, method, id, body, hash); err != nil {
			w.failed = err
			return
		}
		if _, seen := w.acked[id]; !seen {
			w.order = append(w.order, id)
		}
		w.acked[id] = hash
		w.ops.Add(1)
		w.longestPause = max(w.longestPause, time.Since(last))
		last = time.Now()
		time.Sleep(10 * time.Millisecond)
	}
}

// next is write i: mostly new documents, every 7th an update of an
// earlier one, every 11th a delete of an earlier one still there.
func (w *clusterWriter) next(i int) (method, id, body, hash string) {
	if i > 40 && i%11 == 0 {
		old := w.order[(i*13)%len(w.order)]
		if w.acked[old] != "" {
			return http.MethodDelete, old, "", ""
		}
	}
	n, version := i, 0
	if i > 40 && i%7 == 0 {
		fmt.Sscanf(w.order[(i*17)%len(w.order)], "w-%d", &n)
		version = i
	}
	d := clusterDoc(n, version)
	b, _ := json.Marshal(d)
	return http.MethodPut, d.ID, string(b), hashOf(w.t, d)
}

// send makes the request through node after node for up to 90 s. A
// DELETE answered 404 is acknowledged only when an earlier attempt may
// have landed (no answer, or a 5xx: the log may have it); otherwise the
// writer knows the document exists, and 404 is the node's mistake.
func (w *clusterWriter) send(hc *http.Client, i int, method, id, body, hash string) error {
	deadline := time.Now().Add(90 * time.Second)
	var lastErr error
	mayHaveLanded := false
	for k := 0; time.Now().Before(deadline); k++ {
		n := w.live.pick(i, k)
		req, _ := http.NewRequest(method, n.base+"/api/documents/"+id, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			w.history[id] = append(w.history[id], fmt.Sprintf("write %d %s %.12s via %s: %v", i, method, hash, n.name, err))
			lastErr, mayHaveLanded = err, true
			time.Sleep(50 * time.Millisecond)
			continue
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		w.history[id] = append(w.history[id], fmt.Sprintf("write %d %s %.12s via %s: %s", i, method, hash, n.name, resp.Status))
		switch code := resp.StatusCode; {
		case code == http.StatusOK || code == http.StatusCreated || code == http.StatusAccepted:
			return nil
		case method == http.MethodDelete && code == http.StatusNotFound && mayHaveLanded:
			return nil // an earlier attempt's delete landed before its node died
		case code < 500:
			return fmt.Errorf("%s %s through %s (attempt %d): %s %s", method, id, n.name, k+1, resp.Status, msg)
		}
		lastErr, mayHaveLanded = fmt.Errorf("%s %s through %s: %s %s", method, id, n.name, resp.Status, msg), true
		time.Sleep(50 * time.Millisecond)
	}
	return lastErr
}
