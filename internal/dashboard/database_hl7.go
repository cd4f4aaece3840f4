package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// hl7Page is the data of templates/database_hl7.html: the HL7 settings of one hl7v2
// database (SYN-1), its traffic today, and how its codes map to agendas and reasons.
type hl7Page struct {
	ID       clinic.DatabaseID
	Database string
	Facility string
	Outbound string // the clinical software's MLLP listener for write-back, host:port
	Errors   formErrors

	// Status: when the last message came and was applied ("" when never), the refused
	// messages waiting, and today's messages per type.
	LastMessage, LastApplied string
	OpenQuarantine           int
	// Refused counts this database's appointments its software refused when written back.
	Refused int
	Today   []store.SyncCount

	Mappings  []mappingRow
	Targets   []mappingTarget // what a code can be mapped to, agendas then reasons
	Map       mappingForm     // the add form, as posted when refused
	MapErrors formErrors
}

// mappingRow is one mapping as listed.
type mappingRow struct {
	Kind, KindLabel, Code, Target string
}

// mappingTarget is an option of the mapping form's target: "agenda-ID" or "reason-ID".
type mappingTarget struct {
	Value, Label string
	Reason       bool
}

// mappingForm is the add form's values.
type mappingForm struct {
	Kind, Code, Target string
}

var hl7Labels = map[string]fieldLabel{"facility": {"facility", "Sending facility (MSH-4)"},
	"outbound": {"outbound", "Clinical software's MLLP listener (host:port)"}}

var mappingLabels = map[string]fieldLabel{
	"kind":   {"map-kind", "What the code names"},
	"code":   {"map-code", "Code sent by the clinical software"},
	"target": {"map-target", "Agenda or reason"},
}

// mappingKindLabel names a kind of mapping for staff.
func mappingKindLabel(kind string) string {
	switch kind {
	case store.MapPractitioner:
		return "Practitioner id (AIP-3)"
	case store.MapLocation:
		return "Location (AIL-3)"
	case store.MapAppointmentType:
		return "Appointment type code (SCH-7)"
	}
	return kind
}

// loadHL7 reads database id of f's organisation and its facility; a database that is not
// hl7v2 has no such settings (not found).
func (d *Dashboard) loadHL7(r *http.Request, f frame, id clinic.DatabaseID) (hl7Page, error) {
	ctx := r.Context()
	page := hl7Page{ID: id}
	err := d.db.View(ctx, func(tx *store.Tx) error {
		db, err := tx.Directory().Database(ctx, f.Org.ID, id)
		if err != nil {
			return err
		}
		if db.Kind != clinic.KindHL7v2 {
			return clinic.ErrNotFound
		}
		page.Database = db.Name
		if page.Facility, err = tx.Sync().HL7Facility(ctx, f.Org.ID, id); err != nil {
			return err
		}
		if page.Outbound, err = tx.Sync().HL7Outbound(ctx, f.Org.ID, id); err != nil {
			return err
		}
		y, m, dd := tx.Now.In(f.Loc).Date()
		st, err := tx.Sync().Stats(ctx, f.Org.ID, id, time.Date(y, m, dd, 0, 0, 0, 0, f.Loc))
		if err != nil {
			return err
		}
		page.Today, page.OpenQuarantine = st.Counts, st.OpenQuarantine
		refused, err := tx.Sync().FailedWriteBacks(ctx, f.Org.ID, id, 1000)
		if err != nil {
			return err
		}
		page.Refused = len(refused)
		if st.LastMessage != nil {
			page.LastMessage = f.stamp(*st.LastMessage)
		}
		if st.LastApplied != nil {
			page.LastApplied = f.stamp(*st.LastApplied)
		}
		names := map[string]string{}
		agendas, err := tx.Sync().AgendasOf(ctx, f.Org.ID, id)
		if err != nil {
			return err
		}
		for _, a := range agendas {
			v := fmt.Sprintf("agenda-%d", a.ID)
			names[v] = a.Name
			page.Targets = append(page.Targets, mappingTarget{Value: v, Label: a.Name})
		}
		for _, c := range f.Clinics {
			if c.DatabaseID != id {
				continue
			}
			rs, err := tx.Directory().Reasons(ctx, f.Org.ID, store.ReasonFilter{ClinicID: c.ID}, store.Page{Limit: 1000})
			if err != nil {
				return err
			}
			for _, r := range rs {
				v := fmt.Sprintf("reason-%d", r.ID)
				names[v] = r.Name + " (" + c.Name + ")"
				page.Targets = append(page.Targets, mappingTarget{Value: v, Label: names[v], Reason: true})
			}
		}
		ms, err := tx.Sync().Mappings(ctx, f.Org.ID, id)
		if err != nil {
			return err
		}
		for _, m := range ms {
			prefix := "agenda-"
			if m.Kind == store.MapAppointmentType {
				prefix = "reason-"
			}
			page.Mappings = append(page.Mappings, mappingRow{Kind: m.Kind, KindLabel: mappingKindLabel(m.Kind), Code: m.Code,
				Target: names[prefix+strconv.FormatInt(m.TargetID, 10)]})
		}
		return nil
	})
	return page, err
}

