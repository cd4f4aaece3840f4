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
	"time"
)

// Defaults for the zero fields of Config.
const (
	// DefaultPageSize is the _count sent when a search names none: big enough to need few
	// pages, small enough that a page of Patients stays well under the size limit.
	DefaultPageSize = 100
	// DefaultMaxPages bounds one search: 100,000 resources at the default page size.
	DefaultMaxPages = 1000
	// DefaultMaxResponseBytes bounds one response body (one page of a search).
	DefaultMaxResponseBytes = 32 << 20
)

// Config is what a Client needs to talk to one clinic's FHIR server.
type Config struct {
	// Base is the server's FHIR base URL, such as "https://fhir.clinic.example/r4": resource
	// types are appended to it. Only http and https; no query, fragment or user info.
	Base string
	// HTTP sends the requests; its Timeout and Transport are the caller's choice. Required.
	HTTP *http.Client
	// Auth sets the Authorization header; nil sends none (a server on a trusted network).
	Auth Auth
	// PageSize is the _count of a search whose params do not set it; 0 means DefaultPageSize.
	PageSize int
	// MaxPages bounds the pages one search follows; 0 means DefaultMaxPages.
	MaxPages int
	// MaxResponseBytes bounds one response body; 0 means DefaultMaxResponseBytes.
	MaxResponseBytes int64
}

// Client talks FHIR R4 REST (JSON) to one clinic's server: it searches with paging, syncs
// incrementally by _lastUpdated, reads, and writes appointments back with conditional create
// and If-Match. It is safe for concurrent use. Every failure of a call to the server is an
// *Error whose message carries no patient data.
type Client struct {
	base     *url.URL // with a trailing slash
	hc       *http.Client
	auth     Auth
	pageSize int
	maxPages int
	maxBytes int64
	now      func() time.Time
}

// New checks cfg and returns a Client for it.
func New(cfg Config) (*Client, error) {
	if cfg.HTTP == nil {
		return nil, errors.New("fhir: Config.HTTP is nil")
	}
	base, err := url.Parse(cfg.Base)
	if err != nil {
		return nil, errors.New("fhir: Config.Base is not a URL")
	}
	if (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, errors.New("fhir: Config.Base must be an absolute http or https URL")
	}
	if base.User != nil || base.RawQuery != "" || base.Fragment != "" || base.Opaque != "" {
		return nil, errors.New("fhir: Config.Base must have no user info, query or fragment")
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
		base.RawPath = ""
	}
	if cc, ok := cfg.Auth.(*ClientCredentials); ok && cc.HTTP == nil {
		return nil, errors.New("fhir: ClientCredentials.HTTP is nil")
	}
	c := &Client{base: base, hc: cfg.HTTP, auth: cfg.Auth, pageSize: cfg.PageSize, maxPages: cfg.MaxPages, maxBytes: cfg.MaxResponseBytes, now: time.Now}
	if c.pageSize <= 0 {
		c.pageSize = DefaultPageSize
	}
	if c.maxPages <= 0 {
		c.maxPages = DefaultMaxPages
	}
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultMaxResponseBytes
	}
	return c, nil
}

// Search runs a search of resourceType with params (FHIR search parameters; _count is added
// when absent) and calls fn with every resource of every page, in the server's order, with
// its resource type: the matches, and any _include'd resources (a Bundle entry with search
// mode "outcome", the server's warnings, is not passed on). It follows the Bundle's "next"
// links, but only on the base URL's scheme and host (an *UnsafeLinkError otherwise) and for at
// most MaxPages pages (a *PageLimitError). An error from fn stops the search and is returned
// as it is.
func (c *Client) Search(ctx context.Context, resourceType string, params url.Values, fn func(raw json.RawMessage, typ string) error) error {
	return c.search(ctx, resourceType, params, func(e entry) error { return fn(e.raw, e.typ) })
}

