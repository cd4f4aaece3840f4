package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// newClient returns a Client for srv's /fhir/ base with cfg's other fields.
func newClient(t *testing.T, srv *httptest.Server, cfg Config) *Client {
	t.Helper()
	cfg.Base = srv.URL + "/fhir"
	if cfg.HTTP == nil {
		cfg.HTTP = srv.Client()
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// writeJSON answers with v as FHIR JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/fhir+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// stored is a resource in fakeFHIR.
type stored struct {
	id, lastUpdated string
}

// fakeFHIR serves searches of Patient over a fixed list: _lastUpdated=gt, _sort=_lastUpdated,
// _count and _offset paging with absolute next links, like a real server.
type fakeFHIR struct {
	t          *testing.T
	resources  []stored
	ignoreSort bool
	failPage   int // answer this page (1-based) with 503
	mu         sync.Mutex
	queries    []url.Values
}

func (f *fakeFHIR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.queries = append(f.queries, q)
	page := len(f.queries)
	f.mu.Unlock()
	if r.URL.Path != "/fhir/Patient" {
		http.NotFound(w, r)
		return
	}
	if f.failPage == page {
		writeJSON(w, http.StatusServiceUnavailable, OperationOutcome{Issue: []OperationOutcomeIssue{{Severity: "error", Code: "transient"}}})
		return
	}
	var after time.Time
	if v := q.Get("_lastUpdated"); v != "" {
		var err error
		if after, err = time.Parse(time.RFC3339Nano, strings.TrimPrefix(v, "gt")); err != nil || !strings.HasPrefix(v, "gt") {
			writeJSON(w, http.StatusBadRequest, OperationOutcome{Issue: []OperationOutcomeIssue{{Severity: "error", Code: "invalid"}}})
			return
		}
	}
	var match []stored
	for _, s := range f.resources {
		if lu, _ := time.Parse(time.RFC3339Nano, s.lastUpdated); after.IsZero() || lu.After(after) {
			match = append(match, s)
		}
	}
	if q.Get("_sort") == "_lastUpdated" && !f.ignoreSort {
		sort.SliceStable(match, func(i, j int) bool {
			return mustTime(f.t, match[i].lastUpdated).Before(mustTime(f.t, match[j].lastUpdated))
		})
	}
	count, _ := strconv.Atoi(q.Get("_count"))
	offset, _ := strconv.Atoi(q.Get("_offset"))
	end := min(offset+count, len(match))
	b := Bundle{Type: "searchset", Total: ptr(len(match))}
	for _, s := range match[min(offset, len(match)):end] {
		raw, _ := json.Marshal(Patient{ID: s.id, Meta: Meta{VersionID: "1", LastUpdated: mustTime(f.t, s.lastUpdated)}})
		b.Entry = append(b.Entry, BundleEntry{FullURL: "http://" + r.Host + "/fhir/Patient/" + s.id, Resource: raw, Search: &BundleEntrySearch{Mode: "match"}})
	}
	if end < len(match) {
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("_offset", strconv.Itoa(end))
		b.Link = append(b.Link, BundleLink{Relation: "next", URL: "http://" + r.Host + "/fhir/Patient?" + next.Encode()})
	}
	writeJSON(w, http.StatusOK, b)
}

// collect returns an fn for Search that appends "typ/id" of every resource to *got.
func collect(t *testing.T, got *[]string) func(json.RawMessage, string) error {
	return func(raw json.RawMessage, typ string) error {
		var p probe
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		*got = append(*got, typ+"/"+p.ID)
		return nil
	}
}

func TestSearchFollowsPages(t *testing.T) {
	var auths, accepts []string
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auths = append(auths, r.Header.Get("Authorization"))
		accepts = append(accepts, r.Header.Get("Accept"))
		queries = append(queries, r.URL.RawQuery)
		patient := func(id string) json.RawMessage { b, _ := json.Marshal(Patient{ID: id}); return b }
		switch r.URL.Query().Get("page") {
		case "":
			writeJSON(w, 200, Bundle{Type: "searchset", Link: []BundleLink{{Relation: "self", URL: "x"}, {Relation: "next", URL: "http://" + r.Host + "/fhir/Patient?page=2"}}, Entry: []BundleEntry{
				{Resource: patient("1"), Search: &BundleEntrySearch{Mode: "match"}},
				{Resource: patient("2"), Search: &BundleEntrySearch{Mode: "match"}},
			}})
		case "2": // a relative next link, and the entries a server adds around the matches
			outcome, _ := json.Marshal(OperationOutcome{Issue: []OperationOutcomeIssue{{Severity: "warning", Code: "informational"}}})
			org, _ := json.Marshal(map[string]string{"resourceType": "Organization", "id": "o1"})
			writeJSON(w, 200, Bundle{Type: "searchset", Link: []BundleLink{{Relation: "next", URL: "Patient?page=3"}}, Entry: []BundleEntry{
				{Resource: outcome, Search: &BundleEntrySearch{Mode: "outcome"}},
				{Resource: patient("3"), Search: &BundleEntrySearch{Mode: "match"}},
				{Resource: org, Search: &BundleEntrySearch{Mode: "include"}},
			}})
		case "3":
			writeJSON(w, 200, Bundle{Type: "searchset", Entry: []BundleEntry{{Resource: patient("4")}}})
		}
	}))
	defer srv.Close()
	c := newClient(t, srv, Config{Auth: Bearer("tok"), PageSize: 2})

	params := url.Values{"active": {"true"}}
	var got []string
	if err := c.Search(t.Context(), "Patient", params, collect(t, &got)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Patient/1", "Patient/2", "Patient/3", "Organization/o1", "Patient/4"}, got); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"_count=2&active=true", "page=2", "page=3"}, queries); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Bearer tok", "Bearer tok", "Bearer tok"}, auths); diff != "" {
		t.Errorf("Authorization (-want +got):\n%s", diff)
	}
	if accepts[0] != "application/fhir+json" {
		t.Errorf("Accept = %q", accepts[0])
	}
	if len(params) != 1 {
		t.Errorf("Search changed the caller's params: %v", params)
	}
}

