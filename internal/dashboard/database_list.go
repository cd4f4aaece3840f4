package dashboard

import (
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// databasesPage is the data of templates/databases.html.
type databasesPage struct {
	Rows []databaseRow
}

// databaseRow is one clinical database and its setting "respect patient opt-out status in
// the clinical software" (CON-1).
type databaseRow struct {
	ID      clinic.DatabaseID
	Name    string
	Profile string // label
	Clinics []string
	Respect bool
	// Unavailable: the profile cannot read the flag (CON-4); consent is managed in Tidings
	// only and the setting is not offered.
	Unavailable bool
	// HL7: an hl7v2 database, with its sending facility (SYN-1).
	HL7      bool
	FHIR     bool // a fhir database, with its settings page
	Facility string
	// LastMessage is when the database's last message came ("" when none has); Waiting
	// counts its refused messages not yet re-processed or dismissed.
	LastMessage string
	Waiting     int
}

// databaseList shows the organisation's clinical databases with their opt-out setting
// (GET /settings/databases, CON-1, CON-4). Each offers the other value, which leads to the
// dry run (databaseDryRun) before anything is saved.
func (d *Dashboard) databaseList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var f frame
	var page databasesPage
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		dbs, err := all(func(p store.Page) ([]clinic.Database, error) { return tx.Directory().Databases(ctx, f.Org.ID, p) },
			func(x clinic.Database) int64 { return int64(x.ID) })
		if err != nil {
			return err
		}
		for _, x := range dbs {
			row := databaseRow{ID: x.ID, Name: x.Name, Profile: profileName(x.Profile), Respect: x.RespectOptOut, Unavailable: !x.Profile.CanReadOptOut(),
				HL7: x.Kind == clinic.KindHL7v2, FHIR: x.Kind == clinic.KindFHIR}
			if row.HL7 {
				if row.Facility, err = tx.Sync().HL7Facility(ctx, f.Org.ID, x.ID); err != nil {
					return err
				}
				st, err := tx.Sync().Stats(ctx, f.Org.ID, x.ID, time.Time{})
				if err != nil {
					return err
				}
				if st.LastMessage != nil {
					row.LastMessage = f.stamp(*st.LastMessage)
				}
				row.Waiting = st.OpenQuarantine
			}
			for _, c := range f.Clinics {
				if c.DatabaseID == x.ID {
					row.Clinics = append(row.Clinics, c.Name)
				}
			}
			page.Rows = append(page.Rows, row)
		}
		return nil
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{Page: "databases", View: view{Title: "Clinical databases", Header: f.header(r, "databases"), Data: page}})
}
