package hl7

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// messageCmp compares messages by their decoded content.
var messageCmp = []cmp.Option{cmp.AllowUnexported(Message{}, Segment{}), cmpopts.EquateEmpty()}

func mustParse(t testing.TB, s string) *Message {
	t.Helper()
	m, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseSamples reads the realistic messages in testdata and checks the values a mapper
// would read from them.
func TestParseSamples(t *testing.T) {
	tests := []struct {
		file string
		want map[string]string // path → value
	}{
		{"adt_a04.hl7", map[string]string{
			"MSH-1":       "|",
			"MSH-2":       `^~\&`,
			"MSH-3":       "BPS",
			"MSH-4":       "GREENHILLS MC",
			"MSH-4.2":     "8003621566684455",
			"MSH-4.3":     "AUSHIC",
			"MSH-7":       "20260301093015+1100",
			"MSH-8":       "",
			"MSH-9":       "ADT",
			"MSH-9.2":     "A04",
			"MSH-9.3":     "ADT_A01",
			"MSH-9.4":     "",
			"MSH-10":      "BP20260301093015001",
			"MSH-11":      "P",
			"MSH-12":      "2.4",
			"MSH-12.2.1":  "AUS",
			"MSH-12.2.3":  "ISO3166_1",
			"MSH-15":      "AL",
			"MSH-16":      "NE",
			"MSH-17":      "AUS",
			"EVN-1":       "A04",
			"PID-2":       "",
			"PID-3":       "100234",
			"PID-3[1].4":  "BPS",
			"PID-3[1].5":  "MR",
			"PID-3[2].1":  "2950156491",
			"PID-3[2].2":  "1",
			"PID-3[2].5":  "MC",
			"PID-3[3].1":  "8003608833357362",
			"PID-3[3].5":  "NI",
			"PID-3[4].1":  "",
			"PID-5.1":     "CITIZEN",
			"PID-5.2":     "JANE",
			"PID-5.3":     "MARIE",
			"PID-5.4":     "",
			"PID-5.5":     "MS",
			"PID-5.1.2":   "",
			"PID-7":       "19840712",
			"PID-8":       "F",
			"PID-11.1":    "12 EXAMPLE ST",
			"PID-11.2":    "UNIT 3",
			"PID-11.3":    "SPRINGFIELD",
			"PID-11.5":    "2999",
			"PID-11.7":    "H",
			"PID-13[1].1": "(02) 5550 1234",
			"PID-13[2].1": "0491 570 156",
			"PID-13[2].3": "CP",
			"PID-13[2].4": "jane.citizen@example.com",
			"PID-16":      "M",
			"PID-30":      "N",
			"PID-31":      "",
			"PID[2]-1":    "",
			"PID[1]-5-1":  "CITIZEN",
			"PID.5.2":     "JANE",
			"PV1-3.9":     "GREENHILLS MC",
			"PV1-7.1":     "0123456A",
			"PV1-7.13":    "UPIN",
			"ZZZ-1":       "",
		}},
		{"adt_a08.hl7", map[string]string{
			"MSH-9":      "ADT",
			"MSH-9.2":    "A08",
			"MSH-9.3":    "",
			"MSH-12":     "2.3.1",
			"PID-5.1":    "O'SAMPLE",
			"PID-11":     `""`,
			"NK1-2":      "O'SAMPLE",
			"NK1-3.2":    "Spouse",
			"ZMD-2":      "SAMPLE & SONS PTY LTD",
			"ZMD-3":      "Note|with pipe",
			"PID-3[2].1": "3123456781",
			"PD1-4.2":    "HEALTH",
		}},
		{"adt_a40.hl7", map[string]string{
			"MSH-9.2":    "A40",
			"MSH-9.3":    "ADT_A39",
			"MRG-1":      "200555",
			"MRG-1[2].1": "4951283671",
			"PID-3":      "200777",
		}},
		{"siu_s12.hl7", map[string]string{
			"MSH-6":     "",
			"MSH-9":     "SIU",
			"MSH-9.2":   "S12",
			"SCH-1":     "APT-55012",
			"SCH-1.2":   "ZEDMED",
			"SCH-7.2":   "Standard consult",
			"SCH-9":     "15",
			"SCH-10":    "MIN",
			"SCH-11.3":  "15",
			"SCH-11.4":  "202603101030+1100",
			"SCH-11.5":  "202603101045+1100",
			"SCH-25":    "BOOKED",
			"NTE-3":     "Please bring your Medicare card & referral letter.",
			"PID-5.1":   "EXAMPLE",
			"PID-13.12": "0491570006",
			"AIP-3.2":   "DOCTOR",
			"AIP-6":     "202603101030+1100",
			"AIL-3":     "ROOM3",
			"AIG-3.3":   "XAVIER",
		}},
		{"oru_r01.hl7", map[string]string{
			"MSH-2":      `^~\&#`,
			"MSH-7":      "20260304161233.1234+1000",
			"MSH-9.2":    "R01",
			"MSH-12":     "2.7",
			"PID-7":      "19920229",
			"OBR-4.2":    "Eye examination",
			"OBX-5":      "6/6",
			"OBX[2]-5":   "Examination normal.\nReview in 2 years & sooner if symptoms.\nUnit #4 staff notified.",
			"OBX[3]-2":   "ED",
			"OBX[3]-5.2": "application",
			"OBX[3]-5.4": "Base64",
			"OBX[3]-5.5": "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoKdHJhaWxlcgo8PC9Sb290IDEgMCBSPj4KJSVFT0YK",
			"OBX[3]-11":  "F",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			m, err := Parse(readSample(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if err := Validate(m); err != nil {
				t.Errorf("Validate: %v", err)
			}
			got := map[string]string{}
			for path := range tc.want {
				if _, err := ParsePath(path); err != nil {
					t.Errorf("bad test path %q: %v", path, err)
				}
				got[path] = m.Get(path)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSampleAccessors(t *testing.T) {
	m, err := Parse(readSample(t, "adt_a04.hl7"))
	if err != nil {
		t.Fatal(err)
	}
	type header struct {
		Type                               MessageType
		TypeString, ControlID, Processing  string
		Version                            string
		SendApp, SendFac, RecvApp, RecvFac HD
		Segments                           []string
		PIDs, OBXs                         int
		NumFields                          int
	}
	var names []string
	for _, s := range m.All() {
		names = append(names, s.Name())
	}
	got := header{
		Type: m.Type(), TypeString: m.Type().String(), ControlID: m.ControlID(), Processing: m.ProcessingID(),
		Version: m.Version(), SendApp: m.SendingApplication(), SendFac: m.SendingFacility(),
		RecvApp: m.ReceivingApplication(), RecvFac: m.ReceivingFacility(), Segments: names,
		PIDs: len(m.Segments("PID")), OBXs: len(m.Segments("OBX")), NumFields: m.Segment("PID").NumFields(),
	}
	want := header{
		Type:       MessageType{Code: "ADT", Trigger: "A04", Structure: "ADT_A01"},
		TypeString: "ADT^A04^ADT_A01", ControlID: "BP20260301093015001", Processing: "P", Version: "2.4",
		SendApp: HD{Namespace: "BPS"}, SendFac: HD{"GREENHILLS MC", "8003621566684455", "AUSHIC"},
		RecvApp: HD{Namespace: "TIDINGS"}, RecvFac: HD{Namespace: "TIDINGS"},
		Segments: []string{"MSH", "EVN", "PID", "PV1"}, PIDs: 1, NumFields: 30,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	at, p, err := m.Time(time.UTC)
	if err != nil || p != PrecisionSecond || !at.Equal(time.Date(2026, 2, 28, 22, 30, 15, 0, time.UTC)) {
		t.Errorf("Time = %v, %v, %v", at, p, err)
	}

	// Repetitions: every identifier of PID-3, with its type.
	var ids []string
	for _, r := range m.Field("PID-3") {
		ids = append(ids, r.Component(5)+"="+r.Component(1))
	}
	if diff := cmp.Diff([]string{"MR=100234", "MC=2950156491", "NI=8003608833357362"}, ids); diff != "" {
		t.Errorf("PID-3 (-want +got):\n%s", diff)
	}
	if got := m.Segment("PID").Field(3); len(got) != 3 || got.Value() != "100234" || got.Component(5) != "MR" {
		t.Errorf("Segment(PID).Field(3) = %v", got)
	}
	if m.Segment("OBX") != nil || m.Field("OBX-5") != nil || m.Field("bad") != nil {
		t.Error("absent segment gave a value")
	}
	if v, ok := m.Lookup("PID-2"); ok || v != "" {
		t.Errorf("Lookup(PID-2) = %q, %v; want absent", v, ok)
	}
	if v, ok := m.Lookup("PID-5.4"); !ok || v != "" {
		t.Errorf("Lookup(PID-5.4) = %q, %v; want present and empty", v, ok)
	}
	if _, ok := m.Lookup("not a path"); ok {
		t.Error("invalid path found")
	}

	a08, _ := Parse(readSample(t, "adt_a08.hl7"))
	if !a08.Field("PID-11").IsNull() || a08.Field("PID-12").IsNull() || a08.Field("PID-5").IsNull() {
		t.Error("IsNull wrong on the A08 sample")
	}
}

// TestParseTerminators: CR, LF, CRLF, mixed, a missing final CR, blank lines, MLLP framing and
// a byte order mark all read as the same message.
func TestParseTerminators(t *testing.T) {
	segs := []string{`MSH|^~\&|APP|FAC|||20260101120000||ADT^A08|1|P|2.5`, "EVN|A08", "PID|1||123^^^X^MR||DOE^JO", "PV1|1|O"}
	want := mustParse(t, strings.Join(segs, "\r")+"\r")
	tests := []struct{ name, text string }{
		{"CR", strings.Join(segs, "\r") + "\r"},
		{"LF", strings.Join(segs, "\n") + "\n"},
		{"CRLF", strings.Join(segs, "\r\n") + "\r\n"},
		{"mixed", segs[0] + "\r\n" + segs[1] + "\n" + segs[2] + "\r" + segs[3] + "\r\n"},
		{"no final terminator", strings.Join(segs, "\r")},
		{"trailing empty lines", strings.Join(segs, "\r") + "\r\r\n\n\r\n"},
		{"trailing blank lines with spaces", strings.Join(segs, "\r") + "\r  \r\t\n"},
		{"blank lines between segments", strings.Join(segs, "\r\r\n\r")},
		{"LFCR", strings.Join(segs, "\n\r")},
		{"leading blank lines", "\r\n\r\n" + strings.Join(segs, "\r")},
		{"MLLP framing", "\x0b" + strings.Join(segs, "\r") + "\r\x1c\r"},
		{"MLLP framing, no final CR", "\x0b" + strings.Join(segs, "\r") + "\x1c"},
		{"byte order mark", "\uFEFF" + strings.Join(segs, "\r\n")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mustParse(t, tc.text)
			if diff := cmp.Diff(want, got, messageCmp...); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseDelimiters: the delimiters come from MSH-1 and MSH-2, whatever they are.
func TestParseDelimiters(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		delim Delimiters
		want  map[string]string
	}{
		{"standard", `MSH|^~\&|A^B|F|||||ADT^A04|9|P|2.5` + "\rPID|1||1^^^X~2^^^Y||D&E^J",
			StandardDelimiters(),
			map[string]string{"MSH-1": "|", "MSH-2": `^~\&`, "MSH-3.2": "B", "MSH-9.2": "A04", "MSH-10": "9", "PID-3[2].4": "Y", "PID-5.1.2": "E"}},
		{"unusual set", "MSH#$%!*#A$B#F#####ADT$A04#9#P#2.5\rPID#1##1$$$X%2$$$Y##D*E$J*K\\Z",
			Delimiters{Field: '#', Component: '$', Repetition: '%', Escape: '!', Subcomponent: '*'},
			map[string]string{"MSH-1": "#", "MSH-2": "$%!*", "MSH-3.2": "B", "MSH-9.2": "A04", "MSH-10": "9", "PID-3[2].4": "Y", "PID-5.2.2": "K\\Z", "PID-5.1.2": "E"}},
		{"v2.7 truncation character", `MSH|^~\&#|A|F|||||ADT^A04|9|P|2.7` + "\rPID|1||1#2||UNIT \\P\\4",
			Delimiters{'|', '^', '~', '\\', '&', '#'},
			map[string]string{"MSH-2": `^~\&#`, "MSH-9.2": "A04", "PID-3": "1#2", "PID-5": "UNIT #4"}},
		{"no fields after MSH-2", `MSH|^~\&`, StandardDelimiters(), map[string]string{"MSH-1": "|", "MSH-2": `^~\&`, "MSH-3": ""}},
		{"only MSH-2 and a separator", `MSH|^~\&#|`, Delimiters{'|', '^', '~', '\\', '&', '#'}, map[string]string{"MSH-2": `^~\&#`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustParse(t, tc.text)
			if m.Delimiters() != tc.delim {
				t.Errorf("Delimiters = %+v, want %+v", m.Delimiters(), tc.delim)
			}
			got := map[string]string{}
			for p := range tc.want {
				got[p] = m.Get(p)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseFieldShapes: how text splits into fields, repetitions, components and
// subcomponents, including empty parts.
func TestParseFieldShapes(t *testing.T) {
	m := mustParse(t, `MSH|^~\&`+"\rZZZ|a|b^c|d~e|f&g^h||~|^|&|\"\"\rEVN\rNTE|")
	want := []Field{
		{{{"a"}}},
		{{{"b"}, {"c"}}},
		{{{"d"}}, {{"e"}}},
		{{{"f", "g"}, {"h"}}},
		nil,
		{{{""}}, {{""}}},
		{{{""}, {""}}},
		{{{"", ""}}},
		{{{`""`}}},
	}
	if diff := cmp.Diff(want, m.Segment("ZZZ").fields); diff != "" {
		t.Errorf("ZZZ fields (-want +got):\n%s", diff)
	}
	if n := m.Segment("EVN").NumFields(); n != 0 {
		t.Errorf("EVN has %d fields, want 0", n)
	}
	if n := m.Segment("NTE").NumFields(); n != 1 {
		t.Errorf("NTE| has %d fields, want 1", n)
	}
	msh := m.MSH()
	if diff := cmp.Diff([]Field{Text("|"), Text(`^~\&`)}, msh.fields); diff != "" {
		t.Errorf("MSH fields (-want +got):\n%s", diff)
	}
}

// TestParseEscapes: each escape sequence, and the malformed ones kept as text.
func TestParseEscapes(t *testing.T) {
	tests := []struct {
		name, raw, want string
		trunc           bool
	}{
		{"field", `a\F\b`, "a|b", false},
		{"component", `a\S\b`, "a^b", false},
		{"subcomponent", `a\T\b`, "a&b", false},
		{"repetition", `a\R\b`, "a~b", false},
		{"escape", `a\E\b`, `a\b`, false},
		{"all in a row", `\F\\S\\T\\R\\E\`, `|^&~\`, false},
		{"hex", `\X41\`, "A", false},
		{"hex bytes", `line\X0D0A\next`, "line\r\nnext", false},
		{"hex lower case", `\X4a6b\`, "Jk", false},
		{"hex UTF-8", `caf\XC3A9\`, "café", false},
		{"hex odd", `\X414\`, `\X414\`, false},
		{"hex not hex", `\XGG\`, `\XGG\`, false},
		{"hex empty", `\X\`, `\X\`, false},
		{"line break", `one\.br\two`, "one\ntwo", false},
		{"line break upper case", `one\.BR\two`, "one\ntwo", false},
		{"space lines", `one\.sp\two\.sp2\three`, "one\ntwo\nthree", false},
		{"skip", `a\.sk3\b`, "a b", false},
		{"fill and indent dropped", `\.fi\\.nf\\.in+4\\.ti-2\\.ce\x`, "x", false},
		{"formatting with bad argument", `\.inX\`, `\.inX\`, false},
		{"formatting unknown", `\.xx\`, `\.xx\`, false},
		{"formatting br with argument", `\.br2\`, `\.br2\`, false},
		{"highlight dropped", `\H\bold\N\ text`, "bold text", false},
		{"unknown", `\Zabc\`, `\Zabc\`, false},
		{"character set kept", `\C2842\x\M2442\`, `\C2842\x\M2442\`, false},
		{"unterminated", `abc\F`, `abc\F`, false},
		{"lone escape", `\`, `\`, false},
		{"empty sequence", `a\\b`, `a\\b`, false},
		{"windows path", `C:\temp\new`, `C:\temp\new`, false},
		{"unknown then known", `a\b\F\`, `a\b|`, false},
		{"truncation without declaring it", `\P\`, `\P\`, false},
		{"truncation declared", `UNIT \P\4`, "UNIT #4", true},
		{"no escapes", "plain text 6/6 + more", "plain text 6/6 + more", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc := `^~\&`
			if tc.trunc {
				enc += "#"
			}
			m := mustParse(t, "MSH|"+enc+"\rZZZ|"+tc.raw)
			if got := m.Get("ZZZ-1"); got != tc.want {
				t.Errorf("decoded %q as %q, want %q", tc.raw, got, tc.want)
			}
		})
	}
}

// TestParseErrors: refusals come as *ParseError with a location, a code and a reason.
func TestParseErrors(t *testing.T) {
	msh := `MSH|^~\&|APP|FAC|||20260101||ADT^A04|1|P|2.5`
	tests := []struct {
		name string
		text string
		want ParseError
	}{
		{"empty", "", ParseError{Code: 100, Reason: "message is empty"}},
		{"lone CR", "\r", ParseError{Code: 100, Reason: "message is empty"}},
		{"blank lines", " \r\n\t\n", ParseError{Code: 100, Reason: "message is empty"}},
		{"framing only", "\x0b\x1c\r", ParseError{Code: 100, Reason: "message is empty"}},
		{"no MSH", "PID|1||123", ParseError{Index: 1, Code: 100, Reason: "no MSH segment at start"}},
		{"lower case msh", `msh|^~\&|A`, ParseError{Index: 1, Code: 100, Reason: "no MSH segment at start"}},
		{"MSH later", "EVN|A04\r" + msh, ParseError{Index: 1, Code: 100, Reason: "no MSH segment at start"}},
		{"batch", `FHS|^~\&|A` + "\r" + msh, ParseError{Index: 1, Code: 100, Reason: "no MSH segment at start (batch headers FHS and BHS are not read: send one message at a time)"}},
		{"binary", "\x00\x01\x02\xff", ParseError{Index: 1, Code: 100, Reason: "no MSH segment at start"}},
		{"MSH alone", "MSH", ParseError{Index: 1, Segment: "MSH", Occurrence: 1, Field: 1, Code: 101, Reason: "MSH-1 field separator missing"}},
		{"MSH then CR", "MSH\rPID|1", ParseError{Index: 1, Segment: "MSH", Occurrence: 1, Field: 1, Code: 101, Reason: "MSH-1 field separator missing"}},
		{"letter field separator", `MSHA^~\&A`, ParseError{Index: 1, Segment: "MSH", Occurrence: 1, Field: 1, Code: 102, Reason: "MSH-1 field separator is not a punctuation character"}},
		{"space field separator", `MSH ^~\& A`, ParseError{Index: 1, Segment: "MSH", Occurrence: 1, Field: 1, Code: 102, Reason: "MSH-1 field separator is not a punctuation character"}},
		{"MSH|", "MSH|", ParseError{Index: 1, Segment: "MSH", Occurrence: 1, Field: 2, Code: 101, Reason: "MSH-2 encoding characters missing"}},
		{"MSH-2 empty", "MSH||APP|FAC", ParseError{Index: 1, Segment: "MSH", Occurrence: 1, Field: 2, Code: 101, Reason: "MSH-2 encoding characters missing"}},
		{"MSH-2 short", "MSH|^~|APP", ParseError{Index: 1, Segment: "MSH", Occurrence: 1, Field: 2, Code: 102, Reason: "MSH-2 encoding characters incomplete: 4 expected (component, repetition, escape, subcomponent), got 2"}},
		{"MSH-2 one character", "MSH|^|||||||^A|||2.2\r^AA", ParseError{Index: 1, Segment: "MSH", Occurrence: 1, Field: 2, Code: 102, Reason: "MSH-2 encoding characters incomplete: 4 expected (component, repetition, escape, subcomponent), got 1"}},
		{"MSH-2 long", `MSH|^~\&#!|APP`, ParseError{Index: 1, Segment: "MSH", Occurrence: 1, Field: 2, Code: 102, Reason: "MSH-2 encoding characters: 4 or 5 expected, got 6"}},
		{"MSH-2 letter", `MSH|^~\&X|APP`, ParseError{Index: 1, Segment: "MSH", Occurrence: 1, Field: 2, Code: 102, Reason: "MSH-2 character 5 is not a punctuation character"}},
		{"MSH-2 repeated", `MSH|^^\&|APP`, ParseError{Index: 1, Segment: "MSH", Occurrence: 1, Field: 2, Code: 102, Reason: "delimiters are not distinct"}},
		{"truncation equals component", `MSH|^~\&^|APP`, ParseError{Index: 1, Segment: "MSH", Occurrence: 1, Field: 2, Code: 102, Reason: "delimiters are not distinct"}},
		{"truncation equals repetition", `MSH|^~\&~|APP`, ParseError{Index: 1, Segment: "MSH", Occurrence: 1, Field: 2, Code: 102, Reason: "delimiters are not distinct"}},
		{"bad segment name", msh + "\rEVN|A04\rPI|1", ParseError{Index: 3, Code: 100, Reason: "segment 3 has an invalid name (want three capital letters or digits; a line break inside a value?)"}},
		{"lower case segment", msh + "\rpid|1", ParseError{Index: 2, Code: 100, Reason: "segment 2 has an invalid name (want three capital letters or digits; a line break inside a value?)"}},
		{"long segment name", msh + "\rPIDX|1", ParseError{Index: 2, Code: 100, Reason: "segment 2 has an invalid name (want three capital letters or digits; a line break inside a value?)"}},
		{"line break in a value", msh + "\rOBX|1|TX|||first line\nsecond line|F", ParseError{Index: 3, Code: 100, Reason: "segment 3 has an invalid name (want three capital letters or digits; a line break inside a value?)"}},
		{"segment starting with separator", msh + "\r|PID", ParseError{Index: 2, Code: 100, Reason: "segment 2 has an invalid name (want three capital letters or digits; a line break inside a value?)"}},
		{"two messages", msh + "\rPID|1\r" + msh, ParseError{Index: 3, Segment: "MSH", Occurrence: 2, Code: 100, Reason: "segment 3 is a second MSH: one message per input"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse([]byte(tc.text))
			if err == nil {
				t.Fatalf("Parse succeeded with %d segments", len(m.segments))
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if diff := cmp.Diff(tc.want, *pe); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if err.Error() != "hl7: "+tc.want.Reason {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

// TestParseReasonsQuoteNothing: a refusal never repeats the message's content, so it can go
// into an ACK and a log.
func TestParseReasonsQuoteNothing(t *testing.T) {
	for _, text := range []string{
		"CITIZEN^JANE|19840712",
		"MSH|CITIZEN|JANE",
		"MSHCITIZEN",
		`MSH|^~\&|A|F|||||ADT^A04|1|P|2.5` + "\rPID|1||123||CITIZEN^JANE\nMARIE|19840712",
		`MSH|^~\&|A|F|||||ADT^A04|1|P|2.5` + "\rCITIZEN JANE|1",
	} {
		_, err := Parse([]byte(text))
		if err == nil {
			t.Fatalf("%q parsed", text)
		}
		if strings.Contains(err.Error(), "CITIZEN") || strings.Contains(err.Error(), "JANE") || strings.Contains(err.Error(), "1984") {
			t.Errorf("error %q quotes the message", err)
		}
	}
}

// TestParseTooManySeparators: a message that would take far more memory than its size is
// refused before it is split.
func TestParseTooManySeparators(t *testing.T) {
	text := `MSH|^~\&|A|F|||||ADT^A04|1|P|2.5` + "\rOBX|1|ST|||" + strings.Repeat("~", MaxValues)
	_, err := Parse([]byte(text))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Code != CodeDataTypeError {
		t.Fatalf("err = %v, want a data type ParseError", err)
	}
	// Just under the bound is fine.
	text = `MSH|^~\&|A|F|||||ADT^A04|1|P|2.5` + "\rOBX|1|ST|||" + strings.Repeat("~", MaxValues-40)
	if _, err := Parse([]byte(text)); err != nil {
		t.Fatal(err)
	}
}

// bigBase64 is a deterministic base64 text of n bytes, standing in for an embedded PDF.
func bigBase64(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = alphabet[x&63]
	}
	if n >= 2 {
		b[n-1], b[n-2] = '=', '='
	}
	return string(b)
}

// largeORU is an ORU^R01 whose OBX-5 holds a base64 document of n bytes.
func largeORU(n int) []byte {
	return []byte(`MSH|^~\&|LAB|CLINIC|TIDINGS|TIDINGS|20260304161233||ORU^R01^ORU_R01|LARGE1|P|2.5` +
		"\rPID|1||400456^^^LAB^MR||TESTER^SAM||19920229|F" +
		"\rOBR|1|ORD1|RES1|REPORT^Report^LOCAL" +
		"\rOBX|1|ED|PDF^Report^LOCAL||^application^pdf^Base64^" + bigBase64(n) + "||||||F\r")
}

// TestParseLargeDocument: a 2 MB base64 OBX-5 parses fast, and its value shares the one copy
// Parse makes of the input instead of being copied again.
func TestParseLargeDocument(t *testing.T) {
	const n = 2 << 20
	data := largeORU(n)
	start := time.Now()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := Parse(data)
	runtime.ReadMemStats(&after)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	v := m.Get("OBX-5.5")
	if len(v) != n || v != bigBase64(n) {
		t.Fatalf("OBX-5.5 has %d bytes, want %d", len(v), n)
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > uint64(len(data))+64<<10 {
		t.Errorf("Parse allocated %d bytes for %d of input: the payload was copied more than once", allocated, len(data))
	}
	if elapsed > 2*time.Second {
		t.Errorf("Parse took %v", elapsed)
	}
	// The value points into the same block as the rest of the message's text.
	msh := m.Get("MSH-3")
	vp, mp := uintptr(unsafe.Pointer(unsafe.StringData(v))), uintptr(unsafe.Pointer(unsafe.StringData(msh)))
	if vp < mp || vp-mp > uintptr(len(data)) {
		t.Error("OBX-5.5 does not share the input copy")
	}
	out := Encode(m)
	if !bytes.Equal(out, data) {
		t.Error("Encode did not reproduce the large message")
	}
}

func BenchmarkParseLargeDocument(b *testing.B) {
	data := largeORU(2 << 20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSample(b *testing.B) {
	data := readSample(b, "adt_a04.hl7")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// TestParseLinear: parse time grows with the input, not faster, on inputs built to be worst
// cases for splitting and escape decoding.
func TestParseLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	build := map[string]func(n int) []byte{
		"escapes":     func(n int) []byte { return []byte(`MSH|^~\&` + "\rNTE|" + strings.Repeat(`\`, n)) },
		"unknown":     func(n int) []byte { return []byte(`MSH|^~\&` + "\rNTE|" + strings.Repeat(`\Z`, n/2)) },
		"blank lines": func(n int) []byte { return []byte(`MSH|^~\&` + strings.Repeat("\r\n", n/2) + "PID|1") },
		"segments":    func(n int) []byte { return []byte(`MSH|^~\&` + strings.Repeat("\rZZZ", n/4)) },
		"fields":      func(n int) []byte { return []byte(`MSH|^~\&` + "\rZZZ" + strings.Repeat("|", n/8)) },
	}
	measure := func(data []byte) time.Duration {
		best := time.Duration(1 << 62)
		for range 3 {
			start := time.Now()
			_, _ = Parse(data)
			best = min(best, time.Since(start))
		}
		return best
	}
	for name, f := range build {
		small, large := measure(f(1<<17)), measure(f(1<<20))
		// 8 times the input; allow 40 times the time for noise on a shared machine.
		if large > 40*small && large > 50*time.Millisecond {
			t.Errorf("%s: %v for 128 KiB, %v for 1 MiB", name, small, large)
		}
	}
}
