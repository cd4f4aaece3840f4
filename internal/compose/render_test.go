package compose

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/zonetest"
)

func TestClock(t *testing.T) {
	tests := []struct {
		h, m   int
		en, fr string
	}{
		{0, 0, "12:00am", "0h00"},
		{0, 5, "12:05am", "0h05"},
		{9, 0, "9:00am", "9h00"},
		{9, 30, "9:30am", "9h30"},
		{11, 59, "11:59am", "11h59"},
		{12, 0, "12:00pm", "12h00"},
		{13, 15, "1:15pm", "13h15"},
		{23, 59, "11:59pm", "23h59"},
	}
	for _, tc := range tests {
		at := time.Date(2026, 3, 3, tc.h, tc.m, 0, 0, time.UTC)
		if got := clock(i18n.English, at); got != tc.en {
			t.Errorf("English %02d:%02d = %q, want %q", tc.h, tc.m, got, tc.en)
		}
		if got := clock(i18n.French, at); got != tc.fr {
			t.Errorf("French %02d:%02d = %q, want %q", tc.h, tc.m, got, tc.fr)
		}
	}
}

// TestRenderDateAndTime covers the clinic's zone (a UTC instant shown in Sydney's and
// Paris's wall clock, across their DST changes), the French "1er", and "aout" in SMS only.
func TestRenderDateAndTime(t *testing.T) {
	sydney := zonetest.Load(t, "Australia/Sydney")
	paris := zonetest.Load(t, "Europe/Paris")
	tests := []struct {
		name  string
		ch    Channel
		lang  string
		start time.Time
		zone  *time.Location
		want  string
	}{
		{"utc instant in Sydney, the next day", ChannelSMS, "en",
			time.Date(2026, 10, 13, 23, 30, 0, 0, time.UTC), sydney, "Wednesday 14 October at 10:30am"},
		{"the Sunday DST starts in Sydney", ChannelSMS, "en",
			time.Date(2026, 10, 3, 22, 0, 0, 0, time.UTC), sydney, "Sunday 4 October at 9:00am"},
		{"the day before, still standard time", ChannelSMS, "en",
			time.Date(2026, 10, 2, 23, 0, 0, 0, time.UTC), sydney, "Saturday 3 October at 9:00am"},
		{"the Sunday DST ends in Paris", ChannelSMS, "fr",
			time.Date(2026, 10, 25, 8, 0, 0, 0, time.UTC), paris, "dimanche 25 octobre à 9h00"},
		{"first of the month", ChannelEmail, "fr",
			time.Date(2026, 10, 1, 7, 0, 0, 0, time.UTC), paris, "jeudi 1er octobre à 9h00"},
		{"août in an e-mail", ChannelEmail, "fr",
			time.Date(2026, 8, 4, 12, 0, 0, 0, time.UTC), paris, "mardi 4 août à 14h00"},
		{"aout in an SMS stays GSM-7", ChannelSMS, "fr",
			time.Date(2026, 8, 4, 12, 0, 0, 0, time.UTC), paris, "mardi 4 aout à 14h00"},
		{"no zone: the instant's own location", ChannelPush, "en",
			time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nil, "Thursday 1 January at 12:00am"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := "{date} at {time}"
			if tc.lang == "fr" {
				body = "{date} à {time}"
			}
			tpl := Template{Kind: KindConfirmation, Channel: tc.ch, Lang: tc.lang, Subject: "s", Body: body}
			r, err := Render(tpl, Vars{Start: tc.start, Zone: tc.zone})
			if err != nil {
				t.Fatal(err)
			}
			if r.Text != tc.want {
				t.Errorf("got %q, want %q", r.Text, tc.want)
			}
			if tc.ch == ChannelSMS && r.Encoding != "GSM-7" {
				t.Errorf("encoding %s", r.Encoding)
			}
		})
	}
}