func TestSearchRefusesForeignNextLink(t *testing.T) {
	var foreignHits atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreignHits.Add(1)
		writeJSON(w, 200, Bundle{Type: "searchset"})
	}))
	defer foreign.Close()
	fu, _ := url.Parse(foreign.URL)

	tests := []struct {
		name string
		next func(host string) string
	}{
		{name: "other server", next: func(string) string { return foreign.URL + "/fhir/Patient?page=2" }},
		{name: "other port", next: func(host string) string {
			h, _, _ := strings.Cut(host, ":")
			return "http://" + h + ":" + fu.Port() + "/fhir/Patient?page=2"
		}},
		{name: "other scheme", next: func(host string) string { return "https://" + host + "/fhir/Patient?page=2" }},
		{name: "user info", next: func(host string) string { return "http://u:p@" + host + "/fhir/Patient?page=2" }},
		{name: "other host name for the same address", next: func(host string) string {
			_, p, _ := strings.Cut(host, ":")
			return "http://localhost:" + p + "/fhir/Patient?page=2"
		}},
		{name: "scheme-relative", next: func(string) string { return "//" + fu.Host + "/fhir/Patient" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p, _ := json.Marshal(Patient{ID: "1"})
				writeJSON(w, 200, Bundle{Type: "searchset", Link: []BundleLink{{Relation: "next", URL: tc.next(r.Host)}}, Entry: []BundleEntry{{Resource: p}}})
			}))
			defer srv.Close()
			c := newClient(t, srv, Config{Auth: Bearer("secret")})
			var got []string
			err := c.Search(t.Context(), "Patient", nil, collect(t, &got))
			var ule *UnsafeLinkError
			if !errors.As(err, &ule) {
				t.Fatalf("Search error = %v, want an *UnsafeLinkError", err)
			}
			if IsRetryable(err) {
				t.Error("IsRetryable = true for an unsafe link")
			}
			if strings.Contains(err.Error(), "page=2") {
				t.Errorf("error %q quotes the link's query", err)
			}
			if len(got) != 1 {
				t.Errorf("got %v, want the first page's resource", got)
			}
		})
	}
	if n := foreignHits.Load(); n != 0 {
		t.Errorf("the foreign server got %d requests", n)
	}
}

