package email

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseDSNRecorded reads DSNs as Postfix, Exim, Gmail and Exchange Online write them
// (testdata/dsn; the Gmail and Exchange ones with CRLF line ends, as received).
func TestParseDSNRecorded(t *testing.T) {
	tests := []struct {
		file      string
		want      Report
		permanent bool
		failed    bool
	}{
		{"postfix_user_unknown.eml", Report{
			OriginalMessageID: "<n-1001.27f0a70f@tidings.example>",
			ReportingMTA:      "dns; mail.tidings.example",
			Recipients: []Recipient{{
				Final: "jane.roe@example.org", Original: "jane.roe@example.org", Action: "failed", Status: "5.1.1",
				Diagnostic: "smtp; 550 5.1.1 <jane.roe@example.org>: Recipient address rejected: User unknown in virtual mailbox table",
			}},
		}, true, true},
		{"exim_mailbox_full.eml", Report{
			OriginalMessageID: "<n-1002.259e262a@tidings.example>",
			ReportingMTA:      "dns; relay.tidings.example",
			Recipients: []Recipient{{
				Final: "paul.martin@example.net", Action: "failed", Status: "5.0.0",
				Diagnostic: "smtp; 552 5.2.2 <paul.martin@example.net>: Mailbox full",
			}},
		}, true, true},
		{"gmail_no_such_user.eml", Report{
			OriginalMessageID: "<n-1003.0b50f88d@tidings.example>",
			ReportingMTA:      "dns; googlemail.com",
			Recipients: []Recipient{{
				Final: "ghost.patient@gmail.com", Action: "failed", Status: "5.1.1",
				Diagnostic: "smtp; 550-5.1.1 The email account that you tried to reach does not exist. " +
					"Please try 550-5.1.1 double-checking the recipient's email address for typos or " +
					"550-5.1.1 unnecessary spaces. For more information, go to 550 5.1.1  " +
					"https://support.google.com/mail/?p=NoSuchUser 41be03b00d2f7-5e2b3c4d5f6sor1234567a12.2 - gsmtp",
			}},
		}, true, true},
		{"exchange_recipient_not_found.eml", Report{
			OriginalMessageID: "<n-1004.8049bc58@tidings.example>",
			ReportingMTA:      "dns;AM9PR07MB7106.eurprd07.prod.outlook.com",
			Recipients: []Recipient{{
				Final: "p.dupont@clinicpartner.fr", Original: "p.dupont@clinicpartner.fr", Action: "failed",
				Status:     "5.1.10",
				Diagnostic: "smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
			}},
		}, true, true},
		{"postfix_delayed.eml", Report{
			OriginalMessageID: "<n-1005.391c88cb@tidings.example>",
			ReportingMTA:      "dns; mail.tidings.example",
			Recipients: []Recipient{{
				Final: "l.bernard@slow.example", Original: "l.bernard@slow.example", Action: "delayed", Status: "4.4.1",
				Diagnostic: "X-Postfix; connect to mx.slow.example[198.51.100.99]:25: Connection timed out",
			}},
		}, false, false},
		{"postfix_expired.eml", Report{
			OriginalMessageID: "<n-1005.391c88cb@tidings.example>",
			ReportingMTA:      "dns; mail.tidings.example",
			Recipients: []Recipient{{
				Final: "l.bernard@slow.example", Original: "l.bernard@slow.example", Action: "failed", Status: "4.4.1",
				Diagnostic: "X-Postfix; connect to mx.slow.example[198.51.100.99]:25: Connection timed out",
			}},
		}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "dsn", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseDSN(raw)
			if err != nil {
				t.Fatalf("ParseDSN: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
			if p := got.Recipients[0].Permanent(); p != tt.permanent {
				t.Errorf("Permanent() = %v, want %v", p, tt.permanent)
			}
			if f := got.Recipients[0].Failed(); f != tt.failed {
				t.Errorf("Failed() = %v, want %v", f, tt.failed)
			}
			// Every permanent failure recorded here is about the address (unknown user,
			// full mailbox), Exim's 5.0.0 included through its Diagnostic-Code.
			if a := got.Recipients[0].AddressRefused(); a != tt.permanent {
				t.Errorf("AddressRefused() = %v, want %v", a, tt.permanent)
			}
			if _, ok := NotificationID(got.OriginalMessageID, "tidings.example"); !ok {
				t.Errorf("NotificationID(%s) found no notification", got.OriginalMessageID)
			}
		})
	}
}

// dsn builds a small report for the error cases: headers, then parts given as
// "Content-Type\n\nbody" strings, joined with a fixed boundary.
func dsn(headers string, parts ...string) []byte {
	var b strings.Builder
	b.WriteString(headers + "\n\n")
	for _, p := range parts {
		b.WriteString("--BOUNDARY\n" + p + "\n")
	}
	b.WriteString("--BOUNDARY--\n")
	return []byte(b.String())
}

const (
	reportHeader = "From: MAILER-DAEMON@mx.example\nContent-Type: multipart/report; report-type=delivery-status; boundary=BOUNDARY"
	statusOK     = "Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n" +
		"Final-Recipient: rfc822; jane@example.org\nAction: failed\nStatus: 5.1.1\n"
	headersOK = "Content-Type: text/rfc822-headers\n\nFrom: clinic@tidings.example\nMessage-ID: <n-1.abc@tidings.example>\n"
)

func TestParseDSNVariants(t *testing.T) {
	one := func(final, action, status string) []Recipient {
		return []Recipient{{Final: final, Action: action, Status: status}}
	}
	tests := []struct {
		name string
		raw  []byte
		want Report
	}{
		{"minimal", dsn(reportHeader, statusOK, headersOK),
			Report{OriginalMessageID: "<n-1.abc@tidings.example>", ReportingMTA: "dns; mx.example",
				Recipients: one("jane@example.org", "failed", "5.1.1")}},
		{"status part alone, Message-ID from X-Original-Message-ID",
			[]byte("Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n" +
				"X-Original-Message-ID: <n-2.abc@tidings.example>\n\n" +
				"Final-Recipient: rfc822; jane@example.org\nAction: failed\nStatus: 5.1.1\n"),
			Report{OriginalMessageID: "<n-2.abc@tidings.example>", ReportingMTA: "dns; mx.example",
				Recipients: one("jane@example.org", "failed", "5.1.1")}},
		{"Message-ID from In-Reply-To", dsn(reportHeader+"\nIn-Reply-To: <n-3.abc@tidings.example>", statusOK),
			Report{OriginalMessageID: "<n-3.abc@tidings.example>", ReportingMTA: "dns; mx.example",
				Recipients: one("jane@example.org", "failed", "5.1.1")}},
		{"returned headers win over In-Reply-To", dsn(reportHeader+"\nIn-Reply-To: <other@x>", statusOK, headersOK),
			Report{OriginalMessageID: "<n-1.abc@tidings.example>", ReportingMTA: "dns; mx.example",
				Recipients: one("jane@example.org", "failed", "5.1.1")}},
		{"base64 status and quoted-printable headers", dsn(reportHeader,
			"Content-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n"+
				"UmVwb3J0aW5nLU1UQTogZG5zOyBteC5leGFtcGxlCgpGaW5hbC1SZWNpcGllbnQ6IHJmYzgy\n"+
				"MjsgamFuZUBleGFtcGxlLm9yZwpBY3Rpb246IGZhaWxlZApTdGF0dXM6IDUuMS4xCg==",
			"Content-Type: text/rfc822-headers\nContent-Transfer-Encoding: quoted-printable\n\n"+
				"Message-ID: <n-4.abc=40tidings.example>\n"),
			Report{OriginalMessageID: "<n-4.abc@tidings.example>", ReportingMTA: "dns; mx.example",
				Recipients: one("jane@example.org", "failed", "5.1.1")}},
		{"several recipients, comments, odd case, extra blank lines, folded Message-ID", dsn(
			"Content-Type: Multipart/Report; Report-Type=\"Delivery-Status\"; Boundary=\"BOUNDARY\"",
			"Content-Type: text/plain\n\nhuman text",
			"Content-Type: message/global-delivery-status\n\nreporting-mta: dns; mx.example\n"+
				"Original-Envelope-Id: env-77\n\n\n"+
				"final-recipient: RFC822; <jane@example.org>\nACTION: Failed (bad address)\n"+
				"status: 5.1.1 (unknown user)\n\r\n"+
				"Final-Recipient: rfc822;bob@example.org\nAction: delivered\nStatus: 2.0.0\n",
			"Content-Type: message/rfc822\n\nMessage-ID:\n <n-5.abc@tidings.example>\nSubject: x\n\nbody\n"),
			Report{OriginalMessageID: "<n-5.abc@tidings.example>", EnvelopeID: "env-77", ReportingMTA: "dns; mx.example",
				Recipients: []Recipient{
					{Final: "jane@example.org", Action: "failed", Status: "5.1.1"},
					{Final: "bob@example.org", Action: "delivered", Status: "2.0.0"},
				}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDSN(tt.raw)
			if err != nil {
				t.Fatalf("ParseDSN: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDSNErrors(t *testing.T) {
	status := func(recipient string) string {
		return "Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n" + recipient
	}
	tests := []struct {
		name     string
		raw      []byte
		sentinel error
		mention  string // the error names what is wrong
	}{
		{"too large", append(dsn(reportHeader, statusOK, headersOK), bytes.Repeat([]byte("x"), MaxDSNSize)...),
			ErrDSNTooLarge, "limit"},
		{"empty", nil, ErrMalformedDSN, "headers"},
		{"no Content-Type", []byte("From: a@b\n\nhello\n"), ErrNotDSN, "Content-Type"},
		{"an ordinary message", []byte("Content-Type: text/plain\n\nhello\n"), ErrNotDSN, "text/plain"},
		{"an abuse report", dsn("Content-Type: multipart/report; report-type=feedback-report; boundary=BOUNDARY", statusOK),
			ErrNotDSN, "feedback-report"},
		{"a read receipt", dsn("Content-Type: multipart/report; report-type=disposition-notification; boundary=BOUNDARY"),
			ErrNotDSN, "disposition-notification"},
		{"bad Content-Type", []byte("Content-Type: multipart/report; boundary\n\n"), ErrMalformedDSN, "Content-Type"},
		{"no boundary", []byte("Content-Type: multipart/report; report-type=delivery-status\n\n"), ErrMalformedDSN, "boundary"},
		{"unterminated multipart", []byte(reportHeader + "\n\n--BOUNDARY\n" + statusOK), ErrMalformedDSN, "part"},
		{"no status part", dsn(reportHeader, "Content-Type: text/plain\n\nsorry", headersOK), ErrMalformedDSN,
			"no message/delivery-status part"},
		{"no recipients", dsn(reportHeader, "Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n", headersOK),
			ErrMalformedDSN, "no per-recipient fields"},
		{"no Final-Recipient", dsn(reportHeader, status("Action: failed\nStatus: 5.1.1\n"), headersOK),
			ErrMalformedDSN, "recipient 1: no Final-Recipient"},
		{"no Action", dsn(reportHeader, status("Final-Recipient: rfc822; a@b\nStatus: 5.1.1\n"), headersOK),
			ErrMalformedDSN, "recipient 1: no Action"},
		{"unknown Action", dsn(reportHeader, status("Final-Recipient: rfc822; a@b\nAction: bounced\nStatus: 5.1.1\n"), headersOK),
			ErrMalformedDSN, "Action is not"},
		{"no Status", dsn(reportHeader, status("Final-Recipient: rfc822; a@b\nAction: failed\n"), headersOK),
			ErrMalformedDSN, "recipient 1: no Status"},
		{"bad Status", dsn(reportHeader, status("Final-Recipient: rfc822; a@b\nAction: failed\nStatus: 550\n"), headersOK),
			ErrMalformedDSN, "Status is not a status code"},
		{"second recipient broken", dsn(reportHeader,
			status("Final-Recipient: rfc822; a@b\nAction: failed\nStatus: 5.1.1\n\nFinal-Recipient: rfc822; c@d\nAction: failed\n"),
			headersOK), ErrMalformedDSN, "recipient 2: no Status"},
		{"garbage line", dsn(reportHeader, status("this is not a field\n"), headersOK), ErrMalformedDSN, "line 3: not a header field"},
		{"no original Message-ID anywhere", dsn(reportHeader, statusOK), ErrMalformedDSN,
			"no message/rfc822 or text/rfc822-headers part"},
		{"returned headers without Message-ID", dsn(reportHeader, statusOK, "Content-Type: text/rfc822-headers\n\nSubject: hi\n"),
			ErrMalformedDSN, "the returned headers have no Message-ID"},
		{"two message IDs in In-Reply-To", dsn(reportHeader+"\nIn-Reply-To: <a@b> <c@d>", statusOK), ErrMalformedDSN,
			"original Message-ID"},
		{"bad transfer encoding", dsn(reportHeader, "Content-Type: message/delivery-status\nContent-Transfer-Encoding: x-uuencode\n\nx"),
			ErrMalformedDSN, "x-uuencode"},
		{"bad base64", dsn(reportHeader, "Content-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n!!!!"),
			ErrMalformedDSN, "message/delivery-status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDSN(tt.raw)
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("ParseDSN = %v, want %v", err, tt.sentinel)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
		})
	}
}

func TestRecipientPermanent(t *testing.T) {
	tests := []struct {
		action, status, diagnostic string
		permanent, failed, address bool
	}{
		{"failed", "5.1.1", "", true, true, true},
		{"failed", "5.2.2", "", true, true, true},
		{"failed", "5.7.1", "smtp; 554 5.7.1 Message rejected as spam", true, true, false},
		{"failed", "5.0.0", "smtp; 552 5.2.2 Mailbox full", true, true, true},
		{"failed", "5.0.0", "smtp; 550-5.7.26 Unauthenticated email", true, true, false},
		{"failed", "5.0.0", "X-Postfix; host not found", true, true, true},
		{"failed", "5.0.0", "", true, true, true},
		{"failed", "4.4.7", "", false, true, false},
		{"delayed", "4.4.1", "", false, false, false},
		{"delayed", "5.1.1", "", false, false, false},
		{"delivered", "2.0.0", "", false, false, false},
		{"relayed", "2.0.0", "", false, false, false},
	}
	for _, tt := range tests {
		r := Recipient{Action: tt.action, Status: tt.status, Diagnostic: tt.diagnostic}
		got := [3]bool{r.Permanent(), r.Failed(), r.AddressRefused()}
		if want := [3]bool{tt.permanent, tt.failed, tt.address}; got != want {
			t.Errorf("%s %s %q: Permanent, Failed, AddressRefused = %v, want %v", tt.action, tt.status, tt.diagnostic, got, want)
		}
	}
}
