package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/walltime"
)

// schedulesPage is the data of templates/schedules.html.
type schedulesPage struct {
	NoClinic      bool
	Clinic        string
	Zone          string
	Agendas       []scheduleAgenda
	Practitioners []schedulePractitioner
	Fields        []clinic.FieldError // the refused form's fields, also listed at the top
}

// scheduleAgenda is one agenda's weekly hours form, its exceptions and the form to add one.
type scheduleAgenda struct {
	ID              clinic.AgendaID
	Name            string
	Inactive        bool
	Days            []hoursDay
	HoursErrors     []clinic.FieldError
	Exceptions      []exceptionRow
	NewException    exceptionForm
	ExceptionErrors []clinic.FieldError
}

// hoursDay is a weekday's rows of the hours form: its intervals and one blank row to add
// another.
type hoursDay struct {
	Name string // "Monday"
	Rows []hoursRow
}

// hoursRow is one interval of the hours form. Its fields are named hours[Monday][1].start
// and hours[Monday][1].end, the names the errors give.
type hoursRow struct {
	Index        int
	N            int    // 1-based
	Ordinal      string // "first interval", for its labels (a catalog key)
	Start, End   string
	StartName    string
	EndName      string
	StartInvalid bool
	EndInvalid   bool
}

type exceptionRow struct {
	ID       int64
	Day      string
	DayLabel string
	What     string
	Note     string
}

// exceptionForm is what the "add an exception" form holds. Kind is "closed" (close the
// day), "hours" (add hours that day) or "replace" (close it and open these hours instead).
type exceptionForm struct {
	Day, Kind, Start, End, Note string
}

// schedulePractitioner is a practitioner with an agenda at the clinic: their absences and
// the form to add one.
type schedulePractitioner struct {
	ID       clinic.PractitionerID
	Name     string
	Absences []absenceRow
	Form     absenceForm
	Errors   []clinic.FieldError
}

type absenceRow struct {
	ID       int64
	From, To string
	Note     string
}

// absenceForm is what the "add an absence" form holds, in the clinic's local time.
type absenceForm struct {
	StartDate, StartTime, EndDate, EndTime, Note string
}

// scheduleOverride carries a refused form back into the page: its values as typed and its
// field errors, for the agenda or practitioner it was sent for.
type scheduleOverride struct {
	Agenda          clinic.AgendaID
	Hours           map[time.Weekday][]hoursRow // nil keeps the stored hours
	HoursErrors     []clinic.FieldError
	Exception       *exceptionForm
	ExceptionErrors []clinic.FieldError
	Practitioner    clinic.PractitionerID
	Absence         *absenceForm
	AbsenceErrors   []clinic.FieldError
}

// weekOrder is the weekdays as a clinic's week runs, Monday first.
func weekOrder() []time.Weekday {
	return []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
}

// scheduleList shows the schedules of the current clinic (GET /schedules): for each agenda
// its weekly working hours in one form (several intervals a day), its exceptions from today
// on with the form to close a day or add hours, and for each practitioner working here
// their absences from today on with the form to add one. It shows no patient data.
func (d *Dashboard) scheduleList(w http.ResponseWriter, r *http.Request) {
	d.showSchedules(w, r, http.StatusOK, scheduleOverride{})
}

// showSchedules renders the schedules page, with a refused form's values and errors.
func (d *Dashboard) showSchedules(w http.ResponseWriter, r *http.Request, status int, o scheduleOverride) {
	ctx := r.Context()
	var f frame
	var page schedulesPage
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		page, err = d.loadSchedules(ctx, tx, f, o)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page.Fields = slices.Concat(o.HoursErrors, o.ExceptionErrors, o.AbsenceErrors)
	d.send(w, r, reply{Status: status, Page: "schedules", View: view{Title: "Schedules", Header: f.header(r, "schedules"), Data: page}})
}

