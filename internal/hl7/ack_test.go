package hl7

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

var ackTime = time.Date(2026, 3, 1, 9, 30, 16, 0, time.FixedZone("", 11*3600))

func ackText(m *Message) string { return strings.ReplaceAll(string(Encode(m)), "\r", "\n") }

func TestACK(t *testing.T) {
	a04, _ := Parse(readSample(t, "adt_a04.hl7"))
	a08, _ := Parse(readSample(t, "adt_a08.hl7"))
	oru, _ := Parse(readSample(t, "oru_r01.hl7"))
	v25 := mustParse(t, `MSH|^~\&|BPS|CLINIC^1.2.36.1^ISO|TIDINGS|TIDINGS|20260101||SIU^S12^SIU_S12|`+strings.Repeat("9", 250)+"|T^I|2.5\rSCH|1")
	tests := []struct {
		name string
		req  *Message
		code AckCode
		text string
		opts []AckOption
		want string
	}{
		{"accept", a04, AckAccept, "", []AckOption{WithControlID("T1"), WithTime(ackTime)},
			`MSH|^~\&|TIDINGS|TIDINGS|BPS|GREENHILLS MC^8003621566684455^AUSHIC|20260301093016+1100||ACK^A04^ACK|T1|P|2.4^AUS&&ISO3166_1` + "\n" +
				"MSA|AA|BP20260301093015001\n"},
		{"accept with text", a08, AckAccept, "Patient updated", []AckOption{WithControlID("T2"), WithTime(ackTime)},
			`MSH|^~\&|TIDINGS|TIDINGS|MD|RIVERBEND CLINIC|20260301093016+1100||ACK^A08^ACK|T2|P|2.3.1` + "\n" +
				"MSA|AA|MD000045870|Patient updated\n"},
		{"error from a validation error, v2.5, long control id cut", v25, AckReject, "MSH-10 message control id is longer than 199 characters",
			[]AckOption{WithControlID("T3"), WithTime(ackTime), WithCause(fmt.Errorf("inbound: %w", Validate(v25)))},
			`MSH|^~\&|TIDINGS|TIDINGS|BPS|CLINIC^1.2.36.1^ISO|20260301093016+1100||ACK^S12^ACK|T3|T^I|2.5` + "\n" +
				"MSA|AR|" + strings.Repeat("9", 199) + "|MSH-10 message control id is longer than 199 characters\n" +
				"ERR||MSH^1^10|102^Data type error^HL70357|E||||MSH-10 message control id is longer than 199 characters\n"},
		{"error before v2.5 also fills ERR-1", a08, AckError, "PID-3 has no identifier",
			[]AckOption{WithControlID("T4"), WithTime(ackTime), WithErrDetail(ErrDetail{Segment: "PID", Occurrence: 1, Field: 3, Code: CodeRequiredFieldMissing})},
			`MSH|^~\&|TIDINGS|TIDINGS|MD|RIVERBEND CLINIC|20260301093016+1100||ACK^A08^ACK|T4|P|2.3.1` + "\n" +
				"MSA|AE|MD000045870|PID-3 has no identifier\n" +
				"ERR|PID^1^3^101&Required field missing&HL70357|PID^1^3|101^Required field missing^HL70357|E||||PID-3 has no identifier\n"},
		{"error with the request's own delimiters and no cause", oru, AckError, "",
			[]AckOption{WithControlID("T5"), WithTime(ackTime)},
			`MSH|^~\&#|TIDINGS|TIDINGS|OPTOMATE|CLEARVIEW OPTOMETRY|20260301093016+1100||ACK^R01^ACK|T5|P|2.7` + "\n" +
				"MSA|AE|OPT000912\n" +
				"ERR|||207^Application internal error^HL70357|E\n"},
		{"unsupported type with location and warning severity", a04, AckReject, "",
			[]AckOption{WithControlID("T6"), WithTime(ackTime), WithErrDetail(ErrDetail{Segment: "MSH", Occurrence: 1, Field: 9, Component: 1, Code: CodeUnsupportedMessageType, Severity: "W"})},
			`MSH|^~\&|TIDINGS|TIDINGS|BPS|GREENHILLS MC^8003621566684455^AUSHIC|20260301093016+1100||ACK^A04^ACK|T6|P|2.4^AUS&&ISO3166_1` + "\n" +
				"MSA|AR|BP20260301093015001|Unsupported message type\n" +
				"ERR|MSH^1^9^200&Unsupported message type&HL70357|MSH^1^9^^1|200^Unsupported message type^HL70357|W||||Unsupported message type\n"},
		{"commit codes, lower case, unknown code", a08, "cr", "", []AckOption{WithControlID("T7"), WithTime(ackTime)},
			`MSH|^~\&|TIDINGS|TIDINGS|MD|RIVERBEND CLINIC|20260301093016+1100||ACK^A08^ACK|T7|P|2.3.1` + "\n" +
				"MSA|CR|MD000045870\n" +
				"ERR|^^^207&Application internal error&HL70357||207^Application internal error^HL70357|E\n"},
		{"unknown code is AE; default control id", a08, "XX", "", []AckOption{WithTime(ackTime)},
			`MSH|^~\&|TIDINGS|TIDINGS|MD|RIVERBEND CLINIC|20260301093016+1100||ACK^A08^ACK|ACKMD000045870|P|2.3.1` + "\n" +
				"MSA|AE|MD000045870\n" +
				"ERR|^^^207&Application internal error&HL70357||207^Application internal error^HL70357|E\n"},
		{"text cleaned and cut", a04, AckError, "line one\r\nline two | with a pipe " + strings.Repeat("x", 300), []AckOption{WithControlID("T8"), WithTime(ackTime), WithCause(errors.New("plain"))},
			`MSH|^~\&|TIDINGS|TIDINGS|BPS|GREENHILLS MC^8003621566684455^AUSHIC|20260301093016+1100||ACK^A04^ACK|T8|P|2.4^AUS&&ISO3166_1` + "\n" +
				`MSA|AE|BP20260301093015001|line one  line two \F\ with a pipe ` + strings.Repeat("x", 80-len("line one  line two | with a pipe ")) + "\n" +
				`ERR|^^^207&Application internal error&HL70357||207^Application internal error^HL70357|E||||line one  line two \F\ with a pipe ` + strings.Repeat("x", 250-len("line one  line two | with a pipe ")) + "\n"},
		{"nil request", nil, AckReject, "unreadable", []AckOption{WithControlID("T9"), WithTime(ackTime)},
			`MSH|^~\&|||||20260301093016+1100||ACK^^ACK|T9|P|2.5` + "\n" +
				"MSA|AR||unreadable\n" +
				"ERR|||207^Application internal error^HL70357|E||||unreadable\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ackText(ACK(tc.req, tc.code, tc.text, tc.opts...))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			ack, err := Parse([]byte(strings.ReplaceAll(got, "\n", "\r")))
			if err != nil {
				t.Fatalf("the ACK does not parse: %v", err)
			}
			if err := Validate(ack); err != nil {
				t.Errorf("the ACK does not validate: %v", err)
			}
		})
	}
}

