package embedding

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/sony/gobreaker/v2"

	"policysearch/index"
)

// Config configures the semantic layer.
type Config struct {
	URL    string // base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:11434/v1
	Model  string
	APIKey string // optional; never logged
	// BatchSize is how many inputs go in one request; Concurrency how many
	// requests run at once while indexing.
	BatchSize   int
	Concurrency int
	// Timeout bounds one indexing request; QueryTimeout the embedding of a
	// search query, which a user is waiting for.
	Timeout      time.Duration
	QueryTimeout time.Duration
	// MaxAttempts bounds retries of one batch before its documents are
	// marked failed (POST /api/embeddings/retry tries them again).
	MaxAttempts int
	// QueryPrefix and PassagePrefix are prepended to inputs for models
	// trained with them (e5: "query: "/"passage: ", nomic: "search_query: ").
	QueryPrefix, PassagePrefix string
	// BreakerCooldown is how long queries skip a failing endpoint before
	// one probes it again.
	BreakerCooldown time.Duration
	CacheSize       int
	// MaxTokens is the remote model's input limit, counted approximately
	// (ApproxTokens); default DefaultRemoteMaxTokens. An in-process model
	// declares its own.
	MaxTokens int
	// Offline is for measurements, not users: a query waits for its
	// vector as long as it takes, and no breaker sends it to keywords.
	Offline bool
}

// Defaults fills zero fields.
func (c *Config) Defaults() {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.BatchSize, 64)
	def(&c.Concurrency, 2)
	def(&c.MaxAttempts, 6)
	def(&c.CacheSize, 1024)
	def(&c.MaxTokens, DefaultRemoteMaxTokens)
	if c.Timeout == 0 {
		c.Timeout = 60 * time.Second
	}
	if c.QueryTimeout == 0 {
		c.QueryTimeout = 2 * time.Second
	}
	if c.BreakerCooldown == 0 {
		c.BreakerCooldown = 5 * time.Second
	}
}

// Validate names the first bad setting of a remote endpoint's config.
func (c *Config) Validate() error {
	switch {
	case c.URL == "":
		return errors.New("embeddings URL is required")
	case c.Model == "":
		return errors.New("embeddings model is required (POLICYSEARCH_EMBEDDINGS_MODEL)")
	}
	return c.validateLimits()
}

// validateLimits checks the settings every model shares.
func (c *Config) validateLimits() error {
	switch {
	case c.BatchSize < 1 || c.BatchSize > 2048:
		return fmt.Errorf("embeddings batch size %d: want 1..2048", c.BatchSize)
	case c.Concurrency < 1 || c.Concurrency > 64:
		return fmt.Errorf("embeddings concurrency %d: want 1..64", c.Concurrency)
	case c.Timeout <= 0 || c.QueryTimeout <= 0:
		return errors.New("embeddings timeouts must be positive")
	case c.MaxTokens < 1 || c.MaxTokens > 1<<20:
		return fmt.Errorf("embeddings max tokens %d: want 1..%d", c.MaxTokens, 1<<20)
	}
	return nil
}

// Docs is where the service reads documents it must embed.
type Docs interface {
	Get(ctx context.Context, id string) (*index.Document, error)
	Walk(ctx context.Context, fn func(*index.Document) error) error
}

