package hl7

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidate(t *testing.T) {
	msh := func(typ, id, version string) string {
		return `MSH|^~\&|APP|FAC|TIDINGS||20260101120000||` + typ + "|" + id + "|P|" + version + "\rPID|1"
	}
	tests := []struct {
		name string
		text string
		want *ValidationError // nil: valid
	}{
		{"valid", msh("ADT^A04", "1", "2.5"), nil},
		{"valid 2.3.1", msh("ADT^A04", "1", "2.3.1"), nil},
		{"valid version with profile", msh("ADT^A04", "1", "2.4^AUS&&ISO3166_1"), nil},
		{"valid 199 character id", msh("ADT^A04", strings.Repeat("9", 199), "2.5"), nil},
		{"valid type without trigger", msh("ACK", "1", "2.2"), nil},
		{"type missing", msh("", "1", "2.5"), &ValidationError{"MSH", 9, 0, 101, "MSH-9 message type is missing"}},
		{"only a trigger", msh("^A04", "1", "2.5"), &ValidationError{"MSH", 9, 0, 101, "MSH-9 message type is missing"}},
		{"type code too long", msh("ADTX^A04", "1", "2.5"), &ValidationError{"MSH", 9, 1, 103, "MSH-9.1 message code is not three letters or digits"}},
		{"type code lower case", msh("adt^A04", "1", "2.5"), &ValidationError{"MSH", 9, 1, 103, "MSH-9.1 message code is not three letters or digits"}},
		{"type code escaped", msh(`AD\T\^A04`, "1", "2.5"), &ValidationError{"MSH", 9, 1, 103, "MSH-9.1 message code is not three letters or digits"}},
		{"control id missing", msh("ADT^A04", "", "2.5"), &ValidationError{"MSH", 10, 0, 101, "MSH-10 message control id is missing"}},
		{"control id blank", msh("ADT^A04", "   ", "2.5"), &ValidationError{"MSH", 10, 0, 101, "MSH-10 message control id is missing"}},
		{"control id too long", msh("ADT^A04", strings.Repeat("9", 200), "2.5"), &ValidationError{"MSH", 10, 0, 102, "MSH-10 message control id is longer than 199 characters"}},
		{"version missing", msh("ADT^A04", "1", ""), &ValidationError{"MSH", 12, 0, 101, "MSH-12 version is missing"}},
		{"version not v2", msh("ADT^A04", "1", "3.0"), &ValidationError{"MSH", 12, 0, 203, "MSH-12 version is not an HL7 version 2 number such as 2.3.1 or 2.5"}},
		{"version with a V", msh("ADT^A04", "1", "V2.4"), &ValidationError{"MSH", 12, 0, 203, "MSH-12 version is not an HL7 version 2 number such as 2.3.1 or 2.5"}},
		{"version words", msh("ADT^A04", "1", "2.x"), &ValidationError{"MSH", 12, 0, 203, "MSH-12 version is not an HL7 version 2 number such as 2.3.1 or 2.5"}},
		{"first problem wins", msh("", "", ""), &ValidationError{"MSH", 9, 0, 101, "MSH-9 message type is missing"}},
		{"header cut short", `MSH|^~\&|APP|FAC`, &ValidationError{"MSH", 9, 0, 101, "MSH-9 message type is missing"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(mustParse(t, tc.text))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			if diff := cmp.Diff(tc.want, ve); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if err.Error() != "hl7: "+tc.want.Reason {
				t.Errorf("Error() = %q", err)
			}
			if d := ve.ErrDetail(); d.Segment != "MSH" || d.Occurrence != 1 || d.Field != tc.want.Field || d.Code != tc.want.Code {
				t.Errorf("ErrDetail = %+v", d)
			}
		})
	}
	if err := Validate(nil); err == nil {
		t.Error("Validate(nil) passed")
	}
	if err := Validate(&Message{}); err == nil {
		t.Error("Validate(empty) passed")
	}
}

func TestVersionBefore(t *testing.T) {
	for v, want := range map[string]bool{"2.3": true, "2.3.1": true, "2.4": true, "2.5": false, "2.5.1": false, "2.10": false, "": false, "x": false} {
		if got := versionBefore(v, 5); got != want {
			t.Errorf("versionBefore(%q, 5) = %v", v, got)
		}
	}
}
