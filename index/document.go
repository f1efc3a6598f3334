// Package index owns policysearch's documents and their search: the
// document model, the durable document store, the bleve index and queries.
package index

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"policysearch/index/langdetect"
)

// SourceTypes are the kinds of publisher a document may come from.
var SourceTypes = []string{"government", "think_tank", "igo", "ngo", "news", "academic", "other"}

// Document is one policy text with its metadata. Fields not in the model
// that arrive in JSON are kept in Extra and shown with the document.
type Document struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Text       string   `json:"text"`
	URL        string   `json:"url,omitempty"`
	Source     string   `json:"source,omitempty"`
	SourceType string   `json:"source_type,omitempty"`
	Authors    []string `json:"author,omitempty"`
	Published  Date     `json:"published,omitzero"`
	Country    string   `json:"country,omitempty"`
	Language   string   `json:"language,omitempty"`
	// LanguageDetected says Language was guessed from the text at ingest
	// (see DetectLanguage), not given with the document.
	LanguageDetected bool           `json:"language_detected,omitempty"`
	Tags             []string       `json:"tags,omitempty"`
	Extra            map[string]any `json:"extra,omitempty"`
	// Origin says where the document was loaded from (a file path, a feed
	// URL); ingestion uses it to sync a folder without touching others.
	Origin string `json:"origin,omitempty"`
	// Hash is the sha256 of the document's content and metadata; equal
	// hashes mean re-adding changes nothing.
	Hash      string    `json:"content_hash,omitempty"`
	IndexedAt time.Time `json:"indexed_at,omitzero"`
}

// aliases maps JSON keys that other datasets use onto ours. "year" is how
// the SOTU corpus dates its speeches.
var aliases = map[string]string{
	"authors": "author", "tag": "tags", "date": "published", "year": "published",
	"published_at": "published", "body": "text", "content": "text", "link": "url",
	"publisher": "source", "type": "source_type", "lang": "language",
}

var known = map[string]bool{
	"id": true, "title": true, "text": true, "url": true, "source": true,
	"source_type": true, "author": true, "published": true, "country": true,
	"language": true, "tags": true, "extra": true, "origin": true,
	"content_hash": true, "indexed_at": true, "language_detected": true,
}

// UnmarshalJSON reads a document leniently: aliases for common field names,
// a string or a list for author and tags, and unknown fields kept in Extra.
func (d *Document) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("a document must be a JSON object: %w", err)
	}
	*d = Document{}
	fields := map[string]json.RawMessage{}
	for k, v := range raw {
		key := strings.ToLower(k)
		if known[key] {
			fields[key] = v
		}
	}
	for k, v := range raw { // aliases fill only what the real names left empty
		key := strings.ToLower(k)
		if a, ok := aliases[key]; ok && fields[a] == nil {
			fields[a] = v
			continue
		}
		if !known[key] {
			if d.Extra == nil {
				d.Extra = map[string]any{}
			}
			var x any
			if err := json.Unmarshal(v, &x); err != nil {
				return err
			}
			d.Extra[k] = x
		}
	}
	str := func(name string, dst *string) error {
		v, ok := fields[name]
		if !ok || string(v) == "null" {
			return nil
		}
		if err := json.Unmarshal(v, dst); err != nil {
			if len(v) > 0 && (v[0] >= '0' && v[0] <= '9') {
				*dst = string(v) // numeric ids are common; keep them as text
				return nil
			}
			return InvalidField(name, "must be a string")
		}
		return nil
	}
	list := func(name string, dst *[]string) error {
		v, ok := fields[name]
		if !ok || string(v) == "null" {
			return nil
		}
		var one string
		if json.Unmarshal(v, &one) == nil {
			*dst = splitList(one)
			return nil
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return InvalidField(name, "must be a string or a list of strings")
		}
		return nil
	}
	for name, dst := range map[string]*string{
		"id": &d.ID, "title": &d.Title, "text": &d.Text, "url": &d.URL, "source": &d.Source,
		"source_type": &d.SourceType, "country": &d.Country, "language": &d.Language,
		"origin": &d.Origin, "content_hash": &d.Hash,
	} {
		if err := str(name, dst); err != nil {
			return err
		}
	}
	if err := list("author", &d.Authors); err != nil {
		return err
	}
	if err := list("tags", &d.Tags); err != nil {
		return err
	}
	if v, ok := fields["published"]; ok {
		if err := json.Unmarshal(v, &d.Published); err != nil {
			return InvalidField("published", "%v", err)
		}
	}
	if v, ok := fields["language_detected"]; ok && string(v) != "null" {
		if err := json.Unmarshal(v, &d.LanguageDetected); err != nil {
			return InvalidField("language_detected", "must be true or false")
		}
	}
	if v, ok := fields["indexed_at"]; ok && string(v) != "null" {
		if err := json.Unmarshal(v, &d.IndexedAt); err != nil {
			return InvalidField("indexed_at", "%v", err)
		}
	}
	if v, ok := fields["extra"]; ok && string(v) != "null" {
		var x map[string]any
		if err := json.Unmarshal(v, &x); err != nil {
			return InvalidField("extra", "must be an object")
		}
		for k, val := range x {
			if d.Extra == nil {
				d.Extra = map[string]any{}
			}
			d.Extra[k] = val
		}
	}
	return nil
}

