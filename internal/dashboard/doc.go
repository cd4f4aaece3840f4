// Package dashboard is the staff web interface of Tidings: server-rendered HTML pages for
// signing in, switching clinic, the agenda's day and week views as time grids
// (agenda_grid.go: appointments placed and sized by their times, free time, closed days and
// absences shaded, status buttons, booking from a free start, moving and cancelling), the
// patient list, search and file, the schedules
// (weekly hours, exceptions, absences and the appointments an absence falls on), the
// consultation reasons, a clinic's booking rules (POR-2, POR-4), the staff side of its
// patient portal (POR-1, POR-3, POR-5, POR-7: on or off and its address, online booking,
// the late-cancellation fee with its warning, the embeddable Book button with its preview
// and code, "Send (N) invites"; the duplicate-e-mail report, POR-6; a patient's portal
// account and invitation in their file), the waitlist (POR-9: who waits at the clinic,
// each freed time with every offer made of it and its outcome, the form that puts a patient
// on it and the Remove button; its waves on the portal settings page), communication consent
// (CON-1..9: each clinical database's "respect opt-out status" setting with its dry run and,
// for a shared database, a confirmation naming every clinic; the agenda × channel table; the
// patient switch, consent per channel and purpose, its history and "why would or wouldn't
// this patient get…?" in the patient file; the consent conflicts), the notifications (the
// clinic's communication log with today's counts and the SMS budget, NOT-9; one notification
// with its history, consent decisions and NOT-4 group; the outbox the demo sends to; the SMS
// inbox with its unread badge in the navigation, NOT-10; the clinic's sending settings, NOT-8;
// the message templates with a live preview and SMS segment count, NOT-2; the SMS accounts;
// and each patient's latest messages in the file), secure messaging (MSG-1..MSG-6: the
// clinic's switches and lists, the staff inbox with its tabs and unread badge, a
// conversation with its attachments, read receipts, assignment, closing and handover, and
// GET /events, the stream of events its pages follow) and the audit log (ADM-5).
// It owns its handlers (one file per action, Miniflux style), its templates and its static
// assets, all embedded and all parsed by New, so a broken template fails the boot rather
// than a request.
//
// What it guarantees:
//   - Patient data never travels in URLs or logs: links and cursors carry ids only, the
//     patient search is a POST form, and logged errors carry ids and the request id.
//   - Every page that shows patient data records an audit row per patient shown (ADM-2)
//     after rendering succeeded and before the first byte is written; when the audit write
//     fails, an error page is shown instead of the data.
//   - Another organisation's records are "not found", never "forbidden".
//   - Pages work without JavaScript. htmx (embedded, loaded with defer) only narrows round
//     trips: the patient searches swap their results fragment, and a status button swaps
//     the agenda from the page its redirect leads to. The template editor's own small script
//     (static/preview.js) posts the text as one types and swaps in the preview fragment;
//     without it, the editor's Preview button renders the same on the whole page. The
//     portal settings' Book button preview is swapped by htmx as its size and colour
//     change, and styled by static/portal.js from a data attribute (the policy forbids
//     inline styles; the CSSOM is allowed); without it, the Preview button shows the whole
//     page, the button in its size. The
//     agenda grid's script (static/agenda.js) loads an opened appointment's actions in
//     place and moves an appointment dragged to a free time through the move form, after
//     asking; without it, an appointment opens to a link to them and its Move link leads
//     to the move form. The secure messages' script (static/messages.js) listens to the
//     shared client's "tidings:event" (/rt/events.js, one stream per browser): a
//     conversation appends the messages that came (an htmx GET of the items after its last)
//     and shows read receipts, the inbox reads its list again; without it, a reload shows
//     the same. htmx is configured by a
//     <meta name="htmx-config"> tag because the Content-Security-Policy (default-src 'self')
//     forbids inline script and style.
//
// Forms follow Post/Redirect/Get. A change redirects with ?done=KEY, one of a fixed set of
// confirmations (flash.go), rather than a cookie: nothing to expire or clear, and the URL
// carries no patient data and no free text. A refused form is shown again with what was
// typed: 422 with each field named in the form's words ("Monday, second interval, end"
// for hours[Monday][1].end: field_labels.go), or 409 with the reason (a time
// taken meanwhile, a stale version). Every appointment form carries the version it was shown
// at. What the booking use case asks rather than refuses (a time outside the agenda's hours
// or off its grid, the patient's second appointment that day) comes back as a 409 with the
// form as sent and the question ("Outside Dr Lovelace's hours — book anyway?"); its button
// sends the same form with confirm naming what it confirms. Cancelling goes through a
// confirmation page that asks for the reason (required here, since a person is there to
// give it; optional in the API, for integrations that do not know it), kept in the
// appointment's history, which its own page (/appointments/{id}) shows with its messages
// and the buttons booking.Actions offers that day. Handlers decode the form, call a use case (booking, directory, patient) and show its
// answer: the rules, the permission finer than the route's, the transaction and the audit
// row are the use case's, the same for the API. A form's own decoding problems (a time not
// written HH:MM) travel with the call so that one answer names every field. The notification
// settings forms show each problem beside its field under the field's label ("Grace period"),
// not its wire name (grace_seconds), since the people who fill them in never see the API.
//
// Times are typed as the clinic's clock shows them and resolved in its zone by
// walltime.At, not by time.Date, which picks a side of a daylight-saving change without
// saying which: a time the clocks skip is refused naming its field, and a time they repeat is
// read as the earlier instant and the confirmation says so. Days and weeks are bounded by
// local midnights, so they have 23 to 25 and 167 to 169 hours.
//
// Pages are in English or French (ADM-6): the language the user chose in the header, else
// the browser's Accept-Language, else the current clinic's language (i18n.ForRegion), else
// English. Rendering, layouts, flashes, static assets and error pages come from internal/page,
// which the patient portal shares; every text goes through the catalog of internal/i18n:
// templates write {{t "English text"}}, and labels, flash texts, titles and the domain's
// field-error reasons stay English in Go and are translated by the templates.
//
// Authentication and the per-route permission check are the server's: each route of
// Routes declares its web.AuthKind and clinic.Permission, and the server runs the check
// before the handler, answering refusals through RenderError.
//
// It must not import the api or server packages (server imports it, and api is its JSON
// sibling), nor the dispatcher (the outbox is named by a constant); it reaches the database
// only through the store, and changes appointments only through the booking service
// (internal/booking), which keeps them conflict-safe.
package dashboard
