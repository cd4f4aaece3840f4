package twiliotest

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tidings-health/tidings/internal/sms"
)

// Defaults for NewServer.
const (
	DefaultAccountSID = "AC00000000000000000000000000000001"
	DefaultAuthToken  = "12345678901234567890123456789012"
	// ServiceNumber is the sender the server picks for messages sent through a messaging
	// service without a From.
	ServiceNumber = "+15005550006"
)

// Outcome is what the server does with one send.
type Outcome struct {
	// HTTPStatus refuses the message with this status (400, 401, 429, 500, 503…) and a
	// Twilio error body. 0 accepts it.
	HTTPStatus int
	// Code is the Twilio error code in the refusal's body. With 0, the body is not JSON
	// (a gateway's page), as a 503 from a load balancer would be.
	Code int
	// RetryAfter is sent as the Retry-After header of a refusal.
	RetryAfter string
	// Delay holds the answer back, after the message was accepted: a client with a shorter
	// timeout then does not know whether it was sent.
	Delay time.Duration
	// Drop accepts the message, then closes the connection without answering.
	Drop bool
	// Final is the accepted message's last status: delivered (the default), undelivered or
	// failed.
	Final string
	// ErrorCode goes with an undelivered or failed Final; default 30003 (unreachable handset).
	ErrorCode int
}

// Fail is a refusal with Twilio's code and the HTTP status the provider gives it.
func Fail(code int) Outcome {
	status := http.StatusBadRequest
	switch code {
	case 20003:
		status = http.StatusUnauthorized
	case 20404:
		status = http.StatusNotFound
	case 20429:
		status = http.StatusTooManyRequests
	case 20500:
		status = http.StatusInternalServerError
	case 20503:
		status = http.StatusServiceUnavailable
	}
	return Outcome{HTTPStatus: status, Code: code}
}

// Unavailable is a 503 from a gateway: no JSON body.
func Unavailable() Outcome { return Outcome{HTTPStatus: http.StatusServiceUnavailable} }

// TooManyRequests is a 429 (code 20429) asking the client to wait retryAfter (a number of
// seconds or an HTTP date; empty sends no header).
func TooManyRequests(retryAfter string) Outcome {
	o := Fail(20429)
	o.RetryAfter = retryAfter
	return o
}

// Option configures NewServer.
type Option func(*config)

type config struct {
	accountSID, authToken string
	recipients            map[string]Outcome
	script                []Outcome
	seed                  uint64
	seeded                bool
	minCopies, maxCopies  int
	proxies               [][2]string
	now                   func() time.Time
}

// WithAccount sets the account SID and auth token the server accepts.
func WithAccount(sid, token string) Option {
	return func(c *config) { c.accountSID, c.authToken = sid, token }
}

// WithRecipient gives every send to the number to the outcome o (after the script).
func WithRecipient(to string, o Outcome) Option {
	return func(c *config) { c.recipients[to] = o }
}

// WithScript gives the next sends, whatever their recipient, these outcomes in order; after
// them, sends follow WithRecipient or succeed. Requests the server refuses for a bad account
// or form do not use up the script.
func WithScript(outcomes ...Outcome) Option {
	return func(c *config) { c.script = append(c.script, outcomes...) }
}

// WithSeed fixes the random choices (SIDs, callback copies and order) for a repeatable run.
func WithSeed(seed uint64) Option {
	return func(c *config) { c.seed, c.seeded = seed, true }
}

// WithCallbackCopies sets how many status callbacks each message gets, drawn between lo
// and hi (default 1 to 5). The final status is always among them.
func WithCallbackCopies(lo, hi int) Option {
	return func(c *config) { c.minCopies, c.maxCopies = max(1, lo), max(1, lo, hi) }
}

// WithProxy delivers callbacks whose URL starts with publicBase to localBase instead, while
// signing the public URL, as happens behind a TLS-terminating proxy. The request carries
// X-Forwarded-Proto and X-Forwarded-Host as a proxy would set them.
func WithProxy(publicBase, localBase string) Option {
	return func(c *config) { c.proxies = append(c.proxies, [2]string{publicBase, localBase}) }
}

// WithClock sets the server's clock (dates of messages). Default time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// Message is a message the server accepted (or an inbound one it posted).
type Message struct {
	SID                 string
	To                  string
	From                string
	MessagingServiceSID string
	Body                string
	StatusCallback      string
	Direction           string // outbound-api or inbound
	// Status is the status now; it reaches Final once every callback was posted.
	Status      string
	Final       string
	ErrorCode   int
	DateCreated time.Time
	DateSent    time.Time // zero while queued
	DateUpdated time.Time
}

