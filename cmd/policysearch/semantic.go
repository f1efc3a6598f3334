package main

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"policysearch/embedding"
)

// Where meaning comes from: POLICYSEARCH_EMBEDDINGS / --embeddings is
// off, builtin or a URL. Unset, POLICYSEARCH_EMBEDDINGS_URL (or
// --embeddings-url) selects a remote endpoint as it always has, and
// without one the built-in model runs: semantic search is on by default.
const (
	embeddingsOff     = "off"
	embeddingsBuiltin = "builtin"
	embeddingsRemote  = "remote"
)

// embeddingsSource resolves the semantic settings into off, builtin or
// remote; a URL given as the source becomes the endpoint's URL.
func (c *Config) embeddingsSource() (string, error) {
	src := strings.TrimSpace(c.EmbeddingsSource)
	switch {
	case strings.EqualFold(src, embeddingsOff):
		return embeddingsOff, nil
	case strings.EqualFold(src, embeddingsBuiltin):
		return embeddingsBuiltin, nil
	case src == "":
		if c.Embeddings.URL == "" {
			return embeddingsBuiltin, nil
		}
		return embeddingsRemote, nil
	}
	u, err := url.Parse(src)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("embeddings %q: want off, builtin or an http(s) URL of an OpenAI-compatible API", src)
	}
	c.Embeddings.URL = src
	return embeddingsRemote, nil
}

// semanticModel returns the embedding model the settings name: the
// built-in one, or nil for a remote endpoint (or none).
func (c *Config) semanticModel() (string, embedding.Embedder, error) {
	src, err := c.embeddingsSource()
	if err != nil || src != embeddingsBuiltin {
		return src, nil, err
	}
	m, err := embedding.Builtin()
	if err != nil {
		return "", nil, fmt.Errorf("load the built-in embedding model: %w", err)
	}
	return src, m, nil
}

// openSemantic builds the semantic layer the settings ask for, with its
// vectors in storePath; nil when semantic ranking is off.
func openSemantic(cfg *Config, storePath string, log *slog.Logger) (*embedding.Service, error) {
	src, model, err := cfg.semanticModel()
	switch {
	case err != nil || src == embeddingsOff:
		return nil, err
	case model != nil:
		return embedding.NewLocal(model, cfg.Embeddings, storePath, log)
	}
	return embedding.New(cfg.Embeddings, storePath, log)
}
