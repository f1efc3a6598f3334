package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
)

// Status says what a Put did to one document.
type Status string

const (
	Added     Status = "added"
	Updated   Status = "updated"
	Unchanged Status = "unchanged"
)

// PutResult is the outcome for one document of a Put.
type PutResult struct {
	ID     string `json:"id"`
	Status Status `json:"status"`
	// Sequence is the write-log position of the write on a replicated
	// index, and Pending says this node had not applied it when Put
	// returned (the log has it). See replicated.go.
	Sequence uint64 `json:"sequence,omitempty"`
	Pending  bool   `json:"pending,omitempty"`
}

// Put validates and stores docs, then indexes the ones whose content hash
// changed. When it returns without error every document is durable in both
// the store and the index. Invalid input fails the whole call before
// anything is written; the error names the document's position.
func (ix *Index) Put(ctx context.Context, docs []Document) ([]PutResult, error) {
	prepared := make([]*Document, len(docs))
	for i := range docs {
		d := docs[i]
		if err := d.Prepare(); err != nil {
			if len(docs) > 1 {
				if e, ok := err.(*Error); ok {
					c := *e
					c.Message = fmt.Sprintf("document %d: %s", i+1, e.Message)
					err = &c
				}
			}
			return nil, err
		}
		prepared[i] = &d
	}
	return ix.putPrepared(ctx, prepared, nil)
}

// putPrepared is Put for documents already through Prepare: a bulk load
// prepares each as it is read (bulk.go), overlapping the previous batch's
// write. ready holds the ones analyzed ahead (ahead.go).
func (ix *Index) putPrepared(ctx context.Context, prepared []*Document, ready map[*Document]ahead) ([]PutResult, error) {
	if ix.repl != nil {
		return ix.putLogged(ctx, prepared)
	}
	results := make([]PutResult, 0, len(prepared))
	for start := 0; start < len(prepared); {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		end := batchEnd(prepared, start)
		r, err := ix.putBatch(prepared[start:end], ready)
		start = end
		results = append(results, r...)
		if err != nil {
			return results, err
		}
	}
	return results, nil
}

// batchEnd returns where the batch starting at start ends.
func batchEnd(docs []*Document, start int) int {
	end, sum := start, weight{}
	for end < len(docs) {
		w := weigh(docs[end])
		if !fits(end-start, sum, w) {
			break
		}
		sum = sum.add(w)
		end++
	}
	return end
}

