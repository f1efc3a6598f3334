// Package seeds embeds the starter documents, so a fresh binary can index
// something searchable on first start with no files beside it.
package seeds

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

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
