package fhir

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Auth sets the credentials of a request to the FHIR server. Clinics' servers differ: a
// static token pasted by the clinic (Bearer) or an OAuth 2.0 client (ClientCredentials).
type Auth interface {
	// Authorize sets req's Authorization header. It may fetch a token, so it takes ctx.
	Authorize(ctx context.Context, req *http.Request) error
}

// Refresher is implemented by an Auth whose credentials can go stale before it knows (a
// token revoked or expired early): on a 401 the Client calls Invalidate with the header the
// server refused, then authorizes and sends the request once more.
type Refresher interface {
	// Invalidate forgets the credentials that produced authorization, unless they were
	// replaced already (by a concurrent request that got a 401 first).
	Invalidate(authorization string)
}

// Bearer is a fixed access token, sent as "Authorization: Bearer <token>". It prints as
// "Bearer(redacted)" so that a logged configuration does not leak it.
type Bearer string

// Authorize implements Auth.
func (b Bearer) Authorize(_ context.Context, req *http.Request) error {
	req.Header.Set("Authorization", "Bearer "+string(b))
	return nil
}

// String keeps the token out of logs.
func (b Bearer) String() string { return "Bearer(redacted)" }

// GoString keeps the token out of %#v.
func (b Bearer) GoString() string { return "fhir.Bearer(redacted)" }

// ClientCredentials gets access tokens with the OAuth 2.0 client-credentials grant (RFC 6749
// section 4.4), the usual way a backend service such as Tidings signs in to a clinic's FHIR
// server. It caches the token until shortly before it expires, fetches a new one after the
// server refused the cached one (Refresher), and lets one request fetch while concurrent ones
// wait for its result. Use it by pointer and do not copy it after first use.
type ClientCredentials struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	Scope        string // space-separated scopes, such as "system/*.read system/Appointment.write"; empty asks for the default
	// SecretInBody sends the client id and secret as form fields (client_secret_post) instead
	// of HTTP Basic authentication (client_secret_basic), for servers that accept only that.
	SecretInBody bool
	// HTTP is the client that talks to the token endpoint. Required.
	HTTP *http.Client

	mu      sync.Mutex
	token   string
	expiry  time.Time
	pending *tokenFetch      // the fetch in progress, which others wait for
	now     func() time.Time // time.Now unless a test sets it
}

// tokenFetch is one token request that concurrent callers share.
type tokenFetch struct {
	done  chan struct{}
	token string
	err   error
}

// defaultTokenLifetime is assumed when the token response has no expires_in (RFC 6749 makes
// it optional); a token that dies sooner is replaced on the 401.
const defaultTokenLifetime = 5 * time.Minute

// expiryMargin is how long before expires_in a token is replaced, so a request does not leave
// with a token that expires on its way; never more than a fifth of the token's lifetime.
const expiryMargin = 30 * time.Second

// maxTokenResponse bounds the token endpoint's answer.
const maxTokenResponse = 1 << 20

// String keeps the secret out of logs.
func (c *ClientCredentials) String() string {
	return fmt.Sprintf("ClientCredentials{TokenURL: %s, ClientID: %s, ClientSecret: redacted}", c.TokenURL, c.ClientID)
}

