package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/fhir"
	"github.com/tidings-health/tidings/internal/hl7"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/store"
)

// fhirTypes are the resource types a FHIR sync reads, in the order it reads them: patients
// first, so that what refers to them finds them; a result's Task before its report, so
// that a report read in the same run is joined to the action read just before.
var fhirTypes = []string{fhir.TypePatient, fhir.TypeConsent, fhir.TypeAppointment, fhir.TypeCommunicationRequest, fhir.TypeTask, fhir.TypeDiagnosticReport}

// fhirBatch is how many resources one transaction of a sync applies.
const fhirBatch = 200

// FHIRReport is what one sync run of a database did, by outcome (created, updated,
// unchanged, ignored, refused, repeated).
type FHIRReport struct {
	Read   int
	Counts map[string]int
}

// fhirItem is one resource (or a report joined with its Task) to apply, with its raw JSON
// for the quarantine.
type fhirItem struct {
	m   FHIRMapped
	raw []byte
	// refused is why the mapping refused it: kept and recorded like any other refusal.
	refused error
}

// SyncFHIR reads database id's FHIR server incrementally (SYN-1, SYN-4): for each resource
// type, what changed since the last run (by _lastUpdated, following the server's paging),
// and applies it through the same use cases as HL7 messages: patients (with the opt-out of
// a Consent, CON-1), appointments, actioned results with the Task that actions them (RES-1),
// and recalls (RES-8). Each resource version is applied once (a re-read one is
// "repeated"); one the rules refuse is kept in quarantine with its reason, for
// re-processing. The cursor of a type moves only over what was applied, in the
// transaction that applied it, so a run that fails part-way loses nothing: the next one
// starts where it stopped. The first run of a database imports what is there: its
// appointments get reminders but no booking confirmation. The run's time and outcome are
// recorded for the database's page.
func (s *Service) SyncFHIR(ctx context.Context, org clinic.OrgID, id clinic.DatabaseID, hc *http.Client) (FHIRReport, error) {
	rep := FHIRReport{Counts: map[string]int{}}
	var d clinic.Database
	var settings store.FHIRSettings
	var loc *time.Location
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if d, err = tx.Directory().Database(ctx, org, id); err != nil {
			return err
		}
		var ok bool
		if settings, ok, err = tx.Sync().FHIRSettingsOf(ctx, org, id); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("FHIR settings of database %d: %w", id, clinic.ErrNotFound)
		}
		loc, err = databaseZone(ctx, tx, d)
		return err
	}); err != nil {
		return rep, err
	}
	client, err := FHIRClient(settings, hc)
	if err == nil {
		err = s.syncFHIR(ctx, client, d, loc, &rep)
	}
	why := ""
	if err != nil {
		why = truncateReason(err.Error())
	}
	if rerr := s.db.Update(context.WithoutCancel(ctx), func(tx *store.Tx) error { return tx.Sync().RecordFHIRRun(ctx, id, why) }); rerr != nil && err == nil {
		err = rerr
	}
	return rep, err
}

func (s *Service) syncFHIR(ctx context.Context, c *fhir.Client, d clinic.Database, loc *time.Location, rep *FHIRReport) error {
	var prof Profile
	if err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		prof, err = ProfileOf(ctx, tx, d)
		return err
	}); err != nil {
		return err
	}
	// The reports joined from their Task in this run (read then, at their latest): the
	// report's own turn need not search its Task again.
	joined := map[string]bool{}
	for _, typ := range fhirTypes {
		var since time.Time
		if err := s.db.View(ctx, func(tx *store.Tx) (err error) {
			since, err = tx.Sync().FHIRCursor(ctx, d.ID, typ)
			return err
		}); err != nil {
			return err
		}
		bulk := since.IsZero()
		var batch []fhirItem
		flush := func(cursor time.Time) error {
			if len(batch) == 0 && cursor.IsZero() {
				return nil
			}
			err := s.db.Update(ctx, func(tx *store.Tx) error {
				for _, it := range batch {
					outcome, _, err := s.applyFHIR(ctx, tx, d, it, 0)
					if err != nil {
						return err
					}
					rep.Counts[outcome]++
				}
				if !cursor.IsZero() {
					return tx.Sync().SetFHIRCursor(ctx, d.ID, typ, cursor)
				}
				return nil
			})
			batch = batch[:0]
			return err
		}
		next, err := c.Since(ctx, typ, since, nil, func(raw json.RawMessage, rt string) error {
			if rt != typ {
				return nil // an included resource: read in its own type's turn
			}
			rep.Read++
			it, err := s.fhirItem(ctx, c, raw, typ, prof, loc, joined)
			if err != nil {
				return err
			}
			it.m.Bulk = bulk
			batch = append(batch, it)
			if len(batch) >= fhirBatch {
				return flush(time.Time{})
			}
			return nil
		})
		// What fn passed on is applied with the cursor up to which everything was.
		if ferr := flush(next); ferr != nil {
			return ferr
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", typ, err)
		}
	}
	return nil
}