// Service embeds documents in the background and answers semantic
// queries. Ingest never waits for it: documents are queued on change.
type Service struct {
	cfg   Config
	model Embedder
	local bool // model runs in this process: no endpoint to break
	store *Store
	vecs  *vectors
	// snapshot is where the vector graph is saved on Close and read on Start.
	snapshot string
	log      *slog.Logger
	// source, when set, delivers document vectors instead of the
	// senders (shared.go).
	source Source

	mu     sync.Mutex
	status map[string]*DocStatus
	intake []*index.Document // documents to plan, in arrival order
	// planning is how many documents the planner took from intake and
	// has not finished planning (an upper bound: the start-up walk's).
	planning int
	// unwalked is how many stored documents the start-up walk has not
	// queued yet: pending too, though not queued.
	unwalked int
	plans    map[string]*plan // documents waiting for vectors
	waiting  map[string][]string
	// inFlight holds the inputs a sender has taken and not yet filed: a
	// document planned again meanwhile (queued by the start-up walk and by
	// its write, say) waits for that request instead of sending its own.
	inFlight map[string]bool
	jobs     []job
	planWake chan struct{} // intake has documents
	jobWake  chan struct{} // jobs has inputs
	room     chan struct{} // plans were settled: the start-up walk may go on
	stopped  bool

	breaker *gobreaker.CircuitBreaker[[]float32]
	cache   *lru.Cache[string, []float32]
	outage  atomic.Bool
	wg      sync.WaitGroup

	requests, inputs, failures, cacheHits atomic.Int64
	observe                               atomic.Pointer[func(time.Duration, error)] // see ObserveRequests
}

var _ index.Semantic = (*Service)(nil)

