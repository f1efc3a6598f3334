package server

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"policysearch/index"
	"policysearch/snapshots"
	"policysearch/web"
)

// exportRow is one exported document: the frozen (or live) hit, its
// stable link on this service, and how the ranking was made.
type exportRow struct {
	snapshots.Hit
	Link string `json:"link"`
	Mode string `json:"mode,omitempty"`
}

// exportMeta describes an export as a whole; formats with room for a
// header (BibTeX comments) write it.
type exportMeta struct {
	Params    string
	Total     uint64
	Mode      string
	Snapshot  string
	Generated time.Time
}

// rowWriter writes one format. flush pushes buffered rows to the client
// (after each page); end closes the document.
type rowWriter interface {
	row(r exportRow) error
	flush() error
	end() error
}

// exportFormat is one format of /api/export.
type exportFormat struct {
	name, ext, ctype string
	open             func(w io.Writer, m exportMeta) (rowWriter, error)
}

var exportFormats = map[string]exportFormat{
	"csv":    {"csv", "csv", "text/csv; charset=utf-8", newCSVWriter},
	"json":   {"json", "json", "application/json; charset=utf-8", newJSONWriter},
	"bibtex": {"bibtex", "bib", "application/x-bibtex; charset=utf-8", newBibTeXWriter},
	"ris":    {"ris", "ris", "application/x-research-info-systems; charset=utf-8", newRISWriter},
}

// ---- CSV: one row per document, lists joined with "; ".

var csvHeader = []string{"rank", "id", "title", "author", "published", "source", "source_type", "country", "language",
	"tags", "url", "link", "score", "mode", "keyword_rank", "semantic_rank", "similarity", "content_hash", "indexed_at", "extra",
	"also_published_by"}

type csvWriter struct{ w *csv.Writer }

func newCSVWriter(w io.Writer, _ exportMeta) (rowWriter, error) {
	cw := csv.NewWriter(w)
	return csvWriter{cw}, cw.Write(csvHeader)
}

func (c csvWriter) row(r exportRow) error {
	opt := func(p *int) string {
		if p == nil {
			return ""
		}
		return strconv.Itoa(*p)
	}
	var kw, sem, sim, indexed, extra string
	if r.Ranks != nil {
		kw, sem = opt(r.Ranks.Keyword), opt(r.Ranks.Semantic)
	}
	if r.Similarity != nil {
		sim = strconv.FormatFloat(*r.Similarity, 'f', 4, 64)
	}
	if r.IndexedAt != nil {
		indexed = r.IndexedAt.UTC().Format(time.RFC3339)
	}
	if len(r.Extra) > 0 {
		b, _ := json.Marshal(r.Extra)
		extra = string(b)
	}
	return c.w.Write(cells(strconv.Itoa(r.Rank), r.ID, r.Title, strings.Join(r.Author, "; "), r.Published, r.Source,
		r.SourceType, r.Country, r.Language, strings.Join(r.Tags, "; "), r.URL, r.Link,
		strconv.FormatFloat(r.Score, 'g', 6, 64), r.Mode, kw, sem, sim, r.ContentHash, indexed, extra, copiesText(r.AlsoPublishedBy)))
}

// copiesText marks a row's folded copies in one cell (CSV) or note (RIS):
// each copy's id, then its publisher, date and original URL where known,
// so that no copy's metadata is lost from the export.
func copiesText(cs []index.Copy) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		var about []string
		for _, v := range []string{c.Source, c.Published, c.URL} {
			if v != "" {
				about = append(about, v)
			}
		}
		parts[i] = c.ID
		if len(about) > 0 {
			parts[i] += " (" + strings.Join(about, ", ") + ")"
		}
	}
	return strings.Join(parts, "; ")
}

