package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// Access rules, by method rather than by a list of routes, so that routes
// added later are covered without anyone remembering to:
//
//   - A write (any method but GET, HEAD and OPTIONS) needs a write key.
//     With no write key configured, writes are taken only from a client on
//     the loopback interface, and refused from anywhere else.
//   - With a read key configured, every other request needs the read key
//     or a write key, except the probes (/healthz, /readyz), the API
//     description and the page's static assets; an alert's Atom feed
//     also opens with that alert's feed token (?token=), since feed
//     readers cannot send headers. /metrics needs the
//     metrics key when one is set, and is otherwise open.
//
// Keys travel as "Authorization: Bearer KEY" and are compared in constant
// time (as SHA-256 digests, so their length does not leak either).

// openPath lists the paths anyone may read, whatever keys are set.
func openPath(path string) bool {
	return path == "/healthz" || path == "/readyz" || path == "/api/openapi.json" || strings.HasPrefix(path, "/static/")
}

func isWrite(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// keyring holds the digests of the configured keys.
type keyring struct {
	write         [][32]byte
	read, metrics [][32]byte
}

func newKeyring(d *Deps) keyring {
	digests := func(keys ...string) [][32]byte {
		var out [][32]byte
		for _, k := range keys {
			if k = strings.TrimSpace(k); k != "" {
				out = append(out, sha256.Sum256([]byte(k)))
			}
		}
		return out
	}
	return keyring{write: digests(d.WriteKeys...), read: digests(d.ReadKey), metrics: digests(d.MetricsKey)}
}

// match reports whether the presented key is one of keys. Every key is
// compared, so the time taken does not say which one matched.
func match(presented string, keys ...[][32]byte) bool {
	h := sha256.Sum256([]byte(presented))
	ok := 0
	for _, set := range keys {
		for _, k := range set {
			ok |= subtle.ConstantTimeCompare(h[:], k[:])
		}
	}
	return ok == 1
}

// bearer returns the key of an "Authorization: Bearer KEY" header.
func bearer(r *http.Request) (string, bool) {
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	key = strings.TrimSpace(key)
	return key, key != ""
}

// ctxReadAllowed marks a request that may read without any other proof:
// reads are open, or it carries a valid key.
const ctxReadAllowed = "read_allowed"

// authorize applies the access rules above.
func authorize(d *Deps) gin.HandlerFunc {
	keys := newKeyring(d)
	trusted := parseNets(d.TrustedProxies)
	return func(c *gin.Context) {
		if c.FullPath() == "" { // no such route: the 404 or 405 answers
			c.Next()
			return
		}
		path := c.Request.URL.Path
		key, hasKey := bearer(c.Request)
		var need [][][32]byte // any of these sets grants access
		switch {
		case isWrite(c.Request.Method):
			if len(keys.write) == 0 {
				if !isLocal(c, trusted) {
					writeError(c, d.Log, &apiError{status: http.StatusForbidden, code: "write_forbidden",
						msg: "writes are accepted from this machine only, because no API key is configured; set POLICYSEARCH_API_KEY (or POLICYSEARCH_API_KEYS_FILE) on the server and send it as \"Authorization: Bearer KEY\""})
					return
				}
				if why := crossSite(c, d); why != "" {
					writeError(c, d.Log, &apiError{status: http.StatusForbidden, code: "cross_site_write",
						msg: "writes from another site's page are refused (" + truncateHost(why) + "); with no API key configured, only same-origin pages and clients that send no Origin may write"})
					return
				}
				c.Next()
				return
			}
			need = [][][32]byte{keys.write}
		case path == "/metrics":
			if len(keys.metrics) == 0 {
				c.Next()
				return
			}
			need = [][][32]byte{keys.metrics, keys.write}
		case openPath(path) || len(keys.read) == 0:
			c.Set(ctxReadAllowed, true)
			c.Next()
			return
		case c.FullPath() == "/alerts/:feed" && c.Query("token") != "":
			if hasKey && match(key, keys.read, keys.write) {
				c.Set(ctxReadAllowed, true)
			}
			c.Next() // without a key, the handler checks the alert's feed token
			return
		default:
			need = [][][32]byte{keys.read, keys.write}
		}
		if hasKey && match(key, need...) {
			c.Set(ctxReadAllowed, true)
			c.Next()
			return
		}
		challenge := `Bearer realm="policysearch"`
		msg := "this request needs an API key, sent as \"Authorization: Bearer KEY\""
		if hasKey {
			challenge += `, error="invalid_token"`
			msg = "the API key is not valid for this request"
		}
		c.Header("WWW-Authenticate", challenge)
		writeError(c, d.Log, &apiError{status: http.StatusUnauthorized, code: "unauthorized", msg: msg})
	}
}

// isLocal reports whether the client is on this machine. It trusts the
// TCP peer address, and forwarding headers only from a trusted proxy: a
// proxy on this machine forwarding for someone else is not local, and
// neither is a client whose forwarded address does not parse
// (forwarded.go).
func isLocal(c *gin.Context, trusted []*net.IPNet) bool {
	return clientOf(c.Request, trusted).local()
}

// parseNets reads proxy addresses and CIDR ranges as gin accepts them;
// server.New has already rejected bad ones through SetTrustedProxies.
func parseNets(list []string) []*net.IPNet {
	var out []*net.IPNet
	for _, s := range list {
		if !strings.Contains(s, "/") {
			if ip := net.ParseIP(s); ip != nil {
				bits := 128
				if ip.To4() != nil {
					ip, bits = ip.To4(), 32
				}
				out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			}
			continue
		}
		if _, n, err := net.ParseCIDR(s); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func contains(nets []*net.IPNet, ip net.IP) bool {
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}