// Delivery is one callback the server posted.
type Delivery struct {
	MessageSID string
	// Status is the MessageStatus posted; empty for an inbound message.
	Status string
	// URL is the URL signed (the public one); the request went to its proxy rewrite.
	URL string
	// HTTPStatus is the receiver's answer, 0 if none came.
	HTTPStatus int
	Err        error
}

// Server is a running fake provider. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL for twilio.Client.BaseURL.
	URL string
	// AccountSID and AuthToken are the credentials it accepts.
	AccountSID string
	AuthToken  string

	cfg    config
	srv    *httptest.Server
	client *http.Client
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	seed   uint64

	mu         sync.Mutex
	rng        *rand.Rand
	script     []Outcome
	msgs       []*Message
	attempts   int
	deliveries []Delivery
	pending    int
	idle       chan struct{}
}

// NewServer starts a server; Close stops it.
func NewServer(opts ...Option) *Server {
	cfg := config{
		accountSID: DefaultAccountSID, authToken: DefaultAuthToken,
		recipients: map[string]Outcome{}, minCopies: 1, maxCopies: 5, now: time.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if !cfg.seeded {
		cfg.seed = rand.Uint64()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		AccountSID: cfg.accountSID, AuthToken: cfg.authToken,
		cfg: cfg, ctx: ctx, cancel: cancel, seed: cfg.seed,
		rng:    rand.New(rand.NewPCG(cfg.seed, cfg.seed^0x9e3779b97f4a7c15)),
		script: append([]Outcome(nil), cfg.script...),
		client: &http.Client{Timeout: 10 * time.Second},
		idle:   make(chan struct{}),
	}
	close(s.idle)
	mux := http.NewServeMux()
	base := "/2010-04-01/Accounts/{account}/Messages"
	mux.HandleFunc("POST "+base+".json", s.create)
	mux.HandleFunc("GET "+base+".json", s.list)
	mux.HandleFunc("GET "+base+"/{file}", s.fetch)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, 20404, http.StatusNotFound, "The requested resource "+r.URL.Path+" was not found")
	})
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Seed returns the seed of the server's random choices, to replay a failing run with
// WithSeed.
func (s *Server) Seed() uint64 { return s.seed }

// Close stops posting callbacks and shuts the server down.
func (s *Server) Close() {
	s.cancel()
	s.srv.Close()
	s.wg.Wait()
}

// Messages returns every message the server accepted, in the order it accepted them.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.msgs))
	for _, m := range s.msgs {
		if m.Direction != "inbound" {
			out = append(out, *m)
		}
	}
	return out
}

// Attempts returns how many create requests reached the server, refused ones included.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// Deliveries returns every callback posted so far, in the order they were posted.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// WaitCallbacks blocks until every callback scheduled so far has been posted.
func (s *Server) WaitCallbacks(ctx context.Context) error {
	for {
		s.mu.Lock()
		if s.pending == 0 {
			s.mu.Unlock()
			return nil
		}
		idle := s.idle
		s.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return fmt.Errorf("twiliotest: waiting for callbacks: %w", ctx.Err())
		}
	}
}

