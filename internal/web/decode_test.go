package web_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/tidings-health/tidings/internal/web"
)

type sample struct {
	Name  *string `json:"name"`
	Count *int    `json:"count"`
	On    *bool   `json:"on"`
	Tags  []int64 `json:"tags"`
}

func TestDecodeBytes(t *testing.T) {
	tests := []struct {
		name, body, field string
	}{
		{"ok", `{"name":"a","count":2,"on":true,"tags":[1]}`, ""},
		{"empty", ``, "body"},
		{"truncated", `{"name":"a"`, "body"},
		{"syntax", `{"name":}`, "body"},
		{"unknown", `{"nme":"a"}`, "nme"},
		{"type", `{"count":"two"}`, "count"},
		{"nested type", `{"tags":["x"]}`, "tags"},
		{"trailing", `{} {}`, "body"},
		{"array", `[]`, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s sample
			err := web.DecodeBytes([]byte(tt.body), &s)
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var de *web.DecodeError
			if !errors.As(err, &de) || de.Field != tt.field || !errors.Is(err, web.ErrMalformed) {
				t.Fatalf("err = %v, want a DecodeError on %q", err, tt.field)
			}
			if web.Status(err) != http.StatusBadRequest {
				t.Errorf("status %d", web.Status(err))
			}
		})
	}
}

// FuzzDecodeBytes: any input decodes or fails with a DecodeError naming a field; never a
// panic, never another kind of error (which would become a 500).
func FuzzDecodeBytes(f *testing.F) {
	for _, s := range []string{`{}`, `{"name":"x"}`, `{"count":1e400}`, `{"tags":[1,2,"3"]}`, `{"name":"\ud800"}`, `nul`, `{"a":{"b":[}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s sample
		err := web.DecodeBytes(b, &s)
		if err == nil {
			return
		}
		var de *web.DecodeError
		if !errors.As(err, &de) || de.Field == "" || de.Reason == "" {
			t.Fatalf("input %q: error %v is not a DecodeError", b, err)
		}
		if strings.Contains(de.Reason, string(b)) && len(b) > 8 {
			t.Fatalf("reason echoes the input: %q", de.Reason)
		}
	})
}
