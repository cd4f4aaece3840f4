package twilio

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Paging limits for ListMessages. One recipient receives few messages, so a thousand a page
// and a handful of pages reach far back; a recipient with more fails loudly instead of
// reconciling against a partial list.
const (
	listPageSize = 1000
	listMaxPages = 5
)

// ListMessages returns the provider's messages to the number to created at or after since
// (compared to the second, the provider's precision), newest first.
//
// The provider can filter only on the date sent, which a queued message does not have yet;
// so the list is filtered on To by the provider and on the creation date here. Paging stops
// at a page whose messages were all created more than a day before since (a generous margin
// for the provider's sort by date sent), or fails after listMaxPages pages.
//
// Reading is safe to repeat, so a failure is Transient or Permanent, never Unknown.
func (c *Client) ListMessages(ctx context.Context, to string, since time.Time) ([]Resource, error) {
	since = since.Truncate(time.Second)
	size := listPageSize
	if c.pageSize > 0 {
		size = c.pageSize
	}
	q := url.Values{"To": {to}, "PageSize": {strconv.Itoa(size)}}
	next := c.messagesURL() + "?" + q.Encode()
	var out []Resource
	for page := 0; next != ""; page++ {
		if page == listMaxPages {
			return nil, &Error{Op: "list", Kind: Permanent, Reason: "too many messages to this recipient to list"}
		}
		var p struct {
			Messages    []resource `json:"messages"`
			NextPageURI *string    `json:"next_page_uri"`
		}
		if err := c.get(ctx, next, &p); err != nil {
			return nil, err
		}
		recent := false
		for _, r := range p.Messages {
			res := r.public()
			if !res.DateCreated.Before(since.Add(-24 * time.Hour)) {
				recent = true
			}
			if !res.DateCreated.Before(since) && res.To == to {
				out = append(out, res)
			}
		}
		next = ""
		if p.NextPageURI != nil && *p.NextPageURI != "" && recent {
			// Follow only a path on the same API: credentials go with the request.
			u := *p.NextPageURI
			if !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") {
				return nil, &Error{Op: "list", Kind: Transient, Reason: "the provider's next page is not a path"}
			}
			next = strings.TrimSuffix(c.BaseURL, "/") + u
		}
	}
	return out, nil
}

// get reads one JSON document. Network failures are Transient: a GET changes nothing.
func (c *Client) get(ctx context.Context, u string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return &Error{Op: "list", Kind: Permanent, Reason: "cannot build the request: check BaseURL"}
	}
	status, header, body, err := c.do(req)
	if err != nil {
		return &Error{Op: "list", Kind: Transient, HTTPStatus: status, Err: err}
	}
	if status != http.StatusOK {
		e := c.apiError("list", "", status, header, body)
		if e.Kind == Unknown {
			e.Kind = Transient
		}
		return e
	}
	if err := json.Unmarshal(body, into); err != nil {
		return &Error{Op: "list", Kind: Transient, HTTPStatus: status, Reason: "unreadable message list"}
	}
	return nil
}

// Reconcile finds m at the provider after a send whose outcome is unknown: an outbound
// message to m.To with m.Body created at or after since (from m.From or through
// m.MessagingServiceSID when given). since should be when the first attempt started, less a
// margin for clock skew between us and the provider.
//
// found is false when the provider has no such message: the send never took effect and may
// be retried. When several match (an earlier duplicate), the oldest is returned, the one the
// patient received first. Providers that rewrite bodies (Smart Encoding, trial-account
// prefixes) defeat the match; do not enable them with reconciliation. A caller that keeps
// its bodies with secrets blanked (a one-time link) passes the same blanking as redact,
// applied to the provider's bodies before they are compared.
func (c *Client) Reconcile(ctx context.Context, m Message, since time.Time, redact ...func(string) string) (sent Sent, found bool, err error) {
	list, err := c.ListMessages(ctx, m.To, since)
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.Op, e.Ref = "reconcile", m.Ref
		}
		return Sent{}, false, err
	}
	for _, r := range list {
		body := r.Body
		for _, f := range redact {
			body = f(body)
		}
		if body != m.Body || !strings.HasPrefix(r.Direction, "outbound") && r.Direction != "" {
			continue
		}
		if m.From != "" && r.From != m.From {
			continue
		}
		if m.From == "" && m.MessagingServiceSID != "" && r.MessagingServiceSID != m.MessagingServiceSID {
			continue
		}
		if !found || r.DateCreated.Before(sent.DateCreated) {
			sent, found = Sent{SID: r.SID, Status: r.Status, DateCreated: r.DateCreated}, true
		}
	}
	return sent, found, nil
}