func TestSearchPageLimit(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		writeJSON(w, 200, Bundle{Type: "searchset", Link: []BundleLink{{Relation: "next", URL: fmt.Sprintf("http://%s/fhir/Patient?page=%d", r.Host, n+1)}}})
	}))
	defer srv.Close()
	c := newClient(t, srv, Config{MaxPages: 3})
	err := c.Search(t.Context(), "Patient", nil, func(json.RawMessage, string) error { return nil })
	var ple *PageLimitError
	if !errors.As(err, &ple) || ple.Pages != 3 {
		t.Fatalf("Search error = %v, want a *PageLimitError of 3", err)
	}
	if n := hits.Load(); n != 3 {
		t.Errorf("server got %d requests, want 3", n)
	}
}

func TestSearchSelfLoop(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, Bundle{Type: "searchset", Link: []BundleLink{{Relation: "next", URL: "http://" + r.Host + r.URL.String()}}})
	}))
	defer srv.Close()
	c := newClient(t, srv, Config{})
	if err := c.Search(t.Context(), "Patient", nil, func(json.RawMessage, string) error { return nil }); err == nil || !strings.Contains(err.Error(), "same page") {
		t.Fatalf("Search error = %v, want the same-page loop refused", err)
	}
}

func TestSearchResponseTooLarge(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		big, _ := json.Marshal(Patient{ID: "1", Name: []HumanName{{Text: strings.Repeat("x", 4096)}}})
		writeJSON(w, 200, Bundle{Type: "searchset", Entry: []BundleEntry{{Resource: big}}})
	}))
	defer srv.Close()
	c := newClient(t, srv, Config{MaxResponseBytes: 1024})
	err := c.Search(t.Context(), "Patient", nil, func(json.RawMessage, string) error {
		t.Error("fn called with a page over the limit")
		return nil
	})
	var tle *TooLargeError
	if !errors.As(err, &tle) || tle.Limit != 1024 {
		t.Fatalf("Search error = %v, want a *TooLargeError", err)
	}
	if IsRetryable(err) {
		t.Error("IsRetryable = true for a too large page")
	}
}

func TestSearchFnErrorReturnedAsIs(t *testing.T) {
	f := &fakeFHIR{t: t, resources: []stored{{"a", "2024-01-01T00:00:00Z"}, {"b", "2024-01-02T00:00:00Z"}}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := newClient(t, srv, Config{})
	stop := errors.New("stop")
	calls := 0
	err := c.Search(t.Context(), "Patient", nil, func(json.RawMessage, string) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Fatalf("Search = %v after %d calls, want fn's error after 1", err, calls)
	}
}

func TestSearchRejectsBadInput(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request sent: %s", r.URL)
	}))
	defer srv.Close()
	c := newClient(t, srv, Config{})
	nop := func(json.RawMessage, string) error { return nil }
	for _, typ := range []string{"", "patient", "Patient/1", "../x", "Pat ient"} {
		if err := c.Search(t.Context(), typ, nil, nop); err == nil {
			t.Errorf("Search(%q) succeeded", typ)
		}
	}
	for _, id := range []string{"", "a/b", "..", "a b", strings.Repeat("x", 65)} {
		if err := c.Read(t.Context(), "Patient", id, &Patient{}); err == nil {
			t.Errorf("Read(Patient, %q) succeeded", id)
		}
	}
}

