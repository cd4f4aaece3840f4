package twiliotest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// post sends a create request with the given credentials and form.
func post(t *testing.T, s *Server, account, token string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost,
		s.URL+"/2010-04-01/Accounts/"+account+"/Messages.json", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(account, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	_ = json.Unmarshal(b, &doc)
	return resp.StatusCode, doc
}

func TestServerChecksAccountAuthAndForm(t *testing.T) {
	s := NewServer(WithAccount("AC11111111111111111111111111111111", "tok"))
	defer s.Close()
	ok := url.Values{"To": {"+61412345678"}, "From": {"+61480000000"}, "Body": {"hi"}}
	with := func(k, v string) url.Values {
		f := url.Values{"To": ok["To"], "From": ok["From"], "Body": ok["Body"]}
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	tests := []struct {
		name          string
		account, tok  string
		form          url.Values
		status, code  int
		wantMessageID bool
	}{
		{"accepted", s.AccountSID, "tok", ok, 201, 0, true},
		{"wrong token", s.AccountSID, "nope", ok, 401, 20003, false},
		{"another account", "AC22222222222222222222222222222222", "tok", ok, 401, 20003, false},
		{"no To", s.AccountSID, "tok", with("To", ""), 400, 21604, false},
		{"no From", s.AccountSID, "tok", with("From", ""), 400, 21603, false},
		{"no Body", s.AccountSID, "tok", with("Body", ""), 400, 21602, false},
		{"To not E.164", s.AccountSID, "tok", with("To", "0412345678"), 400, 21211, false},
		{"body over 1600", s.AccountSID, "tok", with("Body", strings.Repeat("a", 1601)), 400, 21617, false},
		{"callback not absolute", s.AccountSID, "tok", with("StatusCallback", "/hooks"), 400, 21609, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, doc := post(t, s, tc.account, tc.tok, tc.form)
			if status != tc.status {
				t.Fatalf("status %d, want %d (%v)", status, tc.status, doc)
			}
			if tc.code != 0 && doc["code"] != float64(tc.code) {
				t.Fatalf("code %v, want %d", doc["code"], tc.code)
			}
			if tc.wantMessageID && !sidShape.MatchString(doc["sid"].(string)) {
				t.Fatalf("sid %v", doc["sid"])
			}
		})
	}
	if s.Attempts() != len(tests) || len(s.Messages()) != 1 {
		t.Fatalf("attempts %d, messages %d", s.Attempts(), len(s.Messages()))
	}
}

func TestServerScriptThenRecipientThenSuccess(t *testing.T) {
	s := NewServer(
		WithScript(Unavailable(), TooManyRequests("3")),
		WithRecipient("+61400000001", Fail(21610)),
	)
	defer s.Close()
	form := func(to string) url.Values {
		return url.Values{"To": {to}, "From": {"+61480000000"}, "Body": {"hi"}}
	}
	var got []int
	for _, to := range []string{"+61400000001", "+61400000001", "+61400000001", "+61400000002"} {
		status, _ := post(t, s, s.AccountSID, s.AuthToken, form(to))
		got = append(got, status)
	}
	if want := []int{503, 429, 400, 201}; !slices.Equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
}

func TestSignDocumentedVector(t *testing.T) {
	got := Sign("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", url.Values{
		"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"},
	})
	if got != "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" {
		t.Fatalf("Sign = %q", got)
	}
}

func TestWaitCallbacksWithNothingPending(t *testing.T) {
	s := NewServer()
	defer s.Close()
	if err := s.WaitCallbacks(t.Context()); err != nil {
		t.Fatal(err)
	}
}
