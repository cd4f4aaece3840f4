package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/web"
)

// writeBacksPage is the data of templates/write_backs.html: the appointments the clinical
// software refused when Tidings wrote them back (SYN-5), with its reasons, for staff to fix
// and send again.
type writeBacksPage struct {
	Rows []writeBackRow
}

type writeBackRow struct {
	AppointmentID clinic.AppointmentID
	PatientID     clinic.PatientID
	Patient       string
	When          string // the appointment's date and time, in its clinic's zone
	Database      string
	Reason        string
	At            string // when the software refused it
}

// writeBackList lists them (GET /sync/write-backs).
func (d *Dashboard) writeBackList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := d.loadFrame(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	failed, err := d.sync.FailedWriteBacks(ctx, web.MustActor(ctx))
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var page writeBacksPage
	var seen []clinic.PatientID
	for _, x := range failed {
		loc := f.zoneOf(x.Appointment.ClinicID)
		page.Rows = append(page.Rows, writeBackRow{AppointmentID: x.Appointment.ID, PatientID: x.Patient.ID, Patient: x.Patient.FullName(),
			When: f.Locale.Stamp(x.Appointment.Start.In(loc)), Database: x.Database, Reason: x.Reason, At: f.stamp(x.At)})
		seen = append(seen, x.Patient.ID)
	}
	d.send(w, r, reply{Page: "write_backs", View: view{Title: "Appointments not written back", Header: f.header(r, "write-backs"), Data: page},
		Audit: []audit{{"appointment.write_backs", seen}}})
}

// writeBackRetry sends one again (POST /sync/write-backs/{id}/retry, the appointment's id)
// and shows the list again.
func (d *Dashboard) writeBackRetry(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	if err := d.sync.RetryWriteBack(r.Context(), web.MustActor(r.Context()), clinic.AppointmentID(id)); err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, withDone("/sync/write-backs", "write-back-retried"), http.StatusSeeOther)
}
