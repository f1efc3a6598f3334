package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"policysearch/alerts"
	"policysearch/embedding"
	"policysearch/index"
	"policysearch/server"
	"policysearch/snapshots"
)

// ResearchConfig is serve's export, snapshot and alert settings.
type ResearchConfig struct {
	// ExportCap is the most documents one export or snapshot holds.
	ExportCap int
	// PublicURL is how clients reach this server, for document links in
	// alert webhooks; empty means http://ADDR when ADDR names a host.
	PublicURL string
}

func defaultResearchConfig() ResearchConfig {
	return ResearchConfig{ExportCap: server.DefaultExportCap}
}

func (c *ResearchConfig) fromEnv(e *envReader) {
	e.integer("POLICYSEARCH_EXPORT_CAP", &c.ExportCap)
	e.str("POLICYSEARCH_PUBLIC_URL", &c.PublicURL)
}

// researchFlags registers serve's export and alert flags.
func researchFlags(fs *pflag.FlagSet, c *Config) {
	r := &c.Research
	fs.IntVar(&r.ExportCap, "export-cap", r.ExportCap, "most documents one export or snapshot holds, at most 10000 (env POLICYSEARCH_EXPORT_CAP)")
	fs.StringVar(&r.PublicURL, "public-url", r.PublicURL, "this server's address as clients reach it, for links in alert webhooks, e.g. https://search.example.org (env POLICYSEARCH_PUBLIC_URL)")
}

// Validate names the first bad setting.
func (c *ResearchConfig) Validate() error {
	if c.ExportCap < 1 || c.ExportCap > index.MaxWindow {
		return fmt.Errorf("export-cap %d: want 1..%d", c.ExportCap, index.MaxWindow)
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("public-url %q: want an absolute http(s) URL", c.PublicURL)
		}
	}
	return nil
}

// baseURL is PublicURL, or http://ADDR when ADDR names a host and a port
// (not ":8080", 0.0.0.0 or port 0, which say nothing of how clients
// reach the server).
func (c *Config) baseURL() string {
	if c.Research.PublicURL != "" {
		return strings.TrimRight(c.Research.PublicURL, "/")
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || host == "" || port == "0" || net.ParseIP(host).IsUnspecified() {
		return ""
	}
	return "http://" + c.Addr
}

// research holds the snapshot store and the alert service.
type research struct {
	Snapshots *snapshots.Store
	Alerts    *alerts.Service
	cancel    context.CancelFunc
	log       *slog.Logger
}

// openResearch opens snapshots.db and alerts.db in the data directory
// and registers the alert matcher with the index. Register it after the
// semantic layer, so a changed document is queued for embedding before
// alerts look at its embedding status. On a cluster node other than the
// --ingest one alerts match and keep their feeds but send no webhooks.
func openResearch(cfg *Config, ix *index.Index, sem *embedding.Service, log *slog.Logger) (*research, error) {
	st, err := snapshots.Open(filepath.Join(cfg.Data, "snapshots.db"))
	if err != nil {
		return nil, err
	}
	acfg := alerts.Config{Parse: server.ParseParams, AllowPrivate: cfg.Ingest.AllowPrivateFetch, BaseURL: cfg.baseURL(),
		Log: log.With("component", "alerts"), NoDelivery: !cfg.Cluster.runsIngest()}
	if sem != nil {
		acfg.Vectors = sem
	}
	al, err := alerts.Open(filepath.Join(cfg.Data, "alerts.db"), ix, acfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	ix.OnChange(al.OnChange)
	return &research{Snapshots: st, Alerts: al, log: log}, nil
}

// start runs alert matching and delivery until stop.
func (r *research) start(ctx context.Context) {
	ctx, r.cancel = context.WithCancel(ctx)
	r.Alerts.Start(ctx)
}

// stop ends alert work, waits for it, and closes both stores.
func (r *research) stop() {
	if r.cancel != nil {
		r.cancel()
	}
	if err := r.Alerts.Close(); err != nil {
		r.log.Error("close alerts", "err", err)
	}
	if err := r.Snapshots.Close(); err != nil {
		r.log.Error("close snapshots", "err", err)
	}
}
