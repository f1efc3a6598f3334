package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Damage is detected at open, and repaired or refused, never passed over:
// a damaged index segment is rebuilt from the store (the store is the
// truth); a damaged store is refused with the file and the way out named,
// because nothing can rebuild it; and an empty or missing store beside an
// index that holds documents is refused too, since starting would serve
// an index whose documents can no longer be read, and the next rebuild
// would silently empty it.

// OpenOption changes how Open treats what it finds.
type OpenOption func(*openOptions)

type openOptions struct {
	acceptEmptyStore bool
}

// AcceptEmptyStore lets Open start with an empty or missing document store
// beside an index that holds documents (for `rebuild --force`, which then
// empties the index on purpose).
func AcceptEmptyStore() OpenOption {
	return func(o *openOptions) { o.acceptEmptyStore = true }
}

// errStoreDamaged refuses to start on a document store that cannot be read.
func errStoreDamaged(path string, cause error) *Error {
	dir := filepath.Dir(path)
	return &Error{Kind: Unavailable, Code: "store_damaged", Message: fmt.Sprintf(
		"the document store %s is damaged (%v); policysearch will not start on it. "+
			"Restore a copy of it (a backup, or any cluster node's documents.db) and start again: the index is rebuilt from it. "+
			"To give up its documents instead: mv %s %s.damaged && policysearch rebuild --force --data %s",
		path, cause, path, path, dir)}
}

// errStoreEmpty refuses to start on an empty store beside a full index.
func errStoreEmpty(path, state string, indexed uint64) *Error {
	dir := filepath.Dir(path)
	return &Error{Kind: Conflict, Code: "store_empty", Message: fmt.Sprintf(
		"the document store %s is %s but the index holds %d documents; policysearch will not start, "+
			"because the documents could not be read and a rebuild would empty the index. "+
			"Restore documents.db (a backup, or any cluster node's) and start again; "+
			"to empty the index instead: policysearch rebuild --force --data %s",
		path, state, indexed, dir)}
}

// errPanicked marks a panic that guarded turned into an error.
var errPanicked = errors.New("panic reading the file")

// guarded runs fn, turning a panic (or, through SetPanicOnFault, a fault
// on a memory-mapped page past the end of a truncated file) into an
// error: bbolt and zap trust their files and panic on damaged ones.
func guarded(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errPanicked, r)
		}
	}()
	return fn()
}

// checkStoreSize catches a truncated store before any page is read: the
// meta page records how many pages the file holds.
func checkStoreSize(db *bolt.DB, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	return db.View(func(tx *bolt.Tx) error {
		if need := tx.Size(); fi.Size() < need {
			return fmt.Errorf("the file is %d bytes but its pages need %d: it was truncated", fi.Size(), need)
		}
		return nil
	})
}

// survey reads both ends of the documents bucket's page tree (bbolt checks
// each page header it reads, so an overwritten root or spine panics here,
// at start; the other pages are walked after Open, storecheck.go) and says
// how the store is empty: "" when it holds documents or pending changes,
// else "empty" or "missing".
func (s *store) survey(existed bool) (string, error) {
	state := ""
	err := s.db.View(func(tx *bolt.Tx) error {
		docs := tx.Bucket(bucketDocs)
		docs.Cursor().Last()
		k, _ := docs.Cursor().First()
		p, _ := tx.Bucket(bucketPending).Cursor().First()
		if k != nil || p != nil {
			return nil
		}
		state = "empty"
		if !existed {
			state = "missing"
		}
		return nil
	})
	return state, err
}

// checkSegments verifies the CRC-32 that ends every zap segment the
// index's snapshots use: random bytes in a segment would otherwise be
// read (or panic a merge goroutine) later. It reads the live index once
// (0.08 s for 256 MiB from the page cache, measured). Segments
// no snapshot names (a persist a crash cut short) are not checked: bleve
// removes them.
func checkSegments(indexDir string) error {
	names, err := liveSegments(indexDir)
	if err != nil {
		return fmt.Errorf("read the index's segment list: %w", err)
	}
	for _, name := range names {
		if err := checkSegment(filepath.Join(indexDir, "store", name)); err != nil {
			return fmt.Errorf("segment %s: %w", name, err)
		}
	}
	return nil
}

// liveSegments lists the zap files named by the snapshots in scorch's
// root.bolt (bucket "s", one bucket per snapshot, one per segment, its
// path under key "p"), read-only, before bleve opens it.
func liveSegments(indexDir string) ([]string, error) {
	path := filepath.Join(indexDir, "store", "root.bolt")
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	seen := map[string]bool{}
	var names []string
	err = db.View(func(tx *bolt.Tx) error {
		snaps := tx.Bucket([]byte{'s'})
		if snaps == nil {
			return nil
		}
		return snaps.ForEachBucket(func(k []byte) error {
			snap := snaps.Bucket(k)
			return snap.ForEachBucket(func(k []byte) error {
				p := string(snap.Bucket(k).Get([]byte{'p'}))
				if strings.HasSuffix(p, ".zap") && !seen[p] {
					seen[p] = true
					names = append(names, p)
				}
				return nil
			})
		})
	})
	return names, err
}

// checkSegment compares a zap file's trailing CRC-32 (IEEE, big-endian,
// of every byte before it) with its content.
func checkSegment(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() < 4 {
		return fmt.Errorf("only %d bytes", fi.Size())
	}
	h := crc32.NewIEEE()
	if _, err := io.Copy(h, io.LimitReader(f, fi.Size()-4)); err != nil {
		return err
	}
	var tail [4]byte
	if _, err := io.ReadFull(f, tail[:]); err != nil {
		return err
	}
	if want := binary.BigEndian.Uint32(tail[:]); h.Sum32() != want {
		return fmt.Errorf("checksum %08x, the file says %08x", h.Sum32(), want)
	}
	return nil
}

// refuseEmptying refuses a rebuild that would turn an index holding
// documents into an empty one because the store is empty. Called with
// ix.mu held.
func (ix *Index) refuseEmptying() error {
	state, err := ix.store.survey(true)
	if err != nil || state == "" {
		return err
	}
	indexed, err := ix.live.DocCount()
	if err != nil || indexed == 0 {
		return err
	}
	return &Error{Kind: Conflict, Code: "rebuild_would_empty", Message: fmt.Sprintf(
		"the document store is empty but the index holds %d documents: a rebuild would empty it. "+
			"Restore documents.db, or rebuild with --force (POST /api/admin/rebuild?force=true) to empty the index on purpose", indexed)}
}
