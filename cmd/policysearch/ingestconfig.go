package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"policysearch/feeds"
	"policysearch/index"
	"policysearch/watch"
)

// IngestConfig is what serve keeps up with by itself: watched folders
// and feeds.
type IngestConfig struct {
	// Watch are folders synced at start and followed (--watch, repeatable;
	// POLICYSEARCH_WATCH, comma-separated).
	Watch []string
	// WatchFollowSymlinks follows links in watched folders that lead
	// outside them; off, such links are not indexed.
	WatchFollowSymlinks bool
	// Feeds are feed URLs to follow (--feed, repeatable; POLICYSEARCH_FEEDS,
	// comma-separated); FeedsFile lists feeds one per line with settings
	// (see feeds.ParseFile). Both are subscriptions kept in step with the
	// configuration at every start; feeds added through the API stay.
	Feeds     []string
	FeedsFile string
	// AllowPrivateFetch lets the feed reader fetch loopback, private and
	// link-local addresses; off, such URLs are refused (SSRF).
	AllowPrivateFetch bool
	// FeedMinInterval is the shortest poll interval a subscription may ask
	// for.
	FeedMinInterval time.Duration
	// FeedRefetch is how long after fetching an article the feed reader
	// fetches it again while its item stays in the feed, to catch edits
	// the feed does not announce; 0 never does.
	FeedRefetch time.Duration
}

func defaultIngestConfig() IngestConfig {
	return IngestConfig{FeedMinInterval: time.Minute, FeedRefetch: 24 * time.Hour}
}

func (c *IngestConfig) fromEnv(e *envReader) {
	e.list("POLICYSEARCH_WATCH", &c.Watch)
	e.boolean("POLICYSEARCH_WATCH_FOLLOW_SYMLINKS", &c.WatchFollowSymlinks)
	e.list("POLICYSEARCH_FEEDS", &c.Feeds)
	e.str("POLICYSEARCH_FEEDS_FILE", &c.FeedsFile)
	e.boolean("POLICYSEARCH_ALLOW_PRIVATE_FETCH", &c.AllowPrivateFetch)
	e.duration("POLICYSEARCH_FEED_MIN_INTERVAL", &c.FeedMinInterval)
	e.duration("POLICYSEARCH_FEED_REFETCH", &c.FeedRefetch)
}

// ingestFlags registers serve's folder and feed flags.
func ingestFlags(fs *pflag.FlagSet, c *Config) {
	in := &c.Ingest
	fs.StringSliceVar(&in.Watch, "watch", in.Watch, "folder to keep indexed: synced at start, then followed (repeatable; env POLICYSEARCH_WATCH, comma-separated)")
	fs.BoolVar(&in.WatchFollowSymlinks, "watch-follow-symlinks", in.WatchFollowSymlinks, "index files that links in a watched folder lead to outside it; off, only links that stay inside are followed (env POLICYSEARCH_WATCH_FOLLOW_SYMLINKS)")
	fs.StringSliceVar(&in.Feeds, "feed", in.Feeds, "RSS, Atom or JSON feed URL to follow (repeatable; env POLICYSEARCH_FEEDS, comma-separated)")
	fs.StringVar(&in.FeedsFile, "feeds-file", in.FeedsFile, "file of feeds, one per line: URL [interval=30m] [source=\"…\"] [source_type=…] [country=…] [tags=a,b] (env POLICYSEARCH_FEEDS_FILE)")
	fs.BoolVar(&in.AllowPrivateFetch, "allow-private-fetch", in.AllowPrivateFetch, "let the feed reader fetch loopback, private and link-local addresses (env POLICYSEARCH_ALLOW_PRIVATE_FETCH)")
	fs.DurationVar(&in.FeedMinInterval, "feed-min-interval", in.FeedMinInterval, "shortest poll interval a feed may ask for (env POLICYSEARCH_FEED_MIN_INTERVAL)")
	fs.DurationVar(&in.FeedRefetch, "feed-refetch", in.FeedRefetch, "fetch an article again this long after the last fetch while its item stays in the feed, to catch unannounced edits; 0 never (env POLICYSEARCH_FEED_REFETCH)")
}

