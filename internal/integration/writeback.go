package integration

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/fhir"
	"github.com/tidings-health/tidings/internal/hl7"
	"github.com/tidings-health/tidings/internal/mllp"
	"github.com/tidings-health/tidings/internal/store"
)

// WriteBackConfig tunes a WriteBacker; zero fields take the defaults.
type WriteBackConfig struct {
	Logger *slog.Logger
	// Every is how often due write-backs are looked for (1 s).
	Every time.Duration
	// Lease is how long a claimed write-back is another worker's to leave alone (2 min):
	// longer than a send can take.
	Lease time.Duration
	// Batch is how many write-backs one round claims (20).
	Batch int
	// Timeout bounds one send: connect, write, acknowledgement (15 s).
	Timeout time.Duration
	// HTTP is the FHIR servers' client (nil: one with Timeout).
	HTTP *http.Client
}

// WriteBacker writes appointments booked, moved or cancelled in Tidings to their clinical
// software (SYN-5): as SIU^S12 (new), S13 (changed) or S15 (cancelled) to an hl7v2
// database's outbound MLLP peer, or as a FHIR Appointment created (conditionally, by
// Tidings' identifier) or updated on a fhir database's server. What is due is a row per
// appointment that the booking use cases write in the change's own transaction
// (store.Sync.PlanWriteBack), so a change is written back if and only if it commits; the
// row coalesces successive changes, and the appointment is sent as it is at send time.
//
// A send that does not reach the software (refused connection, timeout, a FHIR 5xx or 429)
// is tried again with a growing delay, for as long as it takes. A refusal by the software
// (AE or AR, a FHIR 4xx) is final: the row is failed with the software's reason, shown on
// the appointment and the database's page, where staff deal with it; it is not retried
// forever. The software's id for a FHIR appointment is stored as the appointment's external
// id, and an HL7 appointment carries Tidings' placer id (booking.PlacerID), so its echo
// updates the appointment rather than booking it twice.
//
// The HL7 control id of a send is the row's id and version: a resend of one state is the
// same message to the receiver, which can drop it as a duplicate.
type WriteBacker struct {
	db  *store.DB
	log *slog.Logger
	cfg WriteBackConfig

	mu      sync.Mutex
	clients map[clinic.DatabaseID]fhirClient // by database, rebuilt when its settings change
}

type fhirClient struct {
	updated time.Time
	c       *fhir.Client
}

