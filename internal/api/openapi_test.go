package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestOpenAPIGolden keeps the API's contract in review: the document generated from the
// route table must equal testdata/openapi.json, so any change to a route, a wire type or a
// parameter shows as a diff of that file. Regenerate it with go test ./internal/api -update.
func TestOpenAPIGolden(t *testing.T) {
	doc := OpenAPI(New(Deps{}).Routes())
	got, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "openapi.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/api -run TestOpenAPIGolden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the OpenAPI document changed (-golden +now); if intended, run with -update:\n%s", cmp.Diff(string(want), string(got)))
	}
}
