package ingest

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"policysearch/index"
)

// printedPDF is a PDF Chromium printed from an HTML page whose words are
// known: the test set for word accuracy.
type printedPDF struct {
	name  string
	pdf   []byte
	words string // the text the page shows, which the PDF must give back
}

// chromium finds Debian's Chromium, or skips (fails under CI).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found on PATH; CI must install it (apt-get install -y chromium)")
	}
	t.Skip("chromium not installed: apt-get install -y chromium")
	return ""
}

// seedArticles reads the real news articles in ../shared, or skips.
func seedArticles(t *testing.T) map[string]string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "corpora", "seed-articles")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("seed articles not available (%v); they live in ../shared/corpora/seed-articles", err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(e.Name(), ".txt")] = string(b)
	}
	return out
}

// articleHTML lays out a plain-text article as a browser shows it: a
// title, paragraphs, justified narrow columns so lines break often.
func articleHTML(title, text string, style string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><html lang=en><head><meta charset=utf-8><title>%s</title><style>body{font-family:serif;%s}</style></head><body><h1>%s</h1>", html.EscapeString(title), style, html.EscapeString(title))
	for _, p := range strings.Split(strings.TrimSpace(text), "\n") {
		if p = strings.TrimSpace(p); p != "" {
			fmt.Fprintf(&b, "<p>%s</p>", html.EscapeString(p))
		}
	}
	b.WriteString("</body></html>")
	return b.String()
}

// ligatureText has the words the issue found broken: ligatures (fi, fl,
// ffi), capitals that kern against the next letter (W, V, T, Y), and a
// typographic apostrophe.
const ligatureText = `The office filed official financial reflections on fluid workflows.
Vivek Chilukuri and Washington’s Taylor argue that sovereignty in AVAILABLE TYPE WAVY YEARS matters.
Effective affiliates offer efficient, fluffy, baffling findings to the first flight of fiftyfive staff.`

// printPDFs prints each page with Chromium's "Save as PDF" defaults (its
// header with date and title, its footer with address and page number).
func printPDFs(t *testing.T) []printedPDF {
	t.Helper()
	path := chromium(t)
	type pageSpec struct{ name, title, text, style string }
	specs := []pageSpec{{"ligatures", "Ligatures and kerning", ligatureText, "font-size:18px"}}
	for name, text := range seedArticles(t) {
		title, _, _ := strings.Cut(text, ".")
		_ = title
		specs = append(specs,
			pageSpec{name, "Seed article " + name, text, "font-size:16px;max-width:30em;text-align:justify"},
			pageSpec{name + "-large", "Seed article " + name + " in large print", text, "font-size:26px;font-family:sans-serif"},
		)
	}
	mux := http.NewServeMux()
	for _, s := range specs {
		body := articleHTML(s.title, s.text, s.style)
		mux.HandleFunc("/"+s.name, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, body)
		})
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()
	var out []printedPDF
	for _, s := range specs {
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"+s.name)); err != nil {
			t.Fatalf("open %s: %v", s.name, err)
		}
		yes := true
		res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{DisplayHeaderFooter: &yes})
		pdf := res.Data
		if err != nil {
			t.Fatalf("print %s: %v", s.name, err)
		}
		out = append(out, printedPDF{name: s.name, pdf: pdf, words: s.title + "\n" + s.text})
	}
	return out
}

// words lower-cases s and splits it into letter-and-digit runs, roughly
// as the index's analyzer does.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// wordAccuracy compares the extracted words with the known ones as
// multisets: recall is the share of known words extracted, precision the
// share of extracted words that are known (a split word costs both).
func wordAccuracy(known, got string) (recall, precision float64, missed []string) {
	want := map[string]int{}
	kw := words(known)
	for _, w := range kw {
		want[w]++
	}
	gw := words(got)
	hit := 0
	for _, w := range gw {
		if want[w] > 0 {
			want[w]--
			hit++
		}
	}
	for w, n := range want {
		for range n {
			missed = append(missed, w)
		}
	}
	slices.Sort(missed)
	return float64(hit) / float64(max(1, len(kw))), float64(hit) / float64(max(1, len(gw))), missed
}

