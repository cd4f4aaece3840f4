package integration

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/hl7"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
)

// The outcomes of applying one record, finer than what an HL7 message records (applied or
// ignored): an import's report tells them apart.
const (
	Created   = "created"
	Updated   = "updated"
	Unchanged = "unchanged"
	Ignored   = store.SyncIgnored // older than what was applied, or nothing Tidings holds
)

// recorded is what the message log keeps of an outcome: applied or ignored.
func recorded(outcome string) string {
	if outcome == Ignored {
		return store.SyncIgnored
	}
	return store.SyncApplied
}

// applyMerge merges the removed record into the survivor (ADT^A40) through the merge use
// case the dashboard uses: appointments, consent and every other patient-linked row move.
// A survivor Tidings does not know refuses the message, kept for re-processing once its ADT
// has come; a removed record it never had is nothing to merge.
func (s *Service) applyMerge(ctx context.Context, tx *store.Tx, actor clinic.Actor, d clinic.Database, m Mapped) (string, error) {
	rec := m.Merge
	newer, err := tx.Sync().Advance(ctx, d.ID, "merge", rec.RemovedID, m.At)
	if err != nil || !newer {
		return Ignored, err
	}
	_, merged, err := patient.MergeSyncTx(ctx, tx, actor, d.ID, rec.SurvivorID, rec.RemovedID)
	switch {
	case errors.Is(err, clinic.ErrNotFound):
		return "", &refusal{code: hl7.CodeUnknownKeyIdentifier, segment: "PID", field: 3,
			reason: "PID-3: the surviving patient is one this database has not sent (send its ADT first); kept for re-processing"}
	case errors.Is(err, patient.ErrMerged):
		return "", &refusal{code: hl7.CodeApplicationError, segment: "MRG", field: 1,
			reason: "MRG-1: one of the two records was merged into a third one already"}
	case err != nil:
		return "", err
	case !merged:
		return Ignored, nil
	}
	return Updated, nil
}

// applyAppointment writes an appointment (SIU) through the booking use case for synced
// appointments: its patient, agenda and reason are found first (see agendaFor and
// reasonFor); a patient unknown to Tidings is created from the message's PID when it names
// them, for feeds that send appointments without ADT messages.
func (s *Service) applyAppointment(ctx context.Context, tx *store.Tx, actor clinic.Actor, d clinic.Database, m Mapped) (string, error) {
	rec := m.Appointment
	newer, err := tx.Sync().Advance(ctx, d.ID, "appointment", rec.ExternalID, m.At)
	if err != nil || !newer {
		return Ignored, err
	}
	in := booking.SyncInput{DatabaseID: d.ID, ExternalID: rec.ExternalID, PlacerID: rec.PlacerID, Start: rec.Start, End: rec.End,
		Status: rec.Status, Note: rec.Note, Remove: rec.Skip != "", NoNotice: m.Bulk}
	if in.Remove {
		in.Status = clinic.StatusCancelled
	}
	if !rec.Start.IsZero() && !in.Remove {
		if err := s.resolve(ctx, tx, actor, d, m, &in); err != nil {
			if !refusable(err) {
				return "", err
			}
			held, found, herr := s.booking.SyncedAppointment(ctx, tx, d.OrgID, in)
			switch {
			case herr != nil:
				return "", herr
			case found:
				// An appointment Tidings holds keeps its agenda, reason and patient when
				// the message names them in a way not matched (the echo of one Tidings
				// wrote back, whose practitioner the software names its own way).
				in.AgendaID, in.ReasonID, in.PatientID = held.AgendaID, held.ReasonID, held.PatientID
			case rec.Status == clinic.StatusCancelled || rec.Status == clinic.StatusNoShow:
				// A cancellation or no-show of an appointment never held is nothing.
				in.Start, in.End, in.PatientID, in.AgendaID, in.ReasonID = time.Time{}, time.Time{}, 0, 0, 0
			default:
				return "", err
			}
		}
	}
	_, outcome, err := s.booking.SyncTx(ctx, tx, actor, in)
	if err != nil {
		return "", fmt.Errorf("%s: %w", m.Type, err)
	}
	switch outcome {
	case booking.SyncCreated:
		return Created, nil
	case booking.SyncUpdated:
		return Updated, nil
	case booking.SyncUnchanged:
		return Unchanged, nil
	}
	return Ignored, nil
}

