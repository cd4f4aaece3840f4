package fhir

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// tokenServer is an OAuth 2.0 token endpoint that hands out tok-1, tok-2, … and a FHIR
// server that accepts only the tokens in valid.
type tokenServer struct {
	t         *testing.T
	expiresIn any // the expires_in to send; nil sends none
	delay     time.Duration
	fetches   atomic.Int32
	fhirCalls atomic.Int32
	// acceptNone makes the FHIR server refuse every token.
	acceptNone atomic.Bool
	mu         sync.Mutex
	valid      map[string]bool
	forms      []string
	basic      []string
}

func (s *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/token":
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			s.t.Errorf("token request %s with %q", r.Method, r.Header.Get("Content-Type"))
		}
		if err := r.ParseForm(); err != nil {
			s.t.Error(err)
		}
		time.Sleep(s.delay)
		n := s.fetches.Add(1)
		tok := fmt.Sprintf("tok-%d", n)
		id, secret, _ := r.BasicAuth()
		s.mu.Lock()
		s.valid[tok] = true
		s.forms = append(s.forms, r.PostForm.Encode())
		s.basic = append(s.basic, id+":"+secret)
		s.mu.Unlock()
		resp := map[string]any{"access_token": tok, "token_type": "Bearer"}
		if s.expiresIn != nil {
			resp["expires_in"] = s.expiresIn
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	case "/fhir/Patient/p1":
		s.fhirCalls.Add(1)
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		ok := s.valid[tok] && !s.acceptNone.Load()
		s.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusUnauthorized, OperationOutcome{Issue: []OperationOutcomeIssue{{Severity: "error", Code: "login"}}})
			return
		}
		writeJSON(w, 200, Patient{ID: "p1"})
	default:
		http.NotFound(w, r)
	}
}

func (s *tokenServer) revoke(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.valid, tok)
}

func newTokenServer(t *testing.T, expiresIn any) (*tokenServer, *httptest.Server) {
	ts := &tokenServer{t: t, expiresIn: expiresIn, valid: map[string]bool{}}
	srv := httptest.NewServer(ts)
	t.Cleanup(srv.Close)
	return ts, srv
}

func TestClientCredentialsCachesToken(t *testing.T) {
	ts, srv := newTokenServer(t, 3600)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	cc := &ClientCredentials{TokenURL: srv.URL + "/token", ClientID: "tidings clinic", ClientSecret: "s3cr:t&", Scope: "system/*.read", HTTP: srv.Client(),
		now: func() time.Time { return now }}
	c := newClient(t, srv, Config{Auth: cc})

	read := func() {
		t.Helper()
		if err := c.Read(t.Context(), "Patient", "p1", &Patient{}); err != nil {
			t.Fatal(err)
		}
	}
	read()
	read()
	now = now.Add(3600*time.Second - expiryMargin - time.Second) // just before the margin
	read()
	if n := ts.fetches.Load(); n != 1 {
		t.Errorf("%d token fetches within the token's lifetime, want 1", n)
	}
	now = now.Add(2 * time.Second) // inside the margin: replaced before it expires
	read()
	if n := ts.fetches.Load(); n != 2 {
		t.Errorf("%d token fetches after expiry, want 2", n)
	}
	if n := ts.fhirCalls.Load(); n != 4 {
		t.Errorf("%d FHIR requests, want 4 (no 401 retries)", n)
	}
	wantForm := "grant_type=client_credentials&scope=system%2F%2A.read"
	if diff := cmp.Diff([]string{wantForm, wantForm}, ts.forms); diff != "" {
		t.Errorf("token forms (-want +got):\n%s", diff)
	}
	// RFC 6749 2.3.1: id and secret are form-encoded inside Basic.
	if want := "tidings+clinic:s3cr%3At%26"; ts.basic[0] != want {
		t.Errorf("Basic credentials = %q, want %q", ts.basic[0], want)
	}
	if s := fmt.Sprint(cc); strings.Contains(s, "s3cr") {
		t.Errorf("ClientCredentials prints its secret: %s", s)
	}
}

func TestClientCredentialsSecretInBodyAndStringExpiry(t *testing.T) {
	ts, srv := newTokenServer(t, "120")
	cc := &ClientCredentials{TokenURL: srv.URL + "/token", ClientID: "id", ClientSecret: "secret", SecretInBody: true, HTTP: srv.Client()}
	c := newClient(t, srv, Config{Auth: cc})
	if err := c.Read(t.Context(), "Patient", "p1", &Patient{}); err != nil {
		t.Fatal(err)
	}
	if want := "client_id=id&client_secret=secret&grant_type=client_credentials"; ts.forms[0] != want {
		t.Errorf("form = %q, want %q", ts.forms[0], want)
	}
	if ts.basic[0] != ":" {
		t.Errorf("Basic credentials sent too: %q", ts.basic[0])
	}
	cc.mu.Lock()
	lifetime := cc.expiry.Sub(time.Now())
	cc.mu.Unlock()
	if lifetime < 90*time.Second || lifetime > 97*time.Second { // 120 s less a fifth
		t.Errorf("token cached for %v, want 96 s", lifetime)
	}
}

