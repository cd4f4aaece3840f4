// Package inbound handles what providers post back (NOT-7, NOT-10): SMS status callbacks,
// patients' SMS replies, and e-mail bounce reports. Each is a use case that checks the
// sender (the callback's signature with the account's auth token on the configured public
// URL, a bounce report's secret), changes what the message says, and records it; the hooks
// package only decodes the HTTP request and encodes the answer.
//
// Replies (NOT-10): C or Y confirms the appointment the latest message that asked for a
// reply was about (every appointment of a combined NOT-4 message) and answers a short
// confirmation; STOP and its synonyms opt every patient with that mobile out of SMS, as a
// Tidings-side consent record with source sms (CON-3), and withdraw the SMS still planned
// for them; START/UNSTOP opts them back in; HELP answers with the clinic's phone number.
// Anything else, and any reply that cannot be matched with certainty, goes to the staff
// inbox with the patient and the appointment when they are known. Every inbound message is
// kept once (by the provider's message id), so a webhook delivered twice acts once.
//
// It must not import the web surfaces.
package inbound

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/compose"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/email"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/sms"
	"github.com/tidings-health/tidings/internal/sms/twilio"
	"github.com/tidings-health/tidings/internal/store"
)

// Service handles provider callbacks.
type Service struct {
	db      *store.DB
	booking *booking.Service
	// PublicURL is the base URL providers sign callbacks against.
	PublicURL string
	// BounceToken is the secret a bounce report must carry; empty refuses every report.
	BounceToken string
	// EmailDomain is the domain of our Message-IDs.
	EmailDomain string
	// Wake tells the dispatcher a reply is due now.
	Wake func()
	// Waitlist claims a waitlist offer replied to with its word ("BOOK 4821", POR-9); nil
	// sends such a message to the staff inbox like any other.
	Waitlist Claimer
}

// Claimer claims a waitlist offer by SMS (waitlist.Service.ClaimBySMS): ok is false when the
// text is no claim word.
type Claimer interface {
	ClaimBySMS(ctx context.Context, org clinic.OrgID, patients []clinic.PatientID, text string) (ok bool, a clinic.Appointment, err error)
}

// New returns the callback use cases; set the exported fields before use.
func New(db *store.DB, b *booking.Service) *Service {
	return &Service{db: db, booking: b, Wake: func() {}}
}

// ErrSignature: the request is not signed by the account it claims to come from.
var ErrSignature = errors.New("callback signature does not match")

// Verifier checks a callback's signature with an account's auth token (twilio.Verify on the
// request, bound by the handler).
type Verifier func(authToken string) error

// ReplyWindow is how far back a C/Y reply looks for the message that asked for it.
const ReplyWindow = 7 * 24 * time.Hour

// Status applies an SMS status callback for notification id (NOT-7): the status never goes
// backwards (twilio.Status.Replaces); delivered and failed become the notification's state;
// a callback for a notification whose outcome was unknown links it to its provider id (the
// answer to the send was lost, the message was not).
//
// Errors: ErrSignature; clinic.ErrNotFound for an id no notification has; a
// *twilio.ParseError for a malformed form.
func (s *Service) Status(ctx context.Context, id int64, verify Verifier, form url.Values) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		// The signature first, with the token of the account the callback names, so that
		// an unsigned caller learns nothing, not even which ids exist.
		accounts, err := tx.Notifications().SMSAccounts(ctx, 0)
		if err != nil {
			return err
		}
		sid := form.Get("AccountSid")
		var token string
		var org clinic.OrgID
		for _, a := range accounts {
			if a.AccountSID == sid && verify(a.AuthToken) == nil {
				token, org = a.AuthToken, a.OrgID
				break
			}
		}
		if token == "" {
			return ErrSignature
		}
		ns, err := tx.Notifications().NotificationsByIDs(ctx, []int64{id})
		if err != nil {
			return err
		}
		if len(ns) == 0 || ns[0].OrgID != org || ns[0].Channel != string(consent.ChannelSMS) {
			return fmt.Errorf("notification %d: %w", id, clinic.ErrNotFound)
		}
		n := ns[0]
		cb, err := twilio.ParseStatus(form)
		if err != nil {
			return err
		}
		if n.ProviderID != "" && n.ProviderID != cb.MessageSID {
			return nil // a callback for another attempt's message: the stored one stands
		}
		if !cb.Status.Replaces(twilio.Status(n.ProviderStatus)) {
			return nil // stale or duplicate: the status never goes backwards
		}
		state, reason := "", ""
		switch cb.Status {
		case twilio.StatusDelivered, twilio.StatusRead:
			state = store.NoteDelivered
		case twilio.StatusUndelivered, twilio.StatusFailed:
			state, reason = store.NoteFailed, "the provider reported it "+string(cb.Status)
			if cb.ErrorCode != 0 {
				reason += " (error " + strconv.Itoa(cb.ErrorCode) + ")"
			}
		default:
			if n.State == store.NoteUnknown || n.State == store.NoteSending {
				state, reason = store.NoteSent, "reconciled: the provider's status callback named it"
			}
		}
		ids := []int64{n.ID}
		members, err := tx.Notifications().GroupMembers(ctx, n.OrgID, n.ID)
		if err != nil {
			return err
		}
		for _, m := range members {
			if m.ID != n.ID {
				ids = append(ids, m.ID)
			}
		}
		// The callback may come before the dispatcher recorded the send's answer (the row is
		// still sending, and the dispatcher's record then finds it moved on): the account
		// the callback proved it came from names the provider, as dispatch.ProviderName does.
		return tx.Notifications().SetProviderStatus(ctx, n.OrgID, ids, "twilio:"+sid, cb.MessageSID, string(cb.Status), state, reason)
	})
}

