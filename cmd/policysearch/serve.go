package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"policysearch/index"
	"policysearch/metrics"
	"policysearch/seeds"
	"policysearch/server"
)

// version is stamped at build time with -ldflags "-X main.version=…".
var version = "dev"

func serveCmd() command {
	return command{
		name:    "serve",
		usage:   "[flags]",
		summary: "Serve the search page and JSON API; a new data directory gets the sample documents once (--seeds=false: none).",
		flags: func(fs *pflag.FlagSet, c *Config) {
			addrFlag(fs, c)
			dataFlags(fs, c)
			fs.BoolVar(&c.Seeds, "seeds", c.Seeds, "add the built-in sample documents once to a new data directory; --seeds=false never adds them (env POLICYSEARCH_SEEDS)")
			embeddingFlags(fs, c)
			fs.Float64Var(&c.SemanticRatio, "semantic-ratio", c.SemanticRatio, "weight of meaning in [0,1] for searches that set no semantic_ratio; raise it for a strong model (env POLICYSEARCH_SEMANTIC_RATIO)")
			httpFlags(fs, c)
			ingestFlags(fs, c)
			researchFlags(fs, c)
			clusterFlags(fs, c)
		},
		do: serve,
	}
}

func serve(ctx context.Context, cfg *Config, args []string, io ioSet) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: serve takes no arguments, got %q", errUsage, args)
	}
	log := cfg.logger(io.stderr)
	began := time.Now()
	step := func(name string) { // Debug: which start-up step a slow start spends its time in
		log.Debug("start-up step", "step", name, "took", time.Since(began).Round(time.Microsecond))
		began = time.Now()
	}
	started := began
	ix, err := index.Open(ctx, cfg.Data, log.With("component", "index"))
	if err != nil {
		return err
	}
	defer func() {
		if err := ix.Close(); err != nil {
			log.Error("close index", "err", err)
		}
	}()
	step("index")
	sem, err := openSemantic(cfg, filepath.Join(cfg.Data, "embeddings.db"), log.With("component", "embeddings"))
	if err != nil {
		return err
	}
	step("embeddings")
	semCtx, stopSem := context.WithCancel(ctx)
	defer func() {
		stopSem()
		if sem != nil {
			if err := sem.Close(); err != nil {
				log.Error("close embeddings", "err", err)
			}
		}
	}()
	if sem != nil { // before a cluster node applies the log
		ix.SetSemantic(sem)
		ix.SetDefaultSemanticRatio(cfg.SemanticRatio)
		ix.OnChange(sem.OnChange)
	}
	rs, err := openResearch(cfg, ix, sem, log)
	if err != nil {
		return err
	}
	defer rs.stop() // before the index closes
	step("research")
	// A cluster node's writes go through the log from here on; it must
	// stop applying before the index, the embeddings, snapshots and
	// alerts close (defers run in reverse).
	node, leave, err := joinCluster(ctx, cfg, ix, sem, rs, log)
	if err != nil {
		return err
	}
	defer leave()
	if sem != nil {
		sem.Start(semCtx, ix)
		if cfg.Embeddings.URL == "" {
			log.Info("semantic ranking on, built-in model", "model", sem.Model())
		} else {
			log.Info("semantic ranking on", "endpoint", cfg.Embeddings.URL, "model", sem.Model())
		}
	} else {
		log.Info("semantic ranking off (POLICYSEARCH_EMBEDDINGS)")
	}
	step("cluster and semantic start")
	var seedsDone sync.WaitGroup
	defer seedsDone.Wait()
	switch {
	case cfg.Seeds && node != nil && !cfg.Cluster.Ingest:
		log.Info("seeds are added by the cluster's --ingest node, not here")
	case cfg.Seeds && node != nil:
		// Only the ingest node adds seeds, once it has caught up: a new
		// node would re-add seeds the cluster deleted (AddOnce remembers
		// per data directory).
		seedsDone.Go(func() {
			if err := node.WaitReady(ctx); err != nil {
				return
			}
			if err := indexSeeds(ctx, ix, cfg.Data, log); err != nil {
				log.Error("index seeds", "err", err)
			}
		})
	case cfg.Seeds:
		if err := indexSeeds(ctx, ix, cfg.Data, log); err != nil {
			return fmt.Errorf("index seeds: %w", err)
		}
	}
	step("seeds")
	deps, err := cfg.serverDeps(log.With("component", "http"))
	if err != nil {
		return err
	}
	deps.Index, deps.Embeddings, deps.Log, deps.Version = ix, sem, log.With("component", "http"), version
	if node != nil {
		deps.Cluster = node
	}
	deps.Metrics = metrics.New(version, ix, sem) // deps.Metrics.Feeds is for the feed poller
	// The folder watcher and the feed reader run beside the HTTP server.
	bg, err := openBackground(cfg, ix, log)
	if err != nil {
		return err
	}
	defer bg.stop() // before the index closes
	deps.Feeds = bg.Feeds
	deps.Snapshots, deps.Alerts, deps.ExportCap = rs.Snapshots, rs.Alerts, cfg.Research.ExportCap
	bg.Feeds.SetCounters(deps.Metrics.Feeds.Polls, deps.Metrics.Feeds.Errors)
	step("background")
	h, err := server.New(deps)
	if err != nil {
		return err
	}
	step("http server")
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	var wg sync.WaitGroup
	serveErr := make(chan error, 1)
	wg.Go(func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			serveErr <- err
		}
	})
	if cfg.Cluster.runsIngest() {
		bg.start(ctx, log)
	} else {
		log.Info("feeds and watched folders run on the cluster's --ingest node, not here")
	}
	rs.start(ctx)
	step("background start")
	if forget, err := recordServerAddr(cfg.Data, ln.Addr()); err != nil {
		log.Warn("cannot record the server address for the CLI", "err", err)
	} else {
		defer forget()
	}
	url := "http://" + ln.Addr().String()
	log.Info("listening", "addr", ln.Addr().String(), "url", url, "data", cfg.Data, "version", version, "started_in", time.Since(started).Round(time.Millisecond))
	fmt.Fprintf(io.stdout, "policysearch %s listening on %s\n", version, url)

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return err
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if err != nil { // past the timeout: cut the connections still open
		log.Warn("requests still running at the shutdown timeout; closing their connections", "timeout", cfg.HTTP.ShutdownTimeout)
		srv.Close()
	}
	wg.Wait()
	return err
}

// indexSeeds adds the embedded seed documents a data directory has not
// had yet (seeds.AddOnce): a seed the user deleted stays deleted.
func indexSeeds(ctx context.Context, ix *index.Index, data string, log *slog.Logger) error {
	n, err := seeds.AddOnce(ctx, ix, data)
	if err != nil {
		return err
	}
	log.Info("seeds", "added", n)
	return nil
}
