package dashboard

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// cellValue is the value of an agenda × channel checkbox.
func cellValue(a clinic.AgendaID, ch consent.Channel) string {
	return strconv.FormatInt(int64(a), 10) + ":" + string(ch)
}

// readChannels reads the agenda × channel form: agenda, once per row shown, and on, once per
// checked cell ("12:sms"). A channel left unchecked is off. A cell that names no row shown
// or no channel is refused, naming on[i].
func readChannels(agendas, on []string) ([]directory.AgendaChannels, error) {
	var v clinic.ValidationError
	var rows []directory.AgendaChannels
	checked := map[string]bool{}
	index := map[clinic.AgendaID]bool{}
	for i, s := range agendas {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			v.Add(fmt.Sprintf("agenda[%d]", i), "must be a positive whole number")
			continue
		}
		index[clinic.AgendaID(n)] = true
	}
	for i, s := range on {
		a, ch, _ := strings.Cut(s, ":")
		n, err := strconv.ParseInt(a, 10, 64)
		switch {
		case err != nil || !index[clinic.AgendaID(n)]:
			v.Add(fmt.Sprintf("on[%d]", i), "must name an agenda of the table")
		case !consent.Channel(ch).Valid():
			v.Add(fmt.Sprintf("on[%d]", i), consent.ChannelReason)
		default:
			checked[s] = true
		}
	}
	for _, s := range agendas {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			continue
		}
		row := directory.AgendaChannels{AgendaID: clinic.AgendaID(n), Off: []consent.Channel{}}
		for _, ch := range consent.Channels() {
			if !checked[cellValue(row.AgendaID, ch)] {
				row.Off = append(row.Off, ch)
			}
		}
		rows = append(rows, row)
	}
	return rows, v.Err()
}

// channelsSave saves the current clinic's agenda × channel table at once
// (POST /settings/channels, fields clinic_id, agenda per row, on per checked cell) through
// directory.SetClinicChannels, administrators only, and shows it again (Post/Redirect/Get).
// A refused form is shown again (422) naming its fields, nothing saved.
func (d *Dashboard) channelsSave(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	clinicID, err := formID(r, "clinic_id")
	var f frame
	var c clinic.Clinic
	var agendas []clinic.Agenda
	if err == nil {
		err = d.db.View(ctx, func(tx *store.Tx) (err error) {
			if f, err = d.frameTx(ctx, tx, r); err != nil {
				return err
			}
			c = f.Clinic
			if clinicID != 0 {
				if c, err = tx.Directory().Clinic(ctx, f.Org.ID, clinic.ClinicID(clinicID)); err != nil {
					return clinic.MissingReference("clinic_id", err)
				}
			}
			if c.ID == 0 {
				return clinic.Invalid("clinic_id", "does not exist yet: set up a clinic first")
			}
			agendas, err = clinicAgendas(ctx, tx, f.Org.ID, c.ID)
			return err
		})
	}
	var rows []directory.AgendaChannels
	if err == nil {
		rows, err = readChannels(r.PostForm["agenda"], r.PostForm["on"])
	}
	if err == nil {
		_, err = d.directory.SetClinicChannels(ctx, web.MustActor(ctx), c.ID, rows)
	}
	switch {
	case err == nil:
		http.Redirect(w, r, withDone("/settings/channels", "channels-saved"), http.StatusSeeOther)
	case web.Status(err) == http.StatusUnprocessableEntity && c.ID != 0:
		current, rerr := d.directory.ClinicChannels(ctx, web.MustActor(ctx), c.ID)
		if rerr != nil {
			d.fail(w, r, rerr)
			return
		}
		page := channelsTable(c, agendas, current)
		page.Fields = clinic.FieldsOf(err)
		d.send(w, r, reply{Status: http.StatusUnprocessableEntity, Page: "channels", View: view{Title: "Notification channels", Header: f.header(r, "channels"), Data: page}})
	default:
		d.fail(w, r, err)
	}
}
