package dashboard

import (
	"errors"
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// maxImport bounds an uploaded CSV file: 200,000 rows of a clinic's export fit well in it.
const maxImport = 64 << 20

// importPage is the data of templates/database_import.html: the CSV import of a database's
// patients, appointments or recalls (SYN-1, RES-8), and the report of the last check or
// import. The file is not kept: applying it means choosing it again, so nothing with
// patient data waits on the server between the two.
type importPage struct {
	ID       clinic.DatabaseID
	Database string
	Report   *importReport
	Errors   formErrors
}

// importReport is an import's outcome as the page shows it: the counts, and the rows that
// were not applied or changed (the first 500 of them).
type importReport struct {
	DryRun    bool
	Kind      string
	Total     int
	Created   int
	Updated   int
	Unchanged int
	Ignored   int
	Rejected  int
	Rows      []integration.CSVResult
	More      int // rows not listed
}

func (d *Dashboard) loadImport(r *http.Request, f frame, id clinic.DatabaseID) (importPage, error) {
	db, err := d.databaseOf(r, f, id)
	return importPage{ID: id, Database: db.Name}, err
}

// refusedWriteBacks counts database id's appointments its software refused (SYN-5).
func (d *Dashboard) refusedWriteBacks(r *http.Request, f frame, id clinic.DatabaseID) (int, error) {
	var n int
	err := d.db.View(r.Context(), func(tx *store.Tx) error {
		ws, err := tx.Sync().FailedWriteBacks(r.Context(), f.Org.ID, id, 1000)
		n = len(ws)
		return err
	})
	return n, err
}

// databaseOf reads database id of f's organisation, for the pages of one database's
// settings.
func (d *Dashboard) databaseOf(r *http.Request, f frame, id clinic.DatabaseID) (clinic.Database, error) {
	var db clinic.Database
	err := d.db.View(r.Context(), func(tx *store.Tx) (err error) {
		db, err = tx.Directory().Database(r.Context(), f.Org.ID, id)
		return err
	})
	return db, err
}

// databaseImport shows the import form (GET /settings/databases/{id}/import).
func (d *Dashboard) databaseImport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var f frame
	if err == nil {
		f, err = d.loadFrame(r)
	}
	var page importPage
	if err == nil {
		page, err = d.loadImport(r, f, clinic.DatabaseID(id))
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{Page: "database_import", View: view{Title: "Import a CSV file", Header: f.header(r, "databases"), Data: page}})
}

// databaseImportRun checks or imports an uploaded file (POST /settings/databases/{id}/import,
// multipart: file, and apply=1 to import rather than check) through integration.ImportCSV,
// and shows the report. A file that is not a CSV of one of the formats is refused naming
// the file (422).
func (d *Dashboard) databaseImportRun(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxImport)
	var page importPage
	f, err := d.loadFrame(r)
	if err == nil {
		page, err = d.loadImport(r, f, clinic.DatabaseID(id))
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	status := http.StatusOK
	file, _, ferr := r.FormFile("file")
	var mbe *http.MaxBytesError
	switch {
	case errors.As(ferr, &mbe):
		err = clinic.Invalid("file", "must be at most 64 MB: split the file")
	case ferr != nil:
		err = clinic.Invalid("file", "is required: choose the CSV file to import")
	default:
		defer file.Close()
		apply := r.FormValue("apply") == "1"
		var rep integration.CSVReport
		rep, err = d.sync.ImportCSV(r.Context(), web.MustActor(r.Context()), clinic.DatabaseID(id), file, apply)
		if len(rep.Rows) > 0 || err == nil {
			page.Report = reportOf(rep)
		}
	}
	if err != nil {
		if web.Status(err) != http.StatusUnprocessableEntity {
			d.fail(w, r, err)
			return
		}
		status = http.StatusUnprocessableEntity
		page.Errors = notesOf(err, map[string]fieldLabel{"file": {"file", "CSV file"}}, nil)
	}
	d.send(w, r, reply{Status: status, Page: "database_import", View: view{Title: "Import a CSV file", Header: f.header(r, "databases"), Data: page}})
}

func reportOf(rep integration.CSVReport) *importReport {
	out := &importReport{DryRun: rep.DryRun, Kind: string(rep.Kind), Total: len(rep.Rows), Created: rep.Counts[integration.Created],
		Updated: rep.Counts[integration.Updated], Unchanged: rep.Counts[integration.Unchanged], Ignored: rep.Counts[integration.Ignored],
		Rejected: rep.Counts[integration.Rejected]}
	// Rejected rows first: they are what the clinic must fix.
	for _, want := range []bool{true, false} {
		for _, row := range rep.Rows {
			if (row.Outcome == integration.Rejected) != want || row.Outcome == integration.Unchanged {
				continue
			}
			if len(out.Rows) == 500 {
				out.More++
				continue
			}
			out.Rows = append(out.Rows, row)
		}
	}
	return out
}