func TestSinceCursor(t *testing.T) {
	f := &fakeFHIR{t: t, resources: []stored{
		{"e", "2024-05-17T09:30:02.5Z"},
		{"a", "2024-05-17T09:30:00Z"},
		{"c", "2024-05-17T09:30:01.25Z"},
		{"b", "2024-05-17T09:30:00.5Z"},
		{"d", "2024-05-17T09:30:01.25Z"},
		{"f", "2024-05-17T09:30:03Z"},
		{"g", "2024-05-17T09:30:04.000001Z"},
	}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := newClient(t, srv, Config{PageSize: 3})

	var got []string
	cur, err := c.Since(t.Context(), "Patient", time.Time{}, url.Values{"active": {"true"}}, collect(t, &got))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Patient/a", "Patient/b", "Patient/c", "Patient/d", "Patient/e", "Patient/f", "Patient/g"}, got); diff != "" {
		t.Errorf("first sync (-want +got):\n%s", diff)
	}
	if want := mustTime(t, "2024-05-17T09:30:04.000001Z"); !cur.Equal(want) {
		t.Errorf("cursor = %v, want %v", cur, want)
	}
	if n := len(f.queries); n != 3 {
		t.Errorf("%d pages, want 3", n)
	}
	q := f.queries[0]
	if q.Get("_sort") != "_lastUpdated" || q.Has("_lastUpdated") || q.Get("_count") != "3" || q.Get("active") != "true" {
		t.Errorf("first query = %v", q)
	}

	// Two resources change; the next run gets only those, after the cursor.
	f.resources = append(f.resources, stored{"b", "2024-05-17T10:00:00Z"}, stored{"h", "2024-05-17T10:00:01Z"})
	f.queries = nil
	got = nil
	cur2, err := c.Since(t.Context(), "Patient", cur, nil, collect(t, &got))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Patient/b", "Patient/h"}, got); diff != "" {
		t.Errorf("second sync (-want +got):\n%s", diff)
	}
	if want := "gt2024-05-17T09:30:04.000001Z"; f.queries[0].Get("_lastUpdated") != want {
		t.Errorf("_lastUpdated = %q, want %q", f.queries[0].Get("_lastUpdated"), want)
	}
	if want := mustTime(t, "2024-05-17T10:00:01Z"); !cur2.Equal(want) {
		t.Errorf("cursor = %v, want %v", cur2, want)
	}

	// Nothing new: the cursor stays.
	got = nil
	cur3, err := c.Since(t.Context(), "Patient", cur2, nil, collect(t, &got))
	if err != nil || len(got) != 0 || !cur3.Equal(cur2) {
		t.Errorf("third sync = %v, %v, %v; want nothing and the same cursor", got, cur3, err)
	}
	if want := "gt2024-05-17T10:00:01.000Z"; f.queries[len(f.queries)-1].Get("_lastUpdated") != want {
		t.Errorf("_lastUpdated = %q, want %q (millisecond digits keep a whole second out)", f.queries[len(f.queries)-1].Get("_lastUpdated"), want)
	}
}

// TestSinceCursorOnError checks that the cursor Since returns with an error never skips a
// resource fn has not completed.
func TestSinceCursorOnError(t *testing.T) {
	resources := []stored{
		{"a", "2024-05-17T09:30:00Z"},
		{"b", "2024-05-17T09:30:01Z"},
		{"c", "2024-05-17T09:30:02Z"}, // page 1 ends here (PageSize 3)
		{"d", "2024-05-17T09:30:02Z"}, // same instant as c, on page 2
		{"e", "2024-05-17T09:30:03Z"},
	}
	since := mustTime(t, "2024-01-01T00:00:00Z")
	failOn := func(id string) func(json.RawMessage, string) error {
		return func(raw json.RawMessage, _ string) error {
			var p probe
			_ = json.Unmarshal(raw, &p)
			if p.ID == id {
				return errors.New("fn failed")
			}
			return nil
		}
	}
	tests := []struct {
		name       string
		failPage   int
		ignoreSort bool
		fn         func(json.RawMessage, string) error
		want       string
	}{
		{name: "fn fails on a later instant", fn: failOn("b"), want: "2024-05-17T09:30:00Z"},
		{name: "fn fails on the same instant as the last done", fn: failOn("d"), want: "2024-05-17T09:30:01Z"},
		{name: "fn fails on the first", fn: failOn("a"), want: "2024-01-01T00:00:00Z"},
		{name: "page 2 fails: c's instant may continue there", failPage: 2, fn: failOn(""), want: "2024-05-17T09:30:01Z"},
		{name: "unsorted server", ignoreSort: true, failPage: 2, fn: failOn(""), want: "2024-01-01T00:00:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			order := resources
			if tc.ignoreSort {
				order = []stored{resources[4], resources[0], resources[1], resources[2], resources[3]}
			}
			f := &fakeFHIR{t: t, resources: order, failPage: tc.failPage, ignoreSort: tc.ignoreSort}
			srv := httptest.NewServer(f)
			defer srv.Close()
			c := newClient(t, srv, Config{PageSize: 3})
			cur, err := c.Since(t.Context(), "Patient", since, nil, tc.fn)
			if err == nil {
				t.Fatal("Since succeeded")
			}
			if want := mustTime(t, tc.want); !cur.Equal(want) {
				t.Errorf("cursor = %v, want %v", cur.UTC(), want)
			}
		})
	}
}

