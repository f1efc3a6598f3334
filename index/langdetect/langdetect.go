// Package langdetect names the language of a text as an ISO 639-1 code,
// so that documents which arrive without a language can still be filtered.
package langdetect

import (
	"unicode"
	"unicode/utf8"

	"github.com/abadojack/whatlanggo"
)

// sampleBytes bounds how much of a text is read: about 80 words, where
// trigram profiles have settled, so a 100-page report costs no more at
// ingest than a short brief. Reading more costs more and can be worse:
// whatlanggo's time grows with the text's distinct trigrams (it sorts
// them), and its confidence goes negative once they far outnumber its
// 300-trigram profiles (the seed article NG reads as English with
// confidence 1 up to 2000 bytes, -67 at 4096). Comparing the text with
// each of whatlanggo's 48 Latin-script profiles cost 0.97 ms a document
// (BenchmarkDetect, this machine under load); scored from the text's side
// (profiles.go), 0.24 ms.
const sampleBytes = 500

// minLetters is the least text worth guessing from: a title of three
// words is as likely to be wrong as right.
const minLetters = 40

// minConfidence is whatlanggo's own threshold for a reliable answer. A
// guess below it is left out: an empty language is honest, a wrong one
// hides the document from a language filter.
const minConfidence = whatlanggo.ReliableConfidenceThreshold

// Detect returns the ISO 639-1 code of the language of title and text, or
// "" when the text is too short, has no code in ISO 639-1 or the guess is
// not reliable.
func Detect(title, text string) string {
	s := sample(title, text)
	if letters(s) < minLetters {
		return ""
	}
	info := detect(s) // whatlanggo.Detect(s), faster (profiles.go)
	if info.Lang < 0 || !info.IsReliable() || info.Confidence < minConfidence {
		return ""
	}
	return info.Lang.Iso6391()
}

// sample is the title and the start of the text, cut on a rune boundary.
func sample(title, text string) string {
	s := title + "\n" + text
	if len(s) <= sampleBytes {
		return s
	}
	n := sampleBytes
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func letters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}
