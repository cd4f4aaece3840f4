package portal

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/page"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/waitlist"
)

// entryView is a waitlist entry as the patient reads it.
type entryView struct {
	ID           int64
	For          string
	Reason       string
	Practitioner string // "" for any
	From, To     string
	Times        string
}

// waitlistPage is the waitlist page: the patient's entries and the form to join.
type waitlistPage struct {
	Closed   bool
	Entries  []entryView
	Patients []choice
	Reasons  []choice
	Agendas  []choice
	From, To string
	Days     []dayBox
	FromTime string
	ToTime   string
	Fields   []clinic.FieldError
	Problem  string
}

// dayBox is a weekday's checkbox.
type dayBox struct {
	Value   int
	Label   string
	Checked bool
}

// waitlistForm shows the patient's waitlist entries at the clinic and the form to join
// (GET /p/{slug}/waitlist).
func (p *Portal) waitlistForm(w http.ResponseWriter, r *http.Request, v *visit) {
	data, err := p.waitlistData(r, v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.render(w, r, v, http.StatusOK, "waitlist", "Waitlist", data)
}

func (p *Portal) waitlistData(r *http.Request, v *visit) (waitlistPage, error) {
	ctx := r.Context()
	data := waitlistPage{Closed: !v.Site.Settings.OnlineBooking || v.SelfID() == 0}
	if data.Closed {
		return data, nil
	}
	loc, err := v.Site.Clinic.Location()
	if err != nil {
		return data, err
	}
	now := p.d.Now().In(loc)
	data.From, data.To = now.Format(time.DateOnly), now.AddDate(0, 0, 28).Format(time.DateOnly)
	people := map[clinic.PatientID]string{}
	var ids []clinic.PatientID
	for _, pt := range v.Session.Patients() {
		people[pt.ID] = pt.GivenName
		ids = append(ids, pt.ID)
		if len(v.Session.Patients()) > 1 {
			data.Patients = append(data.Patients, choice{Value: strconv.FormatInt(int64(pt.ID), 10), Label: pt.GivenName + " " + pt.FamilyName})
		}
	}
	for d := time.Monday; d <= time.Saturday+1; d++ {
		wd := d % 7
		data.Days = append(data.Days, dayBox{Value: int(wd), Label: v.Locale.Weekday(wd)})
	}
	entries, err := p.d.Waitlist.Entries(ctx, ctxActor(ctx), v.Site.Clinic.ID, ids)
	if err != nil {
		return data, err
	}
	err = p.d.DB.View(ctx, func(tx *store.Tx) error {
		names, _, err := p.names(ctx, tx, v)
		if err != nil {
			return err
		}
		rs, err := tx.Directory().Reasons(ctx, v.Site.Clinic.OrgID, store.ReasonFilter{ClinicID: v.Site.Clinic.ID}, store.Page{Limit: 1000})
		if err != nil {
			return err
		}
		rname := map[clinic.ReasonID]string{}
		for _, x := range rs {
			rname[x.ID] = x.Name
			if x.OnlineBookable {
				data.Reasons = append(data.Reasons, choice{Value: strconv.FormatInt(int64(x.ID), 10), Label: x.Name})
			}
		}
		for id, n := range names {
			data.Agendas = append(data.Agendas, choice{Value: strconv.FormatInt(int64(id), 10), Label: n})
		}
		for _, e := range entries {
			ev := entryView{ID: e.ID, For: people[e.PatientID], Reason: rname[e.ReasonID], Practitioner: names[e.AgendaID],
				From: dayLabel(v.Locale, e.FromDate), To: dayLabel(v.Locale, e.ToDate)}
			if e.FromMinute > 0 || e.ToMinute < 24*60 {
				ev.Times = clockOf(e.FromMinute) + "–" + clockOf(e.ToMinute)
			}
			data.Entries = append(data.Entries, ev)
		}
		return nil
	})
	sortChoices(data.Agendas)
	return data, err
}

func clockOf(m int) string { return time.Date(2000, 1, 1, m/60, m%60, 0, 0, time.UTC).Format("15:04") }

// joinWaitlist puts the patient (or a relative they manage) on the waitlist (POST
// /p/{slug}/waitlist: for, reason, agenda ("" for any), from, to, days (repeated),
// from_time, to_time), through the waitlist use case.
func (p *Portal) joinWaitlist(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, v, err)
		return
	}
	f := r.PostForm
	who := v.SelfID()
	if s := f.Get("for"); s != "" {
		id, _ := strconv.ParseInt(s, 10, 64)
		who = clinic.PatientID(id)
	}
	reason, _ := strconv.ParseInt(f.Get("reason"), 10, 64)
	agenda, _ := strconv.ParseInt(f.Get("agenda"), 10, 64)
	in := waitlist.JoinInput{ClinicID: v.Site.Clinic.ID, PatientID: who, ReasonID: clinic.ReasonID(reason), AgendaID: clinic.AgendaID(agenda),
		From: f.Get("from"), To: f.Get("to"), FromTime: f.Get("from_time"), ToTime: f.Get("to_time")}
	for _, d := range f["days"] {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 6 {
			continue
		}
		in.Weekdays = append(in.Weekdays, time.Weekday(n))
	}
	_, err := p.d.Waitlist.Join(r.Context(), ctxActor(r.Context()), in)
	if err != nil {
		status := web4xx(err)
		if status == 0 {
			p.fail(w, r, v, err)
			return
		}
		data, derr := p.waitlistData(r, v)
		if derr != nil {
			p.fail(w, r, v, derr)
			return
		}
		data.Fields = clinic.FieldsOf(err)
		var ce *clinic.ConflictError
		if errors.As(err, &ce) {
			data.Problem = ce.Reason
		}
		data.From, data.To, data.FromTime, data.ToTime = in.From, in.To, in.FromTime, in.ToTime
		p.render(w, r, v, status, "waitlist", "Waitlist", data)
		return
	}
	http.Redirect(w, r, page.WithDone(v.base()+"/waitlist", "waitlist"), http.StatusSeeOther)
}

