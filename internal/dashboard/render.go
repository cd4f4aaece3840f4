package dashboard

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/page"
	"github.com/tidings-health/tidings/internal/realtime"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

//go:embed templates
var templateFS embed.FS

// pageNames lists the page templates under templates/, each parsed with the two layouts.
func pageNames() []string {
	return []string{"login", "patients", "patient", "patient_form", "patient_merge", "agenda", "week", "book", "waitlist", "move", "appointment", "appointment_cancel", "schedules", "absences", "exceptions", "closure",
		"reasons", "reason", "rules", "portal", "duplicates", "audit", "databases", "database_hl7", "database_fhir", "database_import", "database_profile", "quarantine", "write_backs", "dryrun", "channels", "explain", "conflicts",
		"notifications", "notification", "outbox", "inbox", "sending", "templates", "template", "sms", "error",
		"staff", "staff_new", "staff_user", "staff_password", "profile", "myday", "online",
		"recalls", "recall", "recall_summary", "recall_templates", "recall_template", "recall_new",
		"messaging", "messages", "conversation"}
}

// pageSet is the dashboard's parsed pages, one copy per locale (page.Set).
type pageSet = page.Set

// parsePages parses every page with the layouts it may be shown in and the shared parts
// (templates/parts.html: field errors, appointment action buttons; templates/agenda_grid.html:
// the agenda's time grid and an appointment's panel, a fragment of the agenda page;
// templates/recall_parts.html: a recall's buttons and the recall pages' tabs), with the built-in
// catalog. Each page defines "content" (and the patient list and booking form the "results"
// and "patient-results" fragments htmx asks for); "layout" wraps it for a signed-in user and
// "bare" for a visitor. Texts go through the catalog: {{t "…"}} and the date functions of
// page.Funcs.
func parsePages(a *assets) (*pageSet, error) { return parsePagesWith(a, nil) }

// parsePagesWith is parsePages with a given catalog (nil: the built-in one); tests pass one
// that reports missing keys.
func parsePagesWith(a *assets, cat *i18n.Catalog) (*pageSet, error) {
	files := map[string]string{}
	for _, name := range pageNames() {
		files[name] = "templates/" + name + ".html"
	}
	set, err := page.Parse(page.Config{
		FS:      templateFS,
		Layouts: []string{"templates/layout.html", "templates/bare.html", "templates/parts.html", "templates/agenda_grid.html", "templates/recall_parts.html"},
		Pages:   files,
		Blocks:  []string{"layout", "bare", "content"},
		// invalid marks a form control whose field an error names (aria-invalid); embed
		// writes the Book button's code with its label (templates/portal.html); events is
		// the address of the shared client of the message event streams (realtime).
		Funcs: template.FuncMap{"invalid": clinic.HasField, "embed": func(b bookButton, label string) string { return b.HTML(label) },
			"events": realtime.ScriptURL},
		Assets:  a,
		Catalog: cat,
		// Field errors name each field in words (field_labels.go), not by its wire name.
		Fields: formFieldLabel,
	})
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	return set, nil
}

// view is what every template receives. Header is nil on pages shown to visitors (the sign-in
// form, errors before sign-in), which selects the bare layout. Title and Flash are catalog
// keys (English), translated by the layout; Flash is the confirmation a Post/Redirect/Get left
// for this page (see flash.go). Locale is the language the page is rendered in: send sets it
// (the header's, else the browser's); the zero value is English.
type view struct {
	Title     string
	Header    *header
	RequestID string
	Flash     string
	Data      any
	Locale    i18n.Locale
}

// execute renders a page (block "") or one block of it into memory, in v.Locale, so that a
// template error becomes an error page rather than half a page, and so that the audit row is
// written after rendering succeeded but before any byte leaves.
func (d *Dashboard) execute(name, block string, v view) ([]byte, error) {
	if block == "" {
		block = "bare"
		if v.Header != nil {
			block = "layout"
		}
	}
	body, err := d.pages.Execute(v.Locale, name, block, v)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	return body, nil
}

// locale is the language of an answer: the signed-in user's (chosen with the frame: their
// browser's, else their clinic's), else the visitor's browser's, else English.
func (d *Dashboard) locale(r *http.Request, h *header) i18n.Locale {
	if h != nil {
		return h.Locale
	}
	return page.Negotiate(r, "", i18n.English)
}

