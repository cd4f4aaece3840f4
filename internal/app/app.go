// Package app builds Tidings' services once and assembles the HTTP surfaces over them: the
// use cases (booking with its availability cache, directory, patients), the dashboard, the
// JSON API and the server that mounts both. The command line, the benchmarks and the
// end-to-end tests all call New, so there is one wiring and one instance of each service;
// the notification planner and the capabilities to come are injected here.
//
// Imports point one way: it sits above the server and below the command line.
package app

import (
	"log/slog"
	"time"

	"github.com/tidings-health/tidings/internal/api"
	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/dashboard"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/server"
	"github.com/tidings-health/tidings/internal/session"
	"github.com/tidings-health/tidings/internal/store"
)

// Services are the use cases, one of each per process.
type Services struct {
	Booking   *booking.Service
	Directory *directory.Service
	Patients  *patient.Service
}

// NewServices builds the use cases over db.
func NewServices(db *store.DB) Services {
	return Services{Booking: booking.New(db), Directory: directory.New(db), Patients: patient.New(db)}
}

// Config is what New needs from the process.
type Config struct {
	DB       *store.DB
	Sessions *session.Manager
	Logger   *slog.Logger
	Now      func() time.Time // the dashboard's clock; default time.Now
	Version  string
}

// New builds the services and the server over them.
func New(cfg Config) (*server.Server, Services, error) {
	svc := NewServices(cfg.DB)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	pages, err := dashboard.New(dashboard.Deps{DB: cfg.DB, Sessions: cfg.Sessions, Logger: cfg.Logger, Now: cfg.Now,
		Booking: svc.Booking, Directory: svc.Directory, Patients: svc.Patients})
	if err != nil {
		return nil, svc, err
	}
	a := api.New(api.Deps{DB: cfg.DB, Logger: cfg.Logger, Booking: svc.Booking, Directory: svc.Directory, Patients: svc.Patients})
	srv, err := server.New(server.Config{Logger: cfg.Logger, DB: cfg.DB, Sessions: cfg.Sessions, Pages: pages, API: a.Routes(), Version: cfg.Version})
	return srv, svc, err
}
