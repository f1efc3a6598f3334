package server

import (
	"net/http"
	"testing"

	"policysearch/index"
)

// A document's origin is a path on the server: it is shown to those who
// may write (the write key; with no key, this machine) and to no one else.
func TestOriginOnlyForWriters(t *testing.T) {
	const write, read = "write-key-0123456789", "read-key-0123456789"
	keyed := accessServer(t, Deps{WriteKeys: []string{write}, ReadKey: read})
	open := accessServer(t, Deps{WriteKeys: []string{write}})
	local := accessServer(t, Deps{})
	const path = "/srv/policysearch/inbox/steel.txt"
	for i, h := range []http.Handler{keyed, open, local} {
		// accessServer's index is reachable only through the handler: post
		// a document with an origin as a writer of each server would.
		hdr := bearerHeader(write)
		if i == 2 {
			hdr = nil
		}
		rec := send(h, request{method: "PUT", target: "/api/documents/o", remote: "127.0.0.1:4000", header: hdr,
			body: `{"title":"Steel","text":"Tariffs on steel and aluminium.","origin":"` + path + `"}`})
		if rec.Code >= 300 {
			t.Fatalf("put: %d %s", rec.Code, rec.Body.String())
		}
	}
	cases := []struct {
		name string
		h    http.Handler
		r    request
		want string
	}{
		{"write key", keyed, request{header: bearerHeader(write)}, path},
		{"read key", keyed, request{header: bearerHeader(read)}, ""},
		{"write key, reads open", open, request{header: bearerHeader(write)}, path},
		{"anonymous, reads open, keys configured", open, request{}, ""},
		{"anonymous on this machine, keys configured", open, request{remote: "127.0.0.1:4000"}, ""},
		{"no keys: this machine", local, request{remote: "127.0.0.1:4000"}, path},
		{"no keys: another machine", local, request{}, ""},
		{"no keys: via a proxy on this machine", local, request{remote: "127.0.0.1:4000", header: map[string]string{"X-Forwarded-For": "198.51.100.2"}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.r.method, c.r.target = "GET", "/api/documents/o"
			rec := send(c.h, c.r)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
			}
			doc := decode[index.Document](t, rec)
			if doc.Origin != c.want {
				t.Errorf("origin = %q, want %q", doc.Origin, c.want)
			}
			if doc.Text == "" {
				t.Errorf("the document itself is missing: %s", rec.Body.String())
			}
		})
	}
	// Hiding it from one reader must not change the stored document.
	send(local, request{method: "GET", target: "/api/documents/o"})
	rec := send(local, request{method: "GET", target: "/api/documents/o", remote: "127.0.0.1:4000"})
	if doc := decode[index.Document](t, rec); doc.Origin != path {
		t.Errorf("after a reader's request the writer sees origin %q", doc.Origin)
	}
}
