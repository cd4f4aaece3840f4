package hl7

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// TestEncodeSamples: the samples, written canonically, come back byte for byte.
func TestEncodeSamples(t *testing.T) {
	for _, name := range []string{"adt_a04.hl7", "adt_a08.hl7", "adt_a40.hl7", "siu_s12.hl7", "oru_r01.hl7"} {
		t.Run(name, func(t *testing.T) {
			data := readSample(t, name)
			m, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if got := Encode(m); !bytes.Equal(got, data) {
				t.Errorf("Encode:\n%q\nwant\n%q", got, data)
			}
		})
	}
}

// TestEncodeEscapes: what each special character becomes.
func TestEncodeEscapes(t *testing.T) {
	tests := []struct {
		name  string
		d     Delimiters
		value string
		want  string // the encoded ZZZ-1
	}{
		{"plain", StandardDelimiters(), "6/6 plain + text", "6/6 plain + text"},
		{"delimiters", StandardDelimiters(), `a|b^c~d\e&f`, `a\F\b\S\c\R\d\E\e\T\f`},
		{"line ends", StandardDelimiters(), "one\ntwo\r\nthree", `one\.br\two\X0D\\.br\three`},
		{"MLLP bytes", StandardDelimiters(), "a\x0bb\x1cc", `a\X0B\b\X1C\c`},
		{"hash without truncation", StandardDelimiters(), "UNIT #4", "UNIT #4"},
		{"hash with truncation", Delimiters{'|', '^', '~', '\\', '&', '#'}, "UNIT #4", `UNIT \P\4`},
		{"other delimiters", Delimiters{'#', '$', '%', '!', '*', 0}, `a#b$c%d!e*f|g\h`, `a!F!b!S!c!R!d!E!e!T!f|g\h`},
		{"dot delimiter", Delimiters{'|', '.', '~', '\\', '&', 0}, "a.b\nc", `a\S\b\X0A\c`},
		{"NUL and UTF-8", StandardDelimiters(), "a\x00é", "a\x00é"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewMessage(tc.d)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.AddSegment("ZZZ", Text(tc.value)); err != nil {
				t.Fatal(err)
			}
			out := string(Encode(m))
			wantOut := "MSH" + string(tc.d.Field) + tc.d.EncodingCharacters() + "\rZZZ" + string(tc.d.Field) + tc.want + "\r"
			if out != wantOut {
				t.Errorf("Encode = %q, want %q", out, wantOut)
			}
			back, err := Parse([]byte(out))
			if err != nil {
				t.Fatal(err)
			}
			if got := back.Get("ZZZ-1"); got != tc.value {
				t.Errorf("read back %q, want %q", got, tc.value)
			}
		})
	}
}

func TestEncodeEmpty(t *testing.T) {
	if Encode(nil) != nil || Encode(&Message{}) != nil {
		t.Error("an empty message encoded to something")
	}
}

// TestBuilder builds a message with the API and checks the text.
func TestBuilder(t *testing.T) {
	m, err := NewMessage(StandardDelimiters())
	if err != nil {
		t.Fatal(err)
	}
	msh := m.MSH()
	for n, f := range map[int]Field{3: Text("TIDINGS"), 4: Components("CLINIC", "1.2.3", "ISO"), 9: Components("ADT", "A04", "ADT_A01"), 10: Text("42"), 11: Text("P"), 12: Text("2.5")} {
		if err := msh.Set(n, f); err != nil {
			t.Fatal(err)
		}
	}
	pid, err := m.AddSegment("PID", Text("1"), nil, Field{Rep("123", "", "", "X", "MR"), Rep("456", "", "", "AUSHIC", "MC")})
	if err != nil {
		t.Fatal(err)
	}
	for path, v := range map[string]string{"PID-5.1": "O'SAMPLE & CO", "PID-5.2": "JO", "PID-3[3].1": "789", "PID-11[2].3": "TOWN", "PID-13.4.2": "sub"} {
		if err := m.Set(path, v); err != nil {
			t.Fatalf("Set(%s): %v", path, err)
		}
	}
	if err := pid.Set(8, Text("F")); err != nil {
		t.Fatal(err)
	}
	want := `MSH|^~\&|TIDINGS|CLINIC^1.2.3^ISO|||||ADT^A04^ADT_A01|42|P|2.5` + "\r" +
		`PID|1||123^^^X^MR~456^^^AUSHIC^MC~789||O'SAMPLE \T\ CO^JO|||F|||~^^TOWN||^^^&sub` + "\r"
	if got := string(Encode(m)); got != want {
		t.Errorf("Encode:\n%q\nwant\n%q", got, want)
	}
	if m.Get("PID-5.1") != "O'SAMPLE & CO" || m.Get("PID-3[3]") != "789" {
		t.Error("Get after Set")
	}
}

