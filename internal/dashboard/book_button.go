package dashboard

import (
	"fmt"
	"html"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/directory"
)

// The embeddable "Book an appointment" button (POR-5): a plain link a clinic pastes into
// its own website, with its look in inline styles, so that it needs no script and no
// stylesheet from Tidings. bookButton is pure: the handlers give it the address and the
// saved (or previewed) size and colour.

// buttonSize is the padding and font size of one size of the button.
type buttonSize struct{ Padding, FontSize string }

// buttonSizes maps directory's button sizes to their look.
var buttonSizes = map[string]buttonSize{
	directory.ButtonSmall:  {"8px 14px", "14px"},
	directory.ButtonMedium: {"12px 20px", "16px"},
	directory.ButtonLarge:  {"16px 28px", "20px"},
}

// bookButton is a portal's Book button: where it leads and how it looks.
type bookButton struct {
	Href  string // the portal's booking page, absolute for a snippet pasted elsewhere
	Style string // the inline CSS of the link
	Text  string // the text colour chosen for contrast: "#ffffff" or "#000000"
}

// newBookButton builds the button leading to base + "/p/" + slug + "/book" (base "" keeps
// the link relative), of size (directory.ButtonSmall, Medium or Large) and background
// colour (#rrggbb), with white or black text, whichever contrasts more with the colour
// (never less than 4.58:1, above WCAG's 4.5:1 for normal text). The size and colour are
// checked by directory.SetPortal when saved; a preview of unsaved values is refused here
// with the same words.
//
// Errors: *clinic.ValidationError on "button_size" or "button_colour".
func newBookButton(base, slug, size, colour string) (bookButton, error) {
	var v clinic.ValidationError
	sz, ok := buttonSizes[size]
	if !ok {
		v.Add("button_size", "must be small, medium or large")
	}
	bg, err := parseColour(colour)
	if err != nil {
		v.Add("button_colour", "must be a colour such as #0b5cad")
	}
	if err := v.Err(); err != nil {
		return bookButton{}, err
	}
	text := "#000000"
	if whiteContrasts(bg) {
		text = "#ffffff"
	}
	hex := strings.ToLower(colour)
	style := "display:inline-block;padding:" + sz.Padding + ";font-size:" + sz.FontSize +
		";font-family:system-ui,-apple-system,Segoe UI,Roboto,Arial,sans-serif;font-weight:600;line-height:1.25;" +
		"color:" + text + ";background-color:" + hex + ";border:1px solid " + hex + ";border-radius:6px;text-decoration:none"
	return bookButton{Href: strings.TrimSuffix(base, "/") + "/p/" + slug + "/book", Style: style, Text: text}, nil
}

// HTML is the code to paste: one link with the button's look, its text label (escaped).
func (b bookButton) HTML(label string) string {
	return `<a href="` + html.EscapeString(b.Href) + `" style="` + html.EscapeString(b.Style) + `">` + html.EscapeString(label) + `</a>`
}

// parseColour reads "#rrggbb" into its three channels, 0–255.
func parseColour(s string) ([3]uint8, error) {
	var c [3]uint8
	if len(s) != 7 || s[0] != '#' {
		return c, fmt.Errorf("colour %q: want #rrggbb", s)
	}
	for i := range c {
		n, err := strconv.ParseUint(s[1+2*i:3+2*i], 16, 8)
		if err != nil {
			return c, fmt.Errorf("colour %q: %w", s, err)
		}
		c[i] = uint8(n)
	}
	return c, nil
}

// luminance is WCAG 2's relative luminance of an sRGB colour, 0 (black) to 1 (white).
func luminance(c [3]uint8) float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c[0]) + 0.7152*lin(c[1]) + 0.0722*lin(c[2])
}

// contrast is WCAG 2's contrast ratio of two luminances, 1 to 21.
func contrast(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	return (a + 0.05) / (b + 0.05)
}

// whiteContrasts reports whether white text contrasts at least as much as black with bg.
func whiteContrasts(bg [3]uint8) bool {
	l := luminance(bg)
	return contrast(1, l) >= contrast(0, l)
}

// publicBase is the address the dashboard was reached at, for a snippet pasted on another
// site: https://host, or http://host for a server on this machine reached without TLS
// (localhost, 127.0.0.1, ::1). X-Forwarded-Proto is not trusted; a host that is not a plain
// host name (or address) and port gives "", and the snippet's link stays relative.
func publicBase(r *http.Request) string {
	host := r.Host
	if host == "" || strings.ContainsAny(host, "/\\@?#\"'<> ") {
		return ""
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.Trim(name, "[]")
	if r.TLS == nil && (name == "localhost" || name == "127.0.0.1" || name == "::1") {
		return "http://" + host
	}
	return "https://" + host
}
