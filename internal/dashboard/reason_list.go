package dashboard

import (
	"net/http"
	"strconv"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// reasonsPage is the data of templates/reasons.html.
type reasonsPage struct {
	NoClinic  bool
	Clinic    string
	Rows      []reasonRow
	CanManage bool // shows the Edit and New reason links
}

type reasonRow struct {
	ID            clinic.ReasonID
	Name          string
	Duration      string
	Buffer        string
	Notifications bool
	Online        bool
	Agendas       []string // names of the agendas offering it
}

// reasonList lists the current clinic's consultation reasons (GET /reasons): duration,
// buffer after, notifications on or off, bookable online, and the agendas offering each.
// Administrators get an edit link per reason and a link to create one.
func (d *Dashboard) reasonList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var f frame
	var page reasonsPage
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		page = reasonsPage{Clinic: f.Clinic.Name, CanManage: f.Actor.Role.Can(clinic.PermManageDirectory)}
		if f.Clinic.ID == 0 {
			page.NoClinic = true
			return nil
		}
		reasons, err := clinicReasons(ctx, tx, f.Org.ID, f.Clinic.ID)
		if err != nil {
			return err
		}
		n, err := directoryNames(ctx, tx, f.Org.ID)
		if err != nil {
			return err
		}
		for _, x := range reasons {
			row := reasonRow{ID: x.ID, Name: x.Name, Duration: minutesText(x.Duration), Buffer: minutesText(x.BufferAfter),
				Notifications: x.Notifications, Online: x.OnlineBookable}
			for _, a := range x.AgendaIDs {
				row.Agendas = append(row.Agendas, n.agendas[a])
			}
			page.Rows = append(page.Rows, row)
		}
		return nil
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{Page: "reasons", View: view{Title: "Reasons", Header: f.header(r, "reasons"), Data: page}})
}

// minutesText shows a duration as "15 min", or "—" for none.
func minutesText(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return strconv.Itoa(int(d/time.Minute)) + " min"
}
