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
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/messaging"
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
	messaging *messaging.Service
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
	Messaging *messaging.Service
}

// New builds the API.
func New(d Deps) *API {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &API{db: d.DB, log: d.Logger, booking: d.Booking, directory: d.Directory, patients: d.Patients, notify: d.Notify,
		messaging: d.Messaging}
}

// ListOf is the envelope of every list: a page of items and the cursor of the next page
// (absent on the last page).
type ListOf[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// cursor is where the next page of a list starts: after the item with this id, and for a
// list ordered by time (appointments, by start) after this time too.
type cursor struct {
	ID int64
	At time.Time // zero for lists ordered by id
}

// encodeCursor is the cursor of a list ordered by id.
func encodeCursor(id int64) string { return cursor{ID: id}.String() }

// String writes c opaquely: "id:N", or "at:MICROS:id:N" when it carries a time
// (microseconds since 1970, the precision the store keeps).
func (c cursor) String() string {
	s := "id:" + strconv.FormatInt(c.ID, 10)
	if !c.At.IsZero() {
		s = "at:" + strconv.FormatInt(c.At.UnixMicro(), 10) + ":" + s
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// errCursor is the one refusal of a cursor: the client cannot fix it except by sending
// the next_cursor it was given.
func errCursor() error { return clinic.Invalid("cursor", "is not a cursor this API returned") }

// decodeCursor reads the cursor of a list ordered by id.
func decodeCursor(s string) (int64, error) {
	c, err := parseCursor(s, false)
	return c.ID, err
}

// parseCursor reads a cursor of a list ordered by id (timed false) or by time, then id
// (timed true). A cursor of the other kind of list is refused, so that a page never starts
// at the wrong place.
func parseCursor(s string, timed bool) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, errCursor()
	}
	rest, c := string(b), cursor{}
	if at, ok := strings.CutPrefix(rest, "at:"); ok {
		micros, tail, ok := strings.Cut(at, ":")
		n, err := strconv.ParseInt(micros, 10, 64)
		if !ok || err != nil || n <= 0 || n >= maxCursorMicros {
			return cursor{}, errCursor()
		}
		c.At, rest = time.UnixMicro(n).UTC(), tail
	}
	if c.At.IsZero() == timed {
		return cursor{}, errCursor()
	}
	id, ok := strings.CutPrefix(rest, "id:")
	n, err := strconv.ParseInt(id, 10, 64)
	if !ok || err != nil || n < 0 {
		return cursor{}, errCursor()
	}
	c.ID = n
	return c, nil
}

// maxCursorMicros is the start of year 10000: no stored time is that late.
const maxCursorMicros = 253402300800 * 1_000_000

// query reads and validates query parameters, collecting every problem.
type query struct {
	r *http.Request
	v clinic.ValidationError
}

// page reads limit and cursor for a list ordered by id.
func (q *query) page() store.Page { return q.pageOf(false) }

// pageOf reads limit and cursor; timed says the list is ordered by time, then id.
func (q *query) pageOf(timed bool) store.Page {
	var p store.Page
	if s := q.r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			q.v.Add("limit", "must be an integer from 1 to 500")
		}
		p.Limit = n
	}
	if s := q.r.URL.Query().Get("cursor"); s != "" {
		c, err := parseCursor(s, timed)
		if err != nil {
			q.v.Add("cursor", "is not a cursor this API returned")
		}
		p.After, p.AfterTime = c.ID, c.At
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
// one error path. Every 201 says where the new resource is (Location, RFC 9110 §15.3.2).
func (a *API) handler(f func(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		status, body, err := f(r.Context(), r, w)
		if err != nil {
			web.WriteProblem(w, r, a.log, err)
			return
		}
		if status == http.StatusCreated && w.Header().Get("Location") == "" {
			w.Header().Set("Location", location(r, body))
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

// locator is a created resource that has a URL of its own.
type locator interface{ location() string }

// location is the Location of a 201 answering r with body: the resource's own URL when it
// has one; for an answer kept for an Idempotency-Key, the URL of the id it holds under the
// collection posted to (the kept answer is the created resource); otherwise the list the
// new item joined, which is the URL posted to (a consent record heads the patient's
// consent history; a relative joins the patient's relatives).
func location(r *http.Request, body any) string {
	switch b := body.(type) {
	case locator:
		return b.location()
	case rawJSON:
		var v struct {
			ID int64 `json:"id"`
		}
		if json.Unmarshal(b, &v) == nil && v.ID > 0 {
			return r.URL.Path + "/" + strconv.FormatInt(v.ID, 10)
		}
	}
	return r.URL.Path
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
	rs = append(rs, a.messagingRoutes()...)
	for i := range rs {
		rs[i].Auth = web.Bearer
	}
	rs = append(rs, web.Route{Method: http.MethodGet, Pattern: Prefix + "/openapi.json", Auth: web.Public, Handler: a.openAPIHandler(rs)})
	return rs
}