func (d *Dashboard) loadSchedules(ctx context.Context, tx *store.Tx, f frame, o scheduleOverride) (schedulesPage, error) {
	page := schedulesPage{Clinic: f.Clinic.Name, Zone: f.Clinic.Zone}
	if f.Clinic.ID == 0 {
		page.NoClinic = true
		return page, nil
	}
	org := f.Org.ID
	agendas, err := clinicAgendas(ctx, tx, org, f.Clinic.ID)
	if err != nil {
		return page, err
	}
	ids := make([]clinic.AgendaID, len(agendas))
	var pids []clinic.PractitionerID
	for i, a := range agendas {
		ids[i] = a.ID
		if a.PractitionerID != nil && !slices.Contains(pids, *a.PractitionerID) {
			pids = append(pids, *a.PractitionerID)
		}
	}
	hours, err := tx.Schedule().WorkingHours(ctx, org, ids)
	if err != nil {
		return page, err
	}
	day := today(d.now(), f.Loc)
	exceptions, err := tx.Schedule().Exceptions(ctx, org, ids, day.Format(time.DateOnly), "9999-12-31")
	if err != nil {
		return page, err
	}
	for _, a := range agendas {
		sa := scheduleAgenda{ID: a.ID, Name: a.Name, Inactive: !a.Active, NewException: exceptionForm{Kind: "closed"}}
		posted := o.Agenda == a.ID && o.Hours != nil
		if o.Agenda == a.ID {
			sa.HoursErrors = o.HoursErrors
			if o.Exception != nil {
				sa.NewException, sa.ExceptionErrors = *o.Exception, o.ExceptionErrors
			}
		}
		for _, wd := range weekOrder() {
			var rows []hoursRow
			if posted {
				rows = o.Hours[wd]
			} else {
				for _, h := range hours[a.ID] {
					if h.Weekday == wd {
						rows = append(rows, hoursRow{Index: len(rows), Start: walltime.Clock(h.Start), End: walltime.Clock(h.End)})
					}
				}
			}
			if len(rows) == 0 || rows[len(rows)-1].Start != "" || rows[len(rows)-1].End != "" {
				next := 0
				if len(rows) > 0 {
					next = rows[len(rows)-1].Index + 1
				}
				rows = append(rows, hoursRow{Index: next})
			}
			for i := range rows {
				x := &rows[i]
				x.N = i + 1
				x.Ordinal = ordinalOf(i)
				x.StartName = fmt.Sprintf("hours[%s][%d].start", wd, x.Index)
				x.EndName = fmt.Sprintf("hours[%s][%d].end", wd, x.Index)
				x.StartInvalid, x.EndInvalid = clinic.HasField(sa.HoursErrors, x.StartName), clinic.HasField(sa.HoursErrors, x.EndName)
			}
			sa.Days = append(sa.Days, hoursDay{Name: wd.String(), Rows: rows})
		}
		for _, e := range exceptions {
			if e.AgendaID == a.ID {
				sa.Exceptions = append(sa.Exceptions, exceptionRow{ID: e.ID, Day: e.Day, DayLabel: civilDay(e.Day), What: exceptionText(e), Note: e.Note})
			}
		}
		page.Agendas = append(page.Agendas, sa)
	}
	if len(pids) == 0 {
		return page, nil
	}
	practitioners, err := all(func(p store.Page) ([]clinic.Practitioner, error) { return tx.Directory().Practitioners(ctx, org, p) },
		func(p clinic.Practitioner) int64 { return int64(p.ID) })
	if err != nil {
		return page, err
	}
	from, _ := dayBounds(day, f.Loc)
	absences, err := tx.Schedule().Absences(ctx, org, pids, from, farFuture())
	if err != nil {
		return page, err
	}
	for _, p := range practitioners {
		if !slices.Contains(pids, p.ID) {
			continue
		}
		sp := schedulePractitioner{ID: p.ID, Name: p.Name}
		if o.Practitioner == p.ID && o.Absence != nil {
			sp.Form, sp.Errors = *o.Absence, o.AbsenceErrors
		}
		for _, ab := range absences {
			if ab.PractitionerID == p.ID {
				sp.Absences = append(sp.Absences, absenceRow{ID: ab.ID, From: f.stamp(ab.Start), To: f.stamp(ab.End), Note: ab.Note})
			}
		}
		page.Practitioners = append(page.Practitioners, sp)
	}
	return page, nil
}

// farFuture closes the open-ended windows of "from today on" lists.
func farFuture() time.Time { return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) }

// exceptionText says what an exception does to its day.
func exceptionText(e clinic.ScheduleException) string {
	hours := walltime.Clock(e.Start) + "–" + walltime.Clock(e.End)
	switch {
	case e.Closed && e.End > 0:
		return "Closed, open " + hours + " instead"
	case e.Closed:
		return "Closed"
	case e.End > 0:
		return "Extra hours " + hours
	}
	return "No change"
}

// civilDay shows a YYYY-MM-DD day as "Wed 8 Apr 2026".
func civilDay(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format("Mon 2 Jan 2006")
}

// localStamp shows an instant in loc as "Wed 8 Apr 2026 09:00 AEST".
func localStamp(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
}
