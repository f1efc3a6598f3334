package index

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketDocs    = []byte("docs")
	bucketPending = []byte("pending") // ids written to the store but maybe not yet to bleve
	bucketMeta    = []byte("meta")
	bucketSimhash = []byte("minhash") // near-duplicate signatures, by id
	keyLastUpdate = []byte("last_update")
)

// store keeps the original documents, durably, so that an index can be
// rebuilt from them and a crash between the store and bleve is repaired.
type store struct {
	db *bolt.DB
}

// errLocked is returned when another process holds the data directory.
var errLocked = errors.New("data directory is in use by another policysearch process")

func openStore(path string) (*store, error) {
	// A lock held by another process will not be released in a moment, so
	// a short wait suffices to tell; the CLI then talks to that server.
	var db *bolt.DB
	err := guarded(func() (err error) {
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: 300 * time.Millisecond, FreelistType: bolt.FreelistMapType})
		return err
	})
	switch {
	case errors.Is(err, bolt.ErrTimeout):
		return nil, &Error{Kind: Unavailable, Code: "data_locked", Message: errLocked.Error() + " (stop the server, or add documents through its API)", Err: err}
	case errors.Is(err, errPanicked) || errors.Is(err, bolt.ErrInvalid) || errors.Is(err, bolt.ErrChecksum) || errors.Is(err, bolt.ErrVersionMismatch):
		return nil, errStoreDamaged(path, err)
	case err != nil:
		return nil, fmt.Errorf("open document store %s: %w", path, err)
	}
	// A truncated file is refused before any page past its end is read;
	// bbolt panics on damaged pages, so those become refusals too.
	if err := guarded(func() error { return checkStoreSize(db, path) }); err != nil {
		db.Close()
		return nil, errStoreDamaged(path, err)
	}
	err = guarded(func() error {
		return db.Update(func(tx *bolt.Tx) error {
			for _, b := range [][]byte{bucketDocs, bucketPending, bucketMeta, bucketSimhash} {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			return startCount(tx) // storecount.go
		})
	})
	if err != nil {
		db.Close()
		if errors.Is(err, errPanicked) {
			return nil, errStoreDamaged(path, err)
		}
		return nil, fmt.Errorf("open document store %s: %w", path, err)
	}
	return &store{db: db}, nil
}

func (s *store) close() error { return s.db.Close() }

// hashes returns the stored content hash of each id that exists.
func (s *store) hashes(ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDocs)
		for _, id := range ids {
			v := b.Get([]byte(id))
			if v == nil {
				continue
			}
			var h struct {
				Hash string `json:"content_hash"`
			}
			if err := json.Unmarshal(v, &h); err != nil {
				return fmt.Errorf("stored document %s: %w", id, err)
			}
			out[id] = h.Hash
		}
		return nil
	})
	return out, err
}

// put stores docs with their near-duplicate fingerprints and marks them
// pending, in one fsynced transaction.
func (s *store) put(docs []encoded, now time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, p, sh := tx.Bucket(bucketDocs), tx.Bucket(bucketPending), tx.Bucket(bucketSimhash)
		added := 0
		for _, e := range docs {
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
		if err := countDelta(tx, added); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyLastUpdate, []byte(now.UTC().Format(time.RFC3339Nano)))
	})
}

// remove deletes ids and marks them pending; it reports which existed.
func (s *store) remove(ids []string, now time.Time) (existed []string, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, p := tx.Bucket(bucketDocs), tx.Bucket(bucketPending)
		for _, id := range ids {
			if b.Get([]byte(id)) == nil {
				continue
			}
			existed = append(existed, id)
			if err := tx.Bucket(bucketSimhash).Delete([]byte(id)); err != nil {
				return err
			}
			if err := b.Delete([]byte(id)); err != nil {
				return err
			}
			if err := p.Put([]byte(id), nil); err != nil {
				return err
			}
		}
		if len(existed) == 0 {
			return nil
		}
		if err := countDelta(tx, -len(existed)); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyLastUpdate, []byte(now.UTC().Format(time.RFC3339Nano)))
	})
	return existed, err
}

// settle clears pending marks once bleve has the change durably.
func (s *store) settle(ids []string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		p := tx.Bucket(bucketPending)
		for _, id := range ids {
			if err := p.Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// pending lists ids whose bleve state may lag the store after a crash.
func (s *store) pending() ([]string, error) {
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPending).ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	})
	return ids, err
}

func (s *store) get(id string) (*Document, error) {
	var d *Document
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketDocs).Get([]byte(id))
		if v == nil {
			return nil
		}
		d = new(Document)
		return json.Unmarshal(v, d)
	})
	return d, err
}

// page returns up to n documents with ids after `after`, in id order; the
// rebuild walks the store with it so no transaction stays open for long.
func (s *store) page(after string, n int) ([]*Document, error) {
	var docs []*Document
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketDocs).Cursor()
		var k, v []byte
		if after == "" {
			k, v = c.First()
		} else {
			k, v = c.Seek([]byte(after))
			if k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(docs) < n; k, v = c.Next() {
			d := new(Document)
			if err := json.Unmarshal(v, d); err != nil {
				return fmt.Errorf("stored document %s: %w", k, err)
			}
			docs = append(docs, d)
		}
		return nil
	})
	return docs, err
}

func (s *store) lastUpdate() time.Time {
	var t time.Time
	_ = s.db.View(func(tx *bolt.Tx) error {
		t, _ = time.Parse(time.RFC3339Nano, string(tx.Bucket(bucketMeta).Get(keyLastUpdate)))
		return nil
	})
	return t
}

func (s *store) size() int64 {
	var n int64
	_ = s.db.View(func(tx *bolt.Tx) error {
		n = tx.Size()
		return nil
	})
	return n
}

// fingerprints calls fn for every stored near-duplicate signature.
// fingerprintCount counts the stored signatures (walking the bucket's
// pages, which fingerprints reads next anyway).
func (s *store) fingerprintCount() int {
	n := 0
	_ = s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketSimhash).Stats().KeyN
		return nil
	})
	return n
}

func (s *store) fingerprints(fn func(id string, sig signature)) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSimhash).ForEach(func(k, v []byte) error {
			if sig := decodeSignature(v); sig != nil {
				fn(string(k), sig)
			}
			return nil
		})
	})
}
