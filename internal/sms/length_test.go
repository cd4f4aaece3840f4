package sms

import (
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// gsmBasic is the GSM-7 default alphabet written out as the 3GPP TS 23.038 table, column by
// column (0x00–0x7F), with the escape at 0x1B left out. It is the oracle's alphabet, typed
// independently of the switch in septets.
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅå" +
	"Δ_ΦΓΛΩΠΨΣΘΞ" + "ÆæßÉ" +
	" !\"#¤%&'()*+,-./" +
	"0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNO" +
	"PQRSTUVWXYZÄÖÑÜ§" +
	"¿abcdefghijklmno" +
	"pqrstuvwxyzäöñüà"

// gsmExtension is the extension table: each is sent as ESC followed by a septet.
const gsmExtension = "\f^{}\\[~]|€"

func TestAlphabetTableHas127Characters(t *testing.T) {
	if n := len([]rune(gsmBasic)); n != 127 {
		t.Fatalf("oracle alphabet has %d characters, want 128 minus the escape", n)
	}
}

func TestLength(t *testing.T) {
	rep := strings.Repeat
	tests := []struct {
		name string
		text string
		want Info
	}{
		{"empty", "", Info{GSM7, 0, 0, 160, 160}},
		{"plain", "Hello", Info{GSM7, 5, 1, 160, 155}},
		{"é is GSM-7, one septet", "é", Info{GSM7, 1, 1, 160, 159}},
		{"€ is two septets", "€", Info{GSM7, 2, 1, 160, 158}},
		{"[ is two septets", "[", Info{GSM7, 2, 1, 160, 158}},
		{"é € [ together", "Café € [1]", Info{GSM7, 13, 1, 160, 147}},
		{"every extension character", gsmExtension, Info{GSM7, 20, 1, 160, 140}},
		{"ê forces UCS-2", "Rappel: fête", Info{UCS2, 12, 1, 70, 58}},
		{"’ forces UCS-2", "Don’t forget", Info{UCS2, 12, 1, 70, 58}},
		{"backtick is not GSM-7", "`", Info{UCS2, 1, 1, 70, 69}},
		{"lower-case ç is not GSM-7", "ç", Info{UCS2, 1, 1, 70, 69}},
		{"escape character is not GSM-7", "\x1b", Info{UCS2, 1, 1, 70, 69}},
		{"tab is not GSM-7", "a\tb", Info{UCS2, 3, 1, 70, 67}},
		{"emoji is a surrogate pair", "😀", Info{UCS2, 2, 1, 70, 68}},
		{"invalid UTF-8 counts as U+FFFD", "a\xffb", Info{UCS2, 3, 1, 70, 67}},

		{"160 septets: one segment", rep("a", 160), Info{GSM7, 160, 1, 160, 0}},
		{"161 septets: two of 153", rep("a", 161), Info{GSM7, 161, 2, 153, 145}},
		{"306 septets: two full parts", rep("a", 306), Info{GSM7, 306, 2, 153, 0}},
		{"307 septets: three parts", rep("a", 307), Info{GSM7, 307, 3, 153, 152}},
		{"80 euros fill one message", rep("€", 80), Info{GSM7, 160, 1, 160, 0}},
		{"81 euros: 76 a part", rep("€", 81), Info{GSM7, 162, 2, 153, 143}},
		{"escape not split: € moves to part 2", rep("a", 152) + "€" + rep("a", 7), Info{GSM7, 161, 2, 153, 144}},
		{"escape not split: 305 septets need 2", rep("a", 152) + "€" + rep("a", 151), Info{GSM7, 305, 2, 153, 0}},
		{"escape not split: 306 septets need 3", rep("a", 152) + "€" + rep("a", 152), Info{GSM7, 306, 3, 153, 152}},

		{"70 units: one segment", rep("ê", 70), Info{UCS2, 70, 1, 70, 0}},
		{"71 units: two of 67", rep("ê", 71), Info{UCS2, 71, 2, 67, 63}},
		{"134 units: two full parts", rep("ê", 134), Info{UCS2, 134, 2, 67, 0}},
		{"135 units: three parts", rep("ê", 135), Info{UCS2, 135, 3, 67, 66}},
		{"one ’ in 160 letters: three UCS-2 parts", rep("a", 159) + "’", Info{UCS2, 160, 3, 67, 41}},
		{"35 emoji fill one message", rep("😀", 35), Info{UCS2, 70, 1, 70, 0}},
		{"surrogate not split: emoji moves to part 2", rep("ê", 66) + "😀" + rep("ê", 3), Info{UCS2, 71, 2, 67, 62}},
		{"surrogate not split: 134 units need 3", rep("ê", 66) + "😀" + rep("ê", 66), Info{UCS2, 134, 3, 67, 66}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Length(tc.text)); diff != "" {
				t.Errorf("Length mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// oracleSeptets counts septets by looking each character up in the written-out tables.
func oracleSeptets(text string) (sizes []int, ok bool) {
	for _, r := range text {
		switch {
		case strings.ContainsRune(gsmBasic, r):
			sizes = append(sizes, 1)
		case strings.ContainsRune(gsmExtension, r):
			sizes = append(sizes, 2)
		default:
			return nil, false
		}
	}
	return sizes, true
}

// oracleSegments finds the fewest parts by trying every part count k from 1 up: k parts of
// per units can hold the characters if they can be cut, in order and without splitting one,
// into k runs of at most per units each. With one part the limit is single.
func oracleSegments(sizes []int, single, per int) int {
	total := 0
	for _, s := range sizes {
		total += s
	}
	if total == 0 {
		return 0
	}
	if total <= single {
		return 1
	}
	// No k below total/per can hold the text; search upward from there.
	for k := max(2, (total+per-1)/per); ; k++ {
		if fits(sizes, k, per) {
			return k
		}
	}
}

// fits reports whether sizes can be cut into at most k runs of at most per units.
func fits(sizes []int, k, per int) bool {
	if len(sizes) == 0 {
		return true
	}
	if k == 0 {
		return false
	}
	sum := 0
	for i, s := range sizes {
		sum += s
		if sum > per {
			return false
		}
		// Cutting after the longest run that fits is enough: a shorter first run never
		// leaves less for the rest.
		if i+1 == len(sizes) || sum+sizes[i+1] > per {
			return fits(sizes[i+1:], k-1, per)
		}
	}
	return true
}

// gsmText draws texts from the GSM-7 alphabet, extension characters included.
func gsmText() *rapid.Generator[string] {
	alphabet := []rune(gsmBasic + gsmExtension)
	return rapid.Custom(func(t *rapid.T) string {
		rs := rapid.SliceOfN(rapid.SampledFrom(alphabet), 0, 500).Draw(t, "runes")
		return string(rs)
	})
}

// anyText mixes GSM-7, Latin, typographic and astral characters so both encodings and both
// kinds of two-unit character occur often.
func anyText() *rapid.Generator[string] {
	alphabet := []rune(gsmBasic + gsmExtension + "êç’“”`\t😀🩺中")
	return rapid.OneOf(gsmText(), rapid.Custom(func(t *rapid.T) string {
		return string(rapid.SliceOfN(rapid.SampledFrom(alphabet), 0, 400).Draw(t, "runes"))
	}))
}

func TestPropertyGSM7MatchesOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		text := gsmText().Draw(t, "text")
		sizes, ok := oracleSeptets(text)
		if !ok {
			t.Fatalf("generator produced a non-GSM text")
		}
		units := 0
		for _, s := range sizes {
			units += s
		}
		got := Length(text)
		if got.Encoding != GSM7 || got.Units != units {
			t.Fatalf("Length = %+v, want GSM-7 with %d septets", got, units)
		}
		if want := oracleSegments(sizes, GSM7Single, GSM7Multipart); got.Segments != want {
			t.Fatalf("Segments = %d, oracle %d (%d septets)", got.Segments, want, units)
		}
	})
}

func TestPropertyUCS2MatchesOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		text := anyText().Draw(t, "text")
		if _, ok := oracleSeptets(text); ok {
			return
		}
		got := Length(text)
		var sizes []int
		for _, r := range text {
			sizes = append(sizes, len(utf16.Encode([]rune{r})))
		}
		if units := len(utf16.Encode([]rune(text))); got.Encoding != UCS2 || got.Units != units {
			t.Fatalf("Length = %+v, want UCS-2 with %d units", got, units)
		}
		if want := oracleSegments(sizes, UCS2Single, UCS2Multipart); got.Segments != want {
			t.Fatalf("Segments = %d, oracle %d", got.Segments, want)
		}
	})
}

