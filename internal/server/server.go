// Package server assembles the HTTP side of Tidings: it mounts the dashboard's and the API's
// route tables on one ServeMux, authenticates each route the way it declares (session cookie
// or Bearer token), enforces the route's permission with one check, and wraps everything in
// the cross-cutting layers: request ids, security headers, CSRF protection
// (http.CrossOriginProtection), structured logs without patient data, Prometheus metrics,
// panic recovery, and the health endpoints.
//
// It must not contain business rules: those live behind the handlers it mounts.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/realtime"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// Pages is what the server needs of the dashboard. It is an interface so that the server's
// tests can mount a small fake set of pages.
type Pages interface {
	Routes() []web.Route // including its public sign-in page and static files
	RenderError(w http.ResponseWriter, r *http.Request, status int, message string)
}

// Config holds the server's collaborators.
type Config struct {
	Logger   *slog.Logger
	DB       *store.DB
	Sessions *session.Manager
	Pages    Pages
	API      []web.Route // the API's route table
	// Portal is the patient portal's route table (public pages and web.Patient ones).
	Portal  []web.Route
	Version string
	// WriteTimeout bounds writing each response (the http.Server has none, so that a
	// stream can go on): every request gets it, and a route may declare its own
	// (web.Route.WriteTimeout). Default DefaultWriteTimeout.
	WriteTimeout time.Duration
}

// DefaultWriteTimeout is the write deadline of a response unless its route says otherwise.
const DefaultWriteTimeout = 60 * time.Second

// setWriteDeadline sets w's write deadline d from now; d < 0 clears it. Writers that do not
// support deadlines (test recorders) are left alone.
func setWriteDeadline(w http.ResponseWriter, d time.Duration) {
	var at time.Time
	if d > 0 {
		at = time.Now().Add(d)
	}
	_ = http.NewResponseController(w).SetWriteDeadline(at)
}

// Server is the assembled http.Handler.
type Server struct {
	cfg     Config
	log     *slog.Logger
	handler http.Handler
	routes  []web.Route

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	registry *prometheus.Registry
}

// New mounts every route. A route without a permission (other than public ones) is a
// programming error and fails here, at start-up.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	s := &Server{cfg: cfg, log: cfg.Logger, registry: prometheus.NewRegistry()}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tidings_http_requests_total",
		Help: "HTTP requests by route pattern and status code."}, []string{"route", "code"})
	s.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tidings_http_request_duration_seconds",
		Help: "HTTP request latency by route pattern.", Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"route"})
	s.registry.MustRegister(s.requests, s.duration, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	mux := http.NewServeMux()
	s.routes = append(append(append([]web.Route{}, cfg.Pages.Routes()...), cfg.API...), cfg.Portal...)
	for _, r := range s.routes {
		if (r.Auth == web.Session || r.Auth == web.Bearer) && r.Perm == "" {
			return nil, fmt.Errorf("route %s %s: authenticated route without a permission", r.Method, r.Pattern)
		}
		mux.Handle(r.Method+" "+r.Pattern, s.guard(r))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	// The client script of the message streams (MSG-4), shared by the dashboard and the
	// portal: public, like the surfaces' static files.
	mux.Handle("GET "+realtime.StaticPrefix, realtime.Static())
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		// This catch-all matches every method, so the mux's own 405 never happens under
		// /api/: a path that exists with other methods is told so here (RFC 9110 §15.5.6).
		if allow := allowed(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			web.WriteProblem(w, r, s.log, fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, web.ErrMethodNotAllowed))
			return
		}
		web.WriteProblem(w, r, s.log, fmt.Errorf("no route %s: %w", r.Method, clinic.ErrNotFound))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		cfg.Pages.RenderError(w, r, http.StatusNotFound, "This page does not exist.")
	})

	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			web.WriteProblem(w, r, s.log, fmt.Errorf("cross-origin request: %w", clinic.ErrForbidden))
			return
		}
		cfg.Pages.RenderError(w, r, http.StatusForbidden, "This form was sent from another site and was refused.")
	}))
	s.handler = s.outer(csrf.Handler(mux))
	return s, nil
}

// probedMethods are the methods a 405's Allow header may list.
var probedMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// allowed lists the methods that mux routes r's path with, other than by a catch-all (a
// pattern without a method): empty when the path is unknown. A GET route takes HEAD too.
func allowed(mux *http.ServeMux, r *http.Request) []string {
	var out []string
	for _, m := range probedMethods {
		probe := *r
		probe.Method = m
		if _, pattern := mux.Handler(&probe); strings.HasPrefix(pattern, m+" ") || m == http.MethodHead && strings.HasPrefix(pattern, "GET ") {
			out = append(out, m)
		}
	}
	return out
}

