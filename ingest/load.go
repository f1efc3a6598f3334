// Package ingest turns files and streams into index.Documents: file formats and
// the outside world's messy metadata are its concern, so index only sees clean Documents.
package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"policysearch/index"
)

const (
	// MaxFileSize bounds how much of one non-JSONL file is read, so a
	// stray disk image in a folder cannot exhaust memory.
	MaxFileSize = 64 << 20
	// DefaultMaxLine is the longest JSONL line Load accepts.
	DefaultMaxLine = 16 << 20
	// sniffSize is how much content is read ahead to guess a format.
	sniffSize = 32 << 10
)

// Record is one loaded document, or the failure of one record (Err set).
// Line is the 1-based line for JSONL, the 1-based element position for a
// JSON array, and 0 otherwise. On failure Doc holds what could be read,
// at least its Origin.
type Record struct {
	Doc  index.Document
	Line int
	Err  error
}

// loader parses one source. Whole-file failures are returned; per-record
// failures go through out.fail so that one bad record never hides others.
type loader func(ctx context.Context, src *source, out *emitter) error

// loaders is the seam for new formats: to add PDF, write a loader and
// register ".pdf" here and "application/pdf" in contentTypes.
var loaders = map[string]loader{
	".txt":      loadText,
	".md":       loadMarkdown,
	".markdown": loadMarkdown,
	".html":     loadHTML,
	".htm":      loadHTML,
	".json":     loadJSON,
	".jsonl":    loadJSONLines,
	".ndjson":   loadJSONLines,
	".pdf":      loadPDF,
}

// contentTypes maps media types to the extension whose loader reads them.
var contentTypes = map[string]string{
	"text/plain":              ".txt",
	"text/markdown":           ".md",
	"text/x-markdown":         ".md",
	"text/html":               ".html",
	"application/xhtml+xml":   ".html",
	"application/json":        ".json",
	"application/x-ndjson":    ".jsonl",
	"application/ndjson":      ".jsonl",
	"application/jsonl":       ".jsonl",
	"application/x-jsonl":     ".jsonl",
	"application/jsonlines":   ".jsonl",
	"application/x-jsonlines": ".jsonl",
	"application/pdf":         ".pdf",
}

// multiRecord formats hold many documents, so file-wide metadata such as
// a sidecar's id or url cannot apply to them.
var multiRecord = map[string]bool{".json": true, ".jsonl": true, ".ndjson": true}

// Supported reports whether a file name has a loadable extension.
func Supported(name string) bool {
	_, ok := loaders[extOf(name)]
	return ok
}

func supportedList() string {
	var exts []string
	for e := range loaders {
		exts = append(exts, e)
	}
	slices.Sort(exts)
	return strings.Join(exts, ", ")
}

// Load reads one file or stream. name is a path or URL: it picks the
// format by extension and becomes the documents' origin. contentType may
// be "", in which case the extension and then the content decide. Load
// calls yield per record and stops early, returning yield's error as is,
// when yield fails. A whole-file failure (unreadable, unsupported type) is
// an *index.Error of kind Invalid, or TooLarge past MaxFileSize.
func Load(ctx context.Context, name string, r io.Reader, contentType string, yield func(Record) error) error {
	return load(ctx, name, name, r, contentType, nil, yield)
}

// load is Load with an origin that may differ from name (LoadFile makes it
// absolute) and optional sidecar metadata that overrides each record's.
func load(ctx context.Context, name, origin string, r io.Reader, contentType string, over *index.Document, yield func(Record) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if strings.TrimSpace(name) == "" {
		// Without a name, documents lacking ids would all derive the same
		// id from an empty origin and overwrite each other.
		return invalid("a name (path or URL) is required to load a stream")
	}
	ext, err := formatOf(name, contentType)
	if err != nil {
		return err
	}
	if ext == "" {
		br := bufio.NewReaderSize(r, sniffSize)
		if ext, err = sniff(br); err != nil {
			return err
		}
		r = br
	}
	if over != nil && multiRecord[ext] && (over.ID != "" || over.URL != "") {
		return invalid("%s: sidecar metadata cannot set id or url for a file that holds many documents", name)
	}
	src := &source{name: name, r: r, contentType: contentType}
	out := &emitter{ctx: ctx, origin: origin, over: over, yield: yield}
	return loaders[ext](ctx, src, out)
}

