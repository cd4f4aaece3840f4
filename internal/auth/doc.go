// Package auth holds the security primitives Tidings builds its login and
// API-token flows on: argon2id password hashing and verification, the
// password policy shown to staff, opaque bearer tokens that are stored
// only as SHA-256 hashes, and in-process keyed limits: a token-bucket Limiter (with
// Reserve for limits that only failures consume), an exponential Backoff on repeated
// failures, and a KeySet that remembers recent successes.
//
// It deliberately knows nothing about HTTP, sessions, users or storage:
// callers decide where hashes and token hashes live and which keys are
// rate limited. Keeping it free of I/O makes every function here cheap to
// test exhaustively and easy to audit in isolation.
//
// Dependency rule: this package may import only the standard library,
// golang.org/x/crypto and golang.org/x/time. It must not import any other
// package of this module (nothing under github.com/tidings-health/tidings),
// so that it can never acquire a cycle or a hidden dependency on the app.
package auth
