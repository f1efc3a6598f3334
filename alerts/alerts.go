// Package alerts keeps saved searches and tells their owners when a new or
// changed document matches one. Researchers should not have to re-run a
// search every morning: each document the index accepts is matched right
// after it is indexed against every saved search, by the same query code
// as /api/search (and, for semantic alerts, by the similarity of its best
// passage once its vectors exist), and each match is recorded with the
// passage that matched and why. Matches are delivered as signed webhook
// POSTs, retried with backoff from a durable outbox, and as an Atom feed.
//
// Delivery rule: one delivery per (alert, document, content hash). A
// document re-added unchanged never delivers (the index does not even
// report it); a document updated so that its content hash changes and
// that still matches delivers once more; a document that matched before
// the alert existed never delivers.
package alerts

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"policysearch/embedding"
	"policysearch/index"
)

// Defaults of Config.
const (
	// DefaultThreshold is the cosine similarity a semantic alert needs by
	// default. It was calibrated with the reference model (Universal
	// Sentence Encoder lite) on perspectrum-dev: 139 policy claims against
	// 11,112 perspectives, a pair above the threshold counting as a fired
	// alert. 0.75 is the lowest threshold at which at least half of the
	// alerts go to perspectives judged relevant (0.51, a lower bound since
	// unjudged pairs count as wrong; recall 0.12, 3.5 alerts per claim);
	// at the former 0.5, 95% were false alarms (256 per claim).
	// TestDefaultThresholdPrecision repeats the measurement.
	DefaultThreshold    = 0.75
	DefaultMaxEntries   = 500
	DefaultMaxAttempts  = 8
	DefaultBackoffBase  = 2 * time.Second
	DefaultBackoffMax   = 15 * time.Minute
	DefaultTimeout      = 10 * time.Second
	DefaultSemanticWait = 30 * time.Minute
	// MaxAlerts bounds the matching work each new document costs.
	MaxAlerts = 10000
)

// Index is what alerts need from the index.
type Index interface {
	Prepare(q index.Query) (*index.Saved, error)
	NewPercolator(docs []*index.Document) (*index.Percolator, error)
	Existing(ctx context.Context, ids []string) (map[string]bool, error)
	MatchSemantic(ctx context.Context, q index.Query, ids []string, threshold float64) ([]index.Match, error)
	Walk(ctx context.Context, fn func(*index.Document) error) error
}

var _ Index = (*index.Index)(nil)

// Vectors reports a document's embedding progress; *embedding.Service
// implements it. Semantic matching waits until a document is embedded.
type Vectors interface {
	DocStatus(id string) *embedding.DocStatus
}

// Config configures a Service. Parse is required; zero values elsewhere
// take the defaults above.
type Config struct {
	// Parse turns an alert's stored search parameters (a query string of
	// /api/search) into a query, with the same parser as the API.
	Parse func(params string) (index.Query, error)
	// Vectors, when set, turns on semantic matching.
	Vectors Vectors
	// AllowPrivate lets webhooks reach loopback and private addresses.
	AllowPrivate bool
	// BaseURL is the service's public address, for document links in
	// webhook payloads; empty leaves them out.
	BaseURL string
	Log     *slog.Logger

	MaxEntries   int           // matches kept per alert for the feed
	MaxAttempts  int           // webhook attempts before a delivery fails
	BackoffBase  time.Duration // first retry delay, doubled each time
	BackoffMax   time.Duration
	Timeout      time.Duration // one webhook request
	MatchTimeout time.Duration // one alert's keyword match of one batch
	// MaxMatchTimeout is the longest a cut match's retry of one document
	// may take (backlog.go); past it the document is given up for that
	// alert, logged as an error. Default 16 × MatchTimeout.
	MaxMatchTimeout time.Duration
	SemanticWait    time.Duration // how long a document may wait for vectors
	PollInterval    time.Duration // how often waiting documents are checked
	// Client sends webhooks; nil builds one that refuses private
	// addresses unless AllowPrivate is set.
	Client *http.Client
	// NoDelivery records matches (the feeds) but sends no webhooks: on
	// every cluster node but the one that delivers (see Log).
	NoDelivery bool
}

func (c *Config) defaults() {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	dur := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&c.MaxEntries, DefaultMaxEntries)
	def(&c.MaxAttempts, DefaultMaxAttempts)
	dur(&c.BackoffBase, DefaultBackoffBase)
	dur(&c.BackoffMax, DefaultBackoffMax)
	dur(&c.Timeout, DefaultTimeout)
	dur(&c.MatchTimeout, DefaultMatchTimeout)
	dur(&c.MaxMatchTimeout, 16*c.MatchTimeout)
	dur(&c.SemanticWait, DefaultSemanticWait)
	dur(&c.PollInterval, 250*time.Millisecond)
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.Client == nil {
		c.Client = newClient(c.AllowPrivate, c.Timeout)
	}
}