// source is the input to a loader.
type source struct {
	name        string
	r           io.Reader
	contentType string
}

// bytes reads the whole source, refusing more than MaxFileSize so memory
// stays bounded whatever the input.
func (s *source) bytes() ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(s.r, MaxFileSize+1))
	if err != nil {
		return nil, &index.Error{Kind: index.Invalid, Code: "unreadable", Message: fmt.Sprintf("cannot read %s", s.name), Err: err}
	}
	if len(data) > MaxFileSize {
		return nil, index.Errorf(index.TooLarge, "too_large", "%s is larger than %d MiB", s.name, MaxFileSize>>20)
	}
	return data, nil
}

// formatOf picks a loader by extension, then content type; "" means the
// content must decide. A file path with an unknown extension is refused
// rather than sniffed: folders hold many files that are not documents.
func formatOf(name, contentType string) (string, error) {
	ext := extOf(name)
	if _, ok := loaders[ext]; ok {
		return ext, nil
	}
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		if err == nil {
			if e, ok := contentTypes[strings.ToLower(mt)]; ok {
				return e, nil
			}
		}
	}
	if ext != "" && !isURL(name) {
		return "", unsupported(ext)
	}
	return "", nil
}

// sniff guesses the format of content that came without a usable name.
func sniff(br *bufio.Reader) (string, error) {
	head, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return "", &index.Error{Kind: index.Invalid, Code: "unreadable", Message: "cannot read the content", Err: err}
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\ufeff")), " \t\r\n")
	switch {
	case len(t) == 0:
		return ".txt", nil // the loader reports the empty document
	case t[0] == '[':
		return ".json", nil
	case t[0] == '{':
		// JSONL when the first line is a whole object and more follows;
		// a pretty-printed object spans lines and is plain JSON.
		line, rest, ok := bytes.Cut(t, []byte("\n"))
		if ok && len(bytes.TrimSpace(rest)) > 0 && jsonValid(bytes.TrimSpace(line)) {
			return ".jsonl", nil
		}
		return ".json", nil
	case bytes.HasPrefix(t, []byte("%PDF-")):
		return ".pdf", nil
	case bytes.HasPrefix(t, []byte("---")), bytes.HasPrefix(t, []byte("# ")):
		return ".md", nil
	}
	ct := http.DetectContentType(t)
	switch {
	case strings.HasPrefix(ct, "text/html"), strings.HasPrefix(ct, "text/xml") && bytes.Contains(bytes.ToLower(t), []byte("<html")):
		return ".html", nil
	case strings.HasPrefix(ct, "text/plain"):
		return ".txt", nil
	}
	mt, _, _ := mime.ParseMediaType(ct)
	return "", index.Errorf(index.Invalid, "unsupported_type", "unsupported content (looks like %s; supported: %s)", mt, supportedList())
}

func unsupported(ext string) *index.Error {
	return index.Errorf(index.Invalid, "unsupported_type", "unsupported file type %s (supported: %s)", ext, supportedList())
}

// extOf returns the lowercased extension of a path or of a URL's path, so
// "https://x.org/a.html?page=2" is HTML.
func extOf(name string) string {
	if isURL(name) {
		if u, err := url.Parse(name); err == nil {
			return strings.ToLower(path.Ext(u.Path))
		}
	}
	return strings.ToLower(filepath.Ext(name))
}

func isURL(name string) bool {
	i := strings.Index(name, "://")
	return i > 0 && !strings.ContainsAny(name[:i], `/\.`)
}

// invalid makes a per-input error whose message is safe to show.
func invalid(format string, args ...any) *index.Error {
	return index.Errorf(index.Invalid, "invalid_document", format, args...)
}
