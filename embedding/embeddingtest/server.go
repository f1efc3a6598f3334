// Package embeddingtest runs a real OpenAI-compatible embeddings server on
// loopback for tests and benchmarks, with switchable faults; its vectors
// are hashed word stems, so similar texts really are near each other.
package embeddingtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"

	porter "github.com/blevesearch/go-porterstemmer"
)

// Fault is a failure the server can inject.
type Fault int

const (
	None       Fault = iota
	Slow             // waits Delay before answering
	RateLimit        // 429 with Retry-After: RetryAfter seconds
	ServerErr        // 500
	BadJSON          // 200 with a truncated body
	WrongDims        // 200 with vectors of Dims+7 dimensions
	EmptyData        // 200 with no vectors
	CountWrong       // 200 with one vector fewer than inputs
)

// Server is a loopback embeddings endpoint that can be stopped and started
// again on the same address, to simulate an outage.
type Server struct {
	Dims       int
	Delay      time.Duration
	RetryAfter int

	mu         sync.Mutex
	addr       string
	srv        *http.Server
	fault      Fault
	faultLeft  int // requests the fault still applies to; <0 = until cleared
	requests   int
	inputs     int
	batchSizes []int
	models     map[string]int
}

// Start listens on a free loopback port.
func Start(dims int) (*Server, error) {
	s := &Server{Dims: dims, RetryAfter: 1, Delay: 5 * time.Second, models: map[string]int{}}
	return s, s.listen("127.0.0.1:0")
}

func (s *Server) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.addr = ln.Addr().String()
	s.srv = &http.Server{Handler: http.HandlerFunc(s.handle), ReadHeaderTimeout: 5 * time.Second}
	srv := s.srv
	s.mu.Unlock()
	go srv.Serve(ln)
	return nil
}

// URL is the base URL to configure: http://127.0.0.1:PORT/v1.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "http://" + s.addr + "/v1"
}

// Stop closes the listener: clients now get "connection refused".
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Restart listens again on the same address after Stop.
func (s *Server) Restart() error {
	var err error
	for range 50 { // the old socket may linger for a moment
		if err = s.listen(s.addr); err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// Close stops the server for good.
func (s *Server) Close() { s.Stop() }

// SetFault makes the next n requests fail with f (n < 0: until cleared).
func (s *Server) SetFault(f Fault, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault, s.faultLeft = f, n
}

// Requests, Inputs and BatchSizes report what the server has received.
func (s *Server) Requests() int { s.mu.Lock(); defer s.mu.Unlock(); return s.requests }
func (s *Server) Inputs() int   { s.mu.Lock(); defer s.mu.Unlock(); return s.inputs }
func (s *Server) BatchSizes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.batchSizes...)
}

type request struct {
	Input any    `json:"input"`
	Model string `json:"model"`
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/embeddings") {
		http.Error(w, `{"error":{"message":"not found"}}`, http.StatusNotFound)
		return
	}
	var req request
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
		return
	}
	inputs, err := asStrings(req.Input)
	if err != nil || req.Model == "" {
		http.Error(w, `{"error":{"message":"input must be a string or list of strings, model is required"}}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests++
	fault := s.fault
	if s.faultLeft > 0 {
		s.faultLeft--
		if s.faultLeft == 0 {
			s.fault = None
		}
	}
	if fault == None || fault == Slow {
		s.inputs += len(inputs)
		s.batchSizes = append(s.batchSizes, len(inputs))
	}
	delay, retryAfter, dims := s.Delay, s.RetryAfter, s.Dims
	s.mu.Unlock()

	switch fault {
	case Slow:
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	case RateLimit:
		w.Header().Set("Retry-After", fmt.Sprint(retryAfter))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"error":{"message":"rate limited","type":"rate_limit"}}`))
		return
	case ServerErr:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"error":{"message":"model crashed","type":"server_error"}}`))
		return
	case BadJSON:
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"object":"list","data":[{"object":"embedding","embedding":[0.1,`))
		return
	case WrongDims:
		dims += 7
	}
	type item struct {
		Object    string    `json:"object"`
		Embedding []float32 `json:"embedding"`
		Index     int       `json:"index"`
	}
	data := []item{}
	if fault != EmptyData {
		for i, in := range inputs {
			if fault == CountWrong && i == len(inputs)-1 {
				break
			}
			data = append(data, item{"embedding", Vector(in, dims), i})
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req.Model,
		"usage": map[string]int{"prompt_tokens": len(inputs), "total_tokens": len(inputs)}})
}

func asStrings(v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, len(v))
		for i, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, errors.New("not a string")
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, errors.New("bad input")
}

var stop = map[string]bool{"the": true, "a": true, "an": true, "and": true, "or": true, "of": true, "to": true, "in": true,
	"on": true, "for": true, "is": true, "are": true, "be": true, "by": true, "with": true, "that": true, "this": true,
	"it": true, "as": true, "at": true, "from": true, "we": true, "our": true, "their": true, "its": true, "not": true}

// Vector embeds text as signed hashed word stems, normalised: texts that
// share stems point the same way, which is enough lexical signal to test
// ranking without a model.
func Vector(text string, dims int) []float32 {
	v := make([]float32, dims)
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if stop[w] || len(w) < 2 {
			continue
		}
		stem := porter.StemString(w)
		h := fnv.New64a()
		h.Write([]byte(stem))
		x := h.Sum64()
		sign := float32(1)
		if x>>63 == 1 {
			sign = -1
		}
		v[x%uint64(dims)] += sign
	}
	var sum float64
	for _, x := range v {
		sum += float64(x * x)
	}
	if sum == 0 {
		v[0] = 1 // empty text still gets a valid vector
		return v
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
	return v
}
