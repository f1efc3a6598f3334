package watch

import (
	"context"
	"errors"
	"os"
	"slices"

	"policysearch/index"
	"policysearch/ingest"
)

// batchDocs is how many documents one Put carries: a start-up sync of a
// big folder costs one durable write per batch instead of one per file.
const batchDocs = 256

// batch gathers loaded files and removals and applies them together.
type batch struct {
	ctx   context.Context
	w     *Watcher
	docs  []index.Document
	files map[string]fileState // new watermarks, saved after the Put
	drop  map[string][]string  // file → ids it held before (stale unless re-made)
	gone  []string             // files whose watermark is forgotten
	stats Stats
}

func (w *Watcher) newBatch(ctx context.Context) *batch {
	return &batch{ctx: ctx, w: w, files: map[string]fileState{}, drop: map[string][]string{}}
}

// examine loads path unless its watermark says it is unchanged. known
// are the ids the index may hold from it; present says they are all
// still there (else an unchanged file is loaded again).
func (b *batch) examine(path string, known []string, present bool) error {
	b.stats.Files++
	if !b.w.inside(path) {
		b.w.log.Warn("not indexed: a link that leads outside the watched folder (--watch-follow-symlinks follows it)", "path", path)
		return b.remove(path, known) // and forget what an earlier run took from it
	}
	info, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return b.remove(path, known)
		}
		b.w.log.Warn("cannot read", "path", path, "err", err)
		b.stats.Failed++
		return nil
	}
	old, had := b.w.st.files[path]
	st := stamp(path, info)
	if had && present && old.Stamp == st {
		b.stats.Unchanged += len(old.IDs)
		return nil
	}
	hash, err := contentHash(path)
	if err != nil {
		b.w.log.Warn("cannot read", "path", path, "err", err)
		b.stats.Failed++
		return nil
	}
	if had && present && old.Hash == hash {
		old.Stamp = st // touched, not changed
		b.files[path] = old
		b.stats.Unchanged += len(old.IDs)
		return nil
	}
	var docs []index.Document
	failed := 0
	err = ingest.LoadFile(b.ctx, path, func(r ingest.Record) error {
		if r.Err != nil {
			failed++
			b.w.log.Warn("cannot load record", "path", path, "line", r.Line, "err", r.Err)
			return nil
		}
		docs = append(docs, r.Doc)
		return nil
	})
	if err != nil {
		if b.ctx.Err() != nil {
			return b.ctx.Err()
		}
		// Keep what the index has: a half-written or briefly locked file
		// is retried on its next event or the next sync.
		b.w.log.Warn("cannot load file", "path", path, "err", err)
		b.stats.Failed++
		return nil
	}
	b.stats.Failed += failed
	ids := make([]string, 0, len(docs))
	for _, d := range docs {
		if !slices.Contains(ids, d.ID) {
			ids = append(ids, d.ID)
		}
	}
	b.docs = append(b.docs, docs...)
	b.files[path] = fileState{Stamp: st, Hash: hash, IDs: ids}
	b.drop[path] = union(b.drop[path], known)
	if len(b.docs) >= batchDocs {
		return b.flush()
	}
	return nil
}

// remove deletes the documents of a file that is gone.
func (b *batch) remove(path string, ids []string) error {
	b.drop[path] = union(b.drop[path], ids)
	b.gone = append(b.gone, path)
	delete(b.files, path)
	return nil
}

// flush puts the gathered documents, deletes those no file gives any
// more, and then saves the watermarks, so a crash in between only means
// the work is done again.
func (b *batch) flush() error {
	made := map[string]bool{} // ids some file of this batch gives: never stale
	for _, fs := range b.files {
		for _, id := range fs.IDs {
			made[id] = true
		}
	}
	if len(b.docs) > 0 {
		res, err := b.w.ix.Put(b.ctx, b.docs)
		if err != nil {
			// One invalid document fails a Put whole; put the files one
			// by one so the others still go in.
			if index.KindOf(err) == index.Invalid && b.ctx.Err() == nil {
				return b.flushEach()
			}
			return err
		}
		b.count(res)
	}
	for _, ids := range b.drop {
		for _, id := range ids {
			if made[id] {
				continue
			}
			err := b.w.ix.Delete(b.ctx, id)
			switch {
			case err == nil:
				b.stats.Deleted++
			case index.KindOf(err) == index.NotFound:
			default:
				return err
			}
			made[id] = true // one delete per id
		}
	}
	if err := b.w.st.save(b.files, b.gone); err != nil {
		return err
	}
	b.docs, b.files, b.drop, b.gone = nil, map[string]fileState{}, map[string][]string{}, nil
	return nil
}

// flushEach is flush's fallback when a batch holds an invalid document:
// each file's documents are put on their own and a failing file keeps its
// old documents and watermark.
func (b *batch) flushEach() error {
	byFile := map[string][]index.Document{}
	for _, d := range b.docs {
		f := fileOf(d.Origin)
		byFile[f] = append(byFile[f], d)
	}
	b.docs = nil
	for path, docs := range byFile {
		res, err := b.w.ix.Put(b.ctx, docs)
		if err != nil {
			if index.KindOf(err) != index.Invalid {
				return err
			}
			b.w.log.Warn("cannot index file", "path", path, "err", err)
			b.stats.Failed++
			delete(b.files, path)
			delete(b.drop, path)
			continue
		}
		b.count(res)
	}
	return b.flush()
}

func (b *batch) count(res []index.PutResult) {
	for _, r := range res {
		switch r.Status {
		case index.Added:
			b.stats.Added++
		case index.Updated:
			b.stats.Updated++
		default:
			b.stats.Unchanged++
		}
	}
}