// cells guards spreadsheet users against formula injection: documents
// come from the outside world, and a title starting with "=" would run
// as a formula in Excel or LibreOffice. Such cells get a leading
// apostrophe, the convention those programs show as plain text.
func cells(vs ...string) []string {
	for i, v := range vs {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) && !numeric(v) {
			vs[i] = "'" + v
		}
	}
	return vs
}

func numeric(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func (c csvWriter) flush() error { c.w.Flush(); return c.w.Error() }
func (c csvWriter) end() error   { return c.flush() }

// ---- JSON: an array of row objects, streamed.

type jsonWriter struct {
	w     io.Writer
	first bool
}

func newJSONWriter(w io.Writer, _ exportMeta) (rowWriter, error) {
	_, err := io.WriteString(w, "[")
	return &jsonWriter{w: w, first: true}, err
}

func (j *jsonWriter) row(r exportRow) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	sep := ",\n"
	if j.first {
		sep, j.first = "\n", false
	}
	_, err = io.WriteString(j.w, sep+string(b))
	return err
}

func (j *jsonWriter) flush() error { return nil }
func (j *jsonWriter) end() error {
	_, err := io.WriteString(j.w, "\n]\n")
	return err
}

// ---- BibTeX: @misc entries, one per document.

type bibWriter struct {
	w  io.Writer
	at time.Time
}

func newBibTeXWriter(w io.Writer, m exportMeta) (rowWriter, error) {
	head := "% Exported from policysearch on " + m.Generated.UTC().Format(time.RFC3339) + "\n"
	if m.Snapshot != "" {
		head += "% Snapshot " + m.Snapshot + "\n"
	}
	head += "% Search: " + oneLine(m.Params) + "\n\n"
	_, err := io.WriteString(w, head)
	return bibWriter{w, m.Generated}, err
}

func (b bibWriter) row(r exportRow) error {
	var s strings.Builder
	s.WriteString("@misc{" + bibKey(r.ID) + ",\n")
	field := func(name, value string) {
		if value != "" {
			s.WriteString("  " + name + " = {" + value + "},\n")
		}
	}
	if r.Title != "" {
		field("title", "{"+texEscape(r.Title)+"}") // double braces keep the title's capitals
	}
	names := make([]string, len(r.Author))
	for i, a := range r.Author {
		names[i] = splitName(a).bibtex()
	}
	field("author", strings.Join(names, " and "))
	if d, err := index.ParseDate(r.Published); err == nil && !d.IsZero() {
		field("year", d.Time.Format("2006"))
		if d.Precision >= index.Month {
			field("month", strings.ToLower(d.Time.Format("Jan")))
		}
		field("date", datePart(d))
	}
	field("publisher", bibList(r.Source))
	field("url", bibURL(firstNonEmpty(r.URL, r.Link)))
	note := texEscape(web.SourceTypeLabel(r.SourceType))
	if r.Link != "" { // document links hold no % or #, so \url takes them as they are
		if note != "" {
			note += ". "
		}
		note += `Found with policysearch: \url{` + bibURL(r.Link) + "}"
	}
	field("note", note)
	escTags := make([]string, len(r.Tags))
	for i, t := range r.Tags {
		escTags[i] = texEscape(t)
	}
	field("keywords", strings.Join(escTags, ", "))
	field("language", texEscape(r.Language))
	field("urldate", b.at.UTC().Format("2006-01-02"))
	s.WriteString("}\n\n")
	_, err := io.WriteString(b.w, s.String())
	return err
}

func (b bibWriter) flush() error { return nil }
func (b bibWriter) end() error   { return nil }

// datePart writes a date at its own precision as biblatex's date field
// wants it (YYYY, YYYY-MM or YYYY-MM-DD).
func datePart(d index.Date) string {
	switch d.Precision {
	case index.Year:
		return d.Time.Format("2006")
	case index.Month:
		return d.Time.Format("2006-01")
	}
	return d.Time.Format("2006-01-02")
}

var bibKeyUnsafe = regexp.MustCompile(`[^A-Za-z0-9_:.\-]`)

