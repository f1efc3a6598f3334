package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// clusterNode is one policysearch process of a test cluster, restartable
// on the same port and data directory.
type clusterNode struct {
	t    *testing.T
	name string
	bin  string
	addr string
	data string
	nats []string
	// extra are more serve flags (an embeddings endpoint, --ingest).
	extra []string
	base  string
	hc    *http.Client

	mu  sync.Mutex
	cmd *exec.Cmd
}

func newClusterNode(t *testing.T, bin, name string, nats []string) *clusterNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	n := &clusterNode{t: t, name: name, bin: bin, addr: addr, data: t.TempDir(), nats: nats,
		base: "http://" + addr, hc: &http.Client{Timeout: 40 * time.Second}}
	t.Cleanup(n.kill)
	return n
}

// start runs the node; it does not wait (see waitReady).
func (n *clusterNode) start() {
	n.t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	logf, err := os.OpenFile(filepath.Join(n.data, "..", n.name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		n.t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(n.bin, "serve", "--addr", n.addr, "--data", n.data, "--seeds=false",
		"--nats", strings.Join(n.nats, ","), "--node", n.name,
		"--rate-limit", "0", "--write-rate-limit", "0", "--log-format", "json", "--log-level", "warn")
	cmd.Args = append(cmd.Args, n.extra...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	n.cmd = cmd
}

// kill ends the node with SIGKILL and reaps it; safe to call twice.
func (n *clusterNode) kill() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil {
		_ = n.cmd.Process.Kill()
		_ = n.cmd.Wait()
		n.cmd = nil
	}
}

func (n *clusterNode) logText() string {
	b, _ := os.ReadFile(filepath.Join(n.data, "..", n.name+".log"))
	return string(b)
}

// waitReady waits up to d for /readyz to answer 200.
func (n *clusterNode) waitReady(d time.Duration) {
	n.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		resp, err := n.hc.Get(n.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	n.t.Fatalf("%s not ready within %v; log:\n%s", n.name, d, tail(n.logText(), 3000))
}

// clusterStats is the part of /api/stats the test reads.
type clusterStats struct {
	Documents int `json:"documents"`
	Cluster   struct {
		Applied  uint64 `json:"applied_sequence"`
		Sequence uint64 `json:"sequence"`
		Leader   string `json:"stream_leader"`
		Ready    bool   `json:"ready"`
	} `json:"cluster"`
}

func (n *clusterNode) stats() (clusterStats, error) {
	var st clusterStats
	resp, err := n.hc.Get(n.base + "/api/stats")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("stats: %s", resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// topIDs is the ids of the first page of a search.
func (n *clusterNode) topIDs(q string) ([]string, error) {
	resp, err := n.hc.Get(n.base + "/api/search?size=10&q=" + q)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("search %q: %s", q, resp.Status)
	}
	var res struct {
		Hits []struct {
			ID string `json:"id"`
		} `json:"hits"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return nil, err
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return ids, nil
}

// contentHash is the stored document's hash; "" with 404.
func (n *clusterNode) contentHash(id string) (string, error) {
	resp, err := n.hc.Get(n.base + "/api/documents/" + id)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotFound:
		return "", nil
	case http.StatusOK:
	default:
		return "", fmt.Errorf("get %s: %s", id, resp.Status)
	}
	var d struct {
		Hash string `json:"content_hash"`
	}
	err = json.NewDecoder(resp.Body).Decode(&d)
	return d.Hash, err
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
