package waitlist

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// Offer is an offer as its page shows it.
type Offer struct {
	store.WaitlistOffer
	Clinic       clinic.Clinic
	Practitioner string
	Reason       string
	Patient      string // the given name
	// Open: the offer can be claimed now.
	Open bool
}

// OfferByLink reads the offer a link's token opens, for its page.
//
// Errors: clinic.ErrNotFound for an unknown token.
func (s *Service) OfferByLink(ctx context.Context, token string) (Offer, error) {
	var out Offer
	err := s.db.View(ctx, func(tx *store.Tx) error {
		o, err := offerByToken(ctx, tx, token)
		if err != nil {
			return err
		}
		out, err = describe(ctx, tx, o)
		out.Open = o.State == store.OfferOffered && tx.Now.Before(o.ExpiresAt)
		return err
	})
	return out, err
}

func offerByToken(ctx context.Context, tx *store.Tx, token string) (store.WaitlistOffer, error) {
	if token == "" || len(token) > 200 {
		return store.WaitlistOffer{}, fmt.Errorf("offer link: %w", clinic.ErrNotFound)
	}
	return tx.Waitlist().OfferByLink(ctx, auth.HashToken(token))
}

// describe names an offer's clinic, practitioner, reason and patient.
func describe(ctx context.Context, tx *store.Tx, o store.WaitlistOffer) (Offer, error) {
	out := Offer{WaitlistOffer: o}
	sl, err := tx.Waitlist().WaitlistSlot(ctx, o.OrgID, o.SlotID)
	if err != nil {
		return out, err
	}
	if out.Clinic, err = tx.Directory().Clinic(ctx, o.OrgID, sl.ClinicID); err != nil {
		return out, err
	}
	ag, err := tx.Directory().Agenda(ctx, o.OrgID, sl.AgendaID)
	if err != nil {
		return out, err
	}
	out.Practitioner = ag.Name
	e, err := tx.Waitlist().WaitlistEntry(ctx, o.OrgID, o.EntryID)
	if err != nil {
		return out, err
	}
	r, err := tx.Directory().Reason(ctx, o.OrgID, e.ReasonID)
	if err != nil {
		return out, err
	}
	if r.Notifications {
		out.Reason = r.Name // CON-6: a reason whose notifications are off is not named
	}
	p, err := tx.Patients().Patient(ctx, o.OrgID, o.PatientID)
	out.Patient = p.GivenName
	return out, err
}

// ClaimByLink claims the offer a link's token opens at clinic cl's portal: the patient gets
// the appointment, or is told why not.
//
// Errors: clinic.ErrNotFound for an unknown token; ErrOfferExpired, ErrOfferTaken,
// ErrOfferClosed (409).
func (s *Service) ClaimByLink(ctx context.Context, cl clinic.ClinicID, token string) (clinic.Appointment, error) {
	var o store.WaitlistOffer
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if o, err = offerByToken(ctx, tx, token); err != nil {
			return err
		}
		sl, err := tx.Waitlist().WaitlistSlot(ctx, o.OrgID, o.SlotID)
		if err == nil && sl.ClinicID != cl {
			err = fmt.Errorf("offer %d is another clinic's: %w", o.ID, clinic.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return clinic.Appointment{}, err
	}
	return s.claim(ctx, o.OrgID, o.ID)
}

// claim claims offer id for its patient, in one transaction with the booking: the offer
// leaves "offered" (only one request can move it), the appointment is booked on the slot's
// agenda at the offer's time (the store refuses an overlap, whoever holds the time), the
// entry is booked, and the slot's other open offers are closed as taken, their patients
// told. When the time is no longer free, the slot is closed and the claim refused as taken.
func (s *Service) claim(ctx context.Context, org clinic.OrgID, id int64) (clinic.Appointment, error) {
	var a clinic.Appointment
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		a, err = s.claimTx(ctx, tx, org, id)
		return err
	})
	if errors.Is(err, booking.ErrNotAvailable) {
		// The time went (staff booked it, or another wave's claim won on PostgreSQL):
		// closed for everyone, in a transaction of its own since the booking's was lost.
		if cerr := s.closeTaken(ctx, org, id); cerr != nil {
			return a, cerr
		}
		return a, ErrOfferTaken
	}
	if err == nil {
		s.cfg.Wake()
	}
	return a, err
}

