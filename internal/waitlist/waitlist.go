// Package waitlist fills cancellations (POR-9): a patient (in the portal) or staff put a
// patient on a clinic's waitlist for a reason, optionally one practitioner, and a window of
// days and times. When a time frees up (a cancellation, a move, an absence lifted: the
// booking use cases record it in the same transaction), the worker offers it in waves to
// the matching entries, oldest first, by the channels consent allows, each offer held for
// the clinic's hold time; a wave that lapses unclaimed makes room for the next. The first
// patient to claim (through the offer's link, or by replying its word, "BOOK 4821") gets
// the appointment, booked in one transaction with the claim, so that the database's own
// guard against overlaps makes two claims of one time end in exactly one appointment, on
// SQLite and on PostgreSQL with several instances; the others are told it was taken.
//
// It must not import the portal, dashboard or api packages.
package waitlist

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/input"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/store"
)

// ClaimWord is the reply word of an offer, before its code: "BOOK 4821". It is nothing a
// reminder's reply (C, Y, YES, STOP…) can be mistaken for, and the code tells two open
// offers of one mobile apart.
const ClaimWord = "BOOK"

// The bounds of an entry's window.
const (
	MaxWindowDays = 180
	maxEntries    = 500
)

// Errors of a claim, in the words the patient reads.
var (
	ErrOfferExpired = &clinic.ConflictError{Field: "offer", Reason: "this offer has expired: its hold time is over. You stay on the waitlist."}
	ErrOfferTaken   = &clinic.ConflictError{Field: "offer", Reason: "sorry, another patient took this time first. You stay on the waitlist."}
	ErrOfferClosed  = &clinic.ConflictError{Field: "offer", Reason: "this offer is closed."}
)

// Config tunes a Service; zero values take the defaults.
type Config struct {
	Logger    *slog.Logger
	PublicURL string
	// Every is how often the worker looks for due waves (2 s).
	Every time.Duration
	// Wake is called after a commit that planned messages (the dispatcher's Wake).
	Wake func()
}

// Service holds the waitlist use cases and its worker.
type Service struct {
	db      *store.DB
	booking *booking.Service
	cfg     Config
}

// New returns the waitlist over db, booking claims through b.
func New(db *store.DB, b *booking.Service, cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Every <= 0 {
		cfg.Every = 2 * time.Second
	}
	if cfg.Wake == nil {
		cfg.Wake = func() {}
	}
	return &Service{db: db, booking: b, cfg: cfg}
}

// SetWake sets what is called after a commit that planned messages.
func (s *Service) SetWake(f func()) { s.cfg.Wake = f }

// JoinInput puts a patient on a clinic's waitlist. Dates are civil (YYYY-MM-DD), times
// "HH:MM" in the clinic's zone; no weekday means every day.
type JoinInput struct {
	ClinicID  clinic.ClinicID
	PatientID clinic.PatientID
	ReasonID  clinic.ReasonID
	AgendaID  clinic.AgendaID // 0: any practitioner
	From, To  string
	Weekdays  []time.Weekday
	FromTime  string // "" : the start of the day
	ToTime    string // "" : its end
}

