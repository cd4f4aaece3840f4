package hl7

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse: nothing panics; a refusal is a *ParseError with a reason; an accepted message
// encodes to text that parses to the same decoded values and encodes the same again; and
// an ACK can always be built and read back.
//
// Seeds: testdata/fuzz/FuzzParse (generated, see TestCorpusFiles), the samples, the
// malformed corpus, and a message with a 2 MB base64 OBX-5 made here.
func FuzzParse(f *testing.F) {
	for _, n := range sampleNames {
		f.Add(readSample(f, n+".hl7"))
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "malformed", "*.hl7"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(largeORU(2 << 20))
	ackAt := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		ack := Encode(ACKRaw(data, AckError, "fuzz", WithCause(err), WithTime(ackAt), WithControlID("F1")))
		if _, aerr := Parse(ack); aerr != nil {
			t.Fatalf("the ACK does not parse: %v\n%q", aerr, ack)
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Reason == "" || m != nil {
				t.Fatalf("Parse = %v, %v; want nil and a *ParseError with a reason", m, err)
			}
			return
		}
		_ = Validate(m)
		_ = m.Get("PID-3[2].4.1")
		out := Encode(m)
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Encode(m)): %v\n%q", err, out)
		}
		if diff := cmp.Diff(m, again, messageCmp...); diff != "" {
			t.Fatalf("Parse(Encode(m)) differs (-first +second):\n%s", diff)
		}
		if out2 := Encode(again); !bytes.Equal(out, out2) {
			t.Fatalf("Encode is not stable:\n%q\n%q", out, out2)
		}
	})
}

// FuzzParseTime: nothing panics; an accepted value has a precision, writes back with
// FormatTime to text that reads as the same wall time and precision (and the same instant
// when the zone's offset is whole minutes, as HL7 offsets are), and ParseDate agrees on the
// date. A refusal wraps ErrInvalidTime.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026", "202607", "20260704", "2026070409", "202607040930", "20260704093015", "20260704093015.1",
		"20260704093015.1234+1000", "20260704-0330", "19000101", "00010101", "99991231235959.9999-2359", "202610040230", "202604050230",
		"20261301", "", " 2026 ", "2026070409301", "+1000", "20260704093015.12345"} {
		f.Add(s)
	}
	loc, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		t1, p, err := ParseTime(s, loc)
		if err != nil {
			if !errors.Is(err, ErrInvalidTime) {
				t.Fatalf("error %v does not wrap ErrInvalidTime", err)
			}
			if _, _, derr := ParseDate(s); derr == nil {
				t.Fatalf("ParseDate accepted what ParseTime refused")
			}
			return
		}
		if p < PrecisionYear || p > PrecisionTenthMillisecond {
			t.Fatalf("precision %v", p)
		}
		s1 := FormatTime(t1, p)
		t2, p2, err := ParseTime(s1, loc)
		if err != nil || p2 != p {
			t.Fatalf("FormatTime gave %q, which reads as %v, %v, %v", s1, t2, p2, err)
		}
		if s2 := FormatTime(t2, p2); s2 != s1 {
			t.Fatalf("FormatTime not stable: %q then %q", s1, s2)
		}
		const wall = "20060102150405.000000000"
		if t1.Format(wall) != t2.Format(wall) {
			t.Fatalf("wall time %s became %s", t1.Format(wall), t2.Format(wall))
		}
		if _, off := t1.Zone(); p >= PrecisionHour && off%60 == 0 && !t1.Equal(t2) {
			t.Fatalf("instant %v became %v", t1, t2)
		}
		d, dp, err := ParseDate(s)
		if err != nil || dp != min(p, PrecisionDay) || d.Format(time.DateOnly) != t1.Format(time.DateOnly) {
			t.Fatalf("ParseDate = %v, %v, %v for %v", d, dp, err, t1)
		}
	})
}
