package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"policysearch/embedding/embeddingtest"
	"policysearch/index"
	"policysearch/replica/natstest"
)

// embedStats is the part of /api/stats about embeddings.
type embedStats struct {
	Documents  int `json:"documents"`
	Embeddings struct {
		Pending  int `json:"pending"`
		Done     int `json:"done"`
		Failed   int `json:"failed"`
		Passages int `json:"passages"`
		Requests int `json:"requests"`
	} `json:"embeddings"`
	Cluster struct {
		EmbedJobs int `json:"embed_jobs"`
	} `json:"cluster"`
}

func (n *clusterNode) embedStats() (embedStats, error) {
	var st embedStats
	resp, err := n.hc.Get(n.base + "/api/stats")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// TestClusterEmbedsOnce runs three nodes against one counting embeddings
// endpoint: every passage is embedded once for the whole cluster, every
// node ends with every document's vectors, and each answers hybrid
// searches by meaning.
func TestClusterEmbedsOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test runs real processes; skipped with -short")
	}
	nats := natstest.Start(t, 3)
	emb, err := embeddingtest.Start(64)
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	bin := buildBinary(t)
	var nodes []*clusterNode
	for i := range 3 {
		n := newClusterNode(t, bin, fmt.Sprintf("e%d", i+1), nats.URLs())
		n.extra = []string{"--embeddings-url", emb.URL(), "--embeddings-model", "hashed-stems", "--embeddings-max-tokens", "64"}
		n.start()
		nodes = append(nodes, n)
	}
	for _, n := range nodes {
		n.waitReady(90 * time.Second)
	}

	// Documents through every node; long enough for several passages.
	const docs = 24
	for i := range docs {
		var text strings.Builder
		for s := range 3 + i%4 {
			fmt.Fprintf(&text, "Sentence %d of document %d is about %s and %s. ", s, i, clusterWords[(i+s)%len(clusterWords)], clusterWords[(i*3+s)%len(clusterWords)])
		}
		d := index.Document{ID: fmt.Sprintf("e-%02d", i), Title: fmt.Sprintf("Embedded %d", i), Text: text.String()}
		body, _ := json.Marshal(d)
		n := nodes[i%len(nodes)]
		req, _ := http.NewRequest(http.MethodPut, n.base+"/api/documents/"+d.ID, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		resp, err := n.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("put %s through %s: %s", d.ID, n.name, resp.Status)
		}
	}

	// Every node ends with every document embedded.
	stats := waitEmbedded(t, nodes, docs, 60*time.Second)
	passages := stats[0].Embeddings.Passages
	jobs, requests := 0, 0
	for i, st := range stats {
		jobs += st.Cluster.EmbedJobs
		requests += st.Embeddings.Requests
		t.Logf("%s: %d documents, %d passages, did %d jobs in %d requests", nodes[i].name, st.Embeddings.Done, st.Embeddings.Passages, st.Cluster.EmbedJobs, st.Embeddings.Requests)
	}
	t.Logf("endpoint: %d inputs in %d requests for %d passages of %d documents", emb.Inputs(), emb.Requests(), passages, docs)
	if passages <= docs {
		t.Fatalf("%d passages for %d documents: the test wants several passages a document", passages, docs)
	}
	if emb.Inputs() != passages {
		t.Errorf("the endpoint embedded %d inputs for %d passages; want each passage once for the cluster", emb.Inputs(), passages)
	}
	if jobs != docs || requests != emb.Requests() {
		t.Errorf("nodes did %d jobs in %d requests; want %d jobs (one a document) and the endpoint's %d requests", jobs, requests, docs, emb.Requests())
	}

	// Each node answers by meaning from the vectors it was sent.
	for _, n := range nodes {
		resp, err := n.hc.Get(n.base + "/api/search?mode=hybrid&q=" + clusterWords[3])
		if err != nil {
			t.Fatal(err)
		}
		var res struct {
			Total    int                  `json:"total"`
			Semantic index.SemanticStatus `json:"semantic"`
		}
		err = json.NewDecoder(resp.Body).Decode(&res)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || res.Semantic.Status != "ok" || res.Total == 0 {
			t.Errorf("%s hybrid search: %s %+v %v; want semantic status ok with hits", n.name, resp.Status, res, err)
		}
	}
}
