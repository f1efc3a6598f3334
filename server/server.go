// Package server speaks HTTP for policysearch: the JSON API, the search
// page and health endpoints, over gin, translating to and from index calls.
package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/CAFxX/httpcompression"
	"github.com/gin-gonic/gin"

	"policysearch/alerts"
	"policysearch/embedding"
	"policysearch/feeds"
	"policysearch/index"
	"policysearch/metrics"
	"policysearch/replica"
	"policysearch/snapshots"
)

// Deps is everything the HTTP layer needs; cmd wires it.
type Deps struct {
	Index *index.Index
	// Embeddings is the semantic layer, nil when no endpoint is configured.
	Embeddings *embedding.Service
	Log        *slog.Logger
	Version    string
	// MaxBodyBytes caps a JSON request body; NDJSON bodies are streamed
	// and capped per line by MaxLineBytes instead.
	MaxBodyBytes int64
	MaxLineBytes int
	// SearchTimeout bounds one search so a pathological query cannot tie
	// up the server.
	SearchTimeout time.Duration
	// TrustedProxies lists proxy addresses whose X-Forwarded-For is
	// believed; empty means the peer address is the client.
	TrustedProxies []string
	// MaxQueryBytes caps q (414); 0 means MaxQueryLength.
	MaxQueryBytes int
	// WriteKeys grant writes and admin; with none, writes are taken from
	// loopback only. ReadKey, when set, is needed (or a write key) to
	// read; MetricsKey likewise guards /metrics. See auth.go.
	WriteKeys  []string
	ReadKey    string
	MetricsKey string
	// ReadLimit and WriteLimit rate-limit each client; zero is off.
	ReadLimit, WriteLimit RateLimit
	// CORSOrigins may call the API from a browser page; empty is off.
	CORSOrigins []string
	// AllowedHosts are the Host names the server answers (port ignored,
	// "*" any); empty answers any. Guards against DNS rebinding.
	AllowedHosts []string
	// Metrics receives the service's series; nil builds a private one.
	Metrics *metrics.Registry
	// Feeds is the feed reader behind /api/feeds; nil lists no feeds and
	// refuses subscriptions.
	Feeds *feeds.Service
	// Snapshots keeps citable search snapshots and Alerts saved searches;
	// nil turns each off (its routes answer 503, the page hides it).
	Snapshots *snapshots.Store
	Alerts    *alerts.Service
	// ExportCap is the most documents one export or snapshot holds; 0
	// means DefaultExportCap.
	ExportCap int
	// Cluster is this node's membership of a cluster fed by a write log;
	// nil on a single node. /readyz and /api/stats report its lag.
	Cluster *replica.Node
}

func (d *Deps) defaults() {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.MaxBodyBytes == 0 {
		d.MaxBodyBytes = 64 << 20
	}
	if d.MaxLineBytes == 0 {
		d.MaxLineBytes = 16 << 20
	}
	if d.SearchTimeout == 0 {
		d.SearchTimeout = 10 * time.Second
	}
	if d.MaxQueryBytes == 0 {
		d.MaxQueryBytes = MaxQueryLength
	}
	if d.ExportCap <= 0 {
		d.ExportCap = DefaultExportCap
	}
	if d.Metrics == nil {
		d.Metrics = metrics.New(d.Version, d.Index, d.Embeddings)
	}
}

// New returns the service's HTTP handler.
func New(deps Deps) (http.Handler, error) {
	r, err := newEngine(deps)
	if err != nil {
		return nil, err
	}
	// Reads (pages, assets, JSON, exports) go out gzip- or brotli-
	// compressed to clients that accept it (a results page is ~30 KB of
	// HTML); the library negotiates Accept-Encoding and sets Vary. Writes
	// answer small and are left alone: the NDJSON upload answers line by
	// line while its body is still arriving, which needs net/http's own
	// ResponseWriter (full duplex), not a compressing wrapper.
	compress, err := httpcompression.DefaultAdapter(httpcompression.MinSize(1024))
	if err != nil {
		return nil, err
	}
	compressed := compress(r)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet || req.Method == http.MethodHead {
			compressed.ServeHTTP(w, req)
			return
		}
		r.ServeHTTP(w, req)
	}), nil
}

// newEngine is the router before compression; tests list its routes.
func newEngine(deps Deps) (*gin.Engine, error) {
	deps.defaults()
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	if err := r.SetTrustedProxies(deps.TrustedProxies); err != nil {
		return nil, err
	}
	if err := routes(r, &deps); err != nil {
		return nil, err
	}
	return r, nil
}