func TestErrorOperationOutcome(t *testing.T) {
	outcome := OperationOutcome{Issue: []OperationOutcomeIssue{
		{Severity: "error", Code: "business-rule", Diagnostics: "Jane Doe (born 1980-02-03) already has an appointment at 10:00"},
		{Severity: "error", Code: "invariant", Diagnostics: "app-3: Jane Doe"},
		{Severity: "warning", Code: "business-rule"},
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusUnprocessableEntity, outcome)
	}))
	defer srv.Close()
	c := newClient(t, srv, Config{})
	_, _, err := c.Create(t.Context(), Appointment{Status: "booked"})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Create error = %v, want an *Error", err)
	}
	if want := "fhir: create Appointment: HTTP 422 Unprocessable Entity (issues: business-rule, invariant)"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
	if diff := cmp.Diff(&outcome, e.Outcome); diff != "" {
		t.Errorf("Outcome (-want +got):\n%s", diff)
	}
	if IsRetryable(err) || IsConflict(err) || IsNotFound(err) {
		t.Errorf("422: retryable %v, conflict %v, not found %v; want none", IsRetryable(err), IsConflict(err), IsNotFound(err))
	}
}

func TestErrorStatuses(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name           string
		status         int
		retryAfter     string
		body           string
		wantRetryable  bool
		wantRetryAfter time.Duration
		wantNotFound   bool
		wantConflict   bool
	}{
		{name: "429 seconds", status: 429, retryAfter: "120", wantRetryable: true, wantRetryAfter: 2 * time.Minute},
		{name: "503 date", status: 503, retryAfter: now.Add(90 * time.Second).Format(http.TimeFormat), wantRetryable: true, wantRetryAfter: 90 * time.Second},
		{name: "503 date passed", status: 503, retryAfter: now.Add(-time.Minute).Format(http.TimeFormat), wantRetryable: true},
		{name: "503 garbage", status: 503, retryAfter: "soon", wantRetryable: true},
		{name: "500 ignores Retry-After", status: 500, retryAfter: "30", wantRetryable: true},
		{name: "502 HTML", status: 502, body: "<html>Bad gateway</html>", wantRetryable: true},
		{name: "501", status: 501},
		{name: "408", status: 408, wantRetryable: true},
		{name: "400", status: 400},
		{name: "403", status: 403},
		{name: "404", status: 404, wantNotFound: true},
		{name: "410", status: 410, wantNotFound: true},
		{name: "409", status: 409, wantConflict: true},
		{name: "412", status: 412, wantConflict: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			}))
			defer srv.Close()
			c := newClient(t, srv, Config{})
			c.now = func() time.Time { return now }
			err := c.Read(t.Context(), "Patient", "p1", &Patient{})
			var e *Error
			if !errors.As(err, &e) || e.Status != tc.status || e.ResourceType != "Patient" || e.ID != "p1" || e.Op != "read" {
				t.Fatalf("Read error = %#v, want an *Error with status %d", err, tc.status)
			}
			if got := IsRetryable(err); got != tc.wantRetryable {
				t.Errorf("IsRetryable = %v, want %v", got, tc.wantRetryable)
			}
			d, ok := RetryAfter(err)
			if d != tc.wantRetryAfter || ok != (tc.wantRetryAfter > 0) {
				t.Errorf("RetryAfter = %v, %v; want %v", d, ok, tc.wantRetryAfter)
			}
			if got := IsNotFound(err); got != tc.wantNotFound {
				t.Errorf("IsNotFound = %v, want %v", got, tc.wantNotFound)
			}
			if got := IsConflict(err); got != tc.wantConflict {
				t.Errorf("IsConflict = %v, want %v", got, tc.wantConflict)
			}
		})
	}
}

