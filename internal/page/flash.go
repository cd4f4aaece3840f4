package page

import (
	"net/http"
	"net/url"
)

// Flashes are a surface's confirmations, by key. A form that changed something redirects
// (Post/Redirect/Get) to a page with ?done=KEY, and that page shows the confirmation of KEY.
// The key is one of a fixed set, so the URL carries neither personal data nor free text,
// and a crafted link cannot put words on a page. The texts are catalog keys (English),
// translated when the page is rendered.
type Flashes map[string]string

// Text is the confirmation of key, or "" for a key not in the set.
func (f Flashes) Text(key string) string { return f[key] }

// For is the confirmation the request's ?done= names, or "".
func (f Flashes) For(r *http.Request) string { return f.Text(r.URL.Query().Get("done")) }

// WithDone returns the local path p with done=key set, for the redirect after a change.
func WithDone(p, key string) string {
	u, err := url.Parse(p)
	if err != nil {
		return p
	}
	q := u.Query()
	q.Set("done", key)
	u.RawQuery = q.Encode()
	return u.String()
}

// WithoutFlash is u's path and query without done, so that a link back to the page (a
// language or clinic switch) does not show its confirmation a second time.
func WithoutFlash(u *url.URL) string {
	q := u.Query()
	if !q.Has("done") {
		return u.RequestURI()
	}
	q.Del("done")
	v := url.URL{Path: u.Path, RawQuery: q.Encode()}
	return v.RequestURI()
}
