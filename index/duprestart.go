package index

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Loading every stored fingerprint into the band tables was the largest
// step of a restart (about 8 s at a million passages). Only writes need
// the tables; a search needs the documents that have copies and their
// groups. So a clean Close records those in the store, and the next Open
// takes them
// (deleting the record in the same transaction: a crash later leaves none
// behind), answers searches with it at once, and loads the tables in the
// background, holding the index's lock so that writes, which change
// copies, wait for them. Without a record (the first start, or after a
// crash) Open loads the tables before serving, as before.

// linkedKey is the meta key of the recorded set.
var linkedKey = []byte("linked-at-close")

// takeLinked returns the groups recorded by the last clean Close, each
// linked document's own group, and deletes the record; ok is false when
// there is none.
func (s *store) takeLinked() (groups map[string][]string, ok bool, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		v := m.Get(linkedKey)
		if v == nil {
			return nil
		}
		ok = true
		groups = map[string][]string{}
		for rec := range bytes.SplitSeq(v, []byte{'\n'}) {
			id, members, found := bytes.Cut(rec, []byte{1})
			if !found {
				continue
			}
			var g []string
			for m := range bytes.SplitSeq(members, []byte{0}) {
				g = append(g, string(m))
			}
			groups[string(id)] = g
		}
		if len(v) > 0 && len(groups) == 0 {
			ok = false // not a record this version wrote
		}
		return m.Delete(linkedKey)
	})
	return groups, ok, err
}

// saveLinked records each linked document's group.
func (s *store) saveLinked(groups map[string][]string) error {
	var b bytes.Buffer
	for id, g := range groups {
		b.WriteString(id)
		b.WriteByte(1)
		for i, m := range g {
			if i > 0 {
				b.WriteByte(0)
			}
			b.WriteString(m)
		}
		b.WriteByte('\n')
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(linkedKey, b.Bytes())
	})
}

// loadFingerprints fills the near-duplicate index: in the background when
// the last Close recorded the linked set, else before returning.
func (ix *Index) loadFingerprints() error {
	ix.dupsLoaded = make(chan struct{})
	groups, clean, err := ix.store.takeLinked()
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
	linked := make([]string, 0, len(groups))
	for id := range groups {
		linked = append(linked, id)
	}
	slices.Sort(linked)
	ix.dups.early, ix.dups.earlyGroups = linked, groups
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
	groups := map[string][]string{}
	for _, id := range ix.dups.linkedIDs() {
		groups[id] = ix.dups.group(id)
	}
	return ix.store.saveLinked(groups)
}

// waitFingerprints waits for a background load before the store closes
// under it (an Open that fails after starting it).
func (ix *Index) waitFingerprints() { _ = ix.WaitLoaded(context.Background()) }

// WaitLoaded waits until the near-duplicate tables a clean start loads in
// the background are in memory (searches before then read the copies'
// details from the store), or ctx ends. Benchmarks call it so as to time
// the steady state.
func (ix *Index) WaitLoaded(ctx context.Context) error {
	if ix.dupsLoaded == nil {
		return nil
	}
	select {
	case <-ix.dupsLoaded:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