// Handled is what an inbound SMS did, for the handler's log and the tests.
type Handled struct {
	Keyword   sms.Keyword
	Patients  []clinic.PatientID
	Confirmed []clinic.AppointmentID
	Inbox     bool   // it went to the staff inbox
	Why       string // why, for the inbox
	Duplicate bool   // the provider delivered it before
}

// Inbound handles a patient's SMS (NOT-10).
//
// Errors: ErrSignature; a *twilio.ParseError for a malformed form; clinic.ErrNotFound when no
// account sends from the number it was sent to.
func (s *Service) Inbound(ctx context.Context, verify Verifier, form url.Values) (Handled, error) {
	var h Handled
	var accounts []store.SMSAccount
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		accounts, err = tx.Notifications().SMSAccountsBySender(ctx, form.Get("To"))
		return err
	}); err != nil {
		return h, err
	}
	var acct store.SMSAccount
	for _, a := range accounts {
		if a.AccountSID == form.Get("AccountSid") {
			acct = a
		}
	}
	if acct.ID == 0 {
		return h, fmt.Errorf("no SMS account sends from this number: %w", clinic.ErrNotFound)
	}
	if verify(acct.AuthToken) != nil {
		return h, ErrSignature
	}
	in, err := twilio.ParseInbound(form)
	if err != nil {
		return h, err
	}
	h.Keyword = sms.ParseKeyword(in.Body)
	org := acct.OrgID
	actor := clinic.SystemActor(org, "sms")
	// A waitlist claim word is handled first, in the claim's own transaction (it books);
	// the message is then recorded with its outcome.
	claimWhy, claimed := "", clinic.AppointmentID(0)
	if h.Keyword == sms.KeywordNone && s.Waitlist != nil {
		var mine []clinic.PatientID
		if err := s.db.View(ctx, func(tx *store.Tx) (err error) {
			mine, err = tx.Notifications().PatientsByMobile(ctx, org, in.From)
			return err
		}); err != nil {
			return h, err
		}
		ok, a, err := s.Waitlist.ClaimBySMS(ctx, org, mine, in.Body)
		var ce *clinic.ConflictError
		switch {
		case !ok:
		case err == nil:
			claimWhy, claimed = "handled: waitlist offer taken, appointment booked", a.ID
		case errors.As(err, &ce):
			claimWhy = "a waitlist claim, refused: " + ce.Reason
		case errors.Is(err, clinic.ErrNotFound):
			claimWhy = "a waitlist claim, but no open offer of this number has that code"
		default:
			return h, err
		}
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		h = Handled{Keyword: h.Keyword}
		patients, err := tx.Notifications().PatientsByMobile(ctx, org, in.From)
		if err != nil {
			return err
		}
		h.Patients = patients
		last, found, ambiguous, err := tx.Notifications().LastAsking(ctx, org, in.From, tx.Now.Add(-ReplyWindow))
		if err != nil {
			return err
		}
		clinicID := acct.ClinicID
		if found && clinicID == 0 {
			clinicID = last.ClinicID
		}
		entry := store.InboxMessage{ClinicID: clinicID, ProviderID: in.MessageSID, From: in.From, Body: in.Body}
		if len(patients) == 1 {
			entry.PatientID = patients[0]
		}
		if found {
			entry.NotificationID, entry.AppointmentID = last.ID, last.AppointmentID
			if entry.PatientID == 0 {
				entry.PatientID = last.PatientID
			}
		}
		var reply compose.Kind
		switch h.Keyword {
		case sms.KeywordConfirm:
			switch {
			case !found:
				entry.Why = "a confirmation, but no recent message to this number asked for one"
			case ambiguous:
				entry.Why = "a confirmation, but two messages asked for one at the same time"
			default:
				ids, err := s.confirm(ctx, tx, actor, last)
				if err != nil {
					return err
				}
				if len(ids) == 0 {
					entry.Why = "a confirmation, but the appointment is no longer upcoming"
					break
				}
				h.Confirmed, entry.Why, reply = ids, "handled: appointment confirmed", compose.KindReplyConfirmed
			}
		case sms.KeywordStop, sms.KeywordStart:
			optIn := h.Keyword == sms.KeywordStart
			for _, p := range patients {
				if _, err := tx.Consent().RecordConsent(ctx, org, store.ConsentRecord{PatientID: p, Channel: string(consent.ChannelSMS),
					Purpose: string(consent.PurposeAll), OptIn: optIn, Source: string(consent.SourceSMS), Actor: actor.Label}); err != nil {
					return err
				}
			}
			if !optIn {
				planned, err := tx.Notifications().PlannedSMSFor(ctx, org, patients)
				if err != nil {
					return err
				}
				if err := tx.Notifications().Withdraw(ctx, org, planned, "the patient replied STOP: opted out of SMS"); err != nil {
					return err
				}
				entry.Why, reply = "handled: opted out of SMS", compose.KindReplyStop
			} else {
				entry.Why, reply = "handled: opted back in to SMS", compose.KindReplyStart
			}
			if len(patients) > 0 {
				if err := audit.Record(ctx, tx, actor, "patient.consent", patients...); err != nil {
					return err
				}
			}
		case sms.KeywordHelp:
			entry.Why, reply = "handled: help sent", compose.KindReplyHelp
		default:
			entry.Why = "a reply for staff"
			if claimWhy != "" {
				entry.Why = claimWhy
				if claimed != 0 {
					entry.AppointmentID = claimed
				}
			}
		}
		h.Why = entry.Why
		if strings.HasPrefix(entry.Why, "handled:") {
			entry.ReadAt = tx.Now
		} else {
			h.Inbox = true
		}
		added, err := tx.Notifications().AddInbox(ctx, org, entry)
		if err != nil {
			return err
		}
		if !added {
			h.Duplicate = true
			return errDuplicate // undo this second handling; the first one stands
		}
		if reply == "" {
			return nil
		}
		var about clinic.AppointmentID // the appointment a reply_confirmed names
		if reply == compose.KindReplyConfirmed {
			about = last.AppointmentID
		}
		return s.planReply(ctx, tx, org, clinicID, entry.PatientID, about, in.From, reply)
	})
	if errors.Is(err, errDuplicate) {
		return Handled{Keyword: h.Keyword, Duplicate: true}, nil
	}
	if err == nil && !h.Inbox {
		s.Wake()
	}
	return h, err
}

