package dispatch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/email"
	"github.com/tidings-health/tidings/internal/sms/twilio"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/webpush"
)

// Outbox is the channel of the demo and of trials (NOT-6): messages are not sent anywhere;
// the notification is recorded as sent by "outbox" with its text, and the dashboard's
// outbox page shows it. A clinic with a provider configured never uses it.
type Outbox struct{}

// Send accepts every message.
func (Outbox) Send(_ context.Context, m Outgoing) (Receipt, error) {
	return Receipt{Provider: ProviderOutbox, ProviderID: "outbox-" + strconv.FormatInt(m.ID, 10)}, nil
}

// ProviderOutbox names the outbox in the notification's provider column.
const ProviderOutbox = "outbox"

// SMS sends SMS through the organisations' Twilio-compatible accounts (NOT-6): a clinic's
// own account if it has one, else its organisation's; the failover account (priority 1)
// when the primary's circuit is open or it failed transiently. Each send's status callback
// URL carries the notification id, so a callback for a message whose answer was lost still
// links it to its provider id (NOT-7).
type SMS struct {
	// PublicURL is the base URL the provider reaches us at (the status callback).
	PublicURL string
	// HTTP is the client for every account (tests point accounts at a loopback server).
	HTTP *http.Client
	// Fallback sends for an organisation with no account (the outbox in the demo); nil:
	// such a message fails, "no SMS account configured".
	Fallback Sender
	Breakers *Breakers

	mu       sync.Mutex
	accounts map[clinic.OrgID][]store.SMSAccount
	clients  map[int64]*twilio.Client
}

// SetAccounts replaces the accounts (the dispatcher reloads them periodically).
func (s *SMS) SetAccounts(as []store.SMSAccount) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts = map[clinic.OrgID][]store.SMSAccount{}
	old := s.clients
	s.clients = map[int64]*twilio.Client{}
	for _, a := range as {
		s.accounts[a.OrgID] = append(s.accounts[a.OrgID], a)
		if c, ok := old[a.ID]; ok && c.BaseURL == a.BaseURL {
			s.clients[a.ID] = c
			continue
		}
		c := twilio.New(a.AccountSID, a.AuthToken)
		if a.BaseURL != "" {
			c.BaseURL = a.BaseURL
		}
		if s.HTTP != nil {
			c.HTTP = s.HTTP
		}
		s.clients[a.ID] = c
	}
}

// route lists the accounts to try for a clinic: its own, else the organisation's, primary
// first.
func (s *SMS) route(org clinic.OrgID, cl clinic.ClinicID) []store.SMSAccount {
	s.mu.Lock()
	defer s.mu.Unlock()
	var own, shared []store.SMSAccount
	for _, a := range s.accounts[org] {
		switch a.ClinicID {
		case cl:
			own = append(own, a)
		case 0:
			shared = append(shared, a)
		}
	}
	if len(own) > 0 {
		return own
	}
	return shared
}

// Account finds the account a message was sent with (reconciliation and callbacks).
func (s *SMS) Account(org clinic.OrgID, provider string) (store.SMSAccount, *twilio.Client, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.accounts[org] {
		if ProviderName(a) == provider {
			return a, s.clients[a.ID], true
		}
	}
	return store.SMSAccount{}, nil, false
}

// ProviderName is how a notification names the account it went through.
func ProviderName(a store.SMSAccount) string { return "twilio:" + a.AccountSID }

// CallbackURL is the status callback of a notification.
func CallbackURL(public string, id int64) string {
	return strings.TrimSuffix(public, "/") + "/hooks/sms/status?n=" + strconv.FormatInt(id, 10)
}