// Sign computes the provider's signature of a POST to url with params, the way the
// provider documents it: HMAC-SHA1 with the auth token over the URL followed by each
// parameter, sorted by name, as name then value; base64.
func Sign(authToken, url string, params url.Values) string {
	var b strings.Builder
	b.WriteString(url)
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		vs := append([]string(nil), params[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			b.WriteString(k + v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

var (
	e164     = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	alphaID  = regexp.MustCompile(`^[A-Za-z0-9 ]{1,11}$`)
	sidShape = regexp.MustCompile(`^[A-Z]{2}[0-9a-f]{32}$`)
)

// authorized checks the credentials and the account in the path, answering when they fail.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok || user != s.AccountSID || !hmac.Equal([]byte(pass), []byte(s.AuthToken)) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		writeError(w, 20003, http.StatusUnauthorized, "Authenticate")
		return false
	}
	if r.PathValue("account") != s.AccountSID {
		writeError(w, 20404, http.StatusNotFound, "The requested resource "+r.URL.Path+" was not found")
		return false
	}
	return true
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.attempts++
	s.mu.Unlock()
	if !s.authorized(w, r) {
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		writeError(w, 21602, http.StatusBadRequest, "Message body is required.")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, 21602, http.StatusBadRequest, "Message body is required.")
		return
	}
	f := r.PostForm
	to, from, svc, body, cb := f.Get("To"), f.Get("From"), f.Get("MessagingServiceSid"), f.Get("Body"), f.Get("StatusCallback")
	switch {
	case to == "":
		writeError(w, 21604, http.StatusBadRequest, "A 'To' phone number is required.")
		return
	case from == "" && svc == "":
		writeError(w, 21603, http.StatusBadRequest, "A 'From' phone number is required.")
		return
	case body == "":
		writeError(w, 21602, http.StatusBadRequest, "Message body is required.")
		return
	case !e164.MatchString(to):
		writeError(w, 21211, http.StatusBadRequest, "Invalid 'To' Phone Number: "+to)
		return
	case from != "" && !e164.MatchString(from) && !alphaID.MatchString(from):
		writeError(w, 21212, http.StatusBadRequest, "Invalid From Number (caller ID): "+from)
		return
	case svc != "" && !strings.HasPrefix(svc, "MG") || svc != "" && !sidShape.MatchString(svc):
		writeError(w, 21705, http.StatusBadRequest, "The Messaging Service Sid "+svc+" is invalid.")
		return
	case !utf8.ValidString(body) || utf8.RuneCountInString(body) > 1600:
		writeError(w, 21617, http.StatusBadRequest, "The concatenated message body exceeds the 1600 character limit.")
		return
	case cb != "" && !absoluteHTTP(cb):
		writeError(w, 21609, http.StatusBadRequest, "Invalid StatusCallback url")
		return
	}

	o := s.outcome(to)
	if o.HTTPStatus != 0 {
		if o.RetryAfter != "" {
			w.Header().Set("Retry-After", o.RetryAfter)
		}
		if o.Code == 0 {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(o.HTTPStatus)
			fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>\n", o.HTTPStatus, http.StatusText(o.HTTPStatus))
			return
		}
		msg := http.StatusText(o.HTTPStatus)
		switch o.Code {
		case 21211:
			msg = "The 'To' number " + to + " is not a valid phone number."
		case 21610:
			msg = "Attempt to send to unsubscribed recipient " + to
		case 21614:
			msg = "'To' number " + to + " is not a valid mobile number"
		}
		writeError(w, o.Code, o.HTTPStatus, msg)
		return
	}

	m := s.accept(to, from, svc, body, cb, o)
	res := s.resource(m)
	if o.Drop {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
			return
		}
		panic(http.ErrAbortHandler) // not hijackable: abort the response instead
	}
	if o.Delay > 0 {
		t := time.NewTimer(o.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
		case <-s.ctx.Done():
		}
		t.Stop()
	}
	writeJSON(w, http.StatusCreated, res)
}

// outcome takes the next scripted outcome, else the recipient's, else success.
func (s *Server) outcome(to string) Outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.script) > 0 {
		o := s.script[0]
		s.script = s.script[1:]
		return o
	}
	return s.cfg.recipients[to]
}

// accept records the message and schedules its status callbacks.
func (s *Server) accept(to, from, svc, body, cb string, o Outcome) Message {
	now := s.cfg.now().UTC().Truncate(time.Second)
	final := o.Final
	if final == "" {
		final = "delivered"
	}
	code := 0
	if final != "delivered" {
		code = o.ErrorCode
		if code == 0 {
			code = 30003
		}
	}
	status := "queued"
	if svc != "" {
		status = "accepted"
		if from == "" {
			from = ServiceNumber
		}
	}
	s.mu.Lock()
	m := &Message{
		SID: s.newSID("SM"), To: to, From: from, MessagingServiceSID: svc, Body: body,
		StatusCallback: cb, Direction: "outbound-api", Status: status, Final: final,
		ErrorCode: code, DateCreated: now, DateUpdated: now,
	}
	s.msgs = append(s.msgs, m)
	var plan []string
	if cb != "" {
		plan = s.plan(*m)
		s.addPending(len(plan))
	}
	out := *m
	s.mu.Unlock()
	if cb == "" {
		// No one to tell: the message still reaches its final status.
		s.mu.Lock()
		s.advance(m, final)
		s.mu.Unlock()
		return out
	}
	s.wg.Add(1)
	go s.deliver(m, plan)
	return out
}

// chain returns the statuses a message goes through on its way to final.
func chain(m Message) []string {
	var c []string
	if m.MessagingServiceSID != "" {
		c = append(c, "accepted")
	}
	if m.Final == "failed" {
		return append(c, "queued", "failed")
	}
	return append(c, "queued", "sending", "sent", m.Final)
}

// rank orders statuses, for the server's own record.
func rank(status string) int {
	switch status {
	case "accepted":
		return 1
	case "queued":
		return 2
	case "sending":
		return 3
	case "sent":
		return 4
	case "delivered", "undelivered", "failed":
		return 5
	}
	return 0
}

// plan draws the callbacks of m: between min and max copies, the final status among them,
// the rest drawn from the whole chain (duplicates included), shuffled. Call with mu held.
func (s *Server) plan(m Message) []string {
	c := chain(m)
	n := s.cfg.minCopies + s.rng.IntN(s.cfg.maxCopies-s.cfg.minCopies+1)
	plan := []string{m.Final}
	for len(plan) < n {
		plan = append(plan, c[s.rng.IntN(len(c))])
	}
	s.rng.Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })
	return plan
}

