package server

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// crossSite reports why a write must be refused as coming from another
// site's page, or "" when it may go ahead. It applies when no write key
// is configured: then the only proof of a write is the loopback peer, and
// a browser on this machine is a loopback peer whatever page drives it.
// Browsers name the page in Origin on every cross-origin POST, PUT and
// DELETE, and newer ones say Sec-Fetch-Site; requests without either
// (the CLI, curl, scripts) are not from a page. The page's own forms are
// same-origin, and CORS origins configured on purpose are allowed.
func crossSite(c *gin.Context, d *Deps) string {
	h := c.Request.Header
	switch h.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		if !corsAllowed(d, h.Get("Origin")) {
			return "Sec-Fetch-Site: " + h.Get("Sec-Fetch-Site")
		}
	}
	origin := h.Get("Origin")
	if origin == "" {
		return ""
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" { // "null" from sandboxed frames and files
		return "Origin: " + origin
	}
	if strings.EqualFold(u.Host, c.Request.Host) || corsAllowed(d, origin) {
		return ""
	}
	return "Origin: " + origin
}

func corsAllowed(d *Deps, origin string) bool {
	return origin != "" && origin != "null" && slices.ContainsFunc(d.CORSOrigins, func(o string) bool { return o == "*" || strings.EqualFold(o, origin) })
}

// checkHost answers only requests whose Host header names this server
// (Deps.AllowedHosts), so a DNS-rebinding page, whose requests carry its
// own host name, cannot read or write a server bound to loopback.
func checkHost(d *Deps) gin.HandlerFunc {
	allowed := map[string]bool{}
	for _, h := range d.AllowedHosts {
		allowed[strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]"))] = true
	}
	return func(c *gin.Context) {
		if len(allowed) == 0 || allowed["*"] {
			c.Next()
			return
		}
		host := c.Request.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.ToLower(strings.Trim(host, "[]"))
		if !allowed[host] {
			writeError(c, d.Log, &apiError{status: http.StatusMisdirectedRequest, code: "host_not_allowed",
				msg: "this server does not answer for host " + truncateHost(host) + "; add it to --allowed-hosts (POLICYSEARCH_ALLOWED_HOSTS)"})
			return
		}
		c.Next()
	}
}

func truncateHost(h string) string {
	if len(h) > 100 {
		return h[:100] + "…"
	}
	return h
}
