package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"policysearch/feeds"
	"policysearch/index"
)

// feedRequest is the body of POST /api/feeds. interval is a Go duration
// ("30s", "15m", "1h") or a number of seconds; it defaults to 30m.
type feedRequest struct {
	URL        string          `json:"url"`
	Interval   json.RawMessage `json:"interval"`
	Source     string          `json:"source"`
	SourceType string          `json:"source_type"`
	Country    string          `json:"country"`
	Tags       []string        `json:"tags"`
}

// feedsResponse answers GET /api/feeds.
type feedsResponse struct {
	Feeds []feeds.Status `json:"feeds"`
}

// errFeedsOff answers feed writes on a server built without a feed
// reader (only tests build one so).
var errFeedsOff = &index.Error{Kind: index.Unavailable, Code: "feeds_off", Message: "the feed reader is not running"}

// handleListFeeds shows every subscription and how its polling goes.
func handleListFeeds(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		resp := feedsResponse{Feeds: []feeds.Status{}}
		if d.Feeds != nil {
			resp.Feeds = d.Feeds.List()
		}
		c.JSON(http.StatusOK, resp)
	}
}

// handleCreateFeed subscribes to a feed; it is polled at once, in the
// background. A URL on a private or loopback address is refused (400 on
// url) unless the server runs with --allow-private-fetch.
func handleCreateFeed(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		if d.Feeds == nil {
			writeError(c, d.Log, errFeedsOff)
			return
		}
		sub, err := decodeFeed(http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10))
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		st, err := d.Feeds.Subscribe(c, sub)
		if err != nil {
			writeError(c, d.Log, err)
			return
		}
		c.JSON(http.StatusCreated, st)
	}
}

// handleDeleteFeed unsubscribes; the feed's articles stay searchable.
func handleDeleteFeed(d *Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		if d.Feeds == nil {
			writeError(c, d.Log, errNotFound("no feed with id "+c.Param("id")))
			return
		}
		id := c.Param("id")
		if err := d.Feeds.Unsubscribe(c, id); err != nil {
			writeError(c, d.Log, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"id": id, "deleted": true})
	}
}

// decodeFeed reads a subscription, naming the field that is wrong.
func decodeFeed(r io.Reader) (feeds.Subscription, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return feeds.Subscription{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req feedRequest
	if err := dec.Decode(&req); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return feeds.Subscription{}, badRequest("invalid_"+te.Field, te.Field, te.Field+": has the wrong type")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return feeds.Subscription{}, badRequest("unknown_field", f, "unknown field "+f+"; a feed has url, interval, source, source_type, country and tags")
		}
		return feeds.Subscription{}, badRequest("invalid_json", "", "the body must be a JSON object: "+err.Error())
	}
	if strings.TrimSpace(req.URL) == "" {
		return feeds.Subscription{}, badRequest("invalid_url", "url", "url: is required")
	}
	sub := feeds.Subscription{URL: req.URL, Source: req.Source, SourceType: req.SourceType, Country: req.Country, Tags: req.Tags}
	if len(req.Interval) > 0 && string(req.Interval) != "null" {
		if err := json.Unmarshal(req.Interval, &sub.Interval); err != nil {
			return feeds.Subscription{}, badRequest("invalid_interval", "interval", "interval: "+err.Error())
		}
	}
	return sub, nil
}