var errDuplicate = errors.New("inbound SMS already handled")

// confirm confirms the appointments the message that asked for the reply was about: the
// carrier and the members of a NOT-4 message.
func (s *Service) confirm(ctx context.Context, tx *store.Tx, actor clinic.Actor, last store.Notification) ([]clinic.AppointmentID, error) {
	carrier := last.ID
	if last.GroupID != 0 {
		carrier = last.GroupID
	}
	members, err := tx.Notifications().GroupMembers(ctx, last.OrgID, carrier)
	if err != nil {
		return nil, err
	}
	var ids []clinic.AppointmentID
	for _, m := range members {
		if m.AppointmentID != 0 {
			ids = append(ids, m.AppointmentID)
		}
	}
	return s.booking.ConfirmTx(ctx, tx, actor, ids)
}

// planReply plans the automatic answer, due now, in the clinic's (or patient's) language;
// appt, when not 0, is the appointment it names (the one a C/Y confirmed).
func (s *Service) planReply(ctx context.Context, tx *store.Tx, org clinic.OrgID, cl clinic.ClinicID, patient clinic.PatientID, appt clinic.AppointmentID,
	to string, kind compose.Kind) error {
	if cl == 0 {
		cs, err := tx.Directory().Clinics(ctx, org, store.Page{Limit: 1})
		if err != nil || len(cs) == 0 {
			return err
		}
		cl = cs[0].ID
	}
	c, err := tx.Directory().Clinic(ctx, org, cl)
	if err != nil {
		return err
	}
	lang := i18n.ForRegion(c.Region)
	vars := compose.Vars{Clinic: c.Name, PortalLink: strings.TrimSuffix(s.PublicURL, "/") + "/p/" + c.Slug}
	if patient != 0 {
		if p, err := tx.Patients().Patient(ctx, org, patient); err == nil {
			if l, ok := i18n.Parse(p.Language); ok {
				lang = l
			}
			vars.FirstName = p.GivenName
		}
	}
	if appt != 0 {
		a, err := tx.Appointments().Appointment(ctx, org, appt)
		if err != nil {
			return err
		}
		if vars.Zone, err = c.Location(); err != nil {
			return fmt.Errorf("zone of clinic %d: %w", c.ID, err)
		}
		vars.Start = a.Start
		ag, err := tx.Directory().Agenda(ctx, org, a.AgendaID)
		if err != nil {
			return err
		}
		vars.Practitioner = ag.Name
		if ag.PractitionerID != nil {
			if pr, err := tx.Directory().Practitioner(ctx, org, *ag.PractitionerID); err == nil {
				vars.Practitioner = pr.Name
			}
		}
	}
	phone, err := tx.Notifications().ClinicPhone(ctx, org, cl)
	if err != nil {
		return err
	}
	texts, err := notify.TextsOf(ctx, tx, org, []clinic.ClinicID{cl})
	if err != nil {
		return err
	}
	tpl, ok := texts.Template(cl, kind, compose.ChannelSMS, lang.String())
	if !ok {
		return fmt.Errorf("no %s template", kind)
	}
	vars.ClinicPhone = phone
	r, err := compose.Render(tpl, vars)
	if err != nil {
		return err
	}
	_, err = tx.Notifications().PlanNotifications(ctx, org, []store.Notification{{ClinicID: cl, PatientID: patient, Kind: string(kind),
		Purpose: string(consent.PurposeReply), Channel: string(consent.ChannelSMS), Due: tx.Now, Deadline: tx.Now.Add(time.Hour),
		Destination: to, Body: r.Text, Segments: r.Segments}})
	return err
}

