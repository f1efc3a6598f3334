package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"policysearch/embedding"
	"policysearch/index"
)

// statsTTL is how long index stats are reused between scrapes: Stats walks
// the index directory, which should not happen on every scrape of several
// Prometheus servers.
const statsTTL = 5 * time.Second

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
}

// indexCollector reads the index's counts and sizes at scrape time.
type indexCollector struct {
	ix                                    *index.Index
	docs, indexed, indexBytes, storeBytes *prometheus.Desc
	lastUpdate                            *prometheus.Desc

	mu    sync.Mutex
	at    time.Time
	stats index.Stats
	err   error
}

func newIndexCollector(ix *index.Index) *indexCollector {
	return &indexCollector{
		ix:         ix,
		docs:       desc("documents", "Documents in the store."),
		indexed:    desc("index_documents", "Documents the search index holds; equals policysearch_documents when healthy."),
		indexBytes: desc("index_size_bytes", "Size of the live search index on disk."),
		storeBytes: desc("store_size_bytes", "Size of the document store on disk."),
		lastUpdate: desc("index_last_update_timestamp_seconds", "When a document was last written, as a Unix time."),
	}
}

func (c *indexCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.docs, c.indexed, c.indexBytes, c.storeBytes, c.lastUpdate} {
		ch <- d
	}
}

func (c *indexCollector) Collect(ch chan<- prometheus.Metric) {
	st, err := c.read()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.docs, err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	gauge(c.docs, float64(st.Documents))
	gauge(c.indexed, float64(st.Indexed))
	gauge(c.indexBytes, float64(st.IndexBytes))
	gauge(c.storeBytes, float64(st.StoreBytes))
	if !st.LastUpdate.IsZero() {
		gauge(c.lastUpdate, float64(st.LastUpdate.UnixNano())/1e9)
	}
}

func (c *indexCollector) read() (index.Stats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) < statsTTL {
		return c.stats, c.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.stats, c.err = c.ix.Stats(ctx)
	c.at = time.Now()
	return c.stats, c.err
}

// embeddingCollector reads the semantic layer's summary once per scrape.
// With no semantic layer its series read zero and enabled reads 0, so
// dashboards look the same either way.
type embeddingCollector struct {
	sem                                    *embedding.Service
	enabled, requests, inputs, failures    *prometheus.Desc
	cacheHits, breaker, documents, passage *prometheus.Desc
}

func newEmbeddingCollector(sem *embedding.Service) *embeddingCollector {
	return &embeddingCollector{
		sem:       sem,
		enabled:   desc("embedding_enabled", "1 when an embeddings endpoint is configured, else 0."),
		requests:  desc("embedding_requests_total", "Requests sent to the embeddings endpoint (indexing and queries)."),
		inputs:    desc("embedding_inputs_total", "Texts sent to the embeddings endpoint."),
		failures:  desc("embedding_failures_total", "Requests to the embeddings endpoint that failed."),
		cacheHits: desc("embedding_query_cache_hits_total", "Search queries whose vector came from the cache, with no request."),
		breaker:   desc("embedding_breaker_state", "Circuit breaker in front of the endpoint for queries: 0 closed, 1 half-open, 2 open."),
		documents: desc("embedding_documents", "Documents by embedding state.", "status"),
		passage:   desc("embedding_passages", "Passage vectors held for semantic search."),
	}
}

func (c *embeddingCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.enabled, c.requests, c.inputs, c.failures, c.cacheHits, c.breaker, c.documents, c.passage} {
		ch <- d
	}
}

func (c *embeddingCollector) Collect(ch chan<- prometheus.Metric) {
	var sum embedding.Summary
	enabled := 0.0
	if c.sem != nil {
		sum, enabled = c.sem.Summary(), 1
	}
	counter := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(c.enabled, enabled)
	counter(c.requests, sum.Requests)
	counter(c.inputs, sum.Inputs)
	counter(c.failures, sum.Failures)
	counter(c.cacheHits, sum.CacheHits)
	gauge(c.breaker, breakerState(sum.Breaker))
	gauge(c.documents, float64(sum.Pending), "pending")
	gauge(c.documents, float64(sum.Done), "done")
	gauge(c.documents, float64(sum.Failed), "failed")
	gauge(c.passage, float64(sum.Passages))
}

// breakerState maps gobreaker's state names to the gauge's values.
func breakerState(s string) float64 {
	switch s {
	case "half-open":
		return 1
	case "open":
		return 2
	}
	return 0
}
