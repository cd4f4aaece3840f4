package twilio

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/sms/twilio/twiliotest"
)

// page1 and page2 are the provider's list of messages to one number, as it sends them:
// RFC 2822 dates, null date_sent while queued, counts as strings, newest first.
const page1 = `{
  "end": 1, "first_page_uri": "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json?To=%2B61412345678&PageSize=2&Page=0",
  "next_page_uri": "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json?To=%2B61412345678&PageSize=2&Page=1&PageToken=PASM00",
  "page": 0, "page_size": 2, "previous_page_uri": null, "start": 0,
  "uri": "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json?To=%2B61412345678&PageSize=2&Page=0",
  "messages": [
    {"account_sid": "AC0123456789abcdef0123456789abcdef", "api_version": "2010-04-01",
     "body": "Reminder: Tue 09:30", "date_created": "Wed, 02 Dec 2026 09:00:05 +0000",
     "date_sent": null, "date_updated": "Wed, 02 Dec 2026 09:00:05 +0000",
     "direction": "outbound-api", "error_code": null, "error_message": null,
     "from": "+61480000000", "messaging_service_sid": null, "num_media": "0", "num_segments": "1",
     "price": null, "price_unit": "USD", "sid": "SM00000000000000000000000000000002",
     "status": "queued", "to": "+61412345678", "uri": "/x.json"},
    {"account_sid": "AC0123456789abcdef0123456789abcdef", "api_version": "2010-04-01",
     "body": "Reminder: Tue 09:30", "date_created": "Wed, 02 Dec 2026 09:00:00 +0000",
     "date_sent": "Wed, 02 Dec 2026 09:00:01 +0000", "date_updated": "Wed, 02 Dec 2026 09:00:09 +0000",
     "direction": "outbound-api", "error_code": 30003, "error_message": "Unreachable destination handset",
     "from": "+61480000000", "messaging_service_sid": "MG0123456789abcdef0123456789abcdef",
     "num_media": "0", "num_segments": "1", "price": "-0.05", "price_unit": "USD",
     "sid": "SM00000000000000000000000000000001", "status": "undelivered", "to": "+61412345678", "uri": "/y.json"}
  ]
}`

const page2 = `{
  "next_page_uri": null, "page": 1, "page_size": 2,
  "messages": [
    {"account_sid": "AC0123456789abcdef0123456789abcdef", "body": "Reminder: Tue 09:30",
     "date_created": "Tue, 01 Dec 2026 09:00:00 +0000", "date_sent": "Tue, 01 Dec 2026 09:00:01 +0000",
     "date_updated": "Tue, 01 Dec 2026 09:00:09 +0000", "direction": "outbound-api", "error_code": null,
     "from": "+61480000000", "num_segments": "1", "sid": "SM00000000000000000000000000000000",
     "status": "delivered", "to": "+61412345678"}
  ]
}`

func TestListMessagesReadsTheWireFormat(t *testing.T) {
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != testAccSID || p != "tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		queries = append(queries, r.URL.RawQuery)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("Page") == "1" {
			_, _ = w.Write([]byte(page2))
			return
		}
		_, _ = w.Write([]byte(page1))
	}))
	defer srv.Close()
	c := New(testAccSID, "tok")
	c.BaseURL = srv.URL
	c.pageSize = 2

	d := func(s string) time.Time { t, _ := time.Parse(time.RFC1123Z, s); return t.UTC() }
	got, err := c.ListMessages(t.Context(), "+61412345678", time.Date(2026, 12, 2, 8, 59, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := []Resource{
		{SID: "SM00000000000000000000000000000002", AccountSID: testAccSID, To: "+61412345678", From: "+61480000000",
			Body: "Reminder: Tue 09:30", Status: StatusQueued, Direction: "outbound-api", NumSegments: 1,
			DateCreated: d("Wed, 02 Dec 2026 09:00:05 +0000"), DateUpdated: d("Wed, 02 Dec 2026 09:00:05 +0000")},
		{SID: "SM00000000000000000000000000000001", AccountSID: testAccSID, MessagingServiceSID: "MG0123456789abcdef0123456789abcdef",
			To: "+61412345678", From: "+61480000000", Body: "Reminder: Tue 09:30", Status: StatusUndelivered,
			Direction: "outbound-api", NumSegments: 1, ErrorCode: 30003, DateCreated: d("Wed, 02 Dec 2026 09:00:00 +0000"),
			DateSent: d("Wed, 02 Dec 2026 09:00:01 +0000"), DateUpdated: d("Wed, 02 Dec 2026 09:00:09 +0000")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("ListMessages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"PageSize=2&To=%2B61412345678", "To=%2B61412345678&PageSize=2&Page=1&PageToken=PASM00"}, queries); diff != "" {
		t.Fatalf("queries (-want +got):\n%s", diff)
	}

	// Reconciling picks the oldest match since the attempt began: the undelivered one is
	// ours even though a newer identical message is queued.
	sent, found, err := c.Reconcile(t.Context(), Message{To: "+61412345678", From: "+61480000000", Body: "Reminder: Tue 09:30"},
		time.Date(2026, 12, 2, 9, 0, 0, 700e6, time.UTC))
	if err != nil || !found || sent.SID != "SM00000000000000000000000000000001" {
		t.Fatalf("Reconcile = %+v, %v, %v", sent, found, err)
	}
	_, found, err = c.Reconcile(t.Context(), Message{To: "+61412345678", From: "+61480000000", Body: "Reminder: Wed 10:00"},
		time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC))
	if err != nil || found {
		t.Fatalf("Reconcile of another body found %v, %v", found, err)
	}
}

func TestListMessagesRefusesAnotherHost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"messages":[{"sid":"SM1","to":"+61412345678","date_created":"Wed, 02 Dec 2026 09:00:05 +0000"}],
			"next_page_uri":"//evil.example/steal"}`))
	}))
	defer srv.Close()
	c := New(testAccSID, "tok")
	c.BaseURL = srv.URL
	if _, err := c.ListMessages(t.Context(), "+61412345678", time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Fatal("followed a next page on another host")
	}
}

// TestListMessagesPagesThroughTheFake checks paging against the fake provider.
func TestListMessagesPagesThroughTheFake(t *testing.T) {
	srv := twiliotest.NewServer()
	defer srv.Close()
	c := New(srv.AccountSID, srv.AuthToken)
	c.BaseURL = srv.URL
	c.pageSize = 2
	since := time.Now().Add(-time.Minute)
	var sids []string
	for _, to := range []string{"+61412345678", "+61400000000", "+61412345678", "+61412345678", "+61412345678", "+61412345678"} {
		s, err := c.Send(t.Context(), Message{To: to, From: "+61480000000", Body: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if to == "+61412345678" {
			sids = append([]string{s.SID}, sids...) // newest first
		}
	}
	got, err := c.ListMessages(t.Context(), "+61412345678", since)
	if err != nil {
		t.Fatal(err)
	}
	var gotSIDs []string
	for _, r := range got {
		gotSIDs = append(gotSIDs, r.SID)
	}
	if diff := cmp.Diff(sids, gotSIDs); diff != "" {
		t.Fatalf("SIDs (-want +got):\n%s", diff)
	}
}
