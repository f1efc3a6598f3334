package index

import (
	"context"
	"errors"
)

// Semantic is what the index needs from a meaning-based ranker: nearest
// documents to a text, and to another document. The embedding package
// implements it; the index works without one.
type Semantic interface {
	// Model names the embedding model whose vectors are compared.
	Model() string
	// Nearest returns up to n documents whose best passage is most similar
	// to text, best first, among ids keep accepts (all when keep is nil).
	Nearest(ctx context.Context, text string, n int, keep func(id string) bool) ([]SemanticMatch, error)
	// Similar returns up to n documents nearest to document id, or
	// ErrNoVectors when id has none yet.
	Similar(ctx context.Context, id string, n int) ([]SemanticMatch, error)
}

// DocVectors are vectors computed for one version of a document (its
// content hash) by another cluster node: each passage's input hash and
// vector.
type DocVectors struct {
	ID, ContentHash string
	Hashes          []string
	Vectors         [][]float32
}

// ErrNoVectors means a document has not been embedded (yet).
var ErrNoVectors = errors.New("document has no embedding vectors")

// SemanticMatch is a document's best passage for a query.
type SemanticMatch struct {
	ID         string
	Similarity float64
	Passage    int // 0-based passage number
	Start, End int // the passage's byte range in the document text
}

// SetSemantic enables hybrid and semantic search. Call before serving.
func (ix *Index) SetSemantic(s Semantic) { ix.semantic = s }

// SetDefaultSemanticRatio sets the weight of meaning for queries that do
// not set semantic_ratio; r must be in [0,1]. With a strong embedding
// model operators may raise it from DefaultSemanticRatio.
func (ix *Index) SetDefaultSemanticRatio(r float64) { ix.defaultRatio = r }