// fhirItem maps one resource; a result's report and Task are joined here (each read from
// the server when the other changed), so that what is applied is the result as a whole.
// A resource the mapping refuses is an item too, to be quarantined; only the server's
// failures are errors.
func (s *Service) fhirItem(ctx context.Context, c *fhir.Client, raw json.RawMessage, typ string, prof Profile, loc *time.Location, joinedReports map[string]bool) (fhirItem, error) {
	m, merr := MapFHIR(raw, typ, prof, loc)
	it := fhirItem{m: m, raw: raw}
	if merr != nil {
		it.m.ResourceType = typ
		return fhirItemRefused(it, merr), nil
	}
	var report *fhir.DiagnosticReport
	var task *fhir.Task
	switch {
	case m.ActionFor != "":
		task = m.Task
		var r fhir.DiagnosticReport
		if err := c.Read(ctx, fhir.TypeDiagnosticReport, m.ActionFor, &r); err != nil {
			if fhir.IsNotFound(err) {
				it.m = FHIRMapped{ResourceType: typ, Skip: "the Task's report is not on the server"}
				return it, nil
			}
			return it, err
		}
		report = &r
		joinedReports[r.ID] = true
	case m.Report != nil && joinedReports[m.Report.ID]:
		it.m = FHIRMapped{ResourceType: typ, Skip: "applied with its Task earlier in this run"}
		return it, nil
	case m.Report != nil:
		report = m.Report
		err := c.Search(ctx, fhir.TypeTask, url.Values{"focus": {fhir.TypeDiagnosticReport + "/" + m.Report.ID}}, func(raw json.RawMessage, rt string) error {
			if rt != fhir.TypeTask {
				return nil
			}
			var t fhir.Task
			if err := fhir.Decode(raw, &t); err != nil {
				return nil // not a usable Task: the report stays not actioned
			}
			if task == nil || t.Meta.LastUpdated.After(task.Meta.LastUpdated) {
				task = &t
			}
			return nil
		})
		if err != nil {
			return it, err
		}
	default:
		return it, nil
	}
	joined, jerr := MapFHIRResult(*report, task, prof, loc)
	entries := []map[string]any{{"resource": report}}
	if task != nil {
		entries = append(entries, map[string]any{"resource": task})
	}
	it.raw, _ = json.Marshal(map[string]any{"resourceType": fhir.TypeBundle, "type": "collection", "entry": entries})
	it.m = joined
	if jerr != nil {
		return fhirItemRefused(it, jerr), nil
	}
	return it, nil
}

// fhirItemRefused is it refused by the mapping for err.
func fhirItemRefused(it fhirItem, err error) fhirItem {
	it.m = FHIRMapped{ResourceType: it.m.ResourceType, Mapped: Mapped{ControlID: it.m.ControlID}}
	it.refused = err
	return it
}

