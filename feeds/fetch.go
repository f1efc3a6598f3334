package feeds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"policysearch/egress"
)

// ErrPrivateAddress is wrapped by fetches refused because the host is (or
// resolves to) a private, loopback, link-local or otherwise internal
// address, and AllowPrivate is off.
var ErrPrivateAddress = errors.New("private address")

// guardDial runs after DNS resolution, on the address actually dialled,
// so a name that resolves (or rebinds) to an internal address is refused
// as surely as a literal one (egress decides what is internal).
func guardDial(network, address string, c syscall.RawConn) error {
	if err := egress.Control(network, address, c); err != nil {
		return fmt.Errorf("%w: %v (start with --allow-private-fetch to allow)", ErrPrivateAddress, err)
	}
	return nil
}

// checkURL accepts absolute http(s) URLs. Without allowPrivate it also
// refuses hosts that are internal at face value (literal special-purpose
// addresses, localhost, numeric hosts in non-canonical spellings); names
// resolving to internal addresses are refused when dialled.
func checkURL(raw string, allowPrivate bool) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("must be an absolute http or https URL")
	}
	if u.User != nil {
		return nil, errors.New("must not carry a user name or password")
	}
	if allowPrivate {
		return u, nil
	}
	if err := egress.CheckHost(u.Hostname()); err != nil {
		return nil, fmt.Errorf("%w: %v (start with --allow-private-fetch to allow)", ErrPrivateAddress, err)
	}
	return u, nil
}

// newClient builds the one HTTP client of the feed reader: a timeout per
// request, no proxy from the environment (it would dial for us, past the
// guard), at most 5 redirects and only to http(s), and the address guard
// unless private fetches are allowed.
func newClient(cfg Config) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !cfg.AllowPrivate {
		d.Control = guardDial
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          32,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if _, err := checkURL(req.URL.String(), cfg.AllowPrivate); err != nil {
				return fmt.Errorf("redirect to %s: %w", req.URL.Redacted(), err)
			}
			return nil
		},
	}
}

// hostLocks allow one request at a time per host, so a feed with fifty
// new items does not hit its publisher with fifty parallel requests.
type hostLocks struct {
	locks chan map[string]chan struct{}
}

func newHostLocks() *hostLocks {
	h := &hostLocks{locks: make(chan map[string]chan struct{}, 1)}
	h.locks <- map[string]chan struct{}{}
	return h
}

// acquire waits for host's slot; release it with the returned func.
func (h *hostLocks) acquire(ctx context.Context, host string) (func(), error) {
	m := <-h.locks
	ch, ok := m[host]
	if !ok {
		ch = make(chan struct{}, 1)
		m[host] = ch
	}
	h.locks <- m
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// response is a fetched body with what conditional GET needs.
type response struct {
	status       int
	body         []byte
	contentType  string
	etag         string
	lastModified string
	finalURL     string
	retryAfter   time.Duration
}

// fetch GETs u politely: the host's slot, the identifying User-Agent,
// conditional headers when given, and at most limit bytes of body. A
// body over the limit is an error rather than a silent cut.
func (s *Service) fetch(ctx context.Context, u *url.URL, accept, etag, lastModified string, limit int64) (*response, error) {
	release, err := s.hosts.acquire(ctx, u.Host)
	if err != nil {
		return nil, err
	}
	defer release()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", s.cfg.UserAgent)
	req.Header.Set("Accept", accept)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, cleanErr(err)
	}
	defer resp.Body.Close()
	r := &response{
		status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"),
		etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified"),
		finalURL: resp.Request.URL.String(), retryAfter: retryAfter(resp.Header.Get("Retry-After")),
	}
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
		return r, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", u.Redacted(), cleanErr(err))
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%s is larger than %d KiB", u.Redacted(), limit>>10)
	}
	r.body = body
	return r, nil
}

// cleanErr unwraps *url.Error's "Get \"…\": " prefix when the cause is
// ours (the address guard), so status lines read plainly.
func cleanErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && errors.Is(err, ErrPrivateAddress) {
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			return fmt.Errorf("refused to fetch %s: %w", ue.URL, op.Err)
		}
	}
	return err
}

// retryAfter reads a Retry-After header in seconds or as an HTTP date.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var secs int
	if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}
