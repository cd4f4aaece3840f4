package dashboard

import (
	"net/http"
	"strconv"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// quarantinePage is the data of templates/quarantine.html: input the sync refused, kept
// with why, for an administrator to re-process once the cause is fixed or to dismiss
// (SYN-4). The raw message is patient data: the page shows its type, control id and
// reason, never its content.
type quarantinePage struct {
	Rows []quarantineRow
	More int64 // the id to continue below; 0 when this is the end
}

type quarantineRow struct {
	ID        int64
	Received  string
	Database  string
	Type      string
	ControlID string
	Code      int
	Reason    string
}

// quarantineList lists the open quarantined input, newest first (GET /sync/quarantine,
// ?after=ID for the next page).
func (d *Dashboard) quarantineList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var after int64
	var err error
	if v := r.URL.Query().Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after <= 0 {
			err = clinic.Invalid("after", "must be a positive whole number")
		}
	}
	var f frame
	if err == nil {
		f, err = d.loadFrame(r)
	}
	var items []store.QuarantineItem
	const size = 100
	if err == nil {
		items, err = d.sync.Quarantined(ctx, web.MustActor(ctx), store.Page{After: after, Limit: size})
	}
	names := map[clinic.DatabaseID]string{}
	if err == nil {
		err = d.db.View(ctx, func(tx *store.Tx) error {
			dbs, err := tx.Directory().Databases(ctx, f.Org.ID, store.Page{Limit: 1000})
			for _, x := range dbs {
				names[x.ID] = x.Name
			}
			return err
		})
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var page quarantinePage
	for _, q := range items {
		page.Rows = append(page.Rows, quarantineRow{ID: q.ID, Received: f.stamp(q.ReceivedAt), Database: names[q.DatabaseID], Type: q.MessageType,
			ControlID: q.ControlID, Code: q.Code, Reason: q.Reason})
	}
	if len(items) == size {
		page.More = items[len(items)-1].ID
	}
	d.send(w, r, reply{Page: "quarantine", View: view{Title: "Refused messages", Header: f.header(r, "databases"), Data: page}})
}

// quarantineReprocess re-processes one item (POST /sync/quarantine/{id}/reprocess) and
// shows the list again, saying whether it was applied or refused again (with the reason
// kept on the item).
func (d *Dashboard) quarantineReprocess(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	result, _, err := d.sync.Reprocess(r.Context(), web.MustActor(r.Context()), id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	done := "quarantine-applied"
	if result == store.SyncRefused {
		done = "quarantine-refused"
	}
	http.Redirect(w, r, withDone("/sync/quarantine", done), http.StatusSeeOther)
}

// quarantineDismiss closes one item without applying it (POST /sync/quarantine/{id}/dismiss).
func (d *Dashboard) quarantineDismiss(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	if err := d.sync.Dismiss(r.Context(), web.MustActor(r.Context()), id); err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, withDone("/sync/quarantine", "quarantine-dismissed"), http.StatusSeeOther)
}