func TestNetworkErrorIsRetryableAndRedacted(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	c := newClient(t, srv, Config{})
	srv.Close() // nothing listens any more
	err := c.Search(t.Context(), "Patient", url.Values{"identifier": {"urn:mrn|SECRET-MRN-42"}, "name": {"Chalmers"}}, func(json.RawMessage, string) error { return nil })
	if err == nil {
		t.Fatal("Search succeeded against a closed server")
	}
	if !IsRetryable(err) {
		t.Errorf("IsRetryable(%v) = false, want true", err)
	}
	for _, secret := range []string{"SECRET", "Chalmers", "identifier"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q quotes %q", err, secret)
		}
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err = c.Read(ctx, "Patient", "1", &Patient{})
	if err == nil || IsRetryable(err) || !errors.Is(err, context.Canceled) {
		t.Errorf("Read with a cancelled context = %v (retryable %v), want context.Canceled, not retryable", err, IsRetryable(err))
	}
}

func TestRead(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fhir/Patient/example":
			w.Header().Set("Content-Type", "application/fhir+json")
			w.Write(readExample(t, "patient-example.json"))
		case "/fhir/Patient/wrong":
			writeJSON(w, 200, Appointment{ID: "wrong"})
		case "/fhir/Patient/bad":
			w.Write([]byte(`{"resourceType":"Patient","meta":{"lastUpdated":"yesterday, said Jane"}}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := newClient(t, srv, Config{})

	var p Patient
	if err := c.Read(t.Context(), "Patient", "example", &p); err != nil {
		t.Fatal(err)
	}
	if p.ID != "example" || p.Name[0].Family != "Chalmers" {
		t.Errorf("Read = %+v", p)
	}
	var raw json.RawMessage
	if err := c.Read(t.Context(), "Patient", "example", &raw); err != nil || !strings.Contains(string(raw), "Chalmers") {
		t.Errorf("Read into RawMessage = %.40s, %v", raw, err)
	}
	if err := c.Read(t.Context(), "Patient", "wrong", &p); err == nil {
		t.Error("Read accepted an Appointment for a Patient")
	}
	err := c.Read(t.Context(), "Patient", "bad", &p)
	var de *DecodeError
	if !errors.As(err, &de) || strings.Contains(err.Error(), "Jane") {
		t.Errorf("Read of a malformed Patient = %v, want a *DecodeError that does not quote it", err)
	}
	if err := c.Read(t.Context(), "Patient", "gone", &p); !IsNotFound(err) {
		t.Errorf("Read of a missing Patient = %v, want not found", err)
	}
}

func TestCreateIfNoneExist(t *testing.T) {
	var mu sync.Mutex
	byIdent := map[string]string{} // If-None-Exist → id
	var headers []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method != http.MethodPost || r.URL.Path != "/fhir/Appointment" {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/fhir+json") {
			t.Errorf("Content-Type = %q", ct)
		}
		var a Appointment
		if err := json.NewDecoder(r.Body).Decode(&a); err != nil {
			t.Errorf("body: %v", err)
		}
		cond := r.Header.Get("If-None-Exist")
		headers = append(headers, cond)
		if id, ok := byIdent[cond]; ok {
			a.ID, a.Meta = id, Meta{VersionID: "1"}
			writeJSON(w, http.StatusOK, a) // the existing one, as HAPI and Medplum answer
			return
		}
		id := fmt.Sprintf("appt-%d", len(byIdent)+1)
		byIdent[cond] = id
		// No body, only Location: what a server answering Prefer: return=minimal sends.
		w.Header().Set("Location", "http://"+r.Host+"/fhir/Appointment/"+id+"/_history/1")
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	c := newClient(t, srv, Config{})

	ident := Identifier{System: "https://tidings.health/appointment", Value: "a|b,c$d\\e 42"}
	appt := Appointment{Identifier: []Identifier{ident}, Status: "booked", Start: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), MinutesDuration: 15}
	id1, v1, created1, err := c.CreateIfNoneExist(t.Context(), appt, ident)
	if err != nil || id1 != "appt-1" || v1 != "1" || !created1 {
		t.Fatalf("first CreateIfNoneExist = %q, %q, %v, %v; want appt-1, 1, created", id1, v1, created1, err)
	}
	id2, v2, created2, err := c.CreateIfNoneExist(t.Context(), appt, ident)
	if err != nil || id2 != "appt-1" || v2 != "1" || created2 {
		t.Fatalf("second CreateIfNoneExist = %q, %q, %v, %v; want appt-1, 1, not created", id2, v2, created2, err)
	}
	want := `identifier=https%3A%2F%2Ftidings.health%2Fappointment%7Ca%5C%7Cb%5C%2Cc%5C%24d%5C%5Ce+42`
	if diff := cmp.Diff([]string{want, want}, headers); diff != "" {
		t.Errorf("If-None-Exist (-want +got):\n%s", diff)
	}
	if v, _ := url.ParseQuery(headers[0]); v.Get("identifier") != `https://tidings.health/appointment|a\|b\,c\$d\\e 42` {
		t.Errorf("If-None-Exist decodes to %q", v.Get("identifier"))
	}
	if _, _, _, err := c.CreateIfNoneExist(t.Context(), appt, Identifier{Value: "x"}); err == nil {
		t.Error("CreateIfNoneExist without a system succeeded")
	}
	// A plain Create sends no condition.
	if _, _, err := c.Create(t.Context(), appt); err != nil {
		t.Fatal(err)
	}
	if headers[2] != "" {
		t.Errorf("Create sent If-None-Exist %q", headers[2])
	}
}

func TestUpdateIfMatch(t *testing.T) {
	version := 3
	var ifMatch []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || r.URL.Path != "/fhir/Appointment/a1" {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		im := r.Header.Get("If-Match")
		ifMatch = append(ifMatch, im)
		if im != "" && im != fmt.Sprintf(`W/"%d"`, version) {
			writeJSON(w, http.StatusPreconditionFailed, OperationOutcome{Issue: []OperationOutcomeIssue{{Severity: "error", Code: "conflict", Diagnostics: "version mismatch"}}})
			return
		}
		version++
		w.Header().Set("ETag", fmt.Sprintf(`W/"%d"`, version))
		w.WriteHeader(http.StatusOK) // no body: the version comes from ETag
	}))
	defer srv.Close()
	c := newClient(t, srv, Config{})
	appt := Appointment{ID: "a1", Status: "cancelled"}

	v, err := c.Update(t.Context(), "Appointment", "a1", appt, "3")
	if err != nil || v != "4" {
		t.Fatalf("Update = %q, %v; want version 4", v, err)
	}
	_, err = c.Update(t.Context(), "Appointment", "a1", appt, "3") // stale now
	if !IsConflict(err) || IsRetryable(err) {
		t.Fatalf("stale Update = %v, want a conflict, not retryable", err)
	}
	if strings.Contains(err.Error(), "mismatch") {
		t.Errorf("error %q quotes the diagnostics", err)
	}
	if v, err := c.Update(t.Context(), "Appointment", "a1", appt, ""); err != nil || v != "5" {
		t.Fatalf("unconditional Update = %q, %v; want version 5", v, err)
	}
	if diff := cmp.Diff([]string{`W/"3"`, `W/"3"`, ""}, ifMatch); diff != "" {
		t.Errorf("If-Match (-want +got):\n%s", diff)
	}
	for name, call := range map[string]func() error{
		"id mismatch":   func() error { _, err := c.Update(t.Context(), "Appointment", "a2", appt, ""); return err },
		"type mismatch": func() error { _, err := c.Update(t.Context(), "Patient", "a1", appt, ""); return err },
		"quote":         func() error { _, err := c.Update(t.Context(), "Appointment", "a1", appt, `3"`); return err },
	} {
		if call() == nil {
			t.Errorf("Update with %s succeeded", name)
		}
	}
	if len(ifMatch) != 3 {
		t.Errorf("invalid Updates reached the server: %d requests", len(ifMatch))
	}
}

