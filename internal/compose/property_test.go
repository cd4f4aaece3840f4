package compose

import (
	"errors"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// piece is one generated bit of a template: literal text, a variable, or an escaped brace.
type piece struct {
	text string // what the template says
	name string // the variable, when this piece is one
}

// genTemplate draws a template of a random kind and channel made of literal text (which may
// spell variable names without braces), variables the kind offers, and, when escapes is set,
// {{ and }}.
func genTemplate(t *rapid.T, escapes bool) (Template, []piece) {
	kind := rapid.SampledFrom(Kinds()).Draw(t, "kind")
	chans := []Channel{ChannelSMS}
	switch {
	case kind.Account():
		chans = []Channel{ChannelEmail}
	case !kind.reply():
		chans = Channels()
	}
	ch := rapid.SampledFrom(chans).Draw(t, "channel")
	lang := rapid.SampledFrom([]string{"en", "fr"}).Draw(t, "lang")
	allowed := variables(kind, ch)
	literal := rapid.OneOf(
		rapid.StringOfN(rapid.SampledFrom([]rune("ab _:,.!é\n")), 1, 6, -1),
		rapid.SampledFrom(allNames()),
	)
	kinds := []string{"text", "var"}
	if escapes {
		kinds = append(kinds, "{{", "}}")
	}
	var pieces []piece
	var body strings.Builder
	for range rapid.IntRange(0, 12).Draw(t, "pieces") {
		var p piece
		switch rapid.SampledFrom(kinds).Draw(t, "piece") {
		case "text":
			p.text = literal.Draw(t, "text")
		case "var":
			p.name = rapid.SampledFrom(allowed).Draw(t, "var")
			p.text = "{" + p.name + "}"
		default:
			p.text = rapid.SampledFrom([]string{"{{", "}}"}).Draw(t, "escape")
		}
		pieces = append(pieces, p)
		body.WriteString(p.text)
	}
	tpl := Template{Kind: kind, Channel: ch, Lang: lang, Body: body.String()}
	if ch != ChannelSMS {
		tpl.Subject = "s"
	}
	return tpl, pieces
}

// genVars draws values from an alphabet that cannot spell a variable name or a brace
// (upper case, digits, accents, spaces and line breaks, which clean removes), some empty.
func genVars(t *rapid.T) Vars {
	val := rapid.StringOfN(rapid.SampledFrom([]rune("ABZ09 \nÉ<&")), 0, 8, -1)
	at := func(label string) time.Time {
		return time.Unix(rapid.Int64Range(0, 4e9).Draw(t, label), 0).UTC()
	}
	v := Vars{
		FirstName: val.Draw(t, "first_name"), Clinic: val.Draw(t, "clinic"), ClinicPhone: val.Draw(t, "phone"),
		Practitioner: val.Draw(t, "practitioner"), PortalLink: val.Draw(t, "link"),
		AsksReply: rapid.Bool().Draw(t, "asks_reply"),
	}
	if rapid.Bool().Draw(t, "has_start") {
		v.Start = at("start")
	}
	for range rapid.IntRange(0, 4).Draw(t, "group") {
		v.Group = append(v.Group, Appointment{FirstName: val.Draw(t, "member"), Start: at("member_start")})
	}
	return v
}

// TestRenderPropertyPlaceholders: a template made of text and the kind's variables always
// renders, leaves no {variable} in the text, and puts every non-empty value in it.
func TestRenderPropertyPlaceholders(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		tpl, pieces := genTemplate(t, false)
		v := genVars(t)
		r, err := Render(tpl, v)
		if err != nil {
			t.Fatalf("Render(%q): %v", tpl.Body, err)
		}
		for _, n := range allNames() {
			if strings.Contains(r.Text, "{"+n+"}") {
				t.Fatalf("{%s} left in %q", n, r.Text)
			}
		}
		loc, _ := locale(tpl.Lang)
		values := valuesOf(tpl, v, loc)
		for _, p := range pieces {
			if p.name != "" && !strings.Contains(r.Text, values[p.name]) {
				t.Fatalf("value of {%s} %q missing from %q", p.name, values[p.name], r.Text)
			}
		}
	})
}

// TestRenderPropertyNoDoubleSpaces: an empty value never leaves two spaces in a row, nor a
// space at the end of a line, unless the template itself wrote two spaces.
func TestRenderPropertyNoDoubleSpaces(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		tpl, pieces := genTemplate(t, false)
		r, err := Render(tpl, genVars(t))
		if err != nil {
			t.Fatal(err)
		}
		var shape strings.Builder
		for _, p := range pieces {
			if p.name != "" {
				shape.WriteString("X")
			} else {
				shape.WriteString(p.text)
			}
		}
		if !strings.Contains(shape.String(), "  ") && strings.Contains(r.Text, "  ") {
			t.Fatalf("double space in %q from %q", r.Text, tpl.Body)
		}
		if strings.Contains(r.Text, " \n") || strings.HasSuffix(r.Text, " ") || strings.Contains(r.Text, "\n\n\n") {
			t.Fatalf("untidy text %q", r.Text)
		}
	})
}

// TestRenderPropertyEscapes: with {{ and }} in the mix, Render either succeeds and leaves no
// {variable} (a literal brace pair around a name is refused, not printed) or reports body
// Problems; Check agrees with Render on parsing.
func TestRenderPropertyEscapes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		tpl, _ := genTemplate(t, true)
		r, err := Render(tpl, genVars(t))
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("Render error %v is not Problems", err)
			}
			for _, p := range ps {
				if p.Field != "body" {
					t.Fatalf("problem in %s: %v", p.Field, p)
				}
			}
			if Check(tpl) == nil {
				t.Fatalf("Render refuses %q, Check accepts it", tpl.Body)
			}
			return
		}
		for _, n := range allNames() {
			if strings.Contains(r.Text, "{"+n+"}") {
				t.Fatalf("{%s} left in %q rendered from %q", n, r.Text, tpl.Body)
			}
		}
	})
}
