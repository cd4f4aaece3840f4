package compose

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/sms"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestDefaultsGolden renders every shipped template with the typical sample values and
// compares with testdata/<channel>.<lang>.golden, one file per channel and language so that
// a translator reads all the texts of a language together. Run with -update after changing
// a text, and read the diff.
func TestDefaultsGolden(t *testing.T) {
	for _, ch := range Channels() {
		for _, lang := range []string{"en", "fr"} {
			t.Run(string(ch)+"."+lang, func(t *testing.T) {
				var b strings.Builder
				for _, k := range Kinds() {
					tpl, ok := Default(k, ch, lang)
					if !ok {
						continue
					}
					r, err := Render(tpl, sampleVars(mustLocale(t, lang)))
					if err != nil {
						t.Fatalf("%s: %v", k, err)
					}
					fmt.Fprintf(&b, "===== %s\n", k)
					if ch == ChannelSMS {
						fmt.Fprintf(&b, "segments: %d (%s, %d characters)\n", r.Segments, r.Encoding, len([]rune(r.Text)))
					} else {
						fmt.Fprintf(&b, "subject: %s\n", r.Subject)
					}
					fmt.Fprintf(&b, "--- text\n%s\n", r.Text)
					if r.HTML != "" {
						fmt.Fprintf(&b, "--- html\n%s\n", r.HTML)
					}
					b.WriteString("\n")
				}
				golden(t, filepath.Join("testdata", string(ch)+"."+lang+".golden"), b.String())
			})
		}
	}
}

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

func mustLocale(t *testing.T, lang string) i18n.Locale {
	t.Helper()
	l, ok := i18n.Parse(lang)
	if !ok {
		t.Fatalf("bad language %q", lang)
	}
	return l
}

// TestDefaultSMSSegments pins what each shipped SMS costs with typical values: one GSM-7
// segment in English, at most two in French (French runs about a fifth longer; the
// appointment notices take two, the answers to keywords one). A text edit that adds a
// segment fails here, on purpose: it multiplies a clinic's bill.
func TestDefaultSMSSegments(t *testing.T) {
	tests := []struct {
		kind   Kind
		en, fr int
	}{
		{KindConfirmation, 1, 2},
		{KindReminder, 1, 2},
		{KindReschedule, 1, 2},
		{KindCancellation, 1, 2},
		{KindReminderGroup, 1, 2},
		{KindReplyConfirmed, 1, 1},
		{KindReplyHelp, 1, 1},
		{KindReplyStop, 1, 1},
		{KindReplyStart, 1, 1},
		{KindWaitlistOffer, 1, 2},
		{KindWaitlistTaken, 1, 1},
		{KindMessageAlert, 1, 1},
	}
	smsKinds := slices.DeleteFunc(Kinds(), Kind.Account) // account e-mails have no SMS
	if got, want := len(tests), len(smsKinds); got != want {
		t.Fatalf("table has %d kinds, Kinds has %d", got, want)
	}
	for _, tc := range tests {
		for lang, want := range map[string]int{"en": tc.en, "fr": tc.fr} {
			t.Run(string(tc.kind)+"/"+lang, func(t *testing.T) {
				tpl, ok := Default(tc.kind, ChannelSMS, lang)
				if !ok {
					t.Fatal("no default")
				}
				r, err := Render(tpl, sampleVars(mustLocale(t, lang)))
				if err != nil {
					t.Fatal(err)
				}
				got := struct {
					Segments int
					Encoding string
				}{r.Segments, r.Encoding}
				if diff := cmp.Diff(struct {
					Segments int
					Encoding string
				}{want, string(sms.GSM7)}, got); diff != "" {
					t.Errorf("segments (-want +got):\n%s\ntext: %s", diff, r.Text)
				}
				if lang == "fr" && r.Segments > 2 {
					t.Errorf("French default takes %d segments, at most 2", r.Segments)
				}
			})
		}
	}
}

// TestDefaultSMSTextIsGSM7 checks the shipped SMS texts themselves, not only as rendered
// with sample values: no ’, “, ê or ç sends every message of a clinic to UCS-2.
func TestDefaultSMSTextIsGSM7(t *testing.T) {
	for _, lang := range []string{"en", "fr"} {
		for _, k := range Kinds() {
			tpl, _ := Default(k, ChannelSMS, lang)
			if enc := sms.Length(tpl.Body).Encoding; enc != sms.GSM7 {
				t.Errorf("%s/%s is %s: %q", k, lang, enc, tpl.Body)
			}
		}
	}
}

