package dashboard

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/store"
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
	// OnlineFor is who may book it online (POR-1): the choices, the one typed or saved
	// selected.
	OnlineFor []choiceOption
	Agendas   []agendaCheck
	Fields    []clinic.FieldError
}

// choiceOption is one choice of a select whose values are words: Label is a catalog key.
type choiceOption struct {
	Value, Label string
	Selected     bool
}

// onlineForChoices are the choices of "Who may book it online", selected marked; an
// unknown or empty value selects every patient, the use case's default.
func onlineForChoices(selected clinic.OnlineFor) []choiceOption {
	if !selected.Valid() {
		selected = clinic.OnlineForAll
	}
	var out []choiceOption
	for _, o := range []clinic.OnlineFor{clinic.OnlineForAll, clinic.OnlineForExisting, clinic.OnlineForNew} {
		out = append(out, choiceOption{Value: string(o), Label: onlineForLabel(o), Selected: o == selected})
	}
	return out
}

// onlineForLabel names who may book a reason online, as the reason form and the audit log
// say it (a catalog key).
func onlineForLabel(o clinic.OnlineFor) string {
	switch o {
	case clinic.OnlineForExisting:
		return "Only patients the clinic has seen before"
	case clinic.OnlineForNew:
		return "Only new patients"
	}
	return "Every patient"
}

// agendaCheck is one agenda of the reason's clinic, ticked when it offers the reason.
type agendaCheck struct {
	ID       clinic.AgendaID
	Name     string
	Inactive bool
	Checked  bool
}

// reasonEdit shows the form that edits a reason (GET /reasons/{id}/edit): name, duration,
// buffer after, notifications, bookable online and by whom, and a checkbox per agenda of
// its clinic.
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
		x, err := tx.Directory().Reason(ctx, f.Org.ID, clinic.ReasonID(id))
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
	OnlineFor              string // all, existing or new
	Agendas                []clinic.AgendaID
}

// reasonValues is the form filled from a stored reason.
func reasonValues(x clinic.Reason) reasonInput {
	return reasonInput{Name: x.Name, Duration: strconv.Itoa(int(x.Duration / time.Minute)), Buffer: strconv.Itoa(int(x.BufferAfter / time.Minute)),
		Notifications: x.Notifications, Online: x.OnlineBookable, OnlineFor: string(x.OnlineFor), Agendas: x.AgendaIDs}
}

// reasonForm fills the form of reason x (zero ID when creating, with ClinicID set) with in.
func reasonForm(ctx context.Context, tx *store.Tx, f frame, x clinic.Reason, in reasonInput) (reasonPage, error) {
	page := reasonPage{ID: x.ID, Name: in.Name, Duration: in.Duration, Buffer: in.Buffer, Notifications: in.Notifications,
		Online: in.Online, OnlineFor: onlineForChoices(clinic.OnlineFor(in.OnlineFor)), Clinic: f.Clinic.Name}
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

// readReason reads the reason form from r: what was typed (to show again) and the use
// case's input. Only decoding happens here (whole numbers, agenda ids); the limits, who may
// book online (online_for: all, existing or new; absent keeps the saved choice) and the
// agendas' clinic are checked by directory's use case, as for the API.
func readReason(r *http.Request) (reasonInput, directory.ReasonInput, error) {
	in := reasonInput{Name: r.PostFormValue("name"), Duration: r.PostFormValue("duration_minutes"), Buffer: r.PostFormValue("buffer_after_minutes"),
		Notifications: r.PostFormValue("notifications") != "", Online: r.PostFormValue("online_bookable") != "",
		OnlineFor: strings.TrimSpace(r.PostFormValue("online_for"))}
	var v clinic.ValidationError
	out := directory.ReasonInput{Name: &in.Name, Notifications: &in.Notifications, OnlineBookable: &in.Online, AgendaIDs: []int64{}}
	if r.PostForm.Has("online_for") {
		out.OnlineFor = &in.OnlineFor
	}
	minutes := func(field, s string, required bool) *int {
		if s == "" && !required {
			zero := 0
			return &zero
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			v.Add(field, "must be a whole number of minutes")
			return nil
		}
		return &n
	}
	out.DurationMinutes = minutes("duration_minutes", in.Duration, true)
	out.BufferAfterMinutes = minutes("buffer_after_minutes", in.Buffer, false)
	for _, s := range r.PostForm["agenda_id"] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			v.Add("agenda_id", "must be agendas of this reason's clinic")
			continue
		}
		if !slices.Contains(in.Agendas, clinic.AgendaID(n)) {
			in.Agendas = append(in.Agendas, clinic.AgendaID(n))
			out.AgendaIDs = append(out.AgendaIDs, n)
		}
	}
	return in, out, v.Err()
}

// reasonFields names the use case's problems as the form does (agenda_ids[2] is the form's
// agenda_id checkboxes).
func reasonFields(err error) error {
	agendas := false
	return clinic.RenameFields(err, func(f clinic.FieldError) (clinic.FieldError, bool) {
		if !strings.HasPrefix(f.Field, "agenda_ids[") {
			return f, true
		}
		keep := !agendas // the form has one agenda_id field: name it once
		agendas = true
		return clinic.FieldError{Field: "agenda_id", Reason: "must be agendas of this reason's clinic"}, keep
	})
}
