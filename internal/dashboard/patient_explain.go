package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/decide"
	"github.com/tidings-health/tidings/internal/input"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// explainForm is the "Why would or wouldn't this patient get…?" form (templates/parts.html),
// on the patient file and on the answer's page: a hypothetical message's purpose, channel,
// kind of booking notice, agenda, reason and who booked the appointment.
type explainForm struct {
	PatientID clinic.PatientID
	Purposes  []choice
	Channels  []choice
	Notices   []choice
	BookedBy  []choice
	Statuses  []choice // the appointment's status at decision time (NOT-3)
	Agendas   []option // 0: none
	Reasons   []option // 0: none
}

// explainFormFor fills the form with the agendas and reasons of the clinics of the patient's
// database (clinicChoices), selecting what q asked.
func explainFormFor(id clinic.PatientID, agendas []clinic.Agenda, reasons []clinic.Reason, q url.Values) explainForm {
	sel := func(k, def string) string {
		if v := q.Get(k); v != "" {
			return v
		}
		return def
	}
	form := explainForm{PatientID: id,
		Purposes: choices(consent.Purposes(), purposeName, sel("purpose", string(consent.PurposeReminder))),
		Channels: choices(consent.Channels(), channelName, sel("channel", string(consent.ChannelSMS))),
		Notices:  choices(consent.Notices(), noticeName, sel("notice", string(consent.NoticeConfirmation))),
		BookedBy: choices([]clinic.BookedBy{clinic.BookedByStaff, clinic.BookedByPatient, clinic.BookedBySync}, bookedByLabel, sel("booked_by", string(clinic.BookedByStaff))),
		Statuses: choices(clinic.Statuses(), statusLabel, sel("status", string(clinic.StatusBooked))),
		Agendas:  []option{{Value: 0, Label: "None"}},
		Reasons:  []option{{Value: 0, Label: "None"}},
	}
	for _, a := range agendas {
		form.Agendas = append(form.Agendas, option{Value: int64(a.ID), Label: a.Name, Selected: q.Get("agenda_id") == strconv.FormatInt(int64(a.ID), 10)})
	}
	for _, x := range reasons {
		form.Reasons = append(form.Reasons, option{Value: int64(x.ID), Label: x.Name, Selected: q.Get("reason_id") == strconv.FormatInt(int64(x.ID), 10)})
	}
	return form
}

// explainPage is the data of templates/explain.html.
type explainPage struct {
	ID     clinic.PatientID
	Name   string
	Form   explainForm
	Asked  bool
	Answer *decisionView
	Fields []clinic.FieldError
}

// decisionView is a consent decision in words (CON-9): the English sentence, translated by
// the catalog's patterns with its arguments, and the trace, each rule with its result and
// the inputs it read.
type decisionView struct {
	Allowed bool
	Text    string
	Trace   []traceRow
}

type traceRow struct {
	Rule, Check string
	Result      string // label
	Blocks      bool
	Inputs      []string // key=value, as stored with notifications
}

func decisionOf(x decide.Explanation) *decisionView {
	v := &decisionView{Allowed: x.Decision.Allowed, Text: x.Decision.Text(x.At)}
	for _, s := range x.Decision.Steps() {
		row := traceRow{Rule: s.Rule, Check: s.Check, Result: resultName(s.Result), Blocks: s.Result == consent.Block}
		for _, in := range s.Inputs() {
			row.Inputs = append(row.Inputs, in.String())
		}
		v.Trace = append(v.Trace, row)
	}
	return v
}

// patientExplain answers "why would or wouldn't this patient get this message?"
// (GET /patients/{id}/explain?purpose=&channel=&notice=&agenda_id=&reason_id=&booked_by=,
// CON-9) with decide.Explain's decision, made as the dispatcher would make it now, in words
// and with its trace. Without purpose and channel it shows the form. The explanation is
// audited by the use case; the form alone by the page (the patient's name is shown).
func (d *Dashboard) patientExplain(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	var f frame
	var page explainPage
	err = d.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		p, err := tx.Patients().Patient(ctx, f.Org.ID, clinic.PatientID(id))
		if err != nil {
			return err
		}
		page.ID, page.Name = p.ID, p.FullName()
		agendas, reasons, err := clinicChoices(ctx, tx, f, p)
		page.Form = explainFormFor(p.ID, agendas, reasons, q)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	rp := reply{Page: "explain", View: view{Title: "Why would or wouldn't this patient get a message?", Header: f.header(r, "patients"), Data: &page}}
	page.Asked = q.Has("purpose") || q.Has("channel")
	if !page.Asked {
		rp.Audit = []audit{{"patient.read", []clinic.PatientID{page.ID}}}
		d.send(w, r, rp)
		return
	}
	m := decide.Message{PatientID: page.ID, Purpose: consent.Purpose(q.Get("purpose")), Channel: consent.Channel(q.Get("channel")),
		BookedBy: clinic.BookedBy(q.Get("booked_by")), Status: clinic.Status(q.Get("status"))}
	if m.Purpose == consent.PurposeBookingNotice {
		m.Notice = consent.Notice(q.Get("notice"))
	}
	agenda, aerr := queryID(r, "agenda_id")
	reason, rerr := queryID(r, "reason_id")
	m.AgendaID, m.ReasonID = clinic.AgendaID(agenda), clinic.ReasonID(reason)
	x, err := decide.Explain(ctx, d.db, web.MustActor(ctx), m)
	if err == nil || web.Status(err) == http.StatusUnprocessableEntity {
		// The ids' own problems are reported with the use case's, in one answer.
		err = input.Merge(append(clinic.FieldsOf(aerr), clinic.FieldsOf(rerr)...), err)
	}
	switch {
	case err == nil:
		page.Answer = decisionOf(x)
	case web.Status(err) == http.StatusUnprocessableEntity:
		page.Fields = clinic.FieldsOf(err)
		rp.Status = http.StatusUnprocessableEntity
		rp.Audit = []audit{{"patient.read", []clinic.PatientID{page.ID}}}
	default:
		d.fail(w, r, err)
		return
	}
	d.send(w, r, rp)
}

// clinicChoices are the agendas and reasons of every clinic that uses the patient's clinical
// database, for the explain form: an appointment of theirs may be in any of them. With
// several such clinics an agenda or reason is named "clinic — name".
func clinicChoices(ctx context.Context, tx *store.Tx, f frame, p clinic.Patient) ([]clinic.Agenda, []clinic.Reason, error) {
	var agendas []clinic.Agenda
	var reasons []clinic.Reason
	var theirs []clinic.Clinic
	for _, c := range f.Clinics {
		if c.DatabaseID == p.DatabaseID {
			theirs = append(theirs, c)
		}
	}
	for _, c := range theirs {
		as, err := clinicAgendas(ctx, tx, f.Org.ID, c.ID)
		if err != nil {
			return nil, nil, err
		}
		rs, err := clinicReasons(ctx, tx, f.Org.ID, c.ID)
		if err != nil {
			return nil, nil, err
		}
		if len(theirs) > 1 {
			for i := range as {
				as[i].Name = c.Name + " — " + as[i].Name
			}
			for i := range rs {
				rs[i].Name = c.Name + " — " + rs[i].Name
			}
		}
		agendas, reasons = append(agendas, as...), append(reasons, rs...)
	}
	return agendas, reasons, nil
}