// applyFHIR applies one item in tx (under a savepoint), or quarantines it, and records its
// version so that it is applied once; quarantined is the quarantine item being
// re-processed (0 for a resource just read). It returns the outcome and, when refused, the
// reason.
func (s *Service) applyFHIR(ctx context.Context, tx *store.Tx, d clinic.Database, it fhirItem, quarantined int64) (string, string, error) {
	key := "fhir|" + it.m.ControlID
	if it.m.ControlID != "" && quarantined == 0 {
		if _, ok, err := tx.Sync().AcceptedMessage(ctx, d.ID, key); err != nil {
			return "", "", err
		} else if ok {
			return "repeated", "", nil
		}
	}
	why := error(nil)
	outcome := Ignored
	if it.refused != nil {
		why = it.refused
	} else if it.m.Skip == "" {
		err := tx.Savepoint(ctx, func() error {
			var err error
			outcome, err = s.applyFHIRMapped(ctx, tx, d, it.m)
			return err
		})
		if err != nil && !refusable(err) {
			return "", "", err
		}
		why = err
	}
	rec := store.SyncMessage{OrgID: d.OrgID, DatabaseID: d.ID, ControlKey: key, MessageType: it.m.ResourceType, Outcome: recorded(outcome)}
	if why != nil {
		rec.Outcome, outcome = store.SyncRefused, store.SyncRefused
		q := store.QuarantineItem{OrgID: d.OrgID, DatabaseID: d.ID, Source: "fhir", MessageType: it.m.ResourceType, ControlID: it.m.ControlID,
			Code: int(hl7.CodeApplicationError), Reason: why.Error(), Raw: it.raw}
		var dt hl7.Detailer
		if errors.As(why, &dt) {
			q.Code = int(dt.ErrDetail().Code)
		}
		if quarantined != 0 {
			if err := tx.Sync().RequarantineReason(ctx, d.OrgID, quarantined, q.Code, q.Reason); err != nil {
				return "", "", err
			}
		} else if _, err := tx.Sync().Quarantine(ctx, q); err != nil {
			return "", "", err
		}
	}
	if it.m.ControlID != "" {
		var err error
		if quarantined != 0 {
			err = tx.Sync().ReplaceMessage(ctx, rec)
		} else {
			err = tx.Sync().RecordMessage(ctx, rec)
		}
		if err != nil {
			return "", "", err
		}
	}
	if why != nil {
		return outcome, why.Error(), nil
	}
	return outcome, "", nil
}

// applyFHIRMapped writes one FHIR resource's meaning: what an HL7 message would say, or a
// Consent's opt-out.
func (s *Service) applyFHIRMapped(ctx context.Context, tx *store.Tx, d clinic.Database, m FHIRMapped) (string, error) {
	actor := clinic.SystemActor(d.OrgID, "sync")
	if c := m.Consent; c != nil {
		if !d.Profile.CanReadOptOut() {
			return Ignored, nil
		}
		if _, err := tx.Patients().PatientByExternalID(ctx, d.OrgID, d.ID, c.PatientExternalID); errors.Is(err, clinic.ErrNotFound) {
			return "", &refusal{code: hl7.CodeUnknownKeyIdentifier, reason: "Consent.patient: the patient has not been synced yet; kept for re-processing"}
		} else if err != nil {
			return "", err
		}
		newer, err := tx.Sync().Advance(ctx, d.ID, "patient-consent", c.PatientExternalID, m.At)
		if err != nil || !newer {
			return Ignored, err
		}
		out := c.OptOut
		_, outcome, err := patient.SyncTx(ctx, tx, actor, d.ID, c.PatientExternalID, patient.Input{PMSOptOut: &out})
		return outcome, err
	}
	return s.applyMapped(ctx, tx, d, m.Mapped, actor)
}

// reprocessFHIR re-maps a quarantined FHIR resource (or a report joined with its Task,
// kept as a collection Bundle) and applies it.
func (s *Service) reprocessFHIR(ctx context.Context, tx *store.Tx, d clinic.Database, item store.QuarantineItem) (string, string, error) {
	loc, err := databaseZone(ctx, tx, d)
	if err != nil {
		return "", "", err
	}
	prof, err := ProfileOf(ctx, tx, d)
	if err != nil {
		return "", "", err
	}
	it := fhirItem{raw: item.Raw}
	var b struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	_ = json.Unmarshal(item.Raw, &b)
	var merr error
	if b.ResourceType == fhir.TypeBundle && len(b.Entry) > 0 {
		var report fhir.DiagnosticReport
		var task *fhir.Task
		if err := fhir.Decode(b.Entry[0].Resource, &report); err != nil {
			return "", "", clinic.Invalid("id", "the kept result cannot be read again")
		}
		if len(b.Entry) > 1 {
			task = &fhir.Task{}
			if err := fhir.Decode(b.Entry[1].Resource, task); err != nil {
				return "", "", clinic.Invalid("id", "the kept result cannot be read again")
			}
		}
		it.m, merr = MapFHIRResult(report, task, prof, loc)
	} else {
		it.m, merr = MapFHIR(item.Raw, item.MessageType, prof, loc)
	}
	if merr != nil {
		it.m.ResourceType, it.m.ControlID = item.MessageType, item.ControlID
		it = fhirItemRefused(it, merr)
	}
	return s.applyFHIR(ctx, tx, d, it, item.ID)
}