func TestRenderGroup(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 10, 14, h, m, 0, 0, time.UTC) }
	tests := []struct {
		name  string
		lang  string
		group []Appointment
		want  string
	}{
		{"one", "en", []Appointment{{FirstName: "Alice", Start: at(9, 0)}}, "Wednesday 14 October: Alice at 9:00am"},
		{"two", "en", []Appointment{{FirstName: "Alice", Start: at(9, 0)}, {FirstName: "Bob", Start: at(9, 30)}},
			"Wednesday 14 October: Alice at 9:00am and Bob at 9:30am"},
		{"three, sorted by time", "en", []Appointment{
			{FirstName: "Carol", Start: at(14, 0)}, {FirstName: "Alice", Start: at(9, 0)}, {FirstName: "Bob", Start: at(9, 30)}},
			"Wednesday 14 October: Alice at 9:00am, Bob at 9:30am and Carol at 2:00pm"},
		{"french", "fr", []Appointment{{FirstName: "Alice", Start: at(9, 0)}, {FirstName: "Bob", Start: at(9, 30)}, {FirstName: "Chloé", Start: at(10, 0)}},
			"mercredi 14 octobre : Alice à 9h00, Bob à 9h30 et Chloé à 10h00"},
		{"a name missing", "en", []Appointment{{Start: at(9, 0)}, {FirstName: " Bob\n", Start: at(9, 30)}},
			"Wednesday 14 October: 9:00am and Bob at 9:30am"},
		{"none: only the template's punctuation is left", "en", nil, ":"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := "{date}: {appointments}"
			if tc.lang == "fr" {
				body = "{date} : {appointments}"
			}
			tpl := Template{Kind: KindReminderGroup, Channel: ChannelSMS, Lang: tc.lang, Body: body}
			// Start is left zero: the date is the first appointment's.
			r, err := Render(tpl, Vars{Group: tc.group, Zone: time.UTC})
			if err != nil {
				t.Fatal(err)
			}
			if r.Text != tc.want {
				t.Errorf("got %q, want %q", r.Text, tc.want)
			}
		})
	}
}

// TestRenderEmptyValues: an empty value takes its space with it, so a clinic that does not
// accept C replies sends no double space, and a line of nothing but it disappears.
func TestRenderEmptyValues(t *testing.T) {
	tests := []struct {
		name string
		body string
		v    Vars
		want string
	}{
		{"hint asked", "See you. {reply_hint} Call us.", Vars{AsksReply: true}, "See you. Reply C to confirm. Call us."},
		{"hint in the middle", "See you. {reply_hint} Call us.", Vars{}, "See you. Call us."},
		{"hint at the end", "See you. {reply_hint}", Vars{}, "See you."},
		{"hint at the start", "{reply_hint} See you.", Vars{}, "See you."},
		{"hint alone on its line", "See you.\n{reply_hint}\nCall us.", Vars{}, "See you.\nCall us."},
		{"hint alone on the last line", "See you.\n{reply_hint}", Vars{}, "See you."},
		{"hint alone on an indented line", "See you.\n  {reply_hint}  \nCall us.", Vars{}, "See you.\nCall us."},
		{"two empty values in a row", "A {reply_hint} {first_name} B", Vars{}, "A B"},
		{"before a comma", "Hi {first_name}, see you.", Vars{}, "Hi, see you."},
		{"before a full stop", "Thank you {first_name}.", Vars{}, "Thank you."},
		{"french space before a colon", "Rappel {first_name} : demain", Vars{}, "Rappel : demain"},
		{"inside parentheses", "with Dr X ({clinic})", Vars{}, "with Dr X ()"},
		{"glued to a word", "Dr{practitioner}!", Vars{}, "Dr!"},
		{"blank line kept, empty line removed", "A\n\n{reply_hint}\n\nB", Vars{}, "A\n\nB"},
		{"blank lines collapse", "A\n\n\n\nB", Vars{}, "A\n\nB"},
		{"only the hint", "{reply_hint}", Vars{}, ""},
		{"value present keeps spaces", "Hi {first_name} !", Vars{FirstName: "Léa"}, "Hi Léa !"},
		{"trailing spaces trimmed", "A  \nB ", Vars{}, "A\nB"},
		{"template's own double space kept", "A  B", Vars{}, "A  B"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tpl := Template{Kind: KindReminder, Channel: ChannelSMS, Lang: "en", Body: tc.body}
			r, err := Render(tpl, tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if r.Text != tc.want {
				t.Errorf("got %q, want %q", r.Text, tc.want)
			}
		})
	}
}

