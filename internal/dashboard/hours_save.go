package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/walltime"
	"github.com/tidings-health/tidings/internal/web"
)

// maxHoursRows bounds the intervals of one weekday the form may send.
const maxHoursRows = 12

// hoursField matches the names of the hours form's fields: hours[Monday][1].start.
var hoursField = regexp.MustCompile(`^hours\[([A-Za-z]+)\]\[([0-9]{1,2})\]\.(start|end)$`)

// hoursSave replaces an agenda's weekly working hours (POST /agendas/{id}/hours, fields
// hours[Monday][0].start, hours[Monday][0].end, …; a row left blank is ignored). Times are
// HH:MM (24:00 for midnight as an end), each end after its start, and a day's intervals
// must not overlap; a refused form is shown again (422) with its values and each error
// naming its field, e.g. hours[Monday][1].end.
func (d *Dashboard) hoursSave(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	rows, hours, names, problems := readHours(r.PostForm)
	actor := web.MustActor(ctx)
	// SetHours reads the agenda before it judges the form, so another organisation's is
	// "not found" whatever the form says.
	_, err := d.booking.SetHours(ctx, actor, clinic.AgendaID(id), hours, problems)
	err = hoursFields(err, names)
	switch {
	case err == nil:
		http.Redirect(w, r, withDone("/schedules", "hours")+fmt.Sprintf("#agenda-%d", id), http.StatusSeeOther)
	case formError(err):
		d.showSchedules(w, r, web.Status(err), scheduleOverride{Agenda: clinic.AgendaID(id), Hours: rows, HoursErrors: clinic.FieldsOf(err)})
	default:
		d.fail(w, r, err)
	}
}

// readHours reads the hours form: the rows as typed (to show again), the intervals for the
// use case with the form's field name of each (hours[Monday][1]), and the problems of
// decoding (a time that is not HH:MM, a field that is not the form's). The rules on the
// intervals themselves (end after start, no overlap) are booking.CheckHours', as for the
// API; hoursFields names its problems as the form does.
func readHours(form url.Values) (map[time.Weekday][]hoursRow, []clinic.WorkingHours, []string, []clinic.FieldError) {
	days := map[string]time.Weekday{}
	for _, wd := range weekOrder() {
		days[wd.String()] = wd
	}
	rows := map[time.Weekday][]hoursRow{}
	type key struct {
		wd time.Weekday
		i  int
	}
	index := map[key]int{}
	var v clinic.ValidationError
	for name := range form {
		m := hoursField.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		wd, ok := days[m[1]]
		i, _ := strconv.Atoi(m[2])
		if !ok || i >= maxHoursRows {
			v.Add(name, fmt.Sprintf("is not a field of this form (a weekday has at most %d intervals)", maxHoursRows))
			continue
		}
		k := key{wd, i}
		j, seen := index[k]
		if !seen {
			j = len(rows[wd])
			index[k] = j
			rows[wd] = append(rows[wd], hoursRow{Index: i})
		}
		if m[3] == "start" {
			rows[wd][j].Start = form.Get(name)
		} else {
			rows[wd][j].End = form.Get(name)
		}
	}
	if len(index) == 0 && len(v.Fields) == 0 {
		v.Add("hours", "are missing: send the weekly hours form")
	}
	var hours []clinic.WorkingHours
	var names []string
	for _, wd := range weekOrder() {
		slices.SortFunc(rows[wd], func(a, b hoursRow) int { return a.Index - b.Index })
		for _, row := range rows[wd] {
			f := fmt.Sprintf("hours[%s][%d]", wd, row.Index)
			if row.Start == "" && row.End == "" {
				continue
			}
			start, sok := walltime.ParseClock(row.Start, false)
			end, eok := walltime.ParseClock(row.End, true)
			if !sok {
				v.Add(f+".start", "must be a time written HH:MM, such as 08:00")
				start = -1
			}
			if !eok {
				v.Add(f+".end", "must be a time written HH:MM, such as 12:30 (24:00 for midnight)")
				end = -1
			}
			hours = append(hours, clinic.WorkingHours{Weekday: wd, Start: start, End: end})
			names = append(names, f)
		}
	}
	return rows, hours, names, v.Fields
}

// hoursFields renames booking.CheckHours' problems (hours[3].end) after the form's fields
// (hours[Monday][1].end); an overlap is shown at the later interval's start.
func hoursFields(err error, names []string) error {
	return clinic.RenameFields(err, func(f clinic.FieldError) (clinic.FieldError, bool) {
		var i int
		var rest string
		if n, _ := fmt.Sscanf(f.Field, "hours[%d]%s", &i, &rest); n >= 1 && i >= 0 && i < len(names) {
			if rest == "" {
				rest = ".start"
			}
			f.Field = names[i] + rest
		}
		return f, true
	})
}
