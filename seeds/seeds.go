// Package seeds embeds the starter documents, so a fresh binary can index
// something searchable on first start, once per data directory.
package seeds

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"policysearch/index"
	"policysearch/ingest"
)

// FS holds the seed documents: Markdown with YAML front matter.
//
//go:embed *.md
var FS embed.FS

// Documents loads the seeds through the same loaders as any file, so they
// are indexed exactly as `add seeds/` would index them.
func Documents(ctx context.Context) ([]index.Document, error) {
	var docs []index.Document
	err := fs.WalkDir(FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !ingest.Supported(name) {
			return err
		}
		f, err := FS.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		return ingest.Load(ctx, "seeds/"+name, f, "", func(r ingest.Record) error {
			if r.Err != nil {
				return fmt.Errorf("%s: %w", name, r.Err)
			}
			docs = append(docs, r.Doc)
			return nil
		})
	})
	return docs, err
}

// recordFile, in the data directory, lists the seeds already added there:
// each is added once per collection, so one a user deleted stays deleted
// and a seed never comes back over a real collection at the next start.
const recordFile = "seeds.json"

// Putter is the part of the index AddOnce needs.
type Putter interface {
	Put(ctx context.Context, docs []index.Document) ([]index.PutResult, error)
}

// AddOnce adds the seeds that dataDir has not had yet, records them, and
// returns how many it added. Seeds added before (even if since deleted)
// are skipped.
func AddOnce(ctx context.Context, ix Putter, dataDir string) (int, error) {
	path := filepath.Join(dataDir, recordFile)
	var rec struct {
		Added []string `json:"added"`
	}
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &rec); err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, err
	}
	docs, err := Documents(ctx)
	if err != nil {
		return 0, err
	}
	docs = slices.DeleteFunc(docs, func(d index.Document) bool { return slices.Contains(rec.Added, d.ID) })
	if len(docs) == 0 {
		return 0, nil
	}
	res, err := ix.Put(ctx, docs)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range res {
		rec.Added = append(rec.Added, r.ID)
		if r.Status == index.Added {
			n++
		}
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return n, err
	}
	// Written after the documents are stored: a crash between the two adds
	// them again (unchanged), never loses them.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return n, err
	}
	return n, os.Rename(tmp, path)
}