// Alert is a saved search and how its matches are delivered.
type Alert struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Params string `json:"params"` // the search, as /api/search parameters
	// WebhookURL receives a signed JSON POST per match; empty means the
	// Atom feed only.
	WebhookURL string `json:"webhook_url,omitempty"`
	// Secret signs webhook bodies. It is shown once, by Create.
	Secret string `json:"secret,omitempty"`
	// FeedToken lets a feed reader, which cannot send an API key, read
	// this alert's Atom feed (and nothing else) when reads need a key.
	FeedToken string `json:"feed_token,omitempty"`
	// Threshold is the cosine similarity a document's best passage needs
	// for a semantic match.
	Threshold    float64    `json:"threshold"`
	Created      time.Time  `json:"created"`
	Matches      int        `json:"matches"`
	LastMatch    *time.Time `json:"last_match,omitempty"`
	LastDelivery *Delivery  `json:"last_delivery,omitempty"`
}

// Delivery is the outcome of a webhook delivery.
type Delivery struct {
	ID         string    `json:"id"`
	Status     string    `json:"status"` // delivered, retrying or failed
	At         time.Time `json:"at"`
	Attempts   int       `json:"attempts"`
	HTTPStatus int       `json:"http_status,omitempty"`
	Error      string    `json:"error,omitempty"`
}

// Entry is one match of an alert: what the feed lists and the webhook
// posts.
type Entry struct {
	ID        string    `json:"id"` // also the webhook delivery id
	AlertID   string    `json:"alert_id"`
	MatchedAt time.Time `json:"matched_at"`
	Document  Doc       `json:"document"`
	Match     Evidence  `json:"match"`
}

// Doc is the matched document as an entry describes it.
type Doc struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	URL         string `json:"url,omitempty"`  // the original
	Link        string `json:"link,omitempty"` // its page on this service
	Source      string `json:"source,omitempty"`
	Published   string `json:"published,omitempty"`
	ContentHash string `json:"content_hash"`
}

// Evidence says which passage matched and why: the words that matched
// (keyword) or the passage's similarity to the query (semantic).
type Evidence struct {
	Kind        string   `json:"kind"` // keyword or semantic
	Terms       []string `json:"terms,omitempty"`
	Phrases     []string `json:"phrases,omitempty"` // the query's quoted phrases it holds
	Similarity  *float64 `json:"similarity,omitempty"`
	Passage     *int     `json:"passage,omitempty"`
	PassageHTML string   `json:"passage_html"`
}

// Service stores alerts, matches new documents against them and delivers
// the matches. Its methods are safe for concurrent use.
type Service struct {
	cfg   Config
	st    *store
	ix    Index
	log   Log // nil: single node (cluster.go)
	wg    sync.WaitGroup
	start sync.Once

	mu     sync.RWMutex
	active map[string]*active // parsed alerts, by id

	lanes []*lane    // documents to match by keywords (lanes.go)
	wmu   sync.Mutex // guards the lanes' progress
	// plainBusy is set while the plain lane matches (see yield).
	plainBusy atomic.Bool

	retryWake chan struct{} // wakes the retrier (backlog.go)

	qmu      sync.Mutex
	waiting  map[string]docRef // documents waiting for vectors
	sendWake chan struct{}
}

// active is an alert with its search parsed once.
type active struct {
	Alert
	q                 index.Query
	saved             *index.Saved
	keyword, semantic bool
	took              atomic.Int64 // how long its last keyword match took (ns)
	behind            backlog      // documents its cut matches left (backlog.go)
}

// docRef is a changed document as matching sees it.
type docRef struct {
	id, hash  string
	indexedAt time.Time
	doc       *index.Document
}

// Open opens or creates the alert store at path.
func Open(path string, ix Index, cfg Config) (*Service, error) {
	if cfg.Parse == nil {
		return nil, fmt.Errorf("alerts: Config.Parse is required")
	}
	cfg.defaults()
	st, err := openStore(path)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, st: st, ix: ix, active: map[string]*active{}, waiting: map[string]docRef{},
		lanes: newLanes(), sendWake: make(chan struct{}, 1), retryWake: make(chan struct{}, 1)}
	all, err := st.list()
	if err != nil {
		st.close()
		return nil, err
	}
	for _, a := range all {
		if a.FeedToken == "" { // saved before feeds had tokens
			a.FeedToken = newFeedToken()
			if err := st.putAlert(a); err != nil {
				st.close()
				return nil, err
			}
		}
		if err := s.activate(a); err != nil {
			cfg.Log.Warn("saved alert no longer parses; it will not match", "alert", a.ID, "err", err)
		}
	}
	return s, nil
}

// Close waits for the background work (stopped by Start's context) and
// closes the store.
func (s *Service) Close() error {
	s.wg.Wait()
	return s.st.close()
}

