package feeds

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucketFeeds = []byte("feeds")

// store keeps subscriptions with their status and watermark, one JSON
// value per feed, so they survive restarts. A nil db keeps nothing.
type store struct{ db *bolt.DB }

func openStore(path string) (*store, error) {
	if path == "" {
		return &store{}, nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("open feed store %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketFeeds)
		return err
	}); err != nil {
		db.Close()
		return nil, err
	}
	return &store{db: db}, nil
}

func (s *store) load() ([]*feed, error) {
	if s.db == nil {
		return nil, nil
	}
	var out []*feed
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFeeds).ForEach(func(k, v []byte) error {
			f := new(feed)
			if err := json.Unmarshal(v, f); err != nil {
				return fmt.Errorf("stored feed %s: %w", k, err)
			}
			out = append(out, f)
			return nil
		})
	})
	return out, err
}

// save writes one feed; the caller holds the service lock, so the value
// is consistent.
func (s *store) save(f *feed) error {
	if s.db == nil {
		return nil
	}
	v, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketFeeds).Put([]byte(f.ID), v) })
}

func (s *store) remove(id string) error {
	if s.db == nil {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketFeeds).Delete([]byte(id)) })
}

func (s *store) close() error {
	if s.db == nil {
		return nil
	}
	return s.db.Close()
}

// Duration is a time.Duration that reads and writes JSON as Go duration
// text ("30s", "15m", "1h30m"); a bare number is seconds.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n float64
		if err := json.Unmarshal(b, &n); err != nil {
			return errors.New(`must be a duration such as "30m" or a number of seconds`)
		}
		*d = Duration(n * float64(time.Second))
		return nil
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ParseDuration reads "30s", "15m", "1h30m", "" (zero) or whole seconds.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		return Duration(time.Duration(n) * time.Second), nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a duration such as 30m or 1h", s)
	}
	return Duration(v), nil
}
