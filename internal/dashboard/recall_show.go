package dashboard

import (
	"net/http"
	"strconv"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// recallPage is the data of templates/recall.html: one recall (RES-3..RES-8), its results,
// its template and its steps as planned and sent so far, with the staff actions its state
// allows.
type recallPage struct {
	ID        int64
	PatientID clinic.PatientID
	Patient   string
	Title     string
	Kind      string // label
	Clinic    string
	// Day is the day the results were performed (results, RES-6); Due a recall's due date.
	Day, Due    string
	Doctor      string
	State       string
	StateLabel  string
	Why         string // label; "" when nobody needs to act
	Template    string // the template's name, or its key when it no longer exists
	TemplateKey string
	Purpose     string // label of the template's messages' purpose
	Steps       int    // the template's steps
	// Started, Ends and Closed are when it started, when its last step is due and when it
	// was closed, in the clinic's zone; "" when not.
	Started, Ends, Closed string
	CreatedBy             string
	// AppointmentID is the booking that paused it (RES-4).
	AppointmentID clinic.AppointmentID
	Results       []resultRow
	Sent          []recallStepRow
	Actions       recallActions
}

// resultRow is one result of a recall, as the clinical software sent it.
type resultRow struct {
	Test      string
	Performed string // in the clinic's zone; "" when unknown
	Doctor    string
	Action    string // the doctor's action, in the clinical software's words
	Comments  string
	State     string // label: what the clinical software says the patient was told (RES-5)
	Outcome   string // label: how Tidings read the action (RES-2)
}

// recallStepRow is one step of a recall as a notification: its number, channel, when it is
// due, its state and why.
type recallStepRow struct {
	NotificationID int64
	Step           string
	Channel        string // label
	Due            string
	State          string
	StateLabel     string
	Reason         string // English, translated by the template
}

// recallShow shows one recall (GET /recalls/{id}): its patient, title, state and why, its
// results (test, performed, doctor, action, comments, and what the clinical software says
// the patient was told), its template and its steps (each notification: step, channel,
// due, state, reason), and the buttons its state allows. recall.Get reads it and audits
// the patient ("recall.read"); another organisation's recall is "not found".
func (d *Dashboard) recallShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	actor := web.MustActor(ctx)
	det, err := d.recalls.Get(ctx, actor, id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var f frame
	var name string
	err = d.db.View(ctx, func(tx *store.Tx) error {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		p, err := tx.Patients().Patient(ctx, actor.OrgID, det.Sequence.PatientID)
		name = p.FullName()
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	s := det.Sequence
	loc := f.zoneOf(s.ClinicID)
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return f.Locale.Stamp(t.In(loc))
	}
	page := recallPage{ID: s.ID, PatientID: s.PatientID, Patient: name, Title: s.Title, Kind: recallKindLabel(s.Kind), Clinic: f.clinicName(s.ClinicID),
		Day: s.GroupDay, Due: s.DueDate, Doctor: s.DoctorName, State: s.State, StateLabel: recallStateLabel(s.State), TemplateKey: s.TemplateKey,
		Template: det.Template.Name, Purpose: purposeName(consent.Purpose(det.Template.Purpose)), Steps: len(det.Template.Steps),
		Started: at(s.StartedAt), Ends: at(s.EndsAt), Closed: at(s.ClosedAt), CreatedBy: s.CreatedBy, AppointmentID: s.AppointmentID,
		Actions: recallActionsFor(actor, s.ID, s.State, name+", "+s.Title, "/recalls/"+strconv.FormatInt(s.ID, 10))}
	if page.Template == "" {
		page.Template = s.TemplateKey
	}
	if s.Why != "" && (s.State == store.SeqWaiting || s.State == store.SeqManual || s.State == store.SeqUnreachable) {
		page.Why = recallWhyLabel(s.Why)
	}
	for _, x := range det.Results {
		row := resultRow{Test: x.Test, Doctor: x.DoctorName, Action: x.Action, Comments: x.Comments, State: resultStateLabel(x.State),
			Outcome: resultOutcomeLabel(x.Outcome)}
		if x.PerformedAt != nil {
			row.Performed = at(*x.PerformedAt)
		}
		page.Results = append(page.Results, row)
	}
	for _, n := range det.Steps {
		if n.State == store.NotePlanned || n.State == store.NoteClaimed || n.State == store.NoteSending {
			// Still sending: Start would be refused (recall.Start), so it is not offered.
			page.Actions.Start = false
		}
		page.Sent = append(page.Sent, recallStepRow{NotificationID: n.ID, Step: stepNumber(n.Step), Channel: noteChannel(n.Channel), Due: at(n.Due),
			State: n.State, StateLabel: noteLabel(n), Reason: n.Reason})
	}
	d.send(w, r, reply{Page: "recall", View: view{Title: "Recall", Header: f.header(r, "recalls"), Data: page}})
}