// reply is one HTML answer. Its audit rows (one per patient shown, ADM-2) are recorded in
// one transaction after rendering succeeded and before the answer is written; when that
// fails, an error page is shown instead of the data.
type reply struct {
	Status int
	Page   string
	Block  string // "" for the whole page
	View   view
	Audit  []audit
}

// audit is one action over the patients a page shows. An empty Patients records nothing:
// a page that showed no patient read no patient data.
type audit struct {
	Action   string
	Patients []clinic.PatientID
}

func (d *Dashboard) send(w http.ResponseWriter, r *http.Request, rp reply) {
	ctx := r.Context()
	rp.View.RequestID = web.RequestID(ctx)
	rp.View.Locale = d.locale(r, rp.View.Header)
	if rp.View.Flash == "" && r.Method == http.MethodGet {
		rp.View.Flash = flashFor(r)
	}
	body, err := d.execute(rp.Page, rp.Block, rp.View)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if err := d.record(ctx, rp.Audit); err != nil {
		d.fail(w, r, err)
		return
	}
	if rp.Status == 0 {
		rp.Status = http.StatusOK
	}
	writeHTML(w, rp.Status, rp.View.Locale, body)
}

func (d *Dashboard) record(ctx context.Context, audits []audit) error {
	n := 0
	for _, a := range audits {
		n += len(a.Patients)
	}
	if n == 0 {
		return nil
	}
	err := d.db.Update(ctx, func(tx *store.Tx) error {
		for _, a := range audits {
			if len(a.Patients) == 0 {
				continue
			}
			if err := web.AuditTx(ctx, tx, a.Action, a.Patients...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

func writeHTML(w http.ResponseWriter, status int, loc i18n.Locale, body []byte) {
	page.WriteHTML(w, status, loc, body)
}

// fail is the one error path of the handlers: the status and the text come from
// web.Status and web.SafeMessage, field errors are listed by name, and the internal cause of
// a server error is logged with the request id (errors carry ids, never patient data).
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := web.Status(err)
	if status >= 500 {
		d.log.ErrorContext(r.Context(), "dashboard request failed", "request_id", web.RequestID(r.Context()),
			"route", r.Pattern, "err", err)
	}
	var fields []clinic.FieldError
	var ve *clinic.ValidationError
	if errors.As(err, &ve) {
		fields = ve.Fields
	}
	d.renderError(w, r, status, web.SafeMessage(err), fields)
}

// RenderError answers with a full error page: in the layout, with the header and the clinic
// switcher, when a user is signed in; a minimal page otherwise. The server calls it for the
// 403 and 404 pages of its permission check; message must be safe to show.
func (d *Dashboard) RenderError(w http.ResponseWriter, r *http.Request, status int, message string) {
	d.renderError(w, r, status, message, nil)
}

// errorPage is the data of templates/error.html: status, title, safe message (catalog
// keys, translated by the template) and the fields a validation error names.
type errorPage = page.Error

// errorTitle names an error status in staff's words rather than HTTP's.
func errorTitle(status int) string { return page.ErrorTitle(status) }

func (d *Dashboard) renderError(w http.ResponseWriter, r *http.Request, status int, message string, fields []clinic.FieldError) {
	ctx := r.Context()
	v := view{
		Title:     errorTitle(status),
		RequestID: web.RequestID(ctx),
		Data:      errorPage{Status: status, Title: errorTitle(status), Message: message, Fields: fields},
	}
	if _, ok := web.ActorFrom(ctx); ok {
		f, err := d.loadFrame(r)
		if err != nil {
			d.log.ErrorContext(ctx, "dashboard error page: load header", "request_id", v.RequestID, "err", err)
		} else {
			v.Header = f.header(r, "")
		}
	}
	v.Locale = d.locale(r, v.Header)
	body, err := d.execute("error", "", v)
	if err != nil {
		d.log.ErrorContext(ctx, "dashboard error page", "request_id", v.RequestID, "err", err)
		http.Error(w, message, status)
		return
	}
	writeHTML(w, status, v.Locale, body)
}