// Since is the incremental sync: a Search of resourceType updated after since
// (_lastUpdated=gt…, all of them when since is zero) sorted by _sort=_lastUpdated, with
// params added. It returns the cursor for the next run: the latest meta.lastUpdated among the
// matches, or since when there were none.
//
// On an error it returns the cursor up to which every match has been passed to fn without
// error, so storing it loses nothing: the next run starts after the last timestamp it
// completed and delivers the rest, and maybe some matches again, so fn must be idempotent
// (key on resource id and meta.versionId). If the server ignored _sort, that cursor is since;
// matches without meta.lastUpdated do not move the cursor.
// A server with coarse timestamps can update a resource in the same instant as the cursor
// after the search read it; a caller that cannot accept that passes since minus a small
// overlap and lets idempotence absorb the repeats.
func (c *Client) Since(ctx context.Context, resourceType string, since time.Time, params url.Values, fn func(raw json.RawMessage, typ string) error) (time.Time, error) {
	q := cloneValues(params)
	if !since.IsZero() {
		q.Add("_lastUpdated", "gt"+formatInstant(since))
	}
	q.Set("_sort", "_lastUpdated")
	cur := cursor{since: since, last: since, before: since, max: since, sorted: true}
	err := c.search(ctx, resourceType, q, func(e entry) error {
		counts := e.typ == resourceType && (e.mode == "" || e.mode == "match") && e.lastUpdated != ""
		var t time.Time
		if counts {
			var err error
			if t, err = time.Parse(time.RFC3339Nano, e.lastUpdated); err != nil {
				return &Error{Op: "search", ResourceType: resourceType, ID: e.id, Err: errors.New("meta.lastUpdated is not an instant")}
			}
		}
		if err := fn(e.raw, e.typ); err != nil {
			if counts {
				cur.fail(t)
			}
			return err
		}
		if counts {
			cur.done(t)
		}
		return nil
	})
	if err != nil {
		return cur.safe(), err
	}
	return cur.max, nil
}

// cursor follows the lastUpdated of the matches of a Since in the order fn sees them.
type cursor struct {
	since        time.Time
	last, before time.Time  // the latest completed, and the latest completed before it
	max          time.Time  // the latest seen
	failed       *time.Time // the match fn failed on
	sorted       bool       // every match so far came in ascending order
}

func (c *cursor) done(t time.Time) {
	switch {
	case t.Before(c.last):
		c.sorted = false
	case t.After(c.last):
		c.before, c.last = c.last, t
	}
	if t.After(c.max) {
		c.max = t
	}
}

func (c *cursor) fail(t time.Time) {
	if t.Before(c.last) {
		c.sorted = false
	}
	c.failed = &t
}

// safe returns the latest timestamp such that every match at or before it was completed:
// in ascending order, matches sharing the timestamp of the last completed one may still be
// on the next page, so only the one before it is safe, unless fn failed on a later one.
func (c *cursor) safe() time.Time {
	switch {
	case !c.sorted:
		return c.since
	case c.failed != nil && c.failed.After(c.last):
		return c.last
	default:
		return c.before
	}
}

// entry is one resource of a search page, with what Since needs to know about it.
type entry struct {
	raw         json.RawMessage
	typ, mode   string
	id          string
	lastUpdated string
}

// probe is the part of a resource's JSON that the client itself looks at.
type probe struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Meta         struct {
		VersionID   string `json:"versionId"`
		LastUpdated string `json:"lastUpdated"`
	} `json:"meta"`
}

