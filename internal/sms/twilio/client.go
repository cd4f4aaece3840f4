package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultBaseURL is Twilio's REST API.
const DefaultBaseURL = "https://api.twilio.com"

// maxResponse bounds what is read from the provider: a message resource is about 1 KiB and a
// page of 1000 about 1 MiB.
const maxResponse = 4 << 20

// Client sends messages for one Twilio account. It is safe for concurrent use; set its
// fields before the first request.
type Client struct {
	// BaseURL is the API's scheme and host (and path prefix, if any). Default
	// DefaultBaseURL; tests point it at a twiliotest.Server.
	BaseURL string
	// HTTP makes the requests. Default: a client with a 30-second timeout. A request's
	// context deadline applies too; whichever is shorter wins.
	HTTP *http.Client
	// Now is the clock used to read a Retry-After date. Default time.Now.
	Now func() time.Time

	accountSID string
	authToken  string
	pageSize   int // ListMessages page size; tests lower it to exercise paging
}

// New returns a client for the account identified by accountSID (AC…), authenticating with
// its auth token (or, with an API key, pass the key's SID and secret as for basic auth and
// set BaseURL; the account SID still names the account in the path).
func New(accountSID, authToken string) *Client {
	return &Client{
		BaseURL: DefaultBaseURL,
		HTTP: &http.Client{
			Timeout: 30 * time.Second,
			// The API never redirects; following one would re-send a POST to a place we
			// did not choose.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		Now:        time.Now,
		accountSID: accountSID,
		authToken:  authToken,
	}
}

// Message is one SMS to send.
type Message struct {
	// Ref is the caller's id for the message, such as a notification id. It names the
	// message in errors and is never sent to the provider.
	Ref string
	// To is the recipient in E.164 form.
	To string
	// From is the sender (a number in E.164 or an alphanumeric sender id). Either From or
	// MessagingServiceSID is required; with both, the provider uses From.
	From string
	// MessagingServiceSID (MG…) lets the provider pick the sender from a pool.
	MessagingServiceSID string
	// Body is the text, at most 1600 characters.
	Body string
	// StatusCallback is the public URL the provider posts status changes to, optional.
	StatusCallback string
}

// Sent is the provider's answer to an accepted message.
type Sent struct {
	// SID is the provider's id for the message (SM…): store it, it links callbacks to the
	// message (NOT-6).
	SID string
	// Status is the status at creation: queued, or accepted with a messaging service.
	Status Status
	// DateCreated is when the provider created the message, to the second.
	DateCreated time.Time
}

// Send asks the provider to send m, once. On failure the error is an *Error; see the
// package documentation for what each Kind means. An error of Kind Unknown means the message
// may have been accepted: call Reconcile before sending it again.
func (c *Client) Send(ctx context.Context, m Message) (Sent, error) {
	fail := func(reason string) (Sent, error) {
		return Sent{}, &Error{Op: "send", Ref: m.Ref, Kind: Permanent, Reason: reason}
	}
	switch {
	case c.accountSID == "" || c.authToken == "":
		return fail("no account SID or auth token configured")
	case m.To == "":
		return fail("no To number")
	case m.Body == "":
		return fail("no body")
	case m.From == "" && m.MessagingServiceSID == "":
		return fail("neither From nor MessagingServiceSid")
	}
	form := url.Values{"To": {m.To}, "Body": {m.Body}}
	if m.From != "" {
		form.Set("From", m.From)
	}
	if m.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", m.MessagingServiceSID)
	}
	if m.StatusCallback != "" {
		form.Set("StatusCallback", m.StatusCallback)
	}

	// reached turns true once the request headers are on the wire: from then on the provider
	// may act on the request even if we never learn its answer.
	var reached atomic.Bool
	trace := &httptrace.ClientTrace{WroteHeaders: func() { reached.Store(true) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace),
		http.MethodPost, c.messagesURL(), strings.NewReader(form.Encode()))
	if err != nil {
		return fail("cannot build the request: check BaseURL")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")

	status, header, body, err := c.do(req)
	if err != nil {
		kind := Transient
		if reached.Load() {
			kind = Unknown
		}
		return Sent{}, &Error{Op: "send", Ref: m.Ref, Kind: kind, HTTPStatus: status, Err: err}
	}
	if status < 200 || status > 299 {
		return Sent{}, c.apiError("send", m.Ref, status, header, body)
	}
	var r resource
	if err := json.Unmarshal(body, &r); err != nil || r.SID == "" {
		return Sent{}, &Error{Op: "send", Ref: m.Ref, Kind: Unknown, HTTPStatus: status,
			Reason: "the provider's answer has no message SID"}
	}
	res := r.public()
	return Sent{SID: res.SID, Status: res.Status, DateCreated: res.DateCreated}, nil
}

// messagesURL is the Messages list resource of the account.
func (c *Client) messagesURL() string {
	return strings.TrimSuffix(c.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(c.accountSID) + "/Messages.json"
}

// do sends req with the account's credentials and reads the whole answer. A read that fails
// after the status line returns the status with the error. Errors are stripped of the URL.
func (c *Client) do(req *http.Request) (int, http.Header, []byte, error) {
	req.SetBasicAuth(c.accountSID, c.authToken)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "tidings-sms")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, nil, stripURL(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return resp.StatusCode, resp.Header, nil, stripURL(err)
	}
	return resp.StatusCode, resp.Header, body, nil
}

// apiError builds the *Error for an answered request that failed.
func (c *Client) apiError(op, ref string, status int, header http.Header, body []byte) *Error {
	var wire struct {
		Code     flexInt `json:"code"`
		MoreInfo string  `json:"more_info"`
		// message is deliberately not decoded: it often quotes the phone number.
	}
	_ = json.Unmarshal(body, &wire) // a gateway's HTML page has no code: the status decides
	e := &Error{
		Op: op, Ref: ref, HTTPStatus: status, Code: int(wire.Code),
		Kind: classify(status, int(wire.Code)), RetryAfter: c.retryAfter(header.Get("Retry-After")),
	}
	if strings.HasPrefix(wire.MoreInfo, "https://") {
		e.MoreInfo = wire.MoreInfo
	}
	return e
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
// A date in the past, a negative or an unreadable value count as no advice.
func (c *Client) retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if d := t.Sub(now()); d > 0 {
		return min(d, 24*time.Hour)
	}
	return 0
}

// stripURL removes the request URL from a transport error (it may carry a phone number in
// its query) and keeps the cause, so errors.Is still finds context.DeadlineExceeded.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s request: %w", strings.ToUpper(ue.Op), ue.Err)
	}
	return err
}
