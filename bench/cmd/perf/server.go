package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// build compiles ./cmd/policysearch into dir: from the commit HEAD names
// (exported with git archive, so uncommitted edits in the tree are not
// measured) unless fromTree is set.
func build(ctx context.Context, root, dir string, fromTree bool) (string, error) {
	src := root
	if !fromTree {
		src = filepath.Join(dir, "src")
		if err := os.MkdirAll(src, 0o755); err != nil {
			return "", err
		}
		archive := exec.CommandContext(ctx, "sh", "-c", `git archive --format=tar HEAD | tar -x -C "$1"`, "sh", src)
		archive.Dir = root
		if out, err := archive.CombinedOutput(); err != nil {
			return "", fmt.Errorf("git archive HEAD: %v\n%s", err, out)
		}
	}
	bin := filepath.Join(dir, "policysearch")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/policysearch")
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// proc is a running policysearch serve.
type proc struct {
	cmd     *exec.Cmd
	base    string
	done    chan struct{}
	started time.Time // when exec was called
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// serveEnv is the process environment without POLICYSEARCH_* settings
// of the caller, plus extra.
func serveEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "POLICYSEARCH_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// startServe starts `policysearch serve` on a free loopback port with the
// rate limits off (they are on by default: 10 reads/s per client) and
// returns once it has printed its address.
func startServe(bin, data, logPath string, env ...string) (*proc, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--seeds=false",
		"--rate-limit", "0", "--write-rate-limit", "0", "--log-level", "warn", "--log-format", "json")
	cmd.Env = serveEnv(env...)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	p := &proc{cmd: cmd, done: make(chan struct{}), started: time.Now()}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	go func() { cmd.Wait(); logFile.Close(); close(p.done) }()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			p.base = m[1]
			go io.Copy(io.Discard, stdout)
			return p, nil
		}
	}
	p.stop()
	return nil, fmt.Errorf("policysearch serve exited before listening; see %s", logPath)
}

// stop sends SIGTERM and waits (up to a minute, then kills).
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// firstAnswer polls a search until it answers 200 and returns when it did.
func (p *proc) firstAnswer(ctx context.Context, q string) (time.Time, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if err := ctx.Err(); err != nil {
			return time.Time{}, err
		}
		resp, err := client.Get(p.base + "/api/search?q=" + q)
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

// memory is a process's resident memory, from /proc/PID/status.
type memory struct {
	RSS, Anon, File, Peak int64
}

func (p *proc) memory() memory {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return memory{-1, -1, -1, -1}
	}
	var m memory
	for line := range strings.SplitSeq(string(b), "\n") {
		var kb int64
		for _, f := range []struct {
			format string
			dst    *int64
		}{{"VmRSS: %d kB", &m.RSS}, {"RssAnon: %d kB", &m.Anon}, {"RssFile: %d kB", &m.File}, {"VmHWM: %d kB", &m.Peak}} {
			if _, err := fmt.Sscanf(line, f.format, &kb); err == nil {
				*f.dst = kb << 10
			}
		}
	}
	return m
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

// cpu is the process's CPU time so far (user + system), from
// /proc/PID/stat in clock ticks of 10 ms.
func (p *proc) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// fields after the command name, which is in parentheses
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * 10 * time.Millisecond
}
