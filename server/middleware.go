package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"policysearch/metrics"
)

const ctxRequestID = "request_id"

// requestID tags each request with an id, echoed in X-Request-Id, so a
// user's report can be matched with the log line. A well-formed incoming
// id (from a proxy) is kept.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-Id")
		if len(id) == 0 || len(id) > 64 || !printable(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(ctxRequestID, id)
		c.Header("X-Request-Id", id)
		c.Next()
	}
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// logRequests writes one line per request.
func logRequests(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		log.Info("request",
			"method", c.Request.Method,
			"route", routeLabel(c),
			"path", c.Request.URL.Path,
			"status", c.Writer.Status(),
			"bytes", c.Writer.Size(),
			"duration_ms", float64(time.Since(start).Microseconds())/1000,
			"client", c.ClientIP(),
			"request_id", c.GetString(ctxRequestID),
		)
	}
}

// recoverJSON turns a panic into a logged 500 with the JSON error body
// instead of a dropped connection.
func recoverJSON(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				writeError(c, log, fmt.Errorf("panic: %v", r))
			}
		}()
		c.Next()
	}
}

// securityHeaders applies to every response: documents come from the
// outside world, so the page must not run anything they smuggle in.
func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		c.Next()
	}
}

// countRequests feeds the HTTP series: by route template, so document
// ids do not become labels; requests matching no route are "unmatched".
func countRequests(m *metrics.Registry) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		m.ObserveHTTP(c.Request.Method, routeLabel(c), c.Writer.Status(), time.Since(start))
	}
}

// routeLabel names a request's route by its template, or "unmatched".
func routeLabel(c *gin.Context) string {
	if route := c.FullPath(); route != "" {
		return route
	}
	return "unmatched"
}
