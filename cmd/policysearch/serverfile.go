package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
)

// serverAddrFile, in the data directory beside the store's lock, holds the
// address of the server that holds the lock, so the CLI's one-shot commands
// find a server started on any port without repeating --addr.
const serverAddrFile = "server.addr"

// recordServerAddr writes the address a client should dial (an unspecified
// listen host becomes loopback) and returns a function that removes the
// record again if it is still this server's.
func recordServerAddr(data string, ln net.Addr) (func(), error) {
	addr := dialAddr(ln.String())
	path := filepath.Join(data, serverAddrFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(addr+"\n"), 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	return func() {
		if got, _ := readServerAddr(data); got == addr {
			os.Remove(path)
		}
	}, nil
}

// readServerAddr returns the recorded address, or "" when none is recorded.
func readServerAddr(data string) (string, error) {
	b, err := os.ReadFile(filepath.Join(data, serverAddrFile))
	if err != nil {
		if os.IsNotExist(err) {
			return "", nil
		}
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// dialAddr turns a listen address into one a client on this machine can
// dial: 0.0.0.0 and [::] mean "every interface", loopback among them.
func dialAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
