package api

import (
	"context"
	"net/http"
	"time"

	"fmt"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/decide"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
	"strings"
)

// AgendaChannelsTable is a clinic's agenda × channel table (CON-5): per agenda, the channels
// switched off.
type AgendaChannelsTable struct {
	Rows []directory.AgendaChannels `json:"rows"`
}

// AgendaChannelsInput saves rows of the table: each row replaces its agenda's switches, so
// both of its fields are required (an absent "off" would switch every channel back on).
type AgendaChannelsInput struct {
	Rows []AgendaChannelsRow `json:"rows"`
}

// AgendaChannelsRow is one agenda's row: the channels to switch off ([] for none).
type AgendaChannelsRow struct {
	AgendaID *int64    `json:"agenda_id"`
	Off      *[]string `json:"off"`
}

// NotificationsInput turns a patient's notifications on or off (CON-7).
type NotificationsInput struct {
	On *bool `json:"on"`
}

// ConsentInput records a patient's consent for a channel and purpose (CON-3).
type ConsentInput patient.ConsentInput

// ConsentRecord is one consent change, from the patient's history.
type ConsentRecord struct {
	ID      int64     `json:"id"`
	Channel string    `json:"channel"`
	Purpose string    `json:"purpose"`
	OptIn   bool      `json:"opt_in"`
	Source  string    `json:"source"`
	Actor   string    `json:"actor"`
	At      time.Time `json:"at"`
}

// ConsentHistory is a patient's consent: the switch, the value read from the clinical
// software and when, and every change made in Tidings or read from the PMS, oldest first.
type ConsentHistory struct {
	Notifications   bool            `json:"notifications"`
	PMSOptOut       bool            `json:"pms_opt_out"`
	PMSOptOutReadAt *time.Time      `json:"pms_opt_out_read_at"`
	Records         []ConsentRecord `json:"records"`
}

// ExplainInput describes a hypothetical message to decide: purpose and channel, and for an
// appointment its agenda, reason, who booked it and its status (default booked, by staff).
type ExplainInput struct {
	Purpose  *string `json:"purpose"`
	Channel  *string `json:"channel"`
	Notice   *string `json:"notice"`
	AgendaID *int64  `json:"agenda_id"`
	ReasonID *int64  `json:"reason_id"`
	BookedBy *string `json:"booked_by"`
	Status   *string `json:"status"`
}

// TraceStep is one rule checked: its SPEC id, the check, what it read and its result (pass,
// block or skip).
type TraceStep struct {
	Rule   string   `json:"rule"`
	Check  string   `json:"check"`
	Result string   `json:"result"`
	Inputs []string `json:"inputs"`
}

// Decision is the consent engine's answer (CON-9): allowed or not, why in one sentence, and
// every rule checked in order.
type Decision struct {
	Allowed bool        `json:"allowed"`
	Outcome string      `json:"outcome"`
	Rule    string      `json:"rule,omitempty"`
	Text    string      `json:"text"`
	Trace   []TraceStep `json:"trace"`
}

// DryRunInput is the value of respect_opt_out a dry run previews.
type DryRunInput struct {
	RespectOptOut *bool `json:"respect_opt_out"`
}

// PatientRef names a patient.
type PatientRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// ClinicImpact is one clinic's share of a dry run.
type ClinicImpact struct {
	ClinicID int64        `json:"clinic_id"`
	Name     string       `json:"name"`
	Start    int          `json:"start"`
	Stop     int          `json:"stop"`
	Sample   []PatientRef `json:"sample"`
}

// DryRun previews saving a database's respect_opt_out (CON-1, CON-2): how many patients would
// start or stop getting reminders, per clinic. unavailable: the profile cannot read the
// clinical software's flag, so consent is managed in Tidings only (CON-4).
type DryRun struct {
	DatabaseID         int64          `json:"database_id"`
	RespectOptOut      bool           `json:"respect_opt_out"`
	Unavailable        bool           `json:"unavailable"`
	Start              int            `json:"start"`
	Stop               int            `json:"stop"`
	WithoutAppointment int            `json:"without_appointment"`
	Clinics            []ClinicImpact `json:"clinics"`
}