// resolve finds the patient, agenda and reason of an appointment message.
func (s *Service) resolve(ctx context.Context, tx *store.Tx, actor clinic.Actor, d clinic.Database, m Mapped, in *booking.SyncInput) error {
	var err error
	if in.AgendaID, err = agendaFor(ctx, tx, d, m.Appointment.Resource); err != nil {
		return err
	}
	if in.ReasonID, err = reasonFor(ctx, tx, d, in.AgendaID, m.Appointment.Reason); err != nil {
		return err
	}
	in.PatientID, err = s.patientOf(ctx, tx, actor, d, m)
	return err
}

// patientOf finds the appointment's patient, creating them from the PID when Tidings does
// not know them and the PID names them.
func (s *Service) patientOf(ctx context.Context, tx *store.Tx, actor clinic.Actor, d clinic.Database, m Mapped) (clinic.PatientID, error) {
	rec := m.Appointment
	p, err := tx.Patients().PatientByExternalID(ctx, d.OrgID, d.ID, rec.PatientExternalID)
	switch {
	case err == nil:
		if p.MergedInto != 0 {
			return p.MergedInto, nil
		}
		return p.ID, nil
	case !errors.Is(err, clinic.ErrNotFound):
		return 0, err
	case rec.Patient.FamilyName == "" && rec.Patient.GivenName == "":
		return 0, &refusal{code: hl7.CodeUnknownKeyIdentifier, segment: "PID", field: 3,
			reason: "PID-3: the appointment is for a patient this database has not sent, and the message does not name them (send its ADT first); kept for re-processing"}
	}
	if _, err := tx.Sync().Advance(ctx, d.ID, "patient", rec.PatientExternalID, m.At); err != nil {
		return 0, err
	}
	created, _, err := patient.SyncTx(ctx, tx, actor, d.ID, rec.PatientExternalID, patientInput(&rec.Patient, d))
	if err != nil {
		return 0, fmt.Errorf("%s PID: %w", m.Type, err)
	}
	return created.ID, nil
}

// agendaFor finds the agenda of an appointment: the agenda an administrator mapped the
// practitioner's id (or else the location) to; else the one active agenda of the database's
// clinics whose practitioner has the name sent (titles such as "Dr" and case aside), or
// whose name is the location sent. None, or more than one, refuses the message, kept to be
// re-processed once the mapping is set.
func agendaFor(ctx context.Context, tx *store.Tx, d clinic.Database, r Resource) (clinic.AgendaID, error) {
	for _, k := range []struct{ kind, code string }{{store.MapPractitioner, r.Practitioner.ID}, {store.MapLocation, r.Location}} {
		if k.code == "" {
			continue
		}
		id, ok, err := tx.Sync().Mapping(ctx, d.ID, k.kind, k.code)
		if err != nil {
			return 0, err
		}
		if ok {
			return clinic.AgendaID(id), nil
		}
	}
	agendas, err := tx.Sync().AgendasOf(ctx, d.OrgID, d.ID)
	if err != nil {
		return 0, err
	}
	var found []clinic.AgendaID
	name, loc := personKey(r.Practitioner.Name), nameKey(r.Location)
	for _, a := range agendas {
		if name != "" && a.Practitioner != "" && personKey(a.Practitioner) == name ||
			name == "" && loc != "" && nameKey(a.Name) == loc {
			found = append(found, a.ID)
		}
	}
	if len(found) == 1 {
		return found[0], nil
	}
	what := "no agenda"
	if len(found) > 1 {
		what = "more than one agenda"
	}
	return 0, &refusal{code: hl7.CodeUnknownKeyIdentifier, segment: "AIP", field: 3,
		reason: fmt.Sprintf("AIP-3: %s of this database matches the appointment's practitioner or location: map it in the database's settings, then re-process", what)}
}

