package alerts

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"policysearch/egress"
	"policysearch/index"
)

// Webhook request headers.
const (
	// HeaderSignature is "sha256=" and the hex HMAC-SHA256 of the body
	// under the alert's secret.
	HeaderSignature = "X-Policysearch-Signature"
	// HeaderDelivery is the delivery id, the same on every retry, so a
	// receiver can drop a repeat of a delivery it already accepted.
	HeaderDelivery = "X-Policysearch-Delivery"
	HeaderEvent    = "X-Policysearch-Event"
)

// Payload is the JSON body of a webhook delivery.
type Payload struct {
	DeliveryID  string    `json:"delivery_id"`
	AlertID     string    `json:"alert_id"`
	AlertName   string    `json:"alert_name"`
	Document    Doc       `json:"document"`
	Match       Evidence  `json:"match"`
	MatchedAt   time.Time `json:"matched_at"`
	DeliveredAt time.Time `json:"delivered_at"`
	Attempt     int       `json:"attempt"`
}

// Sign is the HeaderSignature value for body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature is body's signature under secret, in
// constant time. Receivers written in Go can use it as it is.
func Verify(secret string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(signature))
}

// parallelSends bounds webhook requests in flight, so one slow receiver
// cannot hold up every other alert's deliveries.
const parallelSends = 4

// sender delivers the outbox: due items first, woken by new items, by
// finished attempts and by the next retry's time.
func (s *Service) sender(ctx context.Context) {
	var mu sync.Mutex
	inflight := map[string]bool{}
	slots := make(chan struct{}, parallelSends)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		mu.Lock()
		items, next, err := s.st.due(time.Now(), 4*parallelSends, func(id string) bool { return inflight[id] })
		for _, it := range items {
			inflight[it.Entry.ID] = true
		}
		mu.Unlock()
		if err != nil {
			s.cfg.Log.Error("alerts: read the outbox", "err", err)
		}
		for _, it := range items {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			s.wg.Go(func() {
				defer func() { <-slots }()
				s.deliver(ctx, it)
				mu.Lock()
				delete(inflight, it.Entry.ID)
				mu.Unlock()
				signal(s.sendWake)
			})
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = max(time.Until(next), time.Millisecond)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-s.sendWake:
		case <-timer.C:
		}
	}
}

// deliver makes one attempt and settles the outcome: delivered, retried
// later (network errors, 408, 429, 5xx), or failed (other answers, or too
// many attempts).
func (s *Service) deliver(ctx context.Context, it outboxItem) {
	target, secret, name, ok := s.st.webhook(it.Entry.AlertID)
	if !ok {
		_ = s.st.settle(it, Delivery{ID: it.Entry.ID, Status: "failed", At: time.Now().UTC(), Error: "the alert has no webhook"}, false)
		return
	}
	it.Attempts++
	e := it.Entry
	body, err := json.Marshal(Payload{DeliveryID: e.ID, AlertID: e.AlertID, AlertName: name, Document: e.Document,
		Match: e.Match, MatchedAt: e.MatchedAt, DeliveredAt: time.Now().UTC(), Attempt: it.Attempts})
	if err != nil {
		s.cfg.Log.Error("alerts: encode webhook payload", "err", err)
		return
	}
	rctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		_ = s.st.settle(it, Delivery{ID: e.ID, Status: "failed", At: time.Now().UTC(), Attempts: it.Attempts, Error: err.Error()}, false)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "policysearch-alerts/1")
	req.Header.Set(HeaderSignature, Sign(secret, body))
	req.Header.Set(HeaderDelivery, e.ID)
	req.Header.Set(HeaderEvent, "alert.match")
	resp, err := s.cfg.Client.Do(req)
	if ctx.Err() != nil {
		return // shutting down: the item stays in the outbox for the next start
	}
	d := Delivery{ID: e.ID, At: time.Now().UTC(), Attempts: it.Attempts}
	retry, wait := false, time.Duration(0)
	switch {
	case err != nil:
		d.Error = err.Error()
		retry = !errors.Is(err, errPrivate)
	default:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		d.HTTPStatus = resp.StatusCode
		switch c := resp.StatusCode; {
		case c >= 200 && c < 300:
		case c == http.StatusTooManyRequests || c == http.StatusRequestTimeout || c >= 500:
			retry, wait = true, retryAfter(resp.Header.Get("Retry-After"))
			d.Error = "the receiver answered " + resp.Status
		default:
			d.Error = "the receiver answered " + resp.Status
		}
	}
	switch {
	case d.Error == "":
		d.Status = "delivered"
	case retry && it.Attempts < s.cfg.MaxAttempts:
		d.Status = "retrying"
		it.NextAt = time.Now().Add(min(max(backoff(s.cfg.BackoffBase, s.cfg.BackoffMax, it.Attempts), wait), s.cfg.BackoffMax))
		it.LastError = d.Error
	default:
		d.Status = "failed"
	}
	if err := s.st.settle(it, d, d.Status == "retrying"); err != nil {
		s.cfg.Log.Error("alerts: record webhook outcome", "delivery", e.ID, "err", err)
	}
	level := s.cfg.Log.Info
	if d.Status != "delivered" {
		level = s.cfg.Log.Warn
	}
	level("alert webhook", "alert", e.AlertID, "delivery", e.ID, "status", d.Status, "attempt", it.Attempts,
		"http_status", d.HTTPStatus, "err", d.Error)
}

// backoff is the delay before retry n (1-based): base doubled per
// attempt, capped, with jitter over its upper half so that receivers
// coming back from an outage are not hit by every sender at once.
func backoff(base, limit time.Duration, n int) time.Duration {
	d := limit
	if n < 40 {
		if b := base << (n - 1); b > 0 && b < limit {
			d = b
		}
	}
	return d/2 + rand.N(d/2+1)
}

// retryAfter reads a Retry-After header given in seconds.
func retryAfter(v string) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return 0
}

var errPrivate = errors.New("the webhook address is a loopback, private or link-local address; start the server with --allow-private-fetch to allow it")

// newClient sends webhooks. Unless private addresses are allowed, it
// checks every address it actually connects to (after DNS, so a name that
// resolves to 127.0.0.1 is refused too) and follows no redirects.
func newClient(allowPrivate bool, timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = func(network, address string, c syscall.RawConn) error {
			if err := egress.Control(network, address, c); err != nil {
				return fmt.Errorf("%w (%v)", errPrivate, err)
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{Proxy: nil, DialContext: d.DialContext, ForceAttemptHTTP2: true,
			TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: timeout, MaxIdleConns: 16, IdleConnTimeout: 90 * time.Second},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// checkWebhookURL validates a webhook address when an alert is created.
// Names are checked again at every connection, after DNS.
func checkWebhookURL(raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	switch {
	case len(raw) > 2048:
		return index.InvalidField("webhook_url", "must be at most 2048 characters")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "":
		return index.InvalidField("webhook_url", "must be an absolute http or https URL")
	case allowPrivate:
		return nil
	}
	if err := egress.CheckHost(u.Hostname()); err != nil {
		return index.InvalidField("webhook_url", "%s (%v)", errPrivate.Error(), err)
	}
	return nil
}