func TestRenderReplyHintLanguages(t *testing.T) {
	for lang, want := range map[string]string{"en": "Reply C to confirm.", "fr": "Répondez C pour confirmer."} {
		r, err := Render(Template{Kind: KindReminder, Channel: ChannelSMS, Lang: lang, Body: "{reply_hint}"}, Vars{AsksReply: true})
		if err != nil {
			t.Fatal(err)
		}
		if r.Text != want {
			t.Errorf("%s: got %q, want %q", lang, r.Text, want)
		}
	}
}

// TestRenderValuesAreCleaned: data from the clinical software cannot add lines, tabs or
// broken UTF-8 to a message.
func TestRenderValuesAreCleaned(t *testing.T) {
	tpl := Template{Kind: KindConfirmation, Channel: ChannelSMS, Lang: "en", Body: "Hi {first_name}, {clinic}."}
	r, err := Render(tpl, Vars{FirstName: " Ann\n\nReply STOP\t", Clinic: "Bay\x00 \xffClinic"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Hi Ann Reply STOP, Bay \uFFFDClinic."; r.Text != want {
		t.Errorf("got %q, want %q", r.Text, want)
	}
}

// TestRenderHTMLEscaping: a patient named <script> renders inert, every value and the
// clinic's own text are escaped, and only the portal link becomes a link.
func TestRenderHTMLEscaping(t *testing.T) {
	tpl := Template{Kind: KindConfirmation, Channel: ChannelEmail, Lang: "en",
		Subject: "For {first_name}",
		Body:    "Hello {first_name} <b>&</b>,\n\n{clinic} says hi.\nVisit {portal_link}\nor https://evil.example/\n\n\n{practitioner}"}
	v := Vars{
		FirstName:    `<script>alert("x")</script>`,
		Clinic:       `Smith & Jones' <Clinic>`,
		PortalLink:   `https://p.example/a?x=1&y="2"`,
		Practitioner: `<img src=x onerror=alert(1)>`,
	}
	r, err := Render(tpl, v)
	if err != nil {
		t.Fatal(err)
	}
	want := Rendered{
		Subject: `For <script>alert("x")</script>`,
		Text: "Hello <script>alert(\"x\")</script> <b>&</b>,\n\nSmith & Jones' <Clinic> says hi.\n" +
			"Visit https://p.example/a?x=1&y=\"2\"\nor https://evil.example/\n\n<img src=x onerror=alert(1)>",
		HTML: "<p>Hello &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &lt;b&gt;&amp;&lt;/b&gt;,</p>\n" +
			"<p>Smith &amp; Jones&#39; &lt;Clinic&gt; says hi.<br>\n" +
			`Visit <a href="https://p.example/a?x=1&amp;y=&#34;2&#34;">https://p.example/a?x=1&amp;y=&#34;2&#34;</a><br>` + "\n" +
			"or https://evil.example/</p>\n" +
			"<p>&lt;img src=x onerror=alert(1)&gt;</p>",
	}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("Render (-want +got):\n%s", diff)
	}
}

func TestRenderLinkOnlyForWebURLs(t *testing.T) {
	for _, link := range []string{"javascript:alert(1)", "data:text/html,hi", "//p.example/a", "p.example/a", "https://"} {
		tpl := Template{Kind: KindConfirmation, Channel: ChannelEmail, Lang: "en", Subject: "s", Body: "{portal_link}"}
		r, err := Render(tpl, Vars{PortalLink: link})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r.HTML, "<a ") {
			t.Errorf("%q made a link: %s", link, r.HTML)
		}
	}
}

