package clinic

import (
	"errors"
	"strings"
)

// Sentinel errors shared by every layer. The store translates driver errors into them by
// code; the web layers map them to statuses in one place.
var (
	// ErrNotFound: the thing does not exist in this organisation. Another tenant's record
	// is also "not found", never "forbidden", so its existence is not revealed.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a uniqueness rule or a concurrent change stands in the way.
	ErrConflict = errors.New("conflict")
	// ErrForbidden: the caller is known but their role does not allow the action.
	ErrForbidden = errors.New("forbidden")
	// ErrUnauthenticated: no valid session or token.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrInvalid: input failed validation; see *ValidationError for the fields.
	ErrInvalid = errors.New("invalid input")
)

// FieldError names one field and why it was refused. Reasons are safe to show to users
// and never echo the submitted value (it may be patient data).
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ValidationError collects every problem found in one input, so a form or API client can
// fix them all at once.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Reason
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true for validation errors.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Add records a problem with a field.
func (e *ValidationError) Add(field, reason string) {
	e.Fields = append(e.Fields, FieldError{field, reason})
}

// Err returns nil when nothing was recorded, so callers can `return v.Err()`.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Invalid is a shorthand for a one-field validation error.
func Invalid(field, reason string) error {
	return &ValidationError{Fields: []FieldError{{field, reason}}}
}

// ConflictError explains a conflict with a safe message (e.g. "e-mail already used").
type ConflictError struct {
	Field  string
	Reason string
}

func (e *ConflictError) Error() string { return "conflict: " + e.Field + ": " + e.Reason }

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// MissingReference turns "not found" of a record that a request named (an agenda_id, a
// patient_id) into a validation error on that field: the request is wrong, not the route.
// Other errors pass through.
func MissingReference(field string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return Invalid(field, "does not exist")
	}
	return err
}

// FieldsOf returns the fields of the validation error in err's chain, nil for any other
// error: surfaces use it to show a refused form's problems beside their fields.
func FieldsOf(err error) []FieldError {
	var v *ValidationError
	if errors.As(err, &v) {
		return v.Fields
	}
	return nil
}

// HasField reports whether fields names field.
func HasField(fields []FieldError, field string) bool {
	for _, f := range fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// RenameFields rewrites the fields of the validation error in err's chain with rename, which
// returns the field as a surface names it (a use case's "end" is a form's "end_time") and
// whether to keep it; any other error is returned as it is. Surfaces use it to show a use
// case's problems under their own fields.
func RenameFields(err error, rename func(FieldError) (FieldError, bool)) error {
	var v *ValidationError
	if !errors.As(err, &v) {
		return err
	}
	out := &ValidationError{}
	for _, f := range v.Fields {
		if f, keep := rename(f); keep {
			out.Fields = append(out.Fields, f)
		}
	}
	return out
}
