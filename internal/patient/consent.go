package patient

import (
	"context"
	"fmt"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/store"
)

// allowConsent checks who may change a patient's switch or consent: staff and tokens with
// the permission (appointment managers and above, CON-7), the patient themselves for their
// own records and their relatives' (the portal, CON-3), and the system (an SMS STOP, an
// import). Another patient's record is "not found".
func allowConsent(actor clinic.Actor, id clinic.PatientID, what string) error {
	switch actor.Kind {
	case clinic.ActorSystem:
		return nil
	case clinic.ActorPatient:
		if actor.Reaches(id) {
			return nil
		}
		return fmt.Errorf("patient %d: %w", id, clinic.ErrNotFound)
	}
	if actor.Can(clinic.PermPatientConsent) {
		return nil
	}
	return fmt.Errorf("%s: %s needs %s: %w", what, actor.Label, clinic.PermPatientConsent, clinic.ErrForbidden)
}

// SetNotifications turns the patient switch on or off (CON-7): off stops the patient's
// appointment notifications, except for appointments they book online themselves (CON-8).
// Staff only: this is the clinic's switch, not the patient's choice (that is consent).
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound; ErrMerged.
//
// on is required; it is checked after the patient is found, so another organisation's patient
// is "not found" whatever the request says.
func (s *Service) SetNotifications(ctx context.Context, actor clinic.Actor, id clinic.PatientID, on *bool) (clinic.Patient, error) {
	var p clinic.Patient
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if actor.Kind == clinic.ActorPatient {
			return fmt.Errorf("patients do not set the clinic's switch: %w", clinic.ErrForbidden)
		}
		if err := allowConsent(actor, id, "patient notifications"); err != nil {
			return err
		}
		var err error
		if p, err = tx.Patients().Patient(ctx, actor.OrgID, id); err != nil {
			return err
		}
		if p.MergedInto != 0 {
			return fmt.Errorf("switch of patient %d merged into %d: %w", p.ID, p.MergedInto, ErrMerged)
		}
		if on == nil {
			return clinic.Invalid("on", "is required")
		}
		p.NotificationsOff = !*on
		if p, err = tx.Patients().UpdatePatient(ctx, actor.OrgID, p); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "patient.notifications", p.ID)
	})
	return p, err
}

// ConsentInput is one consent change: opt in or out of a channel for a purpose ("all": every
// purpose of the channel, as an SMS STOP). Source says where it was made; it is set from the
// actor (dashboard for staff, api for tokens, portal for patients) and only the system names
// its own (sms, import).
type ConsentInput struct {
	Channel *string `json:"channel"`
	Purpose *string `json:"purpose"`
	OptIn   *bool   `json:"opt_in"`
	Source  string  `json:"-"`
}

// sourceOf is where an actor's consent change comes from (CON-3: "from where").
func sourceOf(actor clinic.Actor, given string) (consent.Source, error) {
	switch actor.Kind {
	case clinic.ActorStaff:
		return consent.SourceDashboard, nil
	case clinic.ActorToken:
		return consent.SourceAPI, nil
	case clinic.ActorPatient:
		return consent.SourcePortal, nil
	}
	src, err := consent.ParseSource(given)
	if err == nil && src == consent.SourcePMS {
		return src, clinic.Invalid("source", "the clinical software's value is set on the patient (pms_opt_out), not as consent")
	}
	return src, err
}

// RecordConsent appends the patient's consent change (CON-3). It overrides the value read
// from the clinical software until changed again in Tidings.
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound; ErrMerged; *clinic.ValidationError naming
// channel, purpose or opt_in.
func (s *Service) RecordConsent(ctx context.Context, actor clinic.Actor, id clinic.PatientID, in ConsentInput) (store.ConsentRecord, error) {
	recs, err := s.RecordConsents(ctx, actor, id, []ConsentInput{in})
	if err != nil {
		return store.ConsentRecord{}, err
	}
	return recs[0], nil
}

