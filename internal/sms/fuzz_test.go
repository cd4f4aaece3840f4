package sms

import (
	"testing"
	"unicode/utf16"
)

// FuzzLength checks Length against the oracle on arbitrary bytes, invalid UTF-8 included.
func FuzzLength(f *testing.F) {
	for _, s := range []string{"", "é€[", "fête", "Don’t", "😀", "\x1b", "a\xff", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := Length(text)
		var sizes []int
		single, multi := GSM7Single, GSM7Multipart
		if s, ok := oracleSeptets(text); ok {
			sizes = s
			if got.Encoding != GSM7 {
				t.Fatalf("GSM-7 text counted as %s", got.Encoding)
			}
		} else {
			if got.Encoding != UCS2 {
				t.Fatalf("non-GSM text counted as %s", got.Encoding)
			}
			single, multi = UCS2Single, UCS2Multipart
			for _, r := range text {
				sizes = append(sizes, len(utf16.Encode([]rune{r})))
			}
		}
		units := 0
		for _, s := range sizes {
			units += s
		}
		if got.Units != units {
			t.Fatalf("Units = %d, want %d", got.Units, units)
		}
		if want := oracleSegments(sizes, single, multi); got.Segments != want {
			t.Fatalf("Segments = %d, want %d", got.Segments, want)
		}
		if got.Remaining < 0 || got.Remaining > got.PerSegment {
			t.Fatalf("Remaining %d outside [0, %d]", got.Remaining, got.PerSegment)
		}
	})
}
