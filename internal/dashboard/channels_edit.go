package dashboard

import (
	"net/http"
	"slices"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// channelsPage is the data of templates/channels.html: the current clinic's agenda × channel
// table (CON-5), a checkbox per cell, checked when notifications by that channel are on.
type channelsPage struct {
	NoClinic bool
	ClinicID clinic.ClinicID
	Clinic   string
	Channels []choice
	Rows     []channelRow
	Fields   []clinic.FieldError
}

type channelRow struct {
	AgendaID clinic.AgendaID
	Name     string
	Inactive bool
	Cells    []channelCell
}

type channelCell struct {
	Value string // agenda id ":" channel, the checkbox's value
	Label string // the channel's label, for the checkbox's accessible name
	On    bool
}

// channelsTable is the page of clinic c's agendas with their switches rows.
func channelsTable(c clinic.Clinic, agendas []clinic.Agenda, rows []directory.AgendaChannels) channelsPage {
	page := channelsPage{ClinicID: c.ID, Clinic: c.Name, Channels: choices(consent.Channels(), channelName, "")}
	off := map[clinic.AgendaID][]consent.Channel{}
	for _, r := range rows {
		off[r.AgendaID] = r.Off
	}
	for _, a := range agendas {
		row := channelRow{AgendaID: a.ID, Name: a.Name, Inactive: !a.Active}
		for _, ch := range consent.Channels() {
			row.Cells = append(row.Cells, channelCell{Value: cellValue(a.ID, ch), Label: channelName(ch), On: !slices.Contains(off[a.ID], ch)})
		}
		page.Rows = append(page.Rows, row)
	}
	return page
}

// channelsEdit shows the current clinic's agenda × channel table (GET /settings/channels,
// CON-5), read through directory.ClinicChannels.
func (d *Dashboard) channelsEdit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var f frame
	var agendas []clinic.Agenda
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil || f.Clinic.ID == 0 {
			return err
		}
		agendas, err = clinicAgendas(ctx, tx, f.Org.ID, f.Clinic.ID)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page := channelsPage{NoClinic: true}
	if f.Clinic.ID != 0 {
		rows, err := d.directory.ClinicChannels(ctx, web.MustActor(ctx), f.Clinic.ID)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		page = channelsTable(f.Clinic, agendas, rows)
	}
	d.send(w, r, reply{Page: "channels", View: view{Title: "Notification channels", Header: f.header(r, "channels"), Data: page}})
}
