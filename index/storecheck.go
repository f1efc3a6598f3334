package index

import (
	"bytes"
	"context"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The full walk of the document store's pages runs after Open, not in it:
// it reads every leaf page of documents.db, which at a million passages is
// gigabytes read in tree order, most of the 25 s a restart took. Open
// still refuses the damage it can see without that walk (a truncated file,
// bad meta pages, a damaged bucket root or spine, a damaged fingerprint
// page: survey and fingerprints read those), and the walk reports the
// rest within seconds of the start: it is logged as an error and /readyz
// and /api/stats answer 503 store_damaged from then on.

// storeWalkChunk bounds one read transaction of the walk: a long one would
// hold up the remap a growing file needs, so writes would wait on it.
const storeWalkChunk = 4096

// recheck names the index segments whose checksums Open took on trust.
type recheck struct {
	dir      string
	segments []string
}

// checkStoreLater measures BM25's average lengths, then starts the walk,
// then the check of the segments Open skipped; Close stops them.
func (ix *Index) checkStoreLater() {
	// The goroutines keep their own copy of the channel: Close clears
	// the field, possibly before the first of them has read it.
	stop := make(chan struct{})
	ix.walkStop = stop
	ix.walkDone = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-stop
		cancel() // a rebuild started here stops too
	}()
	go func() {
		defer close(ix.walkDone)
		// BM25's average lengths first: the first search would otherwise
		// measure them (it waits for this measurement instead of repeating it).
		ix.averages(ctx)
		began := time.Now()
		n, err := ix.store.walk(stop)
		if err != nil {
			e := errStoreDamaged(filepath.Join(ix.dir, storeFile), err)
			ix.storeDamage.Store(e)
			ix.log.Error("document store damaged", "err", e.Message)
			return
		}
		ix.log.Debug("document store pages checked", "documents", n, "took", time.Since(began).Round(time.Millisecond))
		// The fingerprint tables a clean start loads in the background
		// read their bucket's pages too: release after both.
		if ix.WaitLoaded(ctx) != nil { // stopped
			return
		}
		if err := ix.store.release(); err != nil { // storerelease_linux.go
			ix.log.Debug("releasing the store's mapped pages", "err", err)
		}
		began = time.Now()
		if err := recheckSegments(ix.recheck.dir, ix.recheck.segments, stop); err != nil {
			ix.log.Error("index damaged; rebuilding it from stored documents", "index", filepath.Base(ix.recheck.dir), "err", err)
			if _, err := ix.Rebuild(ctx); err != nil && ctx.Err() == nil {
				ix.log.Error("rebuild of the damaged index", "err", err)
			}
			return
		}
		ix.log.Debug("index segments checked again", "segments", len(ix.recheck.segments), "took", time.Since(began).Round(time.Millisecond))
	}()
}

// stopStoreCheck ends the walk (if it runs) before the store closes.
func (ix *Index) stopStoreCheck() {
	if ix.walkStop != nil {
		close(ix.walkStop)
		<-ix.walkDone
		ix.walkStop = nil
	}
}

// walk reads every key of the documents bucket, storeWalkChunk keys a
// transaction, so that bbolt checks each page it passes (its id and type:
// an overwritten page panics, which guarded turns into the error). It
// returns how many documents it passed, or early, without error, when stop
// closes.
func (s *store) walk(stop <-chan struct{}) (int, error) {
	var after []byte
	n := 0
	for {
		select {
		case <-stop:
			return n, nil
		default:
		}
		done := false
		err := guarded(func() error {
			return s.db.View(func(tx *bolt.Tx) error {
				c := tx.Bucket(bucketDocs).Cursor()
				k, _ := c.First()
				if after != nil {
					if k, _ = c.Seek(after); bytes.Equal(k, after) {
						k, _ = c.Next()
					}
				}
				for i := 0; k != nil && i < storeWalkChunk; i++ {
					after = append(after[:0], k...) // k lives in the mmap only while tx is open
					n++
					k, _ = c.Next()
				}
				done = k == nil
				return nil
			})
		})
		if err != nil || done {
			return n, err
		}
	}
}