// NewWriteBacker returns a WriteBacker over db.
func NewWriteBacker(db *store.DB, cfg WriteBackConfig) *WriteBacker {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Every <= 0 {
		cfg.Every = time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 20
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: cfg.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &WriteBacker{db: db, log: cfg.Logger, cfg: cfg, clients: map[clinic.DatabaseID]fhirClient{}}
}

// Run writes back what is due until ctx ends.
func (w *WriteBacker) Run(ctx context.Context) error {
	t := time.NewTicker(w.cfg.Every)
	defer t.Stop()
	for {
		for {
			n, err := w.Round(ctx)
			if err != nil && ctx.Err() == nil {
				w.log.Error("write-back round", "err", err)
			}
			if n < w.cfg.Batch || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Round claims the write-backs due and sends each, returning how many it claimed.
func (w *WriteBacker) Round(ctx context.Context) (int, error) {
	var due []store.WriteBack
	err := w.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		due, err = tx.Sync().ClaimWriteBacks(ctx, tx.Now.Add(w.cfg.Lease), w.cfg.Batch)
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, wb := range due {
		if err := w.one(ctx, wb); err != nil {
			return len(due), err
		}
	}
	return len(due), nil
}

// outgoing is what one write-back sends, read in one transaction.
type outgoing struct {
	wb        store.WriteBack
	appt      clinic.Appointment
	patient   clinic.Patient
	clinic    clinic.Clinic
	db        clinic.Database
	reason    string
	agenda    string // the practitioner's name, else the agenda's
	pracCode  string // the practitioner id the database's messages use, when mapped
	facility  string
	outbound  string
	fhir      store.FHIRSettings
	fhirPatID string // the patient's id on the FHIR server
}

// errNothing: the appointment needs no send (cancelled before the software ever had it).
var errNothing = errors.New("nothing to write back")

// rejection is the software's refusal of a write-back: final, shown to staff.
type rejection struct{ reason string }

func (r *rejection) Error() string { return r.reason }

// one sends one write-back and records its outcome.
func (w *WriteBacker) one(ctx context.Context, wb store.WriteBack) error {
	out, err := w.load(ctx, wb)
	var pmsID string
	var rj *rejection
	switch {
	case errors.As(err, &rj):
		return w.finish(ctx, wb, store.WriteBackFailed, false, rj.reason, "")
	case errors.Is(err, clinic.ErrNotFound):
		// The appointment (or its patient, clinic, database) is gone: nothing to write.
		return w.finish(ctx, wb, store.WriteBackSent, false, "", "")
	case err != nil:
		return err
	}
	if !wb.Written && out.appt.Status == clinic.StatusCancelled {
		err = errNothing
	} else {
		sctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
		if out.db.Kind == clinic.KindFHIR {
			pmsID, err = w.sendFHIR(sctx, out)
		} else {
			err = w.sendHL7(sctx, out)
		}
		cancel()
	}
	switch {
	case errors.Is(err, errNothing):
		return w.finish(ctx, wb, store.WriteBackSent, false, "", "")
	case errors.As(err, &rj):
		w.log.Warn("write-back refused by the clinical software", "database", wb.DatabaseID, "appointment", wb.AppointmentID)
		return w.finish(ctx, wb, store.WriteBackFailed, false, rj.reason, "")
	case err != nil:
		if ctx.Err() != nil {
			return ctx.Err()
		}
		delay := min(time.Duration(1<<min(wb.Attempts, 10))*time.Second, 10*time.Minute)
		w.log.Info("write-back not delivered; will retry", "database", wb.DatabaseID, "appointment", wb.AppointmentID, "in", delay, "err", err)
		return w.db.Update(ctx, func(tx *store.Tx) error {
			return tx.Sync().RetryWriteBack(ctx, wb.ID, tx.Now.Add(delay), truncateReason(err.Error()))
		})
	}
	return w.finish(ctx, wb, store.WriteBackSent, true, "", pmsID)
}

// finish records a write-back's outcome; pmsID, when the software named one, becomes the
// appointment's external id (its echo is then matched by it).
func (w *WriteBacker) finish(ctx context.Context, wb store.WriteBack, state string, written bool, why, pmsID string) error {
	return w.db.Update(ctx, func(tx *store.Tx) error {
		if pmsID != "" {
			a, err := tx.Appointments().Appointment(ctx, wb.OrgID, wb.AppointmentID)
			if err != nil {
				return err
			}
			if a.ExternalID != pmsID {
				a.ExternalID = pmsID
				if _, err := tx.Appointments().UpdateAppointment(ctx, wb.OrgID, a); err != nil {
					return err
				}
			}
		}
		return tx.Sync().FinishWriteBack(ctx, wb.ID, wb.Version, state, written, truncateReason(why))
	})
}

func truncateReason(s string) string {
	if r := []rune(s); len(r) > 300 {
		return string(r[:300]) + "…"
	}
	return s
}

// load reads what the send needs.
func (w *WriteBacker) load(ctx context.Context, wb store.WriteBack) (outgoing, error) {
	out := outgoing{wb: wb}
	org := wb.OrgID
	err := w.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if out.appt, err = tx.Appointments().Appointment(ctx, org, wb.AppointmentID); err != nil {
			return err
		}
		if out.patient, err = tx.Patients().Patient(ctx, org, out.appt.PatientID); err != nil {
			return err
		}
		if out.clinic, err = tx.Directory().Clinic(ctx, org, out.appt.ClinicID); err != nil {
			return err
		}
		if out.db, err = tx.Directory().Database(ctx, org, wb.DatabaseID); err != nil {
			return err
		}
		r, err := tx.Directory().Reason(ctx, org, out.appt.ReasonID)
		if err != nil {
			return err
		}
		out.reason = r.Name
		ag, err := tx.Directory().Agenda(ctx, org, out.appt.AgendaID)
		if err != nil {
			return err
		}
		out.agenda = ag.Name
		if ag.PractitionerID != nil {
			if p, err := tx.Directory().Practitioner(ctx, org, *ag.PractitionerID); err == nil {
				out.agenda = p.Name
			}
		}
		ms, err := tx.Sync().Mappings(ctx, org, wb.DatabaseID)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.Kind == store.MapPractitioner && m.TargetID == int64(ag.ID) {
				out.pracCode = m.Code
				break
			}
		}
		switch out.db.Kind {
		case clinic.KindHL7v2:
			if out.facility, err = tx.Sync().HL7Facility(ctx, org, wb.DatabaseID); err != nil {
				return err
			}
			out.outbound, err = tx.Sync().HL7Outbound(ctx, org, wb.DatabaseID)
			return err
		case clinic.KindFHIR:
			var ok bool
			if out.fhir, ok, err = tx.Sync().FHIRSettingsOf(ctx, org, wb.DatabaseID); err != nil {
				return err
			} else if !ok {
				return &rejection{reason: "the database has no FHIR settings: set its server on its FHIR settings page"}
			}
		}
		return nil
	})
	return out, err
}

// hl7Status is SCH-25 for a status (the codes the mapping reads back).
func hl7Status(s clinic.Status) string {
	switch s {
	case clinic.StatusConfirmed:
		return "Confirmed"
	case clinic.StatusArrived:
		return "Arrived"
	case clinic.StatusSeen:
		return "Complete"
	case clinic.StatusNoShow:
		return "Noshow"
	case clinic.StatusCancelled, clinic.StatusExcusedAbsence:
		return "Cancelled"
	}
	return "Booked"
}

// SIU builds the SIU message of a write-back: S12 for an appointment the software does not
// hold yet, S15 for a cancellation, S13 otherwise, with Tidings' placer id (SCH-1), the
// software's id when known (SCH-2), the times in the clinic's zone with their offset, the
// status (SCH-25), the patient (PID-3: the software's id, or Tidings' own as PI), the
// practitioner (AIP-3: the mapped id and the name) and the clinic (AIL-3).
func buildSIU(out outgoing, now time.Time) (*hl7.Message, error) {
	loc, err := out.clinic.Location()
	if err != nil {
		return nil, err
	}
	event := "S13"
	switch {
	case !out.wb.Written:
		event = "S12"
	case out.appt.Status == clinic.StatusCancelled || out.appt.Status == clinic.StatusExcusedAbsence:
		event = "S15"
	}
	m, err := hl7.NewMessage(hl7.StandardDelimiters())
	if err != nil {
		return nil, err
	}
	msh := m.MSH()
	for n, f := range map[int]hl7.Field{3: hl7.Text("TIDINGS"), 4: hl7.Text("TIDINGS"), 5: hl7.Text(string(out.db.Profile)), 6: hl7.Text(out.facility),
		7: hl7.Text(hl7.FormatTime(now.In(loc), hl7.PrecisionSecond)), 9: hl7.Components("SIU", event, "SIU_S12"),
		10: hl7.Text("TW" + strconv.FormatInt(out.wb.ID, 10) + "." + strconv.FormatInt(out.wb.Version, 10)), 11: hl7.Text("P"), 12: hl7.Text("2.4")} {
		if err := msh.Set(n, f); err != nil {
			return nil, err
		}
	}
	start, end := out.appt.Start.In(loc), out.appt.End.In(loc)
	minutes := strconv.Itoa(int(end.Sub(start) / time.Minute))
	sch := make([]hl7.Field, 25)
	sch[0] = hl7.Components(booking.PlacerID(out.appt.ID), "TIDINGS")
	if out.appt.ExternalID != "" {
		sch[1] = hl7.Text(out.appt.ExternalID)
	}
	sch[6] = hl7.Components("", out.reason)
	sch[8], sch[9] = hl7.Text(minutes), hl7.Text("MIN")
	sch[10] = hl7.Components("", "", minutes, hl7.FormatTime(start, hl7.PrecisionMinute), hl7.FormatTime(end, hl7.PrecisionMinute))
	sch[24] = hl7.Text(hl7Status(out.appt.Status))
	if _, err := m.AddSegment("SCH", sch...); err != nil {
		return nil, err
	}
	pid := make([]hl7.Field, 13)
	pid[0] = hl7.Text("1")
	if out.patient.ExternalID != "" {
		pid[2] = hl7.Components(out.patient.ExternalID, "", "", "", "MR")
	} else {
		pid[2] = hl7.Components("TIDP-"+strconv.FormatInt(int64(out.patient.ID), 10), "", "", "TIDINGS", "PI")
	}
	pid[4] = hl7.Components(out.patient.FamilyName, out.patient.GivenName)
	pid[6] = hl7.Text(strings.ReplaceAll(out.patient.BirthDate, "-", ""))
	if out.patient.Mobile != "" {
		pid[12] = hl7.Components("", "PRN", "CP", "", "", "", "", "", "", "", "", out.patient.Mobile)
	}
	if _, err := m.AddSegment("PID", pid...); err != nil {
		return nil, err
	}
	if _, err := m.AddSegment("RGS", hl7.Text("1"), hl7.Text("A")); err != nil {
		return nil, err
	}
	if _, err := m.AddSegment("AIP", hl7.Text("1"), hl7.Text("A"), hl7.Components(out.pracCode, out.agenda), hl7.Text("D")); err != nil {
		return nil, err
	}
	if _, err := m.AddSegment("AIL", hl7.Text("1"), hl7.Text("A"), hl7.Components("", "", "", out.clinic.Name)); err != nil {
		return nil, err
	}
	return m, nil
}

// sendHL7 sends the SIU to the database's outbound peer and reads its ACK: AA (or CA) is
// done; AE, AR, CE or CR is a rejection; anything else (no connection, no ACK, an ACK that
// does not parse) is tried again.
func (w *WriteBacker) sendHL7(ctx context.Context, out outgoing) error {
	msg, err := buildSIU(out, w.db.Now())
	if err != nil {
		return &rejection{reason: "the appointment cannot be written as HL7: " + err.Error()}
	}
	c, err := mllp.Dial(ctx, out.outbound, nil)
	if err != nil {
		return fmt.Errorf("connect to the clinical software's MLLP listener: %w", err)
	}
	defer c.Close()
	raw, err := c.Send(ctx, hl7.Encode(msg))
	if err != nil {
		return fmt.Errorf("send to the clinical software: %w", err)
	}
	ack, err := hl7.Parse(raw)
	if err != nil {
		return fmt.Errorf("the clinical software's ACK does not parse: %w", err)
	}
	switch code := ack.Get("MSA-1"); code {
	case "AA", "CA":
		return nil
	case "AE", "AR", "CE", "CR":
		text := ack.Get("MSA-3")
		if text == "" {
			text = ack.Get("ERR-8")
		}
		return &rejection{reason: fmt.Sprintf("%s: %s", code, cmp.Or(text, "refused without a reason"))}
	default:
		return fmt.Errorf("the clinical software's ACK has MSA-1 %q", code)
	}
}

// fhirStatus is the FHIR Appointment status of a status.
func fhirStatus(s clinic.Status) string {
	switch s {
	case clinic.StatusArrived:
		return "arrived"
	case clinic.StatusSeen:
		return "fulfilled"
	case clinic.StatusNoShow:
		return "noshow"
	case clinic.StatusCancelled, clinic.StatusExcusedAbsence:
		return "cancelled"
	}
	return "booked"
}

// client returns the FHIR client of a database's settings.
func (w *WriteBacker) client(s store.FHIRSettings) (*fhir.Client, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.clients[s.DatabaseID]; ok && c.updated.Equal(s.UpdatedAt) {
		return c.c, nil
	}
	c, err := FHIRClient(s, w.cfg.HTTP)
	if err != nil {
		return nil, err
	}
	w.clients[s.DatabaseID] = fhirClient{updated: s.UpdatedAt, c: c}
	return c, nil
}

// FHIRClient is the client of a database's FHIR settings, with its authentication.
func FHIRClient(s store.FHIRSettings, hc *http.Client) (*fhir.Client, error) {
	cfg := fhir.Config{Base: s.BaseURL, HTTP: hc}
	switch s.Auth {
	case "bearer":
		cfg.Auth = fhir.Bearer(s.Token)
	case "client_credentials":
		cfg.Auth = &fhir.ClientCredentials{TokenURL: s.TokenURL, ClientID: s.ClientID, ClientSecret: s.ClientSecret, Scope: s.Scope, HTTP: hc}
	}
	return fhir.New(cfg)
}

// sendFHIR creates the appointment on the database's FHIR server (conditionally, by
// Tidings' identifier, so a retry after a lost answer does not book twice) or updates it,
// and returns the server's id for it. A 4xx other than 408 and 429 is a rejection.
func (w *WriteBacker) sendFHIR(ctx context.Context, out outgoing) (string, error) {
	c, err := w.client(out.fhir)
	if err != nil {
		return "", &rejection{reason: "the database's FHIR settings are not usable: " + err.Error()}
	}
	ident := fhir.Identifier{System: FHIRAppointmentSystem, Value: booking.PlacerID(out.appt.ID)}
	a := fhir.Appointment{Identifier: []fhir.Identifier{ident}, Status: fhirStatus(out.appt.Status), Start: out.appt.Start.UTC(), End: out.appt.End.UTC(),
		Description: out.reason, AppointmentType: &fhir.CodeableConcept{Text: out.reason}}
	if out.patient.ExternalID == "" {
		return "", &rejection{reason: "the patient is not on the FHIR server (no id from it): create them in the clinical software first"}
	}
	a.Participant = append(a.Participant, fhir.AppointmentParticipant{Actor: &fhir.Reference{Reference: "Patient/" + out.patient.ExternalID}, Status: "accepted"})
	prac := fhir.Reference{Display: out.agenda}
	if out.pracCode != "" {
		prac.Reference = "Practitioner/" + out.pracCode
	}
	a.Participant = append(a.Participant, fhir.AppointmentParticipant{Actor: &prac, Status: "accepted"})
	var id string
	if out.appt.ExternalID == "" {
		id, _, _, err = c.CreateIfNoneExist(ctx, a, ident)
	} else {
		id, a.ID = out.appt.ExternalID, out.appt.ExternalID
		_, err = c.Update(ctx, fhir.TypeAppointment, id, a, "")
	}
	if err != nil {
		if fhir.IsRetryable(err) {
			return "", err
		}
		var fe *fhir.Error
		if errors.As(err, &fe) && fe.Status >= 400 && fe.Status < 500 {
			return "", &rejection{reason: truncateReason(fe.Error())}
		}
		return "", err
	}
	return id, nil
}

// FailedWriteBack is an appointment the clinical software refused, as staff see it.
type FailedWriteBack struct {
	Appointment clinic.Appointment
	Patient     clinic.Patient
	Database    string
	Reason      string
	At          time.Time
}

// FailedWriteBacks lists the appointments of actor's organisation that the clinical
// software refused (SYN-5), newest first: staff who book deal with them.
//
// Errors: clinic.ErrForbidden.
func (s *Service) FailedWriteBacks(ctx context.Context, actor clinic.Actor) ([]FailedWriteBack, error) {
	if actor.Kind == clinic.ActorPatient || !actor.Can(clinic.PermWriteSchedule) {
		return nil, fmt.Errorf("list failed write-backs: %s needs %s: %w", actor.Label, clinic.PermWriteSchedule, clinic.ErrForbidden)
	}
	var out []FailedWriteBack
	err := s.db.View(ctx, func(tx *store.Tx) error {
		ws, err := tx.Sync().FailedWriteBacks(ctx, actor.OrgID, 0, 500)
		if err != nil {
			return err
		}
		names := map[clinic.DatabaseID]string{}
		for _, wb := range ws {
			f := FailedWriteBack{Reason: wb.LastError, At: wb.UpdatedAt}
			if f.Appointment, err = tx.Appointments().Appointment(ctx, actor.OrgID, wb.AppointmentID); err != nil {
				return err
			}
			if f.Patient, err = tx.Patients().Patient(ctx, actor.OrgID, f.Appointment.PatientID); err != nil {
				return err
			}
			if _, ok := names[wb.DatabaseID]; !ok {
				d, err := tx.Directory().Database(ctx, actor.OrgID, wb.DatabaseID)
				if err != nil {
					return err
				}
				names[wb.DatabaseID] = d.Name
			}
			f.Database = names[wb.DatabaseID]
			out = append(out, f)
		}
		return nil
	})
	return out, err
}

// RetryWriteBack sends a refused appointment to the clinical software again, once staff
// fixed the cause (in the software, or the appointment here). Audited.
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound when the appointment has no refused
// write-back (of actor's organisation).
func (s *Service) RetryWriteBack(ctx context.Context, actor clinic.Actor, id clinic.AppointmentID) error {
	if actor.Kind == clinic.ActorPatient || !actor.Can(clinic.PermWriteSchedule) {
		return fmt.Errorf("retry write-back: %s needs %s: %w", actor.Label, clinic.PermWriteSchedule, clinic.ErrForbidden)
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		a, err := tx.Appointments().Appointment(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		if err := tx.Sync().ResetWriteBack(ctx, actor.OrgID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "appointment.write_back_retry", a.PatientID)
	})
}
