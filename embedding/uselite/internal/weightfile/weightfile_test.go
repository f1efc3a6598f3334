package weightfile

import (
	"bytes"
	"math"
	"testing"
)

func TestHalfRoundTrip(t *testing.T) {
	tests := []struct {
		in, want float32
	}{
		{0, 0},
		{1, 1},
		{-2.5, -2.5},
		{0.1, 0.0999755859375},
		{65504, 65504},
		{1e6, float32(math.Inf(1))},
		{6e-8, 5.9604645e-08}, // smallest subnormal
		{1e-9, 0},
		{1.0009765625, 1.0009765625}, // 1 + 2^-10, exact
		{1.00048828125, 1},           // halfway: rounds to even
	}
	for _, tt := range tests {
		if got := FromHalf(ToHalf(tt.in)); got != tt.want {
			t.Errorf("FromHalf(ToHalf(%g)) = %g, want %g", tt.in, got, tt.want)
		}
	}
}

func TestWriteRead(t *testing.T) {
	data := []float32{0.5, -1, 0.25, 2, 0, -0.125}
	for _, dt := range []DType{Float32, Float16, Int8} {
		var buf bytes.Buffer
		tensors := []*Tensor{{Name: "m", Shape: []int{2, 3}, Data: data}, {Name: "b", Shape: []int{2}, Data: []float32{1, 2}}}
		vocab := []Piece{{"<unk>", 0}, {"\u2581the", -3.5637}}
		store := func(t *Tensor) DType {
			if len(t.Shape) == 2 {
				return dt
			}
			return Float32
		}
		if err := Write(&buf, tensors, store, vocab); err != nil {
			t.Fatal(err)
		}
		f, err := Read(buf.Bytes())
		if err != nil {
			t.Fatalf("dtype %d: %v", dt, err)
		}
		got := f.Tensors["m"]
		tol := map[DType]float64{Float32: 0, Float16: 1e-3, Int8: 2.0 / 127}[dt]
		for i, v := range got.Data {
			if math.Abs(float64(v-data[i])) > tol {
				t.Errorf("dtype %d: value %d = %g, want %g ± %g", dt, i, v, data[i], tol)
			}
		}
		if f.Tensors["b"].Data[1] != 2 || len(f.Vocab) != 2 || f.Vocab[1] != vocab[1] {
			t.Errorf("dtype %d: bias or vocabulary changed: %v %v", dt, f.Tensors["b"].Data, f.Vocab)
		}
		if _, err := Read(buf.Bytes()[:buf.Len()-3]); err == nil {
			t.Errorf("dtype %d: a truncated file decoded without error", dt)
		}
	}
}