// splitList turns "a; b" or "a, b" into a list only when a separator is
// unambiguous; "Smith, John" style names stay whole unless ';' is used.
func splitList(s string) []string {
	sep := ""
	if strings.Contains(s, ";") {
		sep = ";"
	}
	var parts []string
	if sep == "" {
		parts = []string{s}
	} else {
		parts = strings.Split(s, sep)
	}
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:~@+-]{0,199}$`)

// ValidID reports whether id can name a document: it must fit in a URL
// path segment unescaped, so links and the CLI never need quoting.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// Normalize trims and canonicalises fields in place and checks the
// document, naming the first bad field.
func (d *Document) Normalize() error {
	d.ID = strings.TrimSpace(d.ID)
	d.Title = cleanLine(d.Title)
	d.Text = strings.TrimSpace(strings.ToValidUTF8(d.Text, "\uFFFD"))
	d.URL = strings.TrimSpace(d.URL)
	d.Source = cleanLine(d.Source)
	d.Country = cleanLine(d.Country)
	d.Language = strings.ToLower(cleanLine(d.Language))
	st := strings.ToLower(cleanLine(d.SourceType))
	st = strings.NewReplacer("-", "_", " ", "_").Replace(st)
	if st == "thinktank" {
		st = "think_tank"
	}
	d.SourceType = st
	d.Authors = cleanList(d.Authors)
	d.Tags = cleanList(d.Tags)

	switch {
	case d.ID == "":
		return InvalidField("id", "is required")
	case !ValidID(d.ID):
		return InvalidField("id", "%q is not a valid id: use 1-200 letters, digits and . _ : ~ @ + -, starting with a letter or digit", truncate(d.ID, 60))
	case d.Title == "" && d.Text == "":
		return InvalidField("text", "a document needs a title or a text")
	}
	if d.SourceType != "" && !slices.Contains(SourceTypes, d.SourceType) {
		return InvalidField("source_type", "%q is not one of %s", truncate(d.SourceType, 40), strings.Join(SourceTypes, ", "))
	}
	return d.checkBudget()
}

// Prepare is everything Put does to a document before storing it:
// normalise and check it, detect its language when none is given, and
// hash it. Whoever needs to know the hash a stored document will have
// (a test, a peer) calls this, not the steps one by one.
func (d *Document) Prepare() error {
	if err := d.Normalize(); err != nil {
		return err
	}
	d.DetectLanguage()
	d.IndexedAt = time.Time{}
	d.ComputeHash()
	return nil
}

// DetectLanguage fills in Language from the title and text when the
// document came without one, and marks it as detected; a guess that is not
// reliable leaves it empty. A given language is never replaced.
func (d *Document) DetectLanguage() {
	if d.Language != "" {
		if d.LanguageDetected { // re-posted from our own output: guess again
			d.Language = ""
		} else {
			return
		}
	}
	d.Language = langdetect.Detect(d.Title, d.Text)
	d.LanguageDetected = d.Language != ""
}

// ComputeHash sets Hash from everything that affects search or display,
// so that re-adding identical content can be skipped.
func (d *Document) ComputeHash() string {
	c := *d
	c.Hash, c.IndexedAt, c.Origin = "", time.Time{}, ""
	b, _ := json.Marshal(c) // map keys marshal sorted, so this is canonical
	sum := sha256.Sum256(b)
	d.Hash = hex.EncodeToString(sum[:])
	return d.Hash
}

// DeriveID makes a stable id from where a document came from (a path or
// URL): a readable slug of its last part plus a short hash of the whole,
// so re-adding the same source updates rather than duplicates.
func DeriveID(origin string) string {
	sum := sha256.Sum256([]byte(origin))
	base := origin
	if i := strings.LastIndexAny(strings.TrimRight(base, "/"), "/\\"); i >= 0 {
		base = strings.TrimRight(base, "/")[i+1:]
	}
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	slug := Slug(base, 48)
	if slug == "" {
		slug = "doc"
	}
	return slug + "-" + hex.EncodeToString(sum[:5])
}

// Slug lowercases s and keeps letters and digits, joined by single dashes.
func Slug(s string, max int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			if b.Len() >= max {
				break
			}
		} else {
			dash = true
		}
	}
	return b.String()
}

func cleanLine(s string) string {
	return strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
}

func cleanList(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		s = cleanLine(s)
		if s != "" && !seen[strings.ToLower(s)] {
			seen[strings.ToLower(s)] = true
			out = append(out, s)
		}
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// EnsureID gives a document without an id a stable one: from its URL,
// else from where it was loaded, else from its content, so that posting
// the same thing twice never makes two documents.
func (d *Document) EnsureID() {
	switch {
	case strings.TrimSpace(d.ID) != "":
	case strings.TrimSpace(d.URL) != "":
		d.ID = DeriveID(CanonicalURL(d.URL))
	case d.Origin != "":
		d.ID = DeriveID(d.Origin)
	default:
		sum := sha256.Sum256([]byte(d.Title + "\x00" + d.Text))
		slug := Slug(d.Title, 48)
		if slug == "" {
			slug = "doc"
		}
		d.ID = slug + "-" + hex.EncodeToString(sum[:5])
	}
}

// CanonicalURL normalises a URL for identity: lowercase scheme and host,
// no fragment, no default port, no trailing slash on the path.
func CanonicalURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return strings.TrimSpace(raw)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.Host = strings.TrimSuffix(strings.TrimSuffix(u.Host, ":80"), ":443")
	u.Fragment, u.RawFragment = "", ""
	if len(u.Path) > 1 {
		u.Path = strings.TrimRight(u.Path, "/")
		u.RawPath = ""
	}
	return u.String()
}
