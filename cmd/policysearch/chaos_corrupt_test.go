package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestChaosCorruptFiles replays "corrupt files": each row damages a copy
// of a data directory holding 300 documents, then starts the real binary
// on it. A damaged index segment is rebuilt from the store (logged); a
// damaged, truncated, missing or empty store is refused at start with the
// file and the recovery command named; nothing panics; and `rebuild`
// empties the index from an empty store only with --force.
func TestChaosCorruptFiles(t *testing.T) {
	bin := chaosBinary(t)
	pristine := t.TempDir()
	p := startProcess(t, bin, pristine)
	var nd bytes.Buffer
	for i := range 300 {
		nd.Write(docJSON(t, map[string]any{"id": fmt.Sprintf("c%d", i), "title": fmt.Sprintf("corrupt %d", i), "text": "a policy on damaged files " + strings.Repeat(fmt.Sprintf("w%d ", i), 50)}))
		nd.WriteByte('\n')
	}
	if status, body := p.send("POST", "/api/documents", "application/x-ndjson", nd.Bytes()); status != http.StatusOK {
		t.Fatalf("load: %d %s", status, truncateBytes(body))
	}
	p.stop(15 * time.Second)

	rng := rand.New(rand.NewPCG(14, 1))
	garble := func(path string, from, to int64) {
		t.Helper()
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		b := make([]byte, to-from)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if _, err := f.WriteAt(b, from); err != nil {
			t.Fatal(err)
		}
	}
	size := func(path string) int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	const page = 4096 // bbolt's page: the first two hold the meta pages
	cases := []struct {
		name   string
		damage func(data string)
		// refused: the start must fail naming these; else it must serve
		// every document, and the log say the index was rebuilt.
		refused []string
	}{
		{"random bytes in every index segment", func(data string) {
			segs, _ := filepath.Glob(filepath.Join(data, "indexes", "*", "store", "*.zap"))
			if len(segs) == 0 {
				t.Fatal("no .zap segment in the data directory")
			}
			for _, s := range segs {
				garble(s, size(s)/2, min(size(s), size(s)/2+4096))
			}
		}, nil},
		{"documents.db truncated to half", func(data string) {
			db := filepath.Join(data, "documents.db")
			if err := os.Truncate(db, size(db)/2); err != nil {
				t.Fatal(err)
			}
		}, []string{"documents.db is damaged", "truncated", "rebuild --force"}},
		{"documents.db pages overwritten (meta intact)", func(data string) {
			db := filepath.Join(data, "documents.db")
			garble(db, 2*page, size(db))
		}, []string{"documents.db is damaged", "rebuild --force"}},
		{"documents.db all random bytes", func(data string) {
			db := filepath.Join(data, "documents.db")
			garble(db, 0, size(db))
		}, []string{"documents.db is damaged", "rebuild --force"}},
		{"documents.db deleted", func(data string) {
			os.Remove(filepath.Join(data, "documents.db"))
		}, []string{"documents.db is missing but the index holds 300 documents", "rebuild --force"}},
		{"documents.db emptied", func(data string) {
			os.Truncate(filepath.Join(data, "documents.db"), 0)
		}, []string{"documents.db is empty but the index holds 300 documents", "rebuild --force"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := copyDir(t, pristine)
			c.damage(data)
			if c.refused == nil {
				p := startProcess(t, bin, data)
				if n := searchTotal(t, p, "damaged"); n != 300 {
					t.Errorf("after the repair, search finds %d of 300 documents", n)
				}
				p.stop(15 * time.Second)
				log := p.log()
				if !strings.Contains(log, "index damaged; rebuilding it from stored documents") {
					t.Errorf("the repair was not logged:\n%s", log)
				}
				noPanic(t, log)
				t.Logf("%s: started, rebuilt the index, 300 of 300 documents found", c.name)
				return
			}
			out, code := runBinary(t, bin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--seeds=false")
			if code == 0 {
				t.Fatalf("serve started on %s:\n%s", c.name, out)
			}
			noPanic(t, out)
			for _, want := range append(c.refused, filepath.Join(data, "documents.db")) {
				if !strings.Contains(out, want) {
					t.Errorf("the refusal does not say %q:\n%s", want, out)
				}
			}
			t.Logf("%s: refused, exit %d: %s", c.name, code, lastLine(out))
		})
	}

	t.Run("rebuild from an empty store needs --force", func(t *testing.T) {
		data := copyDir(t, pristine)
		os.Remove(filepath.Join(data, "documents.db"))
		out, code := runBinary(t, bin, "rebuild", "--data", data)
		if code == 0 || !strings.Contains(out, "rebuild --force") {
			t.Fatalf("rebuild without --force: exit %d\n%s", code, out)
		}
		out, code = runBinary(t, bin, "rebuild", "--force", "--data", data)
		if code != 0 || !strings.Contains(out, "rebuilt 0 documents") {
			t.Fatalf("rebuild --force: exit %d\n%s", code, out)
		}
		p := startProcess(t, bin, data)
		if n := searchTotal(t, p, "damaged"); n != 0 {
			t.Errorf("after rebuild --force, search finds %d documents, want 0", n)
		}
	})
}

// stop sends SIGTERM and waits up to limit for a clean exit; it returns
// how long the exit took.
func (p *process) stop(limit time.Duration) time.Duration {
	p.t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			p.t.Errorf("exit after SIGTERM: %v\n%s", err, p.log())
		}
	case <-time.After(limit):
		p.t.Errorf("still running %s after SIGTERM", limit)
		p.cmd.Process.Kill()
		<-done
	}
	return time.Since(start)
}

// runBinary runs a one-shot command and returns its combined output and
// exit code; it must finish within a minute.
func runBinary(t *testing.T, bin string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "POLICYSEARCH_EMBEDDINGS=off")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%v did not finish in a minute:\n%s", args, out)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

func noPanic(t *testing.T, log string) {
	t.Helper()
	for _, bad := range []string{"panic:", "goroutine ", "fatal error"} {
		if strings.Contains(log, bad) {
			t.Errorf("the output holds %q:\n%s", bad, log)
		}
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return truncateBytes([]byte(s))
}

// copyDir copies a data directory (regular files and directories).
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