// Join puts a patient on the waitlist (POR-9): a patient acting in the portal for
// themselves or a relative they manage (a reason bookable online, at a clinic whose portal
// takes bookings), or staff with the permission to book. Audited as "waitlist.join".
//
// Errors: clinic.ErrForbidden; *clinic.ValidationError naming the field; a
// *clinic.ConflictError when the portal does not take bookings.
func (s *Service) Join(ctx context.Context, actor clinic.Actor, in JoinInput) (store.WaitlistEntry, error) {
	var out store.WaitlistEntry
	if actor.Kind != clinic.ActorPatient && !actor.Can(clinic.PermWriteSchedule) {
		return out, fmt.Errorf("%s needs %s to add to the waitlist: %w", actor.Label, clinic.PermWriteSchedule, clinic.ErrForbidden)
	}
	if !actor.Reaches(in.PatientID) {
		return out, clinic.Invalid("patient_id", "does not exist")
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		org := actor.OrgID
		var v input.Checker
		cl, err := tx.Directory().Clinic(ctx, org, in.ClinicID)
		if err != nil {
			return clinic.MissingReference("clinic_id", err)
		}
		p, err := tx.Patients().Patient(ctx, org, in.PatientID)
		if err != nil {
			return clinic.MissingReference("patient_id", err)
		}
		if p.DatabaseID != cl.DatabaseID || p.MergedInto != 0 {
			v.Add("patient_id", "is not a patient of this clinic")
		}
		reason, err := tx.Directory().Reason(ctx, org, in.ReasonID)
		switch {
		case errors.Is(err, clinic.ErrNotFound) || err == nil && reason.ClinicID != cl.ID:
			v.Add("reason_id", "does not exist")
		case err != nil:
			return err
		case !reason.OnlineBookable:
			// Offers are booked online (the patient takes the time themselves), under the
			// online rules: a reason that cannot be booked online is never offered.
			v.Add("reason_id", "cannot be booked online")
		}
		if in.AgendaID != 0 && !slices.Contains(reason.AgendaIDs, in.AgendaID) {
			v.Add("agenda_id", "does not offer this reason")
		}
		loc, err := cl.Location()
		if err != nil {
			return err
		}
		today := tx.Now.In(loc).Format(time.DateOnly)
		from, ferr := time.Parse(time.DateOnly, in.From)
		to, terr := time.Parse(time.DateOnly, in.To)
		switch {
		case ferr != nil:
			v.Add("from", "must be a date (YYYY-MM-DD)")
		case in.From < today:
			v.Add("from", "must be today or later")
		}
		switch {
		case terr != nil:
			v.Add("to", "must be a date (YYYY-MM-DD)")
		case ferr == nil && to.Before(from):
			v.Add("to", "must be on or after the first day")
		case ferr == nil && to.Sub(from) > MaxWindowDays*24*time.Hour:
			v.Add("to", "must be at most 180 days after the first day")
		}
		mask := 0
		for _, d := range in.Weekdays {
			if d < time.Sunday || d > time.Saturday {
				v.Add("days", "must be days of the week")
				break
			}
			mask |= 1 << d
		}
		if mask == 0 {
			mask = 127
		}
		fromMin, ok := minutes(in.FromTime, 0)
		if !ok {
			v.Add("from_time", "must be a time such as 08:30")
		}
		toMin, ok2 := minutes(in.ToTime, 24*60)
		if !ok2 {
			v.Add("to_time", "must be a time such as 17:00")
		}
		if ok && ok2 && fromMin >= toMin {
			v.Add("to_time", "must be after the earliest time")
		}
		if err := v.Err(); err != nil {
			return err
		}
		if actor.Kind == clinic.ActorPatient {
			if _, err := booking.PortalOpen(ctx, tx, org, cl.ID, true); err != nil {
				return err
			}
		}
		n, err := tx.Waitlist().WaitlistEntries(ctx, org, store.WaitlistFilter{ClinicID: cl.ID, Patients: []clinic.PatientID{p.ID}, State: store.EntryWaiting}, maxEntries)
		if err != nil {
			return err
		}
		if len(n) >= 10 {
			return clinic.Invalid("patient_id", "is on this clinic's waitlist ten times already: leave an entry first")
		}
		out, err = tx.Waitlist().AddWaitlistEntry(ctx, store.WaitlistEntry{OrgID: org, ClinicID: cl.ID, PatientID: p.ID, ReasonID: reason.ID, AgendaID: in.AgendaID,
			FromDate: in.From, ToDate: in.To, Weekdays: mask, FromMinute: fromMin, ToMinute: toMin, AddedBy: actor.Label})
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "waitlist.join", p.ID)
	})
	return out, err
}

