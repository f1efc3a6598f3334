// Package snapshots freezes searches so they can be cited. A systematic
// review must say exactly what a search returned on the day it was run;
// an index that keeps growing cannot answer that, so a snapshot stores the
// request, the ranking settings and provenance (index generation,
// embedding model, time) and the ranked documents with their scores and
// the metadata shown, under a short stable id. Snapshots live in their
// own bbolt file beside the documents, so they survive restarts and index
// rebuilds; comparing one with the live index says what changed since.
//
// The package stores and compares; running the search is the caller's
// (the HTTP layer's) job, through the same parser and search code as
// /api/search.
package snapshots

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"policysearch/index"
)

var bucketSnapshots = []byte("snapshots")

// Snapshot is one frozen search.
type Snapshot struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// Params is the search as a query string of /api/search (canonical:
	// known parameters only, sorted), so it can be run again exactly.
	Params string `json:"params"`
	// Ranking is how the hits were ranked, with defaults resolved.
	Ranking Ranking `json:"ranking"`
	// Generation is the index generation when the snapshot was taken. It
	// is provenance, not a comparison key: it restarts on every open.
	Generation uint64 `json:"index_generation"`
	// Total is how many documents matched; Hits holds the first of them,
	// up to Cap.
	Total  uint64 `json:"total"`
	Cap    int    `json:"cap"`
	Notice string `json:"notice,omitempty"`
	Hits   []Hit  `json:"hits"`
}

// Ranking is the mode and fusion settings a search ran with, and the
// embedding model whose vectors it compared (empty for keyword mode).
type Ranking struct {
	Mode           string   `json:"mode"`
	Fusion         string   `json:"fusion,omitempty"`
	SemanticRatio  *float64 `json:"semantic_ratio,omitempty"`
	Model          string   `json:"embedding_model,omitempty"`
	SemanticStatus string   `json:"semantic_status"`
	SemanticReason string   `json:"semantic_reason,omitempty"`
	Sort           string   `json:"sort"`
}

// Hit is one ranked document with the metadata it had when frozen, so a
// snapshot still reads (and exports) after the document is deleted. The
// export formats write the same fields for live searches.
type Hit struct {
	Rank        int            `json:"rank"`
	ID          string         `json:"id"`
	Score       float64        `json:"score"`
	Title       string         `json:"title"`
	Author      []string       `json:"author,omitempty"`
	Published   string         `json:"published,omitempty"`
	Source      string         `json:"source,omitempty"`
	SourceType  string         `json:"source_type,omitempty"`
	Country     string         `json:"country,omitempty"`
	Language    string         `json:"language,omitempty"`
	Tags        []string       `json:"tags,omitempty"`
	URL         string         `json:"url,omitempty"`
	Ranks       *index.Ranks   `json:"ranks,omitempty"`
	Similarity  *float64       `json:"similarity,omitempty"`
	ContentHash string         `json:"content_hash,omitempty"`
	IndexedAt   *time.Time     `json:"indexed_at,omitempty"`
	Extra       map[string]any `json:"extra,omitempty"`
	// AlsoPublishedBy are the hit's near-duplicate copies, which the
	// search folded into it: an export marks them instead of dropping them.
	AlsoPublishedBy []index.Copy `json:"also_published_by,omitempty"`
}

// FromHit is the frozen form of a search hit at 1-based rank. doc, when
// not nil, adds what only the stored document knows (hash, extra fields).
func FromHit(h index.Hit, rank int, doc *index.Document) Hit {
	out := Hit{Rank: rank, ID: h.ID, Score: h.Score, Title: h.Title, Author: h.Author, Published: h.Published,
		Source: h.Source, SourceType: h.SourceType, Country: h.Country, Language: h.Language, Tags: h.Tags,
		URL: h.URL, Ranks: h.Ranks, Similarity: h.Similarity, AlsoPublishedBy: h.AlsoPublishedBy}
	if doc != nil {
		out.ContentHash, out.Extra = doc.Hash, doc.Extra
		if !doc.IndexedAt.IsZero() {
			t := doc.IndexedAt
			out.IndexedAt = &t
		}
	}
	if len(out.Author) == 0 {
		out.Author = nil
	}
	return out
}

// IDs lists the hits' document ids in rank order.
func (s *Snapshot) IDs() []string {
	out := make([]string, len(s.Hits))
	for i, h := range s.Hits {
		out[i] = h.ID
	}
	return out
}