// deliver posts the planned callbacks one after the other, then settles the message on its
// final status.
func (s *Server) deliver(m *Message, plan []string) {
	defer s.wg.Done()
	for _, status := range plan {
		s.mu.Lock()
		s.advance(m, status)
		params := url.Values{
			"AccountSid": {s.AccountSID}, "ApiVersion": {"2010-04-01"},
			"MessageSid": {m.SID}, "SmsSid": {m.SID},
			"MessageStatus": {status}, "SmsStatus": {status},
			"To": {m.To}, "From": {m.From},
		}
		if m.MessagingServiceSID != "" {
			params.Set("MessagingServiceSid", m.MessagingServiceSID)
		}
		if status == m.Final && m.ErrorCode != 0 {
			params.Set("ErrorCode", strconv.Itoa(m.ErrorCode))
		}
		if status == "delivered" || status == "undelivered" {
			params.Set("RawDlrDoneDate", s.cfg.now().UTC().Format("0601021504"))
		}
		cb := m.StatusCallback
		s.mu.Unlock()

		d := s.post(s.ctx, cb, params)
		d.MessageSID, d.Status = m.SID, status
		s.mu.Lock()
		s.deliveries = append(s.deliveries, d)
		s.addPending(-1)
		s.mu.Unlock()
	}
	s.mu.Lock()
	s.advance(m, m.Final)
	s.mu.Unlock()
}

// advance moves the server's record forward, never back. Call with mu held.
func (s *Server) advance(m *Message, status string) {
	if rank(status) <= rank(m.Status) {
		return
	}
	now := s.cfg.now().UTC().Truncate(time.Second)
	m.Status, m.DateUpdated = status, now
	if rank(status) >= rank("sent") && status != "failed" && m.DateSent.IsZero() {
		m.DateSent = now
	}
}

// addPending counts callbacks in flight, for WaitCallbacks. Call with mu held.
func (s *Server) addPending(n int) {
	if s.pending == 0 && n > 0 {
		s.idle = make(chan struct{})
	}
	s.pending += n
	if s.pending == 0 {
		close(s.idle)
	}
}

// post sends one signed callback to target (rewritten by WithProxy).
func (s *Server) post(ctx context.Context, target string, params url.Values) Delivery {
	d := Delivery{URL: target}
	dest, host := target, ""
	for _, p := range s.cfg.proxies {
		if rest, ok := strings.CutPrefix(target, p[0]); ok {
			dest = p[1] + rest
			if u, err := url.Parse(target); err == nil {
				host = u.Host
			}
			break
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dest, strings.NewReader(params.Encode()))
	if err != nil {
		d.Err = err
		return d
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("X-Twilio-Signature", Sign(s.AuthToken, target, params))
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	s.mu.Lock()
	req.Header.Set("I-Twilio-Idempotency-Token", s.newSID("")[2:])
	s.mu.Unlock()
	if host != "" {
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("X-Forwarded-Host", host)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		d.Err = err
		return d
	}
	resp.Body.Close()
	d.HTTPStatus = resp.StatusCode
	return d
}

// SendInbound posts a signed inbound message from a patient's number to one of ours, as
// the provider does when someone replies, and records it. It returns the message's SID and
// the receiver's HTTP status.
func (s *Server) SendInbound(ctx context.Context, target, from, to, body string) (string, int, error) {
	now := s.cfg.now().UTC().Truncate(time.Second)
	s.mu.Lock()
	m := &Message{
		SID: s.newSID("SM"), To: to, From: from, Body: body, Direction: "inbound",
		Status: "received", DateCreated: now, DateSent: now, DateUpdated: now,
	}
	s.msgs = append(s.msgs, m)
	s.mu.Unlock()
	params := url.Values{
		"ToCountry": {"AU"}, "ToState": {""}, "SmsMessageSid": {m.SID}, "NumMedia": {"0"},
		"ToCity": {""}, "FromZip": {""}, "SmsSid": {m.SID}, "FromState": {""},
		"SmsStatus": {"received"}, "FromCity": {""}, "Body": {body}, "FromCountry": {"AU"},
		"To": {to}, "ToZip": {""}, "NumSegments": {strconv.Itoa(max(1, sms.Length(body).Segments))},
		"MessageSid": {m.SID}, "AccountSid": {s.AccountSID}, "From": {from},
		"ApiVersion": {"2010-04-01"},
	}
	d := s.post(ctx, target, params)
	d.MessageSID = m.SID
	s.mu.Lock()
	s.deliveries = append(s.deliveries, d)
	s.mu.Unlock()
	return m.SID, d.HTTPStatus, d.Err
}

// newSID returns prefix and 32 random hex digits. Call with mu held.
func (s *Server) newSID(prefix string) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	return prefix + hex.EncodeToString(b[:])
}

func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