func (c *Client) search(ctx context.Context, typ string, params url.Values, fn func(entry) error) error {
	if !validType(typ) {
		return errors.New("fhir: search: not a resource type name")
	}
	q := cloneValues(params)
	if q.Get("_count") == "" {
		q.Set("_count", strconv.Itoa(c.pageSize))
	}
	u := c.base.JoinPath(typ)
	u.RawQuery = q.Encode()
	for page := 1; ; page++ {
		if page > c.maxPages {
			return &Error{Op: "search", ResourceType: typ, Err: &PageLimitError{Pages: c.maxPages}}
		}
		status, _, body, err := c.do(ctx, request{op: "search", typ: typ, method: http.MethodGet, url: u})
		if err != nil {
			return err
		}
		var b struct {
			ResourceType string        `json:"resourceType"`
			Type         string        `json:"type"`
			Link         []BundleLink  `json:"link"`
			Entry        []BundleEntry `json:"entry"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			return &Error{Op: "search", ResourceType: typ, Status: status, Err: &DecodeError{What: "Bundle", Err: err}}
		}
		if b.ResourceType != TypeBundle || b.Type != "searchset" {
			return &Error{Op: "search", ResourceType: typ, Status: status, Err: errors.New("the answer is not a searchset Bundle")}
		}
		for i, en := range b.Entry {
			mode := ""
			if en.Search != nil {
				mode = en.Search.Mode
			}
			if mode == "outcome" || len(en.Resource) == 0 {
				continue
			}
			var p probe
			if err := json.Unmarshal(en.Resource, &p); err != nil || !validType(p.ResourceType) {
				return &Error{Op: "search", ResourceType: typ, Status: status, Err: fmt.Errorf("page %d entry %d has no resource type", page, i)}
			}
			if err := fn(entry{raw: en.Resource, typ: p.ResourceType, mode: mode, id: p.ID, lastUpdated: p.Meta.LastUpdated}); err != nil {
				return err
			}
		}
		next := ""
		for _, l := range b.Link {
			if l.Relation == "next" {
				next = l.URL
			}
		}
		if next == "" {
			return nil
		}
		nu, err := u.Parse(next)
		if err != nil {
			return &Error{Op: "search", ResourceType: typ, Status: status, Err: errors.New("malformed next link")}
		}
		if !c.sameOrigin(nu) {
			return &Error{Op: "search", ResourceType: typ, Status: status, Err: &UnsafeLinkError{Scheme: nu.Scheme, Host: nu.Host}}
		}
		if nu.String() == u.String() {
			return &Error{Op: "search", ResourceType: typ, Status: status, Err: errors.New("next link points at the same page")}
		}
		u = nu
	}
}

// sameOrigin reports whether u has the base URL's scheme, host and port, and no user info.
func (c *Client) sameOrigin(u *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if strings.EqualFold(u.Scheme, "https") {
			return "443"
		}
		return "80"
	}
	return u.User == nil &&
		strings.EqualFold(u.Scheme, c.base.Scheme) &&
		strings.EqualFold(u.Hostname(), c.base.Hostname()) &&
		port(u) == port(c.base)
}

// Read fetches resourceType/id and decodes it into out (a *Patient, a *json.RawMessage, …).
// A resource that does not exist is an *Error that IsNotFound recognises.
func (c *Client) Read(ctx context.Context, resourceType, id string, out any) error {
	if !validType(resourceType) || !validID(id) {
		return errors.New("fhir: read: not a resource type name and id")
	}
	u := c.base.JoinPath(resourceType, id)
	status, _, body, err := c.do(ctx, request{op: "read", typ: resourceType, id: id, method: http.MethodGet, url: u})
	if err != nil {
		return err
	}
	var p probe
	if err := json.Unmarshal(body, &p); err != nil || p.ResourceType != resourceType {
		return &Error{Op: "read", ResourceType: resourceType, ID: id, Status: status, Err: errors.New("the answer is not a resource of that type")}
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &Error{Op: "read", ResourceType: resourceType, ID: id, Status: status, Err: &DecodeError{What: resourceType, Err: err}}
	}
	return nil
}

// Create creates r on the server and returns the id and version the server gave it. A
// retried Create can make a duplicate; the write-back uses CreateIfNoneExist.
func (c *Client) Create(ctx context.Context, r Resource) (id, versionID string, err error) {
	id, versionID, _, err = c.create(ctx, r, "")
	return id, versionID, err
}

// CreateIfNoneExist creates r unless a resource of its type with identifier ident exists
// (FHIR conditional create, If-None-Exist: identifier=system|value), so that a write-back
// retried after a lost answer does not book twice. created says which happened; either way id
// and versionID name the resource. ident needs both System and Value. Two matches on the
// server are an *Error with status 412.
func (c *Client) CreateIfNoneExist(ctx context.Context, r Resource, ident Identifier) (id, versionID string, created bool, err error) {
	if ident.System == "" || ident.Value == "" {
		return "", "", false, errors.New("fhir: conditional create: the identifier needs a system and a value")
	}
	cond := url.Values{"identifier": {escapeToken(ident.System) + "|" + escapeToken(ident.Value)}}.Encode()
	return c.create(ctx, r, cond)
}

func (c *Client) create(ctx context.Context, r Resource, ifNoneExist string) (id, versionID string, created bool, err error) {
	typ := r.ResourceType()
	body, err := marshal(r, typ)
	if err != nil {
		return "", "", false, fmt.Errorf("fhir: create %s: %w", typ, err)
	}
	req := request{op: "create", typ: typ, method: http.MethodPost, url: c.base.JoinPath(typ), body: body}
	if ifNoneExist != "" {
		req.header = http.Header{"If-None-Exist": {ifNoneExist}}
	}
	status, h, resp, err := c.do(ctx, req)
	if err != nil {
		return "", "", false, err
	}
	id, versionID = written(typ, h, resp)
	if id == "" {
		// The resource exists now; an error here must not make the caller create it again.
		return "", versionID, status != http.StatusOK, &Error{Op: "create", ResourceType: typ, Status: status, Err: errors.New("the server named no id for the resource (no body, no Location)")}
	}
	return id, versionID, status != http.StatusOK, nil
}

// Update replaces resourceType/id with r, whose id must be id, and returns the new version.
// With ifMatchVersion it is sent with If-Match: W/"ifMatchVersion", so that a change made on
// the server since that version is not overwritten: the server's 412 is an *Error that
// IsConflict recognises.
func (c *Client) Update(ctx context.Context, resourceType, id string, r Resource, ifMatchVersion string) (versionID string, err error) {
	if !validType(resourceType) || !validID(id) || r.ResourceType() != resourceType {
		return "", errors.New("fhir: update: not a resource type name and id, or r is of another type")
	}
	body, err := marshal(r, resourceType)
	if err != nil {
		return "", fmt.Errorf("fhir: update %s/%s: %w", resourceType, id, err)
	}
	var p probe
	if err := json.Unmarshal(body, &p); err != nil || p.ID != id {
		return "", fmt.Errorf("fhir: update %s/%s: the resource's id must be the id updated", resourceType, id)
	}
	req := request{op: "update", typ: resourceType, id: id, method: http.MethodPut, url: c.base.JoinPath(resourceType, id), body: body}
	if ifMatchVersion != "" {
		if strings.ContainsAny(ifMatchVersion, "\"\r\n") {
			return "", errors.New("fhir: update: a version id has no quotes or line breaks")
		}
		req.header = http.Header{"If-Match": {`W/"` + ifMatchVersion + `"`}}
	}
	_, h, resp, err := c.do(ctx, req)
	if err != nil {
		return "", err
	}
	_, versionID = written(resourceType, h, resp)
	return versionID, nil
}

// marshal encodes r and checks that its JSON says it is a typ.
func marshal(r Resource, typ string) ([]byte, error) {
	if !validType(typ) {
		return nil, errors.New("not a resource type name")
	}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	var p probe
	if err := json.Unmarshal(body, &p); err != nil || p.ResourceType != typ {
		return nil, errors.New("its JSON has no matching resourceType")
	}
	return body, nil
}

// written finds the id and version of a created or updated resource: in the body the server
// returned, else in the Location header (…/Type/id/_history/vid) and ETag.
func written(typ string, h http.Header, body []byte) (id, versionID string) {
	var p probe
	if len(body) > 0 && json.Unmarshal(body, &p) == nil && p.ResourceType == typ {
		id, versionID = p.ID, p.Meta.VersionID
	}
	if loc, err := url.Parse(h.Get("Location")); err == nil && (id == "" || versionID == "") {
		seg := strings.Split(strings.Trim(loc.Path, "/"), "/")
		for i := len(seg) - 2; i >= 0; i-- {
			if seg[i] != typ {
				continue
			}
			if id == "" {
				id = seg[i+1]
			}
			if versionID == "" && i+3 < len(seg) && seg[i+2] == "_history" {
				versionID = seg[i+3]
			}
			break
		}
	}
	if versionID == "" {
		versionID = strings.Trim(strings.TrimPrefix(h.Get("ETag"), "W/"), `"`)
	}
	return id, versionID
}

// request is one HTTP exchange with the server.
type request struct {
	op, typ, id string
	method      string
	url         *url.URL
	body        []byte
	header      http.Header
}

// do sends req with the Accept header and credentials, once more with fresh credentials after
// a 401 when the Auth is a Refresher, and returns the status, headers and body of a 2xx
// answer or an *Error.
func (c *Client) do(ctx context.Context, req request) (int, http.Header, []byte, error) {
	fail := func(status int, err error) *Error {
		return &Error{Op: req.op, ResourceType: req.typ, ID: req.id, Status: status, Err: err}
	}
	for attempt := 0; ; attempt++ {
		var body io.Reader
		if req.body != nil {
			body = bytes.NewReader(req.body)
		}
		hr, err := http.NewRequestWithContext(ctx, req.method, req.url.String(), body)
		if err != nil {
			return 0, nil, nil, fail(0, redactURLError(err))
		}
		hr.Header.Set("Accept", "application/fhir+json")
		if req.body != nil {
			hr.Header.Set("Content-Type", "application/fhir+json; charset=utf-8")
		}
		for k, v := range req.header {
			hr.Header[k] = v
		}
		if c.auth != nil {
			if err := c.auth.Authorize(ctx, hr); err != nil {
				return 0, nil, nil, fail(0, err)
			}
		}
		resp, err := c.hc.Do(hr)
		if err != nil {
			return 0, nil, nil, fail(0, redactURLError(err))
		}
		b, readErr := c.readBody(resp)
		resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			if r, ok := c.auth.(Refresher); ok {
				r.Invalidate(hr.Header.Get("Authorization"))
				continue
			}
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			e := fail(resp.StatusCode, nil)
			if readErr == nil {
				e.Outcome = parseOutcome(b)
			}
			if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
				e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), c.now())
			}
			return resp.StatusCode, nil, nil, e
		}
		if readErr != nil {
			return resp.StatusCode, nil, nil, fail(resp.StatusCode, readErr)
		}
		return resp.StatusCode, resp.Header, b, nil
	}
}

// readBody reads resp's body up to the size limit.
func (c *Client) readBody(resp *http.Response) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > c.maxBytes {
		return nil, &TooLargeError{Limit: c.maxBytes}
	}
	return b, nil
}

// parseOutcome decodes b if it is an OperationOutcome.
func parseOutcome(b []byte) *OperationOutcome {
	var p probe
	if json.Unmarshal(b, &p) != nil || p.ResourceType != TypeOperationOutcome {
		return nil
	}
	var o OperationOutcome
	if json.Unmarshal(b, &o) != nil {
		return nil
	}
	return &o
}

// validType reports whether s can be a FHIR resource type name: it goes into the URL path.
func validType(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return false
		}
	}
	return true
}

// validID reports whether s is a FHIR id ([A-Za-z0-9\-\.]{1,64}): it goes into the URL path.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// escapeToken escapes the characters FHIR search gives a meaning (\ | , $) in one part of a
// token parameter.
func escapeToken(s string) string {
	return strings.NewReplacer(`\`, `\\`, `|`, `\|`, `,`, `\,`, `$`, `\$`).Replace(s)
}

// cloneValues copies v so that adding _count or _sort does not change the caller's map.
func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v)+2)
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
