package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"policysearch/index"
	"policysearch/ingest"
)

const sotuPath = "../../shared/corpora/sotu.jsonl"

// rebuildCorpus is the SOTU corpus when ../shared is there, else a few
// thousand synthetic briefs, so the test always runs.
func rebuildCorpus(t *testing.T) ([]index.Document, string) {
	t.Helper()
	var docs []index.Document
	if _, err := os.Stat(sotuPath); err == nil {
		err := ingest.LoadFile(context.Background(), sotuPath, func(r ingest.Record) error {
			if r.Err != nil {
				return r.Err
			}
			docs = append(docs, r.Doc)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return docs, "SOTU"
	}
	words := strings.Fields("tariffs allies energy subsidies export controls chips grain ports climate budget defence health schools pensions housing migration trade")
	for i := range 2000 {
		var b strings.Builder
		for j := range 80 {
			b.WriteString(words[(i*7+j*j)%len(words)])
			b.WriteByte(' ')
		}
		docs = append(docs, index.Document{ID: fmt.Sprintf("brief-%04d", i), Title: fmt.Sprintf("Brief %d on %s", i, words[i%len(words)]),
			Text: b.String(), Source: []string{"Policy Lab", "Daily News", "Ministry"}[i%3], Published: index.MustDate(fmt.Sprintf("%d", 1990+i%30))})
	}
	return docs, "synthetic"
}

// searchResult is what the test compares of one search response.
type searchResult struct {
	Status int
	Total  int
	IDs    []string
}

func getSearch(c *http.Client, base, q string) (searchResult, error) {
	resp, err := c.Get(base + "/api/search?" + q)
	if err != nil {
		return searchResult{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return searchResult{}, err
	}
	r := searchResult{Status: resp.StatusCode}
	if resp.StatusCode != http.StatusOK {
		return r, fmt.Errorf("status %d: %.200s", resp.StatusCode, body)
	}
	var res index.Results
	if err := json.Unmarshal(body, &res); err != nil {
		return r, err
	}
	r.Total = int(res.Total)
	for _, h := range res.Hits {
		r.IDs = append(r.IDs, h.ID)
	}
	return r, nil
}

// TestRebuildUnderLoad rebuilds the index through POST /api/admin/rebuild
// while searches run continuously and documents are written: no search
// may fail or see a partial index (totals stay those of the full corpus),
// the writes made during the rebuild are all there afterwards, and every
// query then answers exactly as an index freshly built from the same
// documents does.
func TestRebuildUnderLoad(t *testing.T) {
	docs, name := rebuildCorpus(t)
	ts := newTestServer(t, docs...)
	srv := httptest.NewServer(ts.h)
	defer srv.Close()
	client := srv.Client()
	client.Timeout = 30 * time.Second

	queries := []string{
		"q=war", "q=economy&sort=newest", "q=%22united+states%22", "q=slavery&size=20", "q=tax*",
		"q=freedom+AND+peace", "q=congress&sort=oldest&page=2", "q=tariffs", "q=energy&source=Policy+Lab",
	}
	baseline := map[string]searchResult{}
	for _, q := range queries {
		r, err := getSearch(client, srv.URL, q)
		if err != nil {
			t.Fatalf("baseline %s: %v", q, err)
		}
		baseline[q] = r
	}

	var searches, during, failures atomic.Int64
	var firstErr atomic.Pointer[error] // errors of several types: a Value would panic
	var rebuilding atomic.Bool
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; ctx.Err() == nil; i++ {
				q := queries[i%len(queries)]
				r, err := getSearch(client, srv.URL, q)
				// Writes add documents that match none of the queries, so
				// a total that moves means a half-built index showed.
				if err == nil && r.Total != baseline[q].Total {
					err = fmt.Errorf("%s: total %d, want %d", q, r.Total, baseline[q].Total)
				}
				searches.Add(1)
				if rebuilding.Load() {
					during.Add(1)
				}
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, &err)
				}
			}
		})
	}

	// Writes during the rebuild: new documents through the API, one after
	// another until the rebuild has answered (at least three).
	var written []index.Document
	var slowest time.Duration // the longest write: writes wait for the fill's current batch
	writesDone := make(chan struct{})
	rebuildStart, rebuildDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(writesDone)
		<-rebuildStart
		for i := 0; ; i++ {
			select {
			case <-rebuildDone:
				if i >= 3 {
					return
				}
			default:
			}
			d := index.Document{ID: fmt.Sprintf("probe-%03d", i), Title: fmt.Sprintf("Probe %d", i), Text: fmt.Sprintf("zqxwv marker %d written while rebuilding", i)}
			body, _ := json.Marshal(d)
			req, _ := http.NewRequest("PUT", srv.URL+"/api/documents/"+d.ID, strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/json")
			t0 := time.Now()
			resp, err := client.Do(req)
			slowest = max(slowest, time.Since(t0))
			if err != nil || resp.StatusCode != http.StatusCreated {
				t.Errorf("write %s during the rebuild: %v %v", d.ID, err, resp)
			}
			if resp != nil {
				resp.Body.Close()
			}
			written = append(written, d)
			time.Sleep(20 * time.Millisecond)
		}
	}()

	time.Sleep(200 * time.Millisecond) // the load is on before the rebuild starts
	rebuilding.Store(true)
	close(rebuildStart)
	start := time.Now()
	resp, err := client.Post(srv.URL+"/api/admin/rebuild", "application/json", nil)
	took := time.Since(start)
	rebuilding.Store(false)
	close(rebuildDone)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("rebuild: %v %v", err, resp)
	}
	var rb rebuildResponse
	json.NewDecoder(resp.Body).Decode(&rb)
	resp.Body.Close()
	<-writesDone
	time.Sleep(100 * time.Millisecond) // searches on the new index too
	stop()
	wg.Wait()

	t.Logf("%s corpus (%d documents): rebuild took %v under load; %d searches during it (%d in all), %d failed; %d documents written from its start (slowest write %v)",
		name, len(docs), took.Round(time.Millisecond), during.Load(), searches.Load(), failures.Load(), len(written), slowest.Round(time.Millisecond))
	if f := failures.Load(); f != 0 {
		t.Errorf("%d searches failed during the rebuild; first: %v", f, *firstErr.Load())
	}
	if during.Load() == 0 {
		t.Error("no search ran during the rebuild")
	}
	if rb.Documents < len(docs) {
		t.Errorf("rebuild indexed %d documents, want at least %d", rb.Documents, len(docs))
	}

	// Every write made during the rebuild is there and searchable.
	if r, err := getSearch(client, srv.URL, "q=zqxwv&size=100"); err != nil || r.Total != len(written) {
		t.Errorf("documents written during the rebuild: %d searchable (%v), want %d", r.Total, err, len(written))
	}

	// The rebuilt index answers exactly as a fresh one with the same
	// documents, and the old totals stand.
	ref := newTestServer(t, append(slices.Clone(docs), written...)...)
	refSrv := httptest.NewServer(ref.h)
	defer refSrv.Close()
	for _, q := range queries {
		got, err := getSearch(client, srv.URL, q)
		if err != nil {
			t.Errorf("after: %s: %v", q, err)
			continue
		}
		want, _ := getSearch(client, refSrv.URL, q)
		if got.Total != baseline[q].Total || !slices.Equal(got.IDs, want.IDs) {
			t.Errorf("after the rebuild, %s: total %d (before %d), ids %v; a fresh index gives %v", q, got.Total, baseline[q].Total, got.IDs, want.IDs)
		}
	}

	// For comparison, the same rebuild without load.
	start = time.Now()
	if _, err := ts.ix.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s corpus: rebuild without load took %v", name, time.Since(start).Round(time.Millisecond))
}
