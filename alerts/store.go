package alerts

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketAlerts  = []byte("alerts")  // id -> Alert (with secret)
	bucketSeen    = []byte("seen")    // alert id \x00 doc id -> content hash last recorded
	bucketEntries = []byte("entries") // alert id -> bucket of sequence -> Entry
	bucketOutbox  = []byte("outbox")  // delivery id -> outboxItem
	bucketMeta    = []byte("meta")
	keyWatermark  = []byte("watermark") // newest IndexedAt matched, RFC 3339
)

// store is the alert database: alerts, what each has seen, recorded
// matches for the feed, and the webhook outbox. Recording a match and
// queueing its delivery happen in one transaction, so a crash can neither
// lose a delivery nor send one twice from two records.
type store struct {
	db *bolt.DB
}

// outboxItem is a webhook delivery waiting to be (re)tried.
type outboxItem struct {
	Entry     Entry     `json:"entry"`
	Attempts  int       `json:"attempts"`
	NextAt    time.Time `json:"next_at"`
	LastError string    `json:"last_error,omitempty"`
}

func openStore(path string) (*store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("open alert store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketAlerts, bucketSeen, bucketEntries, bucketOutbox, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		// A new store starts matching from now: documents indexed before
		// any alert existed have nothing to catch up with.
		if m := tx.Bucket(bucketMeta); m.Get(keyWatermark) == nil {
			return m.Put(keyWatermark, []byte(time.Now().UTC().Format(time.RFC3339Nano)))
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &store{db: db}, nil
}

func (st *store) close() error { return st.db.Close() }

func (st *store) putAlert(a Alert) error {
	return st.db.Update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bucketAlerts), a.ID, a) })
}

func (st *store) getAlert(id string) (Alert, error) {
	var a Alert
	if !idPattern.MatchString(id) {
		return a, notFound(id)
	}
	err := st.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketAlerts).Get([]byte(id))
		if v == nil {
			return notFound(id)
		}
		return json.Unmarshal(v, &a)
	})
	return a, err
}

