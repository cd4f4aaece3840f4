package hl7

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

// update rewrites the generated test data: go test ./internal/hl7/ -run TestCorpusFiles -update
var update = flag.Bool("update", false, "rewrite testdata/malformed and testdata/fuzz from the generators")

// malformedCase is one file of testdata/malformed.
type malformedCase struct {
	slug   string              // file name after the number
	level  string              // parse, validate or map: which step refuses it
	reason string              // short, for index.tsv
	data   string              // the message
	check  func(*Message) bool // map level: the premise holds in the parsed message
}

// The sample messages the malformed ones are made from, by name without extension.
var sampleNames = []string{"adt_a04", "adt_a08", "adt_a40", "siu_s12", "oru_r01"}

func loadSamples(t testing.TB) map[string]string {
	out := map[string]string{}
	for _, n := range sampleNames {
		out[n] = string(readSample(t, n+".hl7"))
	}
	return out
}

// Raw text surgery: the malformed files are built from text, not through the API, since the
// API cannot make malformed messages.

func splitSegs(msg string) []string {
	return strings.Split(strings.TrimRight(msg, "\r"), "\r")
}

func joinSegs(segs []string) string { return strings.Join(segs, "\r") + "\r" }

// withField sets field n (raw text) of the first segment named seg, adding empty fields.
func withField(msg, seg string, n int, raw string) string {
	segs := splitSegs(msg)
	for i, s := range segs {
		if !strings.HasPrefix(s, seg+"|") && s != seg {
			continue
		}
		parts := strings.Split(s, "|")
		idx := n // parts[0] is the name; for MSH parts[1] is MSH-2, so MSH-n is parts[n-1]
		if seg == "MSH" {
			idx = n - 1
		}
		for len(parts) <= idx {
			parts = append(parts, "")
		}
		parts[idx] = raw
		segs[i] = strings.Join(parts, "|")
		return joinSegs(segs)
	}
	panic("no segment " + seg)
}

// withoutFieldsFrom cuts the first segment named seg before field n.
func withoutFieldsFrom(msg, seg string, n int) string {
	segs := splitSegs(msg)
	for i, s := range segs {
		if strings.HasPrefix(s, seg+"|") {
			parts := strings.Split(s, "|")
			idx := n
			if seg == "MSH" {
				idx = n - 1
			}
			segs[i] = strings.Join(parts[:min(idx, len(parts))], "|")
			return joinSegs(segs)
		}
	}
	panic("no segment " + seg)
}

func withoutSegments(msg string, names ...string) string {
	var out []string
	for _, s := range splitSegs(msg) {
		name, _, _ := strings.Cut(s, "|")
		if !slices.Contains(names, name) {
			out = append(out, s)
		}
	}
	return joinSegs(out)
}

// replaceSegmentStart replaces the first segment's name prefix from with to.
func renameSegment(msg, from, to string) string {
	return strings.Replace(msg, "\r"+from+"|", "\r"+to+"|", 1)
}

// insertAfter puts text after the first segment named seg (text carries its own ends).
func insertAfter(msg, seg, text string) string {
	segs := splitSegs(msg)
	for i, s := range segs {
		if strings.HasPrefix(s, seg+"|") {
			return strings.Join(segs[:i+1], "\r") + "\r" + text + strings.Join(segs[i+1:], "\r") + "\r"
		}
	}
	panic("no segment " + seg)
}

// cutAt truncates msg just after the first occurrence of marker.
func cutAt(msg, marker string) string {
	i := strings.Index(msg, marker)
	if i < 0 {
		panic("no marker " + marker)
	}
	return msg[:i+len(marker)]
}

