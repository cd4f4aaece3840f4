package twilio

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// checkNoValues fails when err's text carries one of the form's values: a callback's values
// are phone numbers and message bodies. Values shorter than four bytes occur in any sentence.
func checkNoValues(t *testing.T, err error, form url.Values) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) || !errors.Is(err, ErrMalformed) {
		t.Fatalf("error %T %v, want *ParseError", err, err)
	}
	for k, vs := range form {
		for _, v := range vs {
			if len(v) >= 4 && strings.Contains(err.Error(), v) && !strings.Contains(pe.What+pe.Field+pe.Reason, v) {
				t.Fatalf("error %q contains the value of %s", err, k)
			}
		}
	}
}

func FuzzParseStatus(f *testing.F) {
	for _, s := range []string{
		"MessageSid=" + testMsgSID + "&MessageStatus=delivered&AccountSid=" + testAccSID + "&To=%2B61412345678&From=%2B61480000000",
		"SmsSid=" + testMsgSID + "&SmsStatus=undelivered&AccountSid=" + testAccSID + "&ErrorCode=30003",
		"MessageSid=SM1&MessageStatus=sent",
		"MessageSid=" + testMsgSID + "&MessageSid=" + testMsgSID,
		"ErrorCode=99999999999999999999",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		cb, err := ParseStatus(form)
		if err != nil {
			checkNoValues(t, err, form)
			return
		}
		if !ValidSID(cb.MessageSID) || !ValidSID(cb.AccountSID) || cb.Status == "" || cb.ErrorCode < 0 {
			t.Fatalf("accepted %+v", cb)
		}
		// Parsing the form it came from again gives the same answer.
		again, err := ParseStatus(form)
		if err != nil || again != cb {
			t.Fatalf("not deterministic: %+v then %+v, %v", cb, again, err)
		}
	})
}

func FuzzParseInbound(f *testing.F) {
	for _, s := range []string{
		"MessageSid=" + testMsgSID + "&AccountSid=" + testAccSID + "&From=%2B61412345678&To=%2B61480000000&Body=STOP&NumSegments=1",
		"SmsSid=" + testMsgSID + "&AccountSid=" + testAccSID + "&From=%2B61412345678&To=%2B61480000000&Body=Arr%C3%AAt",
		"MessageSid=" + testMsgSID + "&AccountSid=" + testAccSID + "&From=a&To=b&Body=%FF",
		"From=%00&To=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		in, err := ParseInbound(form)
		if err != nil {
			checkNoValues(t, err, form)
			return
		}
		if !ValidSID(in.MessageSID) || in.From == "" || in.To == "" || len(in.From) > maxAddress {
			t.Fatalf("accepted %+v", in)
		}
	})
}

// FuzzVerify feeds Verify arbitrary paths, bodies and signature headers. It must never
// panic, must refuse every signature but the right one, and must accept the right one.
func FuzzVerify(f *testing.F) {
	f.Add("/hooks/twilio/status?clinic=3", "MessageSid=SM1&MessageStatus=sent", "")
	f.Add("/hooks/twilio/inbound", "Body=%E2%82%AC&Body=x", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
	f.Add("/a%2Fb?x=%zz", "%zz", "AAAA")
	f.Add("/", "", "")
	const token, public = "fuzz-token", "https://tidings.example.org"
	f.Fuzz(func(t *testing.T, path, body, sig string) {
		r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080"+path, strings.NewReader(body))
		if err != nil || r.URL.Host != "127.0.0.1:8080" {
			return
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set(SignatureHeader, sig)
		form, formErr := url.ParseQuery(body)
		good := ""
		if formErr == nil {
			good = Signature(token, public+r.URL.RequestURI(), form)
		}
		err = Verify(token, public, r)
		if err != nil && !errors.Is(err, ErrSignature) {
			t.Fatalf("Verify = %v, want ErrSignature", err)
		}
		if err == nil && (sig == "" || formErr != nil) {
			t.Fatalf("accepted signature %q for an unreadable form or an empty header", sig)
		}
		if err == nil && sig != good && sig != Signature(token, portVariants(public + r.URL.RequestURI())[1], form) {
			t.Fatalf("accepted a signature that is not the right one")
		}

		// The right signature verifies, when the body and the query are well-formed and
		// the body within Verify's limit.
		if _, qErr := url.ParseQuery(r.URL.RawQuery); formErr != nil || qErr != nil || len(body) > maxCallbackBody {
			return
		}
		r2 := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/", strings.NewReader(body))
		r2.URL = r.URL
		r2.RequestURI = r.URL.RequestURI()
		r2.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r2.Header.Set(SignatureHeader, good)
		if err := Verify(token, public, r2); err != nil {
			t.Fatalf("right signature refused: %v", err)
		}
	})
}
