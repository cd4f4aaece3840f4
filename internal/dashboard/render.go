package dashboard

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

//go:embed templates
var templateFS embed.FS

// pageNames lists the page templates under templates/, each parsed with the two layouts.
func pageNames() []string {
	return []string{"login", "patients", "patient", "agenda", "week", "book", "move", "schedules", "absences",
		"reasons", "reason", "rules", "audit", "error"}
}

// parsePages parses every page with the layouts it may be shown in and the shared parts
// (templates/parts.html: field errors, appointment action buttons). Each page defines
// "content" (and the patient list and booking form the "results" and "patient-results"
// fragments htmx asks for); "layout" wraps it for a signed-in user and "bare" for a visitor.
func parsePages(a *assets) (map[string]*template.Template, error) {
	// invalid marks a form control whose field an error names (aria-invalid).
	funcs := template.FuncMap{"static": a.url, "invalid": hasField}
	pages := map[string]*template.Template{}
	for _, name := range pageNames() {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/bare.html", "templates/parts.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("dashboard: parse template %s: %w", name, err)
		}
		for _, block := range []string{"layout", "bare", "content"} {
			if t.Lookup(block) == nil {
				return nil, fmt.Errorf("dashboard: template %s defines no %q", name, block)
			}
		}
		pages[name] = t
	}
	return pages, nil
}

// view is what every template receives. Header is nil on pages shown to visitors (the sign-in
// form, errors before sign-in), which selects the bare layout. Flash is the confirmation a
// Post/Redirect/Get left for this page (see flash.go).
type view struct {
	Title     string
	Header    *header
	RequestID string
	Flash     string
	Data      any
}

// execute renders a page (block "") or one block of it into memory, so that a template error
// becomes an error page rather than half a page, and so that the audit row is written after
// rendering succeeded but before any byte leaves.
func (d *Dashboard) execute(page, block string, v view) ([]byte, error) {
	t, ok := d.pages[page]
	if !ok {
		return nil, fmt.Errorf("dashboard: no page template %q", page)
	}
	if block == "" {
		block = "bare"
		if v.Header != nil {
			block = "layout"
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, v); err != nil {
		return nil, fmt.Errorf("dashboard: render %s/%s: %w", page, block, err)
	}
	return buf.Bytes(), nil
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
	writeHTML(w, rp.Status, body)
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

func writeHTML(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Pages hold patient data: keep them out of browser and proxy caches.
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(body)
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

// errorPage is the data of templates/error.html.
type errorPage struct {
	Status  int
	Title   string
	Message string
	Fields  []clinic.FieldError
}

// errorTitle names an error status in staff's words rather than HTTP's.
func errorTitle(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge:
		return "Please check your request"
	case http.StatusUnauthorized:
		return "Sign in first"
	case http.StatusForbidden:
		return "Not allowed"
	case http.StatusNotFound:
		return "Not found"
	case http.StatusConflict:
		return "Conflict"
	case http.StatusTooManyRequests:
		return "Too many requests"
	case http.StatusServiceUnavailable:
		return "Busy"
	}
	if status >= 500 {
		return "Something went wrong"
	}
	return http.StatusText(status)
}

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
	body, err := d.execute("error", "", v)
	if err != nil {
		d.log.ErrorContext(ctx, "dashboard error page", "request_id", v.RequestID, "err", err)
		http.Error(w, message, status)
		return
	}
	writeHTML(w, status, body)
}
