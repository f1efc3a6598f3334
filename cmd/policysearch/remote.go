package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"policysearch/index"
)

// remote is a running policysearch server. While `serve` runs it holds the
// data directory, so the CLI's other commands go through its API instead:
// `add` works the same whether or not the server is up.
type remote struct {
	base string
	key  string
	hc   *http.Client
}

// store is what the one-shot commands need: the index itself, or the
// server that holds it.
type store interface {
	Put(ctx context.Context, docs []index.Document) ([]index.PutResult, error)
	Search(ctx context.Context, q index.Query) (*index.Results, error)
	Get(ctx context.Context, id string) (*index.Document, error)
	Delete(ctx context.Context, id string) error
	Rebuild(ctx context.Context) (int, error)
	ForceRebuild(ctx context.Context) (int, error)
	Stats(ctx context.Context) (index.Stats, error)
}

var (
	_ store = (*index.Index)(nil)
	_ store = (*remote)(nil)
)

// openStore opens the index, or, when a server holds it, that server.
func openStore(ctx context.Context, cfg *Config, io ioSet, opts ...index.OpenOption) (store, func(), error) {
	if cfg.AddrFlag {
		// An address typed on the command line names the server meant; a
		// silent fallback to the local data directory would write elsewhere.
		r, err := dialServer(ctx, cfg, cfg.Addr)
		if err != nil {
			return nil, nil, fmt.Errorf("no policysearch server answers at %s (--addr): %v", cfg.Addr, err)
		}
		fmt.Fprintf(io.stderr, "note: --addr names the server at %s; using its API\n", cfg.Addr)
		return r, func() {}, nil
	}
	ix, err := index.Open(ctx, cfg.Data, cfg.logger(io.stderr).With("component", "index"), opts...)
	if err == nil {
		return ix, func() { ix.Close() }, nil
	}
	var ie *index.Error
	if !errors.As(err, &ie) || ie.Code != "data_locked" {
		return nil, nil, err
	}
	// The server records its address beside the lock (serverfile.go); an
	// --addr given on the command line or in the environment is tried too.
	recorded, _ := readServerAddr(cfg.Data)
	var tried []string
	for _, addr := range []string{recorded, cfg.Addr} {
		if addr == "" || slices.Contains(tried, addr) {
			continue
		}
		tried = append(tried, addr)
		r, err := dialServer(ctx, cfg, addr)
		if err != nil {
			continue
		}
		how := "--addr"
		if addr == recorded {
			how = "recorded in " + filepath.Join(cfg.Data, serverAddrFile)
		}
		fmt.Fprintf(io.stderr, "note: the server at %s (%s) holds %s; using its API\n", addr, how, cfg.Data)
		return r, func() {}, nil
	}
	return nil, nil, fmt.Errorf("%s is in use by another process and no server answers at %s (give its address with --addr)", cfg.Data, strings.Join(tried, " or "))
}

// dialServer returns the server at addr if it answers its health check.
func dialServer(ctx context.Context, cfg *Config, addr string) (*remote, error) {
	r := &remote{base: "http://" + addr, key: cfg.APIKey, hc: &http.Client{Timeout: 10 * time.Minute}}
	hctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := r.call(hctx, "GET", "/healthz", nil, "", nil); err != nil {
		return nil, err
	}
	return r, nil
}

// call sends one request and decodes a JSON answer into out (if not nil).
// Error bodies become errors carrying the server's message.
func (r *remote) call(ctx context.Context, method, path string, body io.Reader, ctype string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, body)
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if r.key != "" {
		req.Header.Set("Authorization", "Bearer "+r.key)
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
			kind := index.Invalid
			switch resp.StatusCode {
			case http.StatusNotFound:
				kind = index.NotFound
			case http.StatusServiceUnavailable:
				kind = index.Unavailable
			}
			return &index.Error{Kind: kind, Code: e.Error.Code, Message: "server: " + e.Error.Message}
		}
		return fmt.Errorf("server answered %s", resp.Status)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if w, ok := out.(io.Writer); ok {
		_, err = io.Copy(w, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// Put streams docs as NDJSON; a line the server rejects becomes a failed
// result rather than failing the whole batch.
func (r *remote) Put(ctx context.Context, docs []index.Document) ([]index.PutResult, error) {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	for i := range docs {
		if err := enc.Encode(&docs[i]); err != nil {
			return nil, err
		}
	}
	var out bytes.Buffer
	if err := r.call(ctx, "POST", "/api/documents", &body, "application/x-ndjson", &out); err != nil {
		return nil, err
	}
	results := make([]index.PutResult, len(docs))
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Line   int          `json:"line"`
			ID     string       `json:"id"`
			Status index.Status `json:"status"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Line < 1 || line.Line > len(docs) {
			continue
		}
		if line.Error != nil {
			return results, fmt.Errorf("document %s: server: %s", docs[line.Line-1].ID, line.Error.Message)
		}
		results[line.Line-1] = index.PutResult{ID: line.ID, Status: line.Status}
	}
	return results, sc.Err()
}

// Search sends the query as /api/search parameters.
func (r *remote) Search(ctx context.Context, q index.Query) (*index.Results, error) {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("q", q.Text)
	set("sort", q.Sort)
	set("mode", q.Mode)
	if q.Page > 0 {
		set("page", strconv.Itoa(q.Page))
	}
	if q.Size > 0 {
		set("size", strconv.Itoa(q.Size))
	}
	if q.Strict {
		set("strict", "true")
	}
	for k, vals := range map[string][]string{"source": q.Filters.Source, "source_type": q.Filters.SourceType,
		"author": q.Filters.Author, "country": q.Filters.Country, "tag": q.Filters.Tag, "language": q.Filters.Language} {
		v[k] = vals
	}
	set("from", q.Filters.From.String())
	set("to", q.Filters.To.String())
	var res index.Results
	if err := r.call(ctx, "GET", "/api/search?"+v.Encode(), nil, "", &res); err != nil {
		return nil, err
	}
	return &res, nil
}

func (r *remote) Get(ctx context.Context, id string) (*index.Document, error) {
	var raw map[string]json.RawMessage
	if err := r.call(ctx, "GET", "/api/documents/"+url.PathEscape(id), nil, "", &raw); err != nil {
		return nil, err
	}
	delete(raw, "embedding") // the server's status, not part of the document
	b, _ := json.Marshal(raw)
	var d index.Document
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

func (r *remote) Delete(ctx context.Context, id string) error {
	return r.call(ctx, "DELETE", "/api/documents/"+url.PathEscape(id), nil, "", nil)
}

func (r *remote) Rebuild(ctx context.Context) (int, error) { return r.rebuild(ctx, "") }

func (r *remote) ForceRebuild(ctx context.Context) (int, error) { return r.rebuild(ctx, "?force=true") }

func (r *remote) rebuild(ctx context.Context, query string) (int, error) {
	var res struct{ Documents int }
	err := r.call(ctx, "POST", "/api/admin/rebuild"+query, strings.NewReader(""), "", &res)
	return res.Documents, err
}

func (r *remote) Stats(ctx context.Context) (index.Stats, error) {
	var st index.Stats
	err := r.call(ctx, "GET", "/api/stats", nil, "", &st)
	return st, err
}
