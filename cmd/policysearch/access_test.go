package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serveWith runs `serve` on a free port with extra flags and environment
// and returns its base URL and a stop function that returns its log.
func serveWith(t *testing.T, args []string, vars map[string]string) (string, func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs syncBuffer
	done := make(chan error, 1)
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--seeds=false", "--log-format", "json"}, args...)
	go func() { done <- run(ctx, args, env(vars), &out, &errs) }()
	deadline := time.Now().Add(20 * time.Second)
	base := ""
	for base == "" && time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, errs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if base == "" {
		t.Fatalf("server did not come up:\n%s", errs.String())
	}
	return base, func() string {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not shut down")
		}
		return errs.String()
	}
}

func call(t *testing.T, method, url, key, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestServeWithKeysNeverLogsThem(t *testing.T) {
	const envKey, fileKey, readKey, metricsKey = "env-key-5a1f0c9e2b", "file-key-77d3e0a1c4", "read-key-0b9e4d2c61", "metrics-key-3c8a5f7e90"
	keysFile := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keysFile, []byte("# deploy keys\n\n"+fileKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, stop := serveWith(t, []string{"--api-keys-file", keysFile, "--log-level", "debug"}, map[string]string{
		"POLICYSEARCH_API_KEY": envKey, "POLICYSEARCH_READ_KEY": readKey, "POLICYSEARCH_METRICS_KEY": metricsKey,
	})
	doc := `{"id":"k1","title":"Keys","text":"Keyed writes."}`
	for _, c := range []struct {
		method, path, key, body string
		want                    int
	}{
		{"PUT", "/api/documents/k1", "", doc, 401},
		{"PUT", "/api/documents/k1", readKey, doc, 401},
		{"PUT", "/api/documents/k1", envKey, doc, 201},
		{"PUT", "/api/documents/k1", fileKey, doc, 200},
		{"GET", "/api/documents/k1", "", "", 401},
		{"GET", "/api/documents/k1", readKey, "", 200},
		{"GET", "/metrics", "", "", 401},
		{"GET", "/metrics", metricsKey, "", 200},
		{"GET", "/healthz", "", "", 200},
	} {
		if got := call(t, c.method, base+c.path, c.key, c.body); got != c.want {
			t.Errorf("%s %s with %q: %d, want %d", c.method, c.path, c.key, got, c.want)
		}
	}
	logs := stop()
	if !strings.Contains(logs, `"msg":"writes need an API key"`) || !strings.Contains(logs, `"keys":2`) {
		t.Errorf("the start-up log does not say writes need a key:\n%s", logs)
	}
	for _, k := range []string{envKey, fileKey, readKey, metricsKey} {
		if strings.Contains(logs, k) {
			t.Errorf("the log contains key %q:\n%s", k, logs)
		}
	}
}

func TestServeWithoutKeySaysWritesAreLocal(t *testing.T) {
	base, stop := serveWith(t, []string{"--rate-limit", "1", "--rate-burst", "2"}, nil)
	if got := call(t, "PUT", base+"/api/documents/l1", "", `{"title":"Local"}`); got != 201 {
		t.Errorf("local write without a key: %d, want 201", got)
	}
	codes := map[int]int{}
	for range 5 {
		codes[call(t, "GET", base+"/api/stats", "", "")]++
	}
	if codes[200] != 2 || codes[429] != 3 {
		t.Errorf("5 reads with burst 2 answered %v, want 2×200 and 3×429", codes)
	}
	logs := stop()
	if !strings.Contains(logs, "writes are accepted from this machine only") {
		t.Errorf("the start-up log does not say writes are local only:\n%s", logs)
	}
}

func TestHTTPConfigFromEnvAndFlags(t *testing.T) {
	cfg := defaultConfig()
	err := cfg.fromEnv(env(map[string]string{
		"POLICYSEARCH_RATE_LIMIT": "0", "POLICYSEARCH_WRITE_RATE_BURST": "3", "POLICYSEARCH_CORS_ORIGINS": "https://a.example, https://b.example",
		"POLICYSEARCH_MAX_QUERY_BYTES": "100", "POLICYSEARCH_SEARCH_TIMEOUT": "2s", "POLICYSEARCH_TRUSTED_PROXIES": "10.0.0.0/8",
	}))
	if err != nil {
		t.Fatal(err)
	}
	h := cfg.HTTP
	if h.RateLimit != 0 || h.WriteRateBurst != 3 || len(h.CORSOrigins) != 2 || h.CORSOrigins[1] != "https://b.example" ||
		h.MaxQueryBytes != 100 || h.SearchTimeout != 2*time.Second || h.TrustedProxies[0] != "10.0.0.0/8" {
		t.Errorf("from env: %+v", h)
	}
	for _, bad := range []map[string]string{
		{"POLICYSEARCH_RATE_LIMIT": "fast"},
		{"POLICYSEARCH_READ_TIMEOUT": "10"},
		{"POLICYSEARCH_MAX_BODY_BYTES": "64MB"},
	} {
		c := defaultConfig()
		if err := c.fromEnv(env(bad)); err == nil {
			t.Errorf("fromEnv(%v) accepted it", bad)
		}
	}
	for _, h := range []HTTPConfig{
		func() HTTPConfig { h := defaultHTTPConfig(); h.RateLimit = -1; return h }(),
		func() HTTPConfig { h := defaultHTTPConfig(); h.RateBurst = 0; return h }(),
		func() HTTPConfig { h := defaultHTTPConfig(); h.MaxQueryBytes = 0; return h }(),
		func() HTTPConfig { h := defaultHTTPConfig(); h.TrustedProxies = []string{"proxy.local"}; return h }(),
	} {
		if err := h.Validate(); err == nil {
			t.Errorf("Validate accepted %+v", h)
		}
	}
}
