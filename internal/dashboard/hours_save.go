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
	"github.com/tidings-health/tidings/internal/store"
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
	rows, hours, verr := readHours(r.PostForm)
	org := web.MustActor(ctx).OrgID
	err := d.db.Update(ctx, func(tx *store.Tx) error {
		a, err := tx.Agenda(ctx, org, clinic.AgendaID(id))
		if err != nil {
			return err
		}
		if verr != nil {
			return verr
		}
		return tx.SetWorkingHours(ctx, org, a.ID, hours)
	})
	switch {
	case err == nil:
		http.Redirect(w, r, withDone("/schedules", "hours")+fmt.Sprintf("#agenda-%d", id), http.StatusSeeOther)
	case formError(err):
		d.showSchedules(w, r, web.Status(err), scheduleOverride{Agenda: clinic.AgendaID(id), Hours: rows, HoursErrors: fieldsOf(err)})
	default:
		d.fail(w, r, err)
	}
}

// readHours reads the hours form: the rows as typed (to show again) and the intervals they
// make, or the problems found, each naming its field.
func readHours(form url.Values) (map[time.Weekday][]hoursRow, []clinic.WorkingHours, error) {
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
	type interval struct {
		field      string
		start, end int
	}
	var hours []clinic.WorkingHours
	for _, wd := range weekOrder() {
		slices.SortFunc(rows[wd], func(a, b hoursRow) int { return a.Index - b.Index })
		var ok []interval
		for _, row := range rows[wd] {
			f := fmt.Sprintf("hours[%s][%d]", wd, row.Index)
			if row.Start == "" && row.End == "" {
				continue
			}
			start, sok := parseClock(row.Start, false)
			end, eok := parseClock(row.End, true)
			if !sok {
				v.Add(f+".start", "must be a time written HH:MM, such as 08:00")
			}
			if !eok {
				v.Add(f+".end", "must be a time written HH:MM, such as 12:30 (24:00 for midnight)")
			}
			switch {
			case !sok || !eok:
			case end <= start:
				v.Add(f+".end", "must be after the start ("+row.Start+")")
			default:
				ok = append(ok, interval{f, start, end})
			}
		}
		slices.SortStableFunc(ok, func(a, b interval) int { return a.start - b.start })
		var reach *interval // of the intervals so far, the one that ends last
		for i, x := range ok {
			if reach != nil && x.start < reach.end {
				v.Add(x.field+".start", fmt.Sprintf("overlaps %s–%s on the same day", clockText(reach.start), clockText(reach.end)))
				continue
			}
			hours = append(hours, clinic.WorkingHours{Weekday: wd, Start: x.start, End: x.end})
			if reach == nil || x.end > reach.end {
				reach = &ok[i]
			}
		}
	}
	return rows, hours, v.Err()
}
