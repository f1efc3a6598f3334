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
)

// Config is every setting, as a value: defaults, then POLICYSEARCH_*
// environment variables, then flags.
type Config struct {
	Addr      string
	Data      string
	LogLevel  string
	LogFormat string
	Seeds     bool
}

func defaultConfig() Config {
	return Config{Addr: "127.0.0.1:8080", Data: "./data", LogLevel: "info", LogFormat: "auto", Seeds: true}
}

func (c *Config) fromEnv(getenv func(string) string) error {
	set := func(name string, dst *string) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			*dst = v
		}
	}
	set("POLICYSEARCH_ADDR", &c.Addr)
	set("POLICYSEARCH_DATA", &c.Data)
	set("POLICYSEARCH_LOG_LEVEL", &c.LogLevel)
	set("POLICYSEARCH_LOG_FORMAT", &c.LogFormat)
	if v := strings.TrimSpace(getenv("POLICYSEARCH_SEEDS")); v != "" {
		switch strings.ToLower(v) {
		case "1", "true", "yes", "on":
			c.Seeds = true
		case "0", "false", "no", "off":
			c.Seeds = false
		default:
			return fmt.Errorf("POLICYSEARCH_SEEDS: %q is not true or false", v)
		}
	}
	return nil
}

// dataFlags registers the flags of every command that touches the index.
func dataFlags(fs *pflag.FlagSet, c *Config) {
	fs.StringVar(&c.Data, "data", c.Data, "data directory: documents and index (env POLICYSEARCH_DATA)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (env POLICYSEARCH_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "auto (text on a terminal, else JSON), text or json (env POLICYSEARCH_LOG_FORMAT)")
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
	return nil
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
