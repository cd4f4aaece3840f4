package store_test

import (
	"testing"

	"github.com/tidings-health/tidings/internal/store"
)

// FuzzDecodeEvent: the payload of a message event's notification (MSG-4) either decodes
// into the event it was made from or is refused; it never panics, and what decodes encodes
// back to the same ids.
func FuzzDecodeEvent(f *testing.F) {
	f.Add("1 2 3 4 5")
	f.Add("")
	f.Add("9223372036854775807 1 1 1 1")
	f.Add("1 2 3 4")
	f.Add("a b c d e")
	f.Add("1 2 3 4 5 message 9 -")
	f.Add("1 2 3 4 5 read 0 patient:5")
	f.Add("1 2 3 4 5 read 0")
	f.Fuzz(func(t *testing.T, s string) {
		e, err := store.DecodeEvent(s)
		if err != nil {
			return
		}
		again, err := store.DecodeEvent(store.EncodeEvent(e))
		if err != nil || again != e {
			t.Fatalf("%q decoded to %+v, which encodes to %q and decodes to %+v (%v)", s, e, store.EncodeEvent(e), again, err)
		}
	})
}

// TestDecodeEventRoundTrip (MSG-4): a notification carries the whole event (what a stream
// sends), or the five ids alone (an instance of the release before).
func TestDecodeEventRoundTrip(t *testing.T) {
	for _, e := range []store.MessageEvent{
		{ID: 10, OrgID: 2, ConversationID: 3, ClinicID: 4, PatientID: 5},
		{ID: 10, OrgID: 2, ConversationID: 3, ClinicID: 4, PatientID: 5, Kind: store.EventMessage, MessageID: 77},
		{ID: 11, OrgID: 2, ConversationID: 3, ClinicID: 4, PatientID: 5, Kind: store.EventRead, Reader: "patient:5"},
	} {
		got, err := store.DecodeEvent(store.EncodeEvent(e))
		if err != nil || got != e {
			t.Fatalf("round trip of %+v: %+v, %v", e, got, err)
		}
	}
	for _, bad := range []string{"", "1 2 3 4", "1 2 3 4 x", "1 2 3 4 5 6", "1 2 3 4 5 read x -", "1 2 3 4 -5", "1 2 3 4 5 read 0 - extra"} {
		if _, err := store.DecodeEvent(bad); err == nil {
			t.Errorf("DecodeEvent(%q) accepted", bad)
		}
	}
}
