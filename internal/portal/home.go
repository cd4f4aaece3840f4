package portal

import (
	"context"
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/store"
)

// apptView is an appointment as the portal shows it, in the clinic's zone and the page's
// language.
type apptView struct {
	ID           clinic.AppointmentID
	For          string // the patient's given name
	Day, Time    string
	Practitioner string
	Reason       string // empty when the reason's notifications are off (CON-6)
	Status       clinic.Status
	Start        time.Time
}

// homePage is the portal's home for a signed-in patient.
type homePage struct {
	NoRecord     bool // signed in at a clinic that does not know them
	Appointments []apptView
	CanBook      bool
	// NewMessage shows the "New message" button (MSG-3): only when the clinic accepts
	// conversations from patients and has activated the button (messaging.Button).
	NewMessage bool
}

// home lists the patient's and their relatives' upcoming appointments at the clinic (GET
// /p/{slug}/).
func (p *Portal) home(w http.ResponseWriter, r *http.Request, v *visit) {
	data := homePage{NoRecord: v.SelfID() == 0, CanBook: v.Site.Settings.OnlineBooking}
	if !data.NoRecord {
		var err error
		if data.Appointments, err = p.upcoming(r.Context(), v); err != nil {
			p.fail(w, r, v, err)
			return
		}
		if data.NewMessage, err = p.d.Messaging.Button(r.Context(), v.Site.Clinic.OrgID, v.Site.Clinic.ID); err != nil {
			p.fail(w, r, v, err)
			return
		}
	}
	p.render(w, r, v, http.StatusOK, "home", "Your appointments", data)
}

// upcoming reads the session's people's active appointments at the clinic from now on,
// without those whose reason has its notifications off (CON-6): a sensitive appointment is
// kept off the portal's list as it is kept out of messages (its page, reached by its link
// from a staff message or a bookmark, still shows it, without naming the reason).
func (p *Portal) upcoming(ctx context.Context, v *visit) ([]apptView, error) {
	people := map[clinic.PatientID]string{}
	var ids []clinic.PatientID
	for _, pt := range v.Session.Patients() {
		people[pt.ID] = pt.GivenName
		ids = append(ids, pt.ID)
	}
	var out []apptView
	err := p.d.DB.View(ctx, func(tx *store.Tx) error {
		as, err := tx.Portal().UpcomingAt(ctx, v.Site.Clinic.OrgID, v.Site.Clinic.ID, ids, tx.Now)
		if err != nil {
			return err
		}
		names, reasons, err := p.names(ctx, tx, v)
		if err != nil {
			return err
		}
		for _, a := range as {
			if _, on := reasons[a.ReasonID]; !on {
				continue // CON-6: an appointment whose reason is kept quiet is not listed
			}
			out = append(out, view1(v, a, people[a.PatientID], names, reasons))
		}
		return nil
	})
	return out, err
}

// names reads the clinic's agendas' and reasons' names (reasons with notifications off
// are left out, CON-6).
func (p *Portal) names(ctx context.Context, tx *store.Tx, v *visit) (map[clinic.AgendaID]string, map[clinic.ReasonID]string, error) {
	org, cl := v.Site.Clinic.OrgID, v.Site.Clinic.ID
	ags, err := tx.Directory().Agendas(ctx, org, store.AgendaFilter{ClinicID: cl}, store.Page{Limit: 1000})
	if err != nil {
		return nil, nil, err
	}
	names := map[clinic.AgendaID]string{}
	for _, a := range ags {
		names[a.ID] = a.Name
	}
	rs, err := tx.Directory().Reasons(ctx, org, store.ReasonFilter{ClinicID: cl}, store.Page{Limit: 1000})
	if err != nil {
		return nil, nil, err
	}
	reasons := map[clinic.ReasonID]string{}
	for _, x := range rs {
		if x.Notifications {
			reasons[x.ID] = x.Name
		}
	}
	return names, reasons, nil
}

// view1 is one appointment's view.
func view1(v *visit, a clinic.Appointment, who string, names map[clinic.AgendaID]string, reasons map[clinic.ReasonID]string) apptView {
	loc, _ := v.Site.Clinic.Location()
	start := a.Start
	if loc != nil {
		start = start.In(loc)
	}
	return apptView{ID: a.ID, For: who, Day: v.Locale.LongDate(start), Time: v.Locale.Time(start), Practitioner: names[a.AgendaID],
		Reason: reasons[a.ReasonID], Status: a.Status, Start: a.Start}
}

// localDay formats t as the clinic's civil date.
func localDay(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.DateOnly) }

// dayLabel is a civil date ("2026-03-10") in the page's words.
func dayLabel(l i18n.Locale, day string) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return l.LongDate(t)
}
