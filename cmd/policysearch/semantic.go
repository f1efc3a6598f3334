package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"policysearch/embedding"
)

// Where meaning comes from: POLICYSEARCH_EMBEDDINGS / --embeddings is
// off or a URL; unset, POLICYSEARCH_EMBEDDINGS_URL (or --embeddings-url)
// selects a remote endpoint as it always has.
const (
	embeddingsOff    = "off"
	embeddingsRemote = "remote"
)

// embeddingsSource resolves the semantic settings into off or remote;
// a URL given as the source becomes the endpoint's URL.
func (c *Config) embeddingsSource() (string, error) {
	src := strings.TrimSpace(c.EmbeddingsSource)
	switch {
	case strings.EqualFold(src, embeddingsOff):
		return embeddingsOff, nil
	case src == "":
		if c.Embeddings.URL == "" {
			return embeddingsOff, nil
		}
		return embeddingsRemote, nil
	}
	u, err := url.Parse(src)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("embeddings %q: want off or an http(s) URL of an OpenAI-compatible API", src)
	}
	c.Embeddings.URL = src
	return embeddingsRemote, nil
}

// openSemantic builds the semantic layer the settings ask for, with its
// vectors in storePath; nil when semantic ranking is off.
func openSemantic(_ context.Context, cfg *Config, storePath string, log *slog.Logger) (*embedding.Service, error) {
	src, err := cfg.embeddingsSource()
	if err != nil || src == embeddingsOff {
		return nil, err
	}
	return embedding.New(cfg.Embeddings, storePath, log)
}
