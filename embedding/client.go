// Package embedding adds meaning-based ranking: it talks to any
// OpenAI-compatible embeddings endpoint, keeps the vectors it returns on
// disk by content, and searches them; index declares what it needs of it.
package embedding

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Client calls one model on one OpenAI-compatible endpoint (OpenAI,
// Ollama, vLLM, llama.cpp server, TEI).
type Client struct {
	oa        *openai.Client
	model     string
	maxTokens int
}

// NewClient makes a client for baseURL (e.g. http://127.0.0.1:11434/v1).
// timeout bounds each request; apiKey may be empty for local servers.
// Inputs are assumed to fit DefaultRemoteMaxTokens; SetMaxTokens changes it.
func NewClient(baseURL, model, apiKey string, timeout time.Duration) *Client {
	cfg := openai.DefaultConfig(apiKey)
	cfg.BaseURL = strings.TrimRight(baseURL, "/")
	cfg.HTTPClient = &hintingDoer{c: &http.Client{Timeout: timeout}}
	return &Client{oa: openai.NewClientWithConfig(cfg), model: model, maxTokens: DefaultRemoteMaxTokens}
}

// SetMaxTokens sets the model's input limit, which the endpoint does not
// report; n <= 0 keeps the default.
func (c *Client) SetMaxTokens(n int) {
	if n > 0 {
		c.maxTokens = n
	}
}

// Model is the model name sent with every request.
func (c *Client) Model() string { return c.model }

// MaxTokens is the configured input limit of the remote model.
func (c *Client) MaxTokens() int { return c.maxTokens }

// CountTokens estimates the remote model's count (ApproxTokens).
func (c *Client) CountTokens(text string) int { return ApproxTokens(text) }

// EndpointError is a failed call to the embeddings endpoint, classified
// so callers know whether to retry and when.
type EndpointError struct {
	Status     int           // HTTP status, 0 when no response came
	Retryable  bool          // a timeout, 429, 5xx or refused connection
	RetryAfter time.Duration // the server's Retry-After, when it sent one
	Msg        string
	Err        error
}

func (e *EndpointError) Error() string { return e.Msg }
func (e *EndpointError) Unwrap() error { return e.Err }

// Embed returns one unit-length vector per input, in input order. Any
// response that does not fit the request (count, dimensions, empty or
// non-finite vectors) is an error: a bad vector must never reach the store.
func (c *Client) Embed(ctx context.Context, inputs []string) ([][]float32, error) {
	hint := &retryHint{}
	ctx = context.WithValue(ctx, hintKey{}, hint)
	res, err := c.oa.CreateEmbeddings(ctx, openai.EmbeddingRequestStrings{Input: inputs, Model: openai.EmbeddingModel(c.model)})
	if err != nil {
		return nil, classify(err, hint.after, hint.status)
	}
	if len(res.Data) != len(inputs) {
		return nil, &EndpointError{Msg: fmt.Sprintf("endpoint returned %d vectors for %d inputs", len(res.Data), len(inputs))}
	}
	out := make([][]float32, len(inputs))
	dims := 0
	for _, d := range res.Data {
		if d.Index < 0 || d.Index >= len(inputs) || out[d.Index] != nil {
			return nil, &EndpointError{Msg: fmt.Sprintf("endpoint returned a vector with bad index %d", d.Index)}
		}
		if len(d.Embedding) == 0 {
			return nil, &EndpointError{Msg: "endpoint returned an empty vector"}
		}
		if dims == 0 {
			dims = len(d.Embedding)
		} else if len(d.Embedding) != dims {
			return nil, &EndpointError{Msg: fmt.Sprintf("endpoint returned vectors of mixed dimensions (%d and %d)", dims, len(d.Embedding))}
		}
		v, ok := normalize(d.Embedding)
		if !ok {
			return nil, &EndpointError{Msg: "endpoint returned a zero or non-finite vector"}
		}
		out[d.Index] = v
	}
	return out, nil
}

func normalize(v []float32) ([]float32, bool) {
	var sum float64
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, false
		}
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		return nil, false
	}
	inv := float32(1 / math.Sqrt(sum))
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x * inv
	}
	return out, true
}

// classify turns go-openai and transport errors into EndpointErrors.
// status is the HTTP status the transport saw, 0 when none.
func classify(err error, after time.Duration, status int) *EndpointError {
	e := &EndpointError{Err: err, RetryAfter: after}
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	var netErr net.Error
	switch {
	case errors.As(err, &apiErr):
		e.Status = cmp.Or(apiErr.HTTPStatusCode, status)
		e.Msg = fmt.Sprintf("endpoint answered %d: %s", e.Status, firstLine(apiErr.Message))
	case errors.As(err, &reqErr):
		e.Status = cmp.Or(reqErr.HTTPStatusCode, status)
		e.Msg = fmt.Sprintf("endpoint answered %d", e.Status)
	case status >= 400: // an error body go-openai could not decode
		e.Status = status
		e.Msg = fmt.Sprintf("endpoint answered %d: %s", e.Status, firstLine(err.Error()))
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		e.Msg, e.Retryable = "endpoint timed out", true
		return e
	case errors.Is(err, context.Canceled):
		e.Msg = "request cancelled"
		return e
	case isConnError(err):
		e.Msg, e.Retryable = "cannot reach endpoint: "+firstLine(err.Error()), true
		return e
	default:
		e.Msg = "bad response from endpoint: " + firstLine(err.Error())
		return e
	}
	e.Retryable = e.Status == http.StatusTooManyRequests || e.Status == http.StatusRequestTimeout || e.Status >= 500
	return e
}

// isConnError reports a transport failure: refused, reset, or a pooled
// connection the server closed; all worth retrying.
func isConnError(err error) bool {
	var op *net.OpError
	var ue *url.Error
	return errors.As(err, &op) || errors.As(err, &ue)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// hintingDoer records a Retry-After header in the request's context, which
// go-openai's error values do not carry.
type hintingDoer struct{ c *http.Client }

type hintKey struct{}

// retryHint carries what the transport saw of a failed answer: its
// Retry-After and its status, which decides retrying whatever the body
// says (go-openai reports status 0 for a body it cannot read, such as
// TEI's {"error":"down"}).
type retryHint struct {
	after  time.Duration
	status int
}

func (h *hintingDoer) Do(req *http.Request) (*http.Response, error) {
	res, err := h.c.Do(req)
	if err == nil && res.StatusCode >= 400 {
		if hint, ok := req.Context().Value(hintKey{}).(*retryHint); ok {
			hint.after = parseRetryAfter(res.Header.Get("Retry-After"), time.Now())
			hint.status = res.StatusCode
		}
	}
	return res, err
}

func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
