package index

import (
	"github.com/blevesearch/bleve/v2/document"
)

// Analysis ahead of the write lock. bleve analyzes a batch inside Batch,
// which the writer calls holding ix.mu: a bulk load's writer spent a third
// of its time waiting for analysis that needs nothing the lock guards. A
// bulk load therefore maps and analyzes each batch on its reader's
// goroutine while the writer writes the batch before (bulk.go), and hands
// bleve documents whose fields are already analyzed.

// ahead is a document mapped and analyzed for bleve before its batch, and
// whether it was mapped with every field length (lengths.go).
type ahead struct {
	doc *document.Document
	all bool
}

// analyzedField is a field whose analysis is done: bleve's own call of
// Analyze in Batch does nothing, and the tokens computed ahead stand.
type analyzedField struct{ document.Field }

func (analyzedField) Analyze() {}

// analyzeAhead maps and analyzes the documents of docs that the store
// does not already hold unchanged. The writer checks again under the lock
// and maps any document it has no analysis for, or one mapped under a
// lengths rule that has since changed; so a document missing here is only
// work left to the writer, never a wrong index.
func (ix *Index) analyzeAhead(docs []*Document) map[*Document]ahead {
	if ix.repl != nil {
		return nil // a replicated write goes to the log; the apply indexes it (replicated.go)
	}
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	old, err := ix.store.hashes(ids)
	if err != nil {
		return nil
	}
	all := ix.allLengths()
	out := make(map[*Document]ahead, len(docs))
	for _, d := range docs {
		if h, ok := old[d.ID]; ok && h == d.Hash {
			continue // Put will skip it
		}
		bd := document.NewDocument(d.ID)
		if err := ix.mapping.MapDocument(bd, bleveDoc(d, all)); err != nil {
			continue // the writer maps it again and reports the error
		}
		for i, f := range bd.Fields {
			if f.Options().IsIndexed() {
				f.Analyze()
			}
			bd.Fields[i] = analyzedField{f}
		}
		out[d] = ahead{doc: bd, all: all}
	}
	return out
}
