package server

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"policysearch/index"
)

// RateLimit is a token bucket per client: Rate requests a second on
// average, bursts of up to Burst. A zero Rate turns it off.
type RateLimit struct {
	Rate  float64
	Burst int
}

func (l RateLimit) on() bool { return l.Rate > 0 }

// maxClients bounds the buckets kept; past it, idle clients are dropped
// (and, under a flood of distinct addresses, the least recently seen).
const maxClients = 10000

// buckets are the token buckets of one class of requests, per client.
type buckets struct {
	limit rate.Limit
	burst int
	idle  time.Duration // a bucket untouched this long is full again: dropping it loses nothing

	mu      sync.Mutex
	clients map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newBuckets(l RateLimit) *buckets {
	burst := max(l.Burst, 1)
	idle := time.Duration(float64(burst) / l.Rate * float64(time.Second))
	return &buckets{limit: rate.Limit(l.Rate), burst: burst, idle: max(idle, time.Minute), clients: map[string]*bucket{}}
}

// take spends n tokens of client's bucket (at most the burst); when
// there are not enough it says how long until there will be.
func (b *buckets) take(client string, n int, now time.Time) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.clients[client]
	if c == nil {
		if len(b.clients) >= maxClients {
			b.evict(now)
		}
		c = &bucket{lim: rate.NewLimiter(b.limit, b.burst)}
		b.clients[client] = c
	}
	c.seen = now
	r := c.lim.ReserveN(now, min(max(n, 1), b.burst))
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// evict drops idle buckets and, if that is not enough (a flood of
// distinct addresses), a tenth of the rest at random (map order), so the
// scan is rare. Caller holds b.mu.
func (b *buckets) evict(now time.Time) {
	for k, c := range b.clients {
		if now.Sub(c.seen) > b.idle {
			delete(b.clients, k)
		}
	}
	for k := range b.clients {
		if len(b.clients) < maxClients*9/10 {
			break
		}
		delete(b.clients, k)
	}
}

func (b *buckets) size() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.clients)
}

// limitRate answers 429 with Retry-After to a client past its budget.
// A search is charged by its cost (requestCost).
// Writes and reads have separate budgets; probes, /metrics, the API
// description and static assets are not limited. The client is the peer
// address, or the forwarded one when the peer is a trusted proxy.
func limitRate(d *Deps) gin.HandlerFunc {
	var reads, writes *buckets
	if d.ReadLimit.on() {
		reads = newBuckets(d.ReadLimit)
	}
	if d.WriteLimit.on() {
		writes = newBuckets(d.WriteLimit)
	}
	trusted := parseNets(d.TrustedProxies)
	return func(c *gin.Context) {
		b := reads
		if isWrite(c.Request.Method) {
			b = writes
		} else if path := c.Request.URL.Path; path == "/metrics" || openPath(path) {
			b = nil
		}
		if b == nil {
			c.Next()
			return
		}
		ok, wait := b.take(clientOf(c.Request, trusted).key(), requestCost(c), time.Now())
		if ok {
			c.Next()
			return
		}
		secs := int(math.Ceil(wait.Seconds()))
		c.Header("Retry-After", strconv.Itoa(max(secs, 1)))
		writeError(c, d.Log, &apiError{status: http.StatusTooManyRequests, code: "rate_limited",
			msg: "too many requests from this client; retry after " + strconv.Itoa(max(secs, 1)) + "s"})
	}
}

// requestCost is how many tokens a request spends: a search (any request
// with a q) costs more the more fuzzy and prefix terms it holds, since each
// expands to many indexed words (index.QueryCost); the rest cost one.
func requestCost(c *gin.Context) int {
	q := c.Request.URL.Query().Get("q")
	if q == "" || isWrite(c.Request.Method) {
		return 1
	}
	return index.QueryCost(q)
}

// clientKey is the address a budget belongs to: an IPv4 address, or the
// /64 network of an IPv6 one, since one host usually holds a whole /64.
func clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Is4() || a.Is4In6() {
		return ip
	}
	p, _ := a.Prefix(64)
	return p.String()
}
