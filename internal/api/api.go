// Package api is the JSON API v1 (ADM-5): wire types, handlers and the OpenAPI 3.1 document
// generated from the same route table the server mounts, so the document cannot drift from
// the routes (testdata/openapi.json is its golden copy). Handlers decode, call a use case
// (booking, directory, patient, notify) and encode: the rules, the transaction and the audit
// row of every write are the use case's. Errors are RFC 9457 problem documents naming the
// field and the reason.
//
// Patient data never travels in URLs: searches by name, phone or e-mail are POST bodies.
// Every read or write of patient data is audited (ADM-2) before the answer is written.
//
// It must not import the dashboard or server packages.
package api

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// API serves /api/v1.
type API struct {
	db        *store.DB // reads only: every write goes through a use case
	log       *slog.Logger
	booking   *booking.Service
	directory *directory.Service
	patients  *patient.Service
	notify    *notify.Service
	buffers   sync.Pool // of *pooledJSON
}

// Deps are the API's collaborators, built once in the wiring and shared with the
// dashboard (one availability cache, one place to inject what the use cases need).
type Deps struct {
	DB        *store.DB
	Logger    *slog.Logger
	Booking   *booking.Service
	Directory *directory.Service
	Patients  *patient.Service
	Notify    *notify.Service
}

// New builds the API.
func New(d Deps) *API {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &API{db: d.DB, log: d.Logger, booking: d.Booking, directory: d.Directory, patients: d.Patients, notify: d.Notify}
}

// ListOf is the envelope of every list: a page of items and the cursor of the next page
// (absent on the last page).
type ListOf[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("id:" + strconv.FormatInt(id, 10)))
}

func decodeCursor(s string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !strings.HasPrefix(string(b), "id:") {
		return 0, clinic.Invalid("cursor", "is not a cursor this API returned")
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(string(b), "id:"), 10, 64)
	if err != nil || n < 0 {
		return 0, clinic.Invalid("cursor", "is not a cursor this API returned")
	}
	return n, nil
}

// query reads and validates query parameters, collecting every problem.
type query struct {
	r *http.Request
	v clinic.ValidationError
}

func (q *query) page() store.Page {
	var p store.Page
	if s := q.r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			q.v.Add("limit", "must be an integer from 1 to 500")
		}
		p.Limit = n
	}
	if s := q.r.URL.Query().Get("cursor"); s != "" {
		n, err := decodeCursor(s)
		if err != nil {
			q.v.Add("cursor", "is not a cursor this API returned")
		}
		p.After = n
	}
	return p
}

func (q *query) id(name string) int64 {
	s := q.r.URL.Query().Get(name)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		q.v.Add(name, "must be a positive integer")
	}
	return n
}

func (q *query) str(name string) string { return q.r.URL.Query().Get(name) }

func pathID(r *http.Request) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || n <= 0 {
		// An id that cannot exist is simply not found.
		return 0, fmt.Errorf("id %q: %w", r.PathValue("id"), clinic.ErrNotFound)
	}
	return n, nil
}

// handler adapts a function returning (status, body, error) to http.HandlerFunc with the
// one error path.
func (a *API) handler(f func(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		status, body, err := f(r.Context(), r, w)
		if err != nil {
			web.WriteProblem(w, r, a.log, err)
			return
		}
		switch b := body.(type) {
		case nil:
			w.WriteHeader(status)
		case rawJSON:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			w.Write(b)
		case *pooledJSON:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			w.Write(b.b)
			b.release()
		default:
			web.WriteJSON(w, status, body)
		}
	}
}

// rawJSON is a body already encoded (large or stored answers), written as it is.
type rawJSON []byte

// pooledJSON is an encoded body in a buffer that goes back to its pool once written: a
// 90-day availability answer is most of a megabyte, and allocating one per request at
// 100 requests a second made the garbage collector the largest cost.
type pooledJSON struct {
	b    []byte
	pool *sync.Pool
}

func (p *pooledJSON) release() {
	if cap(p.b) <= 8<<20 { // keep ordinary buffers, let outsized ones go
		p.pool.Put(p)
	}
}

// Routes is the API's route table.
func (a *API) Routes() []web.Route {
	var rs []web.Route
	rs = append(rs, a.organisationRoutes()...)
	rs = append(rs, a.databaseRoutes()...)
	rs = append(rs, a.clinicRoutes()...)
	rs = append(rs, a.practitionerRoutes()...)
	rs = append(rs, a.agendaRoutes()...)
	rs = append(rs, a.reasonRoutes()...)
	rs = append(rs, a.patientRoutes()...)
	rs = append(rs, a.appointmentRoutes()...)
	rs = append(rs, a.scheduleRoutes()...)
	rs = append(rs, a.consentRoutes()...)
	rs = append(rs, a.notifyRoutes()...)
	for i := range rs {
		rs[i].Auth = web.Bearer
	}
	rs = append(rs, web.Route{Method: http.MethodGet, Pattern: Prefix + "/openapi.json", Auth: web.Public, Handler: a.openAPIHandler(rs)})
	return rs
}