func utf16LE(s string, bom bool) string {
	var b []byte
	if bom {
		b = append(b, 0xff, 0xfe)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return string(b)
}

func utf16BE(s string) string {
	b := []byte{0xfe, 0xff}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return string(b)
}

// junk returns n random bytes that cannot start a segment or a message.
func junk(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	b[0] = 0x80 | b[0] // not ASCII, so never "MSH", a segment name or a blank
	return string(b)
}

// malformedCases generates testdata/malformed. It is deterministic: the same samples give
// the same files.
func malformedCases(s map[string]string) []malformedCase {
	var cs []malformedCase
	add := func(slug, level, reason, data string) {
		cs = append(cs, malformedCase{slug: slug, level: level, reason: reason, data: data})
	}
	addMap := func(slug, reason, data string, check func(*Message) bool) {
		cs = append(cs, malformedCase{slug: slug, level: "map", reason: reason, data: data, check: check})
	}
	a04, a08, a40, siu, oru := s["adt_a04"], s["adt_a08"], s["adt_a40"], s["siu_s12"], s["oru_r01"]
	all := []string{a04, a08, a40, siu, oru}
	r := rand.New(rand.NewPCG(7, 2026))

	// No MSH at the start.
	add("no-msh-empty", "parse", "empty input", "")
	add("no-msh-lone-cr", "parse", "empty input (a lone CR)", "\r")
	add("no-msh-blank-lines", "parse", "empty input (blank lines)", "\r\n  \r\n\t\n")
	add("no-msh-framing-only", "parse", "empty input (MLLP framing bytes only)", "\x0b\x1c\r")
	for i, m := range all {
		add(fmt.Sprintf("no-msh-header-removed-%s", sampleNames[i]), "parse", "no MSH segment at start", joinSegs(splitSegs(m)[1:]))
	}
	add("no-msh-lower-case", "parse", "no MSH segment at start (lower-case msh)", "msh"+a04[3:])
	add("no-msh-misspelt", "parse", "no MSH segment at start (MSG)", "MSG"+a08[3:])
	add("no-msh-junk-line-first", "parse", "no MSH segment at start (a line before it)", "HELLO\r"+a40)
	add("no-msh-nul-padding", "parse", "no MSH segment at start (NUL bytes before it)", "\x00\x00\x00"+a04)
	add("no-msh-file-batch", "parse", "batch file (FHS/BHS), not one message", "FHS|^~\\&|BPS|CLINIC\rBHS|^~\\&|BPS|CLINIC\r"+a04+"BTS|1\rFTS|1\r")
	add("no-msh-batch", "parse", "batch (BHS), not one message", "BHS|^~\\&|MD|CLINIC\r"+a08+"BTS|1\r")
	add("no-msh-xml", "parse", "an XML document, not HL7 v2", `<?xml version="1.0"?><ADT_A01 xmlns="urn:hl7-org:v2xml"><MSH><MSH.1>|</MSH.1></MSH></ADT_A01>`)
	add("no-msh-json", "parse", "a JSON document, not HL7 v2", `{"resourceType":"Patient","name":[{"family":"CITIZEN"}]}`)
	add("no-msh-http", "parse", "an HTTP request, not HL7 v2", "POST /hl7 HTTP/1.1\r\nHost: clinic\r\nContent-Length: 10\r\n\r\n"+a04)
	add("no-msh-pdf", "parse", "a PDF, not HL7 v2", "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<</Type/Catalog>>\nendobj\n")
	add("no-msh-utf16le", "parse", "UTF-16 (little-endian) text", utf16LE(a04, true))
	add("no-msh-utf16le-no-bom", "parse", "UTF-16 text without byte order mark", utf16LE(a08, false))
	add("no-msh-utf16be", "parse", "UTF-16 (big-endian) text", utf16BE(siu))
	add("no-msh-truncated-m", "parse", "truncated inside MSH", "M")
	add("no-msh-truncated-ms", "parse", "truncated inside MSH", "MS")

	// Delimiters.
	add("delim-msh-alone", "parse", "MSH-1 field separator missing", "MSH")
	add("delim-msh-then-cr", "parse", "MSH-1 field separator missing", "MSH\r"+joinSegs(splitSegs(a04)[1:]))
	add("delim-msh-only-separator", "parse", "MSH-2 encoding characters missing", "MSH|")
	for i, m := range all[:3] {
		add("delim-msh2-empty-"+sampleNames[i], "parse", "MSH-2 encoding characters missing", strings.Replace(m, "MSH|^~\\&|", "MSH||", 1))
	}
	for _, enc := range []string{"^", "^~", "^~\\"} {
		add(fmt.Sprintf("delim-msh2-%d-chars", len(enc)), "parse", "MSH-2 encoding characters incomplete", strings.Replace(a04, "MSH|^~\\&|", "MSH|"+enc+"|", 1))
	}
	add("delim-msh2-crasher", "parse", "MSH-2 encoding characters incomplete", "MSH|^|||||||^A|||2.2\r^AA")
	for _, enc := range []string{"^~\\&#!", "^~\\&#!$%"} {
		add(fmt.Sprintf("delim-msh2-%d-chars", len(enc)), "parse", "MSH-2 encoding characters too long", strings.Replace(a08, "MSH|^~\\&|", "MSH|"+enc+"|", 1))
	}
	for _, c := range []struct{ slug, sep string }{{"letter", "A"}, {"digit", "1"}, {"space", " "}, {"tab", "\t"}, {"control", "\x01"}, {"non-ascii", "\xa6"}} {
		add("delim-field-separator-"+c.slug, "parse", "MSH-1 field separator is not punctuation", "MSH"+c.sep+strings.ReplaceAll(strings.TrimPrefix(splitSegs(a40)[0], "MSH|"), "|", c.sep)+"\r"+joinSegs(splitSegs(a40)[1:]))
	}
	for _, c := range []struct{ slug, enc string }{{"letter", "^~\\A"}, {"digit", "^~9&"}, {"space", "^ \\&"}, {"non-ascii", "^~\\\xa7"}, {"truncation-letter", "^~\\&T"}} {
		add("delim-encoding-"+c.slug, "parse", "MSH-2 character is not punctuation", strings.Replace(a04, "MSH|^~\\&|", "MSH|"+c.enc+"|", 1))
	}
	for _, c := range []struct{ slug, enc string }{{"component-repetition", "^^\\&"}, {"repetition-escape", "^~~&"}, {"escape-subcomponent", "^~\\\\"},
		{"component-subcomponent", "^~\\^"}, {"truncation-component", "^~\\&^"}, {"truncation-escape", "^~\\&\\"}} {
		add("delim-duplicate-"+c.slug, "parse", "delimiters are not distinct", strings.Replace(a08, "MSH|^~\\&|", "MSH|"+c.enc+"|", 1))
	}
	add("delim-field-separator-doubled", "parse", "field separator repeated where MSH-2 starts (MSH-2 missing)", "MSH^^~\\&^BPS^CLINIC\r")

	// Segment names.
	renames := []struct{ slug, name string }{{"lower-case", "pid"}, {"two-chars", "PI"}, {"four-chars", "PIDX"}, {"digit-first", "1ID"},
		{"space", "P D"}, {"empty", ""}, {"non-ascii", "P\xcfD"}, {"indented", " PID"}, {"tab-indented", "\tPID"}}
	for i, m := range all {
		for j, rn := range renames {
			if (i+j)%2 == 1 {
				continue // a spread, not every combination
			}
			add(fmt.Sprintf("segment-name-%s-%s", rn.slug, sampleNames[i]), "parse", "segment with an invalid name", renameSegment(m, "PID", rn.name))
		}
	}
	add("segment-name-line-break-in-obx5", "parse", "unescaped line break inside OBX-5", strings.Replace(oru, "Examination normal.\\.br\\", "Examination normal.\n", 1))
	add("segment-name-crlf-in-obx5", "parse", "unescaped line break inside OBX-5", strings.Replace(oru, "Examination normal.\\.br\\", "Examination normal.\r\n", 1))
	add("segment-name-line-break-in-nte", "parse", "unescaped line break inside NTE-3", strings.Replace(siu, "Medicare card \\T\\ referral", "Medicare card\rand referral", 1))
	add("segment-name-line-break-in-address", "parse", "unescaped line break inside PID-11", strings.Replace(a04, "12 EXAMPLE ST^UNIT 3", "12 EXAMPLE ST\rUNIT 3", 1))
	add("segment-name-line-break-in-name", "parse", "unescaped line break inside PID-5", strings.Replace(a08, "O'SAMPLE^JOHN", "O'SAMPLE\nJOHN", 1))
	add("segment-name-line-break-in-nk1", "parse", "unescaped line break inside NK1-3", strings.Replace(a08, "SPO^Spouse", "SPO\n^Spouse", 1))
	add("segment-name-separator-first", "parse", "segment line starts with the field separator", insertAfter(a40, "EVN", "|A40|20260302141500\r"))
	add("segment-name-second-msh", "parse", "two messages in one input", a04+a08)
	for i, m := range all {
		add("segment-name-doubled-"+sampleNames[i], "parse", "the same message twice in one input", m+m)
	}
	add("segment-name-second-msh-lf", "parse", "two messages in one input (LF)", strings.ReplaceAll(a40+siu, "\r", "\n"))

	// Binary junk.
	for i := range 12 {
		add(fmt.Sprintf("junk-random-%02d", i+1), "parse", "binary junk", junk(r, 16+r.IntN(500)))
	}
	add("junk-gzip", "parse", "gzip-compressed data", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"+junk(r, 200))
	add("junk-zip", "parse", "a ZIP archive", "PK\x03\x04\x14\x00\x00\x00\x08\x00"+junk(r, 200))
	for i, m := range all {
		add("junk-line-after-msh-"+sampleNames[i], "parse", "binary junk line after MSH", insertAfter(m, "MSH", junk(r, 40+r.IntN(80))+"\r"))
	}
	add("junk-appended", "parse", "binary junk after the last segment", a04+junk(r, 300))

	// Truncation.
	add("truncated-in-msh2", "parse", "truncated inside MSH-2", "MSH|^~")
	add("truncated-after-msh2", "validate", "truncated after MSH-2: MSH-9 missing", "MSH|^~\\&|")
	add("truncated-after-msh4", "validate", "truncated inside MSH: MSH-9 missing", cutAt(a04, "GREENHILLS MC^8003621566684455^AUSHIC"))
	add("truncated-in-msh7", "validate", "truncated inside MSH-7: MSH-9 missing", cutAt(a08, "|2026030210"))
	add("truncated-after-msh9", "validate", "truncated inside MSH: MSH-10 missing", cutAt(siu, "SIU^S12^SIU_S12|"))
	add("truncated-in-msh9", "validate", "truncated inside MSH-9: MSH-10 missing", cutAt(a40, "ADT^A4"))
	add("truncated-after-msh10", "validate", "truncated inside MSH: MSH-12 missing", cutAt(oru, "OPT000912|P"))
	add("truncated-in-segment-name", "parse", "truncated inside a segment name", cutAt(a04, "\rEV"))
	add("truncated-in-pid-name", "parse", "truncated inside a segment name", cutAt(a08, "\rPI"))
	addMap("truncated-before-pid3-a04", "PID without PID-3 (truncated)", cutAt(a04, "PID|1|"), noPatientID)
	addMap("truncated-before-pid3-a08", "PID without PID-3 (truncated)", cutAt(a08, "PID|1"), noPatientID)
	addMap("truncated-after-msh-adt", "ADT without PID (truncated after MSH)", joinSegs(splitSegs(a04)[:1]), noSegment("PID"))
	addMap("truncated-after-evn-adt", "ADT without PID (truncated after EVN)", cutAt(a08, "EVN|A08|20260302101500\r"), noSegment("PID"))
	addMap("truncated-after-msh-siu", "SIU without SCH (truncated after MSH)", joinSegs(splitSegs(siu)[:1]), noSegment("SCH"))
	addMap("truncated-before-obr-oru", "ORU without OBR (truncated)", cutAt(oru, "F\r"), noSegment("OBR"))
	addMap("truncated-in-sch", "SIU without appointment id (SCH-1, SCH-2)", cutAt(siu, "\rSCH|"), func(m *Message) bool { return m.Get("SCH-1") == "" && m.Get("SCH-2") == "" })

	// Header fields missing.
	for i, m := range all {
		n := sampleNames[i]
		add("msh9-missing-"+n, "validate", "MSH-9 message type missing", withField(m, "MSH", 9, ""))
		add("msh10-missing-"+n, "validate", "MSH-10 control id missing", withField(m, "MSH", 10, ""))
		add("msh12-missing-"+n, "validate", "MSH-12 version missing", withField(m, "MSH", 12, ""))
		add("msh9-trigger-only-"+n, "validate", "MSH-9.1 message code missing", withField(m, "MSH", 9, "^"+strings.Split(strings.Split(splitSegs(m)[0], "|")[8], "^")[1]))
	}
	add("msh-cut-after-msh8", "validate", "MSH ends before MSH-9", withoutFieldsFrom(a04, "MSH", 9))
	add("msh-cut-after-msh11", "validate", "MSH ends before MSH-12", withoutFieldsFrom(a40, "MSH", 12))
	add("msh10-blank", "validate", "MSH-10 control id blank", withField(a04, "MSH", 10, "   "))
	add("msh10-null", "validate", "MSH-10 control id is only a repetition separator", withField(a08, "MSH", 10, "~"))
	add("msh9-lower-case", "validate", "MSH-9.1 message code not three capitals", withField(a04, "MSH", 9, "adt^A04"))
	add("msh9-four-letters", "validate", "MSH-9.1 message code not three capitals", withField(siu, "MSH", 9, "SIUX^S12"))
	add("msh9-words", "validate", "MSH-9.1 message code not three capitals", withField(a08, "MSH", 9, "PATIENT UPDATE"))
	for _, v := range []string{"3.0", "V2.4", "2.x", "HL7", "24", "2..5", "2.5.1.1", "2.4 AUS"} {
		add("msh12-bad-"+strings.NewReplacer(".", "_", " ", "_").Replace(v), "validate", "MSH-12 not an HL7 v2 version", withField(a04, "MSH", 12, v))
	}
	add("msh-merged-with-evn", "validate", "segment terminator missing after MSH (MSH-12 runs into EVN)", strings.Replace(a40, "2.3.1\rEVN", "2.3.1EVN", 1))
	add("msh-merged-with-pid", "validate", "segment terminator missing after MSH (MSH-12 runs into PID)", strings.Replace(oru, "|2.7\rPID", "|2.7PID", 1))

	// Overlong control id.
	for _, n := range []int{200, 256, 1000, 5000} {
		add(fmt.Sprintf("msh10-too-long-%d", n), "validate", fmt.Sprintf("MSH-10 control id of %d characters (limit 199)", n), withField(a04, "MSH", 10, strings.Repeat("7", n)))
	}
	add("msh10-too-long-siu", "validate", "MSH-10 control id over 199 characters", withField(siu, "MSH", 10, "ZM-"+strings.Repeat("0123456789", 20)))
	add("msh10-too-long-escaped", "validate", "MSH-10 control id over 199 characters once decoded", withField(oru, "MSH", 10, strings.Repeat(`\X41\`, 40)+strings.Repeat("A", 160)))

	// Escape sequences that break the header or the data the app needs.
	add("escape-in-msh9", "validate", "MSH-9.1 decodes to a non-code (escape sequence)", withField(a04, "MSH", 9, `AD\T\^A04`))
	add("escape-unterminated-msh9", "validate", "MSH-9.1 ends in an unterminated escape", withField(a08, "MSH", 9, `ADT\^A08`))
	add("escape-unknown-msh12", "validate", "MSH-12 holds an unknown escape sequence", withField(a40, "MSH", 12, `2.\Z\3`))
	add("escape-hex-msh12", "validate", "MSH-12 holds malformed hex escape", withField(siu, "MSH", 12, `2\X2\4`))
	addMap("escape-in-pid7", "PID-7 date of birth with an escaped ampersand", withField(a04, "PID", 7, `1984\T\0712`), badDOB)
	addMap("escape-odd-hex-pid7", "PID-7 date of birth with a malformed hex escape", withField(a08, "PID", 7, `\X3\19700305`), badDOB)
	addMap("escape-unterminated-pid7", "PID-7 date of birth ending in an unterminated escape", withField(oru, "PID", 7, `19920229\`), badDOB)
	addMap("escape-highlight-only-pid3", "PID-3 identifier is only highlighting escapes", withField(a04, "PID", 3, `\H\\N\^^^BPS^MR`), noPatientID)
	addMap("escape-in-trigger", "MSH-9.2 trigger decodes to an unknown event", withField(a08, "MSH", 9, `ADT^A\F\8`), func(m *Message) bool { return m.Type().Trigger == "A|8" })
	addMap("escape-charset-in-pid7", "PID-7 date of birth holds a character set escape", withField(siu, "PID", 7, `\C2842\20010920`), badDOB)

	// Message types the app does not handle.
	for _, typ := range []string{"MFN^M02^MFN_M02", "MFN^M05", "MFK^M01", "DFT^P03", "BAR^P01", "QRY^A19", "QBP^Q22", "RSP^K22", "RDE^O11", "RAS^O17",
		"VXU^V04", "PPR^PC1", "ACK^A01^ACK", "ZZZ^Z01", "ADT^A99", "SIU^S99", "ADT^Z01"} {
		want := strings.Join(strings.Split(typ, "^")[:2], "^")
		addMap("unsupported-"+strings.ToLower(strings.ReplaceAll(want, "^", "-")), "message type "+want+" not handled", withField(a04, "MSH", 9, typ),
			func(m *Message) bool { return m.Type().Code+"^"+m.Type().Trigger == want })
	}

	// Missing segments.
	for i, m := range all {
		seg := "PID"
		addMap("no-pid-"+sampleNames[i], strings.ToUpper(sampleNames[i][:3])+" without PID", withoutSegments(m, seg), noSegment(seg))
	}
	addMap("no-mrg-a40", "ADT^A40 merge without MRG", withoutSegments(a40, "MRG"), noSegment("MRG"))
	addMap("no-mrg1-a40", "ADT^A40 merge without MRG-1 (prior identifier)", withField(a40, "MRG", 1, ""), func(m *Message) bool { return m.Get("MRG-1") == "" })
	addMap("no-sch-siu", "SIU^S12 without SCH", withoutSegments(siu, "SCH"), noSegment("SCH"))
	addMap("no-obr-oru", "ORU^R01 without OBR", withoutSegments(oru, "OBR"), noSegment("OBR"))
	addMap("no-sch-ids-siu", "SIU^S12 without appointment id (SCH-1, SCH-2)", withField(withField(siu, "SCH", 1, ""), "SCH", 2, ""),
		func(m *Message) bool { return m.Get("SCH-1") == "" && m.Get("SCH-2") == "" })
	addMap("bad-start-siu", "SIU^S12 with unparseable appointment start (SCH-11.4, AIP-6)",
		withField(withField(siu, "SCH", 11, "^^15^2026-03-10 10:30^2026-03-10 10:45"), "AIP", 6, "10/03/2026 10:30"),
		func(m *Message) bool {
			_, _, e1 := ParseTime(m.Get("SCH-11.4"), nil)
			_, _, e2 := ParseTime(m.Get("AIP-6"), nil)
			return e1 != nil && e2 != nil
		})

	// PID without PID-3.
	for i, m := range all {
		addMap("no-pid3-"+sampleNames[i], "PID without PID-3 (patient identifier)", withField(m, "PID", 3, ""), noPatientID)
	}
	addMap("pid3-ids-empty", "PID-3 repetitions without identifiers", withField(a04, "PID", 3, "^^^BPS^MR~^1^^AUSHIC^MC"), noPatientID)
	addMap("pid3-null", "PID-3 is the explicit null", withField(a08, "PID", 3, `""`), func(m *Message) bool { return m.Field("PID-3").IsNull() })
	addMap("pid3-only-separators", "PID-3 only separators", withField(siu, "PID", 3, "~~^^"), noPatientID)

	// Unparseable dates of birth.
	dobs := []string{"19841301", "19840732", "19850229", "19840700", "1984-07-12", "12/07/1984", "12071984", "UNKNOWN", "0", "00000000",
		"1984071", "19840712+25", "19840712250000", "198407122360", "19840712.5", "19840712T1030", "84-07-12", "1984/07/12", "1984071Z", "٢٠٠١٠٩٢٠"}
	for i, dob := range dobs {
		m := all[i%len(all)]
		addMap(fmt.Sprintf("pid7-bad-date-%02d", i+1), "PID-7 date of birth unparseable", withField(m, "PID", 7, dob), badDOB)
	}
	return cs
}

func noSegment(name string) func(*Message) bool {
	return func(m *Message) bool { return m.Segment(name) == nil }
}

func noPatientID(m *Message) bool {
	for _, r := range m.Field("PID-3") {
		if strings.TrimSpace(r.Component(1)) != "" {
			return false
		}
	}
	return m.Segment("PID") != nil
}

func badDOB(m *Message) bool {
	_, _, err := ParseDate(m.Get("PID-7"))
	return err != nil
}

// fuzzSeed is one file of testdata/fuzz/FuzzParse.
type fuzzSeed struct {
	name string
	data string
}

func fuzzParseSeeds(s map[string]string) []fuzzSeed {
	lf := func(m string) string { return strings.ReplaceAll(m, "\r", "\n") }
	crlf := func(m string) string { return strings.ReplaceAll(m, "\r", "\r\n") }
	return []fuzzSeed{
		{"empty", ""},
		{"lone-cr", "\r"},
		{"msh-bar", "MSH|"},
		{"msh-encoding-only", "MSH|^~\\&"},
		{"msh-encoding-truncation", "MSH|^~\\&#|"},
		{"msh-caret-crasher", "MSH|^|||||||^A|||2.2\r^AA"},
		{"adt-a04-lf", lf(s["adt_a04"])},
		{"adt-a08-crlf", crlf(s["adt_a08"])},
		{"adt-a40-mixed", strings.Replace(crlf(s["adt_a40"]), "\r\n", "\n", 2)},
		{"siu-s12-no-final-cr", strings.TrimRight(s["siu_s12"], "\r")},
		{"oru-r01-mllp", "\x0b" + s["oru_r01"] + "\x1c\r"},
		{"adt-a04-truncated-msh", s["adt_a04"][:40]},
		{"siu-truncated-mid-segment", s["siu_s12"][:len(s["siu_s12"])/2]},
		{"oru-truncated-in-escape", cutAt(s["oru_r01"], `Examination normal.\.b`)},
		{"escapes", "MSH|^~\\&\rNTE|\\F\\\\S\\\\T\\\\R\\\\E\\\\X0D0A\\\\.br\\\\H\\x\\N\\\\Zq\\\\X4\\\\"},
		{"custom-delimiters", "MSH#$%!*#A$B#F#####ADT$A04#9#P#2.5\rPID#1##1$$$X%2$$$Y##D*E$J"},
		// Found by the fuzzer in CI: a NUL fifth encoding character was taken for "no
		// truncation character" and lost when the message was written again.
		{"msh-nul-truncation", "MSH!\"#$%\x00"},
	}
}

func fuzzTimeSeeds() []fuzzSeed {
	return []fuzzSeed{
		{"year", "2026"}, {"day", "20260704"}, {"seconds-offset", "20260704093015+1000"},
		{"fraction", "20260704093015.1234-0530"}, {"leap-day", "20240229"}, {"bad-month", "20261301"},
		{"dst-gap", "202610040230"}, {"empty", ""}, {"iso", "2026-07-04T09:30:15Z"},
	}
}

func fuzzFile(kind, data string) []byte {
	return []byte(fmt.Sprintf("go test fuzz v1\n%s(%q)\n", kind, data))
}

// generatedFiles maps every generated path (under testdata) to its content.
func generatedFiles(t testing.TB) map[string][]byte {
	samples := loadSamples(t)
	files := map[string][]byte{}
	var index strings.Builder
	index.WriteString("file\tlevel\treason\n")
	for i, c := range malformedCases(samples) {
		name := fmt.Sprintf("%03d-%s.hl7", i+1, c.slug)
		files[filepath.Join("malformed", name)] = []byte(c.data)
		fmt.Fprintf(&index, "%s\t%s\t%s\n", name, c.level, c.reason)
	}
	files[filepath.Join("malformed", "index.tsv")] = []byte(index.String())
	for _, s := range fuzzParseSeeds(samples) {
		files[filepath.Join("fuzz", "FuzzParse", s.name)] = fuzzFile("[]byte", s.data)
	}
	for _, s := range fuzzTimeSeeds() {
		files[filepath.Join("fuzz", "FuzzParseTime", s.name)] = fuzzFile("string", s.data)
	}
	return files
}

// TestCorpusFiles keeps the generated test data in step with its generators: with -update
// it rewrites them, otherwise it fails when they differ.
func TestCorpusFiles(t *testing.T) {
	files := generatedFiles(t)
	dirs := []string{"malformed", filepath.Join("fuzz", "FuzzParse"), filepath.Join("fuzz", "FuzzParseTime")}
	if *update {
		for _, dir := range dirs {
			old, _ := filepath.Glob(filepath.Join("testdata", dir, "*"))
			for _, f := range old {
				if filepath.Base(f) != "README.md" {
					if err := os.Remove(f); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := os.MkdirAll(filepath.Join("testdata", dir), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for name, data := range files {
			if err := os.WriteFile(filepath.Join("testdata", name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, dir := range dirs {
		onDisk, _ := filepath.Glob(filepath.Join("testdata", dir, "*"))
		for _, f := range onDisk {
			rel, _ := filepath.Rel("testdata", f)
			if _, ok := files[rel]; !ok && filepath.Base(f) != "README.md" {
				t.Errorf("%s is not generated any more; run go test -run TestCorpusFiles -update", f)
			}
		}
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("testdata/%s is out of date; run go test ./internal/hl7/ -run TestCorpusFiles -update", name)
		}
	}
}

// TestMalformedCorpus: each file is refused at the level index.tsv names — parse and
// validate here, map later — with a reason, an ACK can be built for it that parses and
// carries none of the patient data, and nothing panics.
func TestMalformedCorpus(t *testing.T) {
	cases := malformedCases(loadSamples(t))
	if len(cases) < 200 {
		t.Errorf("only %d malformed messages", len(cases))
	}
	counts := map[string]int{}
	for i, c := range cases {
		name := fmt.Sprintf("%03d-%s.hl7", i+1, c.slug)
		t.Run(name, func(t *testing.T) {
			counts[c.level]++
			data, err := os.ReadFile(filepath.Join("testdata", "malformed", name))
			if err != nil {
				t.Fatal(err)
			}
			m, perr := Parse(data)
			verr := error(nil)
			if perr == nil {
				verr = Validate(m)
			}
			switch c.level {
			case "parse":
				var pe *ParseError
				if !errors.As(perr, &pe) || pe.Reason == "" || pe.Code == 0 {
					t.Fatalf("Parse = %v, want a *ParseError with a reason", perr)
				}
			case "validate":
				if perr != nil {
					t.Fatalf("Parse: %v", perr)
				}
				var ve *ValidationError
				if !errors.As(verr, &ve) || ve.Reason == "" || ve.Code == 0 || ve.Field == 0 {
					t.Fatalf("Validate = %v, want a *ValidationError with a field and a reason", verr)
				}
			case "map":
				if perr != nil || verr != nil {
					t.Fatalf("Parse: %v, Validate: %v; map-level messages must get through both", perr, verr)
				}
				if !c.check(m) {
					t.Fatalf("the message does not have the fault %q", c.reason)
				}
			default:
				t.Fatalf("level %q", c.level)
			}
			cause := perr
			if cause == nil {
				cause = verr
			}
			text := "refused"
			if cause != nil {
				text = cause.Error()
			}
			out := Encode(ACKRaw(data, AckReject, text, WithCause(cause), WithControlID("NAK1"), WithTime(ackTime)))
			back, err := Parse(out)
			if err != nil {
				t.Fatalf("the NAK does not parse: %v\n%q", err, out)
			}
			if back.Get("MSA-1") != "AR" || back.Get("MSA-3") == "" || back.Get("ERR-3") == "" {
				t.Errorf("the NAK lacks a code or reason: %q", out)
			}
			for _, secret := range []string{"CITIZEN", "SAMPLE", "EXAMPLE", "TESTER", "19840712", "5550 1234", "0491"} {
				if bytes.Contains(out, []byte(secret)) {
					t.Errorf("the NAK carries patient data %q: %q", secret, out)
				}
			}
		})
	}
	t.Logf("levels: %v", counts)
}
