package api

import "github.com/tidings-health/tidings/internal/input"

// checker collects field errors while decoding a request (see package input: the same
// rules serve the use cases and the dashboard).
type checker = input.Checker
