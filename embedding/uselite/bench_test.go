package uselite

import (
	"context"
	"strings"
	"testing"
)

// benchPassage is about 200 words of SOTU prose: more than 128 pieces, so
// the model reads a full window.
var benchPassage = strings.Repeat("The abundant fruits of another year have blessed our country with plenty and with the means of a flourishing commerce, and the progress of public credit is witnessed by a considerable rise of American stock abroad as well as at home. ", 5)

// BenchmarkEmbedPassage embeds batches of 64 full-window passages, as the
// service does while indexing; inputs/s is the throughput figure.
func BenchmarkEmbedPassage(b *testing.B) {
	m := mustLoad(b)
	batch := make([]string, 64)
	for i := range batch {
		batch[i] = benchPassage
	}
	ctx := context.Background()
	for b.Loop() {
		if _, err := m.Embed(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "inputs/s")
}

// BenchmarkEmbedQuery embeds one short query, as a search does.
func BenchmarkEmbedQuery(b *testing.B) {
	m := mustLoad(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := m.Embed(ctx, []string{"should the minimum wage be raised"}); err != nil {
			b.Fatal(err)
		}
	}
}
