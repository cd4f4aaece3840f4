package portal

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/page"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/web"
)

// prefPurposes are the purposes a patient chooses in the portal (the account e-mails and
// the answers to their own SMS are not a choice; invitations are past once signed in).
func prefPurposes() []consent.Purpose {
	return []consent.Purpose{consent.PurposeReminder, consent.PurposeBookingNotice, consent.PurposeRecall, consent.PurposeResult,
		consent.PurposeMessageAlert, consent.PurposeWaitlistOffer}
}

// prefCell is one channel × purpose choice.
type prefCell struct {
	Name    string // the form field: channel.purpose
	Channel consent.Channel
	On      bool
}

// prefRow is one purpose's choices across channels.
type prefRow struct {
	Purpose consent.Purpose
	Cells   []prefCell
}

// prefPage is the communication preferences page of one person.
type prefPage struct {
	Patients  []choice
	For       string
	Rows      []prefRow
	Channels  []consent.Channel
	PMSOptOut bool // the clinic's software says the patient opted out (CON-1)
	Push      bool // push can be offered (the server has VAPID keys)
	VAPID     string
}

// preferences shows the patient's choice per channel and purpose (GET
// /p/{slug}/preferences?for=), for themselves or a relative they manage.
func (p *Portal) preferences(w http.ResponseWriter, r *http.Request, v *visit) {
	data, err := p.prefData(r, v, r.URL.Query().Get("for"))
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.render(w, r, v, http.StatusOK, "preferences", "How we contact you", data)
}

// person reads the "for" value: the holder by default, a relative they manage, else not
// found.
func person(v *visit, s string) (clinic.PatientID, error) {
	if s == "" {
		if v.SelfID() == 0 {
			return 0, fmt.Errorf("no record at this clinic: %w", clinic.ErrNotFound)
		}
		return v.SelfID(), nil
	}
	id, _ := strconv.ParseInt(s, 10, 64)
	if id == 0 || !v.Session.Actor.Reaches(clinic.PatientID(id)) {
		return 0, fmt.Errorf("patient %s: %w", s, clinic.ErrNotFound)
	}
	return clinic.PatientID(id), nil
}

func (p *Portal) prefData(r *http.Request, v *visit, forS string) (prefPage, error) {
	who, err := person(v, forS)
	if err != nil {
		return prefPage{}, err
	}
	h, err := p.d.Patients.ConsentHistory(r.Context(), ctxActor(r.Context()), who)
	if err != nil {
		return prefPage{}, err
	}
	recs := make([]consent.Record, len(h.Records))
	for i, x := range h.Records {
		recs[i] = consent.Record{Channel: consent.Channel(x.Channel), Purpose: consent.Purpose(x.Purpose), OptIn: x.OptIn, Source: consent.Source(x.Source), At: x.At}
	}
	data := prefPage{For: strconv.FormatInt(int64(who), 10), Channels: consent.Channels(), PMSOptOut: h.Patient.PMSOptOut,
		Push: p.d.VAPIDPublic != "", VAPID: p.d.VAPIDPublic}
	if pts := v.Session.Patients(); len(pts) > 1 {
		for _, pt := range pts {
			data.Patients = append(data.Patients, choice{Value: strconv.FormatInt(int64(pt.ID), 10), Label: pt.GivenName + " " + pt.FamilyName, Selected: pt.ID == who})
		}
	}
	for _, pu := range prefPurposes() {
		row := prefRow{Purpose: pu}
		for _, ch := range consent.Channels() {
			on, ok := consent.Current(recs, ch, pu)
			row.Cells = append(row.Cells, prefCell{Name: string(ch) + "." + string(pu), Channel: ch, On: on || !ok})
		}
		data.Rows = append(data.Rows, row)
	}
	return data, nil
}

// savePreferences records each choice the patient changed as a consent record with source
// "portal" (CON-3), through the patient use case (POST /p/{slug}/preferences: for, and one
// checkbox channel.purpose per choice that is on).
func (p *Portal) savePreferences(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, v, err)
		return
	}
	data, err := p.prefData(r, v, r.PostFormValue("for"))
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	who, _ := person(v, r.PostFormValue("for"))
	var changes []patient.ConsentInput
	for _, row := range data.Rows {
		for _, c := range row.Cells {
			on := r.PostFormValue(c.Name) != ""
			if on == c.On {
				continue
			}
			ch, pu := string(c.Channel), string(row.Purpose)
			changes = append(changes, patient.ConsentInput{Channel: &ch, Purpose: &pu, OptIn: &on})
		}
	}
	// One transaction for the page's choices: all saved, or none.
	if _, err := p.d.Patients.RecordConsents(r.Context(), ctxActor(r.Context()), who, changes); err != nil {
		p.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, page.WithDone(v.base()+"/preferences?for="+data.For, "preferences"), http.StatusSeeOther)
}

// subscribe stores this browser's Web Push subscription for the signed-in patient (POST
// /p/{slug}/push, the JSON of PushSubscription.toJSON()), answered 204.
func (p *Portal) subscribe(w http.ResponseWriter, r *http.Request, v *visit) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 8<<10))
	if err == nil {
		err = p.d.Notify.Subscribe(r.Context(), ctxActor(r.Context()), body)
	}
	var mb *http.MaxBytesError
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.As(err, &mb) || web4xx(err) != 0:
		http.Error(w, web4xxText(err), http.StatusBadRequest)
	default:
		p.d.Logger.ErrorContext(r.Context(), "push subscription", "request_id", web.RequestID(r.Context()), "err", err)
		http.Error(w, "the subscription could not be saved", http.StatusInternalServerError)
	}
}

// web4xxText is a refusal's safe text for a script.
func web4xxText(err error) string {
	if fs := clinic.FieldsOf(err); len(fs) > 0 {
		return fs[0].Field + ": " + fs[0].Reason
	}
	return "could not be read"
}

// serviceWorker serves the portal's service worker from the portal's path, so its scope is
// the portal (GET /p/{slug}/sw.js).
func (p *Portal) serviceWorker(w http.ResponseWriter, r *http.Request) {
	b, err := files.ReadFile("static/sw.js")
	if err != nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
}
