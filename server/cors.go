package server

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// allowCORS lets pages from the configured origins call the JSON API from
// a browser. It is off unless origins are configured ("*" allows any
// origin). Only /api/ is shared: the page and its assets stay same-origin.
// Credentials (cookies) are never allowed; an API key travels in the
// Authorization header, which a cross-origin caller may send.
func allowCORS(d *Deps) gin.HandlerFunc {
	anyOrigin := slices.Contains(d.CORSOrigins, "*")
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		if len(d.CORSOrigins) == 0 || origin == "" || !strings.HasPrefix(c.Request.URL.Path, "/api/") {
			c.Next()
			return
		}
		h := c.Writer.Header()
		h.Add("Vary", "Origin")
		if !anyOrigin && !slices.Contains(d.CORSOrigins, origin) {
			c.Next() // no CORS headers: the browser withholds the answer
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After, WWW-Authenticate")
		if c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Max-Age", "600")
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		c.Next()
	}
}
