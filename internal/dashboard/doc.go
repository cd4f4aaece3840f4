// Package dashboard is the staff web interface of Tidings: server-rendered HTML pages for
// signing in, switching clinic, the agenda day view, the patient list, search and file, and
// the audit log (ADM-5). It owns its handlers (one file per action, Miniflux style), its
// templates and its static assets, all embedded and all parsed by New, so a broken template
// fails the boot rather than a request.
//
// What it guarantees:
//   - Patient data never travels in URLs or logs: links and cursors carry ids only, the
//     patient search is a POST form, and logged errors carry ids and the request id.
//   - Every page that shows patient data records an audit row per patient shown (ADM-2)
//     after rendering succeeded and before the first byte is written; when the audit write
//     fails, an error page is shown instead of the data.
//   - Another organisation's records are "not found", never "forbidden".
//   - Pages work without JavaScript. htmx (embedded, loaded with defer) only narrows the
//     search round trip to the results fragment, configured by a <meta name="htmx-config">
//     tag because the Content-Security-Policy (default-src 'self') forbids inline script
//     and style.
//
// Authentication and the per-route permission check are the server's: each route of
// Routes declares its web.AuthKind and clinic.Permission, and the server runs the check
// before the handler, answering refusals through RenderError.
//
// It must not import the api or server packages (server imports it, and api is its JSON
// sibling); it reaches the database only through the store.
package dashboard