func TestClientCredentialsRefreshesOn401(t *testing.T) {
	ts, srv := newTokenServer(t, 3600)
	cc := &ClientCredentials{TokenURL: srv.URL + "/token", ClientID: "id", ClientSecret: "secret", HTTP: srv.Client()}
	c := newClient(t, srv, Config{Auth: cc})
	if err := c.Read(t.Context(), "Patient", "p1", &Patient{}); err != nil {
		t.Fatal(err)
	}
	ts.revoke("tok-1") // revoked before it expires
	if err := c.Read(t.Context(), "Patient", "p1", &Patient{}); err != nil {
		t.Fatalf("Read after revocation: %v", err)
	}
	if n, m := ts.fetches.Load(), ts.fhirCalls.Load(); n != 2 || m != 3 {
		t.Errorf("%d token fetches, %d FHIR requests; want 2 and 3 (one retry)", n, m)
	}

	// A server that refuses every token: one retry, then a permanent 401.
	ts.acceptNone.Store(true)
	before, fetchesBefore := ts.fhirCalls.Load(), ts.fetches.Load()
	err := c.Read(t.Context(), "Patient", "p1", &Patient{})
	var e *Error
	if !errors.As(err, &e) || e.Status != http.StatusUnauthorized || IsRetryable(err) {
		t.Fatalf("Read with every token refused = %v, want a permanent 401", err)
	}
	if n, m := ts.fhirCalls.Load()-before, ts.fetches.Load()-fetchesBefore; n != 2 || m != 1 {
		t.Errorf("%d FHIR requests and %d token fetches, want 2 and 1", n, m)
	}
}

func TestBearerDoesNotRetry401(t *testing.T) {
	ts, srv := newTokenServer(t, 3600)
	c := newClient(t, srv, Config{Auth: Bearer("wrong")})
	err := c.Read(t.Context(), "Patient", "p1", &Patient{})
	var e *Error
	if !errors.As(err, &e) || e.Status != http.StatusUnauthorized {
		t.Fatalf("Read = %v, want 401", err)
	}
	if n := ts.fhirCalls.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if e.Outcome == nil || e.Outcome.Issue[0].Code != "login" {
		t.Errorf("Outcome = %+v", e.Outcome)
	}
	const secret = Bearer("very-secret-token")
	if s := fmt.Sprintf("%v %s %q %#v %+v", secret, secret, secret, secret, Config{Auth: secret}); strings.Contains(s, "very-secret") {
		t.Errorf("Bearer prints its token: %s", s)
	}
}

func TestClientCredentialsConcurrentFetchOnce(t *testing.T) {
	ts, srv := newTokenServer(t, 3600)
	ts.delay = 100 * time.Millisecond // every caller arrives while the first fetch is under way
	cc := &ClientCredentials{TokenURL: srv.URL + "/token", ClientID: "id", ClientSecret: "secret", HTTP: srv.Client()}
	c := newClient(t, srv, Config{Auth: cc})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- c.Read(t.Context(), "Patient", "p1", &Patient{}) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := ts.fetches.Load(); n != 1 {
		t.Errorf("%d token fetches for 8 concurrent requests, want 1", n)
	}
}

func TestTokenErrors(t *testing.T) {
	tests := []struct {
		name          string
		status        int
		body          string
		retryAfter    string
		wantRetryable bool
		wantCode      string
		wantAfter     time.Duration
	}{
		{name: "bad client", status: 401, body: `{"error":"invalid_client","error_description":"unknown client"}`, wantCode: "invalid_client"},
		{name: "bad scope", status: 400, body: `{"error":"invalid_scope"}`, wantCode: "invalid_scope"},
		{name: "down", status: 503, body: `<html>`, retryAfter: "30", wantRetryable: true, wantAfter: 30 * time.Second},
		{name: "no token", status: 200, body: `{"token_type":"bearer"}`},
		{name: "not bearer", status: 200, body: `{"access_token":"x","token_type":"DPoP"}`},
		{name: "bad expiry", status: 200, body: `{"access_token":"x","token_type":"bearer","expires_in":-1}`},
		{name: "not JSON", status: 200, body: `access_token=x`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var fhirCalls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/token" {
					fhirCalls.Add(1)
					return
				}
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			}))
			defer srv.Close()
			cc := &ClientCredentials{TokenURL: srv.URL + "/token", ClientID: "id", ClientSecret: "topsecret", HTTP: srv.Client()}
			c := newClient(t, srv, Config{Auth: cc})
			err := c.Read(t.Context(), "Patient", "p1", &Patient{})
			var te *TokenError
			if !errors.As(err, &te) {
				t.Fatalf("Read = %v, want a *TokenError", err)
			}
			if te.Code != tc.wantCode || IsRetryable(err) != tc.wantRetryable {
				t.Errorf("code %q retryable %v; want %q, %v", te.Code, IsRetryable(err), tc.wantCode, tc.wantRetryable)
			}
			if d, _ := RetryAfter(err); d != tc.wantAfter {
				t.Errorf("RetryAfter = %v, want %v", d, tc.wantAfter)
			}
			if strings.Contains(err.Error(), "topsecret") {
				t.Errorf("error %q has the secret", err)
			}
			if fhirCalls.Load() != 0 {
				t.Error("the FHIR request went out without a token")
			}
		})
	}
}