// Send sends m through the first account whose circuit is closed; a transient failure (or an
// open circuit) moves on to the failover account.
func (s *SMS) Send(ctx context.Context, m Outgoing) (Receipt, error) {
	route := s.route(m.OrgID, m.ClinicID)
	if len(route) == 0 {
		if s.Fallback != nil {
			return s.Fallback.Send(ctx, m)
		}
		return Receipt{}, &SendError{Kind: Unconfigured, Reason: "no SMS account is configured for this clinic"}
	}
	var last error
	for _, a := range route {
		name := ProviderName(a)
		if wait, open := s.Breakers.Open(name); open {
			last = &SendError{Kind: Transient, Reason: "SMS provider unavailable (circuit open)", RetryAfter: wait, Provider: name, Circuit: true}
			continue
		}
		s.mu.Lock()
		c := s.clients[a.ID]
		s.mu.Unlock()
		sent, err := c.Send(ctx, twilio.Message{Ref: "n" + strconv.FormatInt(m.ID, 10), To: m.To, From: a.Sender, Body: m.Text,
			StatusCallback: CallbackURL(s.PublicURL, m.ID)})
		if err == nil {
			s.Breakers.Success(name)
			return Receipt{Provider: name, ProviderID: sent.SID}, nil
		}
		se := classify(err)
		se.Provider = name
		var te *twilio.Error
		switch {
		case se.Kind == Transient:
			s.Breakers.Failure(name)
			last = se
			continue // the failover account, if any
		case se.Kind == Unknown:
			s.Breakers.Failure(name)
		case errors.As(err, &te) && te.HTTPStatus != 0:
			s.Breakers.Success(name) // refused, but answered: the provider is up
		}
		return Receipt{Provider: name}, se
	}
	return Receipt{}, last
}

// Email sends e-mail over SMTP (NOT-6), with a stable Message-ID per notification so that a
// resend after an unknown outcome is recognisable, and never blindly resent.
type Email struct {
	Sender *email.Sender
	// Domain is the right-hand side of Message-IDs.
	Domain   string
	Breakers *Breakers
}

// Send sends m.
func (e *Email) Send(ctx context.Context, m Outgoing) (Receipt, error) {
	const name = "smtp"
	if wait, open := e.Breakers.Open(name); open {
		return Receipt{}, &SendError{Kind: Transient, Reason: "mail server unavailable (circuit open)", RetryAfter: wait, Provider: name, Circuit: true}
	}
	id := email.MessageID(m.ID, e.Domain)
	err := e.Sender.Send(ctx, email.Message{MessageID: id, To: m.To, ToName: m.ToName, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
		Calendar: m.Calendar, Headers: map[string]string{"X-Tidings-Notification": strconv.FormatInt(m.ID, 10)}})
	if err != nil {
		se := classify(err)
		se.Provider = name
		var ee *email.Error
		switch {
		case se.Kind == Transient || se.Kind == Unknown:
			e.Breakers.Failure(name)
		case errors.As(err, &ee) && ee.Code != 0:
			e.Breakers.Success(name) // refused, but answered: the server is up
		}
		return Receipt{Provider: name, ProviderID: id}, se
	}
	e.Breakers.Success(name)
	return Receipt{Provider: name, ProviderID: id}, nil
}

// Push sends Web Push messages (NOT-6).
type Push struct {
	Sender   *webpush.Sender
	Breakers *Breakers
}

// Send sends m to its subscription.
func (p *Push) Send(ctx context.Context, m Outgoing) (Receipt, error) {
	u, _ := url.Parse(m.Push.Endpoint)
	name := "push"
	if u != nil {
		name = "push:" + u.Host
	}
	if wait, open := p.Breakers.Open(name); open {
		return Receipt{}, &SendError{Kind: Transient, Reason: "push service unavailable (circuit open)", RetryAfter: wait, Provider: name, Circuit: true}
	}
	payload := fmt.Sprintf(`{"title":%q,"body":%q,"n":%d}`, m.Subject, m.Text, m.ID)
	res, err := p.Sender.Send(ctx, m.Push, webpush.Push{Payload: []byte(payload), Urgency: "high", TTL: 12 * time.Hour})
	if err != nil {
		se := classify(err)
		se.Provider = name
		var pe *webpush.Error
		switch {
		case se.Kind == Transient || se.Kind == Unknown:
			p.Breakers.Failure(name)
		case errors.As(err, &pe) && pe.Status != 0:
			p.Breakers.Success(name) // refused, but answered: the service is up
		}
		return Receipt{Provider: name}, se
	}
	p.Breakers.Success(name)
	return Receipt{Provider: name, ProviderID: res.Location}, nil
}