// Conflict is a patient whose clinical-software opt-out and Tidings choice disagree; the
// Tidings choice counts (CON-3).
type Conflict struct {
	Patient         PatientRef    `json:"patient"`
	PMSOptOut       bool          `json:"pms_opt_out"`
	PMSOptOutReadAt *time.Time    `json:"pms_opt_out_read_at"`
	Choice          ConsentRecord `json:"choice"`
}

func (a *API) consentRoutes() []web.Route {
	return []web.Route{
		{Method: http.MethodGet, Pattern: Prefix + "/clinics/{id}/agenda-channels", Perm: clinic.PermReadDirectory, Handler: a.handler(a.getAgendaChannels),
			Doc: &web.Doc{Summary: "The agenda × channel notification switches of a clinic (CON-5)", Tag: "Consent", Response: AgendaChannelsTable{}}},
		{Method: http.MethodPut, Pattern: Prefix + "/clinics/{id}/agenda-channels", Perm: clinic.PermManageDirectory, Handler: a.handler(a.putAgendaChannels),
			Doc: &web.Doc{Summary: "Save the agenda × channel switches of a clinic", Tag: "Consent", Request: AgendaChannelsInput{}, Response: AgendaChannelsTable{}}},
		{Method: http.MethodPut, Pattern: Prefix + "/patients/{id}/notifications", Perm: clinic.PermPatientConsent, Handler: a.handler(a.putNotifications),
			Doc: &web.Doc{Summary: "Turn a patient's appointment notifications on or off (CON-7)", Tag: "Consent", Request: NotificationsInput{}, Response: Patient{}}},
		{Method: http.MethodGet, Pattern: Prefix + "/patients/{id}/consents", Perm: clinic.PermReadPatients, Handler: a.handler(a.getConsents),
			Doc: &web.Doc{Summary: "A patient's consent history (CON-3)", Tag: "Consent", Response: ConsentHistory{}}},
		{Method: http.MethodPost, Pattern: Prefix + "/patients/{id}/consents", Perm: clinic.PermPatientConsent, Handler: a.handler(a.postConsent),
			Doc: &web.Doc{Summary: "Record a patient's opt-in or opt-out of a channel for a purpose (CON-3)", Tag: "Consent", Request: ConsentInput{}, Response: ConsentRecord{}, Status: http.StatusCreated}},
		{Method: http.MethodPost, Pattern: Prefix + "/patients/{id}/consent/explain", Perm: clinic.PermReadPatients, Handler: a.handler(a.explain),
			Doc: &web.Doc{Summary: "Would this patient get this message, and why (CON-9)", Tag: "Consent", Request: ExplainInput{}, Response: Decision{}}},
		{Method: http.MethodPost, Pattern: Prefix + "/databases/{id}/opt-out-dry-run", Perm: clinic.PermManageDirectory, Handler: a.handler(a.dryRun),
			Doc: &web.Doc{Summary: "Preview changing respect_opt_out: who would start or stop getting reminders (CON-1, CON-2)", Tag: "Consent", Request: DryRunInput{}, Response: DryRun{}}},
		{Method: http.MethodGet, Pattern: Prefix + "/patients/{id}/decisions", Perm: clinic.PermReadPatients, Handler: a.handler(a.decisions),
			Doc: &web.Doc{Summary: "A patient's decision log: every decision to send or not send a message, newest first (CON-9)", Tag: "Consent",
				Response: StoredDecision{}, List: true, Query: pageParams}},
		{Method: http.MethodGet, Pattern: Prefix + "/consent-conflicts", Perm: clinic.PermPatientConsent, Handler: a.handler(a.conflicts),
			Doc: &web.Doc{Summary: "Patients whose clinical-software opt-out and Tidings choice disagree", Tag: "Consent", Response: Conflict{}, List: true,
				Query: []web.Param{{Name: "clinic_id", Type: "integer", Description: "only the patients of this clinic's database"}}}},
	}
}

