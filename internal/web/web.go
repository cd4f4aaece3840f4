// Package web is the HTTP plumbing the dashboard and the JSON API share: the route table
// (each route declares the one permission it needs), the request context (actor, request id),
// the single mapping of domain errors to HTTP statuses, RFC 9457 problem documents, strict
// JSON decoding, and audit recording.
//
// It knows the clinic vocabulary and the store, but no handler: dashboard and api register
// their routes here and server mounts them.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// AuthKind says how a route authenticates its caller.
type AuthKind int

const (
	// Public routes need no caller (sign-in page, health checks).
	Public AuthKind = iota
	// Session routes are the dashboard's: a staff session cookie.
	Session
	// Bearer routes are the JSON API's: an API token in the Authorization header.
	Bearer
	// Patient routes are the portal's pages for a signed-in patient: the portal named in
	// the path authenticates its own session cookie (a patient belongs to one
	// organisation's portals) and sends the visitor to its sign-in page. They declare no
	// permission: a patient's access is decided per record by the use cases, and another
	// patient's record is "not found".
	Patient
)

// Route is one entry of the route table. The table is the access policy: tests walk it
// for role checks and tenant isolation, and the OpenAPI document is generated from it.
type Route struct {
	Method  string // GET, POST, PATCH, ...
	Pattern string // ServeMux pattern without the method, e.g. /api/v1/patients/{id}
	Auth    AuthKind
	Perm    clinic.Permission // required unless Auth is Public or Patient
	Handler http.HandlerFunc
	Doc     *Doc // API routes only: what the OpenAPI document says
	// WriteTimeout bounds writing the response, from when the route is matched: zero takes
	// the server's default; NoWriteDeadline is for a stream (SSE) that writes for as long as
	// the client listens.
	WriteTimeout time.Duration
}

// NoWriteDeadline as a Route's WriteTimeout lets a stream write without a deadline.
const NoWriteDeadline time.Duration = -1

// Doc describes an API operation for the OpenAPI document.
type Doc struct {
	Summary  string
	Tag      string
	Request  any     // zero value of the request body type, or nil
	Response any     // zero value of the response type, or nil for 204
	List     bool    // the response is a page of Response items
	Query    []Param // query parameters
	Headers  []Param // request headers the operation reads (Idempotency-Key)
	Status   int     // success status; default 200
	Errors   []int   // error statuses besides 401/403/404/422 defaults
}

// Param is a documented query parameter or request header. Enum lists its only values;
// MaxLength bounds a string's length (0: no bound).
type Param struct {
	Name, Type, Description string
	Enum                    []string
	MaxLength               int
}

type ctxKey int

const actorKey ctxKey = 0

// WithActor returns ctx carrying the authenticated caller.
func WithActor(ctx context.Context, a clinic.Actor) context.Context {
	return context.WithValue(ctx, actorKey, a)
}

// ActorFrom returns the caller set by the authentication middleware.
func ActorFrom(ctx context.Context) (clinic.Actor, bool) {
	a, ok := ctx.Value(actorKey).(clinic.Actor)
	return a, ok
}

// MustActor returns the caller of an authenticated route. The middleware guarantees one; a
// missing actor is a wiring bug, answered as a server error rather than a data leak.
func MustActor(ctx context.Context) clinic.Actor {
	a, ok := ActorFrom(ctx)
	if !ok {
		panic("web: authenticated route reached without an actor")
	}
	return a
}

// WithRequestID returns ctx carrying the request's id (kept by the audit package, so that
// audit rows written by use cases name the request without knowing about HTTP).
func WithRequestID(ctx context.Context, id string) context.Context {
	return audit.WithRequestID(ctx, id)
}

// RequestID returns the request's id (empty outside a request).
func RequestID(ctx context.Context) string { return audit.RequestID(ctx) }

// NewRequestID makes a random id for a request that brought none.
func NewRequestID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ErrMethodNotAllowed marks a request for a path that exists, with a method it does not
// take; whoever returns it sets the Allow header.
var ErrMethodNotAllowed = errors.New("method not allowed")

// Status maps an error to its HTTP status. It is the only such mapping in the app.
func Status(err error) int {
	var mb *http.MaxBytesError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &mb):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrMalformed):
		return http.StatusBadRequest
	case errors.Is(err, ErrMethodNotAllowed):
		return http.StatusMethodNotAllowed
	case errors.Is(err, clinic.ErrInvalid):
		return http.StatusUnprocessableEntity
	case errors.Is(err, clinic.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, clinic.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, clinic.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, clinic.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, store.ErrBusy), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// SafeMessage is what a user may read about err: the domain's own words for expected
// errors, a generic sentence (plus the request id, for support) for everything else.
func SafeMessage(err error) string {
	var ce *clinic.ConflictError
	switch Status(err) {
	case http.StatusRequestEntityTooLarge:
		return "The request body is too large."
	case http.StatusBadRequest:
		return "The request could not be read."
	case http.StatusUnprocessableEntity:
		return "Some fields are not valid."
	case http.StatusNotFound:
		return "Not found."
	case http.StatusMethodNotAllowed:
		return "This address does not take this method; the Allow header lists the ones it takes."
	case http.StatusConflict:
		if errors.As(err, &ce) {
			return ce.Reason
		}
		return "This conflicts with existing data."
	case http.StatusUnauthorized:
		return "Sign in first."
	case http.StatusForbidden:
		return "Your role does not allow this."
	case http.StatusServiceUnavailable:
		return "The service is busy; try again."
	}
	return "Something went wrong on our side."
}