func TestBuilderErrors(t *testing.T) {
	if _, err := NewMessage(Delimiters{'|', '|', '~', '\\', '&', 0}); err == nil {
		t.Error("NewMessage took repeated delimiters")
	}
	if _, err := NewMessage(Delimiters{}); err == nil {
		t.Error("NewMessage took zero delimiters")
	}
	m, _ := NewMessage(StandardDelimiters())
	var be *BuildError
	for _, name := range []string{"MSH", "PI", "pid", "PIDX", "1AB", ""} {
		if _, err := m.AddSegment(name); !errors.As(err, &be) {
			t.Errorf("AddSegment(%q) = %v", name, err)
		}
	}
	if _, err := (&Message{}).AddSegment("PID"); err == nil {
		t.Error("AddSegment on a message without MSH")
	}
	for _, n := range []int{0, -1, 1, 2} {
		if err := m.MSH().Set(n, Text("x")); err == nil {
			t.Errorf("MSH.Set(%d) succeeded", n)
		}
	}
	for _, path := range []string{"MSH-1", "MSH-2", "PID-3", "PID", "MSH-0", "MSH-3[0]", "MSH-3..1"} {
		if err := m.Set(path, "x"); err == nil {
			t.Errorf("Set(%q) succeeded", path)
		}
	}
	if got := string(Encode(m)); got != "MSH|^~\\&\r" {
		t.Errorf("failed sets changed the message: %q", got)
	}
}

// TestCanonical: a built field takes the shape Parse gives its encoding.
func TestCanonical(t *testing.T) {
	tests := []struct {
		in, want Field
	}{
		{nil, nil},
		{Field{}, nil},
		{Field{{}}, nil},
		{Field{{{}}}, nil},
		{Field{{{""}}}, nil},
		{Field{{}, {}}, Field{{{""}}, {{""}}}},
		{Field{{{}, {}}}, Field{{{""}, {""}}}},
		{Field{{{"", ""}}}, Field{{{"", ""}}}},
		{Text("a"), Field{{{"a"}}}},
		{Components(), nil},
		{Components("", ""), Field{{{""}, {""}}}},
		{Field{Rep()}, nil},
	}
	for _, tc := range tests {
		got := canonical(tc.in)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("canonical(%#v) (-want +got):\n%s", tc.in, diff)
		}
	}
	// canonical copies: changing the input afterwards leaves the copy alone.
	in := Field{{{"a"}}}
	out := canonical(in)
	in[0][0][0] = "b"
	if out[0][0][0] != "a" {
		t.Error("canonical shares memory with its input")
	}
}

// genDelimiters draws a valid delimiter set.
func genDelimiters(t *rapid.T) Delimiters {
	const punct = "|^~\\&#!$%*+-./:;<=>?@[]_`{}'\"(),"
	chars := rapid.Permutation([]byte(punct)).Draw(t, "punct")
	d := Delimiters{Field: chars[0], Component: chars[1], Repetition: chars[2], Escape: chars[3], Subcomponent: chars[4]}
	if rapid.Bool().Draw(t, "truncation") {
		d.Truncation = chars[5]
	}
	return d
}

