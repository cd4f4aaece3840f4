package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// handSignature follows the documented algorithm step by step, written out by hand.
func handSignature(token, data string) string {
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(data))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestSignatureKnownVector(t *testing.T) {
	// The example from the provider's security documentation: the URL with its query, then
	// the POST parameters sorted by name, each name immediately followed by its value.
	const (
		token = "12345"
		u     = "https://mycompany.com/myapp.php?foo=1&bar=2"
	)
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+12349013030"},
		"Digits":  {"1234"},
		"From":    {"+12349013030"},
		"To":      {"+18005551212"},
	}
	data := u + "CallSidCA1234567890ABCDE" + "Caller+12349013030" + "Digits1234" +
		"From+12349013030" + "To+18005551212"
	want := handSignature(token, data)
	if got := Signature(token, u, params); got != want {
		t.Fatalf("Signature = %q, computed by hand %q", got, want)
	}
	// The value the provider's documentation gives for this example.
	if want != "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" {
		t.Errorf("hand computation %q differs from the documented value", want)
	}
}

func TestSignatureSortsRepeatedValues(t *testing.T) {
	got := Signature("tok", "https://x.example/cb", url.Values{"b": {"2", "1"}, "a": {"z"}})
	if want := handSignature("tok", "https://x.example/cb"+"az"+"b1"+"b2"); got != want {
		t.Fatalf("Signature = %q, want %q", got, want)
	}
}

// signedRequest builds the request a TLS-terminating proxy hands to us: plain HTTP, the
// proxy's own host, the provider's signature over the public URL.
func signedRequest(token, signedURL, target string, form url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set(SignatureHeader, Signature(token, signedURL, form))
	return r
}

func TestVerify(t *testing.T) {
	const (
		token  = "secret-token"
		public = "https://tidings.example.org"
		hook   = "/hooks/twilio/status?clinic=3"
	)
	form := url.Values{
		"MessageSid":    {"SM0123456789abcdef0123456789abcdef"},
		"MessageStatus": {"delivered"},
		"AccountSid":    {"AC0123456789abcdef0123456789abcdef"},
		"To":            {"+61412345678"},
	}
	tampered := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range form {
			f[kk] = append([]string(nil), vv...)
		}
		f.Set(k, v)
		return f
	}
	tests := []struct {
		name   string
		public string
		req    func() *http.Request
		ok     bool
	}{
		{"behind a proxy: request host and scheme differ from the public URL", public, func() *http.Request {
			return signedRequest(token, public+hook, "http://127.0.0.1:8080"+hook, form)
		}, true},
		{"public URL with a trailing slash", public + "/", func() *http.Request {
			return signedRequest(token, public+hook, "http://127.0.0.1:8080"+hook, form)
		}, true},
		{"public URL with a prefix the proxy strips", public + "/tidings", func() *http.Request {
			return signedRequest(token, public+"/tidings"+hook, "http://10.0.0.5"+hook, form)
		}, true},
		{"signed with the default port written out", public, func() *http.Request {
			return signedRequest(token, "https://tidings.example.org:443"+hook, "http://127.0.0.1"+hook, form)
		}, true},
		{"verified against the request's own URL instead", "http://127.0.0.1:8080", func() *http.Request {
			return signedRequest(token, public+hook, "http://127.0.0.1:8080"+hook, form)
		}, false},
		{"tampered path", public, func() *http.Request {
			return signedRequest(token, public+hook, "http://127.0.0.1:8080/hooks/twilio/inbound?clinic=3", form)
		}, false},
		{"tampered query", public, func() *http.Request {
			return signedRequest(token, public+hook, "http://127.0.0.1:8080/hooks/twilio/status?clinic=4", form)
		}, false},
		{"tampered host in the signed URL", public, func() *http.Request {
			return signedRequest(token, "https://evil.example.org"+hook, "http://127.0.0.1"+hook, form)
		}, false},
		{"tampered parameter", public, func() *http.Request {
			r := signedRequest(token, public+hook, "http://127.0.0.1"+hook, form)
			r.Body = http.NoBody
			b := tampered("MessageStatus", "undelivered").Encode()
			r.Body, r.ContentLength = readCloser(b), int64(len(b))
			return r
		}, false},
		{"added parameter", public, func() *http.Request {
			r := signedRequest(token, public+hook, "http://127.0.0.1"+hook, form)
			b := form.Encode() + "&ErrorCode=30003"
			r.Body, r.ContentLength = readCloser(b), int64(len(b))
			return r
		}, false},
		{"body truncated", public, func() *http.Request {
			r := signedRequest(token, public+hook, "http://127.0.0.1"+hook, form)
			b := form.Encode()
			b = b[:strings.LastIndex(b, "&")]
			r.Body, r.ContentLength = readCloser(b), int64(len(b))
			return r
		}, false},
		{"wrong token", public, func() *http.Request {
			return signedRequest("another-token", public+hook, "http://127.0.0.1"+hook, form)
		}, false},
		{"no signature", public, func() *http.Request {
			r := signedRequest(token, public+hook, "http://127.0.0.1"+hook, form)
			r.Header.Del(SignatureHeader)
			return r
		}, false},
		{"public URL not absolute", "tidings.example.org", func() *http.Request {
			return signedRequest(token, public+hook, "http://127.0.0.1"+hook, form)
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req()
			err := Verify(token, tc.public, r)
			if tc.ok && err != nil {
				t.Fatalf("Verify = %v, want nil", err)
			}
			if !tc.ok && !errors.Is(err, ErrSignature) {
				t.Fatalf("Verify = %v, want ErrSignature", err)
			}
			if tc.ok && r.PostForm.Get("MessageSid") == "" {
				t.Fatalf("form not parsed for the handler")
			}
			if err != nil && strings.Contains(err.Error(), "+61412345678") {
				t.Fatalf("error %q contains a phone number", err)
			}
		})
	}
}

func TestVerifyGETCallbackSignsTheQuery(t *testing.T) {
	u := "https://tidings.example.org/hooks/twilio/status?MessageSid=SM1&MessageStatus=sent"
	r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/hooks/twilio/status?MessageSid=SM1&MessageStatus=sent", nil)
	r.Header.Set(SignatureHeader, Signature("tok", u, nil))
	if err := Verify("tok", "https://tidings.example.org", r); err != nil {
		t.Fatal(err)
	}
}

func readCloser(s string) *stringReadCloser { return &stringReadCloser{strings.NewReader(s)} }

type stringReadCloser struct{ *strings.Reader }

func (stringReadCloser) Close() error { return nil }
