package twilio_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// newLocal serves h on 127.0.0.1 for the test and returns its base URL: the application
// behind the proxy.
func newLocal(t *testing.T, h http.Handler) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}
