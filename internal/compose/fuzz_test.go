package compose

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzSeeds are templates near the parser's edges.
func fuzzSeeds() []string {
	return []string{"", "{", "}", "{{", "}}", "{}", "{first_name}", "{{first_name}}", "{{{clinic}}}",
		"a {reply_hint} b", "{date} à {time}\n\n{reply_hint}\n", "{appointments}", "é{\n}", "\r\n{clinic}\r",
		"{{first_name{first_name}}}", "\xff{", "{portal_link}\t"}
}

// FuzzRender: Render never panics on any template or values, a success never leaves a
// {variable} the values did not bring, and an SMS's counts are sms.Length's.
func FuzzRender(f *testing.F) {
	for i, s := range fuzzSeeds() {
		f.Add(uint8(i), s, "Olivia", "https://p.example/a", int64(1e9), i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, pick uint8, body, name, link string, unix int64, asks bool) {
		kinds, chans := Kinds(), Channels()
		tpl := Template{
			Kind:    kinds[int(pick)%len(kinds)],
			Channel: chans[int(pick/16)%len(chans)],
			Lang:    []string{"en", "fr"}[int(pick/64)%2],
			Subject: body,
			Body:    body,
		}
		v := Vars{FirstName: name, Clinic: name, PortalLink: link, Start: time.Unix(unix%1e11, 0).UTC(), AsksReply: asks,
			Group: []Appointment{{FirstName: name, Start: time.Unix(unix%1e11, 0).UTC()}}}
		r, err := Render(tpl, v)
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error %v is not Problems", err)
			}
			return
		}
		if strings.ContainsAny(name+link, "{}") {
			return
		}
		for _, n := range allNames() {
			if strings.Contains(r.Text, "{"+n+"}") {
				t.Fatalf("{%s} left in %q", n, r.Text)
			}
		}
		if tpl.Channel == ChannelEmail && utf8.ValidString(r.Text) && strings.Contains(r.HTML, "<script") {
			t.Fatalf("unescaped HTML: %s", r.HTML)
		}
	})
}

// FuzzCheck: Check never panics, and returns nil or Problems naming a known field.
func FuzzCheck(f *testing.F) {
	for i, s := range fuzzSeeds() {
		f.Add(uint8(i), s, s)
	}
	f.Fuzz(func(t *testing.T, pick uint8, subject, body string) {
		kinds, chans := Kinds(), Channels()
		tpl := Template{
			Kind:    kinds[int(pick)%len(kinds)],
			Channel: chans[int(pick/16)%len(chans)],
			Lang:    []string{"en", "fr", "de"}[int(pick/64)%3],
			Subject: subject,
			Body:    body,
		}
		err := Check(tpl)
		if err == nil {
			return
		}
		var ps Problems
		if !errors.As(err, &ps) || len(ps) == 0 {
			t.Fatalf("Check error %v is not Problems", err)
		}
		for _, p := range ps {
			switch p.Field {
			case "subject", "body", "kind", "channel", "lang":
			default:
				t.Fatalf("problem names field %q", p.Field)
			}
			if p.Reason == "" {
				t.Fatal("problem without a reason")
			}
		}
		// Preview shows the same verdict with a rendering.
		if _, perr := Preview(tpl, "en"); perr == nil {
			t.Fatalf("Check fails with %v, Preview does not", err)
		}
	})
}
