package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"policysearch/embedding"
	"policysearch/index"
)

// Config is every setting, as a value: defaults, then POLICYSEARCH_*
// environment variables, then flags.
type Config struct {
	Addr string
	// AddrFlag is set when --addr was given on the command line: the CLI's
	// one-shot commands then mean that server, not the data directory.
	AddrFlag  bool
	Data      string
	LogLevel  string
	LogFormat string
	Seeds     bool
	// APIKey grants writes; the CLI sends it when it talks to a running
	// server. Never logged.
	APIKey string
	// EmbeddingsSource is off, builtin or a URL (semantic.go); empty
	// means Embeddings.URL if set, else the built-in model.
	EmbeddingsSource string
	// Embeddings configures semantic ranking.
	Embeddings embedding.Config
	// SemanticRatio is the weight of meaning for searches that set none.
	SemanticRatio float64
	// HTTP is serve's access rules, limits and timeouts (httpconfig.go).
	HTTP HTTPConfig
	// Ingest is serve's watched folders and feeds (ingestconfig.go).
	Ingest IngestConfig
	// Research is serve's export, snapshot and alert settings
	// (researchconfig.go).
	Research ResearchConfig
	// Cluster makes serve a node of a cluster (clusterconfig.go).
	Cluster ClusterConfig
}

func defaultConfig() Config {
	return Config{Addr: "127.0.0.1:8080", Data: "./data", LogLevel: "info", LogFormat: "auto", Seeds: true, HTTP: defaultHTTPConfig(), Ingest: defaultIngestConfig(), Research: defaultResearchConfig(), Cluster: defaultClusterConfig(), SemanticRatio: index.DefaultSemanticRatio}
}

func (c *Config) fromEnv(getenv func(string) string) error {
	e := &envReader{getenv: getenv}
	c.HTTP.fromEnv(e)
	c.Ingest.fromEnv(e)
	c.Research.fromEnv(e)
	c.Cluster.fromEnv(e)
	e.str("POLICYSEARCH_ADDR", &c.Addr)
	e.str("POLICYSEARCH_DATA", &c.Data)
	e.str("POLICYSEARCH_LOG_LEVEL", &c.LogLevel)
	e.str("POLICYSEARCH_LOG_FORMAT", &c.LogFormat)
	e.str("POLICYSEARCH_API_KEY", &c.APIKey)
	e.str("POLICYSEARCH_EMBEDDINGS", &c.EmbeddingsSource)
	e.str("POLICYSEARCH_EMBEDDINGS_URL", &c.Embeddings.URL)
	e.str("POLICYSEARCH_EMBEDDINGS_MODEL", &c.Embeddings.Model)
	e.str("POLICYSEARCH_EMBEDDINGS_API_KEY", &c.Embeddings.APIKey)
	e.str("POLICYSEARCH_EMBEDDINGS_QUERY_PREFIX", &c.Embeddings.QueryPrefix)
	e.str("POLICYSEARCH_EMBEDDINGS_PASSAGE_PREFIX", &c.Embeddings.PassagePrefix)
	e.number("POLICYSEARCH_SEMANTIC_RATIO", &c.SemanticRatio)
	e.integer("POLICYSEARCH_EMBEDDINGS_BATCH_SIZE", &c.Embeddings.BatchSize)
	e.integer("POLICYSEARCH_EMBEDDINGS_CONCURRENCY", &c.Embeddings.Concurrency)
	e.integer("POLICYSEARCH_EMBEDDINGS_MAX_TOKENS", &c.Embeddings.MaxTokens)
	e.duration("POLICYSEARCH_EMBEDDINGS_TIMEOUT", &c.Embeddings.Timeout)
	e.duration("POLICYSEARCH_EMBEDDINGS_QUERY_TIMEOUT", &c.Embeddings.QueryTimeout)
	e.boolean("POLICYSEARCH_SEEDS", &c.Seeds)
	return e.err
}

