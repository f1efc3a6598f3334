// Package egress decides which addresses the server may connect to on a
// user's behalf (feeds, articles, webhooks): public internet addresses
// only, unless private fetches are allowed. It refuses every IANA
// special-purpose range, IPv4 embedded in IPv6 (mapped, compatible,
// NAT64, 6to4, Teredo), and numeric hosts in any spelling but the
// canonical dotted quad, which resolvers would read as an address
// ("2130706433", "0x7f.1", "017700000001", "127.1" are all 127.0.0.1).
package egress

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
)

// ErrRefused is wrapped by every refusal.
var ErrRefused = errors.New("not a public address")

// special are the IANA IPv4 and IPv6 special-purpose address registries
// (RFC 6890 and updates), multicast, and the IPv6 ranges that embed an
// IPv4 address (which would smuggle one past an IPv4 check).
var special = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		// IPv4 special-purpose registry, multicast, reserved, broadcast
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24",
		"192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
		// IPv6 special-purpose registry
		"::/128", "::1/128", "::ffff:0:0/96", "::/96", "64:ff9b::/96", "64:ff9b:1::/48",
		"100::/64", "100:0:0:1::/64", "2001::/23", "2001:db8::/32", "2002::/16",
		"2620:4f:8000::/48", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// Why says why a must not be connected to, or "" when it is a public
// address. IPv6 outside 2000::/3 (global unicast) is refused as a whole.
func Why(a netip.Addr) string {
	if !a.IsValid() {
		return "not an address"
	}
	if a.Zone() != "" {
		return "a scoped address"
	}
	for _, p := range special {
		if p.Contains(a) {
			return "in the special-purpose range " + p.String()
		}
	}
	if a.Is6() && !globalUnicast6.Contains(a) {
		return "outside the IPv6 global unicast range 2000::/3"
	}
	return ""
}

// CheckHost refuses a URL host that is not public at face value: the
// local machine's names, a literal special-purpose address, or a numeric
// host in a non-canonical spelling. Other names pass; Control checks
// what they resolve to when dialled.
func CheckHost(host string) error {
	h := strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return fmt.Errorf("%w: %s is the local machine", ErrRefused, host)
	}
	if a, err := netip.ParseAddr(h); err == nil {
		if why := Why(a); why != "" {
			return fmt.Errorf("%w: %s is %s", ErrRefused, host, why)
		}
		return nil
	}
	if numericHost(h) {
		return fmt.Errorf("%w: %s is a numeric host but not a dotted-quad IPv4 address (resolvers read such spellings as addresses)", ErrRefused, host)
	}
	return nil
}

// numericHost reports whether a host's last label is a number (decimal,
// octal or 0x hex), which makes URL parsers and resolvers treat the whole
// host as an IPv4 address (WHATWG URL "ends in a number"; inet_aton).
func numericHost(h string) bool {
	labels := strings.Split(h, ".")
	last := labels[len(labels)-1]
	if last == "" && len(labels) > 1 {
		last = labels[len(labels)-2]
	}
	if last == "" {
		return false
	}
	if rest, ok := strings.CutPrefix(last, "0x"); ok {
		return strings.Trim(rest, "0123456789abcdef") == ""
	}
	return strings.Trim(last, "0123456789") == ""
}

// Control is a net.Dialer Control function: it runs after DNS, on the
// address actually dialled, so a name that resolves (or rebinds) to a
// special-purpose address is refused as surely as a literal one.
func Control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: refusing to dial %s: not an IP address", ErrRefused, address)
	}
	if why := Why(a); why != "" {
		return fmt.Errorf("%w: %s is %s", ErrRefused, a, why)
	}
	return nil
}