func TestWrittenFromHeaders(t *testing.T) {
	tests := []struct {
		name           string
		location, etag string
		body           string
		wantID, wantV  string
	}{
		{name: "body", body: `{"resourceType":"Task","id":"t1","meta":{"versionId":"9"}}`, wantID: "t1", wantV: "9"},
		{name: "location with history", location: "https://x/fhir/Task/t2/_history/3", wantID: "t2", wantV: "3"},
		{name: "relative location and etag", location: "Task/t3", etag: `W/"7"`, wantID: "t3", wantV: "7"},
		{name: "strong etag", location: "/r4/Task/t4", etag: `"8"`, wantID: "t4", wantV: "8"},
		{name: "body of another type", body: `{"resourceType":"OperationOutcome","id":"ok"}`, location: "Task/t5", wantID: "t5"},
		{name: "nothing"},
	}
	for _, tc := range tests {
		h := http.Header{}
		if tc.location != "" {
			h.Set("Location", tc.location)
		}
		if tc.etag != "" {
			h.Set("ETag", tc.etag)
		}
		id, v := written("Task", h, []byte(tc.body))
		if id != tc.wantID || v != tc.wantV {
			t.Errorf("%s: written = %q, %q; want %q, %q", tc.name, id, v, tc.wantID, tc.wantV)
		}
	}
}

