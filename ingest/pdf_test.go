package ingest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"policysearch/index"
)

// The fixture brief.pdf was made with github.com/go-pdf/fpdf (compressed
// streams, WinAnsi Helvetica, /Title and /Author set): three pages, each
// opening with a heading. scan.pdf has one page with a filled rectangle
// and no text, as a scanned image would.

func TestLoadPDFFixture(t *testing.T) {
	doc := loadPath(t, filepath.Join("testdata", "pdf", "brief.pdf")).one()
	if got, want := doc.Title, "Semiconductor Export Controls and Allied Coordination"; got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	if got := doc.Authors; len(got) != 1 || got[0] != "Policy Lab" {
		t.Errorf("authors = %q, want [Policy Lab]", got)
	}
	for _, want := range []string{
		"export controls on advanced semiconductors have evolved since 2022",
		"On the second page we find that licensing delays raised costs",
		"photolithography machines",
	} {
		if !strings.Contains(strings.Join(strings.Fields(doc.Text), " "), want) {
			t.Errorf("text lacks %q:\n%s", want, doc.Text)
		}
	}
	pages := doc.Pages()
	if len(pages) != 3 {
		t.Fatalf("pages = %+v, want 3 spans", pages)
	}
	for i, want := range []string{"first page", "second page", "third page"} {
		p := pages[i]
		if p.Page != i+1 {
			t.Errorf("span %d is page %d, want %d", i, p.Page, i+1)
		}
		if txt := doc.Text[p.Start:p.End]; !strings.Contains(strings.Join(strings.Fields(txt), " "), want) {
			t.Errorf("page %d text lacks %q: %q", i+1, want, txt)
		}
	}
	if !strings.HasPrefix(doc.Text[pages[1].Start:], "Findings") {
		t.Errorf("page 2 starts %q, want its heading", doc.Text[pages[1].Start:min(len(doc.Text), pages[1].Start+30)])
	}
	if doc.Extra["page_count"] != 3 {
		t.Errorf("page_count = %v, want 3", doc.Extra["page_count"])
	}
	if doc.Published.String() != "2024-03-05" || doc.Extra[PublishedFromKey] != "pdf_creation_date" {
		t.Errorf("published = %q from %v, want 2024-03-05 from the creation date", doc.Published.String(), doc.Extra[PublishedFromKey])
	}
}