// dataFlags registers the flags of every command that touches the index.
func dataFlags(fs *pflag.FlagSet, c *Config) {
	fs.StringVar(&c.Data, "data", c.Data, "data directory: documents and index (env POLICYSEARCH_DATA)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (env POLICYSEARCH_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "auto (text on a terminal, else JSON), text or json (env POLICYSEARCH_LOG_FORMAT)")
}

// embeddingFlags registers the semantic layer's flags. The API key has no
// flag: command lines show up in process lists; use the environment.
func embeddingFlags(fs *pflag.FlagSet, c *Config) {
	e := &c.Embeddings
	e.Defaults()
	fs.StringVar(&c.EmbeddingsSource, "embeddings", c.EmbeddingsSource, "semantic ranking: off, builtin (the model inside the binary), or the base URL of an OpenAI-compatible API; empty = --embeddings-url if set, else builtin (env POLICYSEARCH_EMBEDDINGS)")
	fs.StringVar(&e.URL, "embeddings-url", e.URL, "OpenAI-compatible API base URL, e.g. http://127.0.0.1:11434/v1; empty = the built-in model (env POLICYSEARCH_EMBEDDINGS_URL)")
	fs.StringVar(&e.Model, "embeddings-model", e.Model, "embedding model name (env POLICYSEARCH_EMBEDDINGS_MODEL)")
	fs.IntVar(&e.BatchSize, "embeddings-batch-size", e.BatchSize, "inputs per embeddings request (env POLICYSEARCH_EMBEDDINGS_BATCH_SIZE)")
	fs.IntVar(&e.Concurrency, "embeddings-concurrency", e.Concurrency, "embeddings requests in flight while indexing (env POLICYSEARCH_EMBEDDINGS_CONCURRENCY)")
	fs.DurationVar(&e.Timeout, "embeddings-timeout", e.Timeout, "timeout of one indexing request (env POLICYSEARCH_EMBEDDINGS_TIMEOUT)")
	fs.DurationVar(&e.QueryTimeout, "embeddings-query-timeout", e.QueryTimeout, "timeout for embedding a search query; past it the search answers by keywords (env POLICYSEARCH_EMBEDDINGS_QUERY_TIMEOUT)")
	fs.IntVar(&e.MaxTokens, "embeddings-max-tokens", e.MaxTokens, "input limit of a remote model in tokens, counted approximately; passages are cut to fit (env POLICYSEARCH_EMBEDDINGS_MAX_TOKENS)")
	fs.StringVar(&e.QueryPrefix, "embeddings-query-prefix", e.QueryPrefix, "text put before queries, for models that expect one, e.g. 'query: ' (env POLICYSEARCH_EMBEDDINGS_QUERY_PREFIX)")
	fs.StringVar(&e.PassagePrefix, "embeddings-passage-prefix", e.PassagePrefix, "text put before passages, e.g. 'passage: ' (env POLICYSEARCH_EMBEDDINGS_PASSAGE_PREFIX)")
}

func addrFlag(fs *pflag.FlagSet, c *Config) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "address to listen on, or of the running server (env POLICYSEARCH_ADDR)")
}

// Validate names the first bad setting.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("addr %q: want host:port, e.g. 127.0.0.1:8080", c.Addr)
	}
	if strings.TrimSpace(c.Data) == "" {
		return fmt.Errorf("data: must not be empty")
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return fmt.Errorf("log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "auto", "text", "json":
	default:
		return fmt.Errorf("log-format %q: want auto, text or json", c.LogFormat)
	}
	src, err := c.embeddingsSource()
	if err != nil {
		return err
	}
	if src == embeddingsRemote {
		c.Embeddings.Defaults()
		if c.SemanticRatio < 0 || c.SemanticRatio > 1 {
			return fmt.Errorf("semantic-ratio %v: want a number from 0 to 1", c.SemanticRatio)
		}
		if err := c.Embeddings.Validate(); err != nil {
			return err
		}
	}
	if err := c.Ingest.Validate(); err != nil {
		return err
	}
	if err := c.Research.Validate(); err != nil {
		return err
	}
	if err := c.Cluster.Validate(); err != nil {
		return err
	}
	return c.HTTP.Validate()
}

// logger builds the process logger: text for people at a terminal, JSON
// for log collectors.
func (c *Config) logger(w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	format := c.LogFormat
	if format == "auto" {
		format = "json"
		if isTerminal(w) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
