package contact

import (
	"errors"
	"strings"
	"testing"
)

// fuzzRegions are the clinic regions FuzzMobile chooses from; the fuzzer
// picks one with a byte so it can explore every plan cheaply.
var fuzzRegions = [...]string{"AU", "FR", "US", "GB", "NZ", "DE", "IT", "AR", "MX", "BR", "IN", "JP"}

// allowedReasons lists every Error.Reason the package may produce for the
// given region. The fuzz targets require errors to come from this fixed
// set, which is a stronger guarantee than "does not contain the input":
// no error text can depend on what the patient typed.
func allowedReasons(region string) map[string]bool {
	m := make(map[string]bool)
	for _, r := range []string{
		reasonNotPhone, reasonTooLong, reasonInvalid, reasonNotMobile,
		reasonHasExtension, invalidForRegion(region),
		reasonNotEmail, reasonEmailTooLong, reasonLocalTooLong, reasonDisplayName,
		reasonBadLocal, reasonBadDomain, reasonEmailSpace, reasonEmailCharacter,
	} {
		m[r] = true
	}
	return m
}

// checkFuzzError enforces the error invariants shared by the fuzzers.
func checkFuzzError(t *testing.T, field, region, raw string, err error) {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error is %T (%v), want *Error", err, err)
	}
	if ce.Field != field || !allowedReasons(region)[ce.Reason] {
		t.Fatalf("unexpected error {%q %q}", ce.Field, ce.Reason)
	}
	// Short inputs like "a" occur in any sentence; beyond that, the
	// message must never contain what was typed.
	if s := strings.TrimSpace(raw); len(s) >= 4 && strings.Contains(err.Error(), s) {
		t.Fatalf("error %q contains the input", err)
	}
}

func FuzzMobile(f *testing.F) {
	seeds := []struct {
		raw    string
		region byte
	}{
		{"0412 345 678", 0}, {"+61 412 345 678", 0}, {"0011 61 412 345 678", 0},
		{"06 12 34 56 78", 1}, {"+33 (0)6 12 34 56 78", 1}, {"0033612345678", 1},
		{"(201) 555-0123", 2}, {"07700 900123", 3}, {"021 123 4567", 4},
		{"0151 23456789", 5}, {"312 345 6789", 6}, {"011 15-2345-6789", 7},
		{"+52 1 55 1234 5678", 8}, {"(11) 91234-5678", 9}, {"98765 43210", 10},
		{"090-1234-5678", 11}, {"02 9876 5432", 0}, {"01 23 45 67 89", 1},
		{"", 0}, {"+", 0}, {"+999 1234", 0}, {"0412 345 678 ext 5", 0},
		{"１２３", 0}, {"٠٤١٢٣٤٥٦٧٨", 0}, {strings.Repeat("9", 70), 0},
		{"--((..))//", 1}, {"\xff\xfe", 0},
	}
	for _, s := range seeds {
		f.Add(s.raw, s.region)
	}
	f.Fuzz(func(t *testing.T, raw string, r byte) {
		region := fuzzRegions[int(r)%len(fuzzRegions)]
		for _, fn := range []struct {
			field string
			f     func(string, string) (string, error)
		}{{"mobile", Mobile}, {"phone", Phone}} {
			out, err := fn.f(raw, region)
			if err != nil {
				checkFuzzError(t, fn.field, region, raw, err)
				continue
			}
			if !strings.HasPrefix(out, "+") || strings.Trim(out[1:], "0123456789") != "" || len(out) > 16 {
				t.Fatalf("%s(%q, %s) = %q, not E.164", fn.field, raw, region, out)
			}
			again, err := fn.f(out, region)
			if err != nil || again != out {
				t.Fatalf("%s not idempotent: %q -> %q -> %q, %v", fn.field, raw, out, again, err)
			}
			// E.164 carries its country code, so the clinic region must
			// not matter the second time round.
			other := fuzzRegions[(int(r)+1)%len(fuzzRegions)]
			if again, err := fn.f(out, other); err != nil || again != out {
				t.Fatalf("%s(%q, %s) = %q, %v; want %q", fn.field, out, other, again, err, out)
			}
		}
	})
}

func FuzzEmail(f *testing.F) {
	for _, s := range []string{
		"jane@example.com", " Jane.Doe@Example.COM ", "a+b@c.d.e", "o'brien@example.ie",
		"Bob <bob@example.com>", `"bob"@example.com`, "bob(c)@example.com",
		"a@b", "a@b.", "a@-b.com", "a@b-.com", "a@1.2.3.4", "a@[1.2.3.4]",
		"a..b@example.com", ".a@example.com", "a@@example.com", "@", "",
		"jöhn@example.com", "a@xn--bcher-kva.example", "a\x00@example.com",
		strings.Repeat("x", 65) + "@example.com", "a@" + strings.Repeat("b", 300) + ".com",
		"=?utf-8?q?J=C3=B6hn?= <john@example.com>", "a@example.com,b@example.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		out, err := Email(raw)
		if err != nil {
			checkFuzzError(t, "email", "", raw, err)
			return
		}
		if len(out) > MaxEmailLength || strings.Count(out, "@") != 1 {
			t.Fatalf("Email(%q) = %q violates basic shape", raw, out)
		}
		local, domain, _ := strings.Cut(out, "@")
		if domain != strings.ToLower(domain) {
			t.Fatalf("domain of %q not lower-cased", out)
		}
		if !strings.Contains(raw, local) {
			t.Fatalf("local part changed: %q -> %q", raw, out)
		}
		again, err := Email(out)
		if err != nil || again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", raw, out, again, err)
		}
	})
}
