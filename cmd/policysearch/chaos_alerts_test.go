package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"
)

// chaosShutdownTimeout is the shutdown timeout the alerts chaos test runs
// the server with: SIGTERM must end the process within it.
const chaosShutdownTimeout = 10 * time.Second

// TestChaosSlowAlerts replays "alerts": 51 alerts saved with the
// costliest queries the limits allow and one plain alert, then a bulk of
// 100 documents. The plain alert must still fire for every document
// within the stated bound, and SIGTERM must end the process within the
// shutdown timeout while the slow alerts are being matched.
func TestChaosSlowAlerts(t *testing.T) {
	bin := chaosBinary(t)
	p := startProcess(t, bin, t.TempDir(), "--search-timeout", chaosSearchTimeout.String(), "--shutdown-timeout", chaosShutdownTimeout.String())
	create := func(q string) string {
		t.Helper()
		status, body := p.send("POST", "/api/alerts", "application/json", docJSON(t, map[string]any{"q": q, "name": "alert"}))
		if status != http.StatusCreated {
			t.Fatalf("create alert %.60q: %d %s", q, status, truncateBytes(body))
		}
		var a struct{ ID string }
		if err := json.Unmarshal(body, &a); err != nil || a.ID == "" {
			t.Fatalf("alert answer %s: %v", truncateBytes(body), err)
		}
		return a.ID
	}
	// The fuzzy bomb itself is refused as an alert, as it is as a search.
	if status, body := p.send("POST", "/api/alerts", "application/json", docJSON(t, map[string]any{"q": fuzzyBomb(rand.New(rand.NewPCG(1, 1))), "name": "bomb"})); status != http.StatusBadRequest || !bytes.Contains(body, []byte("query_too_costly")) {
		t.Errorf("a fuzzy-bomb alert: %d %s, want 400 query_too_costly", status, truncateBytes(body))
	}
	rng := rand.New(rand.NewPCG(14, 4))
	for i := range 51 {
		create(costliestAllowed(rng, i))
	}
	plain := create("policy")

	docs := babelCorpus(t, 100)
	docs = bytes.ReplaceAll(docs, []byte(`"text":"`), []byte(`"text":"policy `))
	start := time.Now()
	if status, body := p.send("POST", "/api/documents", "application/x-ndjson", docs); status != http.StatusOK {
		t.Fatalf("bulk: %d %s", status, truncateBytes(body))
	}
	indexed := time.Since(start)
	var fired time.Duration
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		_, body := p.send("GET", "/api/alerts/"+plain, "", nil)
		var a struct{ Matches int }
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatalf("alert %s: %v", truncateBytes(body), err)
		}
		if a.Matches == 100 {
			fired = time.Since(start)
			break
		}
	}
	if fired == 0 {
		t.Fatalf("the plain alert did not match the 100 documents in 2 minutes:\n%s", lastLines(p.log(), 20))
	}
	t.Logf("the bulk was acknowledged in %s; the plain alert had matched all 100 documents %s after that, beside 51 slow alerts", indexed.Round(time.Millisecond), (fired - indexed).Round(time.Millisecond))
	if fired-indexed > alertBound {
		t.Errorf("the plain alert fired %s after the bulk was acknowledged, over the bound %s", (fired - indexed).Round(time.Millisecond), alertBound)
	}

	// Ensure the slow alerts are being matched: a second bulk, then SIGTERM.
	more := bytes.ReplaceAll(babelCorpus(t, 100), []byte(`"id":"b`), []byte(`"id":"more`))
	if status, body := p.send("POST", "/api/documents", "application/x-ndjson", more); status != http.StatusOK {
		t.Fatalf("second bulk: %d %s", status, truncateBytes(body))
	}
	took := p.stop(chaosShutdownTimeout + 30*time.Second)
	t.Logf("SIGTERM during matching: the process exited after %s (shutdown timeout %s)", took.Round(time.Millisecond), chaosShutdownTimeout)
	if took > chaosShutdownTimeout {
		t.Errorf("shutdown took %s, over the %s shutdown timeout:\n%s", took.Round(time.Millisecond), chaosShutdownTimeout, lastLines(p.log(), 20))
	}
	noPanic(t, p.log())
	if n := strings.Count(p.log(), "alert matching over its time bound"); n > 0 {
		t.Logf("%d alert matches were cut at their time bound", n)
	}
}

// alertBound is how long after a write is acknowledged a plain alert may
// fire beside slow ones, stated in the README (Operations): costly alerts
// have a lane of their own, which yields to the plain lane.
const alertBound = 5 * time.Second

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return fmt.Sprint(strings.Join(lines, "\n"))
}
