// Package feeds keeps the index up with the news: it subscribes to RSS
// (0.9–2.0), Atom and JSON feeds, polls each on its interval with a
// conditional GET, and indexes every new item as the article it links to
// — the page's main text and metadata, or the item's own content when the
// page cannot be had. A document's id derives from the article's canonical
// URL, so an item seen twice, or in two feeds, is one document.
//
// Polling follows the house pattern for background work: each poll is an
// idempotent sync step whose watermark (ETag, Last-Modified and the items
// already seen) is saved after it succeeds; a scheduler woken by a timer
// or a size-1 trigger runs the due ones; a failing feed backs off
// exponentially; everything stops with the context. Fetches are polite and
// safe: one request at a time per host, a timeout, size caps, an
// identifying User-Agent, and no private or loopback addresses unless
// AllowPrivate is set.
package feeds

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"policysearch/index"
)

// Index is what the feed reader needs from the index.
type Index interface {
	Put(ctx context.Context, docs []index.Document) ([]index.PutResult, error)
}

var _ Index = (*index.Index)(nil)

// Counter is a monotonic counter (a Prometheus counter satisfies it).
type Counter interface{ Inc() }

// Config tunes the feed reader; zero fields take the defaults below.
type Config struct {
	// StorePath is the bbolt file keeping subscriptions and their
	// watermarks; "" keeps them in memory only.
	StorePath string
	// AllowPrivate lets fetches reach loopback, private and link-local
	// addresses. Off by default: feed URLs come from API callers, and the
	// server must not become their way into its own network.
	AllowPrivate bool
	// DefaultInterval applies when a subscription names none (30m);
	// MinInterval is the shortest one accepted (1m; tests lower it).
	DefaultInterval, MinInterval time.Duration
	// MaxBackoff caps the wait after repeated failures (6h).
	MaxBackoff time.Duration
	// Timeout bounds one request (15s).
	Timeout time.Duration
	// MaxFeedBytes and MaxPageBytes cap a feed document (10 MiB) and an
	// article page or PDF (5 MiB).
	MaxFeedBytes, MaxPageBytes int64
	// Concurrency is how many feeds poll at once (4); requests to one
	// host are one at a time whatever this says.
	Concurrency int
	// RefetchAfter is how long an article stays unfetched while its item
	// stays in the feed unchanged (24h): publishers correct articles
	// without touching the feed, so each is fetched again after this and
	// updated when its text changed. Negative: never.
	RefetchAfter time.Duration
	// UserAgent identifies the reader to publishers.
	UserAgent string
	Log       *slog.Logger
}

