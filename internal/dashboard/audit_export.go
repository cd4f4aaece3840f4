package dashboard

import (
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// auditExportMax is the most entries one CSV export holds; the page says so.
const auditExportMax = 100_000

// auditExport sends the entries of the audit page's filter as a CSV file (GET /audit.csv,
// the page's query string; ADM-2, ADM-5): one line per entry, reads not grouped, newest
// first, at most auditExportMax, with the same names and labels as the page in the page's
// language, times in the clinic's zone with their offset (RFC 3339), and what a settings
// change changed. The file is streamed auditBatch entries at a time, each batch in its own
// read transaction, so a large export holds no transaction open while the network is slow.
//
// The export is a read of patient data: one "audit.export" row is recorded before anything
// is sent, and before each batch is written the patients it names for the first time
// (names are shown only to a viewer who may read patients). If recording fails once the
// file has begun, the download is aborted rather than ended early, so a truncated file is
// never taken for a whole one.
//
// A cell that a spreadsheet would read as a formula (starting with =, +, -, @, a tab or a
// carriage return) is prefixed with an apostrophe. A filter it cannot read is answered like
// the page: 422 with the form and each problem under its field's label.
func (d *Dashboard) auditExport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := readAuditQuery(r)
	q.After = "" // an export starts at the newest entry
	var f frame
	var users []clinic.User
	var filter store.AuditFilter
	var invalid error
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		if users, err = tx.AuditTrail().AuditUsers(ctx, f.Org.ID); err != nil {
			return err
		}
		filter, _, invalid = q.filter(f.Loc, users)
		return nil
	})
	if err == nil && invalid != nil {
		var ve *clinic.ValidationError
		if !errors.As(invalid, &ve) {
			err = invalid
		}
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if invalid != nil {
		// The page, with the form and its notes.
		var page auditPage
		err := d.db.View(ctx, func(tx *store.Tx) (err error) {
			page, _, _, err = d.loadAudit(ctx, tx, f, q)
			return err
		})
		if err != nil {
			d.fail(w, r, err)
			return
		}
		page.Errors = notesOf(invalid, auditLabels, nil)
		d.send(w, r, reply{Status: http.StatusUnprocessableEntity, Page: "audit", View: view{Title: "Audit log", Header: f.header(r, "audit"), Data: page}})
		return
	}
	cat, err := i18n.New()
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if err := web.AuditRead(ctx, d.db, "audit.export"); err != nil {
		d.fail(w, r, err)
		return
	}
	loc := f.Locale
	tr := func(x auditText) string {
		if x.Key != "" {
			return cat.T(loc, x.Key, x.Arg)
		}
		return x.Plain
	}
	canRead := f.Actor.Can(clinic.PermReadPatients)
	started := false
	abort := func(err error) {
		d.log.ErrorContext(ctx, "audit export failed", "request_id", web.RequestID(ctx), "err", err)
		if !started {
			d.fail(w, r, err)
			return
		}
		// The status line has gone: abort the download so that it does not look whole.
		panic(http.ErrAbortHandler)
	}
	cw := csv.NewWriter(w)
	write := func(cells ...string) {
		for i, c := range cells {
			cells[i] = csvSafe(c)
		}
		_ = cw.Write(cells) // an error is the client gone, seen by Flush
	}
	recorded := map[clinic.PatientID]bool{}
	cursor, written := int64(0), 0
	for written < auditExportMax {
		limit := min(auditBatch, auditExportMax-written)
		var batch []store.AuditEntry
		var names auditNames
		err := d.db.View(ctx, func(tx *store.Tx) (err error) {
			if batch, err = tx.AuditTrail().AuditLog(ctx, f.Org.ID, filter, store.Page{After: cursor, Limit: limit}); err != nil {
				return err
			}
			names, err = loadAuditNames(ctx, tx, f.Org.ID, users, batch, canRead, 0)
			return err
		})
		if err != nil {
			abort(err)
			return
		}
		var fresh []clinic.PatientID
		for _, id := range names.shown {
			if !recorded[id] {
				recorded[id] = true
				fresh = append(fresh, id)
			}
		}
		if err := d.record(ctx, []audit{{"audit.export", fresh}}); err != nil {
			abort(err)
			return
		}
		if !started {
			started = true
			h := w.Header()
			h.Set("Content-Type", "text/csv; charset=utf-8")
			h.Set("Content-Disposition", `attachment; filename="audit-log-`+d.now().In(f.Loc).Format("2006-01-02")+`.csv"`)
			h.Set("Cache-Control", "no-store")
			h.Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusOK)
			// A byte order mark, so that spreadsheets read the names' accents as UTF-8.
			_, _ = w.Write([]byte("\ufeff"))
			write(tr(auditText{Key: "Time"}), tr(auditText{Key: "Who"}), tr(auditText{Key: "Actor id"}), tr(auditText{Key: "Action"}),
				tr(auditText{Key: "Action code"}), tr(auditText{Key: "Patient"}), tr(auditText{Key: "Patient id"}), tr(auditText{Key: "Request id"}),
				tr(auditText{Key: "Subject"}), tr(auditText{Key: "Changes"}))
		}
		for _, e := range batch {
			row := names.row(f, []store.AuditEntry{e})
			patient, patientID := "", ""
			switch {
			case row.Hidden && row.Count > 0:
				patient = tr(auditText{Key: "a patient"})
			case len(row.Patients) > 0:
				p := row.Patients[0]
				patient, patientID = p.Name, strconv.FormatInt(int64(p.ID), 10)
			}
			write(row.Stamp, tr(row.Actor), row.ActorID, tr(row.Action), row.Code, patient, patientID, row.RequestID, row.Subject,
				changesText(row, tr))
		}
		cw.Flush()
		if cw.Error() != nil {
			return // the client went away
		}
		written += len(batch)
		if len(batch) < limit {
			break
		}
		cursor = batch[len(batch)-1].ID
	}
}

// changesText writes a settings change on one line: "Field: before → after; …".
func changesText(row auditRow, tr func(auditText) string) string {
	values := func(vs []auditText) string {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = tr(v)
		}
		return strings.Join(out, ", ")
	}
	parts := make([]string, 0, len(row.Changes))
	for _, c := range row.Changes {
		parts = append(parts, tr(c.Field)+tr(auditText{Key: ":"})+" "+values(c.Before)+" → "+values(c.After))
	}
	if row.Detail && len(parts) == 0 {
		return tr(auditText{Key: "Saved without a change."})
	}
	return strings.Join(parts, "; ")
}

// csvSafe keeps a cell from being run as a formula by a spreadsheet (CSV injection): a cell
// starting with =, +, -, @, a tab or a carriage return gets a leading apostrophe, which
// spreadsheets show as text.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