// Routes returns the mounted route table (tests walk it).
func (s *Server) Routes() []web.Route { return s.routes }

// Registry exposes the metrics registry so other parts can register collectors.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// reqInfo is filled in by inner layers and read by the outer one for the log line.
type reqInfo struct{ actor string }

type infoKey struct{}

// guard authenticates r's caller the way route declares and checks its permission.
func (s *Server) guard(route web.Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if route.WriteTimeout != 0 {
			setWriteDeadline(w, route.WriteTimeout) // over the default set in outer
		}
		ctx := r.Context()
		var actor clinic.Actor
		var err error
		switch route.Auth {
		case web.Public, web.Patient:
			// A patient route authenticates at its portal (web.Patient's doc).
			route.Handler(w, r)
			return
		case web.Session:
			actor, _, err = s.cfg.Sessions.FromCookie(ctx, r)
			if errors.Is(err, clinic.ErrUnauthenticated) {
				next := r.URL.Path
				if r.Method != http.MethodGet {
					next = "/"
				}
				http.Redirect(w, r, "/login?next="+urlEscape(next), http.StatusSeeOther)
				return
			}
		case web.Bearer:
			actor, err = s.cfg.Sessions.FromBearer(ctx, r)
			if errors.Is(err, clinic.ErrUnauthenticated) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="tidings"`)
			}
		}
		if err == nil && !actor.Can(route.Perm) {
			err = fmt.Errorf("%s needs %s: %w", actor.Label, route.Perm, clinic.ErrForbidden)
		}
		if err != nil {
			if route.Auth == web.Bearer {
				web.WriteProblem(w, r, s.log, err)
			} else {
				if web.Status(err) >= 500 {
					s.log.ErrorContext(ctx, "authenticate", "request_id", web.RequestID(ctx), "err", err)
				}
				if actor.OrgID != 0 {
					// Signed in but not allowed: the error page keeps the header.
					r = r.WithContext(web.WithActor(ctx, actor))
				}
				s.cfg.Pages.RenderError(w, r, web.Status(err), web.SafeMessage(err))
			}
			return
		}
		if info, ok := ctx.Value(infoKey{}).(*reqInfo); ok {
			info.actor = actor.Label
		}
		if route.Auth == web.Bearer {
			w.Header().Set("Cache-Control", "no-store")
		}
		route.Handler(w, r.WithContext(web.WithActor(ctx, actor)))
	})
}

func urlEscape(p string) string {
	return strings.NewReplacer("%", "%25", "&", "%26", "?", "%3F", "#", "%23", " ", "%20", "+", "%2B").Replace(p)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// outer is the first layer every request meets: request id, security headers, recovery,
// metrics and the log line. The log line names the route pattern, never the URL (a URL can
// carry a query string) and never a body.
func (s *Server) outer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// Every request, routed or not, gets the default deadline: the connection keeps a
		// deadline from its previous request otherwise.
		setWriteDeadline(w, s.cfg.WriteTimeout)
		id := r.Header.Get("X-Request-ID")
		if !validRequestID(id) {
			id = web.NewRequestID()
		}
		info := &reqInfo{}
		ctx := context.WithValue(web.WithRequestID(r.Context(), id), infoKey{}, info)
		r = r.WithContext(ctx)
		h := w.Header()
		h.Set("X-Request-ID", id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(ctx, "panic", "request_id", id, "route", r.Pattern, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					web.WriteProblem(sw, r, nil, errors.New("panic"))
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			s.requests.WithLabelValues(route, fmt.Sprint(status)).Inc()
			s.duration.WithLabelValues(route).Observe(elapsed.Seconds())
			if route != "GET /healthz" && route != "GET /metrics" && route != "GET /static/" && route != "GET "+realtime.StaticPrefix {
				s.log.LogAttrs(ctx, slog.LevelInfo, "request", slog.String("request_id", id), slog.String("route", route),
					slog.Int("status", status), slog.Float64("ms", float64(elapsed.Microseconds())/1000), slog.String("actor", info.actor))
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

func validRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ready answers 200 when the database answers and its schema (the app's and River's) is
// the one this binary expects; 503 otherwise, naming what is wrong.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	problem := ""
	if err := s.cfg.DB.Ping(ctx); err != nil {
		problem = "database unreachable"
	} else if ok, err := s.cfg.DB.MigrationsCurrent(ctx); err != nil || !ok {
		problem = "database migrations pending"
	} else if ok, err := jobs.MigrationsCurrent(ctx, s.cfg.DB); err != nil || !ok {
		problem = "job queue migrations pending"
	}
	w.Header().Set("Content-Type", "application/json")
	if problem != "" {
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]string{"status": "unavailable", "reason": problem})
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"status": "ready", "version": s.cfg.Version})
}