// genValue draws text rich in the characters that need escaping.
func genValue(t *rapid.T, label string) string {
	atoms := []string{"a", "Z", "0", " ", "|", "^", "~", "\\", "&", "#", ".", "!", "$", "%", "*", "\r", "\n", "\r\n",
		"\x0b", "\x1c", "\x00", "é", "\xff", `\F\`, `\X0D\`, `\.br\`, `\H\`, `""`, "MSH", "\t"}
	parts := rapid.SliceOfN(rapid.SampledFrom(atoms), 0, 6).Draw(t, label)
	return strings.Join(parts, "")
}

func genField(t *rapid.T, label string) Field {
	return rapid.Custom(func(t *rapid.T) Field {
		nreps := rapid.IntRange(0, 3).Draw(t, "reps")
		f := make(Field, nreps)
		for i := range f {
			ncomps := rapid.IntRange(0, 3).Draw(t, "comps")
			r := make(Repetition, ncomps)
			for j := range r {
				nsubs := rapid.IntRange(0, 2).Draw(t, "subs")
				c := make(Component, nsubs)
				for k := range c {
					c[k] = genValue(t, "value")
				}
				r[j] = c
			}
			f[i] = r
		}
		return f
	}).Draw(t, label)
}

var genSegmentName = rapid.Custom(func(t *rapid.T) string {
	name := rapid.StringMatching(`[A-Z][A-Z0-9]{2}`).Draw(t, "name")
	if name == "MSH" {
		return "ZSH"
	}
	return name
})

// TestEncodeRoundTrip: for any message built through the API, Parse(Encode(m)) equals m,
// and every value built reads back at its path.
func TestEncodeRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		d := genDelimiters(t)
		m, err := NewMessage(d)
		if err != nil {
			t.Fatal(err)
		}
		mshFields := rapid.IntRange(2, 14).Draw(t, "mshFields")
		for n := 3; n <= mshFields; n++ {
			if err := m.MSH().Set(n, genField(t, "msh")); err != nil {
				t.Fatal(err)
			}
		}
		nsegs := rapid.IntRange(0, 5).Draw(t, "segments")
		for range nsegs {
			fields := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) Field { return genField(t, "field") }), 0, 6).Draw(t, "fields")
			seg, err := m.AddSegment(genSegmentName.Draw(t, "name"), fields...)
			if err != nil {
				t.Fatal(err)
			}
			// Every non-empty value built is where a path says it is.
			for fi, f := range fields {
				for ri, r := range f {
					for ci, c := range r {
						for si, v := range c {
							if v == "" {
								continue
							}
							if got := seg.Field(fi + 1)[ri][ci][si]; got != v {
								t.Fatalf("built %q, stored %q", v, got)
							}
						}
					}
				}
			}
		}
		if rapid.Bool().Draw(t, "set") {
			p := Path{Segment: "MSH", Occurrence: 1, Field: rapid.IntRange(3, 20).Draw(t, "f"), Repetition: rapid.IntRange(1, 3).Draw(t, "r"),
				Component: rapid.IntRange(1, 4).Draw(t, "c"), Sub: rapid.IntRange(1, 3).Draw(t, "s")}
			v := genValue(t, "setValue")
			if err := m.Set(p.String(), v); err != nil {
				t.Fatal(err)
			}
			if got, _ := m.LookupPath(p); got != v {
				t.Fatalf("Set(%s, %q) then got %q", p, v, got)
			}
		}
		data := Encode(m)
		back, err := Parse(data)
		if err != nil {
			t.Fatalf("Parse(Encode(m)): %v\n%q", err, data)
		}
		if diff := cmp.Diff(m, back, messageCmp...); diff != "" {
			t.Fatalf("Parse(Encode(m)) differs (-built +parsed):\n%s\n%q", diff, data)
		}
		if again := Encode(back); !bytes.Equal(again, data) {
			t.Fatalf("encoding is not stable:\n%q\n%q", data, again)
		}
	})
}