func TestACKDefaultTimeAndID(t *testing.T) {
	before := time.Now()
	ack := ACKRaw(nil, AckReject, "")
	at, _, err := ack.Time(time.UTC)
	if err != nil || at.Before(before.Truncate(time.Second)) || at.After(time.Now()) {
		t.Errorf("MSH-7 = %v, %v", at, err)
	}
	if id := ack.ControlID(); !strings.HasPrefix(id, "ACK") || len(id) < 10 {
		t.Errorf("default control id %q", id)
	}
}

// TestACKRaw: what an acknowledgement salvages from messages that do not parse.
func TestACKRaw(t *testing.T) {
	type summary struct {
		Delims                     string
		SendApp, SendFac, RecvApp  string
		RecvFac, Type, OrigID, Ver string
		Processing                 string
	}
	tests := []struct {
		name string
		raw  string
		want summary
	}{
		{"valid message", string(readSample(t, "adt_a40.hl7")),
			summary{`|^~\&`, "TIDINGS", "TIDINGS", "MD", "RIVERBEND CLINIC", "ACK^A40^ACK", "MD000045871", "2.3.1", "P"}},
		{"bad segment later", `MSH|^~\&|BPS|CLINIC|TIDINGS|TIDINGS|20260101||ADT^A04|C1|P|2.4` + "\rPID|1||123||CITIZEN^JANE\rSMITH^JOHN|1",
			summary{`|^~\&`, "TIDINGS", "TIDINGS", "BPS", "CLINIC", "ACK^A04^ACK", "C1", "2.4", "P"}},
		{"own delimiters, second MSH", "MSH#$%!*#BPS#CLINIC#TIDINGS#TIDINGS#20260101##ADT$A08#C2#T#2.3.1\rMSH#$%!*#X",
			summary{"#$%!*", "TIDINGS", "TIDINGS", "BPS", "CLINIC", "ACK^A08^ACK", "C2", "2.3.1", "T"}},
		{"incomplete MSH-2", "MSH|^~|BPS|CLINIC|TIDINGS|TIDINGS|20260101||ADT^A04|C3|P|2.5\rPID|1",
			summary{`|^~\&`, "TIDINGS", "TIDINGS", "BPS", "CLINIC", "ACK^A04^ACK", "C3", "2.5", "P"}},
		{"LF and MLLP framing", "\x0bMSH|^~\\&|BPS|CLINIC|||20260101||SIU^S12|C4|P|2.4\npid|1\x1c\r",
			summary{`|^~\&`, "", "", "BPS", "CLINIC", "ACK^S12^ACK", "C4", "2.4", "P"}},
		{"header cut short", "MSH|^~\\&|BPS|CLI",
			summary{`|^~\&`, "", "", "BPS", "CLI", "ACK^^ACK", "", "2.5", "P"}},
		{"garbage in the header", "MSH|^~\\&|BPS\x00|CLINIC|||x||ADT^A\\X30\\4^^^^|C5\r\nX|P^Z|VERSION\rBAD",
			summary{`|^~\&`, "", "", "BPS", "CLINIC", "ACK^A04^ACK", "C5", "2.5", "P"}},
		{"swapped delimiters", "MSH^~|\\&^BPS^CLINIC^^^^^ADT~A04^C6\rBAD",
			summary{`^~|\&`, "", "", "BPS", "CLINIC", "ACK^A04^ACK", "C6", "2.5", "P"}},
		{"field separator clashes with the standard set", "MSH^~|^BPS^CLINIC\rBAD",
			summary{`|^~\&`, "", "", "", "", "ACK^^ACK", "", "2.5", "P"}},
		{"letter separator", "MSHX^~\\&XBPS", summary{`|^~\&`, "", "", "", "", "ACK^^ACK", "", "2.5", "P"}},
		{"no MSH", "PID|1||123||CITIZEN^JANE", summary{`|^~\&`, "", "", "", "", "ACK^^ACK", "", "2.5", "P"}},
		{"empty", "", summary{`|^~\&`, "", "", "", "", "ACK^^ACK", "", "2.5", "P"}},
		{"binary", "\xff\xfe\x00\x01MSH|", summary{`|^~\&`, "", "", "", "", "ACK^^ACK", "", "2.5", "P"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, perr := Parse([]byte(tc.raw))
			ack := ACKRaw([]byte(tc.raw), AckReject, "refused", WithControlID("A1"), WithTime(ackTime), WithCause(perr))
			got := summary{
				Delims:  string(ack.delims.Field) + ack.delims.EncodingCharacters(),
				SendApp: ack.SendingApplication().String(), SendFac: ack.SendingFacility().String(),
				RecvApp: ack.ReceivingApplication().String(), RecvFac: ack.ReceivingFacility().String(),
				Type: ack.Type().String(), OrigID: ack.Get("MSA-2"), Ver: ack.Version(), Processing: ack.ProcessingID(),
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			back, err := Parse(Encode(ack))
			if err != nil {
				t.Fatalf("the ACK does not parse: %v", err)
			}
			if back.Get("MSA-1") != "AR" || back.Get("MSA-3") != "refused" || back.Get("ERR-3") == "" {
				t.Errorf("MSA/ERR: %q", Encode(back))
			}
		})
	}
}

// TestACKRawParseErrorLocation: the ERR segment of a parse failure points at the segment.
func TestACKRawParseErrorLocation(t *testing.T) {
	raw := []byte(`MSH|^~\&|BPS|CLINIC|TIDINGS|TIDINGS|20260101||ADT^A04|C1|P|2.5` + "\rEVN|A04\rMSH|^~\\&|X")
	_, err := Parse(raw)
	ack := ACKRaw(raw, AckReject, err.Error(), WithControlID("A1"), WithTime(ackTime), WithCause(err))
	if got, want := ack.Get("ERR-2"), "MSH"; got != want {
		t.Errorf("ERR-2.1 = %q", got)
	}
	if got := ack.Get("ERR-2.2"); got != "2" {
		t.Errorf("ERR-2.2 = %q, want the second MSH", got)
	}
	if got := ack.Get("ERR-3"); got != "100" {
		t.Errorf("ERR-3 = %q", got)
	}
	if got := ack.Get("MSA-3"); got != "hl7: segment 3 is a second MSH: one message per input" {
		t.Errorf("MSA-3 = %q", got)
	}
}

// TestACKCarriesNoPatientData: whatever the request holds outside its header, and however it
// is broken, the ACK holds none of it.
func TestACKCarriesNoPatientData(t *testing.T) {
	const secret = "SECRETPATIENT"
	rapid.Check(t, func(t *rapid.T) {
		m, _ := NewMessage(genDelimiters(t))
		for _, pv := range [][2]string{{"MSH-3", "APP"}, {"MSH-4", "FAC"}, {"MSH-5", "TIDINGS"}, {"MSH-7", "20260101"},
			{"MSH-9.1", "ADT"}, {"MSH-9.2", "A04"}, {"MSH-10", "C1"}, {"MSH-11", "P"}, {"MSH-12", "2.5"}} {
			if err := m.Set(pv[0], pv[1]); err != nil {
				t.Fatal(err)
			}
		}
		nsegs := rapid.IntRange(1, 4).Draw(t, "segments")
		for range nsegs {
			fields := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) Field { return genField(t, "field") }), 0, 6).Draw(t, "fields")
			fields = append(fields, Text(secret))
			if rapid.Bool().Draw(t, "tail") {
				fields = append(fields, genField(t, "tail"))
			}
			_, _ = m.AddSegment(genSegmentName.Draw(t, "name"), fields...)
		}
		raw := Encode(m)
		switch rapid.IntRange(0, 3).Draw(t, "damage") {
		case 1: // cut anywhere after the header
			cut := strings.IndexByte(string(raw), '\r') + 1
			raw = raw[:rapid.IntRange(cut, len(raw)).Draw(t, "cut")]
		case 2: // a junk line after the header
			i := strings.IndexByte(string(raw), '\r') + 1
			raw = append(append(append([]byte{}, raw[:i]...), "junk "+secret+"\r"...), raw[i:]...)
		case 3: // a second message glued on
			raw = append(raw, raw...)
		}
		_, perr := Parse(raw)
		for _, code := range []AckCode{AckAccept, AckError, AckReject} {
			out := string(Encode(ACKRaw(raw, code, "refused", WithCause(perr), WithTime(ackTime), WithControlID("X"))))
			if strings.Contains(out, "SECRET") {
				t.Fatalf("ACK carries request data:\n%q\nfrom\n%q", out, raw)
			}
		}
	})
}
