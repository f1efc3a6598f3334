package main

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"policysearch/server"
)

// HTTPConfig is how serve faces the network: who may write and read,
// how fast, from which origins, how big a request may be and how long it
// may take. Keys have no flags (command lines show in process lists) and
// are never logged.
type HTTPConfig struct {
	APIKeysFile string // one write key per line; # starts a comment
	ReadKey     string // when set, reads need it (or a write key)
	MetricsKey  string // when set, /metrics needs it (or a write key)

	RateLimit      float64 // reads per second per client; 0 = off
	RateBurst      int
	WriteRateLimit float64 // writes per second per client; 0 = off
	WriteRateBurst int

	CORSOrigins    []string
	TrustedProxies []string
	// AllowedHosts are the Host names served; empty means the loopback
	// names when bound to loopback, else any.
	AllowedHosts []string

	MaxBodyBytes  int64
	MaxLineBytes  int
	MaxQueryBytes int

	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	SearchTimeout, ShutdownTimeout                            time.Duration
}

func defaultHTTPConfig() HTTPConfig {
	return HTTPConfig{
		RateLimit: 10, RateBurst: 20, WriteRateLimit: 5, WriteRateBurst: 10,
		MaxBodyBytes: 64 << 20, MaxLineBytes: 16 << 20, MaxQueryBytes: server.MaxQueryLength,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Minute, // bulk NDJSON uploads stream for a while
		WriteTimeout:      10 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		SearchTimeout:     10 * time.Second,
		ShutdownTimeout:   15 * time.Second,
	}
}

func (h *HTTPConfig) fromEnv(e *envReader) {
	e.str("POLICYSEARCH_API_KEYS_FILE", &h.APIKeysFile)
	e.str("POLICYSEARCH_READ_KEY", &h.ReadKey)
	e.str("POLICYSEARCH_METRICS_KEY", &h.MetricsKey)
	e.list("POLICYSEARCH_CORS_ORIGINS", &h.CORSOrigins)
	e.list("POLICYSEARCH_TRUSTED_PROXIES", &h.TrustedProxies)
	e.list("POLICYSEARCH_ALLOWED_HOSTS", &h.AllowedHosts)
	e.number("POLICYSEARCH_RATE_LIMIT", &h.RateLimit)
	e.number("POLICYSEARCH_WRITE_RATE_LIMIT", &h.WriteRateLimit)
	e.integer("POLICYSEARCH_RATE_BURST", &h.RateBurst)
	e.integer("POLICYSEARCH_WRITE_RATE_BURST", &h.WriteRateBurst)
	e.integer("POLICYSEARCH_MAX_LINE_BYTES", &h.MaxLineBytes)
	e.integer("POLICYSEARCH_MAX_QUERY_BYTES", &h.MaxQueryBytes)
	e.integer64("POLICYSEARCH_MAX_BODY_BYTES", &h.MaxBodyBytes)
	e.duration("POLICYSEARCH_READ_HEADER_TIMEOUT", &h.ReadHeaderTimeout)
	e.duration("POLICYSEARCH_READ_TIMEOUT", &h.ReadTimeout)
	e.duration("POLICYSEARCH_WRITE_TIMEOUT", &h.WriteTimeout)
	e.duration("POLICYSEARCH_IDLE_TIMEOUT", &h.IdleTimeout)
	e.duration("POLICYSEARCH_SEARCH_TIMEOUT", &h.SearchTimeout)
	e.duration("POLICYSEARCH_SHUTDOWN_TIMEOUT", &h.ShutdownTimeout)
}