func TestNew(t *testing.T) {
	hc := &http.Client{}
	tests := []struct {
		name string
		cfg  Config
		ok   bool
		base string
	}{
		{name: "ok", cfg: Config{Base: "https://fhir.example/r4", HTTP: hc}, ok: true, base: "https://fhir.example/r4/"},
		{name: "trailing slash", cfg: Config{Base: "https://fhir.example/r4/", HTTP: hc}, ok: true, base: "https://fhir.example/r4/"},
		{name: "no client", cfg: Config{Base: "https://fhir.example/r4"}},
		{name: "relative", cfg: Config{Base: "/r4", HTTP: hc}},
		{name: "ftp", cfg: Config{Base: "ftp://fhir.example/r4", HTTP: hc}},
		{name: "query", cfg: Config{Base: "https://fhir.example/r4?x=1", HTTP: hc}},
		{name: "user", cfg: Config{Base: "https://u:p@fhir.example/r4", HTTP: hc}},
		{name: "client credentials without client", cfg: Config{Base: "https://fhir.example/r4", HTTP: hc, Auth: &ClientCredentials{TokenURL: "https://auth.example/token"}}},
	}
	for _, tc := range tests {
		c, err := New(tc.cfg)
		if (err == nil) != tc.ok {
			t.Errorf("%s: New error = %v, want ok %v", tc.name, err, tc.ok)
			continue
		}
		if tc.ok {
			if c.base.String() != tc.base {
				t.Errorf("%s: base = %s, want %s", tc.name, c.base, tc.base)
			}
			if c.pageSize != DefaultPageSize || c.maxPages != DefaultMaxPages || c.maxBytes != DefaultMaxResponseBytes {
				t.Errorf("%s: defaults = %d, %d, %d", tc.name, c.pageSize, c.maxPages, c.maxBytes)
			}
		}
	}
}

func TestIsRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{name: "nil", err: nil},
		{name: "unknown", err: errors.New("x")},
		{name: "canceled", err: &Error{Err: context.Canceled}},
		{name: "deadline", err: &Error{Err: context.DeadlineExceeded}, want: true},
		{name: "wrapped 503", err: fmt.Errorf("sync: %w", &Error{Status: 503}), want: true},
		{name: "token 401", err: &Error{Err: &TokenError{Status: 401, Code: "invalid_client"}}},
		{name: "token 500", err: &Error{Err: &TokenError{Status: 500}}, want: true},
		{name: "token network", err: &Error{Err: &TokenError{Err: &url.Error{Op: "Post", URL: "x", Err: errors.New("refused")}}}, want: true},
		{name: "page limit", err: &Error{Err: &PageLimitError{Pages: 1}}},
		{name: "truncated body", err: &Error{Status: 200, Err: io.ErrUnexpectedEOF}, want: true},
		{name: "too large", err: &Error{Status: 200, Err: &TooLargeError{Limit: 1}}},
		{name: "malformed body", err: &Error{Status: 200, Err: &DecodeError{What: "Bundle", Err: &json.SyntaxError{}}}},
	}
	for _, tc := range tests {
		if got := IsRetryable(tc.err); got != tc.want {
			t.Errorf("%s: IsRetryable = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRetryAfterParse(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":   0,
		"0":  0,
		"-5": 0,
		"7":  7 * time.Second,
		now.Add(time.Hour).Format(http.TimeFormat): time.Hour,
		"Mon, 02 Mar 2026 09:00:00 GMT":            0,
		"tomorrow":                                 0,
	} {
		if got := retryAfter(in, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}
