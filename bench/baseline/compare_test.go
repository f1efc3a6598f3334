package baseline_test

// In-process Go benchmarks on the 10k corpus: raw bleve against
// policysearch's index and HTTP handler, with no process boundary, for
// profiling. They need ../shared and run only with -bench:
//
//	go test -run '^$' -bench . -benchtime 400x ./bench/baseline
//	go test -run '^$' -bench 'Search10k/index$' -cpuprofile cpu.out ./bench/baseline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/blevesearch/bleve/v2"

	"policysearch/bench/baseline"
	"policysearch/bench/corpus"
	"policysearch/index"
	"policysearch/ingest"
	"policysearch/server"
)

// fixture is the 10k corpus, its queries, and both indexes built from it.
type fixture struct {
	jsonl   string
	docs    []corpus.Doc
	reqs    []corpus.Request
	bleve   bleve.Index
	ix      *index.Index
	handler http.Handler
	err     error
}

var (
	fixOnce sync.Once
	fix     fixture
	fixDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fix.bleve != nil {
		fix.bleve.Close()
	}
	if fix.ix != nil {
		fix.ix.Close()
	}
	if fixDir != "" {
		os.RemoveAll(fixDir)
	}
	os.Exit(code)
}

func setup(b *testing.B) *fixture {
	b.Helper()
	wd, _ := os.Getwd()
	sotu, err := corpus.FindSOTU(wd)
	if err != nil {
		b.Skipf("../shared not present: %v", err)
	}
	fixOnce.Do(func() { fix.err = fix.build(sotu) })
	if fix.err != nil {
		b.Fatal(fix.err)
	}
	return &fix
}

func (f *fixture) build(sotu string) error {
	var err error
	if fixDir, err = os.MkdirTemp("", "policysearch-bench-"); err != nil {
		return err
	}
	if f.jsonl, f.docs, err = corpus.Ensure(fixDir, sotu, "10k"); err != nil {
		return err
	}
	for _, q := range corpus.Queries(f.docs) {
		f.reqs = append(f.reqs, corpus.Request{Q: q})
	}
	ctx := context.Background()
	dir := filepath.Join(fixDir, "bleve")
	if _, err := baseline.Ingest(ctx, dir, f.jsonl); err != nil {
		return err
	}
	if f.bleve, err = bleve.Open(dir); err != nil {
		return err
	}
	if f.ix, err = index.Open(ctx, filepath.Join(fixDir, "data"), nil); err != nil {
		return err
	}
	if err := putFile(ctx, f.ix, f.jsonl); err != nil {
		return err
	}
	f.handler, err = server.New(server.Deps{Index: f.ix})
	return err
}

// putFile loads a JSONL file the way the add command does: documents
// decoded by the ingest package while index.Bulk writes the previous batch.
func putFile(ctx context.Context, ix *index.Index, path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	bulk := index.NewBulk(ctx, ix, func(items []index.BulkItem[int]) error {
		for _, it := range items {
			if it.Err != nil {
				return it.Err
			}
		}
		return nil
	})
	err = ingest.JSONLines(ctx, "", fh, ingest.DefaultMaxLine, func(r ingest.Record) error {
		if r.Err != nil {
			return r.Err
		}
		r.Doc.EnsureID()
		return bulk.Add(r.Line, r.Doc)
	})
	if cerr := bulk.Close(); err == nil {
		err = cerr
	}
	return err
}

func BenchmarkIngest10k(b *testing.B) {
	f := setup(b)
	ctx := context.Background()
	info, _ := os.Stat(f.jsonl)
	report := func(b *testing.B) {
		b.ReportMetric(float64(len(f.docs)*b.N)/b.Elapsed().Seconds(), "docs/s")
		b.ReportMetric(float64(info.Size()*int64(b.N))/1e6/b.Elapsed().Seconds(), "MB/s")
	}
	b.Run("bleve", func(b *testing.B) {
		for b.Loop() {
			if _, err := baseline.Ingest(ctx, filepath.Join(b.TempDir(), "idx"), f.jsonl); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	b.Run("index-put", func(b *testing.B) {
		for b.Loop() {
			ix, err := index.Open(ctx, b.TempDir(), nil)
			if err != nil {
				b.Fatal(err)
			}
			if err := putFile(ctx, ix, f.jsonl); err != nil {
				b.Fatal(err)
			}
			ix.Close()
		}
		report(b)
	})
	b.Run("api-ndjson", func(b *testing.B) {
		body, _ := os.ReadFile(f.jsonl)
		for b.Loop() {
			ix, err := index.Open(ctx, b.TempDir(), nil)
			if err != nil {
				b.Fatal(err)
			}
			h, _ := server.New(server.Deps{Index: ix})
			srv := httptest.NewServer(h)
			resp, err := http.Post(srv.URL+"/api/documents", "application/x-ndjson", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			out, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			srv.Close()
			ix.Close()
			if !bytes.Contains(out, fmt.Appendf(nil, `"added":%d`, len(f.docs))) {
				b.Fatalf("NDJSON answer ends %s", out[max(0, len(out)-200):])
			}
		}
		report(b)
	})
}

func BenchmarkSearch10k(b *testing.B) {
	f := setup(b)
	ctx := context.Background()
	n := len(f.reqs)
	for _, kind := range []baseline.Kind{baseline.Page, baseline.Bare} {
		b.Run("bleve-"+kind.String(), func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := baseline.Search(ctx, f.bleve, f.reqs[i%n], kind); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	for _, cached := range []bool{false, true} {
		name := "index"
		size := 0
		if cached {
			name, size = "index-cached", index.DefaultCacheSize
		}
		b.Run(name, func(b *testing.B) {
			f.ix.SetCacheSize(size)
			if cached { // time hits only: every request once before the clock starts
				for _, r := range f.reqs {
					if _, err := f.ix.Search(ctx, index.Query{Text: r.Q}); err != nil {
						b.Fatal(err)
					}
				}
			}
			i := 0
			for b.Loop() {
				if _, err := f.ix.Search(ctx, index.Query{Text: f.reqs[i%n].Q}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	for _, cached := range []bool{false, true} {
		name := "http"
		size := 0
		if cached {
			name, size = "http-cached", index.DefaultCacheSize
		}
		b.Run(name, func(b *testing.B) {
			f.ix.SetCacheSize(size)
			srv := httptest.NewServer(f.handler)
			defer srv.Close()
			get := func(r corpus.Request) {
				resp, err := http.Get(srv.URL + "/api/search?" + r.Values().Encode())
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			if cached {
				for _, r := range f.reqs {
					get(r)
				}
			}
			i := 0
			for b.Loop() {
				get(f.reqs[i%n])
				i++
			}
		})
	}
}
