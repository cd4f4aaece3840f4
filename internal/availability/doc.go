// Package availability is Tidings' pure availability engine: it turns an
// agenda's weekly working hours, dated exceptions, absences, busy
// intervals (existing appointments, holds), the duration and trailing
// buffer of the reason for visit, the clinic's time zone and the clinic's
// booking rules (horizon, minimum notice, slot grid) into the list of
// instants at which an appointment may start.
//
// Everything here is a function of its arguments. The engine never reads
// the clock (the caller passes Now), never touches a database, the
// network or the file system, and keeps no state between calls, so the
// same Query always yields the same slots and every rule can be tested
// exhaustively against a brute-force model.
//
// Time zones are handled by construction: working hours are wall-clock
// minutes of a local civil date, and the set of working instants is the
// set of instants whose local date and local wall time fall inside those
// hours. A wall time skipped by a spring-forward change therefore never
// yields a slot, a wall time repeated by a fall-back change yields two
// distinct instants, and a 09:00 opening is 09:00 local on both sides of a
// change. The engine works on whole seconds internally; durations, buffers
// and grids must be whole minutes, while busy intervals, absences, Now and
// the window may be arbitrary instants and are honoured exactly.
//
// The caller supplies the *time.Location; binaries that cannot rely on the
// host's zoneinfo should import time/tzdata themselves.
//
// Dependency rule: this package imports only the standard library. It must
// not import any other package of this module (nothing under
// github.com/tidings-health/tidings) and must not perform I/O, so that it
// stays a leaf that the booking API, the patient page and the jobs can all
// share without cycles or hidden coupling.
package availability