// TestDefaultsPassCheck: a clinic that saves a default unchanged must not see an error.
func TestDefaultsPassCheck(t *testing.T) {
	for _, lang := range []string{"en", "fr"} {
		for _, k := range Kinds() {
			for _, ch := range Channels() {
				tpl, ok := Default(k, ch, lang)
				if ok != offers(k, ch) {
					t.Errorf("Default(%s, %s, %s) ok = %v", k, ch, lang, ok)
				}
				if !ok {
					continue
				}
				if err := Check(tpl); err != nil {
					t.Errorf("Check(Default(%s, %s, %s)) = %v", k, ch, lang, err)
				}
			}
		}
	}
}

// TestDefaultsSameVariablesInBothLanguages: a translation that drops {portal_link} (or adds
// {first_name}) would make the two languages say different things.
func TestDefaultsSameVariablesInBothLanguages(t *testing.T) {
	for _, k := range Kinds() {
		for _, ch := range Channels() {
			en, ok := Default(k, ch, "en")
			if !ok {
				continue
			}
			fr, _ := Default(k, ch, "fr")
			if diff := cmp.Diff(usedVariables(t, en), usedVariables(t, fr)); diff != "" {
				t.Errorf("%s/%s: variables differ (-en +fr):\n%s", k, ch, diff)
			}
		}
	}
}

// usedVariables lists the distinct variables of a template's subject and body, sorted.
func usedVariables(t *testing.T, tpl Template) []string {
	t.Helper()
	var names []string
	for _, src := range []string{tpl.Subject, tpl.Body} {
		toks, ps := parse("body", src, variables(tpl.Kind, tpl.Channel))
		if len(ps) > 0 {
			t.Fatal(ps)
		}
		for _, tk := range toks {
			if tk.name != "" && !slices.Contains(names, tk.name) {
				names = append(names, tk.name)
			}
		}
	}
	slices.Sort(names)
	return names
}

func TestDefaultLookup(t *testing.T) {
	tests := []struct {
		name       string
		kind       Kind
		ch         Channel
		lang       string
		ok         bool
		resultLang string
	}{
		{"english sms", KindReminder, ChannelSMS, "en", true, "en"},
		{"regional tag", KindReminder, ChannelEmail, "fr-FR", true, "fr"},
		{"upper case", KindReminder, ChannelPush, "FR", true, "fr"},
		{"reply on sms", KindReplyStop, ChannelSMS, "fr", true, "fr"},
		{"reply on email", KindReplyStop, ChannelEmail, "en", false, ""},
		{"reply on push", KindReplyHelp, ChannelPush, "en", false, ""},
		{"unknown language", KindReminder, ChannelSMS, "de", false, ""},
		{"unknown kind", Kind("recall"), ChannelSMS, "en", false, ""},
		{"unknown channel", KindReminder, Channel("fax"), "en", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tpl, ok := Default(tc.kind, tc.ch, tc.lang)
			if ok != tc.ok || tpl.Lang != tc.resultLang {
				t.Fatalf("Default = %+v, %v; want ok %v, lang %q", tpl, ok, tc.ok, tc.resultLang)
			}
			if ok && (tpl.Kind != tc.kind || tpl.Channel != tc.ch || tpl.Body == "") {
				t.Errorf("Default = %+v", tpl)
			}
			if ok && (tpl.Subject == "") != (tc.ch == ChannelSMS) {
				t.Errorf("subject %q on %s", tpl.Subject, tc.ch)
			}
		})
	}
}

func TestVariables(t *testing.T) {
	tests := []struct {
		kind Kind
		want []string
	}{
		{KindConfirmation, []string{"first_name", "clinic", "clinic_phone", "practitioner", "date", "time", "portal_link"}},
		{KindReminder, []string{"first_name", "clinic", "clinic_phone", "practitioner", "date", "time", "portal_link", "reply_hint"}},
		{KindReminderGroup, []string{"clinic", "clinic_phone", "practitioner", "date", "appointments", "portal_link", "reply_hint"}},
		{KindReplyHelp, []string{"clinic", "clinic_phone", "portal_link"}},
		{KindReplyStop, []string{"clinic", "clinic_phone"}},
		{Kind("nope"), nil},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, Variables(tc.kind)); diff != "" {
			t.Errorf("Variables(%s) (-want +got):\n%s", tc.kind, diff)
		}
	}
	// Every kind offers at least the clinic, so that a patient knows who is writing.
	for _, k := range Kinds() {
		if !slices.Contains(Variables(k), VarClinic) {
			t.Errorf("%s does not offer {clinic}", k)
		}
	}
}