func (a *API) getAgendaChannels(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	rows, err := a.directory.ClinicChannels(ctx, web.MustActor(ctx), clinic.ClinicID(id))
	return http.StatusOK, AgendaChannelsTable{Rows: rows}, err
}

func (a *API) putAgendaChannels(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in AgendaChannelsInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	var c checker
	if in.Rows == nil {
		c.Add("rows", "is required: one row per agenda to save")
	}
	rows := make([]directory.AgendaChannels, 0, len(in.Rows))
	for i, row := range in.Rows {
		var out directory.AgendaChannels
		if c.Required(fmt.Sprintf("rows[%d].agenda_id", i), row.AgendaID != nil, true) {
			out.AgendaID = clinic.AgendaID(*row.AgendaID)
		}
		if c.Required(fmt.Sprintf("rows[%d].off", i), row.Off != nil, true) {
			for _, ch := range *row.Off {
				out.Off = append(out.Off, consent.Channel(ch))
			}
		}
		rows = append(rows, out)
	}
	if err := c.Err(); err != nil {
		// The clinic is looked up first: another organisation's is "not found".
		if _, gerr := a.directory.ClinicChannels(ctx, web.MustActor(ctx), clinic.ClinicID(id)); gerr != nil {
			return 0, nil, gerr
		}
		return 0, nil, err
	}
	rows, err = a.directory.SetClinicChannels(ctx, web.MustActor(ctx), clinic.ClinicID(id), rows)
	return http.StatusOK, AgendaChannelsTable{Rows: rows}, err
}

func (a *API) putNotifications(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in NotificationsInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	p, err := a.patients.SetNotifications(ctx, web.MustActor(ctx), clinic.PatientID(id), in.On)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, patientOut(p), nil
}

func recordOut(r store.ConsentRecord) ConsentRecord {
	return ConsentRecord{ID: r.ID, Channel: r.Channel, Purpose: r.Purpose, OptIn: r.OptIn, Source: r.Source, Actor: r.Actor, At: r.At}
}

func (a *API) getConsents(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	h, err := a.patients.ConsentHistory(ctx, web.MustActor(ctx), clinic.PatientID(id))
	if err != nil {
		return 0, nil, err
	}
	out := ConsentHistory{Notifications: !h.Patient.NotificationsOff, PMSOptOut: h.Patient.PMSOptOut, PMSOptOutReadAt: h.Patient.PMSOptOutReadAt,
		Records: []ConsentRecord{}}
	for _, rec := range h.Records {
		out.Records = append(out.Records, recordOut(rec))
	}
	return http.StatusOK, out, nil
}

func (a *API) postConsent(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in ConsentInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	rec, err := a.patients.RecordConsent(ctx, web.MustActor(ctx), clinic.PatientID(id), patient.ConsentInput(in))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, recordOut(rec), nil
}

// DecisionOut is the wire form of a decision made at now.
func DecisionOut(d consent.Decision, now time.Time) Decision {
	out := Decision{Allowed: d.Allowed, Outcome: string(d.Outcome), Rule: d.Rule, Text: d.Text(now), Trace: []TraceStep{}}
	for _, s := range d.Steps() {
		st := TraceStep{Rule: s.Rule, Check: s.Check, Result: s.Result.String(), Inputs: []string{}}
		for _, in := range s.Inputs() {
			st.Inputs = append(st.Inputs, in.String())
		}
		out.Trace = append(out.Trace, st)
	}
	return out
}