// databaseHL7 shows the HL7 settings of an hl7v2 database (GET /settings/databases/{id}/hl7).
func (d *Dashboard) databaseHL7(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var f frame
	if err == nil {
		f, err = d.loadFrame(r)
	}
	var page hl7Page
	if err == nil {
		page, err = d.loadHL7(r, f, clinic.DatabaseID(id))
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{Page: "database_hl7", View: view{Title: "HL7 settings", Header: f.header(r, "databases"), Data: page}})
}

// databaseHL7Save saves them (POST /settings/databases/{id}/hl7, field facility) through
// integration.SetHL7Settings and shows the list again; a refused value is shown again with
// its reason (422, or 409 when another database has the facility).
func (d *Dashboard) databaseHL7Save(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	f, err := d.loadFrame(r)
	var page hl7Page
	if err == nil {
		page, err = d.loadHL7(r, f, clinic.DatabaseID(id))
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page.Facility, page.Outbound = r.PostFormValue("facility"), r.PostFormValue("outbound")
	_, err = d.sync.SetHL7Settings(r.Context(), web.MustActor(r.Context()), clinic.DatabaseID(id), integration.HL7Settings{Facility: page.Facility, Outbound: page.Outbound})
	status := web.Status(err)
	if err == nil {
		http.Redirect(w, r, withDone("/settings/databases", "hl7-saved"), http.StatusSeeOther)
		return
	}
	if status != http.StatusUnprocessableEntity && status != http.StatusConflict {
		d.fail(w, r, err)
		return
	}
	page.Errors = notesOf(err, hl7Labels, nil)
	var ce *clinic.ConflictError
	if errors.As(err, &ce) && ce.Field == "facility" {
		page.Errors = append(page.Errors, fieldNote{Control: "facility", Label: hl7Labels["facility"].Label, Reason: ce.Reason})
	}
	d.send(w, r, reply{Status: status, Page: "database_hl7", View: view{Title: "HL7 settings", Header: f.header(r, "databases"), Data: page}})
}

// databaseMappingAdd maps a code (POST /settings/databases/{id}/mappings, fields kind, code
// and target "agenda-ID" or "reason-ID") through integration.SetMapping and shows the page
// again; a refused mapping is shown again with its reasons (422).
func (d *Dashboard) databaseMappingAdd(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	f, err := d.loadFrame(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	form := mappingForm{Kind: r.PostFormValue("kind"), Code: r.PostFormValue("code"), Target: r.PostFormValue("target")}
	var target int64
	var problems clinic.ValidationError
	prefix, num, _ := strings.Cut(form.Target, "-")
	if n, perr := strconv.ParseInt(num, 10, 64); perr == nil && n > 0 {
		target = n
	}
	switch {
	case form.Target == "":
		problems.Add("target", "is required")
	case target == 0 || prefix != "agenda" && prefix != "reason":
		problems.Add("target", "is not one of the choices offered")
	case form.Kind == store.MapAppointmentType && prefix != "reason":
		problems.Add("target", "must be a reason: an appointment type code maps to a reason")
	case (form.Kind == store.MapPractitioner || form.Kind == store.MapLocation) && prefix != "agenda":
		problems.Add("target", "must be an agenda: a practitioner or a location maps to an agenda")
	}
	if err = problems.Err(); err == nil {
		_, err = d.sync.SetMapping(r.Context(), web.MustActor(r.Context()), clinic.DatabaseID(id), form.Kind, form.Code, target)
	}
	if err == nil {
		http.Redirect(w, r, withDone(fmt.Sprintf("/settings/databases/%d/hl7", id), "mapping-saved"), http.StatusSeeOther)
		return
	}
	if web.Status(err) != http.StatusUnprocessableEntity {
		d.fail(w, r, err)
		return
	}
	page, lerr := d.loadHL7(r, f, clinic.DatabaseID(id))
	if lerr != nil {
		d.fail(w, r, lerr)
		return
	}
	page.Map, page.MapErrors = form, notesOf(err, mappingLabels, nil)
	d.send(w, r, reply{Status: http.StatusUnprocessableEntity, Page: "database_hl7", View: view{Title: "HL7 settings", Header: f.header(r, "databases"), Data: page}})
}

// databaseMappingDelete removes a mapping (POST /settings/databases/{id}/mappings/delete,
// fields kind and code) and shows the page again.
func (d *Dashboard) databaseMappingDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	err := d.sync.DeleteMapping(r.Context(), web.MustActor(r.Context()), clinic.DatabaseID(id), r.PostFormValue("kind"), r.PostFormValue("code"))
	if err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, withDone(fmt.Sprintf("/settings/databases/%d/hl7", id), "mapping-deleted"), http.StatusSeeOther)
}
