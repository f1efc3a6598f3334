// Package corpus builds the benchmark corpora from the State of the Union
// speeches in ../shared/corpora/sotu.jsonl, and the queries run on them.
//
// The speeches have no paragraph breaks, so passages are cut from words:
//
//   - "10k": each speech's sentences grouped until a passage holds at
//     least 160 words (about 170 on average): 10,043 passages, 1.8 million
//     words, every word of the corpus once.
//
//   - "100k": two copies of the corpus cut into 36-word windows; the second
//     copy's windows start half a window later (its first passage is the
//     speech's first 18 words), so no passage of one copy equals or
//     mostly overlaps one of the other: about 100,000 passages, 3.6 million
//     words. Windows that half overlap are far below the near-duplicate
//     detector's 0.7 similarity (and most are under its 40-word minimum),
//     so no passage is folded into another as a syndicated copy.
//
//   - "1m": 1,000,000 passages of 3 to 5 sentences each drawn at random
//     (fixed seed) from all 64 thousand sentences of all speeches, about
//     110 million words; each sentence is in some 60 passages, but no three
//     sentences are together in two passages, so no two passages share more
//     than half their text and none is folded into another as a copy. A
//     passage takes its speech fields from its first sentence.
//
// A passage becomes one document: id = speech id + "-p" (or "-q" for the
// second copy) + passage number, title = speech title + " — passage N",
// the speech's author, its year as published, and its source.
package corpus

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Sizes are the corpora Build knows.
var Sizes = []string{"10k", "100k", "1m"}

const (
	minWords10k  = 160
	window100k   = 36
	offset100k   = window100k / 2
	maxLineBytes = 64 << 20
	passages1m   = 1_000_000
)

// Speech is one line of sotu.jsonl.
type Speech struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Author string `json:"author"`
	Year   int    `json:"year"`
	Source string `json:"source"`
	Text   string `json:"text"`
}

// Doc is one passage as policysearch and the baseline read it.
type Doc struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Text      string `json:"text"`
	Author    string `json:"author"`
	Published string `json:"published"`
	Source    string `json:"source"`
}

// ReadSOTU reads the speeches.
func ReadSOTU(path string) ([]Speech, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Speech
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, maxLineBytes)
	for sc.Scan() {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var s Speech
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// Build cuts the speeches into the passages of corpus size (one of
// Sizes), in speech order for "10k" and "100k".
func Build(speeches []Speech, size string) ([]Doc, error) {
	if size == "1m" {
		return sampled(speeches, passages1m), nil
	}
	var out []Doc
	for _, s := range speeches {
		switch size {
		case "10k":
			for i, p := range groupSentences(s.Text, minWords10k) {
				out = append(out, passage(s, "p", i, p))
			}
		case "100k":
			words := strings.Fields(s.Text)
			for i, p := range windows(words, 0, window100k) {
				out = append(out, passage(s, "p", i, p))
			}
			for i, p := range windows(words, offset100k, window100k) {
				out = append(out, passage(s, "q", i, p))
			}
		default:
			return nil, fmt.Errorf("corpus size %q: want one of %v", size, Sizes)
		}
	}
	return out, nil
}

func passage(s Speech, copy string, i int, text string) Doc {
	n := strconv.Itoa(i + 1)
	title := s.Title + " — passage " + n
	if copy != "p" {
		title += copy
	}
	return Doc{ID: fmt.Sprintf("%s-%s%04d", s.ID, copy, i+1), Title: title, Text: text,
		Author: s.Author, Published: strconv.Itoa(s.Year), Source: s.Source}
}

var sentenceEnd = regexp.MustCompile(`[.?!]["')\]]*\s+`)

// sentences splits text after ., ? or ! followed by space.
func sentences(text string) []string {
	var out []string
	start := 0
	for _, m := range sentenceEnd.FindAllStringIndex(text, -1) {
		if s := strings.TrimSpace(text[start:m[1]]); s != "" {
			out = append(out, s)
		}
		start = m[1]
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// groupSentences joins consecutive sentences until each passage has at
// least min words; the speech's last passage may be shorter.
func groupSentences(text string, min int) []string {
	var out []string
	var cur []string
	words := 0
	for _, s := range sentences(text) {
		cur = append(cur, s)
		words += len(strings.Fields(s))
		if words >= min {
			out = append(out, strings.Join(cur, " "))
			cur, words = nil, 0
		}
	}
	if len(cur) > 0 {
		out = append(out, strings.Join(cur, " "))
	}
	return out
}

// windows cuts words into runs of n starting at offset; a non-zero offset
// makes the words before it the first (shorter) window.
func windows(words []string, offset, n int) []string {
	var out []string
	if offset > 0 && offset < len(words) {
		out = append(out, strings.Join(words[:offset], " "))
	}
	for i := min(offset, len(words)); i < len(words); i += n {
		out = append(out, strings.Join(words[i:min(i+n, len(words))], " "))
	}
	return out
}

// WriteJSONL writes one document a line.
func WriteJSONL(w io.Writer, docs []Doc) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range docs {
		if err := enc.Encode(&docs[i]); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// Ensure writes corpus size, built from sotuPath, to dir/corpus-SIZE.jsonl
// (afresh each time: it takes a second, and a stale file cannot linger)
// and returns its path and documents.
func Ensure(dir, sotuPath, size string) (string, []Doc, error) {
	speeches, err := ReadSOTU(sotuPath)
	if err != nil {
		return "", nil, err
	}
	docs, err := Build(speeches, size)
	if err != nil {
		return "", nil, err
	}
	path := filepath.Join(dir, "corpus-"+size+".jsonl")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	tmp, err := os.CreateTemp(dir, "corpus-*.tmp")
	if err != nil {
		return "", nil, err
	}
	defer os.Remove(tmp.Name())
	if err := WriteJSONL(tmp, docs); err != nil {
		tmp.Close()
		return "", nil, err
	}
	if err := tmp.Close(); err != nil {
		return "", nil, err
	}
	return path, docs, os.Rename(tmp.Name(), path)
}

// FindSOTU looks for ../shared/corpora/sotu.jsonl beside the module root
// that contains dir (or one of its parents).
func FindSOTU(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			p := filepath.Join(d, "..", "shared", "corpora", "sotu.jsonl")
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("the SOTU corpus is not at %s: %w", p, err)
			}
			return p, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
	}
}