// leaveWaitlist takes an entry off the waitlist (POST /p/{slug}/waitlist/{id}/leave).
func (p *Portal) leaveWaitlist(w http.ResponseWriter, r *http.Request, v *visit) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err := p.d.Waitlist.Leave(r.Context(), ctxActor(r.Context()), id); err != nil {
		p.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, page.WithDone(v.base()+"/waitlist", "left"), http.StatusSeeOther)
}

// offerPage is an offer's page, opened from its message's link without signing in.
type offerPage struct {
	Token        string
	Day, Time    string
	Practitioner string
	Reason       string
	Patient      string
	Open         bool
	State        string
	Problem      string
	Claimed      bool
}

// offer shows an offer of a freed time (GET /p/{slug}/offers/{token}): who it is for,
// when, and the button to take it while it is open. It names the patient's given name
// only, for whoever holds the link.
func (p *Portal) offer(w http.ResponseWriter, r *http.Request, v *visit) {
	data, err := p.offerData(r, v)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	p.render(w, r, v, http.StatusOK, "offer", "A time freed up", data)
}

func (p *Portal) offerData(r *http.Request, v *visit) (offerPage, error) {
	o, err := p.d.Waitlist.OfferByLink(r.Context(), r.PathValue("token"))
	if err == nil && o.Clinic.ID != v.Site.Clinic.ID {
		err = clinic.ErrNotFound
	}
	if err != nil {
		return offerPage{}, err
	}
	loc, err := v.Site.Clinic.Location()
	if err != nil {
		return offerPage{}, err
	}
	return offerPage{Token: r.PathValue("token"), Day: v.Locale.LongDate(o.Start.In(loc)), Time: v.Locale.Time(o.Start.In(loc)),
		Practitioner: o.Practitioner, Reason: o.Reason, Patient: o.Patient, Open: o.Open, State: o.State, Claimed: o.State == store.OfferClaimed}, nil
}

// claim takes the offered time (POST /p/{slug}/offers/{token}); a late or beaten claim is
// told why, and nothing is booked.
func (p *Portal) claim(w http.ResponseWriter, r *http.Request, v *visit) {
	_, err := p.d.Waitlist.ClaimByLink(r.Context(), v.Site.Clinic.ID, r.PathValue("token"))
	data, derr := p.offerData(r, v)
	if derr != nil {
		p.fail(w, r, v, derr)
		return
	}
	var ce *clinic.ConflictError
	switch {
	case err == nil:
		http.Redirect(w, r, page.WithDone(v.base()+"/offers/"+r.PathValue("token"), "claimed"), http.StatusSeeOther)
		return
	case errors.As(err, &ce):
		data.Problem = ce.Reason
		p.render(w, r, v, http.StatusConflict, "offer", "A time freed up", data)
	default:
		p.fail(w, r, v, err)
	}
}