// testPDFWordAccuracy measures each extractor against PDFs Chromium
// printed from pages of known text (the seed articles among them), with
// the browser's running header and footer. The default path (pdftotext
// -raw, then fixPages) must give back at least 99% of the words and add
// no more than 1% of its own; the pure-Go fallback is held to what it
// reaches; the other pdftotext modes are reported for comparison.
func testPDFWordAccuracy(t *testing.T, printed []printedPDF) {
	bin := pdftotextPath()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext not found; CI must install poppler-utils")
		}
		t.Log("pdftotext not installed (apt-get install poppler-utils): measuring the pure-Go reader only")
	}
	type extractor struct {
		name  string
		min   float64 // least recall and precision on every file
		pages func(data []byte) ([]string, error)
	}
	ctx := context.Background()
	extractors := []extractor{{name: "go", min: 0.97, pages: func(data []byte) ([]string, error) {
		r, err := openPDF(data)
		if err != nil {
			return nil, err
		}
		return goPages(ctx, r), nil
	}}}
	if bin != "" {
		for _, mode := range [][]string{{"-raw"}, {}, {"-layout"}} {
			min := 0.0 // measured, not the default path
			if len(mode) == 1 && mode[0] == "-raw" {
				min = 0.99
			}
			extractors = append(extractors, extractor{name: strings.TrimSpace("pdftotext " + strings.Join(mode, " ")), min: min,
				pages: func(data []byte) ([]string, error) {
					return popplerPages(ctx, bin, data, append([]string{}, mode...)...)
				}})
		}
	}
	for _, ex := range extractors {
		var sumR, sumP float64
		for _, p := range printed {
			texts, err := ex.pages(p.pdf)
			if err != nil {
				t.Fatalf("%s on %s: %v", ex.name, p.name, err)
			}
			got := strings.Join(fixPages(texts, false), "\n\n") // Chromium does not hyphenate
			r, prec, missed := wordAccuracy(p.words, got)
			sumR, sumP = sumR+r, sumP+prec
			t.Logf("%-18s %-28s %d pages  recall %.4f  precision %.4f  missed %q", ex.name, p.name, len(texts), r, prec, missed)
			if r < ex.min || prec < ex.min {
				t.Errorf("%s on %s: recall %.4f precision %.4f, want both >= %.2f; text:\n%s", ex.name, p.name, r, prec, ex.min, got)
			}
		}
		t.Logf("%-18s mean recall %.4f  mean precision %.4f over %d PDFs", ex.name, sumR/float64(len(printed)), sumP/float64(len(printed)), len(printed))
	}
}

// testPrintedPDFFoundByEachWord loads each printed PDF through the default
// path into a real index, and the same text as a plain document into a
// second one (apart, so near-duplicate folding cannot hide either): every
// word that finds the text must find the PDF too.
func testPrintedPDFFoundByEachWord(t *testing.T, printed []printedPDF) {
	ctx := context.Background()
	open := func() *index.Index {
		ix, err := index.Open(ctx, t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ix.Close() })
		return ix
	}
	found := func(ix *index.Index, w, id string) bool {
		res, err := ix.Search(ctx, index.Query{Text: w, Size: 100})
		if err != nil {
			t.Fatalf("search %q: %v", w, err)
		}
		for _, h := range res.Hits {
			if h.ID == id {
				return true
			}
		}
		return false
	}
	for _, p := range printed {
		pdfs, texts := open(), open() // apart, or near-duplicate folding hides one printing
		var docs []index.Document
		err := Load(ctx, p.name+".pdf", bytes.NewReader(p.pdf), "", func(r Record) error {
			if r.Err != nil {
				return r.Err
			}
			r.Doc.ID = p.name
			docs = append(docs, r.Doc)
			return nil
		})
		if err != nil || len(docs) != 1 {
			t.Fatalf("load %s: %v (%d docs)", p.name, err, len(docs))
		}
		if _, err := pdfs.Put(ctx, docs); err != nil {
			t.Fatal(err)
		}
		if _, err := texts.Put(ctx, []index.Document{{ID: p.name, Title: p.name, Text: p.words}}); err != nil {
			t.Fatal(err)
		}
		checked, missing := 0, []string{}
		seen := map[string]bool{}
		for _, w := range words(p.words) {
			if seen[w] || !found(texts, w, p.name) {
				continue // a repeat, or a stop word the index ignores
			}
			seen[w] = true
			checked++
			if !found(pdfs, w, p.name) {
				missing = append(missing, w)
			}
		}
		t.Logf("%s (%s): %d of %d words that find the text find the PDF", p.name, docs[0].Extra[pdfExtractorKey], checked-len(missing), checked)
		if len(missing) > 0 {
			t.Errorf("%s: words that find the text but not the PDF: %q", p.name, missing)
		}
	}
}

// TestChromiumPrintedPDFs prints the test set once (Chromium is slow to
// start on a busy machine) and runs both checks on it.
func TestChromiumPrintedPDFs(t *testing.T) {
	printed := printPDFs(t)
	t.Run("word accuracy", func(t *testing.T) { testPDFWordAccuracy(t, printed) })
	t.Run("found by each word", func(t *testing.T) { testPrintedPDFFoundByEachWord(t, printed) })
}
