// Package natstest runs real nats-server processes on loopback for tests:
// one JetStream server, or a cluster of them, each killable with -9 and
// restartable on its own ports and store directory.
package natstest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binary finds nats-server. Without it the test is skipped, or fails when
// CI=true: CI installs it (.ci/run), so a missing one there is a fault.
func Binary(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("nats-server is not installed, and CI=true: .ci/run should have installed it")
		}
		t.Skip("nats-server is not installed (apt-get install nats-server); skipping the cluster test")
	}
	return bin
}

// Server is one nats-server process with fixed ports and store.
type Server struct {
	Name        string
	Port        int // client port
	ClusterPort int // route port; 0 for a lone server
	HTTPPort    int // monitoring
	Dir         string
	conf        string
	bin         string
	t           testing.TB

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Cluster is a set of servers routed to each other.
type Cluster struct {
	Servers []*Server
}

// Start runs n servers (n=1: a lone JetStream server, else a cluster) and
// waits until each accepts clients. They are killed when the test ends.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	bin := Binary(t)
	root := t.TempDir()
	syncAlways := supportsSyncInterval(bin)
	c := &Cluster{}
	for i := range n {
		s := &Server{Name: fmt.Sprintf("nats-%d", i+1), Port: freePort(t), HTTPPort: freePort(t), bin: bin, t: t}
		if n > 1 {
			s.ClusterPort = freePort(t)
		}
		s.Dir = filepath.Join(root, s.Name)
		c.Servers = append(c.Servers, s)
	}
	for _, s := range c.Servers {
		var b strings.Builder
		fmt.Fprintf(&b, "server_name: %s\nlisten: 127.0.0.1:%d\nhttp: 127.0.0.1:%d\n", s.Name, s.Port, s.HTTPPort)
		fmt.Fprintf(&b, "jetstream {\n  store_dir: %q\n", s.Dir)
		if syncAlways {
			b.WriteString("  sync_interval: always\n")
		}
		b.WriteString("}\n")
		if n > 1 {
			fmt.Fprintf(&b, "cluster {\n  name: policysearch\n  listen: 127.0.0.1:%d\n  routes: [\n", s.ClusterPort)
			for _, o := range c.Servers {
				if o != s {
					fmt.Fprintf(&b, "    nats-route://127.0.0.1:%d\n", o.ClusterPort)
				}
			}
			b.WriteString("  ]\n}\n")
		}
		s.conf = filepath.Join(root, s.Name+".conf")
		if err := os.WriteFile(s.conf, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range c.Servers {
		s.Start()
	}
	t.Cleanup(func() {
		for _, s := range c.Servers {
			s.Kill()
		}
	})
	return c
}

// URLs are the servers' client URLs.
func (c *Cluster) URLs() []string {
	var us []string
	for _, s := range c.Servers {
		us = append(us, s.URL())
	}
	return us
}

// Server returns the server named name, or nil.
func (c *Cluster) Server(name string) *Server {
	for _, s := range c.Servers {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// URL is the server's client URL.
func (s *Server) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.Port) }

// Start runs the server (again) and waits until it answers its health
// check, up to 20 s.
func (s *Server) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return
	}
	logf, err := os.OpenFile(filepath.Join(filepath.Dir(s.conf), s.Name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(s.bin, "-c", s.conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		s.t.Fatalf("start %s: %v", s.Name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	s.cmd, s.done = cmd, done
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		if s.answers() {
			return
		}
		select {
		case <-done:
			s.t.Fatalf("%s exited at start; see %s.log", s.Name, s.Name)
		case <-ctx.Done():
			s.t.Fatalf("%s did not accept clients within 20s", s.Name)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// answers reports whether this server, not another process that took one
// of its ports between freePort and the bind, is up: its monitoring
// endpoint names it and its client port.
func (s *Server) answers() bool {
	hc := &http.Client{Timeout: 500 * time.Millisecond}
	resp, err := hc.Get(fmt.Sprintf("http://127.0.0.1:%d/varz", s.HTTPPort))
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var v struct {
		Name string `json:"server_name"`
		Port int    `json:"port"`
	}
	if json.NewDecoder(resp.Body).Decode(&v) != nil || v.Name != s.Name || v.Port != s.Port {
		return false
	}
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port), 200*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// Kill ends the server with SIGKILL, as a crash would, and waits for it.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	s.cmd, s.done = nil, nil
}

// Healthy asks the server's monitoring endpoint whether JetStream is up.
func (s *Server) Healthy() bool {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", s.HTTPPort))
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before the server binds it; on loopback in a test that is rare.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// supportsSyncInterval reports whether the server takes sync_interval
// (2.10 and later): then every write is fsynced before it is acknowledged.
func supportsSyncInterval(bin string) bool {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return false
	}
	m := regexp.MustCompile(`v(\d+)\.(\d+)`).FindStringSubmatch(string(out))
	if m == nil {
		return false
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	return major > 2 || (major == 2 && minor >= 10)
}