func (ix *Index) putBatch(docs []*Document, ready map[*Document]ahead) ([]PutResult, error) {
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.settleDeferred(); err != nil {
		return nil, err
	}
	old, err := ix.store.hashes(ids)
	if err != nil {
		return nil, err
	}
	results := make([]PutResult, len(docs))
	latest := map[string]*Document{} // a batch naming one id twice keeps the last
	var order []string
	now := time.Now().UTC()
	for i, d := range docs {
		switch h, ok := old[d.ID]; {
		case !ok:
			results[i] = PutResult{ID: d.ID, Status: Added}
		case h == d.Hash:
			results[i] = PutResult{ID: d.ID, Status: Unchanged}
			continue
		default:
			results[i] = PutResult{ID: d.ID, Status: Updated}
		}
		if latest[d.ID] == nil {
			order = append(order, d.ID)
		}
		d.IndexedAt = now
		latest[d.ID] = d
		old[d.ID] = d.Hash
	}
	if len(order) == 0 {
		return results, nil
	}
	changed := make([]*Document, len(order))
	var sum weight
	for i, id := range order {
		changed[i] = latest[id]
		sum = sum.add(weigh(changed[i]))
	}
	if err := ix.roomFor(sum); err != nil {
		return nil, err
	}
	enc, err := encodeAll(changed)
	if err != nil {
		return nil, err
	}
	if err := ix.store.put(enc, now); err != nil {
		// bolt rolled the transaction back: nothing of it was stored.
		return nil, diskError(fmt.Errorf("store documents: %w", err))
	}
	// From here the documents are durable: the answer says so even if
	// bleve fails, and the pending marks get them indexed later.
	if err := ix.apply(func(b *bleve.Batch) error {
		all := ix.allLengths()
		for _, d := range changed {
			if a, ok := ready[d]; ok && a.all == all {
				if err := b.IndexAdvanced(a.doc); err != nil {
					return err
				}
			} else if err := b.Index(d.ID, bleveDoc(d, all)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		ix.deferIndexing(err)
	} else if err := ix.store.settle(order); err != nil {
		ix.log.Warn("clear pending marks", "err", err) // harmless: recovery re-applies
	}
	for _, e := range enc {
		ix.dups.set(e.doc.ID, e.sig)
	}
	ix.changed(ChangeEvent{Put: changed})
	return results, nil
}

// encoded is a document ready for the store: its JSON and its
// near-duplicate fingerprint.
type encoded struct {
	doc  *Document
	json []byte
	sig  signature
}

// encodeAll encodes docs on every core. Fingerprinting and JSON are most of
// a batch's own CPU before bleve's, and the caller holds the write lock.
func encodeAll(docs []*Document) ([]encoded, error) {
	out := make([]encoded, len(docs))
	workers := min(runtime.GOMAXPROCS(0), (len(docs)+31)/32)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil { // a bug here must fail the write, not the process
					errs[w] = fmt.Errorf("encode documents: %v", p)
				}
			}()
			for i := w; i < len(docs); i += workers {
				b, err := json.Marshal(docs[i])
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = encoded{doc: docs[i], json: b, sig: minhash(docs[i].Text)}
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// apply writes one batch to the live index. Caller holds ix.mu.
func (ix *Index) apply(fill func(*bleve.Batch) error) error {
	b := ix.live.NewBatch()
	if err := fill(b); err != nil {
		return err
	}
	if err := ix.live.Batch(b); err != nil {
		return fmt.Errorf("index batch: %w", err)
	}
	return nil
}

// changed records a durable write. Caller holds ix.mu.
func (ix *Index) changed(ev ChangeEvent) {
	if ix.dirty != nil {
		for _, d := range ev.Put {
			ix.dirty[d.ID] = true
		}
		for _, id := range ev.Deleted {
			ix.dirty[id] = true
		}
	}
	ix.gen.Add(1)
	for _, fn := range ix.onChange {
		fn(ev)
	}
}

// Delete removes a document; NotFound if it does not exist.
func (ix *Index) Delete(ctx context.Context, id string) error {
	if ix.repl != nil {
		return ix.deleteLogged(ctx, id)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.settleDeferred(); err != nil {
		return err
	}
	if err := ix.roomFor(weight{}); err != nil {
		return err
	}
	existed, err := ix.store.remove([]string{id}, time.Now())
	if err != nil {
		return diskError(err)
	}
	if len(existed) == 0 {
		return &Error{Kind: NotFound, Code: "not_found", Message: fmt.Sprintf("no document with id %q", truncate(id, 80))}
	}
	if err := ix.apply(func(b *bleve.Batch) error { b.Delete(id); return nil }); err != nil {
		ix.deferIndexing(err)
	} else if err := ix.store.settle(existed); err != nil {
		ix.log.Warn("clear pending marks", "err", err)
	}
	ix.dups.remove(id)
	ix.changed(ChangeEvent{Deleted: existed})
	return nil
}

// Get returns the stored document; NotFound if it does not exist.
func (ix *Index) Get(ctx context.Context, id string) (*Document, error) {
	d, err := ix.store.get(id)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, &Error{Kind: NotFound, Code: "not_found", Message: fmt.Sprintf("no document with id %q", truncate(id, 80))}
	}
	return d, nil
}

// catchUp brings ids up to date in idx from the store: after a rebuild's
// fill, which may have read them before a write, and after a crash that
// left writes pending. Caller holds ix.mu or has the index to itself.
func (ix *Index) catchUp(idx bleve.Index, ids map[string]bool) error {
	b := idx.NewBatch()
	all := ix.allLengths()
	for id := range ids {
		d, err := ix.store.get(id)
		if err != nil {
			return err
		}
		if d == nil {
			b.Delete(id)
		} else if err := b.Index(id, bleveDoc(d, all)); err != nil {
			return err
		}
	}
	return idx.Batch(b)
}

// Walk calls fn for every stored document in id order, a page at a time.
func (ix *Index) Walk(ctx context.Context, fn func(*Document) error) error {
	after := ""
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		docs, err := ix.store.page(after, batchSize)
		if err != nil || len(docs) == 0 {
			return err
		}
		for _, d := range docs {
			if err := fn(d); err != nil {
				return err
			}
		}
		after = docs[len(docs)-1].ID
	}
}

// Rebuild builds a fresh index from the stored documents beside the live
// one while searches and writes go on, then swaps it in atomically. Writes
// wait only for the final catch-up, which re-indexes into the new index
// the documents written while it was being filled. It refuses to empty an
// index that holds documents from an empty store (see ForceRebuild).
func (ix *Index) Rebuild(ctx context.Context) (int, error) { return ix.rebuild(ctx, false) }

// ForceRebuild rebuilds even when that empties the index: after a lost
// store, on purpose.
func (ix *Index) ForceRebuild(ctx context.Context) (int, error) { return ix.rebuild(ctx, true) }

func (ix *Index) rebuild(ctx context.Context, force bool) (int, error) {
	ix.mu.Lock()
	if ix.side != nil {
		ix.mu.Unlock()
		return 0, &Error{Kind: Conflict, Code: "rebuild_running", Message: "a rebuild is already running"}
	}
	if !force {
		if err := ix.refuseEmptying(); err != nil {
			ix.mu.Unlock()
			return 0, err
		}
	}
	side, name, err := ix.newBleve()
	if err != nil {
		ix.mu.Unlock()
		return 0, err
	}
	ix.side, ix.dirty = side, map[string]bool{}
	ix.mu.Unlock()

	n, err := ix.fill(ctx, side)

	ix.mu.Lock()
	defer ix.mu.Unlock()
	dirty := ix.dirty
	ix.side, ix.dirty = nil, nil
	if err == nil {
		err = ix.catchUp(side, dirty)
	}
	if err == nil {
		err = ix.setCurrent(name)
	}
	if err != nil {
		side.Close()
		os.RemoveAll(filepath.Join(ix.dir, indexesDir, name))
		return n, fmt.Errorf("rebuild: %w", err)
	}
	old := ix.live
	ix.swapMu.Lock() // no reader is being taken from old meanwhile (linked.go)
	ix.alias.Swap([]bleve.Index{side}, []bleve.Index{old})
	ix.live = side
	ix.gen.Add(1)
	// Searches that already hold the old index finish on it: bleve keeps
	// its snapshot alive until they release it.
	if err := old.Close(); err != nil {
		ix.log.Warn("close old index", "err", err)
	}
	ix.swapMu.Unlock()
	ix.removeStale()
	return n, nil
}