// Bounce applies an RFC 3464 delivery status notification (NOT-6, NOT-7) to the
// notification its Message-ID names. A recipient the reporting server gave up on fails the
// notification: "bounced" for a permanent (5.x.x) failure, "failed" when a temporary one
// outlasted the server's retries (4.x.x, the message expired). Only a refusal of the
// address itself (email.Recipient.AddressRefused: no such user, mailbox disabled or full)
// flags the address on the patients who have it, the rule the dispatcher applies to its own
// refusals: a message refused as spam or for its size says nothing against the address. A
// delay is ignored. token must be the configured secret. bounced reports whether the report
// failed the notification.
//
// Errors: ErrSignature for a wrong token; an email parse error naming what is missing;
// clinic.ErrNotFound for a Message-ID that is not one of ours.
func (s *Service) Bounce(ctx context.Context, token string, raw []byte) (bounced bool, err error) {
	if s.BounceToken == "" || subtle.ConstantTimeCompare([]byte(token), []byte(s.BounceToken)) != 1 {
		return false, ErrSignature
	}
	rep, err := email.ParseDSN(raw)
	if err != nil {
		return false, err
	}
	id, ok := email.NotificationID(rep.OriginalMessageID, s.EmailDomain)
	if !ok {
		return false, fmt.Errorf("the report's Message-ID is not one of ours: %w", clinic.ErrNotFound)
	}
	var failed *email.Recipient
	for i, r := range rep.Recipients {
		// The recipient that says the most: a refused address, else a permanent failure,
		// else any the server gave up on.
		if r.Failed() && (failed == nil || rank(r) > rank(*failed)) {
			failed = &rep.Recipients[i]
		}
	}
	if failed == nil {
		return false, nil
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		ns, err := tx.Notifications().NotificationsByIDs(ctx, []int64{id})
		if err != nil {
			return err
		}
		if len(ns) == 0 || ns[0].Channel != string(consent.ChannelEmail) {
			return fmt.Errorf("notification %d: %w", id, clinic.ErrNotFound)
		}
		n := ns[0]
		status, why := "bounced", "bounced: "+failed.Status
		if !failed.Permanent() {
			status, why = "failed", "not delivered: the mail server gave up ("+failed.Status+")"
		}
		if err := tx.Notifications().SetProviderStatus(ctx, n.OrgID, []int64{n.ID}, "", "", status, store.NoteFailed, why); err != nil {
			return err
		}
		if !failed.AddressRefused() || n.Destination == "" {
			return nil
		}
		flagged, err := tx.Notifications().FlagEmailBounce(ctx, n.OrgID, n.Destination, why)
		if err != nil || len(flagged) == 0 {
			return err
		}
		return audit.Record(ctx, tx, clinic.SystemActor(n.OrgID, "email"), "patient.email_bounced", flagged...)
	})
	return err == nil, err
}

// rank orders what a failed recipient of a report says.
func rank(r email.Recipient) int {
	switch {
	case r.AddressRefused():
		return 2
	case r.Permanent():
		return 1
	}
	return 0
}
