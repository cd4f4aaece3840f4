package contact

import (
	"errors"
	"strings"
	"testing"
)

func TestMobile(t *testing.T) {
	tests := []struct {
		name, raw, region string
		want              string // E.164 on success
		reason            string // Error.Reason on failure
	}{
		// Australia
		{name: "AU national", raw: "0412 345 678", region: "AU", want: "+61412345678"},
		{name: "AU national compact", raw: "0412345678", region: "AU", want: "+61412345678"},
		{name: "AU international", raw: "+61 412 345 678", region: "AU", want: "+61412345678"},
		{name: "AU international no space", raw: "+61412345678", region: "AU", want: "+61412345678"},
		{name: "AU international from FR clinic", raw: "+61 412 345 678", region: "FR", want: "+61412345678"},
		{name: "AU IDD prefix", raw: "0011 61 412 345 678", region: "AU", want: "+61412345678"},
		{name: "AU punctuation", raw: "(04) 1234-5678", region: "AU", want: "+61412345678"},
		{name: "AU surrounding space", raw: "  0412 345 678\n", region: "AU", want: "+61412345678"},
		{name: "AU full-width digits", raw: "０４１２３４５６７８", region: "AU", want: "+61412345678"},
		{name: "region lower case", raw: "0412 345 678", region: "au", want: "+61412345678"},
		{name: "AU landline", raw: "02 9876 5432", region: "AU", reason: reasonNotMobile},
		{name: "AU landline international", raw: "+61 3 9876 5432", region: "AU", reason: reasonNotMobile},
		{name: "AU toll free", raw: "1800 123 456", region: "AU", reason: reasonNotMobile},
		{name: "AU too short", raw: "0412 345", region: "AU", reason: "is not a valid number for region AU"},
		{name: "AU too many digits", raw: "0412 345 6789", region: "AU", reason: "is not a valid number for region AU"},
		// France
		{name: "FR national", raw: "06 12 34 56 78", region: "FR", want: "+33612345678"},
		{name: "FR national 07", raw: "07 81 23 45 67", region: "FR", want: "+33781234567"},
		{name: "FR dotted", raw: "06.12.34.56.78", region: "FR", want: "+33612345678"},
		{name: "FR international", raw: "+33 6 12 34 56 78", region: "FR", want: "+33612345678"},
		{name: "FR international trunk zero", raw: "+33 (0)6 12 34 56 78", region: "FR", want: "+33612345678"},
		{name: "FR 00 prefix", raw: "0033 6 12 34 56 78", region: "FR", want: "+33612345678"},
		{name: "FR from AU clinic", raw: "+33612345678", region: "AU", want: "+33612345678"},
		{name: "FR landline", raw: "01 23 45 67 89", region: "FR", reason: reasonNotMobile},
		{name: "FR landline international", raw: "+33 1 23 45 67 89", region: "AU", reason: reasonNotMobile},
		{name: "FR invalid", raw: "06 12 34", region: "FR", reason: "is not a valid number for region FR"},
		{name: "DE longer than E.164 allows", raw: "20100000000000", region: "DE", reason: "is not a valid number for region DE"},
		{name: "DE longer than E.164 from AU", raw: "+49 20100000000000", region: "AU", reason: reasonInvalid},
		{name: "foreign invalid", raw: "+33 6 12", region: "AU", reason: reasonInvalid},
		// US numbers are FIXED_LINE_OR_MOBILE.
		{name: "US fixed line or mobile", raw: "(201) 555-0123", region: "US", want: "+12015550123"},
		// Garbage
		{name: "empty", raw: "", region: "AU", reason: reasonNotPhone},
		{name: "blank", raw: "   ", region: "AU", reason: reasonNotPhone},
		{name: "words", raw: "no phone", region: "AU", reason: reasonNotPhone},
		{name: "leading text", raw: "mob 0412 345 678", region: "AU", reason: reasonNotPhone},
		{name: "trailing text", raw: "0412 345 678 (after 5pm)", region: "AU", reason: reasonNotPhone},
		{name: "vanity letters", raw: "1800-FLOWERS", region: "AU", reason: reasonNotPhone},
		{name: "extension words", raw: "0412 345 678 ext 12", region: "AU", reason: reasonNotPhone},
		{name: "extension hash", raw: "02 9876 5432#12", region: "AU", reason: reasonNotPhone},
		{name: "tel uri", raw: "tel:+61-412-345-678", region: "AU", reason: reasonNotPhone},
		{name: "plus only", raw: "+", region: "AU", reason: reasonNotPhone},
		{name: "punctuation only", raw: "()--..", region: "AU", reason: reasonNotPhone},
		{name: "single digit", raw: "4", region: "AU", reason: reasonNotPhone},
		{name: "unknown country code", raw: "+999 1234 5678", region: "AU", reason: reasonNotPhone},
		{name: "newline inside", raw: "0412\n345678", region: "AU", reason: reasonNotPhone},
		{name: "invalid utf8", raw: "0412\xff345678", region: "AU", reason: reasonNotPhone},
		{name: "too long", raw: strings.Repeat("0", MaxPhoneInputLength+1), region: "AU", reason: reasonTooLong},
		{name: "too long spaced", raw: strings.Repeat("4 ", 40), region: "AU", reason: reasonTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Mobile(tt.raw, tt.region)
			checkResult(t, "mobile", tt.raw, got, err, tt.want, tt.reason)
		})
	}
}