// RecordConsents appends several consent changes of one patient in one transaction, with
// one audit row (a preferences page saving its choices): all or none.
//
// Errors: as RecordConsent's; a *clinic.ValidationError names the first change's fields.
func (s *Service) RecordConsents(ctx context.Context, actor clinic.Actor, id clinic.PatientID, ins []ConsentInput) ([]store.ConsentRecord, error) {
	var out []store.ConsentRecord
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		out = out[:0]
		if err := allowConsent(actor, id, "patient consent"); err != nil {
			return err
		}
		p, err := tx.Patients().Patient(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		if p.MergedInto != 0 {
			return fmt.Errorf("consent of patient %d merged into %d: %w", p.ID, p.MergedInto, ErrMerged)
		}
		for _, in := range ins {
			rec, err := recordConsentTx(ctx, tx, actor, id, in)
			if err != nil {
				return err
			}
			out = append(out, rec)
		}
		if len(out) == 0 {
			return nil
		}
		return audit.Record(ctx, tx, actor, "patient.consent", id)
	})
	return out, err
}

// recordConsentTx checks and appends one consent change inside tx.
func recordConsentTx(ctx context.Context, tx *store.Tx, actor clinic.Actor, id clinic.PatientID, in ConsentInput) (store.ConsentRecord, error) {
	var v clinic.ValidationError
	var ch consent.Channel
	var pu consent.Purpose
	if in.Channel == nil {
		v.Add("channel", "is required")
	} else if c, err := consent.ParseChannel(*in.Channel); err != nil {
		v.Fields = append(v.Fields, clinic.FieldsOf(err)...)
	} else {
		ch = c
	}
	if in.Purpose == nil {
		v.Add("purpose", "is required")
	} else if p, err := consent.ParseRecordPurpose(*in.Purpose); err != nil {
		v.Fields = append(v.Fields, clinic.FieldsOf(err)...)
	} else {
		pu = p
	}
	if in.OptIn == nil {
		v.Add("opt_in", "is required")
	}
	src, err := sourceOf(actor, in.Source)
	if err != nil {
		v.Fields = append(v.Fields, clinic.FieldsOf(err)...)
	}
	if err := v.Err(); err != nil {
		return store.ConsentRecord{}, err
	}
	return tx.Consent().RecordConsent(ctx, actor.OrgID, store.ConsentRecord{PatientID: id, Channel: string(ch), Purpose: string(pu),
		OptIn: *in.OptIn, Source: string(src), Actor: actor.Label})
}

// History is a patient's consent as the patient file shows it: the switch, the value read
// from the clinical software and when, and every consent record, oldest first.
type History struct {
	Patient clinic.Patient
	Records []store.ConsentRecord
}

// ConsentHistory reads a patient's consent history; the read is audited (ADM-2).
//
// Errors: clinic.ErrNotFound (another patient's, for a patient actor).
func (s *Service) ConsentHistory(ctx context.Context, actor clinic.Actor, id clinic.PatientID) (History, error) {
	var h History
	if !actor.Reaches(id) || (actor.Kind != clinic.ActorPatient && !actor.Can(clinic.PermReadPatients)) {
		return h, fmt.Errorf("patient %d: %w", id, clinic.ErrNotFound)
	}
	err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		if h.Patient, err = tx.Patients().Patient(ctx, actor.OrgID, id); err != nil {
			return err
		}
		h.Records, err = tx.Consent().ConsentRecords(ctx, actor.OrgID, []clinic.PatientID{id})
		return err
	})
	if err != nil {
		return h, err
	}
	return h, audit.Read(ctx, s.db, actor, ActionConsentRead, id)
}

// ActionConsentRead is the audit action of a read of a patient's consent history, also
// written by a page that shows it with the rest of the patient file.
const ActionConsentRead = "patient.consent.read"

// recordPMS keeps the history of the value read from the clinical software beside the
// Tidings-side records (source pms, for every channel and purpose): the consent history
// shows both, and Decide reads only the patient's current flag.
func recordPMS(ctx context.Context, tx *store.Tx, actor clinic.Actor, p clinic.Patient) error {
	_, err := tx.Consent().RecordConsent(ctx, actor.OrgID, store.ConsentRecord{PatientID: p.ID, Channel: PMSAll, Purpose: PMSAll,
		OptIn: !p.PMSOptOut, Source: string(consent.SourcePMS), Actor: actor.Label})
	return err
}

// PMSAll is the channel and purpose of a record of the PMS flag, which covers them all.
const PMSAll = "all"
