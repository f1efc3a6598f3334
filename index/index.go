package index

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

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
)

const (
	storeFile   = "documents.db"
	currentFile = "CURRENT" // names the live bleve index under indexes/
	indexesDir  = "indexes"
	mappingKey  = "policysearch_mapping"
	// batchSize bounds one bleve batch: big enough to amortise the fsync,
	// small enough that memory stays flat on a 100k-document load.
	batchSize = 512
)

// Index is the documents plus their bleve index. Writes are serialised so
// the store and bleve agree for every id; searches never take that lock.
type Index struct {
	closeOnce sync.Once
	closeErr  error
	dir       string
	log       *slog.Logger
	mapping   *mapping.IndexMappingImpl
	version   string
	store     *store

	mu   sync.Mutex  // serialises writes and index swaps
	live bleve.Index // the index searches see (through alias)
	side bleve.Index // a rebuild in progress
	// dirty holds ids written while a rebuild fills the side index; they
	// are re-indexed from the store before the swap. nil when no rebuild.
	dirty map[string]bool
	alias bleve.IndexAlias
	// unsettled is set when a bleve batch failed after the store took
	// it; the next write indexes the pending documents first.
	unsettled bool

	semantic Semantic     // nil: keyword search only
	dups     *dupIndex    // near-duplicate fingerprints of every document
	cache    *resultCache // nil: off
	ranks    *rankCache   // deep pages' ranked lists (rankcache.go); nil: off
	// defaultRatio is the semantic ratio of queries that set none.
	defaultRatio float64
	gen          atomic.Uint64 // bumps on every change; result caches key on it
	onChange     []func(ChangeEvent)
	repl         *replication // nil: writes go straight to the store (replicated.go)
	// exactFacets overrides exactFacetsUpTo when set (tests use small sets).
	exactFacets uint64
	// noPruning turns prune.go off (tests compare against the full search).
	noPruning bool
	// prunedPages counts pages a pruned search served (tests read it).
	prunedPages atomic.Int64
	lengths     fieldLengths // average field lengths for BM25 (lengths.go)
	// costly holds a slot per running search with fuzzy or prefix terms
	// (cost.go).
	costly chan struct{}
	// The walk of the store's pages after Open (storecheck.go).
	walkStop, walkDone chan struct{}
	storeDamage        atomic.Pointer[Error] // set when the walk finds damage
	dupsLoaded         chan struct{}         // closed once the fingerprints are loaded (duprestart.go)
	linked             linkedDocs            // the linked set's internal numbers (linked.go)
	copyOrders         copyOrders            // the linked set's groups (copyorder.go)
	swapMu             sync.RWMutex          // held to swap the live index, read to take a reader from it
	recheck            recheck               // segments Open did not read (segmentcheck.go)
	columns            *facetColumns         // facet values by segment (facetcolumns.go)
	impacts            *impactCache          // block maxima by segment (impacts.go)
}

// ChangeEvent tells listeners (alerts, embeddings) what a write changed.
type ChangeEvent struct {
	Put     []*Document
	Deleted []string
}