// Store keeps snapshots in a bbolt file.
type Store struct {
	db  *bolt.DB
	log Log // nil: single node
}

// Log is a cluster's write log (package replica provides one). With a
// log set, a snapshot is appended to it and every node stores it when it
// applies the log (ApplyRecord), so any node serves any snapshot.
type Log interface {
	AppendRecord(ctx context.Context, kind, id string, data []byte) (uint64, error)
	// WaitApplied waits, within a bound, until this node has applied seq.
	WaitApplied(ctx context.Context, seq uint64) bool
}

// LogKind names snapshots in the log's subjects.
const LogKind = "snap"

// SetLog routes Create through l. Call before the store is shared.
func (st *Store) SetLog(l Log) { st.log = l }

// Open opens or creates the store at path.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("open snapshot store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketSnapshots)
		return err
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db}, nil
}

// Close closes the store.
func (st *Store) Close() error { return st.db.Close() }

// idLen is the length of a snapshot id: 50 random bits, short enough to
// type from a printed reference, far too many to guess or collide.
const idLen = 10

var idPattern = regexp.MustCompile(`^[a-z2-7]{10}$`)

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func newID() string {
	b := make([]byte, 7)
	_, _ = rand.Read(b)
	return strings.ToLower(idEncoding.EncodeToString(b))[:idLen]
}

// ValidID reports whether id has the form of a snapshot id.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// Create gives s a fresh id and creation time (when unset) and stores it
// durably; the stored record never changes afterwards. In a cluster it
// is stored once the log has it; this node has it too unless applying
// took longer than the apply wait.
func (st *Store) Create(ctx context.Context, s *Snapshot) error {
	if s.Created.IsZero() {
		s.Created = time.Now().UTC()
	}
	if st.log != nil {
		// 50 random bits: a collision among a cluster's snapshots is
		// as unlikely as on one node, where it is also checked.
		s.ID = newID()
		v, err := json.Marshal(s)
		if err != nil {
			return err
		}
		seq, err := st.log.AppendRecord(ctx, LogKind, s.ID, v)
		if err != nil {
			return err
		}
		st.log.WaitApplied(ctx, seq)
		return nil
	}
	return st.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSnapshots)
		for range 8 {
			s.ID = newID()
			if b.Get([]byte(s.ID)) == nil {
				v, err := json.Marshal(s)
				if err != nil {
					return err
				}
				return b.Put([]byte(s.ID), v)
			}
		}
		return errors.New("no free snapshot id after 8 tries")
	})
}

// ApplyRecord stores a snapshot from the cluster's log. A snapshot never
// changes, so one already stored is kept; there are no tombstones.
func (st *Store) ApplyRecord(id string, data []byte) error {
	if data == nil || !ValidID(id) {
		return nil
	}
	var s Snapshot
	if err := json.Unmarshal(data, &s); err != nil || s.ID != id {
		return nil // passed over on every node alike
	}
	return st.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSnapshots)
		if b.Get([]byte(id)) != nil {
			return nil
		}
		return b.Put([]byte(id), data)
	})
}

// Get returns the snapshot id; an index.NotFound error if there is none.
func (st *Store) Get(id string) (*Snapshot, error) {
	notFound := &index.Error{Kind: index.NotFound, Code: "not_found", Message: fmt.Sprintf("no snapshot with id %q", truncate(id, 40))}
	if !ValidID(id) {
		return nil, notFound
	}
	var s *Snapshot
	err := st.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSnapshots).Get([]byte(id))
		if v == nil {
			return nil
		}
		s = &Snapshot{}
		return json.Unmarshal(v, s)
	})
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", id, err)
	}
	if s == nil {
		return nil, notFound
	}
	return s, nil
}

// Each calls fn with every stored snapshot's id and JSON (to refill a
// cluster's log).
func (st *Store) Each(fn func(id string, data []byte) error) error {
	return st.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSnapshots).ForEach(func(k, v []byte) error { return fn(string(k), v) })
	})
}

// Count is how many snapshots are stored.
func (st *Store) Count() int {
	n := 0
	_ = st.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketSnapshots).Stats().KeyN
		return nil
	})
	return n
}

func truncate(s string, n int) string {
	if r := []rune(strings.ToValidUTF8(s, "\uFFFD")); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
