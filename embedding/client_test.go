package embedding

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"policysearch/embedding/embeddingtest"
)

func startEndpoint(t *testing.T, dims int) *embeddingtest.Server {
	t.Helper()
	srv, err := embeddingtest.Start(dims)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func TestClientEmbeds(t *testing.T) {
	srv := startEndpoint(t, 64)
	c := NewClient(srv.URL(), "test-model", "secret", time.Second)
	vecs, err := c.Embed(context.Background(), []string{"sovereign compute", "tariffs on steel"})
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != 2 || len(vecs[0]) != 64 {
		t.Fatalf("got %d vectors of %d dims", len(vecs), len(vecs[0]))
	}
	var norm float64
	for _, x := range vecs[0] {
		norm += float64(x * x)
	}
	if math.Abs(norm-1) > 1e-5 {
		t.Errorf("vector norm² = %v, want 1", norm)
	}
}

func TestClientClassifiesFaults(t *testing.T) {
	srv := startEndpoint(t, 32)
	srv.Delay = 300 * time.Millisecond
	srv.RetryAfter = 7
	c := NewClient(srv.URL(), "m", "", 100*time.Millisecond)
	cases := []struct {
		fault      embeddingtest.Fault
		retryable  bool
		status     int
		retryAfter time.Duration
	}{
		{embeddingtest.Slow, true, 0, 0},
		{embeddingtest.RateLimit, true, 429, 7 * time.Second},
		{embeddingtest.ServerErr, true, 500, 0},
		{embeddingtest.BadJSON, false, 0, 0},
		{embeddingtest.EmptyData, false, 0, 0},
		{embeddingtest.CountWrong, false, 0, 0},
	}
	for _, tc := range cases {
		srv.SetFault(tc.fault, 1)
		_, err := c.Embed(context.Background(), []string{"a b", "c d"})
		var ee *EndpointError
		if !errors.As(err, &ee) {
			t.Fatalf("fault %d: err = %v, want *EndpointError", tc.fault, err)
		}
		if ee.Retryable != tc.retryable || ee.Status != tc.status || ee.RetryAfter != tc.retryAfter {
			t.Errorf("fault %d: retryable=%v status=%d after=%v (%s); want %v %d %v", tc.fault, ee.Retryable, ee.Status, ee.RetryAfter, ee.Msg, tc.retryable, tc.status, tc.retryAfter)
		}
	}
	srv.Stop()
	_, err := c.Embed(context.Background(), []string{"x"})
	var ee *EndpointError
	if !errors.As(err, &ee) || !ee.Retryable {
		t.Errorf("stopped endpoint: %v, want a retryable connection error", err)
	}
}
