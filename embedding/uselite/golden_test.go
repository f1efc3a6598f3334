package uselite

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"slices"
	"testing"

	"policysearch/embedding/uselite/internal/weightfile"
)

// The golden files hold the reference's token ids (JSON, with the texts)
// and its vectors (float16, 512 per text, in the same order).
const (
	goldenJSON    = "testdata/golden.json"
	goldenVectors = "testdata/golden.f16"
)

type goldenCase struct {
	Text string  `json:"text"`
	IDs  []int32 `json:"ids"`
}

func encodeHalfVectors(vecs [][]float32) []byte {
	var b []byte
	for _, v := range vecs {
		for _, x := range v {
			b = binary.LittleEndian.AppendUint16(b, weightfile.ToHalf(x))
		}
	}
	return b
}

func loadGolden(t *testing.T) ([]goldenCase, [][]float32) {
	t.Helper()
	raw, err := os.ReadFile(goldenJSON)
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(goldenVectors)
	if err != nil {
		t.Fatal(err)
	}
	if len(bin) != len(cases)*dims*2 {
		t.Fatalf("%s has %d bytes, want %d", goldenVectors, len(bin), len(cases)*dims*2)
	}
	vecs := make([][]float32, len(cases))
	for i := range vecs {
		vecs[i] = make([]float32, dims)
		for j := range dims {
			vecs[i][j] = weightfile.FromHalf(binary.LittleEndian.Uint16(bin[2*(i*dims+j):]))
		}
	}
	return cases, vecs
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// TestGolden checks the tokenizer and the encoder against the reference
// implementation's recorded ids and vectors: every id sequence equal, mean
// cosine at least minMeanCosine and none below 0.98.
func TestGolden(t *testing.T) {
	if *updateGolden {
		writeGolden(t, goldenTexts(t))
	}
	m := mustLoad(t)
	cases, want := loadGolden(t)
	texts := make([]string, len(cases))
	for i, c := range cases {
		texts[i] = c.Text
		if got := m.Tokenize(c.Text); !slices.Equal(got, c.IDs) {
			t.Errorf("Tokenize(%.60q) = %v\nwant %v", c.Text, head(got), head(c.IDs))
		}
	}
	got, err := m.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	sum, worst, worstAt := 0.0, 1.0, -1
	for i := range cases {
		c := cosine(got[i], want[i])
		sum += c
		if c < worst {
			worst, worstAt = c, i
		}
		if c < 0.98 {
			t.Errorf("cosine %.5f for %.60q", c, cases[i].Text)
		}
	}
	mean := sum / float64(len(cases))
	t.Logf("%d texts: mean cosine %.6f, min %.6f (%.40q)", len(cases), mean, worst, cases[worstAt].Text)
	if mean < minMeanCosine {
		t.Errorf("mean cosine %.6f, want ≥ %.3f", mean, minMeanCosine)
	}
}

// minMeanCosine is the bar for the shipped weights: 0.999 holds for float
// weights, the issue allows 0.99 for quantised ones.
const minMeanCosine = 0.999

func head(ids []int32) []int32 {
	if len(ids) > 20 {
		return ids[:20]
	}
	return ids
}

func mustLoad(t testing.TB) *Model {
	t.Helper()
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return m
}
