package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// Waitlist queries the waitlist (POR-9): patients' entries, the times freed for them and
// the offers made of those times.
type Waitlist struct{ *Tx }

// Waitlist returns the waitlist queries of tx.
func (tx *Tx) Waitlist() Waitlist { return Waitlist{tx} }

// The states of the waitlist's rows.
const (
	EntryWaiting = "waiting"
	EntryBooked  = "booked"
	EntryLeft    = "left"

	SlotOpen   = "open"
	SlotTaken  = "taken"
	SlotLapsed = "lapsed"

	OfferOffered   = "offered"
	OfferClaimed   = "claimed"
	OfferTaken     = "taken"
	OfferExpired   = "expired"
	OfferWithdrawn = "withdrawn"
)

// WaitlistEntry is a patient waiting for a time: a reason, optionally one agenda, a window
// of civil dates, weekdays (bit d is time.Weekday d) and minutes of the day.
type WaitlistEntry struct {
	ID            int64
	OrgID         clinic.OrgID
	ClinicID      clinic.ClinicID
	PatientID     clinic.PatientID
	ReasonID      clinic.ReasonID
	AgendaID      clinic.AgendaID // 0: any practitioner
	FromDate      string          // YYYY-MM-DD
	ToDate        string
	Weekdays      int
	FromMinute    int
	ToMinute      int
	State         string
	AppointmentID clinic.AppointmentID
	AddedBy       string // the actor's label
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

const entryCols = `id, organisation_id, clinic_id, patient_id, reason_id, agenda_id, from_date, to_date, weekdays, from_minute, to_minute,
	state, appointment_id, added_by, created_at, updated_at`

func scanEntry(r row) (WaitlistEntry, error) {
	var e WaitlistEntry
	var ag, ap *int64
	err := r.Scan(&e.ID, &e.OrgID, &e.ClinicID, &e.PatientID, &e.ReasonID, &ag, &e.FromDate, &e.ToDate, &e.Weekdays, &e.FromMinute, &e.ToMinute,
		&e.State, &ap, &e.AddedBy, &e.CreatedAt, &e.UpdatedAt)
	if ag != nil {
		e.AgendaID = clinic.AgendaID(*ag)
	}
	if ap != nil {
		e.AppointmentID = clinic.AppointmentID(*ap)
	}
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	return e, err
}

// AddWaitlistEntry stores an entry, waiting.
//
// Errors: clinic.ErrNotFound when the clinic, patient, reason or agenda is not org's;
// clinic.ErrInvalid when the window is out of the schema's bounds.
func (tx Waitlist) AddWaitlistEntry(ctx context.Context, e WaitlistEntry) (WaitlistEntry, error) {
	e.State, e.CreatedAt, e.UpdatedAt = EntryWaiting, tx.Now, tx.Now
	err := tx.q.queryRow(ctx, `INSERT INTO waitlist_entries (organisation_id, clinic_id, patient_id, reason_id, agenda_id, from_date, to_date, weekdays,
		from_minute, to_minute, state, added_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'waiting', $11, $12, $12) RETURNING id`,
		e.OrgID, e.ClinicID, e.PatientID, e.ReasonID, zeroNil(int64(e.AgendaID)), e.FromDate, e.ToDate, e.Weekdays, e.FromMinute, e.ToMinute, e.AddedBy, tx.Now).Scan(&e.ID)
	if err != nil {
		return e, fmt.Errorf("add waitlist entry: %w", err)
	}
	return e, nil
}

// WaitlistEntry reads entry id of org.
//
// Errors: clinic.ErrNotFound.
func (tx Waitlist) WaitlistEntry(ctx context.Context, org clinic.OrgID, id int64) (WaitlistEntry, error) {
	e, err := scanEntry(tx.q.queryRow(ctx, `SELECT `+entryCols+` FROM waitlist_entries WHERE organisation_id = $1 AND id = $2`, org, id))
	if err != nil {
		return e, fmt.Errorf("waitlist entry %d: %w", id, err)
	}
	return e, nil
}

// WaitlistFilter narrows a list of entries.
type WaitlistFilter struct {
	ClinicID clinic.ClinicID
	Patients []clinic.PatientID // empty: any
	State    string             // "": any
}

// WaitlistEntries lists org's entries matching f, oldest first (the order offers follow).
//
// Errors: none of its own.
func (tx Waitlist) WaitlistEntries(ctx context.Context, org clinic.OrgID, f WaitlistFilter, limit int) ([]WaitlistEntry, error) {
	q := `SELECT ` + entryCols + ` FROM waitlist_entries WHERE organisation_id = $1 AND clinic_id = $2 AND ($3 = '' OR state = $3)`
	if len(f.Patients) > 0 {
		q += ` AND patient_id IN (` + idList(f.Patients) + `)`
	}
	return collect(ctx, tx, scanEntry, q+` ORDER BY created_at, id LIMIT $4`, org, f.ClinicID, f.State, limit)
}

// SetWaitlistEntryState moves entry id from state from to state to (with the appointment
// it was booked into, for booked).
//
// Errors: clinic.ErrNotFound when the entry is not in state from.
func (tx Waitlist) SetWaitlistEntryState(ctx context.Context, org clinic.OrgID, id int64, from, to string, appt clinic.AppointmentID) error {
	err := one(tx.q.exec(ctx, `UPDATE waitlist_entries SET state = $4, appointment_id = $5, updated_at = $6 WHERE organisation_id = $1 AND id = $2 AND state = $3`,
		org, id, from, to, zeroNil(int64(appt)), tx.Now))
	if err != nil {
		return fmt.Errorf("waitlist entry %d from %s to %s: %w", id, from, to, err)
	}
	return nil
}

// FreeSlot records that [start, end) on agenda freed up, to be offered to the waitlist,
// when the clinic has anyone waiting (otherwise it writes nothing).
//
// Errors: none of its own.
func (tx Waitlist) FreeSlot(ctx context.Context, org clinic.OrgID, cl clinic.ClinicID, agenda clinic.AgendaID, start, end time.Time) error {
	_, err := tx.q.exec(ctx, `INSERT INTO waitlist_slots (organisation_id, clinic_id, agenda_id, starts_at, ends_at, state, wave, next_wave_at, created_at, updated_at)
		SELECT $1, $2, $3, $4, $5, 'open', 0, $6, $6, $6 WHERE EXISTS (
			SELECT 1 FROM waitlist_entries WHERE clinic_id = $2 AND state = 'waiting' AND organisation_id = $1)`,
		org, cl, agenda, start.UTC(), end.UTC(), tx.Now)
	if err != nil {
		return fmt.Errorf("free waitlist slot: %w", err)
	}
	return nil
}

// WaitlistSlot is a freed time and where its offering stands.
type WaitlistSlot struct {
	ID            int64
	OrgID         clinic.OrgID
	ClinicID      clinic.ClinicID
	AgendaID      clinic.AgendaID
	Start, End    time.Time
	State         string
	Wave          int
	NextWaveAt    time.Time
	AppointmentID clinic.AppointmentID
	Why           string
	CreatedAt     time.Time
}

const slotCols = `id, organisation_id, clinic_id, agenda_id, starts_at, ends_at, state, wave, next_wave_at, appointment_id, why, created_at`

func scanSlot(r row) (WaitlistSlot, error) {
	var s WaitlistSlot
	var ap *int64
	err := r.Scan(&s.ID, &s.OrgID, &s.ClinicID, &s.AgendaID, &s.Start, &s.End, &s.State, &s.Wave, &s.NextWaveAt, &ap, &s.Why, &s.CreatedAt)
	if ap != nil {
		s.AppointmentID = clinic.AppointmentID(*ap)
	}
	s.Start, s.End, s.NextWaveAt, s.CreatedAt = s.Start.UTC(), s.End.UTC(), s.NextWaveAt.UTC(), s.CreatedAt.UTC()
	return s, err
}

// ClaimDueSlots takes up to limit open slots whose next wave is due, and moves their next
// look to until, so that no other worker takes them meanwhile (locked on PostgreSQL).
//
// Errors: none of its own.
func (tx Waitlist) ClaimDueSlots(ctx context.Context, until time.Time, limit int) ([]WaitlistSlot, error) {
	lock := ""
	if tx.dialect == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	return collect(ctx, tx, scanSlot, `UPDATE waitlist_slots SET next_wave_at = $2 WHERE id IN (
		SELECT id FROM waitlist_slots WHERE state = 'open' AND next_wave_at <= $1 ORDER BY next_wave_at, id LIMIT $3`+lock+`)
		RETURNING `+slotCols, tx.Now, until.UTC(), limit)
}

// WaitlistSlot reads slot id of org.
//
// Errors: clinic.ErrNotFound.
func (tx Waitlist) WaitlistSlot(ctx context.Context, org clinic.OrgID, id int64) (WaitlistSlot, error) {
	s, err := scanSlot(tx.q.queryRow(ctx, `SELECT `+slotCols+` FROM waitlist_slots WHERE organisation_id = $1 AND id = $2`, org, id))
	if err != nil {
		return s, fmt.Errorf("waitlist slot %d: %w", id, err)
	}
	return s, nil
}

// LockWaitlistSlot reads slot id of org and, on PostgreSQL, locks it until the end of the
// transaction: every claim of the slot's offers takes this lock first, so that claims of
// one time queue instead of deadlocking over each other's offers.
//
// Errors: clinic.ErrNotFound.
func (tx Waitlist) LockWaitlistSlot(ctx context.Context, org clinic.OrgID, id int64) (WaitlistSlot, error) {
	lock := ""
	if tx.dialect == Postgres {
		lock = " FOR UPDATE"
	}
	s, err := scanSlot(tx.q.queryRow(ctx, `SELECT `+slotCols+` FROM waitlist_slots WHERE organisation_id = $1 AND id = $2`+lock, org, id))
	if err != nil {
		return s, fmt.Errorf("waitlist slot %d: %w", id, err)
	}
	return s, nil
}

// UpdateWaitlistSlot saves a slot's state, wave, next look, appointment and why.
//
// Errors: none of its own.
func (tx Waitlist) UpdateWaitlistSlot(ctx context.Context, s WaitlistSlot) error {
	_, err := tx.q.exec(ctx, `UPDATE waitlist_slots SET state = $3, wave = $4, next_wave_at = $5, appointment_id = $6, why = $7, updated_at = $8
		WHERE organisation_id = $1 AND id = $2`, s.OrgID, s.ID, s.State, s.Wave, s.NextWaveAt.UTC(), zeroNil(int64(s.AppointmentID)), s.Why, tx.Now)
	return err
}

// WaitlistSlots lists a clinic's slots, newest first, for staff.
//
// Errors: none of its own.
func (tx Waitlist) WaitlistSlots(ctx context.Context, org clinic.OrgID, cl clinic.ClinicID, limit int) ([]WaitlistSlot, error) {
	return collect(ctx, tx, scanSlot, `SELECT `+slotCols+` FROM waitlist_slots WHERE organisation_id = $1 AND clinic_id = $2 ORDER BY id DESC LIMIT $3`, org, cl, limit)
}

// WaitlistOffer is one offer of a slot's time to one entry's patient.
type WaitlistOffer struct {
	ID        int64
	OrgID     clinic.OrgID
	SlotID    int64
	EntryID   int64
	PatientID clinic.PatientID
	Start     time.Time
	Wave      int
	Code      string
	State     string
	OfferedAt time.Time
	ExpiresAt time.Time
	DecidedAt *time.Time
}

const offerCols = `id, organisation_id, slot_id, entry_id, patient_id, starts_at, wave, code, state, offered_at, expires_at, decided_at`

func scanOffer(r row) (WaitlistOffer, error) {
	var o WaitlistOffer
	err := r.Scan(&o.ID, &o.OrgID, &o.SlotID, &o.EntryID, &o.PatientID, &o.Start, &o.Wave, &o.Code, &o.State, &o.OfferedAt, &o.ExpiresAt, &o.DecidedAt)
	o.Start, o.OfferedAt, o.ExpiresAt = o.Start.UTC(), o.OfferedAt.UTC(), o.ExpiresAt.UTC()
	return o, err
}

// AddWaitlistOffer stores an offer, offered.
//
// Errors: clinic.ErrConflict when the entry was offered this slot already.
func (tx Waitlist) AddWaitlistOffer(ctx context.Context, o WaitlistOffer) (WaitlistOffer, error) {
	o.State, o.OfferedAt = OfferOffered, tx.Now
	err := tx.q.queryRow(ctx, `INSERT INTO waitlist_offers (organisation_id, slot_id, entry_id, patient_id, starts_at, wave, code, state, offered_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'offered', $8, $9) RETURNING id`, o.OrgID, o.SlotID, o.EntryID, o.PatientID, o.Start.UTC(), o.Wave, o.Code, tx.Now, o.ExpiresAt.UTC()).Scan(&o.ID)
	if err != nil {
		return o, fmt.Errorf("add waitlist offer: %w", err)
	}
	return o, nil
}

// WaitlistOffer reads offer id of org.
//
// Errors: clinic.ErrNotFound.
func (tx Waitlist) WaitlistOffer(ctx context.Context, org clinic.OrgID, id int64) (WaitlistOffer, error) {
	o, err := scanOffer(tx.q.queryRow(ctx, `SELECT `+offerCols+` FROM waitlist_offers WHERE organisation_id = $1 AND id = $2`, org, id))
	if err != nil {
		return o, fmt.Errorf("waitlist offer %d: %w", id, err)
	}
	return o, nil
}

// OffersOfSlot lists a slot's offers, oldest first.
//
// Errors: none of its own.
func (tx Waitlist) OffersOfSlot(ctx context.Context, org clinic.OrgID, slot int64) ([]WaitlistOffer, error) {
	return collect(ctx, tx, scanOffer, `SELECT `+offerCols+` FROM waitlist_offers WHERE organisation_id = $1 AND slot_id = $2 ORDER BY id`, org, slot)
}

// OffersOfSlots lists the offers of slots, oldest first, in one statement.
//
// Errors: none of its own.
func (tx Waitlist) OffersOfSlots(ctx context.Context, org clinic.OrgID, slots []int64) ([]WaitlistOffer, error) {
	if len(slots) == 0 {
		return nil, nil
	}
	return collect(ctx, tx, scanOffer, `SELECT `+offerCols+` FROM waitlist_offers WHERE organisation_id = $1 AND slot_id IN (`+idList(slots)+`) ORDER BY id`, org)
}

// OpenOffersFor lists the offers still open to patients, oldest first (an SMS reply's
// candidates).
//
// Errors: none of its own.
func (tx Waitlist) OpenOffersFor(ctx context.Context, org clinic.OrgID, patients []clinic.PatientID) ([]WaitlistOffer, error) {
	if len(patients) == 0 {
		return nil, nil
	}
	return collect(ctx, tx, scanOffer, `SELECT `+offerCols+` FROM waitlist_offers WHERE organisation_id = $1 AND patient_id IN (`+idList(patients)+`)
		AND state = 'offered' ORDER BY id`, org)
}

// DecideOffer moves offer id from offered to state, if it is still offered (claimed only
// while unexpired): of two requests deciding one offer, one wins.
//
// Errors: clinic.ErrNotFound when it is no longer offered (or, to claim, has expired).
func (tx Waitlist) DecideOffer(ctx context.Context, org clinic.OrgID, id int64, state string) error {
	q := `UPDATE waitlist_offers SET state = $3, decided_at = $4 WHERE organisation_id = $1 AND id = $2 AND state = 'offered'`
	if state == OfferClaimed {
		q += ` AND expires_at > $4`
	}
	if err := one(tx.q.exec(ctx, q, org, id, state, tx.Now)); err != nil {
		return fmt.Errorf("offer %d to %s: %w", id, state, err)
	}
	return nil
}

// CloseOffers moves a slot's offers still offered to state (taken, expired, withdrawn),
// those expired by now only when onlyExpired, and returns them.
//
// Errors: none of its own.
func (tx Waitlist) CloseOffers(ctx context.Context, org clinic.OrgID, slot int64, state string, onlyExpired bool) ([]WaitlistOffer, error) {
	q := `UPDATE waitlist_offers SET state = $3, decided_at = $4 WHERE organisation_id = $1 AND slot_id = $2 AND state = 'offered'`
	if onlyExpired {
		q += ` AND expires_at <= $4`
	}
	return collect(ctx, tx, scanOffer, q+` RETURNING `+offerCols, org, slot, state, tx.Now)
}

// WithdrawOffersOf withdraws entry id's open offers (the patient left the waitlist).
//
// Errors: none of its own.
func (tx Waitlist) WithdrawOffersOf(ctx context.Context, org clinic.OrgID, entry int64) error {
	_, err := tx.q.exec(ctx, `UPDATE waitlist_offers SET state = 'withdrawn', decided_at = $3 WHERE organisation_id = $1 AND entry_id = $2 AND state = 'offered'`,
		org, entry, tx.Now)
	return err
}

// AddWaitlistLink stores the hash of an offer's link token, minted for one message.
//
// Errors: none of its own.
func (tx Waitlist) AddWaitlistLink(ctx context.Context, org clinic.OrgID, offer int64, hash []byte, notification int64) error {
	_, err := tx.q.exec(ctx, `INSERT INTO waitlist_links (token_hash, organisation_id, offer_id, notification_id, created_at) VALUES ($1, $2, $3, $4, $5)`,
		hash, org, offer, zeroNil(notification), tx.Now)
	return err
}

// OfferByLink finds the offer a link's token hash opens.
//
// Errors: clinic.ErrNotFound.
func (tx Waitlist) OfferByLink(ctx context.Context, hash []byte) (WaitlistOffer, error) {
	o, err := scanOffer(tx.q.queryRow(ctx, `SELECT `+qualifiedCols("o", offerCols)+` FROM waitlist_links l
		JOIN waitlist_offers o ON o.organisation_id = l.organisation_id AND o.id = l.offer_id WHERE l.token_hash = $1`, hash))
	if err != nil {
		return o, fmt.Errorf("waitlist link: %w", err)
	}
	return o, nil
}