// Semantic reports whether semantic matching is on.
func (s *Service) Semantic() bool { return s.cfg.Vectors != nil }

func (s *Service) activate(a Alert) error {
	q, err := s.cfg.Parse(a.Params)
	if err != nil {
		return err
	}
	saved, err := s.ix.Prepare(q)
	if err != nil {
		return err
	}
	kw, sem := s.modes(q)
	s.mu.Lock()
	s.active[a.ID] = &active{Alert: a, q: q, saved: saved, keyword: kw, semantic: sem}
	s.mu.Unlock()
	return nil
}

// modes decides how an alert matches, as index.Search decides how a
// search ranks: semantic needs a configured layer and query text; a
// semantic_ratio of 0 or 1 means one side only.
func (s *Service) modes(q index.Query) (keyword, semantic bool) {
	if s.cfg.Vectors == nil || q.Text == "" || q.Mode == index.ModeKeyword {
		return true, false
	}
	if q.Mode == index.ModeSemantic || (q.SemanticRatio != nil && *q.SemanticRatio == 1) {
		return false, true
	}
	if q.SemanticRatio != nil && *q.SemanticRatio == 0 {
		return true, false
	}
	return true, true
}

// MatchKinds says how alert a matches documents: "keyword", "semantic"
// or "keyword+semantic".
func (s *Service) MatchKinds(id string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.active[id]
	switch {
	case a == nil:
		return ""
	case a.keyword && a.semantic:
		return "keyword+semantic"
	case a.semantic:
		return "semantic"
	}
	return "keyword"
}

// Create validates and saves an alert, returning it with its id and, the
// only time it is shown, its webhook secret. Params must already be the
// canonical query string; an empty Name is derived from the search.
func (s *Service) Create(ctx context.Context, a Alert) (Alert, error) {
	q, err := s.cfg.Parse(a.Params)
	if err != nil {
		return Alert{}, err
	}
	a.Name = strings.Join(strings.Fields(a.Name), " ")
	if a.Name == "" {
		a.Name = q.Text
		if a.Name == "" {
			a.Name = "All documents"
		}
	}
	if utf8.RuneCountInString(a.Name) > 200 {
		return Alert{}, index.InvalidField("name", "must be at most 200 characters")
	}
	switch {
	case a.Threshold == 0:
		a.Threshold = DefaultThreshold
	case !(a.Threshold > 0 && a.Threshold <= 1):
		return Alert{}, index.InvalidField("threshold", "must be greater than 0 and at most 1")
	}
	if a.WebhookURL = strings.TrimSpace(a.WebhookURL); a.WebhookURL != "" {
		if err := checkWebhookURL(a.WebhookURL, s.cfg.AllowPrivate); err != nil {
			return Alert{}, err
		}
		a.Secret = newSecret()
	}
	s.mu.RLock()
	n := len(s.active)
	s.mu.RUnlock()
	if n >= MaxAlerts {
		return Alert{}, &index.Error{Kind: index.Conflict, Code: "too_many_alerts", Message: fmt.Sprintf("there are already %d alerts; delete some first", n)}
	}
	a.ID, a.Created, a.Matches, a.LastMatch, a.LastDelivery = newID(), time.Now().UTC(), 0, nil, nil
	a.FeedToken = newFeedToken()
	if s.log != nil {
		return a, s.logCreate(ctx, a)
	}
	if err := s.st.putAlert(a); err != nil {
		return Alert{}, err
	}
	if err := s.activate(a); err != nil {
		return Alert{}, err
	}
	return a, nil
}

// List returns every alert, oldest first, without secrets.
func (s *Service) List(ctx context.Context) ([]Alert, error) {
	all, err := s.st.list()
	for i := range all {
		all[i].Secret = ""
	}
	return all, err
}

// Get returns one alert without its secret.
func (s *Service) Get(ctx context.Context, id string) (Alert, error) {
	a, err := s.st.getAlert(id)
	a.Secret = ""
	return a, err
}

// Delete removes an alert, its recorded matches and pending deliveries.
func (s *Service) Delete(ctx context.Context, id string) error {
	if s.log != nil {
		return s.logDelete(ctx, id)
	}
	if err := s.st.deleteAlert(id); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.active, id)
	s.mu.Unlock()
	return nil
}

// Entries returns up to n of an alert's recorded matches, newest first.
func (s *Service) Entries(ctx context.Context, id string, n int) ([]Entry, error) {
	return s.st.entries(id, n)
}

func notFound(id string) error {
	if len(id) > 40 {
		id = id[:40] + "…"
	}
	return &index.Error{Kind: index.NotFound, Code: "not_found", Message: fmt.Sprintf("no alert with id %q", strings.ToValidUTF8(id, "?"))}
}

// signal wakes a goroutine; bursts coalesce into one wake-up.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