// list returns every alert, oldest first.
func (st *store) list() ([]Alert, error) {
	out := []Alert{}
	err := st.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAlerts).ForEach(func(_, v []byte) error {
			var a Alert
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	sortAlerts(out)
	return out, err
}

func sortAlerts(as []Alert) {
	slices.SortFunc(as, func(a, b Alert) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

func (st *store) deleteAlert(id string) error {
	if !idPattern.MatchString(id) {
		return notFound(id)
	}
	return st.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAlerts)
		if b.Get([]byte(id)) == nil {
			return notFound(id)
		}
		if err := b.Delete([]byte(id)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketEntries).DeleteBucket([]byte(id)); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
			return err
		}
		prefix := []byte(id + "\x00")
		seen := tx.Bucket(bucketSeen).Cursor()
		for k, _ := seen.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = seen.Seek(prefix) {
			if err := seen.Delete(); err != nil {
				return err
			}
		}
		out := tx.Bucket(bucketOutbox)
		var drop [][]byte
		if err := out.ForEach(func(k, v []byte) error {
			var it outboxItem
			if json.Unmarshal(v, &it) == nil && it.Entry.AlertID == id {
				drop = append(drop, append([]byte(nil), k...))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range drop {
			if err := out.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// pending is a match about to be recorded.
type pending struct {
	entry   Entry
	webhook bool
}

// record stores new matches in one transaction: each (alert, document,
// content hash) once, trimmed to max entries per alert, queueing a
// webhook delivery where the alert has one. It returns the matches that
// were new and how many deliveries were queued.
func (st *store) record(ps []pending, max int) (recorded []Entry, queued int, err error) {
	if len(ps) == 0 {
		return nil, 0, nil
	}
	err = st.db.Update(func(tx *bolt.Tx) error {
		alerts, seen := tx.Bucket(bucketAlerts), tx.Bucket(bucketSeen)
		for _, p := range ps {
			e := p.entry
			av := alerts.Get([]byte(e.AlertID))
			if av == nil {
				continue // deleted while matching
			}
			key := []byte(e.AlertID + "\x00" + e.Document.ID)
			if string(seen.Get(key)) == e.Document.ContentHash {
				continue
			}
			if err := seen.Put(key, []byte(e.Document.ContentHash)); err != nil {
				return err
			}
			if err := appendEntry(tx, e, max); err != nil {
				return err
			}
			var a Alert
			if err := json.Unmarshal(av, &a); err != nil {
				return err
			}
			a.Matches++
			at := e.MatchedAt
			a.LastMatch = &at
			if p.webhook && a.WebhookURL != "" {
				if err := putJSON(tx.Bucket(bucketOutbox), e.ID, outboxItem{Entry: e, NextAt: e.MatchedAt}); err != nil {
					return err
				}
				queued++
			}
			if err := putJSON(alerts, a.ID, a); err != nil {
				return err
			}
			recorded = append(recorded, e)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return recorded, queued, nil
}

// appendEntry adds e to its alert's entries and drops the oldest beyond
// max. Keys are the bucket's sequence, so the oldest come first.
func appendEntry(tx *bolt.Tx, e Entry, max int) error {
	b, err := tx.Bucket(bucketEntries).CreateBucketIfNotExists([]byte(e.AlertID))
	if err != nil {
		return err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	if err := putJSON(b, string(seqKey(seq)), e); err != nil {
		return err
	}
	c := b.Cursor()
	for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k)+uint64(max) <= seq; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// entries returns up to n of an alert's entries, newest first.
func (st *store) entries(id string, n int) ([]Entry, error) {
	out := []Entry{}
	if _, err := st.getAlert(id); err != nil {
		return nil, err
	}
	err := st.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEntries).Bucket([]byte(id))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil && len(out) < n; k, v = c.Prev() {
			var e Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// due returns up to limit outbox items whose time has come, skipping
// those in flight, and when the next of the others is due (zero if none).
func (st *store) due(now time.Time, limit int, skip func(string) bool) ([]outboxItem, time.Time, error) {
	var out []outboxItem
	var next time.Time
	err := st.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error {
			if skip(string(k)) {
				return nil
			}
			var it outboxItem
			if err := json.Unmarshal(v, &it); err != nil {
				return err
			}
			if !it.NextAt.After(now) && len(out) < limit {
				out = append(out, it)
			} else if next.IsZero() || it.NextAt.Before(next) {
				next = it.NextAt
			}
			return nil
		})
	})
	return out, next, err
}

// settle records a delivery attempt's outcome: the item leaves the
// outbox unless it is to be retried, and the alert notes the outcome.
func (st *store) settle(it outboxItem, d Delivery, retry bool) error {
	return st.db.Update(func(tx *bolt.Tx) error {
		out := tx.Bucket(bucketOutbox)
		if retry {
			if err := putJSON(out, it.Entry.ID, it); err != nil {
				return err
			}
		} else if err := out.Delete([]byte(it.Entry.ID)); err != nil {
			return err
		}
		alerts := tx.Bucket(bucketAlerts)
		v := alerts.Get([]byte(it.Entry.AlertID))
		if v == nil {
			return out.Delete([]byte(it.Entry.ID)) // the alert went meanwhile
		}
		var a Alert
		if err := json.Unmarshal(v, &a); err != nil {
			return err
		}
		a.LastDelivery = &d
		return putJSON(alerts, a.ID, a)
	})
}

// webhook returns the alert's URL and secret, or ok=false if it is gone.
func (st *store) webhook(alertID string) (url, secret, name string, ok bool) {
	a, err := st.getAlert(alertID)
	if err != nil || a.WebhookURL == "" {
		return "", "", "", false
	}
	return a.WebhookURL, a.Secret, a.Name, true
}

func (st *store) watermark() time.Time {
	var t time.Time
	_ = st.db.View(func(tx *bolt.Tx) error {
		t, _ = time.Parse(time.RFC3339Nano, string(tx.Bucket(bucketMeta).Get(keyWatermark)))
		return nil
	})
	return t
}

// advance moves the watermark forward to t (never back).
func (st *store) advance(t time.Time) error {
	if !t.After(st.watermark()) {
		return nil
	}
	return st.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyWatermark, []byte(t.UTC().Format(time.RFC3339Nano)))
	})
}

func putJSON(b *bolt.Bucket, key string, v any) error {
	buf, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), buf)
}

func seqKey(n uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], n)
	return k[:]
}

func hasPrefix(b, prefix []byte) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == string(prefix)
}