// minutes reads "HH:MM" as minutes after midnight; "" is def.
func minutes(s string, def int) (int, bool) {
	if s == "" {
		return def, true
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// Leave takes entry id off the waitlist: the patient's own (or a managed relative's), or
// any for staff with the permission to book; its open offers are withdrawn. Audited as
// "waitlist.leave".
//
// Errors: clinic.ErrNotFound (another patient's entry); clinic.ErrForbidden.
func (s *Service) Leave(ctx context.Context, actor clinic.Actor, id int64) error {
	if actor.Kind != clinic.ActorPatient && !actor.Can(clinic.PermWriteSchedule) {
		return fmt.Errorf("%s needs %s: %w", actor.Label, clinic.PermWriteSchedule, clinic.ErrForbidden)
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		e, err := tx.Waitlist().WaitlistEntry(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		if !actor.Reaches(e.PatientID) {
			return fmt.Errorf("waitlist entry %d: %w", id, clinic.ErrNotFound)
		}
		if e.State != store.EntryWaiting {
			return &clinic.ConflictError{Field: "entry", Reason: "this entry is no longer waiting"}
		}
		if err := tx.Waitlist().SetWaitlistEntryState(ctx, actor.OrgID, id, store.EntryWaiting, store.EntryLeft, 0); err != nil {
			return err
		}
		if err := tx.Waitlist().WithdrawOffersOf(ctx, actor.OrgID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "waitlist.leave", e.PatientID)
	})
}

// Entries lists the waiting entries of clinic cl for patients (all patients for staff
// when patients is empty; a patient sees only the people they reach).
//
// Errors: clinic.ErrForbidden.
func (s *Service) Entries(ctx context.Context, actor clinic.Actor, cl clinic.ClinicID, patients []clinic.PatientID) ([]store.WaitlistEntry, error) {
	if actor.Kind == clinic.ActorPatient {
		patients = slices.DeleteFunc(slices.Clone(patients), func(p clinic.PatientID) bool { return !actor.Reaches(p) })
		if len(patients) == 0 {
			return nil, nil
		}
	} else if !actor.Can(clinic.PermReadSchedule) {
		return nil, fmt.Errorf("%s needs %s: %w", actor.Label, clinic.PermReadSchedule, clinic.ErrForbidden)
	}
	var out []store.WaitlistEntry
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.Waitlist().WaitlistEntries(ctx, actor.OrgID, store.WaitlistFilter{ClinicID: cl, Patients: patients, State: store.EntryWaiting}, maxEntries)
		return err
	})
	return out, err
}

// Matches reports whether entry e wants a time starting at start (in the clinic's zone
// loc) on agenda: its practitioner (or any), its dates, weekdays and times of day. It is
// the one place the window's rule is read.
func Matches(e store.WaitlistEntry, agenda clinic.AgendaID, start time.Time, loc *time.Location) bool {
	if e.AgendaID != 0 && e.AgendaID != agenda {
		return false
	}
	lt := start.In(loc)
	day := lt.Format(time.DateOnly)
	if day < e.FromDate || day > e.ToDate || e.Weekdays&(1<<lt.Weekday()) == 0 {
		return false
	}
	m := lt.Hour()*60 + lt.Minute()
	return m >= e.FromMinute && m < e.ToMinute
}

// code draws an offer's four-digit code.
func code() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(9000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%04d", 1000+n.Int64()), nil
}