// Validate names the first bad setting. Watched folders are checked when
// serve opens them, so other commands do not trip over them.
func (c *IngestConfig) Validate() error {
	if c.FeedMinInterval <= 0 {
		return fmt.Errorf("feed-min-interval: must be positive")
	}
	if c.FeedRefetch < 0 {
		return fmt.Errorf("feed-refetch: must be 0 (never) or positive")
	}
	return nil
}

// subscriptions are the configured feeds: --feed URLs, then the file's.
func (c *IngestConfig) subscriptions() ([]feeds.Subscription, error) {
	var subs []feeds.Subscription
	for _, u := range c.Feeds {
		subs = append(subs, feeds.Subscription{URL: u})
	}
	if c.FeedsFile != "" {
		f, err := os.Open(c.FeedsFile)
		if err != nil {
			return nil, fmt.Errorf("feeds file: %w", err)
		}
		defer f.Close()
		more, err := feeds.ParseFile(f)
		if err != nil {
			return nil, fmt.Errorf("feeds file %s: %w", c.FeedsFile, err)
		}
		subs = append(subs, more...)
	}
	return subs, nil
}

// background is the feed reader and folder watcher serve runs beside the
// HTTP server.
type background struct {
	Feeds   *feeds.Service
	watcher *watch.Watcher
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// refetchAfter maps the setting, where 0 means never, to feeds.Config,
// where 0 means the default and never is negative.
func refetchAfter(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// openBackground builds the feed reader (always: subscriptions may come
// through the API) and, when folders are configured, the watcher. Start
// them with start; stop with stop.
func openBackground(cfg *Config, ix *index.Index, log *slog.Logger) (*background, error) {
	fr, err := feeds.New(ix, feeds.Config{
		StorePath:    filepath.Join(cfg.Data, "feeds.db"),
		AllowPrivate: cfg.Ingest.AllowPrivateFetch,
		MinInterval:  cfg.Ingest.FeedMinInterval,
		RefetchAfter: refetchAfter(cfg.Ingest.FeedRefetch),
		UserAgent:    "policysearch/" + version + " (feed reader)",
		Log:          log.With("component", "feeds"),
	})
	if err != nil {
		return nil, err
	}
	b := &background{Feeds: fr}
	subs, err := cfg.Ingest.subscriptions()
	if err == nil {
		err = fr.Configure(subs)
	}
	if err != nil {
		fr.Close()
		return nil, err
	}
	if len(cfg.Ingest.Watch) > 0 {
		b.watcher, err = watch.New(ix, cfg.Ingest.Watch, watch.Options{
			StatePath:      filepath.Join(cfg.Data, "watch.db"),
			Log:            log.With("component", "watch"),
			FollowSymlinks: cfg.Ingest.WatchFollowSymlinks,
		})
		if err != nil {
			fr.Close()
			return nil, err
		}
	}
	return b, nil
}

// start runs the watcher and the feed scheduler until stop.
func (b *background) start(ctx context.Context, log *slog.Logger) {
	ctx, b.cancel = context.WithCancel(ctx)
	if b.watcher != nil {
		log.Info("watching folders", "folders", b.watcher.Roots())
		b.wg.Go(func() {
			if err := b.watcher.Run(ctx); err != nil {
				log.Error("folder watcher stopped", "err", err)
			}
		})
	}
	b.wg.Go(func() { _ = b.Feeds.Run(ctx) })
}

// stop ends both, waits for the work in flight, and closes their stores.
func (b *background) stop() {
	if b.cancel != nil {
		b.cancel()
	}
	b.wg.Wait()
	if b.watcher != nil {
		b.watcher.Close()
	}
	b.Feeds.Close()
}
