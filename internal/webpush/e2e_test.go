package webpush_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/nodetest"
	"github.com/tidings-health/tidings/internal/webpush"
)

// webPushTesting is the push service stand-in the end-to-end test runs: it checks the VAPID
// token against the subscription's applicationServerKey and decrypts what it receives.
const webPushTesting = "web-push-testing@1.2.2"

// pushStandIn drives web-push-testing's HTTP API (see its README): every call is a POST.
type pushStandIn struct {
	t    *testing.T
	base string
}

// call posts in as JSON to path and decodes the answer's "data" into out.
func (s pushStandIn) call(path string, in, out any) (status int) {
	s.t.Helper()
	body, err := json.Marshal(in)
	if err != nil {
		s.t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(s.t.Context(), http.MethodPost, s.base+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("web-push-testing %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		var wrapper struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(raw, &wrapper); err != nil {
			s.t.Fatalf("web-push-testing %s answered %s: %v", path, raw, err)
		}
		if err := json.Unmarshal(wrapper.Data, out); err != nil {
			s.t.Fatalf("web-push-testing %s answered %s: %v", path, raw, err)
		}
	}
	return resp.StatusCode
}

// TestEndToEnd pushes through web-push-testing, which verifies the VAPID token with the
// key the subscription was made with and decrypts the payload as a browser would.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node.js push service")
	}
	dir := nodetest.Install(t, webPushTesting)
	port := strconv.Itoa(nodetest.FreePort(t))
	// Its own `web-push-testing start` detaches a daemon that would outlive the test; the
	// script it spawns runs the server in the foreground.
	server := nodetest.Start(t, dir, "node_modules/web-push-testing/src/bin/server.js", port)
	server.WaitPort("localhost:"+port, 15*time.Second)
	api := pushStandIn{t: t, base: "http://localhost:" + port}

	keys, err := webpush.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	// What a browser's pushManager.subscribe({userVisibleOnly: true, applicationServerKey})
	// would do. web-push-testing wants userVisibleOnly as the string "true".
	var raw json.RawMessage
	if status := api.call("/subscribe", map[string]string{"userVisibleOnly": "true", "applicationServerKey": keys.Public}, &raw); status != http.StatusOK {
		t.Fatalf("subscribe: HTTP %d", status)
	}
	var hash struct {
		ClientHash string `json:"clientHash"`
	}
	if err := json.Unmarshal(raw, &hash); err != nil || hash.ClientHash == "" {
		t.Fatalf("subscribe answered %s: no clientHash", raw)
	}
	// Its answer is a PushSubscription JSON (plus clientHash): the portal's input.
	sub, err := webpush.ParseSubscription(raw)
	if err != nil {
		t.Fatalf("ParseSubscription of web-push-testing's subscription: %v", err)
	}

	sender := &webpush.Sender{Keys: keys, Subject: "mailto:ops@tidings.example", TTL: time.Hour}
	pushes := []webpush.Push{
		{Payload: []byte(`{"title":"Rappel","body":"Rendez-vous demain à 10:00 — salle 2 ✓"}`), Urgency: webpush.UrgencyHigh, Topic: "appt-42"},
		{Payload: bytes.Repeat([]byte("x"), webpush.MaxPayload)},
	}
	var want []string
	for i, p := range pushes {
		res, err := sender.Send(t.Context(), sub, p)
		if err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
		if res.Status != http.StatusCreated {
			t.Errorf("push %d: status %d, want 201", i, res.Status)
		}
		want = append(want, string(p.Payload))
	}

	var got struct {
		Messages []string `json:"messages"`
	}
	if status := api.call("/get-notifications", map[string]string{"clientHash": hash.ClientHash}, &got); status != http.StatusOK {
		t.Fatalf("get-notifications: HTTP %d", status)
	}
	if diff := cmp.Diff(want, got.Messages); diff != "" {
		t.Errorf("payloads decrypted by web-push-testing (-sent +received):\n%s", diff)
	}

	t.Run("VAPID key other than the subscription's", func(t *testing.T) {
		otherKeys, err := webpush.GenerateKeys()
		if err != nil {
			t.Fatal(err)
		}
		other := &webpush.Sender{Keys: otherKeys, Subject: "mailto:ops@tidings.example"}
		_, err = other.Send(t.Context(), sub, webpush.Push{Payload: []byte("x")})
		var e *webpush.Error
		if !errors.Is(err, webpush.ErrPermanent) || !errors.As(err, &e) || e.Status != http.StatusBadRequest {
			t.Errorf("Send with other keys = %v, want ErrPermanent with HTTP 400 (web-push-testing's answer to a bad VAPID key)", err)
		}
	})

	t.Run("expired subscription is gone", func(t *testing.T) {
		if status := api.call("/expire-subscription/"+hash.ClientHash, struct{}{}, nil); status != http.StatusOK {
			t.Fatalf("expire-subscription: HTTP %d", status)
		}
		_, err := sender.Send(t.Context(), sub, webpush.Push{Payload: []byte("x")})
		var e *webpush.Error
		if !errors.Is(err, webpush.ErrGone) || !errors.As(err, &e) || e.Status != http.StatusGone {
			t.Errorf("Send to an expired subscription = %v, want ErrGone with HTTP 410", err)
		}
		if err != nil && bytes.Contains([]byte(err.Error()), []byte(hash.ClientHash)) {
			t.Errorf("error %q quotes the endpoint", err)
		}
	})
}