// TestPropertySegmentsMonotonic: typing never makes a message cheaper, even when a
// character switches it to UCS-2; and the rest of the Info stays consistent.
func TestPropertySegmentsMonotonic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		text := anyText().Draw(t, "text")
		rs := []rune(text)
		cut := rapid.IntRange(0, len(rs)).Draw(t, "cut")
		prefix, whole := Length(string(rs[:cut])), Length(text)
		if prefix.Segments > whole.Segments {
			t.Fatalf("prefix of %d characters takes %d segments, whole text %d", cut, prefix.Segments, whole.Segments)
		}
		if whole.Remaining < 0 || whole.Remaining > whole.PerSegment {
			t.Fatalf("Remaining %d outside [0, %d]", whole.Remaining, whole.PerSegment)
		}
		if whole.Segments > 0 && whole.Units > whole.Segments*whole.PerSegment {
			t.Fatalf("%d units do not fit in %d segments of %d", whole.Units, whole.Segments, whole.PerSegment)
		}
	})
}

func BenchmarkLength(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"gsm7-short", "Reminder: your appointment with Dr Lovelace at Harbour Clinic is on Tue 3 Dec at 09:30. Reply C to confirm."},
		{"gsm7-long", strings.Repeat("Rappel: rendez-vous à 9h30 [€15]. ", 20)},
		{"ucs2-long", strings.Repeat("Rappel : votre rendez-vous est prévu demain à 9 h 30 — merci d’être à l’heure. ", 6)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.text)))
			b.ReportAllocs()
			for b.Loop() {
				Length(bc.text)
			}
		})
	}
}
