package twilio

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	testMsgSID = "SM0123456789abcdef0123456789abcdef"
	testAccSID = "AC0123456789abcdef0123456789abcdef"
	testSvcSID = "MG0123456789abcdef0123456789abcdef"
)

func TestParseStatus(t *testing.T) {
	base := func(kv ...string) url.Values {
		v := url.Values{"MessageSid": {testMsgSID}, "MessageStatus": {"delivered"}, "AccountSid": {testAccSID},
			"To": {"+61412345678"}, "From": {"+61480000000"}, "ApiVersion": {"2010-04-01"}}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "-" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v
	}
	tests := []struct {
		name  string
		form  url.Values
		want  StatusCallback
		field string // the field named by the error, "" when it parses
	}{
		{"delivered", base(), StatusCallback{MessageSID: testMsgSID, AccountSID: testAccSID, Status: StatusDelivered,
			To: "+61412345678", From: "+61480000000"}, ""},
		{"undelivered with code and service", base("MessageStatus", "undelivered", "ErrorCode", "30003", "MessagingServiceSid", testSvcSID),
			StatusCallback{MessageSID: testMsgSID, AccountSID: testAccSID, MessagingServiceSID: testSvcSID,
				Status: StatusUndelivered, ErrorCode: 30003, To: "+61412345678", From: "+61480000000"}, ""},
		{"legacy SmsSid and SmsStatus", base("MessageSid", "-", "MessageStatus", "-", "SmsSid", testMsgSID, "SmsStatus", "sent"),
			StatusCallback{MessageSID: testMsgSID, AccountSID: testAccSID, Status: StatusSent,
				To: "+61412345678", From: "+61480000000"}, ""},
		{"unknown but well-formed status", base("MessageStatus", "partially_delivered"),
			StatusCallback{MessageSID: testMsgSID, AccountSID: testAccSID, Status: "partially_delivered",
				To: "+61412345678", From: "+61480000000"}, ""},
		{"no MessageSid", base("MessageSid", "-"), StatusCallback{}, "MessageSid"},
		{"short MessageSid", base("MessageSid", "SM123"), StatusCallback{}, "MessageSid"},
		{"no AccountSid", base("AccountSid", "-"), StatusCallback{}, "AccountSid"},
		{"no status", base("MessageStatus", "-"), StatusCallback{}, "MessageStatus"},
		{"status with odd characters", base("MessageStatus", "Delivered!"), StatusCallback{}, "MessageStatus"},
		{"ErrorCode not a number", base("ErrorCode", "3e4"), StatusCallback{}, "ErrorCode"},
		{"ErrorCode negative", base("ErrorCode", "-1"), StatusCallback{}, "ErrorCode"},
		{"To with a control character", base("To", "+61\n412"), StatusCallback{}, "To"},
		{"repeated MessageSid", func() url.Values { v := base(); v.Add("MessageSid", testMsgSID); return v }(), StatusCallback{}, "MessageSid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseStatus(tc.form)
			checkParse(t, err, tc.field, tc.form)
			if tc.field == "" {
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("ParseStatus (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestParseInbound(t *testing.T) {
	form := func(kv ...string) url.Values {
		v := url.Values{"MessageSid": {testMsgSID}, "SmsSid": {testMsgSID}, "AccountSid": {testAccSID},
			"From": {"+61412345678"}, "To": {"+61480000000"}, "Body": {"C"}, "NumSegments": {"1"},
			"NumMedia": {"0"}, "SmsStatus": {"received"}, "FromCountry": {"AU"}}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "-" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v
	}
	tests := []struct {
		name  string
		form  url.Values
		want  Inbound
		field string
	}{
		{"confirm reply", form(), Inbound{MessageSID: testMsgSID, AccountSID: testAccSID, From: "+61412345678",
			To: "+61480000000", Body: "C", NumSegments: 1}, ""},
		{"STOP in French accents", form("Body", "Arrêt s’il vous plaît"), Inbound{MessageSID: testMsgSID, AccountSID: testAccSID,
			From: "+61412345678", To: "+61480000000", Body: "Arrêt s’il vous plaît", NumSegments: 1}, ""},
		{"empty body (picture message)", form("Body", "-", "NumMedia", "1"), Inbound{MessageSID: testMsgSID, AccountSID: testAccSID,
			From: "+61412345678", To: "+61480000000", NumSegments: 1}, ""},
		{"longest body", form("Body", strings.Repeat("é", 1600)), Inbound{MessageSID: testMsgSID, AccountSID: testAccSID,
			From: "+61412345678", To: "+61480000000", Body: strings.Repeat("é", 1600), NumSegments: 1}, ""},
		{"body too long", form("Body", strings.Repeat("a", 1601)), Inbound{}, "Body"},
		{"body not UTF-8", form("Body", "\xff"), Inbound{}, "Body"},
		{"no From", form("From", "-"), Inbound{}, "From"},
		{"no To", form("To", "-"), Inbound{}, "To"},
		{"From too long", form("From", "+"+strings.Repeat("1", 64)), Inbound{}, "From"},
		{"NumSegments absurd", form("NumSegments", "1000"), Inbound{}, "NumSegments"},
		{"no sid at all", form("MessageSid", "-", "SmsSid", "-"), Inbound{}, "MessageSid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseInbound(tc.form)
			checkParse(t, err, tc.field, tc.form)
			if tc.field == "" {
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("ParseInbound (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// checkParse checks that err names field (or is nil when field is empty) and carries none
// of the form's values.
func checkParse(t *testing.T, err error, field string, form url.Values) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	var pe *ParseError
	if !errors.As(err, &pe) || !errors.Is(err, ErrMalformed) || pe.Field != field {
		t.Fatalf("error %v, want a *ParseError on %s", err, field)
	}
	for _, vs := range form {
		for _, v := range vs {
			if len(v) >= 4 && strings.Contains(err.Error(), v) {
				t.Fatalf("error %q contains a submitted value", err)
			}
		}
	}
}
