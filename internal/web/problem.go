package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
)

// ErrMalformed marks a request body that is not the JSON the route expects.
var ErrMalformed = errors.New("malformed request")

// Problem is an RFC 9457 problem document. Errors names each refused field and why.
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail,omitempty"`
	Instance  string              `json:"instance,omitempty"`
	RequestID string              `json:"request_id,omitempty"`
	Errors    []clinic.FieldError `json:"errors,omitempty"`
}

// ProblemFor builds the problem document for err. Field errors come from validation
// errors and from decoding errors (which name the JSON field).
func ProblemFor(r *http.Request, err error) Problem {
	status := Status(err)
	p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: SafeMessage(err),
		RequestID: RequestID(r.Context())}
	var ve *clinic.ValidationError
	var de *DecodeError
	var ce *clinic.ConflictError
	switch {
	case errors.As(err, &ve):
		p.Errors = ve.Fields
	case errors.As(err, &de):
		p.Errors = []clinic.FieldError{{Field: de.Field, Reason: de.Reason}}
		p.Detail = de.Field + ": " + de.Reason
	case errors.As(err, &ce):
		p.Errors = []clinic.FieldError{{Field: ce.Field, Reason: ce.Reason}}
	}
	if status == http.StatusRequestEntityTooLarge {
		p.Errors = []clinic.FieldError{{Field: "body", Reason: "is larger than the limit"}}
	}
	return p
}

// WriteProblem answers with err as application/problem+json, and logs the internal cause
// of server errors (never sent to the client).
func WriteProblem(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p := ProblemFor(r, err)
	if p.Status >= 500 && log != nil {
		log.ErrorContext(r.Context(), "request failed", "request_id", p.RequestID, "route", r.Pattern, "err", err)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// WriteJSON answers with v as JSON.
//
// The body is encoded before anything is sent, so a value that cannot be encoded (a time
// outside years 0–9999, say) becomes a 500 problem document instead of a success status
// with an empty or cut body.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"Something went wrong on our side."}`+"\n")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// DecodeError says which field of a JSON body could not be read, and why.
type DecodeError struct {
	Field  string
	Reason string
}

func (e *DecodeError) Error() string { return "decode " + e.Field + ": " + e.Reason }

// Is makes errors.Is(err, ErrMalformed) true.
func (e *DecodeError) Is(target error) bool { return target == ErrMalformed }

// MaxBody is the largest JSON body the API reads.
const MaxBody = 1 << 20

// DecodeJSON reads exactly one JSON object into dst, refusing unknown fields, wrong types,
// trailing data and bodies over MaxBody, with an error that names the field.
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	b, err := ReadBody(w, r)
	if err != nil {
		return err
	}
	return DecodeBytes(b, dst)
}

// ReadBody reads a JSON request body of at most MaxBody bytes, for handlers that need the
// raw bytes too (an Idempotency-Key compares them).
func ReadBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/merge-patch+json") {
		return nil, &DecodeError{Field: "Content-Type", Reason: "must be application/json"}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, err
		}
		return nil, &DecodeError{Field: "body", Reason: "could not be read"}
	}
	return b, nil
}

// DecodeBytes decodes exactly one JSON object from b into dst, as DecodeJSON does.
func DecodeBytes(b []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return &DecodeError{Field: "body", Reason: "must hold a single JSON object"}
	}
	return nil
}

func decodeError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mb  *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mb):
		return err
	case errors.Is(err, io.EOF):
		return &DecodeError{Field: "body", Reason: "is empty"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &DecodeError{Field: "body", Reason: "is truncated JSON"}
	case errors.As(err, &syn):
		return &DecodeError{Field: "body", Reason: fmt.Sprintf("is not valid JSON (at byte %d)", syn.Offset)}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return &DecodeError{Field: field, Reason: "must be " + jsonKind(typ.Type.Kind().String())}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for this; the field name is in quotes.
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if name == "" {
			return &DecodeError{Field: "body", Reason: "has a field with an empty name"}
		}
		return &DecodeError{Field: name, Reason: "is not a known field"}
	}
	return &DecodeError{Field: "body", Reason: "could not be read"}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "of another type"
}