func (s *Service) claimTx(ctx context.Context, tx *store.Tx, org clinic.OrgID, id int64) (clinic.Appointment, error) {
	o, err := tx.Waitlist().WaitlistOffer(ctx, org, id)
	if err != nil {
		return clinic.Appointment{}, err
	}
	// The slot first: claims of one time wait for each other here.
	sl, err := tx.Waitlist().LockWaitlistSlot(ctx, org, o.SlotID)
	if err != nil {
		return clinic.Appointment{}, err
	}
	if o, err = tx.Waitlist().WaitlistOffer(ctx, org, id); err != nil {
		return clinic.Appointment{}, err
	}
	switch {
	case o.State == store.OfferTaken:
		return clinic.Appointment{}, ErrOfferTaken
	case o.State == store.OfferExpired || o.State == store.OfferOffered && !tx.Now.Before(o.ExpiresAt):
		return clinic.Appointment{}, ErrOfferExpired
	case o.State != store.OfferOffered:
		return clinic.Appointment{}, ErrOfferClosed
	}
	if err := tx.Waitlist().DecideOffer(ctx, org, o.ID, store.OfferClaimed); errors.Is(err, clinic.ErrNotFound) {
		return clinic.Appointment{}, ErrOfferTaken // decided by a concurrent claim
	} else if err != nil {
		return clinic.Appointment{}, err
	}
	e, err := tx.Waitlist().WaitlistEntry(ctx, org, o.EntryID)
	if err != nil {
		return clinic.Appointment{}, err
	}
	if sl.State != store.SlotOpen || e.State != store.EntryWaiting {
		return clinic.Appointment{}, ErrOfferTaken
	}
	// The patient books, online: every rule of a portal booking applies (the portal on and
	// taking bookings, the reason bookable online and for this patient, the notice, the
	// hours and the grid as they are now), as the actor of the booking and the audit row.
	actor := clinic.PatientActor(org, o.PatientID)
	a, err := s.booking.BookTx(ctx, tx, actor, booking.Request{ReasonID: e.ReasonID, AgendaID: sl.AgendaID, PatientID: o.PatientID, Start: o.Start,
		BookedBy: clinic.BookedByPatient, Online: true})
	if err != nil {
		return a, err
	}
	if err := tx.Waitlist().SetWaitlistEntryState(ctx, org, e.ID, store.EntryWaiting, store.EntryBooked, a.ID); err != nil {
		return a, err
	}
	sl.State, sl.AppointmentID, sl.Why = store.SlotTaken, a.ID, "claimed from the waitlist"
	if err := tx.Waitlist().UpdateWaitlistSlot(ctx, sl); err != nil {
		return a, err
	}
	if err := s.tellTaken(ctx, tx, sl); err != nil {
		return a, err
	}
	return a, audit.Record(ctx, tx, actor, "waitlist.claim", o.PatientID)
}

// tellTaken closes the slot's open offers as taken and plans their "taken" messages.
func (s *Service) tellTaken(ctx context.Context, tx *store.Tx, sl store.WaitlistSlot) error {
	closed, err := tx.Waitlist().CloseOffers(ctx, sl.OrgID, sl.ID, store.OfferTaken, false)
	if err != nil || len(closed) == 0 {
		return err
	}
	cl, err := tx.Directory().Clinic(ctx, sl.OrgID, sl.ClinicID)
	if err != nil {
		return err
	}
	for _, o := range closed {
		if err := planMessages(ctx, tx, cl, o, "waitlist_taken", o.Start); err != nil {
			return err
		}
	}
	return nil
}

// closeTaken closes offer id's slot as taken by someone outside the waitlist.
func (s *Service) closeTaken(ctx context.Context, org clinic.OrgID, id int64) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		o, err := tx.Waitlist().WaitlistOffer(ctx, org, id)
		if err != nil {
			return err
		}
		sl, err := tx.Waitlist().WaitlistSlot(ctx, org, o.SlotID)
		if err != nil || sl.State != store.SlotOpen {
			return err
		}
		sl.State, sl.Why = store.SlotTaken, "the time was booked otherwise"
		if err := tx.Waitlist().UpdateWaitlistSlot(ctx, sl); err != nil {
			return err
		}
		return s.tellTaken(ctx, tx, sl)
	})
}

// ClaimBySMS claims an offer by its word replied by SMS ("BOOK 4821", any case) from a
// mobile whose patients have that offer open. ok is false when the text is not a claim
// word at all (the caller handles it as any other message). It runs its own transaction:
// the caller records the message after it.
//
// Errors: ErrOfferExpired, ErrOfferTaken, ErrOfferClosed; clinic.ErrNotFound when none of
// these patients has an open offer with that code.
func (s *Service) ClaimBySMS(ctx context.Context, org clinic.OrgID, patients []clinic.PatientID, text string) (ok bool, a clinic.Appointment, err error) {
	code, ok := ParseClaim(text)
	if !ok {
		return false, a, nil
	}
	var id int64
	err = s.db.View(ctx, func(tx *store.Tx) error {
		os, err := tx.Waitlist().OpenOffersFor(ctx, org, patients)
		for _, o := range os {
			if o.Code == code {
				id = o.ID
			}
		}
		return err
	})
	if err != nil {
		return true, a, err
	}
	if id == 0 {
		return true, a, fmt.Errorf("no open offer with this code: %w", clinic.ErrNotFound)
	}
	a, err = s.claim(ctx, org, id)
	return true, a, err
}

// ParseClaim reads a claim word, "BOOK 4821" in any case and spacing, and returns its code.
func ParseClaim(text string) (string, bool) {
	f := strings.Fields(strings.ToUpper(text))
	if len(f) != 2 || f[0] != ClaimWord || len(f[1]) != 4 {
		return "", false
	}
	for _, r := range f[1] {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return f[1], true
}