// httpFlags registers serve's network flags.
func httpFlags(fs *pflag.FlagSet, c *Config) {
	h := &c.HTTP
	fs.StringVar(&h.APIKeysFile, "api-keys-file", h.APIKeysFile, "file of write keys, one per line, # comments; adds to POLICYSEARCH_API_KEY (env POLICYSEARCH_API_KEYS_FILE)")
	fs.Float64Var(&h.RateLimit, "rate-limit", h.RateLimit, "reads (searches, documents, pages) per second per client; 0 = no limit (env POLICYSEARCH_RATE_LIMIT)")
	fs.IntVar(&h.RateBurst, "rate-burst", h.RateBurst, "reads a client may send at once before the rate applies (env POLICYSEARCH_RATE_BURST)")
	fs.Float64Var(&h.WriteRateLimit, "write-rate-limit", h.WriteRateLimit, "writes per second per client; 0 = no limit (env POLICYSEARCH_WRITE_RATE_LIMIT)")
	fs.IntVar(&h.WriteRateBurst, "write-rate-burst", h.WriteRateBurst, "writes a client may send at once (env POLICYSEARCH_WRITE_RATE_BURST)")
	fs.StringSliceVar(&h.CORSOrigins, "cors-origins", h.CORSOrigins, "origins whose pages may call the API, comma-separated, * for any; empty = CORS off (env POLICYSEARCH_CORS_ORIGINS)")
	fs.StringSliceVar(&h.TrustedProxies, "trusted-proxies", h.TrustedProxies, "proxy addresses or CIDRs whose X-Forwarded-For names the client (env POLICYSEARCH_TRUSTED_PROXIES)")
	fs.StringSliceVar(&h.AllowedHosts, "allowed-hosts", h.AllowedHosts, "host names this server answers (Host header, port ignored), * for any; default: localhost, 127.0.0.1 and ::1 when bound to loopback, else any (env POLICYSEARCH_ALLOWED_HOSTS)")
	fs.Int64Var(&h.MaxBodyBytes, "max-body-bytes", h.MaxBodyBytes, "largest JSON request body, else 413 (env POLICYSEARCH_MAX_BODY_BYTES)")
	fs.IntVar(&h.MaxLineBytes, "max-line-bytes", h.MaxLineBytes, "longest NDJSON line; a longer line fails alone (env POLICYSEARCH_MAX_LINE_BYTES)")
	fs.IntVar(&h.MaxQueryBytes, "max-query-bytes", h.MaxQueryBytes, "longest q, else 414 (env POLICYSEARCH_MAX_QUERY_BYTES)")
	fs.DurationVar(&h.ReadHeaderTimeout, "read-header-timeout", h.ReadHeaderTimeout, "time to read request headers (env POLICYSEARCH_READ_HEADER_TIMEOUT)")
	fs.DurationVar(&h.ReadTimeout, "read-timeout", h.ReadTimeout, "time to read a whole request, bulk uploads included (env POLICYSEARCH_READ_TIMEOUT)")
	fs.DurationVar(&h.WriteTimeout, "write-timeout", h.WriteTimeout, "time to answer a request, bulk uploads included (env POLICYSEARCH_WRITE_TIMEOUT)")
	fs.DurationVar(&h.IdleTimeout, "idle-timeout", h.IdleTimeout, "time an idle keep-alive connection stays open (env POLICYSEARCH_IDLE_TIMEOUT)")
	fs.DurationVar(&h.SearchTimeout, "search-timeout", h.SearchTimeout, "deadline of one search, else 503 (env POLICYSEARCH_SEARCH_TIMEOUT)")
	fs.DurationVar(&h.ShutdownTimeout, "shutdown-timeout", h.ShutdownTimeout, "time in-flight requests get to finish on shutdown (env POLICYSEARCH_SHUTDOWN_TIMEOUT)")
}

