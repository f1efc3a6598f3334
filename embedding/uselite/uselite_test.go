package uselite

import (
	"context"
	"errors"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

var sampleTexts = []string{
	"remote working",
	"telecommuting staff who do their jobs from home",
	"The abundant fruits of another year have blessed our country with plenty and with the means of a flourishing commerce.",
	"tariffs\nand import duties",
}

func TestModelFacts(t *testing.T) {
	m := mustLoad(t)
	if !regexp.MustCompile(`^builtin:use-lite@[0-9a-f]{8}$`).MatchString(m.ID()) {
		t.Errorf("ID() = %q", m.ID())
	}
	if m.Dims() != 512 || m.MaxTokens() != 128 {
		t.Errorf("Dims, MaxTokens = %d, %d; want 512, 128", m.Dims(), m.MaxTokens())
	}
	again, err := Load()
	if err != nil || again != m {
		t.Errorf("second Load() = %p, %v; want the same model", again, err)
	}
}

func TestEmbedUnitDeterministicBatchEqualsSingle(t *testing.T) {
	m := mustLoad(t)
	ctx := context.Background()
	batch, err := m.Embed(ctx, sampleTexts)
	if err != nil {
		t.Fatal(err)
	}
	if len(batch) != len(sampleTexts) {
		t.Fatalf("got %d vectors for %d inputs", len(batch), len(sampleTexts))
	}
	again, err := m.Embed(ctx, sampleTexts)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range sampleTexts {
		v := batch[i]
		var ss float64
		for _, x := range v {
			ss += float64(x) * float64(x)
		}
		if len(v) != 512 || math.Abs(ss-1) > 1e-5 {
			t.Errorf("%q: len %d, squared norm %v; want 512, 1", text, len(v), ss)
		}
		if !slices.Equal(v, again[i]) {
			t.Errorf("%q: second Embed differs", text)
		}
		single, err := m.Embed(ctx, []string{text})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(v, single[0]) {
			t.Errorf("%q: embedded alone differs from in a batch", text)
		}
	}
	// Related texts are closer than unrelated ones (a sanity check on top
	// of the golden vectors).
	if near, far := cosine(batch[0], batch[1]), cosine(batch[0], batch[2]); near <= far {
		t.Errorf("cos(remote working, telecommuting) = %.3f, not above cos(remote working, SOTU) = %.3f", near, far)
	}
}

func TestEmbedReadsOnlyMaxTokens(t *testing.T) {
	m := mustLoad(t)
	long := strings.Repeat("health care reform for working families ", 40)
	ids := m.Tokenize(long)
	if len(ids) <= 128 {
		t.Fatalf("test text has only %d pieces", len(ids))
	}
	if n := m.CountTokens(long); n != len(ids) {
		t.Errorf("CountTokens = %d, len(Tokenize) = %d", n, len(ids))
	}
	got, err := m.Embed(context.Background(), []string{long})
	if err != nil {
		t.Fatal(err)
	}
	if want := m.enc.embed(ids[:128], 1); !slices.Equal(got[0], want) {
		t.Error("Embed of a long text differs from the embedding of its first 128 pieces")
	}
}

func TestEmbedEmptyInput(t *testing.T) {
	m := mustLoad(t)
	tests := []struct {
		name   string
		inputs []string
		index  string
	}{
		{"empty string", []string{"ok", ""}, "input 1"},
		{"spaces only", []string{"   "}, "input 0"},
		{"newlines and tabs", []string{"a", "b", "\n\t \r\n"}, "input 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vecs, err := m.Embed(context.Background(), tt.inputs)
			if !errors.Is(err, ErrEmptyInput) || !strings.Contains(err.Error(), tt.index) {
				t.Errorf("Embed(%q) = %d vectors, %v; want ErrEmptyInput naming %q", tt.inputs, len(vecs), err, tt.index)
			}
		})
	}
	if vecs, err := m.Embed(context.Background(), nil); err != nil || len(vecs) != 0 {
		t.Errorf("Embed(nil) = %v, %v; want no vectors, no error", vecs, err)
	}
}

func TestEmbedCancelled(t *testing.T) {
	m := mustLoad(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Embed(ctx, sampleTexts); !errors.Is(err, context.Canceled) {
		t.Errorf("Embed with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestEmbedConcurrent(t *testing.T) {
	m := mustLoad(t)
	want, err := m.Embed(context.Background(), sampleTexts[:2])
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			texts := []string{sampleTexts[g%2], sampleTexts[(g+1)%2]}
			got, err := m.Embed(context.Background(), texts)
			if err != nil {
				errs <- err
				return
			}
			if !slices.Equal(got[0], want[g%2]) || !slices.Equal(got[1], want[(g+1)%2]) {
				errs <- errors.New("concurrent Embed returned different vectors")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestNormalizeWhitespace(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain text", "plain text"},
		{"  lead and trail  ", "lead and trail"},
		{"title\n\npassage", "title passage"},
		{"a\tb\r\nc", "a b c"},
		{"non\u00a0breaking", "non breaking"},
		{"bom\ufeffhere", "bom here"},
		{"nel\u0085stays", "nel\u0085stays"}, // not whitespace in JavaScript
		{"\n\t ", ""},
	}
	for _, tt := range tests {
		if got := NormalizeWhitespace(tt.in); got != tt.want {
			t.Errorf("NormalizeWhitespace(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range append(sampleTexts, edgeTexts[:20]...) {
		f.Add(s)
	}
	m := mustLoad(f)
	f.Fuzz(func(t *testing.T, s string) {
		ids := m.Tokenize(s)
		if n := m.CountTokens(s); n != len(ids) {
			t.Fatalf("CountTokens = %d, len(Tokenize) = %d", n, len(ids))
		}
		for _, id := range ids {
			if id < 0 || int(id) >= m.enc.vocabSize {
				t.Fatalf("id %d out of range", id)
			}
		}
	})
}
