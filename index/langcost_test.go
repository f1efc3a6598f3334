package index

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// BenchmarkPutLanguage compares storing documents that name their
// language with documents whose language is detected, in the same run:
// the cost language detection adds to ingest.
func BenchmarkPutLanguage(b *testing.B) {
	text, err := os.ReadFile("../../shared/corpora/seed-articles/ng-sovereign-ai.txt")
	if err != nil {
		b.Skip("no seed articles")
	}
	for _, c := range []struct{ name, lang string }{{"given", "en"}, {"detected", ""}} {
		b.Run(c.name, func(b *testing.B) {
			ix, err := Open(context.Background(), b.TempDir(), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer ix.Close()
			const batch = 100
			docs := make([]Document, batch)
			n := 0
			for b.Loop() {
				for i := range docs {
					n++
					docs[i] = Document{ID: fmt.Sprint("d", n), Title: "Sovereign AI", Text: fmt.Sprint(n, " ", string(text)), Language: c.lang}
				}
				if _, err := ix.Put(context.Background(), docs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/doc")
		})
	}
}
