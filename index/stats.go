package index

import (
	"context"
	"io/fs"
	"path/filepath"
	"time"
)

// Stats describes the index for operators and the stats endpoint.
type Stats struct {
	Documents  int       `json:"documents"`
	Indexed    uint64    `json:"indexed"` // documents bleve holds; equals Documents when healthy
	IndexBytes int64     `json:"index_bytes"`
	StoreBytes int64     `json:"store_bytes"`
	LastUpdate time.Time `json:"last_update,omitzero"`
	Generation uint64    `json:"generation"`
	Index      string    `json:"index"`
}

// Stats counts documents and measures the index on disk.
func (ix *Index) Stats(ctx context.Context) (Stats, error) {
	if e := ix.storeDamage.Load(); e != nil {
		return Stats{}, e
	}
	n, err := ix.store.count()
	if err != nil {
		return Stats{}, err
	}
	indexed, err := ix.alias.DocCount()
	if err != nil {
		return Stats{}, err
	}
	name := ix.liveName()
	return Stats{
		Documents:  n,
		Indexed:    indexed,
		IndexBytes: dirSize(filepath.Join(ix.dir, indexesDir, name)),
		StoreBytes: ix.store.size(),
		LastUpdate: ix.store.lastUpdate(),
		Generation: ix.Generation(),
		Index:      name,
	}, nil
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
