package dashboard

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

func TestLocalPath(t *testing.T) {
	tests := []struct {
		name, next, want string
	}{
		{"empty", "", "/fallback"},
		{"path", "/agenda", "/agenda"},
		{"path and query", "/agenda?date=2026-04-05", "/agenda?date=2026-04-05"},
		{"patient file", "/patients/12", "/patients/12"},
		{"protocol-relative", "//evil.example/x", "/fallback"},
		{"backslash host", "/\\evil.example", "/fallback"},
		{"backslash later", "/a\\b", "/fallback"},
		{"absolute URL", "https://evil.example/", "/fallback"},
		{"scheme only", "javascript:alert(1)", "/fallback"},
		{"relative", "agenda", "/fallback"},
		{"newline", "/agenda\nSet-Cookie: x=y", "/fallback"},
		{"tab", "/\t/evil.example", "/fallback"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := localPath(tc.next, "/fallback"); got != tc.want {
				t.Errorf("localPath(%q) = %q, want %q", tc.next, got, tc.want)
			}
		})
	}
}

// FuzzLocalPath checks that whatever comes in, what goes out is the fallback or a path on
// this site.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/agenda", "//x", "/\\x", "http://x/", "/a?b=c#d", "/%2F%2Fx", "\x00/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := localPath(next, "/fallback")
		if got == "/fallback" {
			return
		}
		if got != next {
			t.Fatalf("localPath(%q) = %q: neither the input nor the fallback", next, got)
		}
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/") ||
			strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n\t") {
			t.Fatalf("localPath(%q) accepted an off-site or malformed target", next)
		}
	})
}

func TestSearchFilter(t *testing.T) {
	tests := []struct {
		name    string
		q       string
		region  string
		want    store.PatientFilter
		invalid bool
	}{
		{"name", "Grace Hopper", "AU", store.PatientFilter{Name: "Grace Hopper"}, false},
		{"name with digits", "Smith 2", "AU", store.PatientFilter{Name: "Smith 2"}, false},
		{"short number is a name", "12345", "AU", store.PatientFilter{Name: "12345"}, false},
		{"national mobile", "0412 345 678", "AU", store.PatientFilter{Mobile: "+61412345678"}, false},
		{"international mobile", "+61 (0)412-345-678", "AU", store.PatientFilter{Mobile: "+61412345678"}, false},
		{"French mobile in France", "06 12 34 56 78", "FR", store.PatientFilter{Mobile: "+33612345678"}, false},
		{"landline still searches", "(02) 9876 5432", "AU", store.PatientFilter{Mobile: "+61298765432"}, false},
		{"e-mail", "Grace@EXAMPLE.com", "AU", store.PatientFilter{Email: "Grace@example.com"}, false},
		{"no clinic, international number", "+61412345678", "", store.PatientFilter{Mobile: "+61412345678"}, false},
		{"no clinic, national number", "0412 345 678", "", store.PatientFilter{}, true},
		{"empty", "", "AU", store.PatientFilter{}, true},
		{"punctuation only", "-- ..", "AU", store.PatientFilter{}, true},
		{"bad e-mail", "grace@", "AU", store.PatientFilter{}, true},
		{"bad number", "000 000", "AU", store.PatientFilter{}, true},
		{"too long", strings.Repeat("a", maxQuery+1), "AU", store.PatientFilter{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := searchFilter(tc.q, tc.region)
			if tc.invalid {
				var ve *clinic.ValidationError
				if !errors.As(err, &ve) || ve.Fields[0].Field != "q" {
					t.Fatalf("err = %v, want a validation error on q", err)
				}
				if tc.q != "" && strings.Contains(ve.Error(), tc.q) {
					t.Errorf("the error repeats the search text: %v", ve)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("filter (-want +got):\n%s", diff)
			}
		})
	}
}