// Round works the due slots once: for each, it closes the wave whose hold is over and, if
// the time is still free and still ahead, offers it to the next wave of matching entries;
// a slot nobody else can take lapses. It returns how many slots it looked at.
//
// Errors: only internal ones (a slot that fails is retried at its next look).
func (s *Service) Round(ctx context.Context) (int, error) {
	var slots []store.WaitlistSlot
	err := s.db.Update(ctx, func(tx *store.Tx) (err error) {
		slots, err = tx.Waitlist().ClaimDueSlots(ctx, tx.Now.Add(time.Minute), 50)
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, sl := range slots {
		if err := s.wave(ctx, sl); err != nil {
			s.cfg.Logger.ErrorContext(ctx, "waitlist wave", "slot", sl.ID, "err", err)
		}
	}
	return len(slots), nil
}

// wave offers slot sl to its next wave, in one transaction.
func (s *Service) wave(ctx context.Context, sl store.WaitlistSlot) error {
	planned := false
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		planned = false
		org := sl.OrgID
		// The slot first, as claims take it (no deadlock with a claim in flight).
		cur, err := tx.Waitlist().LockWaitlistSlot(ctx, org, sl.ID)
		if err != nil || cur.State != store.SlotOpen {
			return err
		}
		sl = cur
		// The wave whose hold is over is closed.
		if _, err := tx.Waitlist().CloseOffers(ctx, org, sl.ID, store.OfferExpired, true); err != nil {
			return err
		}
		offers, err := tx.Waitlist().OffersOfSlot(ctx, org, sl.ID)
		if err != nil {
			return err
		}
		open := slices.ContainsFunc(offers, func(o store.WaitlistOffer) bool { return o.State == store.OfferOffered })
		cl, err := tx.Directory().Clinic(ctx, org, sl.ClinicID)
		if err != nil {
			return err
		}
		set, _, err := tx.Portal().PortalSettingsOf(ctx, org, cl.ID)
		if err != nil {
			return err
		}
		wave, hold := max(set.WaitlistWave, 1), time.Duration(max(set.WaitlistHoldMinutes, 5))*time.Minute
		loc, err := cl.Location()
		if err != nil {
			return err
		}
		if !sl.Start.After(tx.Now.Add(cl.Rules.MinNotice)) {
			if !open {
				sl.State, sl.Why = store.SlotLapsed, "the time came too close to offer"
			}
			sl.NextWaveAt = tx.Now.Add(hold)
			return tx.Waitlist().UpdateWaitlistSlot(ctx, sl)
		}
		if open {
			sl.NextWaveAt = earliestExpiry(offers)
			return tx.Waitlist().UpdateWaitlistSlot(ctx, sl)
		}
		offered := map[int64]bool{}
		for _, o := range offers {
			offered[o.EntryID] = true
		}
		entries, err := tx.Waitlist().WaitlistEntries(ctx, org, store.WaitlistFilter{ClinicID: cl.ID, State: store.EntryWaiting}, maxEntries)
		if err != nil {
			return err
		}
		var next []store.WaitlistOffer
		for _, e := range entries {
			if len(next) == wave {
				break
			}
			if offered[e.ID] {
				continue
			}
			start, ok, err := s.firstFit(ctx, tx, sl, e, loc)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			c, err := code()
			if err != nil {
				return err
			}
			next = append(next, store.WaitlistOffer{OrgID: org, SlotID: sl.ID, EntryID: e.ID, PatientID: e.PatientID, Start: start, Wave: sl.Wave + 1,
				Code: c, ExpiresAt: tx.Now.Add(hold)})
		}
		if len(next) == 0 {
			sl.State, sl.Why = store.SlotLapsed, "no one else on the waitlist wants this time"
			return tx.Waitlist().UpdateWaitlistSlot(ctx, sl)
		}
		for _, o := range next {
			o, err := tx.Waitlist().AddWaitlistOffer(ctx, o)
			if err != nil {
				return err
			}
			if err := planMessages(ctx, tx, cl, o, "waitlist_offer", o.ExpiresAt); err != nil {
				return err
			}
		}
		sl.Wave++
		sl.NextWaveAt = tx.Now.Add(hold)
		planned = true
		return tx.Waitlist().UpdateWaitlistSlot(ctx, sl)
	})
	if err == nil && planned {
		s.cfg.Wake()
	}
	return err
}

func earliestExpiry(os []store.WaitlistOffer) time.Time {
	var t time.Time
	for _, o := range os {
		if o.State == store.OfferOffered && (t.IsZero() || o.ExpiresAt.Before(t)) {
			t = o.ExpiresAt
		}
	}
	return t
}

