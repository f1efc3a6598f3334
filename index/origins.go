package index

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Origins lists the stored documents whose Origin starts with prefix, as
// origin → ids (several documents can share an origin: the records of one
// JSONL file that carry their own ids). A folder watcher uses it to find
// what a folder contributed, so syncing one folder never touches others.
// It reads only the origin of each document, in one read transaction.
func (ix *Index) Origins(ctx context.Context, prefix string) (map[string][]string, error) {
	out := map[string][]string{}
	key := []byte(`"origin"`)
	err := ix.store.db.View(func(tx *bolt.Tx) error {
		n := 0
		return tx.Bucket(bucketDocs).ForEach(func(k, v []byte) error {
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if !bytes.Contains(v, key) {
				return nil // no origin at all: cheaper than decoding
			}
			var d struct {
				Origin string `json:"origin"`
			}
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("stored document %s: %w", k, err)
			}
			if d.Origin != "" && strings.HasPrefix(d.Origin, prefix) {
				out[d.Origin] = append(out[d.Origin], string(k))
			}
			return nil
		})
	})
	return out, err
}