func (c *Config) defaults() {
	if c.DefaultInterval == 0 {
		c.DefaultInterval = 30 * time.Minute
	}
	if c.MinInterval == 0 {
		c.MinInterval = time.Minute
	}
	if c.DefaultInterval < c.MinInterval {
		c.DefaultInterval = c.MinInterval
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 6 * time.Hour
	}
	if c.Timeout == 0 {
		c.Timeout = 15 * time.Second
	}
	if c.MaxFeedBytes == 0 {
		c.MaxFeedBytes = 10 << 20
	}
	if c.MaxPageBytes == 0 {
		c.MaxPageBytes = 5 << 20
	}
	if c.RefetchAfter == 0 {
		c.RefetchAfter = 24 * time.Hour
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if c.UserAgent == "" {
		c.UserAgent = "policysearch/dev (feed reader)"
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Subscription is one feed to follow and the metadata its articles get
// when their pages do not say.
type Subscription struct {
	ID         string   `json:"id"`
	URL        string   `json:"url"`
	Interval   Duration `json:"interval"`
	Source     string   `json:"source,omitempty"`
	SourceType string   `json:"source_type,omitempty"`
	Country    string   `json:"country,omitempty"`
	Tags       []string `json:"tags,omitempty"`
	// Config marks subscriptions from --feed or the feeds file.
	Config  bool      `json:"from_config,omitempty"`
	Created time.Time `json:"created"`
}

// Status is a subscription and how its polling goes.
type Status struct {
	Subscription
	Title               string    `json:"title,omitempty"` // the feed's own title
	LastPoll            time.Time `json:"last_poll,omitzero"`
	LastSuccess         time.Time `json:"last_success,omitzero"`
	LastError           string    `json:"last_error,omitempty"`
	LastErrorAt         time.Time `json:"last_error_at,omitzero"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
	NextPoll            time.Time `json:"next_poll,omitzero"`
	Polls               int       `json:"polls"`
	NotModified         int       `json:"not_modified"` // polls answered 304
	ItemsSeen           int       `json:"items_seen"`   // distinct items ever read from the feed
	ItemsAdded          int       `json:"items_added"`
	ItemsUpdated        int       `json:"items_updated"`
	// ItemsRefetched counts articles fetched again because RefetchAfter
	// had passed (ItemsUpdated counts those whose text had changed).
	ItemsRefetched int `json:"items_refetched"`
	// PageFallbacks counts items indexed from the feed's own content
	// because the article page could not be fetched or read.
	PageFallbacks int `json:"page_fallbacks"`
}

// feed is one subscription with its status and watermark.
type feed struct {
	Status
	ETag         string            `json:"etag,omitempty"`
	LastModified string            `json:"last_modified,omitempty"`
	Seen         map[string]string `json:"seen,omitempty"` // item key → item hash
	SeenOrder    []string          `json:"seen_order,omitempty"`
	// Fetched is when the article of each item now in the feed was last
	// fetched (Unix seconds), for RefetchAfter.
	Fetched map[string]int64 `json:"fetched,omitempty"`
}

// Service is the feed reader: subscriptions, their scheduler and polls.
type Service struct {
	cfg    Config
	ix     Index
	st     *store
	client *http.Client
	hosts  *hostLocks

	mu      sync.Mutex
	feeds   map[string]*feed
	running map[string]bool
	wake    chan struct{} // size 1: subscription changes wake the scheduler

	polls, errors Counter
	// clock tells article fetch times; tests move it forward.
	clock func() time.Time
}

// New opens the subscription store; Run starts polling.
func New(ix Index, cfg Config) (*Service, error) {
	cfg.defaults()
	st, err := openStore(cfg.StorePath)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, ix: ix, st: st, client: newClient(cfg), hosts: newHostLocks(),
		feeds: map[string]*feed{}, running: map[string]bool{}, wake: make(chan struct{}, 1), clock: time.Now}
	fs, err := st.load()
	if err != nil {
		st.close()
		return nil, err
	}
	for _, f := range fs {
		s.feeds[f.ID] = f
	}
	return s, nil
}

// Close closes the store; call it after Run has returned.
func (s *Service) Close() error { return s.st.close() }

// SetCounters hands the service the metrics it counts polls and failed
// polls with.
func (s *Service) SetCounters(polls, errors Counter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.polls, s.errors = polls, errors
}

// MinInterval is the shortest poll interval accepted.
func (s *Service) MinInterval() time.Duration { return s.cfg.MinInterval }

// Subscribe validates and saves a subscription and polls it at once. A
// URL already subscribed is a Conflict naming the existing id.
func (s *Service) Subscribe(ctx context.Context, sub Subscription) (Status, error) {
	if err := s.normalize(&sub); err != nil {
		return Status{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.feeds[sub.ID]; ok {
		return old.Status, &index.Error{Kind: index.Conflict, Code: "feed_exists", Field: "url",
			Message: fmt.Sprintf("already subscribed to this feed as %s", old.ID)}
	}
	sub.Created = time.Now().UTC()
	f := &feed{Status: Status{Subscription: sub, NextPoll: time.Now()}}
	if err := s.st.save(f); err != nil {
		return Status{}, err
	}
	s.feeds[sub.ID] = f
	s.trigger()
	return f.Status, nil
}

// Configure makes the subscriptions from --feed and the feeds file exist
// with the given settings, keeping their watermarks across restarts, and
// drops configured ones no longer listed. Feeds added through the API
// are left alone.
func (s *Service) Configure(subs []Subscription) error {
	want := map[string]bool{}
	for i := range subs {
		sub := subs[i]
		sub.Config = true
		if err := s.normalize(&sub); err != nil {
			return fmt.Errorf("feed %s: %w", subs[i].URL, err)
		}
		want[sub.ID] = true
		s.mu.Lock()
		f, ok := s.feeds[sub.ID]
		if !ok {
			sub.Created = time.Now().UTC()
			f = &feed{Status: Status{NextPoll: time.Now()}}
			s.feeds[sub.ID] = f
		} else {
			sub.Created = f.Created
		}
		f.Subscription = sub
		err := s.st.save(f)
		s.mu.Unlock()
		if err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, f := range s.feeds {
		if f.Config && !want[id] {
			if err := s.st.remove(id); err != nil {
				return err
			}
			delete(s.feeds, id)
		}
	}
	s.trigger()
	return nil
}

// Unsubscribe stops following a feed. Its articles stay in the index.
func (s *Service) Unsubscribe(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.feeds[id]; !ok {
		return &index.Error{Kind: index.NotFound, Code: "not_found", Message: fmt.Sprintf("no feed with id %q", id)}
	}
	if err := s.st.remove(id); err != nil {
		return err
	}
	delete(s.feeds, id)
	return nil
}

// List returns every subscription's status, by URL.
func (s *Service) List() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Status, 0, len(s.feeds))
	for _, f := range s.feeds {
		out = append(out, f.copyStatus())
	}
	slices.SortFunc(out, func(a, b Status) int { return strings.Compare(a.URL, b.URL) })
	return out
}

// Get returns one subscription's status.
func (s *Service) Get(id string) (Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.feeds[id]
	if !ok {
		return Status{}, &index.Error{Kind: index.NotFound, Code: "not_found", Message: fmt.Sprintf("no feed with id %q", id)}
	}
	return f.copyStatus(), nil
}

func (f *feed) copyStatus() Status {
	st := f.Status
	st.Tags = slices.Clone(st.Tags)
	return st
}

// normalize checks a subscription, naming the bad field, and gives it
// its id: derived from the feed's canonical URL, so the same feed is the
// same subscription however it was added.
func (s *Service) normalize(sub *Subscription) error {
	u, err := checkURL(sub.URL, s.cfg.AllowPrivate)
	if err != nil {
		return index.InvalidField("url", "%v", err)
	}
	sub.URL = u.String()
	sub.ID = "feed-" + index.DeriveID(index.CanonicalURL(sub.URL))
	switch {
	case sub.Interval == 0:
		sub.Interval = Duration(s.cfg.DefaultInterval)
	case time.Duration(sub.Interval) < s.cfg.MinInterval:
		return index.InvalidField("interval", "must be at least %s", s.cfg.MinInterval)
	case time.Duration(sub.Interval) > 7*24*time.Hour:
		return index.InvalidField("interval", "must be at most 168h (a week)")
	}
	d := index.Document{ID: "x", Title: "x", Source: sub.Source, SourceType: sub.SourceType, Country: sub.Country, Tags: sub.Tags}
	if err := d.Normalize(); err != nil {
		return err // names source_type when it is not one of the known kinds
	}
	sub.Source, sub.SourceType, sub.Country, sub.Tags = d.Source, d.SourceType, d.Country, d.Tags
	return nil
}

// trigger wakes the scheduler; a pending wake-up absorbs more.
func (s *Service) trigger() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
