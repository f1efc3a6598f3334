package index

import (
	"encoding/json"
	"fmt"
	"unicode"
	"unicode/utf8"

	zapv16 "github.com/blevesearch/zapx/v16"
	zapv17 "github.com/blevesearch/zapx/v17"
)

// The per-document budget. Indexing costs memory in proportion to the
// analysed tokens (bleve keeps a position and a term-vector entry for
// each, about 220 bytes a token while a batch is built), so text is
// bounded in words as well as bytes; lists are bounded because every item
// is a term in four fields. A document over a limit is refused with
// TooLarge naming the field (413), never truncated behind the caller's back.
const (
	MaxTextBytes  = 16 << 20  // text, after trimming
	MaxTextWords  = 1_000_000 // analysed tokens of title and text
	MaxTitleBytes = 2000
	MaxFieldBytes = 2000    // url, source, country, language, origin
	MaxListItems  = 100     // tags; authors
	MaxItemBytes  = 200     // one tag or author
	MaxExtraBytes = 1 << 20 // extra fields, as JSON
)

// The per-batch budget: a bleve batch holds at most batchSize documents,
// batchBytes of text and batchWords analysed tokens, whichever comes
// first. A document that alone exceeds a budget is written in a batch of
// its own, which MaxTextWords bounds.
const (
	batchBytes = 4 << 20
	batchWords = 500_000
)

func init() {
	// zap sizes a new segment's buffer as the previous segment's bytes
	// per document times this batch's document count. After a batch of
	// one 16 MB document, the next batch of 500 small ones asked for
	// tens of GB and the process died. Growing the buffer as it fills
	// costs a few copies; the estimate is turned off. (The pool holding
	// the estimate is process-wide, so no per-index setting would do.)
	zapv16.NewSegmentBufferAvgBytesPerDocFactor = 0
	zapv17.NewSegmentBufferAvgBytesPerDocFactor = 0
}

// weight is what a document costs a batch.
type weight struct{ bytes, words int }

func (w weight) add(o weight) weight { return weight{w.bytes + o.bytes, w.words + o.words} }

// weigh counts a document's text bytes and words.
func weigh(d *Document) weight {
	return weight{len(d.Text) + len(d.Title), countWords(d.Title) + countWords(d.Text)}
}

// fits reports whether a batch of n documents weighing sum takes one more
// weighing add: up to batchSize documents, batchBytes and batchWords, but
// a batch always takes its first document. Put and Bulk both cut batches
// by it, so a Bulk batch is one Put transaction.
func fits(n int, sum, add weight) bool {
	return n == 0 || (n < batchSize && sum.bytes+add.bytes <= batchBytes && sum.words+add.words <= batchWords)
}

// countWords approximates the tokens bleve's unicode tokenizer makes:
// runs of letters and digits, and each ideograph on its own.
func countWords(s string) int {
	n, in := 0, false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			word := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
			if word && !in {
				n++
			}
			in = word
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai):
			n++
			in = false
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			if !in {
				n++
			}
			in = true
		default:
			in = false
		}
	}
	return n
}

// tooLarge is the one shape of a budget refusal.
func tooLarge(field, format string, args ...any) *Error {
	return &Error{Kind: TooLarge, Code: "document_too_large", Field: field, Message: fmt.Sprintf(format, args...)}
}

// checkBudget refuses a normalised document over the per-document budget.
func (d *Document) checkBudget() error {
	if len(d.Text) > MaxTextBytes {
		return tooLarge("text", "is %d bytes; at most %d are allowed", len(d.Text), MaxTextBytes)
	}
	if len(d.Title) > MaxTitleBytes {
		return tooLarge("title", "is longer than %d bytes", MaxTitleBytes)
	}
	for _, f := range []struct{ name, v string }{
		{"url", d.URL}, {"source", d.Source}, {"country", d.Country}, {"language", d.Language}, {"origin", d.Origin},
	} {
		if len(f.v) > MaxFieldBytes {
			return tooLarge(f.name, "is longer than %d bytes", MaxFieldBytes)
		}
	}
	for _, l := range []struct {
		name  string
		items []string
	}{{"author", d.Authors}, {"tags", d.Tags}} {
		if len(l.items) > MaxListItems {
			return tooLarge(l.name, "has %d items; at most %d are allowed", len(l.items), MaxListItems)
		}
		for _, it := range l.items {
			if len(it) > MaxItemBytes {
				return tooLarge(l.name, "has an item longer than %d bytes", MaxItemBytes)
			}
		}
	}
	if w := countWords(d.Title) + countWords(d.Text); w > MaxTextWords {
		return tooLarge("text", "has %d words; at most %d are indexed per document (split it)", w, MaxTextWords)
	}
	if len(d.Extra) > 0 {
		b, err := json.Marshal(d.Extra)
		if err != nil {
			return InvalidField("extra", "cannot be encoded")
		}
		if len(b) > MaxExtraBytes {
			return tooLarge("extra", "is %d bytes as JSON; at most %d are allowed", len(b), MaxExtraBytes)
		}
	}
	return nil
}
