package page

import (
	"errors"
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/web"
)

// Error is the data of an error page: the status, its title and a safe message (catalog
// keys, English, translated by the template), and the fields a validation error names.
type Error struct {
	Status  int
	Title   string
	Message string
	Fields  []clinic.FieldError
}

// ErrorOf is the error page of err: the status and the text come from web.Status and
// web.SafeMessage, and the fields from a clinic.ValidationError. It never holds err's
// internal cause.
func ErrorOf(err error) Error {
	status := web.Status(err)
	e := NewError(status, web.SafeMessage(err))
	var ve *clinic.ValidationError
	if errors.As(err, &ve) {
		e.Fields = ve.Fields
	}
	return e
}

// NewError is the error page of status with message, which must be safe to show.
func NewError(status int, message string) Error {
	return Error{Status: status, Title: ErrorTitle(status), Message: message}
}

// ErrorTitle names an error status in people's words rather than HTTP's.
func ErrorTitle(status int) string {
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

// MsgCrossOrigin is what a person reads when http.CrossOriginProtection refused their form.
const MsgCrossOrigin = "This form was sent from another site and was refused."

// DenyCrossOrigin is the deny handler a surface gives http.CrossOriginProtection
// (SetDenyHandler): a 403 error page in the surface's layout, through render.
func DenyCrossOrigin(render func(w http.ResponseWriter, r *http.Request, status int, message string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		render(w, r, http.StatusForbidden, MsgCrossOrigin)
	})
}
