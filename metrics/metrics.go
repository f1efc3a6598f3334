// Package metrics defines policysearch's Prometheus series in one place,
// so their names, labels and meaning stay consistent and documented.
//
// Every server builds its own Registry instead of using the global default
// one: tests start many servers in one process, and each /metrics shows
// only its own service. Series that the service can know in advance exist
// from the start at zero, so dashboards and alerts need no special case
// for "never happened yet".
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"policysearch/embedding"
	"policysearch/index"
)

const namespace = "policysearch"

// Registry holds one service's series.
type Registry struct {
	reg *prometheus.Registry

	httpRequests   *prometheus.CounterVec   // method, route, status
	httpDuration   *prometheus.HistogramVec // method, route, status
	searchDuration *prometheus.HistogramVec // mode
	indexed        prometheus.Counter
	deleted        prometheus.Counter
	ingestDocs     *prometheus.CounterVec   // format, status
	ingestErrors   *prometheus.CounterVec   // format
	embedDuration  *prometheus.HistogramVec // result

	// Feeds is handed to the feed poller, which counts with it; the
	// series exist (at zero) whether or not any feed is configured.
	Feeds Feeds
}

// Feeds are the feed poller's series. The poller calls Polls.Inc() for
// every poll of one feed and Errors.Inc() for every poll that failed
// (fetch, parse or index); per-feed detail belongs in its logs and API.
type Feeds struct {
	Polls  prometheus.Counter
	Errors prometheus.Counter
}

// Search modes, ingest formats and statuses known in advance.
var (
	searchModes    = []string{index.ModeKeyword, index.ModeHybrid, index.ModeSemantic}
	ingestFormats  = []string{"json", "ndjson"}
	ingestStatuses = []string{string(index.Added), string(index.Updated), string(index.Unchanged)}
)

// New builds the registry for one service: HTTP, search and ingest series,
// the index's size and counts (read through ix, cached briefly), the
// semantic layer's state (sem may be nil: its series then read zero), the
// Go runtime and the process (resident memory, open files).
func New(version string, ix *index.Index, sem *embedding.Service) *Registry {
	r := &Registry{reg: prometheus.NewRegistry()}
	f := factory{r.reg}
	latency := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	r.httpRequests = f.counterVec("http_requests_total", "HTTP requests answered, by method, route template and status.", "method", "route", "status")
	r.httpDuration = f.histogramVec("http_request_duration_seconds", "Time to answer an HTTP request, by method, route template and status.", latency, "method", "route", "status")
	r.searchDuration = f.histogramVec("search_duration_seconds", "Time to run a search, by the mode it ran in (keyword, hybrid, semantic).", latency, "mode")
	r.indexed = f.counter("documents_indexed_total", "Documents added or changed (a write that changed nothing is not counted).")
	r.deleted = f.counter("documents_deleted_total", "Documents deleted.")
	r.ingestDocs = f.counterVec("ingest_documents_total", "Documents received through the API, by body format and outcome.", "format", "status")
	r.ingestErrors = f.counterVec("ingest_errors_total", "Documents or NDJSON lines the API rejected, by body format.", "format")
	r.embedDuration = f.histogramVec("embedding_request_duration_seconds", "Time of one request to the embeddings endpoint, by result (ok, error).",
		[]float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}, "result")
	r.Feeds = Feeds{
		Polls:  f.counter("feed_polls_total", "Polls of a feed, successful or not."),
		Errors: f.counter("feed_errors_total", "Polls of a feed that failed."),
	}
	for _, m := range searchModes {
		r.searchDuration.WithLabelValues(m)
	}
	for _, fm := range ingestFormats {
		r.ingestErrors.WithLabelValues(fm)
		for _, st := range ingestStatuses {
			r.ingestDocs.WithLabelValues(fm, st)
		}
	}
	r.embedDuration.WithLabelValues("ok")
	r.embedDuration.WithLabelValues("error")

	info := f.gaugeVec("build_info", "Always 1; the version label says which build is running.", "version")
	info.WithLabelValues(version).Set(1)
	r.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newEmbeddingCollector(sem),
	)
	if ix != nil {
		r.reg.MustRegister(newIndexCollector(ix))
		ix.OnChange(r.onChange)
	}
	if sem != nil {
		sem.ObserveRequests(r.observeEmbedding)
	}
	return r
}

// Handler serves the registry in the Prometheus text (or OpenMetrics)
// format. A collector that fails leaves its series out of that scrape
// rather than failing the whole page.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Gatherer exposes the registry to tests and other exporters.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

// ObserveHTTP records one answered request. route is the route template
// ("/api/documents/:id"), never the raw path, so ids do not become labels.
func (r *Registry) ObserveHTTP(method, route string, status int, d time.Duration) {
	if r == nil {
		return
	}
	method = knownMethod(method)
	s := strconv.Itoa(status)
	r.httpRequests.WithLabelValues(method, route, s).Inc()
	r.httpDuration.WithLabelValues(method, route, s).Observe(d.Seconds())
}

// ObserveSearch records one search that answered, by the mode it ran in.
func (r *Registry) ObserveSearch(mode string, d time.Duration) {
	if r == nil {
		return
	}
	r.searchDuration.WithLabelValues(mode).Observe(d.Seconds())
}

// Ingested counts the outcome of documents received in one request body
// format ("json" or "ndjson").
func (r *Registry) Ingested(format string, results []index.PutResult) {
	if r == nil {
		return
	}
	for _, res := range results {
		r.ingestDocs.WithLabelValues(format, string(res.Status)).Inc()
	}
}

// IngestFailed counts n documents or lines rejected in one request.
func (r *Registry) IngestFailed(format string, n int) {
	if r == nil || n <= 0 {
		return
	}
	r.ingestErrors.WithLabelValues(format).Add(float64(n))
}

func (r *Registry) onChange(ev index.ChangeEvent) {
	r.indexed.Add(float64(len(ev.Put)))
	r.deleted.Add(float64(len(ev.Deleted)))
}

func (r *Registry) observeEmbedding(d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	r.embedDuration.WithLabelValues(result).Observe(d.Seconds())
}

// knownMethod keeps the method label bounded: net/http accepts any token
// as a method, and each distinct one would otherwise be a new series.
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// factory registers series under the service's namespace.
type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}

func (f factory) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(h)
	return h
}
