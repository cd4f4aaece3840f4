package webpush_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/webpush"
)

// FuzzParseSubscription checks that ParseSubscription never panics, that what it accepts
// passes Check and survives a round trip through PushSubscription JSON, and that what it
// refuses is an ErrInvalid whose text quotes neither the endpoint nor the keys.
func FuzzParseSubscription(f *testing.F) {
	for _, seed := range []string{
		`{"endpoint":"` + fcmEndpoint + `","expirationTime":null,"keys":{"p256dh":"` + rfcP256dh + `","auth":"` + rfcAuth + `"}}`,
		`{"endpoint":"https://updates.push.services.mozilla.com/wpush/v2/gAAAAAB","keys":{"auth":"` + rfcAuth + `","p256dh":"` + rfcP256dh + `"}}`,
		`{"endpoint":"http://localhost:8090/notify/abc","keys":{"p256dh":"` + rfcP256dh + `=","auth":"` + rfcAuth + `=="}}`,
		`{"endpoint":"http://push.example/x","keys":{"p256dh":"` + rfcP256dh + `","auth":"` + rfcAuth + `"}}`,
		`{"endpoint":"` + fcmEndpoint + `","keys":{"p256dh":"BAAA","auth":"` + rfcAuth + `"}}`,
		`{"endpoint":42}`,
		`[]`,
		`null`,
		`{} {}`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sub, err := webpush.ParseSubscription(data)
		if err != nil {
			if !errors.Is(err, webpush.ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			if sub != (webpush.Subscription{}) {
				t.Errorf("refused input returned %#v", sub)
			}
			var w struct {
				Endpoint string `json:"endpoint"`
				Keys     struct {
					P256dh string `json:"p256dh"`
					Auth   string `json:"auth"`
				} `json:"keys"`
			}
			_ = json.Unmarshal(data, &w) // best effort: whatever strings it finds
			for _, v := range []string{w.Endpoint, w.Keys.P256dh, w.Keys.Auth} {
				if len(v) >= 8 && strings.Contains(err.Error(), v) {
					t.Errorf("error %q quotes a value of the subscription", err)
				}
			}
			return
		}
		if err := sub.Check(); err != nil {
			t.Fatalf("accepted a subscription that Check refuses: %v", err)
		}
		again, err := json.Marshal(map[string]any{
			"endpoint": sub.Endpoint,
			"keys":     map[string]string{"p256dh": sub.P256dh, "auth": sub.Auth},
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := webpush.ParseSubscription(again)
		if err != nil {
			t.Fatalf("re-encoded subscription refused: %v", err)
		}
		if diff := cmp.Diff(sub, got); diff != "" {
			t.Errorf("round trip (-first +second):\n%s", diff)
		}
	})
}
