package index

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Loading every stored fingerprint into the band tables was the largest
// step of a restart (about 8 s at a million passages). Only writes need
// the tables; a search needs the set of documents that have copies. So a
// clean Close records that set in the store, and the next Open takes it
// (deleting the record in the same transaction: a crash later leaves none
// behind), answers searches with it at once, and loads the tables in the
// background, holding the index's lock so that writes, which change
// copies, wait for them. Without a record (the first start, or after a
// crash) Open loads the tables before serving, as before.

// linkedKey is the meta key of the recorded set.
var linkedKey = []byte("linked-at-close")

// takeLinked returns the set recorded by the last clean Close and deletes
// the record; ok is false when there is none.
func (s *store) takeLinked() (ids []string, ok bool, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		v := m.Get(linkedKey)
		if v == nil {
			return nil
		}
		ok = true
		for id := range bytes.SplitSeq(v, []byte{0}) {
			if len(id) > 0 {
				ids = append(ids, string(id))
			}
		}
		return m.Delete(linkedKey)
	})
	return ids, ok, err
}

// saveLinked records the set of documents with copies (sorted ids).
func (s *store) saveLinked(ids []string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(linkedKey, append(bytes.Join(stringsAsBytes(ids), []byte{0}), 0))
	})
}

func stringsAsBytes(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// loadFingerprints fills the near-duplicate index: in the background when
// the last Close recorded the linked set, else before returning.
func (ix *Index) loadFingerprints() error {
	ix.dupsLoaded = make(chan struct{})
	linked, clean, err := ix.store.takeLinked()
	if err != nil {
		close(ix.dupsLoaded)
		return err
	}
	load := func() error {
		began := time.Now()
		err := ix.dups.loadLocked(ix.store.fingerprints, ix.store.fingerprintCount())
		startStep(ix.log, "near-duplicate fingerprints", began)
		return err
	}
	ix.dups.mu.Lock()
	if !clean {
		defer close(ix.dupsLoaded)
		defer ix.dups.mu.Unlock()
		return load()
	}
	slices.Sort(linked)
	ix.dups.early = linked
	go func() {
		defer close(ix.dupsLoaded)
		err := guarded(load)
		ix.dups.mu.Unlock()
		if err != nil {
			e := errStoreDamaged(filepath.Join(ix.dir, storeFile), fmt.Errorf("load near-duplicate fingerprints: %w", err))
			ix.storeDamage.Store(e)
			ix.log.Error("document store damaged", "err", e.Message)
		}
	}()
	return nil
}

// saveFingerprintState records the linked set for the next Open, once the
// tables are loaded; a damaged store records nothing.
func (ix *Index) saveFingerprintState() error {
	if ix.dupsLoaded == nil {
		return nil
	}
	ix.waitFingerprints()
	if ix.storeDamage.Load() != nil {
		return nil
	}
	return ix.store.saveLinked(ix.dups.linkedIDs())
}

// waitFingerprints waits for a background load before the store closes
// under it (an Open that fails after starting it).
func (ix *Index) waitFingerprints() {
	if ix.dupsLoaded != nil {
		<-ix.dupsLoaded
	}
}
