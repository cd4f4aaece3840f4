package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/server"
	"github.com/tidings-health/tidings/internal/web"
)

// streamPages is a fake dashboard with one slow page and one stream.
type streamPages struct{ routes []web.Route }

func (p streamPages) Routes() []web.Route { return p.routes }
func (p streamPages) RenderError(w http.ResponseWriter, _ *http.Request, status int, msg string) {
	http.Error(w, msg, status)
}

// TestPerRouteWriteDeadline: with a short default write deadline, a route that takes longer
// is cut, while a stream route that declares no deadline keeps writing past it; and a
// keep-alive connection does not carry the stream's lack of deadline (or a stale one) into
// the next request.
func TestPerRouteWriteDeadline(t *testing.T) {
	const deadline = 200 * time.Millisecond
	chunks := func(w http.ResponseWriter, n int) {
		rc := http.NewResponseController(w)
		for i := range n {
			fmt.Fprintf(w, "data: %d\n\n", i)
			if err := rc.Flush(); err != nil {
				return
			}
			time.Sleep(deadline / 2)
		}
	}
	pages := streamPages{routes: []web.Route{
		{Method: "GET", Pattern: "/slow", Auth: web.Public, Handler: func(w http.ResponseWriter, r *http.Request) { chunks(w, 6) }},
		{Method: "GET", Pattern: "/events", Auth: web.Public, WriteTimeout: web.NoWriteDeadline,
			Handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				chunks(w, 6)
			}},
		{Method: "GET", Pattern: "/longer", Auth: web.Public, WriteTimeout: 50 * deadline, // room for a loaded CI machine
			Handler: func(w http.ResponseWriter, r *http.Request) { chunks(w, 6) }},
	}}
	srv, err := server.New(server.Config{Pages: pages, WriteTimeout: deadline})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	get := func(path string) (string, error) {
		resp, err := ts.Client().Get(ts.URL + path)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	for _, path := range []string{"/events", "/longer"} {
		body, err := get(path)
		if err != nil || strings.Count(body, "data: ") != 6 {
			t.Errorf("%s: %d of 6 events, err %v; want all of them past the %v default", path, strings.Count(body, "data: "), err, deadline)
		}
	}
	body, err := get("/slow")
	if err == nil && strings.Count(body, "data: ") == 6 {
		t.Errorf("/slow: the default deadline did not cut a %v response", 3*deadline)
	}
	// A quick request after the stream on a fresh or reused connection is unaffected.
	if body, err := get("/healthz"); err != nil || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz after the stream: %q %v", body, err)
	}
}