// Authorize implements Auth with a cached or fresh token.
func (c *ClientCredentials) Authorize(ctx context.Context, req *http.Request) error {
	tok, err := c.accessToken(ctx)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// Invalidate implements Refresher.
func (c *ClientCredentials) Invalidate(authorization string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && authorization == "Bearer "+c.token {
		c.token, c.expiry = "", time.Time{}
	}
}

func (c *ClientCredentials) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

// accessToken returns the cached token, or fetches one; one caller fetches while the others
// wait, and a waiter whose own context is still live tries again if the fetcher's was
// cancelled.
func (c *ClientCredentials) accessToken(ctx context.Context) (string, error) {
	for {
		c.mu.Lock()
		if c.token != "" && c.clock().Before(c.expiry) {
			tok := c.token
			c.mu.Unlock()
			return tok, nil
		}
		if f := c.pending; f != nil {
			c.mu.Unlock()
			select {
			case <-f.done:
				if f.err == nil {
					return f.token, nil
				}
				if ctx.Err() == nil && (errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) {
					continue // the fetcher gave up, not us
				}
				return "", f.err
			case <-ctx.Done():
				return "", &TokenError{Err: ctx.Err()}
			}
		}
		f := &tokenFetch{done: make(chan struct{})}
		c.pending = f
		start := c.clock()
		c.mu.Unlock()

		tok, lifetime, err := c.fetch(ctx)

		c.mu.Lock()
		c.pending = nil
		if err == nil {
			c.token = tok
			c.expiry = start.Add(lifetime - min(expiryMargin, lifetime/5))
		}
		f.token, f.err = tok, err
		close(f.done)
		c.mu.Unlock()
		return tok, err
	}
}

// tokenResponse is the token endpoint's JSON, success or error (RFC 6749 sections 5.1, 5.2).
type tokenResponse struct {
	AccessToken      string      `json:"access_token"`
	TokenType        string      `json:"token_type"`
	ExpiresIn        json.Number `json:"expires_in"`
	Error            string      `json:"error"`
	ErrorDescription string      `json:"error_description"`
}

// UnmarshalJSON accepts expires_in as a number or a string of digits, as servers send both.
func (t *tokenResponse) UnmarshalJSON(b []byte) error {
	type plain tokenResponse
	var raw struct {
		plain
		ExpiresIn any `json:"expires_in"`
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&raw); err != nil {
		return err
	}
	*t = tokenResponse(raw.plain)
	switch v := raw.ExpiresIn.(type) {
	case json.Number:
		t.ExpiresIn = v
	case string:
		t.ExpiresIn = json.Number(v)
	}
	return nil
}

// fetch asks the token endpoint for a token and returns it with its lifetime.
func (c *ClientCredentials) fetch(ctx context.Context) (string, time.Duration, error) {
	if c.HTTP == nil {
		return "", 0, &TokenError{Err: errors.New("ClientCredentials.HTTP is nil")}
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	if c.Scope != "" {
		form.Set("scope", c.Scope)
	}
	if c.SecretInBody {
		form.Set("client_id", c.ClientID)
		form.Set("client_secret", c.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, &TokenError{Err: fmt.Errorf("token URL: %w", redactURLError(err))}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if !c.SecretInBody {
		// RFC 6749 section 2.3.1: form-encode both before Basic.
		req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return "", 0, &TokenError{Err: redactURLError(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse+1))
	if err != nil {
		return "", 0, &TokenError{Status: resp.StatusCode, Err: err}
	}
	if len(body) > maxTokenResponse {
		return "", 0, &TokenError{Status: resp.StatusCode, Err: &TooLargeError{Limit: maxTokenResponse}}
	}
	var tr tokenResponse
	decodeErr := json.Unmarshal(body, &tr)
	if resp.StatusCode != http.StatusOK {
		e := &TokenError{Status: resp.StatusCode, Code: tr.Error, Description: tr.ErrorDescription}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), c.clock())
		}
		return "", 0, e
	}
	if decodeErr != nil {
		return "", 0, &TokenError{Status: resp.StatusCode, Err: &DecodeError{What: "token response", Err: decodeErr}}
	}
	if tr.AccessToken == "" {
		return "", 0, &TokenError{Status: resp.StatusCode, Err: errors.New("no access_token in the response")}
	}
	if !strings.EqualFold(tr.TokenType, "bearer") {
		return "", 0, &TokenError{Status: resp.StatusCode, Err: fmt.Errorf("token_type %q is not bearer", tr.TokenType)}
	}
	lifetime := defaultTokenLifetime
	if tr.ExpiresIn != "" {
		secs, err := strconv.ParseFloat(string(tr.ExpiresIn), 64)
		if err != nil || secs < 1 || secs > 1e9 {
			return "", 0, &TokenError{Status: resp.StatusCode, Err: errors.New("expires_in is not a positive number of seconds")}
		}
		lifetime = time.Duration(secs) * time.Second
	}
	return tr.AccessToken, lifetime, nil
}
