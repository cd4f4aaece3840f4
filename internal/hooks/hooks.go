// Package hooks is the HTTP surface providers call back (NOT-6, NOT-7, NOT-10): the SMS
// status callback (POST /hooks/sms/status?n=ID), the inbound SMS webhook (POST
// /hooks/sms/inbound) and the e-mail bounce webhook (POST /hooks/email/bounce). It only
// decodes and encodes; the inbound package's use cases check the signatures and apply them.
//
// The routes are public (providers have no session or token); each request proves where it
// comes from: a Twilio-compatible X-Twilio-Signature over the configured public URL (not the
// request's own host, which a TLS proxy rewrites), or the bounce secret as a Bearer token.
// Answers carry no patient data. Providers retry on anything but 2xx, so a duplicate or a
// stale callback is answered 204 once handled, and only a bad signature (403) or malformed
// form (400) is refused.
//
// The bounce webhook takes the raw RFC 3464 message (Content-Type message/rfc822 or
// multipart/report) as its body, at most 1 MiB: mail servers' "pipe to URL" features and
// the providers' bounce forwarding both post it that way.
package hooks

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/email"
	"github.com/tidings-health/tidings/internal/inbound"
	"github.com/tidings-health/tidings/internal/sms/twilio"
	"github.com/tidings-health/tidings/internal/web"
)

// Handler serves the hooks.
type Handler struct {
	svc *inbound.Service
	log *slog.Logger
}

// New returns the hooks over the callback use cases.
func New(svc *inbound.Service, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{svc: svc, log: log}
}

// Routes is the hooks' route table.
func (h *Handler) Routes() []web.Route {
	return []web.Route{
		{Method: "POST", Pattern: "/hooks/sms/status", Auth: web.Public, Handler: h.status},
		{Method: "POST", Pattern: "/hooks/sms/inbound", Auth: web.Public, Handler: h.inbound},
		{Method: "POST", Pattern: "/hooks/email/bounce", Auth: web.Public, Handler: h.bounce},
	}
}

// maxForm bounds a provider's form (a status callback or an inbound SMS is about 1 KiB).
const maxForm = 64 << 10

func (h *Handler) verifier(r *http.Request) inbound.Verifier {
	return func(token string) error { return twilio.Verify(token, h.svc.PublicURL, r) }
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
	if err != nil || id <= 0 {
		http.Error(w, "n: must be the notification id this callback was requested for", http.StatusBadRequest)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	h.answer(w, r, "sms status", h.svc.Status(r.Context(), id, h.verifier(r), r.PostForm))
}

func (h *Handler) inbound(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	handled, err := h.svc.Inbound(r.Context(), h.verifier(r), r.PostForm)
	if err == nil {
		h.log.InfoContext(r.Context(), "inbound sms", "request_id", web.RequestID(r.Context()), "keyword", handled.Keyword.String(),
			"inbox", handled.Inbox, "confirmed", len(handled.Confirmed), "duplicate", handled.Duplicate)
		// An empty TwiML answer: our reply, if any, goes out as its own notification.
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`)
		return
	}
	h.answer(w, r, "inbound sms", err)
}

func (h *Handler) bounce(w http.ResponseWriter, r *http.Request) {
	token, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !bearer {
		token = "" // the secret travels as a Bearer token only
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "the report is larger than 1 MiB", http.StatusRequestEntityTooLarge)
		return
	}
	_, err = h.svc.Bounce(r.Context(), token, body)
	h.answer(w, r, "email bounce", err)
}

// answer writes 204 for a handled callback and a short plain-text reason otherwise.
func (h *Handler) answer(w http.ResponseWriter, r *http.Request, what string, err error) {
	var pe *twilio.ParseError
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, inbound.ErrSignature):
		http.Error(w, "signature does not match", http.StatusForbidden)
	case errors.Is(err, email.ErrNotDSN):
		w.WriteHeader(http.StatusNoContent) // an autoreply or another report: nothing to do
	case errors.Is(err, email.ErrDSNTooLarge):
		http.Error(w, "the report is larger than 1 MiB", http.StatusRequestEntityTooLarge)
	case errors.As(err, &pe), errors.Is(err, clinic.ErrInvalid), errors.Is(err, email.ErrMalformedDSN):
		http.Error(w, err.Error(), http.StatusBadRequest)
	case errors.Is(err, clinic.ErrNotFound):
		http.Error(w, "not found", http.StatusNotFound)
	default:
		if web.Status(err) == http.StatusBadRequest || web.Status(err) == http.StatusUnprocessableEntity {
			http.Error(w, web.SafeMessage(err), http.StatusBadRequest)
			return
		}
		h.log.ErrorContext(r.Context(), what, "request_id", web.RequestID(r.Context()), "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}
