package index

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/blevesearch/bleve/v2"
	bolt "go.etcd.io/bbolt"
)

// keyLogSeq holds the last write-log sequence the store has applied. It is
// written in the same transaction as the documents, so after a crash the
// store and the mark agree, and re-reading the log from mark+1 applies
// every entry exactly once; the pending marks repair bleve as for Put.
var keyLogSeq = []byte("log_seq")

// ApplyLog applies ops, the log entries up to and including seq in log
// order, to the store and the index. Entries at or below the applied mark
// must not be passed again; a seq at or below it is ignored, so a
// redelivered batch is harmless.
func (ix *Index) ApplyLog(ctx context.Context, seq uint64, ops []LogOp) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if seq <= ix.AppliedSeq() {
		return nil
	}
	// The last op on an id wins: the log is in order.
	last := make(map[string]LogOp, len(ops))
	var order []string
	for _, op := range ops {
		if op.Put != nil && op.Put.ID == "" {
			continue
		}
		if _, seen := last[op.ID()]; !seen {
			order = append(order, op.ID())
		}
		last[op.ID()] = op
	}
	old, err := ix.store.hashes(order)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	var puts []*Document
	var dels []string
	for _, id := range order {
		op := last[id]
		if op.Put == nil {
			dels = append(dels, id)
			continue
		}
		if h, ok := old[id]; ok && h == op.Put.Hash {
			continue
		}
		if op.Put.IndexedAt.IsZero() {
			op.Put.IndexedAt = now
		}
		puts = append(puts, op.Put)
	}
	enc, err := encodeAll(puts)
	if err != nil {
		return err
	}
	existed, err := ix.store.applyLog(enc, dels, seq, now)
	if err != nil {
		return fmt.Errorf("store log entries: %w", err)
	}
	if len(puts)+len(existed) > 0 {
		if err := ix.apply(func(b *bleve.Batch) error {
			all := ix.allLengths()
			for _, d := range puts {
				if err := b.Index(d.ID, bleveDoc(d, all)); err != nil {
					return err
				}
			}
			for _, id := range existed {
				b.Delete(id)
			}
			return nil
		}); err != nil {
			return err
		}
		touched := append(append([]string(nil), existed...), docIDs(puts)...)
		if err := ix.store.settle(touched); err != nil {
			ix.log.Warn("clear pending marks", "err", err) // harmless: recovery re-applies
		}
		for _, e := range enc {
			ix.dups.set(e.doc.ID, e.sig)
		}
		for _, id := range existed {
			ix.dups.remove(id)
		}
		ix.changed(ChangeEvent{Put: puts, Deleted: existed})
	}
	if ix.repl != nil {
		ix.repl.setApplied(seq)
	}
	return nil
}

func docIDs(docs []*Document) []string {
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	return ids
}

// applyLog stores puts, removes dels and records seq, in one fsynced
// transaction; it reports which of dels existed.
func (s *store) applyLog(puts []encoded, dels []string, seq uint64, now time.Time) (existed []string, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, p, sh := tx.Bucket(bucketDocs), tx.Bucket(bucketPending), tx.Bucket(bucketSimhash)
		added := 0
		for _, e := range puts {
			id := []byte(e.doc.ID)
			if b.Get(id) == nil {
				added++
			}
			if e.sig != nil {
				if err := sh.Put(id, encodeSignature(e.sig)); err != nil {
					return err
				}
			} else if err := sh.Delete(id); err != nil {
				return err
			}
			if err := b.Put(id, e.json); err != nil {
				return err
			}
			if err := p.Put(id, nil); err != nil {
				return err
			}
		}
		for _, id := range dels {
			if b.Get([]byte(id)) == nil {
				continue
			}
			existed = append(existed, id)
			if err := sh.Delete([]byte(id)); err != nil {
				return err
			}
			if err := b.Delete([]byte(id)); err != nil {
				return err
			}
			if err := p.Put([]byte(id), nil); err != nil {
				return err
			}
		}
		if err := countDelta(tx, added-len(existed)); err != nil {
			return err
		}
		m := tx.Bucket(bucketMeta)
		if len(puts)+len(existed) > 0 {
			if err := m.Put(keyLastUpdate, []byte(now.Format(time.RFC3339Nano))); err != nil {
				return err
			}
		}
		return m.Put(keyLogSeq, binary.BigEndian.AppendUint64(nil, seq))
	})
	return existed, err
}

// logSeq reads the applied mark; 0 when the store never applied a log.
func (s *store) logSeq() (uint64, error) {
	var seq uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyLogSeq); len(v) == 8 {
			seq = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	return seq, err
}

// ResetLogMark sets the applied mark back to 0, for a store whose log was
// replaced by a fresh one (see replica.Refill): the node then applies the
// new log from its start, which for documents it holds unchanged costs a
// hash comparison each.
func (ix *Index) ResetLogMark() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	err := ix.store.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyLogSeq, binary.BigEndian.AppendUint64(nil, 0))
	})
	if err == nil && ix.repl != nil {
		ix.repl.mu.Lock()
		ix.repl.applied = 0
		ix.repl.mu.Unlock()
	}
	return err
}
