// Package web holds the search page: templates and static assets embedded
// in the binary, parsed once at start-up so a broken template fails fast.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Pages renders the HTML pages and serves their static assets under
// content-hashed URLs, so assets can be cached for a year and still
// change the moment a new version ships.
type Pages struct {
	tmpl    *template.Template
	hashed  map[string]string // "style.css" -> "style.3f2a1c9b.css"
	files   map[string][]byte // hashed name -> content
	version string
}

// New parses the templates and hashes the assets.
func New(version string) (*Pages, error) {
	p := &Pages{hashed: map[string]string{}, files: map[string][]byte{}, version: version}
	err := fs.WalkDir(staticFS, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		base := strings.TrimPrefix(name, "static/")
		ext := path.Ext(base)
		h := strings.TrimSuffix(base, ext) + "." + hex.EncodeToString(sum[:4]) + ext
		p.hashed[base] = h
		p.files[h] = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{
		"asset": func(name string) (string, error) {
			h, ok := p.hashed[name]
			if !ok {
				return "", fmt.Errorf("no asset %q", name)
			}
			return "/static/" + h, nil
		},
		// html marks text the index already escaped (snippets with <mark>).
		"html":     func(s string) template.HTML { return template.HTML(s) },
		"join":     strings.Join,
		"add":      func(a, b int) int { return a + b },
		"version":  func() string { return p.version },
		"date":     HumanDate,
		"language": LanguageLabel,
	}
	p.tmpl, err = template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	return p, nil
}

// Render executes the named page template into w. It renders into a
// buffer first so a template error never sends half a page.
func (p *Pages) Render(w io.Writer, name string, data any) error {
	var buf bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	_, err := buf.WriteTo(w)
	return err
}

// Static serves the hashed assets with long cache lifetimes.
func (p *Pages) Static() http.Handler {
	mod := time.Now()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := path.Base(r.URL.Path)
		b, ok := p.files[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		http.ServeContent(w, r, name, mod, bytes.NewReader(b))
	})
}
