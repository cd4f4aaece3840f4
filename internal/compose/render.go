package compose

import (
	"bytes"
	"fmt"
	"html"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/sms"
)

// Appointment is one appointment of a grouped reminder (NOT-4).
type Appointment struct {
	FirstName string
	Start     time.Time
	// Practitioner is the appointment's own practitioner. The grouped reminder covers one
	// agenda, so the message names Vars.Practitioner once and {appointments} leaves this out;
	// it is here for the planner's benefit.
	Practitioner string
}

// Vars are the values of one message. Only what a template may say is here: no surname, no
// reason for the appointment, nothing clinical.
type Vars struct {
	FirstName, Clinic, ClinicPhone, Practitioner, PortalLink string
	// Start is the appointment's instant; {date} and {time} show it in Zone, the clinic's
	// zone (a nil Zone shows Start in its own location). For a grouped reminder a zero Start
	// means the first appointment's.
	Start time.Time
	Zone  *time.Location
	// Group is the grouped reminder's appointments, listed by {appointments} in time order:
	// "Olivia at 9:30am and Noah at 9:45am", "Camille à 9h30 et Louis à 9h45".
	Group []Appointment
	// AsksReply is set when the clinic accepts C/Y replies to confirm (NOT-10): {reply_hint}
	// then says "Reply C to confirm.", else it is empty.
	AsksReply bool
	// ClaimWord is a waitlist offer's reply word, {claim_word} ("BOOK 4821").
	ClaimWord string
}

// Rendered is a message ready to send.
type Rendered struct {
	// Subject is the e-mail subject or push title; empty for SMS.
	Subject string
	// Text is the SMS text, the e-mail's plain-text part or the push body.
	Text string
	// HTML is the e-mail's HTML part (a fragment of <p> elements, to be put in the e-mail
	// layout); empty for SMS and push.
	HTML string
	// Segments and Encoding are what sms.Length says of an SMS Text; zero and empty for the
	// other channels.
	Segments int
	Encoding string
}

// Render fills a template with the values of one message. It fails with Problems when the
// template does not parse (an unknown variable, an unbalanced brace) or its kind, channel or
// language is unknown; it does not apply Check's length limits, since a saved template
// passed them and a message already due is better sent long than not at all.
func Render(t Template, v Vars) (Rendered, error) {
	if ps := checkHeader(t); len(ps) > 0 {
		return Rendered{}, fmt.Errorf("render %s %s template: %w", t.Kind, t.Channel, ps)
	}
	loc, _ := locale(t.Lang)
	r, ps := render(t, v, loc)
	if len(ps) > 0 {
		return Rendered{}, fmt.Errorf("render %s %s template: %w", t.Kind, t.Channel, ps)
	}
	return r, nil
}

// Preview renders a template with sample values for the dashboard's editor, as staff type.
// lang chooses the sample names ("Olivia" at "Harbour Medical", "Camille" at "Cabinet
// médical du Parc"; the template's own language when lang is not en or fr); dates and times
// are written in the template's language. Unlike Render it always returns the rendering,
// unknown variables and stray braces shown as typed, together with Check's verdict, so that
// the editor can show both.
func Preview(t Template, lang string) (Rendered, error) {
	loc, ok := locale(t.Lang)
	sample, sok := locale(lang)
	switch {
	case !sok && ok:
		sample = loc
	case !ok && sok:
		loc = sample
	}
	r, _ := render(t, sampleVars(sample), loc)
	return r, Check(t)
}

// render does the work of Render for a known or unknown template, best effort: the
// rendering of what parses, and the problems found.
func render(t Template, v Vars, loc i18n.Locale) (Rendered, Problems) {
	allowed := variables(t.Kind, t.Channel)
	values := valuesOf(t, v, loc)
	var (
		r  Rendered
		ps Problems
	)
	if t.Channel != ChannelSMS {
		// One line whatever the template says: a line break in an e-mail subject would
		// start a new header.
		var stoks []token
		stoks, ps = parse("subject", normalise(t.Subject), allowed)
		r.Subject = clean(fill(stoks, values))
	}
	btoks, bp := parse("body", normalise(t.Body), allowed)
	ps = append(ps, bp...)
	r.Text = fill(btoks, values)
	switch t.Channel {
	case ChannelSMS:
		info := sms.Length(r.Text)
		r.Segments, r.Encoding = info.Segments, string(info.Encoding)
	case ChannelEmail:
		r.HTML = toHTML(r.Text, values[VarPortalLink])
	}
	return r, ps
}

