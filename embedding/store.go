package embedding

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Store keeps vectors on disk keyed by (model, sha256 of the exact input),
// so unchanged text is never embedded twice: not on re-adding a document,
// not on restart, not on a rebuild. One bucket per model keeps models apart.
type Store struct {
	db *bolt.DB
}

// OpenStore opens or creates the vector store file.
func OpenStore(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("open embedding store %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

func bucketName(model string) []byte { return []byte("model:" + model) }

// Get returns the vectors present for the given hashes.
func (s *Store) Get(model string, hashes []string) (map[string][]float32, error) {
	out := make(map[string][]float32, len(hashes))
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketName(model))
		if b == nil {
			return nil
		}
		for _, h := range hashes {
			if v := b.Get([]byte(h)); v != nil {
				out[h] = decode(v)
			}
		}
		return nil
	})
	return out, err
}

// Has reports which of the hashes have vectors, without decoding them.
func (s *Store) Has(model string, hashes []string) (map[string]bool, error) {
	out := make(map[string]bool, len(hashes))
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketName(model))
		if b == nil {
			return nil
		}
		for _, h := range hashes {
			if b.Get([]byte(h)) != nil {
				out[h] = true
			}
		}
		return nil
	})
	return out, err
}

// Put stores vectors in one transaction.
func (s *Store) Put(model string, vecs map[string][]float32) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketName(model))
		if err != nil {
			return err
		}
		for h, v := range vecs {
			if err := b.Put([]byte(h), encode(v)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Dims returns the dimension of the model's stored vectors, 0 if none.
func (s *Store) Dims(model string) int {
	dims := 0
	_ = s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketName(model)); b != nil {
			if _, v := b.Cursor().First(); v != nil {
				dims = len(v) / 4
			}
		}
		return nil
	})
	return dims
}

func encode(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func decode(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// Each calls fn with the vector of every hash, in order, nil for a hash
// the store lacks; the vector is reused between calls. It reads in one
// transaction, for loading many vectors without a map of them all.
func (s *Store) Each(model string, hashes []string, fn func(i int, vec []float32)) error {
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketName(model))
		var buf []float32
		for i, h := range hashes {
			var raw []byte
			if b != nil {
				raw = b.Get([]byte(h))
			}
			if raw == nil {
				fn(i, nil)
				continue
			}
			buf = slices.Grow(buf[:0], len(raw)/4)[:len(raw)/4]
			for j := range buf {
				buf[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
			}
			fn(i, buf)
		}
		return nil
	})
}
