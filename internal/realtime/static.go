package realtime

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"strings"
)

// The client script of the streams, shared by every surface that follows message events:
// events.js finds the page's [data-events-url] element and dispatches each event on
// document.body as a "tidings:event" CustomEvent; events-worker.js is the SharedWorker
// that holds one EventSource per stream for all the browser's tabs. See events.js for the
// contract.
//
//go:embed static/events.js static/events-worker.js
var staticFS embed.FS

// StaticPrefix is where Static is mounted.
const StaticPrefix = "/rt/"

// scripts are the served files, read once.
var scripts = func() map[string][]byte {
	out := map[string][]byte{}
	for _, n := range []string{"events.js", "events-worker.js"} {
		b, err := staticFS.ReadFile("static/" + n)
		if err != nil {
			panic(err)
		}
		out[n] = b
	}
	return out
}()

// version is a hash of both files: a new release of either gets new URLs (the worker's URL
// is the page script's with its name changed, so they change together).
var version = func() string {
	h := sha256.New()
	for _, n := range []string{"events.js", "events-worker.js"} {
		h.Write(scripts[n])
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:6])
}()

// ScriptURL is the address pages load the client script from:
// <script src="{{ScriptURL}}" defer></script>, after the element with data-events-url.
func ScriptURL() string { return StaticPrefix + "events.js?v=" + version }

// Static serves the client scripts under StaticPrefix, public: a request naming the
// current version (?v=, as ScriptURL writes it) is cached for a year, any other is
// revalidated by its ETag.
func Static() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, StaticPrefix)
		b, ok := scripts[name]
		if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		etag := `"` + version + `"`
		h.Set("ETag", etag)
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		if r.URL.Query().Get("v") == version {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "public, no-cache")
		}
		if match := r.Header.Get("If-None-Match"); match != "" && (match == etag || match == "*" || strings.Contains(match, etag)) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(b)
	})
}