// Open opens or creates the data directory. It repairs writes a crash left
// half done and rebuilds the index when it is missing, damaged, unreadable
// or was made with another mapping, so it opens every time the store
// does. A damaged store, or an empty one beside an index that holds
// documents, is refused (integrity.go).
func Open(ctx context.Context, dir string, log *slog.Logger, opts ...OpenOption) (*Index, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var o openOptions
	for _, opt := range opts {
		opt(&o)
	}
	if err := os.MkdirAll(filepath.Join(dir, indexesDir), 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	m, err := newMapping()
	if err != nil {
		return nil, fmt.Errorf("index mapping: %w", err)
	}
	storePath := filepath.Join(dir, storeFile)
	_, statErr := os.Stat(storePath)
	st, err := openStore(storePath)
	if err != nil {
		return nil, err
	}
	ix := &Index{dir: dir, log: log, mapping: m, version: mappingVersion(m), store: st, dups: newDupIndex(), costly: make(chan struct{}, CostlySearches), columns: newFacetColumns(log)}
	ix.impacts = newImpactCache(ix)
	var empty string
	err = guarded(func() error {
		if err := ix.loadFingerprints(); err != nil { // duprestart.go
			return fmt.Errorf("load near-duplicate fingerprints: %w", err)
		}
		began := time.Now()
		empty, err = st.survey(statErr == nil)
		startStep(log, "store survey", began)
		return err
	})
	if err != nil {
		ix.waitFingerprints()
		st.close()
		return nil, errStoreDamaged(storePath, err)
	}
	if o.acceptEmptyStore {
		empty = ""
	}
	ix.gen.Store(uint64(time.Now().UnixNano())) // caches from a previous run never match
	ix.SetCacheSize(DefaultCacheSize)
	ix.defaultRatio = DefaultSemanticRatio
	ix.SetCacheSize(DefaultCacheSize)
	began := time.Now()
	if err := ix.openLive(ctx, empty); err != nil {
		ix.waitFingerprints()
		st.close()
		return nil, err
	}
	startStep(log, "open index", began)
	ix.alias = bleve.NewIndexAlias(ix.live)
	began = time.Now()
	if err := ix.recover(); err != nil {
		ix.Close()
		return nil, err
	}
	ix.removeStale()
	startStep(log, "recover and clean", began)
	ix.checkStoreLater()
	// Broad queries read block maxima (impacts.go): a restarted server
	// builds them now rather than at its first such query.
	ix.impacts.buildFor(ix.liveReader)
	return ix, nil
}

// startStep logs at Debug how long one step of Open took, so that a slow
// start names its cause.
func startStep(log *slog.Logger, step string, began time.Time) {
	log.Debug("start-up step", "step", step, "took", time.Since(began).Round(time.Microsecond))
}

// openLive opens the index CURRENT names, or builds one from the store.
// A segment that fails its checksum, or an index bleve cannot open, is
// rebuilt. emptyStore, when set, says how the store is empty: an index
// holding documents beside it is then refused rather than served.
func (ix *Index) openLive(ctx context.Context, emptyStore string) error {
	name, _ := os.ReadFile(filepath.Join(ix.dir, currentFile))
	if n := strings.TrimSpace(string(name)); n != "" {
		path := filepath.Join(ix.dir, indexesDir, n)
		var idx bleve.Index
		began := time.Now()
		skipped, err := checkNewSegments(path)
		startStep(ix.log, "segment checksums", began)
		damaged := err != nil && !errors.Is(err, os.ErrNotExist)
		if !damaged {
			began = time.Now()
			err = guarded(func() (err error) {
				idx, err = bleve.Open(path)
				return err
			})
			startStep(ix.log, "bleve open", began)
			damaged = errors.Is(err, errPanicked)
		}
		if err == nil && emptyStore != "" {
			indexed, _ := idx.DocCount()
			if indexed > 0 {
				idx.Close()
				return errStoreEmpty(filepath.Join(ix.dir, storeFile), emptyStore, indexed)
			}
		}
		switch {
		case err == nil:
			v, _ := idx.GetInternal([]byte(mappingKey))
			if string(v) == ix.version {
				ix.live = idx
				ix.recheck = recheck{dir: path, segments: skipped}
				return nil
			}
			idx.Close()
			ix.log.Info("index mapping changed; rebuilding from stored documents", "old", string(v), "new", ix.version)
		case damaged:
			ix.log.Error("index damaged; rebuilding it from stored documents", "index", n, "err", err)
		default:
			ix.log.Warn("index unreadable; rebuilding from stored documents", "index", n, "err", err)
		}
	}
	idx, name2, err := ix.newBleve()
	if err != nil {
		return err
	}
	start := time.Now()
	n, err := ix.fill(ctx, idx)
	if err != nil {
		idx.Close()
		return err
	}
	if err := ix.setCurrent(name2); err != nil {
		idx.Close()
		return err
	}
	if n > 0 {
		ix.log.Info("index rebuilt", "documents", n, "took", time.Since(start).Round(time.Millisecond))
	}
	ix.live = idx
	return nil
}

// newBleve creates an empty index with the service mapping in a fresh dir.
func (ix *Index) newBleve() (bleve.Index, string, error) {
	name := fmt.Sprintf("idx-%d", time.Now().UnixNano())
	idx, err := bleve.New(filepath.Join(ix.dir, indexesDir, name), ix.mapping)
	if err != nil {
		return nil, "", fmt.Errorf("create index: %w", err)
	}
	if err := idx.SetInternal([]byte(mappingKey), []byte(ix.version)); err != nil {
		idx.Close()
		return nil, "", err
	}
	return idx, name, nil
}

// setCurrent atomically points CURRENT at name (write aside, fsync, rename).
func (ix *Index) setCurrent(name string) error {
	tmp := filepath.Join(ix.dir, currentFile+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(name + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(ix.dir, currentFile)); err != nil {
		return err
	}
	if d, err := os.Open(ix.dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// removeStale deletes index directories other than the live one: leftovers
// of a rebuild that a crash interrupted, or of a swap already done.
func (ix *Index) removeStale() {
	live := ix.liveName()
	entries, _ := os.ReadDir(filepath.Join(ix.dir, indexesDir))
	for _, e := range entries {
		if e.Name() != live {
			if err := os.RemoveAll(filepath.Join(ix.dir, indexesDir, e.Name())); err == nil {
				ix.log.Info("removed stale index", "index", e.Name())
			}
		}
	}
}

func (ix *Index) liveName() string {
	b, _ := os.ReadFile(filepath.Join(ix.dir, currentFile))
	return strings.TrimSpace(string(b))
}

// recover re-applies writes that reached the store but maybe not bleve.
func (ix *Index) recover() error {
	ids, err := ix.store.pending()
	if err != nil || len(ids) == 0 {
		return err
	}
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	if err := ix.catchUp(ix.live, set); err != nil {
		return fmt.Errorf("repair index: %w", err)
	}
	ix.log.Info("repaired writes interrupted by a crash", "documents", len(ids))
	return ix.store.settle(ids)
}

// fill indexes every stored document into idx, one page at a time,
// without the write lock: during a rebuild, documents written meanwhile
// are re-indexed from the store before the swap (see Rebuild).
func (ix *Index) fill(ctx context.Context, idx bleve.Index) (int, error) {
	n, after := 0, ""
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		docs, err := ix.store.page(after, batchSize)
		if err != nil {
			return n, err
		}
		if len(docs) == 0 {
			return n, nil
		}
		for start := 0; start < len(docs); {
			end := batchEnd(docs, start)
			b := idx.NewBatch()
			all := ix.allLengths()
			for _, d := range docs[start:end] {
				if err := b.Index(d.ID, bleveDoc(d, all)); err != nil {
					return n, err
				}
			}
			if err := idx.Batch(b); err != nil {
				return n, err
			}
			start = end
		}
		n += len(docs)
		after = docs[len(docs)-1].ID
	}
}

// Close closes the index and the store. Later calls return the first
// one's answer: bleve panics on a second close.
func (ix *Index) Close() error {
	ix.closeOnce.Do(func() { ix.closeErr = ix.close() })
	return ix.closeErr
}

func (ix *Index) close() error {
	ix.stopStoreCheck()
	ix.columns.close()
	ix.impacts.close()
	ix.copyOrders.close()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var errs []error
	if ix.side != nil {
		errs = append(errs, ix.side.Close())
	}
	if ix.live != nil {
		errs = append(errs, ix.live.Close())
	}
	errs = append(errs, ix.saveFingerprintState())
	errs = append(errs, ix.store.close())
	return errors.Join(errs...)
}

// Generation changes whenever the searchable content changes.
func (ix *Index) Generation() uint64 { return ix.gen.Load() }

// OnChange registers fn to be called after every durable write. It must be
// called before the index is shared, and fn must not block for long.
func (ix *Index) OnChange(fn func(ChangeEvent)) { ix.onChange = append(ix.onChange, fn) }
