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

// TestChaosSlowAlerts replays "alerts": one plain alert, then 51 alerts
// saved with the costliest queries the limits allow, and a 100-document
// bulk before and after them. The slow alerts must not delay the plain
// one: it fires for the second bulk before the costly lane has matched
// it, and within max(alertBound, alertRatio × the first bulk's latency),
// both measured in this run so the machine's speed and load cancel out.
// SIGTERM must end the process within the shutdown timeout while the
// slow alerts are being matched.
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
	plain := create("policy")
	baseline := bulkFires(t, p, plain, "base", 100)

	rng := rand.New(rand.NewPCG(14, 4))
	for i := range 51 {
		create(costliestAllowed(rng, i))
	}
	before := len(p.log())
	slow := bulkFires(t, p, plain, "slow", 200)
	bound := max(alertBound, alertRatio*baseline)
	t.Logf("the plain alert had matched a 100-document bulk %s after it was acknowledged alone, %s beside 51 slow alerts (bound %s)",
		baseline.Round(time.Millisecond), slow.Round(time.Millisecond), bound.Round(time.Millisecond))
	if slow > bound {
		t.Errorf("beside slow alerts the plain alert fired %s after the bulk was acknowledged, over max(%s, %d × %s alone)",
			slow.Round(time.Millisecond), alertBound, alertRatio, baseline.Round(time.Millisecond))
	}
	// The order in the log proves the lanes apart whatever the timing:
	// the plain lane matched the bulk before the costly lane had.
	if order := laneOrder(p.log()[before:], 100); order != "plain" {
		t.Errorf("the %s lane finished the second bulk first, want the plain lane:\n%s", order, lastLines(p.log(), 20))
	}

	// Ensure the slow alerts are being matched: a third bulk, then SIGTERM.
	more := bytes.ReplaceAll(babelCorpus(t, 100), []byte(`"id":"b`), []byte(`"id":"more`))
	if status, body := p.send("POST", "/api/documents", "application/x-ndjson", more); status != http.StatusOK {
		t.Fatalf("third bulk: %d %s", status, truncateBytes(body))
	}
	took := p.stop(chaosShutdownTimeout + 30*time.Second)
	t.Logf("SIGTERM during matching: the process exited after %s (shutdown timeout %s)", took.Round(time.Millisecond), chaosShutdownTimeout)
	if took > chaosShutdownTimeout {
		t.Errorf("shutdown took %s, over the %s shutdown timeout:\n%s", took.Round(time.Millisecond), chaosShutdownTimeout, lastLines(p.log(), 20))
	}
	noPanic(t, p.log())
	if n := strings.Count(p.log(), "alert matching over its time bound"); n > 0 {
		t.Logf("%d alert matches were cut at their time bound (and left to the alerts' backlogs)", n)
	}
}

// alertBound and alertRatio bound how long after a write is acknowledged
// a plain alert may fire beside slow ones: max(alertBound, alertRatio ×
// its latency with no slow alerts in the same run). Before the lanes it
// was 48.9 s against about 1 s alone.
const (
	alertBound = 5 * time.Second
	alertRatio = 4
)

// bulkFires posts the 100-document corpus, each text holding "policy",
// under ids starting with prefix, and returns how long after the bulk
// was acknowledged the alert had recorded want matches.
func bulkFires(t *testing.T, p *process, alert, prefix string, want int) time.Duration {
	t.Helper()
	docs := bytes.ReplaceAll(babelCorpus(t, 100), []byte(`"text":"`), []byte(`"text":"policy `))
	docs = bytes.ReplaceAll(docs, []byte(`"id":"b`), []byte(`"id":"`+prefix))
	if status, body := p.send("POST", "/api/documents", "application/x-ndjson", docs); status != http.StatusOK {
		t.Fatalf("bulk %s: %d %s", prefix, status, truncateBytes(body))
	}
	acked := time.Now()
	for deadline := acked.Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		_, body := p.send("GET", "/api/alerts/"+alert, "", nil)
		var a struct{ Matches int }
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatalf("alert %s: %v", truncateBytes(body), err)
		}
		if a.Matches == want {
			return time.Since(acked)
		}
	}
	t.Fatalf("the plain alert did not reach %d matches in 2 minutes:\n%s", want, lastLines(p.log(), 20))
	return 0
}

// laneOrder reads the lanes' "lane matched documents" lines in log order
// and names the first lane to have matched n documents ("" if none).
func laneOrder(log string, n int) string {
	done := map[string]int{}
	for _, line := range strings.Split(log, "\n") {
		var e struct {
			Msg, Lane string
			Documents int
		}
		if json.Unmarshal([]byte(line), &e) != nil || e.Msg != "alerts: lane matched documents" {
			continue
		}
		if done[e.Lane] += e.Documents; done[e.Lane] >= n {
			return e.Lane
		}
	}
	return ""
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return fmt.Sprint(strings.Join(lines, "\n"))
}