// reasonFor finds the reason of an appointment on agenda: the one mapped to its code; else
// the reason of the agenda named as the message's text (or code); else the agenda's only
// reason.
func reasonFor(ctx context.Context, tx *store.Tx, d clinic.Database, agenda clinic.AgendaID, c Coded) (clinic.ReasonID, error) {
	if c.Code != "" {
		id, ok, err := tx.Sync().Mapping(ctx, d.ID, store.MapAppointmentType, c.Code)
		if err != nil || ok {
			return clinic.ReasonID(id), err
		}
	}
	reasons, err := tx.Sync().ReasonsOfAgenda(ctx, d.OrgID, agenda)
	if err != nil {
		return 0, err
	}
	for _, key := range []string{nameKey(c.Text), nameKey(c.Code)} {
		if key == "" {
			continue
		}
		for _, r := range reasons {
			if nameKey(r.Name) == key {
				return r.ID, nil
			}
		}
	}
	if len(reasons) == 1 {
		return reasons[0].ID, nil
	}
	return 0, &refusal{code: hl7.CodeUnknownKeyIdentifier, segment: "SCH", field: 7,
		reason: "SCH-7: no reason of the appointment's agenda matches the appointment type: map it in the database's settings, then re-process"}
}

// nameKey folds a name for matching: case, accents' case and runs of spaces aside.
func nameKey(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// personKey is nameKey without a leading title, so "Dr Anna Lee" matches "Anna Lee".
func personKey(s string) string {
	k := nameKey(s)
	for _, t := range []string{"dr ", "dr. ", "doctor ", "prof ", "prof. ", "a/prof ", "mr ", "mrs ", "ms ", "miss "} {
		if rest, ok := strings.CutPrefix(k, t); ok {
			return rest
		}
	}
	return k
}

// applyRecall stores a recall (RES-8) for the results and recalls work to sequence.
func (s *Service) applyRecall(ctx context.Context, tx *store.Tx, d clinic.Database, m Mapped) (string, error) {
	rec := m.Recall
	p, err := tx.Patients().PatientByExternalID(ctx, d.OrgID, d.ID, rec.PatientExternalID)
	if errors.Is(err, clinic.ErrNotFound) {
		return "", &refusal{code: hl7.CodeUnknownKeyIdentifier, reason: "patient: the recall is about a patient this database has not sent; kept for re-processing"}
	} else if err != nil {
		return "", err
	}
	newer, err := tx.Sync().Advance(ctx, d.ID, "recall", rec.ExternalID, m.At)
	if err != nil || !newer {
		return Ignored, err
	}
	if p.MergedInto != 0 {
		p.ID = p.MergedInto
	}
	status := rec.Status
	if status == "" {
		status = RecallActive
	}
	r := store.Recall{OrgID: d.OrgID, DatabaseID: d.ID, PatientID: p.ID, ExternalID: rec.ExternalID,
		Due: rec.Due, Reason: rec.Reason, DoctorID: rec.Doctor.ID, DoctorName: rec.Doctor.Name, Status: status}
	was, found, err := tx.Sync().RecallByExternalID(ctx, d.ID, rec.ExternalID)
	if err != nil {
		return "", err
	}
	if found && was.PatientID == r.PatientID && was.Due == r.Due && was.Reason == r.Reason && was.DoctorID == r.DoctorID &&
		was.DoctorName == r.DoctorName && was.Status == r.Status {
		return Unchanged, nil
	}
	if r.ID, err = tx.Sync().UpsertRecall(ctx, r); err != nil {
		return "", err
	}
	cl, err := s.recallClinic(ctx, tx, d)
	if err != nil {
		return "", err
	}
	if err := recall.IntakeRecall(ctx, tx, cl, r); err != nil {
		return "", err
	}
	if found {
		return Updated, nil
	}
	return Created, nil
}