// firstFit is the first start in slot sl that entry e could book online: a free slot of
// its reason on the slot's agenda (the availability engine under the clinic's online
// rules) within the entry's window.
func (s *Service) firstFit(ctx context.Context, tx *store.Tx, sl store.WaitlistSlot, e store.WaitlistEntry, loc *time.Location) (time.Time, bool, error) {
	if e.AgendaID != 0 && e.AgendaID != sl.AgendaID {
		return time.Time{}, false, nil
	}
	av, err := s.booking.AvailabilityTx(ctx, tx, sl.OrgID, booking.Query{ReasonID: e.ReasonID, AgendaIDs: []clinic.AgendaID{sl.AgendaID}, From: sl.Start, To: sl.End, Online: true})
	if errors.Is(err, clinic.ErrInvalid) {
		return time.Time{}, false, nil // the agenda no longer offers the reason, or it is not bookable online
	}
	if err != nil {
		return time.Time{}, false, err
	}
	for _, a := range av.Agendas {
		for _, t := range a.Slots {
			if !t.Before(sl.Start) && !t.Add(av.Reason.Duration).After(sl.End) && Matches(e, sl.AgendaID, t, loc) {
				return t, true, nil
			}
		}
	}
	return time.Time{}, false, nil
}

// planMessages plans an offer's (or its "taken") messages on each channel the clinic
// sends, decided by consent at send time (purpose waitlist_offer).
func planMessages(ctx context.Context, tx *store.Tx, cl clinic.Clinic, o store.WaitlistOffer, kind string, deadline time.Time) error {
	sets, err := notify.SettingsTx(ctx, tx, cl.OrgID, []clinic.ClinicID{cl.ID})
	if err != nil {
		return err
	}
	var ns []store.Notification
	for _, ch := range consent.Channels() {
		if !sets[cl.ID].Sends(ch) {
			continue
		}
		ns = append(ns, store.Notification{ClinicID: cl.ID, PatientID: o.PatientID, OfferID: o.ID, Kind: kind, Purpose: string(consent.PurposeWaitlistOffer),
			Channel: string(ch), Due: tx.Now, Deadline: deadline})
	}
	_, err = tx.Notifications().PlanNotifications(ctx, cl.OrgID, ns)
	return err
}

// Mint makes the link (and reply word) of an offer message as it is sent, in the
// dispatcher's transaction: a token stored hashed, which opens the offer until it is
// decided. The link opens the offer's page at the clinic's portal.
//
// Errors: clinic.ErrNotFound when the offer is no longer open, or the clinic has no
// portal (the message then fails, with why, in the communication log).
func (s *Service) Mint(ctx context.Context, tx *store.Tx, n store.Notification) (link, word string, err error) {
	o, err := tx.Waitlist().WaitlistOffer(ctx, n.OrgID, n.OfferID)
	if err != nil {
		return "", "", err
	}
	if o.State != store.OfferOffered || !tx.Now.Before(o.ExpiresAt) {
		return "", "", fmt.Errorf("offer %d is %s: %w", o.ID, o.State, clinic.ErrNotFound)
	}
	plain, hash, err := auth.NewToken("")
	if err != nil {
		return "", "", err
	}
	if err := tx.Waitlist().AddWaitlistLink(ctx, n.OrgID, o.ID, hash, n.ID); err != nil {
		return "", "", err
	}
	slug := ""
	if set, ok, err := tx.Portal().PortalSettingsOf(ctx, n.OrgID, n.ClinicID); err != nil {
		return "", "", err
	} else if ok {
		slug = set.Slug
	} else {
		return "", "", fmt.Errorf("clinic %d has no portal for the offer's page: %w", n.ClinicID, clinic.ErrNotFound)
	}
	return strings.TrimSuffix(s.cfg.PublicURL, "/") + "/p/" + slug + "/offers/" + plain, ClaimWord + " " + o.Code, nil
}

// offerToken finds the secret of the links Mint makes.
var offerToken = regexp.MustCompile(`/offers/[A-Za-z0-9_-]+`)

// Redact blanks the secrets of offer links in text: what the notification log keeps.
func Redact(text string) string { return offerToken.ReplaceAllString(text, "/offers/…") }

// Run works the due waves every Config.Every until ctx ends: a component of serve. On
// PostgreSQL every instance may run one (slots are claimed).
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Every)
	defer t.Stop()
	for {
		if _, err := s.Round(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Error("waitlist round", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
