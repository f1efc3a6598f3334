package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"policysearch/bench/serve"
)

// firstAnswer polls a search until it answers 200 and returns when it did.
func firstAnswer(ctx context.Context, p *serve.Proc, q string) (time.Time, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if err := ctx.Err(); err != nil {
			return time.Time{}, err
		}
		resp, err := client.Get(p.Base + "/api/search?q=" + q)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Now(), nil
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Time{}, errors.New("no answer within 2 minutes")
}

// dirSize is the bytes of the files under dir.
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// liveIndexDir is the bleve index a data directory's CURRENT names.
func liveIndexDir(data string) string {
	b, _ := os.ReadFile(filepath.Join(data, "CURRENT"))
	return filepath.Join(data, "indexes", strings.TrimSpace(string(b)))
}