func TestPDFDate(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ in, want string }{
		{"D:20240305093000+01'00'", "2024-03-05"},
		{"D:20240305", "2024-03-05"},
		{"20240305120000Z", "2024-03-05"},
		{"D:202403", "2024-03"},
		{"D:2024", "2024"},
		{" D:20261123 ", "2026-11-23"},
		{"D:20261124", ""}, // tomorrow
		{"D:19700101000000Z", ""},
		{"D:00000101", ""},
		{"D:20241399", ""},
		{"D:24", ""},
		{"yesterday", ""},
		{"", ""},
	} {
		d, ok := pdfDate(tc.in, now)
		if got := d.String(); ok != (tc.want != "") || got != tc.want {
			t.Errorf("pdfDate(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}

// TestPDFSidecarDateWins: a date stated in sidecar metadata replaces the
// creation date, and the document no longer says it was inferred.
func TestPDFSidecarDateWins(t *testing.T) {
	dir := briefPDFIn(t)
	if err := os.WriteFile(filepath.Join(dir, "brief.pdf.meta.yaml"), []byte("published: 2024-04-10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := loadPath(t, filepath.Join(dir, "brief.pdf")).one()
	if _, inferred := doc.Extra[PublishedFromKey]; doc.Published.String() != "2024-04-10" || inferred {
		t.Errorf("published = %q, inferred %v; want the sidecar's 2024-04-10", doc.Published.String(), inferred)
	}
}

func TestLoadPDFNoTextLayer(t *testing.T) {
	err := loadPath(t, filepath.Join("testdata", "pdf", "scan.pdf")).oneErr()
	if !strings.Contains(err.Error(), "no text layer") {
		t.Errorf("error = %v, want it to say there is no text layer", err)
	}
}

func TestLoadPDFBroken(t *testing.T) {
	for name, content := range map[string]string{
		"not a pdf":  "%PDF-1.4\nthis is not really a PDF",
		"truncated":  string(handPDF("T", []string{"BT /F1 12 Tf 72 720 Td (Hello world) Tj ET"}))[:200],
		"empty file": "",
	} {
		t.Run(name, func(t *testing.T) {
			l := loadString(t, "x.pdf", content, "")
			if l.err == nil && (len(l.recs) != 1 || l.recs[0].Err == nil) {
				t.Fatalf("got %+v, want a failure", l.recs)
			}
		})
	}
}

// TestPDFLayout checks how glyph positions become words and lines: TJ
// gaps are spaces, kerning is not, moves down are line breaks, a bigger
// move is a paragraph, a hyphen at a line end joins the word.
func TestPDFLayout(t *testing.T) {
	content := strings.Join([]string{
		"BT /F1 12 Tf 72 720 Td [(Export) -300 (con) -15 (trols)] TJ ET",
		"BT /F1 12 Tf 72 706 Td (apply to regu-) Tj ET",
		"BT /F1 12 Tf 72 692 Td (lation of chips.) Tj ET",
		"BT /F1 12 Tf 72 640 Td (A new paragraph.) Tj ET",
	}, "\n")
	data := handPDF("Microsoft Word - brief.docx", []string{content, "", "BT /F1 12 Tf 72 720 Td (Third page text.) Tj ET"})
	doc := loadString(t, "layout.pdf", string(data), "").one()
	want := "Export controls\napply to regulation of chips.\n\nA new paragraph.\n\nThird page text."
	if got := strings.Join(strings.Fields(doc.Text), " "); got != strings.Join(strings.Fields(want), " ") {
		t.Errorf("text =\n%q\nwant\n%q", doc.Text, want)
	}
	// The pure-Go reader also keeps the paragraph break it sees.
	r, err := openPDF(data)
	if err != nil {
		t.Fatal(err)
	}
	texts, via, err := pdfPageTexts(context.Background(), "", r, data)
	if got := strings.Join(fixPages(texts, true), "\n\n"); err != nil || via != "go" || got != strings.Replace(want, "\n\nThird", "\n\n\n\nThird", 1) {
		t.Errorf("pure-Go text (%s, %v) =\n%q\nwant\n%q", via, err, got, want)
	}
	if doc.Title != "Export controls apply to regulation of chips" {
		t.Errorf("title = %q: a placeholder /Title must give way to the first sentence", doc.Title)
	}
	pages := doc.Pages()
	if len(pages) != 2 || pages[0].Page != 1 || pages[1].Page != 3 {
		t.Fatalf("pages = %+v, want pages 1 and 3 (2 is blank)", pages)
	}
	if got := doc.Text[pages[1].Start:pages[1].End]; got != "Third page text." {
		t.Errorf("page 3 = %q", got)
	}
}

func TestLoadPDFByContentType(t *testing.T) {
	data := handPDF("Tariff note", []string{"BT /F1 12 Tf 72 720 Td (Tariffs rose in May.) Tj ET"})
	for _, tc := range []struct{ name, ctype string }{
		{"https://example.org/download?id=7", "application/pdf"},
		{"https://example.org/download?id=7", ""}, // sniffed from %PDF-
	} {
		doc := loadString(t, tc.name, string(data), tc.ctype).one()
		if doc.Title != "Tariff note" || doc.Text != "Tariffs rose in May." {
			t.Errorf("%q %q: got %q / %q", tc.name, tc.ctype, doc.Title, doc.Text)
		}
	}
}

// briefPDFIn returns a temporary folder holding a copy of the fixture
// brief.pdf.
func briefPDFIn(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "pdf", "brief.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "brief.pdf"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestWalkFindsPDF(t *testing.T) {
	dir := briefPDFIn(t)
	var docs []index.Document
	err := Walk(t.Context(), []string{dir}, func(_ string, r Record) error {
		if r.Err != nil {
			t.Errorf("walk: %v", r.Err)
		}
		docs = append(docs, r.Doc)
		return nil
	})
	if err != nil || len(docs) != 1 || len(docs[0].Pages()) != 3 {
		t.Fatalf("walk: err %v, docs %d", err, len(docs))
	}
}

// handPDF writes a minimal uncompressed PDF: one Helvetica font, one page
// per content stream ("" for a blank page) and an /Info /Title.
func handPDF(title string, contents []string) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.4\n")
	n := len(contents)
	kids := make([]string, n)
	for i := range contents {
		kids[i] = fmt.Sprintf("%d 0 R", 5+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	obj(fmt.Sprintf("<< /Title (%s) >>", title))
	for i, c := range contents {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 6+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(c)+1, c))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// FuzzPDF feeds the PDF loader broken files: it must never panic or hang,
// and whatever it yields must be finished documents whose page spans fit
// their text.
func FuzzPDF(f *testing.F) {
	for _, name := range []string{"brief.pdf", "scan.pdf"} {
		data, err := os.ReadFile(filepath.Join("testdata", "pdf", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(handPDF("T", []string{"BT /F1 12 Tf 72 720 Td [(a) -300 (b)] TJ ET", "BT /F1 12 Tf 1 0 0 1 72 700 Tm (c) Tj T* (d) ' ET"}))
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var recs []Record
		err := Load(context.Background(), "f.pdf", bytes.NewReader(data), "", func(r Record) error {
			recs = append(recs, r)
			return nil
		})
		checkRecords(t, "f.pdf", recs, err)
		for _, r := range recs {
			for _, p := range r.Doc.Pages() {
				if p.End > len(r.Doc.Text) || p.Start > p.End {
					t.Fatalf("page span %+v outside a text of %d bytes", p, len(r.Doc.Text))
				}
			}
		}
	})
}