// Validate names the first bad network setting.
func (h *HTTPConfig) Validate() error {
	switch {
	case h.RateLimit < 0 || h.WriteRateLimit < 0:
		return fmt.Errorf("rate-limit: must be 0 (off) or more")
	case h.RateLimit > 0 && h.RateBurst < 1, h.WriteRateLimit > 0 && h.WriteRateBurst < 1:
		return fmt.Errorf("rate-burst: must be 1 or more when a rate limit is on")
	case h.MaxBodyBytes < 1 || h.MaxLineBytes < 1 || h.MaxQueryBytes < 1:
		return fmt.Errorf("max-body-bytes, max-line-bytes, max-query-bytes: must be 1 or more")
	case h.ReadHeaderTimeout <= 0 || h.ReadTimeout <= 0 || h.WriteTimeout <= 0 || h.IdleTimeout <= 0 ||
		h.SearchTimeout <= 0 || h.ShutdownTimeout <= 0:
		return fmt.Errorf("timeouts: must be positive")
	}
	for _, p := range h.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return fmt.Errorf("trusted-proxies: %q is not an IP address or CIDR range", p)
		}
	}
	return nil
}

// serverDeps turns the settings into the HTTP layer's access rules and
// limits, reading the keys file, and logs what they mean: never the keys.
func (c *Config) serverDeps(log *slog.Logger) (server.Deps, error) {
	h := c.HTTP
	var keys []string
	if c.APIKey != "" {
		keys = append(keys, c.APIKey)
	}
	if h.APIKeysFile != "" {
		fromFile, err := readKeys(h.APIKeysFile)
		if err != nil {
			return server.Deps{}, err
		}
		keys = append(keys, fromFile...)
	}
	if len(keys) == 0 {
		log.Warn("writes are accepted from this machine only: no API key is configured (set POLICYSEARCH_API_KEY or POLICYSEARCH_API_KEYS_FILE)")
	} else {
		log.Info("writes need an API key", "keys", len(keys))
	}
	for _, k := range append(keys, h.ReadKey, h.MetricsKey) {
		if k != "" && len(k) < 16 {
			log.Warn("an API key is shorter than 16 characters; use a long random one, e.g. openssl rand -hex 32")
			break
		}
	}
	if h.ReadKey != "" {
		log.Info("reads need a key (POLICYSEARCH_READ_KEY or a write key)")
	}
	if h.MetricsKey == "" {
		log.Info("/metrics is open; firewall it or set POLICYSEARCH_METRICS_KEY")
	}
	log.Info("rate limits per client", "reads_per_second", h.RateLimit, "read_burst", h.RateBurst,
		"writes_per_second", h.WriteRateLimit, "write_burst", h.WriteRateBurst)
	if len(h.CORSOrigins) > 0 {
		log.Info("CORS on for the API", "origins", h.CORSOrigins)
	}
	return server.Deps{
		WriteKeys: keys, ReadKey: h.ReadKey, MetricsKey: h.MetricsKey,
		ReadLimit:      server.RateLimit{Rate: h.RateLimit, Burst: h.RateBurst},
		WriteLimit:     server.RateLimit{Rate: h.WriteRateLimit, Burst: h.WriteRateBurst},
		CORSOrigins:    h.CORSOrigins,
		AllowedHosts:   allowedHosts(h.AllowedHosts, c.Addr),
		TrustedProxies: h.TrustedProxies,
		MaxBodyBytes:   h.MaxBodyBytes, MaxLineBytes: h.MaxLineBytes, MaxQueryBytes: h.MaxQueryBytes,
		SearchTimeout: h.SearchTimeout,
	}, nil
}

// readKeys reads a keys file: one key per line, blank lines and lines
// starting with # ignored.
func readKeys(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("api keys file: %w", err)
	}
	defer f.Close()
	var keys []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k := strings.TrimSpace(sc.Text()); k != "" && !strings.HasPrefix(k, "#") {
			keys = append(keys, k)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("api keys file %s: %w", path, err)
	}
	return keys, nil
}

// splitList splits a comma-separated setting, dropping empty items.
func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// allowedHosts defaults to the loopback names for a server bound to
// loopback: no other name can reach it except through DNS rebinding.
func allowedHosts(set []string, addr string) []string {
	if len(set) > 0 {
		return set
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return []string{"localhost", "127.0.0.1", "::1", host}
	}
	return nil
}