func (a *API) explain(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in ExplainInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	// decide.Explain judges every field, after the patient is found.
	m := decide.Message{PatientID: clinic.PatientID(id)}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	m.Purpose, m.Channel = consent.Purpose(str(in.Purpose)), consent.Channel(str(in.Channel))
	m.Notice, m.BookedBy, m.Status = consent.Notice(str(in.Notice)), clinic.BookedBy(str(in.BookedBy)), clinic.Status(str(in.Status))
	if in.AgendaID != nil {
		m.AgendaID = clinic.AgendaID(*in.AgendaID)
	}
	if in.ReasonID != nil {
		m.ReasonID = clinic.ReasonID(*in.ReasonID)
	}
	ex, err := decide.Explain(ctx, a.db, web.MustActor(ctx), m)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, DecisionOut(ex.Decision, ex.At), nil
}

func (a *API) dryRun(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in DryRunInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return 0, nil, err
	}
	d, err := decide.OptOutDryRun(ctx, a.db, web.MustActor(ctx), clinic.DatabaseID(id), in.RespectOptOut)
	if err != nil {
		return 0, nil, err
	}
	out := DryRun{DatabaseID: int64(d.Database.ID), RespectOptOut: d.Respect, Unavailable: d.Unavailable, Start: d.Start, Stop: d.Stop,
		WithoutAppointment: d.WithoutAppointment, Clinics: []ClinicImpact{}}
	for _, im := range d.Clinics {
		ci := ClinicImpact{ClinicID: int64(im.Clinic.ID), Name: im.Clinic.Name, Start: im.Start, Stop: im.Stop, Sample: []PatientRef{}}
		for _, p := range im.Sample {
			ci.Sample = append(ci.Sample, PatientRef{ID: int64(p.ID), Name: p.Name})
		}
		out.Clinics = append(out.Clinics, ci)
	}
	return http.StatusOK, out, nil
}

func (a *API) conflicts(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	q := &query{r: r}
	clinicID := q.id("clinic_id")
	if err := q.v.Err(); err != nil {
		return 0, nil, err
	}
	cs, err := decide.Conflicts(ctx, a.db, web.MustActor(ctx), clinic.ClinicID(clinicID))
	if err != nil {
		return 0, nil, err
	}
	out := ListOf[Conflict]{Items: []Conflict{}}
	for _, c := range cs {
		out.Items = append(out.Items, Conflict{Patient: PatientRef{ID: int64(c.Patient.ID), Name: c.Patient.Name}, PMSOptOut: c.PMSOptOut,
			PMSOptOutReadAt: c.PMSReadAt, Choice: recordOut(c.Choice)})
	}
	return http.StatusOK, out, nil
}

// StoredDecision is one decision of a patient's decision log (CON-9).
type StoredDecision struct {
	ID             int64     `json:"id"`
	NotificationID *int64    `json:"notification_id"`
	Purpose        string    `json:"purpose"`
	Channel        string    `json:"channel"`
	Allowed        bool      `json:"allowed"`
	Outcome        string    `json:"outcome"`
	Rule           string    `json:"rule,omitempty"`
	Text           string    `json:"text"`
	Trace          []string  `json:"trace"`
	At             time.Time `json:"at"`
}

func (a *API) decisions(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	q := &query{r: r}
	page := q.page()
	if err := q.v.Err(); err != nil {
		return 0, nil, err
	}
	ds, err := decide.Log(ctx, a.db, web.MustActor(ctx), clinic.PatientID(id), page)
	if err != nil {
		return 0, nil, err
	}
	out := ListOf[StoredDecision]{Items: []StoredDecision{}}
	for _, d := range ds {
		sd := StoredDecision{ID: d.ID, Purpose: d.Purpose, Channel: d.Channel, Allowed: d.Allowed, Outcome: d.Outcome, Rule: d.Rule,
			Text: d.Text, Trace: strings.Split(d.Trace, "\n"), At: d.At}
		if d.NotificationID != 0 {
			n := d.NotificationID
			sd.NotificationID = &n
		}
		out.Items = append(out.Items, sd)
	}
	if len(ds) == page.Size() {
		out.NextCursor = encodeCursor(ds[len(ds)-1].ID)
	}
	return http.StatusOK, out, nil
}
