package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Who the client is. Behind proxies listed in --trusted-proxies, the
// client is named by the proxies' forwarding headers: Forwarded (RFC
// 7239, its for= parameters) when present, else X-Forwarded-For, else
// X-Real-IP. The chain is read from the right, skipping trusted proxies;
// the first other address is the client. An address that does not parse
// strictly ("garbage", "unknown", an obfuscated "_node", a non-canonical
// IPv4 spelling) makes the client unknown: never local, and rate-limited
// as one client per proxy. gin's ClientIP falls back to the peer then,
// which made "X-Forwarded-For: garbage" from a local proxy count as local.

// client is the result of clientOf.
type client struct {
	addr      netip.Addr
	known     bool // false: a trusted proxy forwarded an unparsable address
	forwarded bool // a forwarding header was sent (trusted or not)
	trusted   bool // the peer is a trusted proxy
}

// clientOf works out the client of r.
func clientOf(r *http.Request, trusted []*net.IPNet) client {
	var c client
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return c
	}
	c.addr, c.known = peer.Addr().Unmap(), true
	h := r.Header
	chain := forwardedFor(h.Values("Forwarded"))
	if len(chain) == 0 {
		chain = splitList(h.Values("X-Forwarded-For"))
	}
	if len(chain) == 0 {
		chain = splitList(h.Values("X-Real-Ip"))
	}
	c.forwarded = len(chain) > 0
	c.trusted = contains(trusted, net.IP(c.addr.AsSlice()))
	if !c.trusted || !c.forwarded {
		return c
	}
	for i := len(chain) - 1; i >= 0; i-- {
		a, ok := parseNode(chain[i])
		if !ok {
			c.known = false
			return c
		}
		c.addr = a
		if !contains(trusted, net.IP(a.AsSlice())) {
			break
		}
	}
	return c
}

// local reports whether the client is on this machine: a loopback peer
// forwarding for no one, or a loopback address named by trusted proxies.
func (c client) local() bool {
	if !c.known || (c.forwarded && !c.trusted) {
		return false
	}
	return c.addr.IsLoopback()
}

// key is the client's rate-limit identity.
func (c client) key() string {
	if !c.known {
		return "unknown-forwarded-client"
	}
	return clientKey(c.addr.String())
}

// forwardedFor returns the for= nodes of Forwarded header values, in
// order: elements are separated by commas, pairs by semicolons, and a
// value may be a quoted string.
func forwardedFor(values []string) []string {
	var out []string
	for _, v := range values {
		for _, elem := range splitOutsideQuotes(v, ',') {
			for _, pair := range splitOutsideQuotes(elem, ';') {
				name, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(name), "for") {
					continue
				}
				val = strings.TrimSpace(val)
				if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
					val = strings.ReplaceAll(val[1:len(val)-1], `\`, "")
				}
				out = append(out, val)
			}
		}
	}
	return out
}

func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(p))
		}
	}
	return out
}

// parseNode parses a forwarded node: an IPv4 address, a bracketed IPv6
// one, either with a port, or a bare IPv6 address (X-Forwarded-For).
// Only canonical spellings parse (netip is strict).
func parseNode(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
