package alerts

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"policysearch/index"
)

// benchWords is the vocabulary of the synthetic corpus and of the saved
// searches: policy words, so stemming and prefixes behave as in real text.
var benchWords = strings.Fields(`tariff trade export import control semiconductor chip fabrication subsidy energy grid
electricity climate carbon emission tax budget deficit debt inflation interest rate bank finance regulation regulator
regulatory compliance privacy data protection surveillance algorithm audit welfare benefit pension health hospital
vaccine pandemic education school university research innovation startup venture capital labour union wage worker
migration asylum border security defence military alliance treaty sanction diplomacy embassy election vote parliament
court judge constitution rights freedom speech media broadcast internet platform competition antitrust merger market
agriculture farm food water drought flood housing rent mortgage transport rail road aviation shipping port supply chain
manufacturing industry steel aluminium battery vehicle hydrogen nuclear solar wind gas oil pipeline mining mineral
critical infrastructure cyber attack ransomware cloud compute sovereign model openness procurement lock portability
standard interoperability telecom spectrum satellite space ocean fisheries forest biodiversity wildlife tourism culture`)

var benchSourceTypes = []string{"government", "think_tank", "igo", "ngo", "news", "academic"}

// benchFiller are 5,000 made-up words drawn with a Zipf law, the bulk of
// every text; the policy words above are each document's topic.
var benchFiller = func() []string {
	r := rand.New(rand.NewPCG(7, 7))
	out := make([]string, 5000)
	for i := range out {
		b := make([]byte, 4+r.IntN(6))
		for j := range b {
			b[j] = "bcdfghklmnprstvz"[r.IntN(16)]
			if j%2 == 1 {
				b[j] = "aeiou"[r.IntN(5)]
			}
		}
		out[i] = string(b)
	}
	return out
}()

// benchDoc is a 250-word document: Zipf-distributed filler with one word
// in six from its eight topic words.
func benchDoc(r *rand.Rand, i int) index.Document {
	topic := make([]string, 8)
	for j := range topic {
		topic[j] = benchWords[r.IntN(len(benchWords))]
	}
	zipf := rand.NewZipf(r, 1.1, 2, uint64(len(benchFiller)-1))
	words := make([]string, 250)
	for j := range words {
		if r.IntN(6) == 0 {
			words[j] = topic[r.IntN(len(topic))]
		} else {
			words[j] = benchFiller[zipf.Uint64()]
		}
	}
	title := strings.Join(words[:5], " ")
	return index.Document{ID: fmt.Sprintf("doc-%05d", i), Title: title, Text: strings.Join(words, " ") + ".",
		Source: fmt.Sprintf("Source %d", r.IntN(40)), SourceType: benchSourceTypes[r.IntN(len(benchSourceTypes))],
		Published: index.MustDate(fmt.Sprintf("%d", 2000+r.IntN(25)))}
}

// benchQuery is one of a mix of saved searches: words, phrases, required
// and excluded terms, prefixes, boolean logic, fields, and filters.
func benchQuery(r *rand.Rand) string {
	w := func() string { return benchWords[r.IntN(len(benchWords))] }
	var q string
	switch r.IntN(8) {
	case 0:
		q = w()
	case 1:
		q = w() + " " + w()
	case 2:
		q = `"` + w() + " " + w() + `"`
	case 3:
		q = "+" + w() + " " + w() + " -" + w()
	case 4:
		p := w()
		q = p[:min(len(p), 5)] + "*"
	case 5:
		q = w() + " AND (" + w() + " OR " + w() + ") NOT " + w()
	case 6:
		q = "title:" + w()
	default:
		q = w() + "~1"
	}
	v := url.Values{"q": {q}}
	if r.IntN(3) == 0 {
		v.Set("source_type", benchSourceTypes[r.IntN(len(benchSourceTypes))])
	}
	return v.Encode()
}

// BenchmarkMatch1000Alerts measures what one new document costs the
// alerts: matching it against 1,000 saved keyword searches over an index
// of 3,000 documents, and recording (and queueing) its matches in one
// fsynced transaction. The new documents are indexed before the clock
// starts, as they are before the index calls OnChange. Besides ns/op it
// reports the process's CPU time per document, which machine load does
// not inflate.
func BenchmarkMatch1000Alerts(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	ix, err := index.Open(ctx, dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	// The 3,000 documents and the b.N new ones are indexed in one batch
	// before the alerts are saved, so the index's background merging is
	// over by the time the clock starts; the new ones are then stamped as
	// indexed after the alerts, as they would be.
	r := rand.New(rand.NewPCG(1, 2))
	docs := make([]index.Document, 3000+b.N)
	for i := range docs {
		docs[i] = benchDoc(r, i)
	}
	if _, err := ix.Put(ctx, docs); err != nil {
		b.Fatal(err)
	}
	svc, err := Open(filepath.Join(dir, "alerts.db"), ix, Config{Parse: testParse})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	for range 1000 {
		if _, err := svc.Create(ctx, Alert{Params: benchQuery(r)}); err != nil {
			b.Fatal(err)
		}
	}
	refs := make([]docRef, b.N)
	for i := range refs {
		stored, err := ix.Get(ctx, docs[3000+i].ID)
		if err != nil {
			b.Fatal(err)
		}
		refs[i] = ref(stored)
		refs[i].indexedAt = time.Now()
	}
	before := svc.countMatches()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := range b.N {
		if err := svc.matchDocs(ctx, refs[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/doc")
	b.ReportMetric(float64(svc.countMatches()-before)/float64(b.N), "matches/doc")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// countMatches sums the matches recorded by every alert.
func (s *Service) countMatches() int {
	all, _ := s.List(context.Background())
	n := 0
	for _, a := range all {
		n += a.Matches
	}
	return n
}
