package compose

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheck(t *testing.T) {
	sms := func(body string) Template {
		return Template{Kind: KindReminder, Channel: ChannelSMS, Lang: "en", Body: body}
	}
	email := func(subject, body string) Template {
		return Template{Kind: KindConfirmation, Channel: ChannelEmail, Lang: "fr", Subject: subject, Body: body}
	}
	push := func(subject, body string) Template {
		return Template{Kind: KindReminder, Channel: ChannelPush, Lang: "en", Subject: subject, Body: body}
	}
	confirmationVars := "{first_name}, {clinic}, {clinic_phone}, {practitioner}, {date}, {time}, {portal_link}"
	reminderSMSVars := confirmationVars + ", {reply_hint}"
	tests := []struct {
		name string
		tpl  Template
		want Problems
	}{
		{"plain sms", sms("See you {date} at {time}. {reply_hint}"), nil},
		{"literal braces", sms("Codes {{A}} and {{B}}: {first_name}"), nil},
		{"literal open brace only", sms("a {{ b"), nil},
		{"crlf from a textarea", email("Hi", "Hello {first_name},\r\n\r\nSee you.\r\n"), nil},
		{"unknown variable", sms("Hi {firstname}"),
			Problems{{"body", "unknown variable {firstname}; the variables are " + reminderSMSVars}}},
		{"unknown variable twice is said once", sms("{foo} {foo} {bar}"), Problems{
			{"body", "unknown variable {foo}; the variables are " + reminderSMSVars},
			{"body", "unknown variable {bar}; the variables are " + reminderSMSVars},
		}},
		{"capitalised name is unknown", sms("Hi {First_Name}"),
			Problems{{"body", "unknown variable {First_Name}; the variables are " + reminderSMSVars}}},
		{"variable of another kind", email("Hi", "{appointments}"),
			Problems{{"body", "{appointments} is not available in this message; the variables are " + confirmationVars}}},
		{"reply hint outside sms", push("Reminder", "{date} {reply_hint}"),
			Problems{{"body", "{reply_hint} is not available in this message; the variables are " + confirmationVars}}},
		{"empty braces", sms("Hi {}"),
			Problems{{"body", "unknown variable {}; the variables are " + reminderSMSVars}}},
		{"mustache habit", sms("Hi {{first_name}}"),
			Problems{{"body", "{{first_name}} prints {first_name} as it is: write {first_name} to insert the value"}}},
		{"three braces are a literal and a variable", sms("Hi {{{first_name}}}"), nil},
		{"literal braces closing around an empty value", sms("{{first_name{first_name}}}"), Problems{{"body",
			"the literal braces around {first_name} would print it as it is when a value is empty: write {first_name} to insert the value"}}},
		{"unclosed brace", sms("Hi {first_name, see you"),
			Problems{{"body", "unbalanced brace: the { at character 4 is not closed; write {{ for a literal {"}}},
		{"brace closed on the next line", sms("Hi {first_name\n}"), Problems{
			{"body", "unbalanced brace: the { at character 4 is not closed; write {{ for a literal {"},
			{"body", "unbalanced brace: the } at character 16 closes nothing; write }} for a literal }"},
		}},
		{"stray closing brace", sms("Café } {date}"),
			Problems{{"body", "unbalanced brace: the } at character 6 closes nothing; write }} for a literal }"}}},
		{"nested brace", sms("{a {date}"),
			Problems{{"body", "unbalanced brace: the { at character 1 is not closed; write {{ for a literal {"}}},
		{"empty body", sms(""), Problems{{"body", "is required"}}},
		{"blank body", sms(" \n\t "), Problems{{"body", "is required"}}},
		{"tab in body", sms("a\tb"), Problems{{"body", "must not contain tabs or control characters"}}},
		{"body too long", email("Hi", strings.Repeat("a", MaxBody+1)),
			Problems{{"body", "must be at most 5000 characters"}}},
		{"5000 characters are fine", email("Hi", strings.Repeat("é", MaxBody)), nil},
		{"sms of seven segments", sms(strings.Repeat("a", 6*153+1)),
			Problems{{"body", "needs 7 SMS segments (GSM-7) with long names; at most 6"}}},
		{"sms of six segments", sms(strings.Repeat("a", 6*153)), nil},
		{"sms forced into UCS-2", sms(strings.Repeat("ê", 6*67-20) + "{clinic}"),
			Problems{{"body", "needs 7 SMS segments (UCS-2) with long names; at most 6"}}},
		{"sms counted with long values", sms(strings.Repeat("{practitioner} ", 30)),
			Problems{{"body", "needs 7 SMS segments (GSM-7) with long names; at most 6"}}},
		{"sms with a subject", Template{Kind: KindReplyStop, Channel: ChannelSMS, Lang: "en", Subject: "Hi", Body: "Bye"},
			Problems{{"subject", "must be empty: an SMS has no subject"}}},
		{"email without subject", email(" ", "Body"), Problems{{"subject", "is required"}}},
		{"newline in subject", email("Your appointment\non {date}", "Body"),
			Problems{{"subject", "must be a single line"}}},
		{"carriage return in subject", email("Your appointment\ron {date}", "Body"),
			Problems{{"subject", "must be a single line"}}},
		{"subject too long", email(strings.Repeat("x", MaxSubject+1), "Body"),
			Problems{{"subject", "must be at most 200 characters"}}},
		{"unknown variable in subject and body", email("{when}", "{where}"), Problems{
			{"subject", "unknown variable {when}; the variables are " + confirmationVars},
			{"body", "unknown variable {where}; the variables are " + confirmationVars},
		}},
		{"push too long with long names", push("Reminder", strings.Repeat("{clinic} ", 6)),
			Problems{{"body", "is 233 characters with long names; a notification holds at most 200"}}},
		{"unknown kind", Template{Kind: "recall", Channel: ChannelSMS, Lang: "en", Body: "x"},
			Problems{{"kind", `unknown kind "recall"`}}},
		{"unknown channel and language", Template{Kind: KindReminder, Channel: "fax", Lang: "de", Body: "x"}, Problems{
			{"channel", `unknown channel "fax"`},
			{"lang", `unsupported language "de": en or fr`},
		}},
		{"reply by e-mail", Template{Kind: KindReplyHelp, Channel: ChannelEmail, Lang: "en", Subject: "x", Body: "x"},
			Problems{{"channel", "an answer to an SMS is sent by SMS only"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.tpl)
			var got Problems
			if err != nil && !errors.As(err, &got) {
				t.Fatalf("Check returned %T %v, want Problems", err, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Check problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProblemsError(t *testing.T) {
	err := error(Problems{{"subject", "is required"}, {"body", "unknown variable {x}; the variables are {clinic}"}})
	want := "subject: is required; body: unknown variable {x}; the variables are {clinic}"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}