func TestRenderChannels(t *testing.T) {
	v := Vars{FirstName: "Olivia", Start: time.Date(2026, 10, 14, 10, 30, 0, 0, time.UTC), AsksReply: true}
	tests := []struct {
		name string
		tpl  Template
		want Rendered
	}{
		{"sms has segments, no subject or HTML",
			Template{Kind: KindReminder, Channel: ChannelSMS, Lang: "en", Body: "Hi {first_name}. {reply_hint}"},
			Rendered{Text: "Hi Olivia. Reply C to confirm.", Segments: 1, Encoding: "GSM-7"}},
		{"sms in UCS-2",
			Template{Kind: KindReminder, Channel: ChannelSMS, Lang: "fr", Body: "Bientôt, {first_name}"},
			Rendered{Text: "Bientôt, Olivia", Segments: 1, Encoding: "UCS-2"}},
		{"push has a title and no reply hint",
			Template{Kind: KindReminder, Channel: ChannelPush, Lang: "en", Subject: "Reminder {time}", Body: "Hi {first_name}."},
			Rendered{Subject: "Reminder 10:30am", Text: "Hi Olivia."}},
		{"email has HTML",
			Template{Kind: KindReminder, Channel: ChannelEmail, Lang: "en", Subject: "{date}", Body: "Hi {first_name}."},
			Rendered{Subject: "Wednesday 14 October", Text: "Hi Olivia.", HTML: "<p>Hi Olivia.</p>"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Render(tc.tpl, v)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, r); diff != "" {
				t.Errorf("Render (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRenderSubjectIsOneLine: Render does not rely on Check having refused a line break in
// a subject, which would start a new e-mail header.
func TestRenderSubjectIsOneLine(t *testing.T) {
	tpl := Template{Kind: KindConfirmation, Channel: ChannelEmail, Lang: "en",
		Subject: "Hi {first_name}\r\nBcc: x@example.com\n", Body: "b"}
	r, err := Render(tpl, Vars{FirstName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Hi Ann Bcc: x@example.com"; r.Subject != want {
		t.Errorf("Subject = %q, want %q", r.Subject, want)
	}
	// An SMS has no subject: whatever is stored there is ignored, not parsed.
	sms := Template{Kind: KindConfirmation, Channel: ChannelSMS, Lang: "en", Subject: "{oops", Body: "b"}
	if r, err := Render(sms, Vars{}); err != nil || r.Subject != "" {
		t.Errorf("SMS with a subject: %+v, %v", r, err)
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name string
		tpl  Template
		want Problems
	}{
		{"unknown variable", Template{Kind: KindReplyStop, Channel: ChannelSMS, Lang: "en", Body: "{first_name}"},
			Problems{{"body", "{first_name} is not available in this message; the variables are {clinic}, {clinic_phone}"}}},
		{"unbalanced", Template{Kind: KindReplyStop, Channel: ChannelSMS, Lang: "en", Body: "}"},
			Problems{{"body", "unbalanced brace: the } at character 1 closes nothing; write }} for a literal }"}}},
		{"unknown language", Template{Kind: KindReplyStop, Channel: ChannelSMS, Lang: "es", Body: "x"},
			Problems{{"lang", `unsupported language "es": en or fr`}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Render(tc.tpl, Vars{})
			var got Problems
			if !errors.As(err, &got) {
				t.Fatalf("Render error %v, want Problems", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if r != (Rendered{}) {
				t.Errorf("Render returned %+v with an error", r)
			}
		})
	}
	// Render does not apply Check's size limits: a message already due is sent long.
	long := Template{Kind: KindReplyStop, Channel: ChannelSMS, Lang: "en", Body: strings.Repeat("a", 2000)}
	if r, err := Render(long, Vars{}); err != nil || r.Segments != 14 {
		t.Errorf("long SMS: %d segments, %v", r.Segments, err)
	}
}

// TestPreview: sample values in the staff's language, formats in the template's, and the
// rendering even when the template has problems.
func TestPreview(t *testing.T) {
	tpl := Template{Kind: KindReminder, Channel: ChannelSMS, Lang: "en", Body: "Hi {first_name}, {date} at {time} {oops}"}
	r, err := Preview(tpl, "fr")
	want := Rendered{Text: "Hi Camille, Wednesday 14 October at 10:30am {oops}", Segments: 1, Encoding: "GSM-7"}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("Preview (-want +got):\n%s", diff)
	}
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Field != "body" {
		t.Errorf("Preview error = %v, want one body problem", err)
	}

	tpl = Template{Kind: KindReminder, Channel: ChannelSMS, Lang: "fr", Body: "{first_name} {time} {reply_hint}"}
	for lang, want := range map[string]string{"": "Camille 10h30 Répondez C pour confirmer.", "en": "Olivia 10h30 Répondez C pour confirmer."} {
		r, err := Preview(tpl, lang)
		if err != nil || r.Text != want {
			t.Errorf("Preview(fr template, %q) = %q, %v; want %q", lang, r.Text, err, want)
		}
	}
}
