package dashboard

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// reasonPage is the data of templates/reason.html, the form that edits or creates a reason.
type reasonPage struct {
	NoClinic      bool
	ID            clinic.ReasonID // 0 when creating
	Clinic        string
	Name          string
	Duration      string // minutes, as typed
	Buffer        string // minutes, as typed
	Notifications bool
	Online        bool
	Agendas       []agendaCheck
	Fields        []clinic.FieldError
}

// agendaCheck is one agenda of the reason's clinic, ticked when it offers the reason.
type agendaCheck struct {
	ID       clinic.AgendaID
	Name     string
	Inactive bool
	Checked  bool
}

// reasonEdit shows the form that edits a reason (GET /reasons/{id}/edit): name, duration,
// buffer after, notifications, bookable online, and a checkbox per agenda of its clinic.
// Another organisation's reason is "not found".
func (d *Dashboard) reasonEdit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var f frame
	var page reasonPage
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		x, err := tx.Reason(ctx, f.Org.ID, clinic.ReasonID(id))
		if err != nil {
			return err
		}
		page, err = reasonForm(ctx, tx, f, x, reasonValues(x))
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{Page: "reason", View: view{Title: "Edit reason", Header: f.header(r, "reasons"), Data: page}})
}

// reasonInput is the reason form as typed.
type reasonInput struct {
	Name, Duration, Buffer string
	Notifications, Online  bool
	Agendas                []clinic.AgendaID
}

// reasonValues is the form filled from a stored reason.
func reasonValues(x clinic.Reason) reasonInput {
	return reasonInput{Name: x.Name, Duration: strconv.Itoa(int(x.Duration / time.Minute)), Buffer: strconv.Itoa(int(x.BufferAfter / time.Minute)),
		Notifications: x.Notifications, Online: x.OnlineBookable, Agendas: x.AgendaIDs}
}

// reasonForm fills the form of reason x (zero ID when creating, with ClinicID set) with in.
func reasonForm(ctx context.Context, tx *store.Tx, f frame, x clinic.Reason, in reasonInput) (reasonPage, error) {
	page := reasonPage{ID: x.ID, Name: in.Name, Duration: in.Duration, Buffer: in.Buffer, Notifications: in.Notifications,
		Online: in.Online, Clinic: f.Clinic.Name}
	for _, c := range f.Clinics {
		if c.ID == x.ClinicID {
			page.Clinic = c.Name
		}
	}
	agendas, err := clinicAgendas(ctx, tx, f.Org.ID, x.ClinicID)
	if err != nil {
		return page, err
	}
	for _, a := range agendas {
		page.Agendas = append(page.Agendas, agendaCheck{ID: a.ID, Name: a.Name, Inactive: !a.Active, Checked: slices.Contains(in.Agendas, a.ID)})
	}
	return page, nil
}

// readReason reads the reason form from r into in and, when valid, onto x. The agendas
// ticked must be agendas of x's clinic; agendas of other clinics already offering x are
// kept, since the form does not show them.
func readReason(ctx context.Context, tx *store.Tx, r *http.Request, x *clinic.Reason) (reasonInput, error) {
	in := reasonInput{Name: r.PostFormValue("name"), Duration: r.PostFormValue("duration_minutes"), Buffer: r.PostFormValue("buffer_after_minutes"),
		Notifications: r.PostFormValue("notifications") != "", Online: r.PostFormValue("online_bookable") != ""}
	var v clinic.ValidationError
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		v.Add("name", "is required")
	case utf8.RuneCountInString(name) > 200:
		v.Add("name", "must be at most 200 characters")
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		v.Add("name", "must not contain control characters")
	}
	minutes := func(field, s string, lo, hi int, required bool) time.Duration {
		if s == "" && !required {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			v.Add(field, "must be a whole number of minutes from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
			return 0
		}
		return time.Duration(n) * time.Minute
	}
	duration := minutes("duration_minutes", in.Duration, 5, 720, true)
	buffer := minutes("buffer_after_minutes", in.Buffer, 0, 240, false)
	agendas, err := clinicAgendas(ctx, tx, web.MustActor(ctx).OrgID, x.ClinicID)
	if err != nil {
		return in, err
	}
	var chosen []clinic.AgendaID
	for _, s := range r.PostForm["agenda_id"] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || !slices.ContainsFunc(agendas, func(a clinic.Agenda) bool { return int64(a.ID) == n }) {
			v.Add("agenda_id", "must be agendas of this reason's clinic")
			continue
		}
		if !slices.Contains(chosen, clinic.AgendaID(n)) {
			chosen = append(chosen, clinic.AgendaID(n))
		}
	}
	in.Agendas = chosen
	if err := v.Err(); err != nil {
		return in, err
	}
	for _, id := range x.AgendaIDs {
		if !slices.ContainsFunc(agendas, func(a clinic.Agenda) bool { return a.ID == id }) {
			chosen = append(chosen, id)
		}
	}
	x.Name, x.Duration, x.BufferAfter, x.Notifications, x.OnlineBookable, x.AgendaIDs = name, duration, buffer, in.Notifications, in.Online, chosen
	return in, nil
}
