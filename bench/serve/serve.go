// Package serve runs the policysearch binary for the benchmarks: it builds
// it, starts `policysearch serve` on a free loopback port, reads its
// memory and stops it, the same way for the load test and the perf driver.
package serve

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// ModuleRoot is the folder of the go.mod at or above dir.
func ModuleRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("run inside the policysearch module (no go.mod above %s)", dir)
		}
	}
}

// Build compiles root's ./cmd/policysearch into dir. With fromHEAD the
// source is the commit HEAD names (exported with git archive), so that
// uncommitted edits in the tree are not what gets measured.
func Build(ctx context.Context, root, dir string, fromHEAD bool) (string, error) {
	src := root
	if fromHEAD {
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

// Env is this process's environment without its POLICYSEARCH_* settings,
// plus extra: what a measured process should see.
func Env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "POLICYSEARCH_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// Proc is a running policysearch serve.
type Proc struct {
	Base    string    // http://127.0.0.1:PORT
	Started time.Time // when exec was called
	cmd     *exec.Cmd
	done    chan struct{}
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// Start runs `policysearch serve` on data at a free loopback port, with
// the rate limits off (by default 10 reads/s per client would be what is
// measured) and warnings only in its log at logPath, and returns once it
// has printed its address. env nil means this process's environment.
func Start(bin, data, logPath string, env []string) (*Proc, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--seeds=false",
		"--rate-limit", "0", "--write-rate-limit", "0", "--log-level", "warn", "--log-format", "json")
	cmd.Env = env
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	p := &Proc{cmd: cmd, done: make(chan struct{}), Started: time.Now()}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	go func() { cmd.Wait(); logFile.Close(); close(p.done) }()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			p.Base = m[1]
			go io.Copy(io.Discard, stdout)
			return p, nil
		}
	}
	p.Stop()
	return nil, fmt.Errorf("policysearch serve exited before listening; see %s", logPath)
}

// Stop asks for a graceful shutdown (SIGTERM), kills the process after a
// minute, and says how long it took; 0 if it had already exited.
func (p *Proc) Stop() time.Duration {
	start := time.Now()
	select {
	case <-p.done:
		return 0
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return time.Since(start)
}

// CPU is the server's CPU time so far (user + system), from
// /proc/PID/stat in clock ticks of 10 ms; 0 if it cannot be read.
func (p *Proc) CPU() time.Duration {
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

// Memory is a process's resident memory in bytes, from /proc/PID/status;
// -1 where it could not be read.
type Memory struct {
	RSS, Anon, File, Peak int64
}

// Memory reads the server's resident memory: all of it, anonymous,
// file-backed (mapped index segments and executable), and the peak.
func (p *Proc) Memory() Memory {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return Memory{-1, -1, -1, -1}
	}
	var m Memory
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

// MiB shows a byte count, or "unknown" for -1.
func MiB(n int64) string {
	if n < 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
