package sms

import "unicode/utf8"

// Encoding names the alphabet a carrier uses for a text. The values are the names people
// read in the dashboard.
type Encoding string

const (
	// GSM7 is the 3GPP TS 23.038 default alphabet, seven bits a character.
	GSM7 Encoding = "GSM-7"
	// UCS2 is sixteen bits a unit, used when any character is outside GSM-7.
	UCS2 Encoding = "UCS-2"
)

// Capacities in units (septets for GSM-7, UTF-16 code units for UCS-2). A concatenated
// message's parts are smaller because each carries a six-byte user data header.
const (
	GSM7Single    = 160
	GSM7Multipart = 153
	UCS2Single    = 70
	UCS2Multipart = 67
)

// Info is the size of a text as a carrier counts it.
type Info struct {
	// Encoding is GSM7 when every character is in the GSM-7 alphabet, else UCS2.
	Encoding Encoding
	// Units is the length in septets (GSM-7) or UTF-16 code units (UCS-2).
	Units int
	// Segments is the number of parts billed: 0 for an empty text, 1 up to 160 septets
	// (70 units), then one per 153 septets (67 units) or fewer when a two-unit character
	// would straddle a part boundary.
	Segments int
	// PerSegment is what one part holds at the current size: 160 or 70 for a single
	// message (and for an empty text), 153 or 67 once the text is concatenated.
	PerSegment int
	// Remaining is how many more units fit before another segment is needed (a two-unit
	// character needs two of them).
	Remaining int
}

// Length counts text as a carrier does. It allocates nothing and runs in one or two passes
// over the text (two when a non-GSM character sends it back to count in UCS-2), so the
// dashboard can call it on every keystroke.
func Length(text string) Info {
	if units, segs, last, ok := countGSM7(text); ok {
		return info(GSM7, units, segs, last, GSM7Single, GSM7Multipart)
	}
	units, segs, last := countUCS2(text)
	return info(UCS2, units, segs, last, UCS2Single, UCS2Multipart)
}

// info turns the counts of a multipart packing into an Info: a text that fits in one
// single message is one segment, whatever the multipart packing said.
func info(enc Encoding, units, segs, last, single, multi int) Info {
	switch {
	case units == 0:
		return Info{Encoding: enc, PerSegment: single, Remaining: single}
	case units <= single:
		return Info{Encoding: enc, Units: units, Segments: 1, PerSegment: single, Remaining: single - units}
	default:
		return Info{Encoding: enc, Units: units, Segments: segs, PerSegment: multi, Remaining: multi - last}
	}
}

// countGSM7 returns the septets of text, the number of 153-septet parts it packs into and
// the septets used in the last of them; ok is false at the first character outside GSM-7.
func countGSM7(text string) (units, segs, last int, ok bool) {
	for _, r := range text {
		n := septets(r)
		if n == 0 {
			return 0, 0, 0, false
		}
		units += n
		segs, last = pack(segs, last, n, GSM7Multipart)
	}
	return units, segs, last, true
}

// countUCS2 is countGSM7 for UTF-16 code units and 67-unit parts.
func countUCS2(text string) (units, segs, last int) {
	for _, r := range text {
		n := 1
		if r > 0xFFFF && r <= utf8.MaxRune {
			n = 2
		}
		units += n
		segs, last = pack(segs, last, n, UCS2Multipart)
	}
	return units, segs, last
}

// pack adds a character of n units to a packing of segs parts whose last holds last units,
// opening a new part when the character would not fit whole: an escape pair or a surrogate
// pair is never split, because handsets then show garbage on both sides of the split.
func pack(segs, last, n, per int) (int, int) {
	if segs == 0 || last+n > per {
		return segs + 1, n
	}
	return segs, last + n
}

// septets returns how many septets r takes in GSM-7: 1 for the default alphabet, 2 for the
// extension table, 0 when r is not representable. The escape character itself (0x1B) is not
// something a person types, so a text containing U+001B is sent in UCS-2.
func septets(r rune) int {
	if r < 0x80 {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return 1
		}
		switch r {
		case '\n', '\r', ' ', '!', '"', '#', '$', '%', '&', '\'', '(', ')', '*', '+', ',',
			'-', '.', '/', ':', ';', '<', '=', '>', '?', '@', '_':
			return 1
		case '\f', '^', '{', '}', '\\', '[', '~', ']', '|':
			return 2
		}
		return 0 // other control characters and '`'
	}
	switch r {
	case '£', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', 'Ø', 'ø', 'Å', 'å', 'Æ', 'æ', 'ß', 'É',
		'¤', '¡', 'Ä', 'Ö', 'Ñ', 'Ü', '§', '¿', 'ä', 'ö', 'ñ', 'ü', 'à',
		'Δ', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ':
		return 1
	case '€':
		return 2
	}
	return 0
}