func TestPhone(t *testing.T) {
	tests := []struct {
		name, raw, region string
		want              string
		reason            string
	}{
		{name: "AU landline", raw: "02 9876 5432", region: "AU", want: "+61298765432"},
		{name: "AU landline international", raw: "+61 3 9876 5432", region: "FR", want: "+61398765432"},
		{name: "AU mobile", raw: "0412 345 678", region: "AU", want: "+61412345678"},
		{name: "AU toll free", raw: "1800 123 456", region: "AU", want: "+611800123456"},
		{name: "FR landline", raw: "01 23 45 67 89", region: "FR", want: "+33123456789"},
		{name: "FR landline international", raw: "+33 1 23 45 67 89", region: "AU", want: "+33123456789"},
		{name: "FR mobile", raw: "06 12 34 56 78", region: "FR", want: "+33612345678"},
		{name: "AU invalid", raw: "02 9876", region: "AU", reason: "is not a valid number for region AU"},
		{name: "extension", raw: "02 9876 5432 x12", region: "AU", reason: reasonNotPhone},
		{name: "garbage", raw: "n/a", region: "AU", reason: reasonNotPhone},
		{name: "too long", raw: strings.Repeat("1", 200), region: "FR", reason: reasonTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Phone(tt.raw, tt.region)
			checkResult(t, "phone", tt.raw, got, err, tt.want, tt.reason)
		})
	}
}

// TestPhoneExtensionUnreachable documents that the extension check in
// parse is defence in depth: the character filter already refuses every
// extension syntax the parser understands.
func TestPhoneExtensionUnreachable(t *testing.T) {
	for _, raw := range []string{"02 9876 5432 ext. 12", "02 9876 5432;ext=12", "02 9876 5432 #12", "02 9876 5432 x 12"} {
		_, err := Phone(raw, "AU")
		var ce *Error
		if !errors.As(err, &ce) || ce.Reason != reasonNotPhone {
			t.Errorf("Phone(%q) err = %v", raw, err)
		}
	}
}

func TestUnknownRegion(t *testing.T) {
	for _, region := range []string{"", "XX", "AUS", "001", "ZZ"} {
		for name, fn := range map[string]func(string, string) (string, error){"Mobile": Mobile, "Phone": Phone} {
			_, err := fn("+61412345678", region)
			if !errors.Is(err, ErrUnknownRegion) {
				t.Errorf("%s(region %q) err = %v, want ErrUnknownRegion", name, region, err)
			}
			var ce *Error
			if errors.As(err, &ce) {
				t.Errorf("%s(region %q): a configuration error must not be a user-facing *Error", name, region)
			}
		}
	}
}

// checkResult asserts either success with want, or an *Error for field
// with the given reason whose message does not contain the input.
func checkResult(t *testing.T, field, raw, got string, err error, want, reason string) {
	t.Helper()
	if reason == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		if got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		return
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v (%T), want *Error", err, err)
	}
	if got != "" {
		t.Fatalf("returned %q together with an error", got)
	}
	if ce.Field != field || ce.Reason != reason {
		t.Fatalf("err = {%q %q}, want {%q %q}", ce.Field, ce.Reason, field, reason)
	}
	if s := strings.TrimSpace(raw); len(s) >= 3 && strings.Contains(err.Error(), s) {
		t.Fatalf("error %q leaks the input", err)
	}
}