// bibKey makes a citation key of a document id. Ids are unique but may
// hold characters keys cannot; those become "-", with a short hash of the
// id appended so two ids never share a key.
func bibKey(id string) string {
	k := bibKeyUnsafe.ReplaceAllString(id, "-")
	if k != id {
		sum := sha256.Sum256([]byte(id))
		k += "-" + hex.EncodeToString(sum[:3])
	}
	return k
}

// bibList protects a value biblatex reads as a list (publisher): an "and"
// inside it would split it into two publishers, so it is braced whole.
func bibList(v string) string {
	e := texEscape(v)
	if strings.Contains(" "+strings.ToLower(oneLine(v))+" ", " and ") {
		return "{" + e + "}"
	}
	return e
}

// texEscape makes text safe inside a braced BibTeX field: LaTeX's
// special characters are escaped and line breaks become spaces.
func texEscape(s string) string {
	var b strings.Builder
	for _, r := range oneLine(s) {
		switch r {
		case '\\':
			b.WriteString(`\textbackslash{}`)
		case '{', '}', '%', '&', '$', '#', '_':
			b.WriteString(`\` + string(r))
		case '~':
			b.WriteString(`\textasciitilde{}`)
		case '^':
			b.WriteString(`\textasciicircum{}`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// bibURL keeps a URL verbatim, as the url field expects, except for
// characters that would unbalance the braces or end the field.
func bibURL(u string) string {
	return strings.NewReplacer("{", "%7B", "}", "%7D", `\`, "%5C", " ", "%20", "\n", "", "\r", "").Replace(u)
}

// ---- RIS: the tagged format of reference managers (Zotero, EndNote).

type risWriter struct {
	w  io.Writer
	at time.Time
}

func newRISWriter(w io.Writer, m exportMeta) (rowWriter, error) {
	return risWriter{w, m.Generated}, nil
}

// risType maps a source type to a RIS reference type.
var risType = map[string]string{
	"news": "NEWS", "government": "GOVDOC", "think_tank": "RPRT", "igo": "RPRT", "ngo": "RPRT", "academic": "RPRT",
}

func (w risWriter) row(r exportRow) error {
	var s strings.Builder
	tag := func(t, v string) {
		if v = oneLine(v); v != "" {
			s.WriteString(t + "  - " + v + "\r\n")
		}
	}
	ty := risType[r.SourceType]
	if ty == "" {
		ty = "GEN"
	}
	tag("TY", ty)
	tag("ID", r.ID)
	tag("TI", r.Title)
	for _, a := range r.Author {
		tag("AU", splitName(a).ris())
	}
	if d, err := index.ParseDate(r.Published); err == nil && !d.IsZero() {
		tag("PY", d.Time.Format("2006"))
		tag("DA", risDate(d))
	}
	tag("PB", r.Source)
	tag("CY", r.Country)
	tag("LA", r.Language)
	for _, k := range r.Tags {
		tag("KW", k)
	}
	tag("UR", r.URL)
	tag("UR", r.Link)
	tag("N1", web.SourceTypeLabel(r.SourceType))
	if len(r.AlsoPublishedBy) > 0 {
		tag("N1", "Also published as "+copiesText(r.AlsoPublishedBy))
	}
	tag("DB", "policysearch")
	tag("Y2", w.at.UTC().Format("2006/01/02"))
	s.WriteString("ER  - \r\n\r\n")
	_, err := io.WriteString(w.w, s.String())
	return err
}

// risDate is YYYY/MM/DD/ with unknown parts left empty.
func risDate(d index.Date) string {
	switch d.Precision {
	case index.Year:
		return d.Time.Format("2006") + "///"
	case index.Month:
		return d.Time.Format("2006/01") + "//"
	}
	return d.Time.Format("2006/01/02") + "/"
}

func (w risWriter) flush() error { return nil }
func (w risWriter) end() error   { return nil }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
