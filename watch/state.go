package watch

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucketFiles = []byte("files")

// fileState is the watermark of one file: what it looked like when it was
// last indexed and which documents it gave. Stamp (sizes and modification
// times of the file and its sidecar) lets an unchanged file be skipped
// without reading it; Hash (of the same bytes) decides when the stamp
// moved but the content did not, as after a touch or a copy.
type fileState struct {
	Stamp string   `json:"stamp"`
	Hash  string   `json:"sha256"`
	IDs   []string `json:"ids"`
}

// state holds every file's watermark in memory and, when a path is
// given, in a bbolt file so a restart skips what has not changed.
type state struct {
	db    *bolt.DB
	files map[string]fileState
}

func openState(path string) (*state, error) {
	s := &state{files: map[string]fileState{}}
	if path == "" {
		return s, nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("open watch state %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketFiles)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var fs fileState
			if json.Unmarshal(v, &fs) == nil { // a bad entry just means re-reading that file
				s.files[string(k)] = fs
			}
			return nil
		})
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("read watch state %s: %w", path, err)
	}
	s.db = db
	return s, nil
}

// save records new watermarks and forgets removed files, in one
// transaction: a crash leaves the old watermarks, and the next sync
// redoes the work (every step is idempotent).
func (s *state) save(put map[string]fileState, del []string) error {
	if s.db != nil && (len(put) > 0 || len(del) > 0) {
		err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketFiles)
			for _, p := range del {
				if err := b.Delete([]byte(p)); err != nil {
					return err
				}
			}
			for p, fs := range put {
				v, _ := json.Marshal(fs)
				if err := b.Put([]byte(p), v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("save watch state: %w", err)
		}
	}
	for _, p := range del {
		delete(s.files, p)
	}
	for p, fs := range put {
		s.files[p] = fs
	}
	return nil
}

func (s *state) close() error {
	if s.db == nil {
		return nil
	}
	return s.db.Close()
}
