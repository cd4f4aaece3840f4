package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// SignatureHeader is the request header carrying the provider's signature.
const SignatureHeader = "X-Twilio-Signature"

// maxCallbackBody bounds what Verify reads of a callback: a status callback is a few hundred
// bytes and an inbound message with a 1600-character body a few KiB.
const maxCallbackBody = 64 << 10

// ErrSignature is returned (wrapped) by Verify when a request is not signed by the provider
// with our auth token. Answer 403 and do nothing else with the request.
var ErrSignature = errors.New("twilio: request signature invalid")

// Signature computes the provider's signature of a request: HMAC-SHA1 keyed with the auth
// token over the full URL the provider requested (scheme, host, path, query), followed by
// each POST parameter sorted by name, the name immediately followed by its value, base64
// encoded. A name with several values contributes them in sorted order, each after its name.
func Signature(authToken, url string, params url.Values) string {
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(url))
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		values := append([]string(nil), params[name]...)
		sort.Strings(values)
		for _, v := range values {
			mac.Write([]byte(name))
			mac.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify checks that r was signed by the provider with authToken. The URL is rebuilt from
// publicURL, the base URL the provider was given (such as "https://tidings.example.org"),
// and the request's path and query: behind a TLS-terminating proxy the request's own scheme
// and host are the proxy's hop, not what the provider signed. publicURL may carry a path
// prefix that the proxy strips.
//
// Verify parses the form (r.PostForm is then ready for ParseStatus or ParseInbound), reading
// at most 64 KiB. The comparison is constant-time. Because the provider has signed some URLs
// with the default port written out and some without, both forms are tried, as the
// provider's own libraries do.
func Verify(authToken, publicURL string, r *http.Request) error {
	got := r.Header.Get(SignatureHeader)
	if got == "" {
		return fmt.Errorf("%w: no %s header", ErrSignature, SignatureHeader)
	}
	if authToken == "" {
		return fmt.Errorf("%w: no auth token configured", ErrSignature)
	}
	base, err := url.Parse(strings.TrimSuffix(publicURL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return fmt.Errorf("%w: the public URL is not an absolute http(s) URL", ErrSignature)
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(nil, r.Body, maxCallbackBody)
	}
	if err := r.ParseForm(); err != nil {
		return fmt.Errorf("%w: unreadable form", ErrSignature)
	}
	params := r.PostForm
	if r.Method != http.MethodPost {
		params = nil // GET callbacks carry everything in the signed URL
	}
	full := base.Scheme + "://" + base.Host + base.EscapedPath() + r.URL.RequestURI()
	for _, u := range portVariants(full) {
		want := Signature(authToken, u, params)
		if hmac.Equal([]byte(want), []byte(got)) {
			return nil
		}
	}
	return fmt.Errorf("%w: signature does not match", ErrSignature)
}

// portVariants returns u as given and with its default port added or removed.
func portVariants(u string) []string {
	p, err := url.Parse(u)
	if err != nil {
		return []string{u}
	}
	def := map[string]string{"https": "443", "http": "80"}[p.Scheme]
	host, port, err := net.SplitHostPort(p.Host)
	switch {
	case err != nil: // no port: add the default one
		p.Host = net.JoinHostPort(p.Hostname(), def)
	case port == def:
		p.Host = host
		if strings.Contains(host, ":") {
			p.Host = "[" + host + "]"
		}
	default:
		return []string{u}
	}
	return []string{u, p.String()}
}
