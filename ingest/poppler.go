package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Poppler's pdftotext (Debian poppler-utils) is the field's standard PDF
// text extractor: it places words by their glyph positions and font
// metrics, where the pure-Go reader (pdf.go) only approximates them. It is
// used when installed; the pure-Go reader is the fallback.

// pdftotextTimeout bounds one run: a hostile file must not hold a loader.
const pdftotextTimeout = 60 * time.Second

// pdftotextMaxOut bounds the text one file may give (a PDF's text is far
// smaller than the file; 64 MiB is a generous ceiling).
const pdftotextMaxOut = 64 << 20

var pdftotextPath = sync.OnceValue(func() string {
	p, err := exec.LookPath("pdftotext")
	if err != nil {
		return ""
	}
	return p
})

// errOutputTooLarge stops a run whose text passes pdftotextMaxOut.
var errOutputTooLarge = errors.New("pdftotext output too large")

// cappedBuffer keeps at most max bytes and fails the write past that, so
// the child process gets EPIPE and stops.
type cappedBuffer struct {
	bytes.Buffer
	max int
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if c.Len()+len(p) > c.max {
		return 0, errOutputTooLarge
	}
	return c.Buffer.Write(p)
}

// popplerPages runs pdftotext on data and returns one text per page (its
// output separates pages with a form feed). mode is the reading mode,
// "-raw" unless the tests measure another: -raw keeps the order in which
// the page draws its text, which is reading order for generated PDFs and
// keeps columns apart; it also keeps a line-end hyphen, which fixPages
// judges against the document's own words (pdftotext's default mode drops
// every such hyphen, turning "open-weight" into "openweight").
func popplerPages(ctx context.Context, bin string, data []byte, mode ...string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, pdftotextTimeout)
	defer cancel()
	if mode == nil {
		mode = []string{"-raw"}
	}
	cmd := exec.CommandContext(ctx, bin, append(mode, "-enc", "UTF-8", "-q", "-", "-")...)
	cmd.Stdin = bytes.NewReader(data)
	out := &cappedBuffer{max: pdftotextMaxOut}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = out, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("pdftotext took longer than %s", pdftotextTimeout)
		}
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, fmt.Errorf("pdftotext: %v: %s", err, msg)
		}
		return nil, fmt.Errorf("pdftotext: %w", err)
	}
	pages := strings.Split(out.String(), "\f")
	if n := len(pages); n > 0 && strings.TrimSpace(pages[n-1]) == "" {
		pages = pages[:n-1] // the form feed ends every page, the last too
	}
	for i, p := range pages {
		pages[i] = tidyLines(cleanText(p))
	}
	return pages, nil
}
