package eval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"policysearch/embedding"
	"policysearch/index"
)

// Config says how a collection is loaded.
type Config struct {
	// Embeddings turns on the semantic layer, wired as the server wires
	// it, when its URL is set or Model is; hybrid and semantic runs need
	// it. Queries wait for their vectors as long as it takes (Offline):
	// a measurement must not fall back to keywords because it was busy.
	Embeddings embedding.Config
	// Model is an in-process embedding model, used instead of the
	// endpoint at Embeddings.URL.
	Model embedding.Embedder
	// Store is the embedding store's file, kept between runs so that an
	// unchanged collection is not embedded again; "" = a throwaway one.
	Store string
	// Log receives the index's and the embedding layer's logs.
	Log *slog.Logger
	// TempDir is where the throwaway data directory goes ("" = the
	// system's); it is removed by Close.
	TempDir string
}

// Bench is a collection loaded into a throwaway index built with the
// production mapping, ready to run queries through index.Search.
type Bench struct {
	coll    *Collection
	dir     string
	ix      *index.Index
	sem     *embedding.Service
	stopSem context.CancelFunc
	// back maps index ids to collection ids for the few ids the index
	// cannot take as they are (BEIR allows any string).
	back map[string]string
	// Skipped counts documents with neither title nor text.
	Skipped int
}

// Open loads c into a new index in a temporary data directory and, with
// embeddings configured, waits until every document is embedded.
func Open(ctx context.Context, c *Collection, cfg Config) (_ *Bench, err error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir, err := os.MkdirTemp(cfg.TempDir, "policysearch-eval-")
	if err != nil {
		return nil, err
	}
	b := &Bench{coll: c, dir: dir, back: map[string]string{}}
	defer func() {
		if err != nil { // b, not the nil returned, holds what to clean up
			b.Close()
		}
	}()
	if b.ix, err = index.Open(ctx, dir, log.With("component", "index")); err != nil {
		return nil, err
	}
	if cfg.Embeddings.URL != "" || cfg.Model != nil {
		// The same steps as serve: the service learns of every write
		// through OnChange and embeds in the background.
		if b.sem, err = openSemantic(cfg, filepath.Join(dir, "embeddings.db"), log.With("component", "embeddings")); err != nil {
			return nil, err
		}
		semCtx, stop := context.WithCancel(ctx)
		b.stopSem = stop
		b.ix.SetSemantic(b.sem)
		b.ix.OnChange(b.sem.OnChange)
		b.sem.Start(semCtx, b.ix)
	}
	if err := b.load(ctx); err != nil {
		return nil, err
	}
	if b.sem != nil {
		if err := b.waitEmbedded(ctx); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func openSemantic(cfg Config, tmpStore string, log *slog.Logger) (*embedding.Service, error) {
	store := cfg.Store
	if store == "" {
		store = tmpStore
	} else if err := os.MkdirAll(filepath.Dir(store), 0o755); err != nil {
		return nil, err
	}
	ecfg := cfg.Embeddings
	ecfg.Offline = true
	if cfg.Model != nil {
		return embedding.NewLocal(cfg.Model, ecfg, store, log)
	}
	return embedding.New(ecfg, store, log)
}

// Embeddings is the semantic layer's summary (how many inputs the model
// was sent, passages per document…); ok is false without one.
func (b *Bench) Embeddings() (sum embedding.Summary, ok bool) {
	if b.sem == nil {
		return sum, false
	}
	return b.sem.Summary(), true
}

// load puts the collection's documents, mapped onto the document model
// as a user adding them would map them.
func (b *Bench) load(ctx context.Context) error {
	docs := make([]index.Document, 0, len(b.coll.Docs))
	for _, d := range b.coll.Docs {
		if d.Title == "" && d.Text == "" {
			b.Skipped++
			continue
		}
		doc := index.Document{ID: b.indexID(d.ID), Title: d.Title, Text: d.Text}
		if len(doc.Title) > 2000 { // the model's limit; keep the words searchable
			doc.Title, doc.Text = "", d.Title+"\n\n"+d.Text
		}
		if d.Author != "" {
			doc.Authors = []string{d.Author}
		}
		if d.Bib != "" {
			doc.Extra = map[string]any{"bib": d.Bib}
		}
		docs = append(docs, doc)
	}
	if _, err := b.ix.Put(ctx, docs); err != nil {
		return fmt.Errorf("load documents: %w", err)
	}
	return nil
}

// indexID returns id if the index accepts it, else a stable stand-in.
func (b *Bench) indexID(id string) string {
	if index.ValidID(id) {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	x := "eval-" + hex.EncodeToString(sum[:10])
	b.back[x] = id
	return x
}

func (b *Bench) collID(id string) string {
	if c, ok := b.back[id]; ok {
		return c
	}
	return id
}

// waitEmbedded polls the embedding layer until nothing is pending.
func (b *Bench) waitEmbedded(ctx context.Context) error {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		s := b.sem.Summary()
		if s.Pending == 0 {
			if s.Failed > 0 {
				return fmt.Errorf("%d of %d documents failed to embed; semantic figures would be wrong", s.Failed, s.Failed+s.Done)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for embeddings (%d pending): %w", s.Pending, ctx.Err())
		case <-t.C:
		}
	}
}

// Close removes the temporary data directory.
func (b *Bench) Close() error {
	var errs []error
	if b.sem != nil { // first: its workers read documents from the index
		b.stopSem()
		errs = append(errs, b.sem.Close())
	}
	if b.ix != nil {
		errs = append(errs, b.ix.Close())
	}
	errs = append(errs, os.RemoveAll(b.dir))
	return errors.Join(errs...)
}
