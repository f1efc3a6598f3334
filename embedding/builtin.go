package embedding

import (
	"context"

	"policysearch/embedding/uselite"
)

// Builtin is the model that ships inside the binary: the Universal
// Sentence Encoder lite (package uselite), run in this process, so
// semantic search works with nothing else installed. Load it once; it
// is safe for concurrent use.
func Builtin() (Embedder, error) {
	m, err := uselite.Load()
	if err != nil {
		return nil, err
	}
	return builtin{m}, nil
}

// builtin adapts uselite.Model, which knows nothing of this package.
type builtin struct{ m *uselite.Model }

var _ Embedder = builtin{}

// Model is the weights' id ("builtin:use-lite@…"), which keys the store.
func (b builtin) Model() string { return b.m.ID() }

// MaxTokens is the 128 SentencePiece pieces the model reads.
func (b builtin) MaxTokens() int { return b.m.MaxTokens() }

// CountTokens counts pieces with the model's own tokenizer.
func (b builtin) CountTokens(text string) int { return b.m.CountTokens(text) }

// Embed runs the model on every input, in parallel on the machine's cores.
func (b builtin) Embed(ctx context.Context, inputs []string) ([][]float32, error) {
	return b.m.Embed(ctx, inputs)
}