// valuesOf computes every variable's text for a template's channel and language.
func valuesOf(t Template, v Vars, loc i18n.Locale) map[string]string {
	start := v.Start
	if start.IsZero() && t.Kind == KindReminderGroup {
		for _, a := range v.Group {
			if !a.Start.IsZero() && (start.IsZero() || a.Start.Before(start)) {
				start = a.Start
			}
		}
	}
	in := func(t time.Time) time.Time {
		if v.Zone != nil {
			return t.In(v.Zone)
		}
		return t
	}
	isSMS := t.Channel == ChannelSMS
	values := map[string]string{
		VarFirstName:    clean(v.FirstName),
		VarClinic:       clean(v.Clinic),
		VarClinicPhone:  clean(v.ClinicPhone),
		VarPractitioner: clean(v.Practitioner),
		VarPortalLink:   clean(v.PortalLink),
		VarAppointments: group(loc, v.Group, in),
		VarClaimWord:    clean(v.ClaimWord),
	}
	if !start.IsZero() {
		values[VarDate] = date(loc, in(start), isSMS)
		values[VarTime] = clock(loc, in(start))
	}
	if v.AsksReply && isSMS {
		values[VarReplyHint] = replyHint(loc)
	}
	return values
}

// replyHint invites a C reply, in the words of the shipped texts.
func replyHint(loc i18n.Locale) string {
	if loc == i18n.French {
		return "Répondez C pour confirmer."
	}
	return "Reply C to confirm."
}

// clean makes a value safe to put in a line of text: every run of spaces, line breaks and
// control characters becomes one space, and invalid UTF-8 becomes U+FFFD, so that data
// from the clinical software cannot add lines or break the encoding.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
}

// fill writes the tokens with their values and tidies what an empty value leaves, in one
// pass (a message is rendered for every patient, and Render takes templates of any length):
// a space before the empty value goes when a space, a line break, punctuation or the end
// follows ("Hi {first_name}, …" reads "Hi, …"); at the start of a line, the spaces after it
// go; and a line that an empty value left blank disappears (see tidy).
func fill(toks []token, values map[string]string) string {
	var (
		out     []byte
		line    int   // line breaks written so far: the index of the current line
		blanked []int // lines where a value was empty, ascending
		pending bool  // an empty value was met and the text after it is not written yet
	)
	write := func(s string) {
		if pending {
			pending = false
			switch {
			case len(out) > 0 && out[len(out)-1] == ' ' && (s == "" || strings.IndexByte(" \n,.;:!?)", s[0]) >= 0):
				out = bytes.TrimRight(out, " ")
			case len(out) == 0 || out[len(out)-1] == '\n':
				s = strings.TrimLeft(s, " ")
			}
		}
		out = append(out, s...)
		line += strings.Count(s, "\n")
	}
	for _, tk := range toks {
		text := tk.text
		if tk.name != "" {
			if text = values[tk.name]; text == "" {
				pending = true
				if len(blanked) == 0 || blanked[len(blanked)-1] != line {
					blanked = append(blanked, line)
				}
				continue
			}
		}
		write(text)
	}
	write("") // an empty value at the very end
	return tidy(string(out), blanked)
}

// tidy drops the lines in blanked (ascending indices) that are blank, since an empty value
// emptied them; then every line loses its trailing spaces, blank lines collapse into one,
// and the text is trimmed.
func tidy(s string, blanked []int) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := false
	for i, l := range lines {
		l = strings.TrimRight(l, " \t")
		for len(blanked) > 0 && blanked[0] < i {
			blanked = blanked[1:]
		}
		if len(blanked) > 0 && blanked[0] == i && strings.TrimLeft(l, " \t") == "" {
			continue
		}
		if l == "" && blank {
			continue
		}
		blank = l == ""
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// toHTML makes the e-mail's HTML from its rendered text: a paragraph per block of lines,
// <br> between lines, everything escaped, and the portal link, when it is an http(s) URL,
// made a link.
func toHTML(text, link string) string {
	if text == "" {
		return ""
	}
	var anchor, escLink string
	if u, err := url.Parse(link); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		escLink = html.EscapeString(link)
		anchor = `<a href="` + escLink + `">` + escLink + `</a>`
	}
	var b strings.Builder
	for i, para := range strings.Split(text, "\n\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("<p>")
		for j, line := range strings.Split(para, "\n") {
			if j > 0 {
				b.WriteString("<br>\n")
			}
			line = html.EscapeString(line)
			if anchor != "" {
				line = strings.ReplaceAll(line, escLink, anchor)
			}
			b.WriteString(line)
		}
		b.WriteString("</p>")
	}
	return b.String()
}
