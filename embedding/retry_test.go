package embedding

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestRetryByStatus replays "embeddings retries": a 503 or 429 whose body
// is TEI's {"error":"down"}, which go-openai cannot read, is still
// classified by its status, so it is retried; a 400 in that shape is not.
func TestRetryByStatus(t *testing.T) {
	tests := []struct {
		status    int
		body      string
		retryable bool
	}{
		{503, `{"error":"down"}`, true},
		{429, `{"error":"overloaded","error_type":"overloaded"}`, true},
		{502, `<html>bad gateway</html>`, true},
		{400, `{"error":"input too long"}`, false},
	}
	for _, tt := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(tt.status)
			w.Write([]byte(tt.body))
		}))
		c := NewClient(srv.URL+"/v1", "m", "", time.Second)
		_, err := c.Embed(context.Background(), []string{"x"})
		srv.Close()
		var e *EndpointError
		if !errors.As(err, &e) {
			t.Fatalf("%d %s: error %v is not an EndpointError", tt.status, tt.body, err)
		}
		if e.Status != tt.status || e.Retryable != tt.retryable {
			t.Errorf("%d %s: got status %d retryable %v (%s), want %d %v", tt.status, tt.body, e.Status, e.Retryable, e.Msg, tt.status, tt.retryable)
		}
	}
}