// DocStatus is one document's embedding state.
type DocStatus struct {
	Status   string `json:"status"` // pending, done or failed
	Passages int    `json:"passages"`
	// OverLimit counts passages the model reads only in part: zero unless
	// one word is longer than the model's whole input.
	OverLimit int       `json:"inputs_over_limit,omitempty"`
	Error     string    `json:"error,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

type plan struct {
	content string // the document's content hash, when waiting on a source
	over    int    // inputs longer than the model's limit
	spans   []Passage
	hashes  []string
	missing map[string]bool
}

type job struct{ hash, input string }

// New opens the vector store at storePath and prepares a client for the
// remote endpoint cfg.URL.
func New(cfg Config, storePath string, log *slog.Logger) (*Service, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := NewClient(cfg.URL, cfg.Model, cfg.APIKey, cfg.Timeout)
	c.SetMaxTokens(cfg.MaxTokens)
	return newService(c, false, cfg, storePath, log)
}

// NewLocal is New for a model that runs in this process (the built-in):
// the same queue, store and workers, without the endpoint's breaker and
// query timeout, which guard against a server that stops answering.
func NewLocal(m Embedder, cfg Config, storePath string, log *slog.Logger) (*Service, error) {
	cfg.URL, cfg.Model = "", m.Model()
	cfg.Defaults()
	if err := cfg.validateLimits(); err != nil {
		return nil, err
	}
	return newService(m, true, cfg, storePath, log)
}

func newService(m Embedder, local bool, cfg Config, storePath string, log *slog.Logger) (*Service, error) {
	st, err := OpenStore(storePath)
	if err != nil {
		return nil, err
	}
	cache, _ := lru.New[string, []float32](cfg.CacheSize)
	s := &Service{
		cfg: cfg, model: m, local: local, store: st, vecs: newVectors(),
		log: log, status: map[string]*DocStatus{}, plans: map[string]*plan{}, waiting: map[string][]string{}, inFlight: map[string]bool{},
		planWake: make(chan struct{}, 1), jobWake: make(chan struct{}, 1), room: make(chan struct{}, 1), cache: cache,
	}
	s.vecs.dims = st.Dims(cfg.Model)
	s.snapshot = strings.TrimSuffix(storePath, filepath.Ext(storePath)) + ".vectors"
	s.breaker = gobreaker.NewCircuitBreaker[[]float32](gobreaker.Settings{
		Name:        "embeddings",
		MaxRequests: 1,
		Timeout:     cfg.BreakerCooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 2 },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			log.Info("embeddings circuit breaker", "from", from.String(), "to", to.String())
		},
	})
	return s, nil
}

// Model is the embedding model in use.
func (s *Service) Model() string { return s.cfg.Model }

// Start begins background embedding and queues every stored document;
// documents whose vectors are already stored cost no request.
func (s *Service) Start(ctx context.Context, docs Docs) {
	for range s.cfg.Concurrency {
		s.wg.Go(func() { s.sender(ctx) })
	}
	s.wg.Go(func() {
		// The snapshot loads before any document is planned, so unchanged
		// documents keep their graph nodes instead of being relinked.
		s.restore()
		s.wg.Go(func() { s.planner(ctx) })
		if c, ok := docs.(countedDocs); ok {
			if st, err := c.Stats(ctx); err == nil {
				s.mu.Lock()
				s.unwalked = st.Documents
				s.mu.Unlock()
			}
		}
		seen := map[string]bool{}
		err := docs.Walk(ctx, func(d *index.Document) error {
			seen[d.ID] = true
			if err := s.awaitRoom(ctx); err != nil {
				return err
			}
			s.mu.Lock()
			s.unwalked = max(s.unwalked-1, 0)
			s.mu.Unlock()
			s.Enqueue(d)
			return nil
		})
		s.mu.Lock()
		s.unwalked = 0
		s.mu.Unlock()
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("queue stored documents for embedding", "err", err)
			}
			return
		}
		if gone := s.vecs.sweep(seen); gone > 0 {
			s.log.Info("vector snapshot held deleted documents", "documents", gone)
		}
	})
	go func() {
		<-ctx.Done()
		s.mu.Lock()
		s.stopped = true
		s.mu.Unlock()
		signal(s.planWake)
		signal(s.jobWake)
	}()
}

// walkBacklog is how many documents the start-up walk leaves queued or
// waiting for vectors before it waits: a queued document holds its text
// and its inputs, and queuing all of 10^6 passages at once held 6 GB.
const walkBacklog = 2048

// awaitRoom waits until fewer than walkBacklog documents are queued or
// waiting for vectors. Writes never wait (OnChange): only the walk over
// the stored documents does, at the pace the endpoint embeds them.
func (s *Service) awaitRoom(ctx context.Context) error {
	for {
		s.mu.Lock()
		backlog := len(s.intake) + s.planning + len(s.plans)
		s.mu.Unlock()
		if backlog < walkBacklog {
			return nil
		}
		select { // a signal may be missed between the count and the wait
		case <-ctx.Done():
			return ctx.Err()
		case <-s.room:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// countedDocs is Docs that count their documents without a walk (the
// index's store keeps its count).
type countedDocs interface {
	Stats(ctx context.Context) (index.Stats, error)
}

// Close waits for background work (stopped by Start's context) and closes
// the store.
func (s *Service) Close() error {
	s.wg.Wait()
	start := time.Now()
	if err := s.vecs.save(s.snapshot, s.cfg.Model); err != nil {
		s.log.Warn("save vector snapshot; the next start relinks every vector", "err", err)
	} else {
		s.log.Info("saved vector snapshot", "duration", time.Since(start).Round(time.Millisecond))
	}
	return s.store.Close()
}

// restore loads the vector snapshot, if there is a usable one.
func (s *Service) restore() {
	start := time.Now()
	n, err := s.vecs.load(s.snapshot, s.cfg.Model, s.store)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		s.log.Warn("vector snapshot unusable; relinking every vector", "err", err)
	default:
		s.log.Info("loaded vector snapshot", "documents", n, "duration", time.Since(start).Round(time.Millisecond))
	}
}

// OnChange is registered with the index: new and changed documents are
// queued, deleted ones dropped. It never blocks on the endpoint.
func (s *Service) OnChange(ev index.ChangeEvent) {
	for _, d := range ev.Put {
		s.Enqueue(d)
	}
	for _, id := range ev.Deleted {
		s.mu.Lock()
		delete(s.status, id)
		if p := s.plans[id]; p != nil {
			s.unwaitLocked(id, p)
			delete(s.plans, id)
		}
		s.vecs.remove(id)
		s.mu.Unlock()
	}
}

// Enqueue queues a document for embedding.
func (s *Service) Enqueue(d *index.Document) {
	s.mu.Lock()
	s.intake = append(s.intake, d)
	st := s.status[d.ID]
	if st == nil || st.Status != "pending" {
		s.status[d.ID] = &DocStatus{Status: "pending", UpdatedAt: time.Now().UTC()}
	}
	s.mu.Unlock()
	signal(s.planWake)
}

// signal wakes a waiting goroutine; bursts coalesce into one wake-up.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
