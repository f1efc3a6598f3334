package embedding

import (
	"context"
	"math"
	"strings"
	"unicode/utf8"
)

// Embedder is a model that turns text into vectors: the remote Client, or
// the built-in model running in this process. The Service needs no more
// of it than this, so either one goes through the same queue and store.
type Embedder interface {
	// Model names the model; vectors are stored under it, so it must
	// change when the weights do.
	Model() string
	// MaxTokens is the longest input the model reads whole; passages are
	// cut so that title and passage together fit.
	MaxTokens() int
	// CountTokens counts text as the model would (approximately for a
	// remote model, whose tokenizer is not at hand).
	CountTokens(text string) int
	// Embed returns one unit-length vector per input, in input order.
	Embed(ctx context.Context, inputs []string) ([][]float32, error)
}

var _ Embedder = (*Client)(nil)

// DefaultRemoteMaxTokens is the input limit assumed for a remote model
// when none is configured: small enough for 256-token models (all-MiniLM)
// and most others read 512 or more.
const DefaultRemoteMaxTokens = 256

// ApproxTokens estimates a subword tokenizer's count without it: English
// runs about 1.3 tokens a word and 4 characters a token; the larger of
// words×1.4 and characters/4 errs on the long side, so passages fit.
func ApproxTokens(text string) int {
	words := len(strings.Fields(text))
	chars := utf8.RuneCountInString(text)
	return int(math.Ceil(max(float64(words)*1.4, float64(chars)/4)))
}
