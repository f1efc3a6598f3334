package feeds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"

	"policysearch/index"
	"policysearch/ingest"
)

// minPageText is how much text an article page must yield to be trusted
// over the feed's own content: less is a paywall, a cookie wall or a
// script-only page.
const minPageText = 200

// article makes the document for one item: the linked page's main text
// and metadata where it can be fetched and read, the item's own fields
// where not, and the subscription's source, type, country and tags where
// neither says. fellBack reports that a page was linked but could not be
// used.
func (s *Service) article(ctx context.Context, sub Subscription, feedTitle string, base *url.URL, it *gofeed.Item, key string) (doc index.Document, fellBack bool) {
	link := itemLink(it, base)
	doc = fromItem(ctx, it, link)
	if link != "" {
		page, err := s.page(ctx, link)
		if err != nil {
			if ctx.Err() == nil {
				s.cfg.Log.Info("article page not used; indexing the feed's content", "page", link, "err", err)
			}
			fellBack = true
		} else {
			merge(&doc, page)
		}
	}
	if doc.Source == "" {
		doc.Source = firstOf(sub.Source, feedTitle)
	}
	if doc.SourceType == "" {
		doc.SourceType = sub.SourceType
	}
	if doc.Country == "" {
		doc.Country = sub.Country
	}
	doc.Tags = append(doc.Tags, sub.Tags...)
	doc.Origin = sub.URL
	if doc.URL == "" {
		doc.Origin = sub.URL + "#" + key // each linkless item its own id
	}
	doc.ID = ""
	doc.EnsureID() // from the canonical URL: one document however often it is seen
	return doc, fellBack
}

// fromItem is the document the feed alone describes.
func fromItem(ctx context.Context, it *gofeed.Item, link string) index.Document {
	d := index.Document{Title: strings.TrimSpace(it.Title), URL: link, Tags: it.Categories}
	body := it.Content
	if strings.TrimSpace(body) == "" {
		body = it.Description
	}
	d.Text = htmlText(ctx, body)
	for _, p := range it.Authors {
		if p != nil && strings.TrimSpace(p.Name) != "" {
			d.Authors = append(d.Authors, p.Name)
		}
	}
	switch {
	case it.PublishedParsed != nil:
		d.Published = index.Date{Time: it.PublishedParsed.UTC(), Precision: index.Instant}
	case it.UpdatedParsed != nil:
		d.Published = index.Date{Time: it.UpdatedParsed.UTC(), Precision: index.Instant}
	}
	return d
}

// merge lets the page's own metadata and text win over the item's.
func merge(d *index.Document, p *index.Document) {
	pdf := p.Pages() != nil
	if p.Title != "" && !(pdf && d.Title != "") { // a PDF's title is often a file name; the item's is chosen
		d.Title = p.Title
	}
	if utf8.RuneCountInString(p.Text) >= minPageText || utf8.RuneCountInString(p.Text) > utf8.RuneCountInString(d.Text) {
		d.Text = p.Text
		d.Extra = p.Extra // PDF pages or the description go with the text they describe
	}
	if p.URL != "" {
		d.URL = p.URL
	}
	if len(p.Authors) > 0 {
		d.Authors = p.Authors
	}
	switch {
	case ingest.PublishedInferred(p) && !d.Published.IsZero():
		ingest.StatePublished(d, d.Published) // the item states a date; a PDF's creation date is a guess
	case !p.Published.IsZero():
		d.Published = p.Published
	}
	d.Source = p.Source
	d.Language = p.Language
	d.Tags = append(p.Tags, d.Tags...)
}

// page fetches and extracts the article at link: HTML through the same
// loader as files (readability for the main text; meta, OpenGraph and
// JSON-LD for the metadata; the canonical link), or a PDF.
func (s *Service) page(ctx context.Context, link string) (*index.Document, error) {
	u, err := checkURL(link, s.cfg.AllowPrivate)
	if err != nil {
		return nil, err
	}
	resp, err := s.fetch(ctx, u, acceptPage, "", "", s.cfg.MaxPageBytes)
	if err != nil {
		return nil, err
	}
	if resp.status != http.StatusOK {
		return nil, fmt.Errorf("page answered %d %s", resp.status, http.StatusText(resp.status))
	}
	mt, _, _ := mime.ParseMediaType(resp.contentType)
	switch {
	case mt == "text/html", mt == "application/xhtml+xml", mt == "application/pdf":
	case mt == "", mt == "application/octet-stream", mt == "binary/octet-stream":
		mt = "" // let the content say (a PDF starts %PDF-)
	default:
		return nil, fmt.Errorf("page is %s, not an article", mt)
	}
	var doc *index.Document
	err = ingest.Load(ctx, resp.finalURL, bytes.NewReader(resp.body), mt, func(r ingest.Record) error {
		if r.Err != nil {
			return r.Err
		}
		if doc == nil {
			doc = &r.Doc
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, errors.New("page has no content")
	}
	doc.URL = sameSite(doc.URL, resp.finalURL)
	return doc, nil
}

// sameSite accepts a page's canonical URL only on the site that served
// it: a page must not be able to claim, and so overwrite, another site's
// article. Syndicated copies on other sites stay separate documents and
// are grouped as near-duplicates instead.
func sameSite(canonical, served string) string {
	c, err1 := url.Parse(canonical)
	s, err2 := url.Parse(served)
	if err2 != nil {
		return canonical
	}
	if canonical == "" || err1 != nil || siteOf(c.Host) != siteOf(s.Host) {
		return stripTracking(served)
	}
	return stripTracking(canonical)
}

// siteOf is a host (with its port) without a leading www.
func siteOf(host string) string { return strings.TrimPrefix(strings.ToLower(host), "www.") }

// itemLink is the item's article URL made absolute, or "": its link,
// else an HTML or PDF enclosure.
func itemLink(it *gofeed.Item, base *url.URL) string {
	cands := []string{it.Link}
	for _, e := range it.Enclosures {
		if e != nil && (strings.Contains(e.Type, "pdf") || strings.Contains(e.Type, "html")) {
			cands = append(cands, e.URL)
		}
	}
	for _, raw := range cands {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || raw == "" {
			continue
		}
		if !u.IsAbs() && base != nil {
			u = base.ResolveReference(u)
		}
		if (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			return stripTracking(u.String())
		}
	}
	return ""
}

// stripTracking drops campaign parameters, which feeds add to links and
// which would otherwise make one article several documents.
func stripTracking(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return raw
	}
	q := u.Query()
	for k := range q {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "utm_") || lk == "fbclid" || lk == "gclid" || lk == "mc_cid" || lk == "mc_eid" {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// htmlText turns an item's HTML (or plain) content into text.
func htmlText(ctx context.Context, s string) string {
	s = strings.TrimSpace(s)
	if s == "" || !strings.Contains(s, "<") {
		return s
	}
	var text string
	_ = ingest.Load(ctx, "item.html", strings.NewReader("<html><body>"+s+"</body></html>"), "text/html", func(r ingest.Record) error {
		if r.Err == nil {
			text = r.Doc.Text
		}
		return nil
	})
	return text
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
