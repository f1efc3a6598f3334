package server

import (
	"net/http/httptest"
	"testing"
)

func TestClientOf(t *testing.T) {
	trusted := parseNets([]string{"127.0.0.1", "10.9.0.0/16"})
	cases := []struct {
		name, peer string
		header     map[string]string
		want       string // the client address, "" when unknown
		local      bool
	}{
		{"loopback peer, no headers", "127.0.0.1:1", nil, "127.0.0.1", true},
		{"untrusted loopback proxy forwarding", "[::1]:1", map[string]string{"X-Forwarded-For": "203.0.113.9"}, "::1", false},
		{"trusted proxy, X-Forwarded-For garbage", "127.0.0.1:1", map[string]string{"X-Forwarded-For": "garbage"}, "", false},
		{"trusted proxy, non-canonical IPv4", "127.0.0.1:1", map[string]string{"X-Forwarded-For": "0x7f.1"}, "", false},
		{"trusted proxy, Forwarded for", "127.0.0.1:1", map[string]string{"Forwarded": "for=10.1.2.3"}, "10.1.2.3", false},
		{"trusted proxy, Forwarded for loopback", "127.0.0.1:1", map[string]string{"Forwarded": `for="[::1]:4711"`}, "::1", true},
		{"Forwarded wins over X-Forwarded-For", "127.0.0.1:1", map[string]string{"Forwarded": "for=198.51.100.4", "X-Forwarded-For": "127.0.0.1"}, "198.51.100.4", false},
		{"Forwarded unknown", "127.0.0.1:1", map[string]string{"Forwarded": "for=unknown"}, "", false},
		{"Forwarded obfuscated", "127.0.0.1:1", map[string]string{"Forwarded": "for=_hidden"}, "", false},
		{"Forwarded chain through a trusted proxy", "127.0.0.1:1",
			map[string]string{"Forwarded": `for=192.0.2.60;proto=http;by=203.0.113.43, for="10.9.1.1:80"`}, "192.0.2.60", false},
		{"X-Forwarded-For chain", "10.9.3.3:1", map[string]string{"X-Forwarded-For": "198.51.100.1, 203.0.113.5, 10.9.2.2"}, "203.0.113.5", false},
		{"X-Real-IP", "127.0.0.1:1", map[string]string{"X-Real-Ip": "203.0.113.6"}, "203.0.113.6", false},
		{"untrusted peer's headers are ignored", "203.0.113.7:1", map[string]string{"X-Forwarded-For": "127.0.0.1"}, "203.0.113.7", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.peer
			for k, v := range c.header {
				r.Header.Set(k, v)
			}
			got := clientOf(r, trusted)
			addr := ""
			if got.known {
				addr = got.addr.String()
			}
			if addr != c.want || got.local() != c.local {
				t.Errorf("client %q local %v, want %q local %v", addr, got.local(), c.want, c.local)
			}
		})
	}
}

// TestMalformedForwardedIsNotLocal: with no key, a write through a
// trusted proxy on this machine that forwards garbage is refused.
func TestMalformedForwardedIsNotLocal(t *testing.T) {
	h := accessServer(t, Deps{TrustedProxies: []string{"127.0.0.1"}})
	put := request{method: "PUT", target: "/api/documents/b", body: docBody, remote: "127.0.0.1:9"}
	for _, hdr := range []map[string]string{
		{"X-Forwarded-For": "garbage"},
		{"Forwarded": "for=10.1.2.3"},
		{"Forwarded": "for=unknown"},
	} {
		put.header = hdr
		checkStatus(t, "write forwarded as "+hdr["X-Forwarded-For"]+hdr["Forwarded"], send(h, put), 403, "write_forbidden")
	}
	put.header = map[string]string{"Forwarded": "for=127.0.0.1"}
	if rec := send(h, put); rec.Code >= 300 {
		t.Errorf("a write forwarded for 127.0.0.1 by the trusted proxy: %d %s", rec.Code, rec.Body)
	}
}
