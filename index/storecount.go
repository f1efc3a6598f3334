package index

import (
	"encoding/binary"

	bolt "go.etcd.io/bbolt"
)

// The store's document count is kept in its meta bucket, moved by every
// transaction that adds or removes a document: counting the keys walks
// every page of the bucket, seconds at 10^6 documents, and /readyz and
// /api/stats ask for it. A store written before the count existed is
// counted once, on the first ask, and keeps the count from then on.

var keyDocCount = []byte("doc_count")

// countDelta moves the stored count by delta, when there is one.
func countDelta(tx *bolt.Tx, delta int) error {
	m := tx.Bucket(bucketMeta)
	v := m.Get(keyDocCount)
	if delta == 0 || len(v) != 8 {
		return nil
	}
	n := int64(binary.BigEndian.Uint64(v)) + int64(delta)
	return m.Put(keyDocCount, binary.BigEndian.AppendUint64(nil, uint64(max(n, 0))))
}

// count returns how many documents the store holds.
func (s *store) count() (int, error) {
	n := -1
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyDocCount); len(v) == 8 {
			n = int(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	if err != nil || n >= 0 {
		return n, err
	}
	// Counted inside a write transaction, so that no write lands between
	// the count and its recording.
	err = s.db.Update(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketDocs).Stats().KeyN
		return tx.Bucket(bucketMeta).Put(keyDocCount, binary.BigEndian.AppendUint64(nil, uint64(n)))
	})
	return n, err
}

// startCount records a count of 0 in a new, empty store.
func startCount(tx *bolt.Tx) error {
	if k, _ := tx.Bucket(bucketDocs).Cursor().First(); k != nil || tx.Bucket(bucketMeta).Get(keyDocCount) != nil {
		return nil
	}
	return tx.Bucket(bucketMeta).Put(keyDocCount, binary.BigEndian.AppendUint64(nil, 0))
}
