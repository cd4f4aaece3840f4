package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/app"
	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/server"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

var ctx = context.Background()

// harness is a full server over a fresh database with two organisations, and credentials
// of every role for the first.
type harness struct {
	t      *testing.T
	db     *store.DB
	srv    *server.Server
	ts     *httptest.Server
	a, b   storetest.Fixture
	tokens map[clinic.Role]string // org a's API tokens
	cookie map[clinic.Role]string // org a's session cookies
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	db := storetest.Open(t, nil)
	if err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sessions := session.New(db, q, session.Config{})
	srv, _, err := app.New(app.Config{DB: db, Sessions: sessions, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, db: db, srv: srv, tokens: map[clinic.Role]string{}, cookie: map[clinic.Role]string{}}
	h.a = storetest.Seed(t, db, "a")
	h.b = storetest.Seed(t, db, "b")
	h.newSessions()
	err = db.Update(ctx, func(tx *store.Tx) error {
		for _, role := range clinic.Roles() {
			plain, hash, err := auth.NewToken("tid_")
			if err != nil {
				return err
			}
			if _, err := tx.Staff().CreateToken(ctx, h.a.Org.ID, clinic.Token{Name: string(role), Role: role}, hash); err != nil {
				return err
			}
			h.tokens[role] = plain
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h.ts = httptest.NewServer(srv)
	t.Cleanup(h.ts.Close)
	return h
}

// newSessions signs in one user of each role of org a (creating the users the first time),
// replacing h.cookie.
func (h *harness) newSessions() {
	err := h.db.Update(ctx, func(tx *store.Tx) error {
		for _, role := range clinic.Roles() {
			u, err := tx.Staff().UserByEmail(ctx, string(role)+"@a.test")
			if errors.Is(err, clinic.ErrNotFound) {
				u, err = tx.Staff().CreateUser(ctx, h.a.Org.ID, clinic.User{Email: string(role) + "@a.test", Role: role, PasswordHash: "unused"})
			}
			if err != nil {
				return err
			}
			cookie, chash, _ := auth.NewToken("")
			if _, err := tx.Staff().CreateSession(ctx, u, chash, time.Now().Add(time.Hour)); err != nil {
				return err
			}
			h.cookie[role] = cookie
		}
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do sends a request; auth is "token:<role>", "cookie:<role>" or "".
func (h *harness) do(method, path, authz string, body any) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, h.ts.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if kind, role, ok := cut(authz); ok {
		switch kind {
		case "token":
			req.Header.Set("Authorization", "Bearer "+h.tokens[clinic.Role(role)])
		case "cookie":
			req.AddCookie(&http.Cookie{Name: session.CookieName, Value: h.cookie[clinic.Role(role)]})
			if method != http.MethodGet {
				req.Header.Set("Sec-Fetch-Site", "same-origin")
			}
		}
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		// A stream (GET /events) writes until its client goes: its status and headers are
		// the answer, and closing the body ends it.
		return response{resp.StatusCode, resp.Header, nil}
	}
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

func cut(s string) (string, string, bool) {
	for i := range s {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return "", "", false
}
