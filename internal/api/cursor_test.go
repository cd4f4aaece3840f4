package api

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, id := range []int64{0, 1, 42, 1<<62 + 5} {
		got, err := decodeCursor(encodeCursor(id))
		if err != nil || got != id {
			t.Errorf("%d: got %d, %v", id, got, err)
		}
	}
}

// FuzzCursor: any cursor a client sends decodes to a non-negative id or fails with a
// field error on "cursor"; never a panic.
func FuzzCursor(f *testing.F) {
	for _, s := range []string{encodeCursor(7), "", "zzz", "aWQ6LTE", "aWQ6"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := decodeCursor(s)
		if err != nil {
			var ve *clinic.ValidationError
			if !errors.As(err, &ve) || ve.Fields[0].Field != "cursor" {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if id < 0 || encodeCursor(id) == "" {
			t.Fatalf("%q decoded to %d", s, id)
		}
	})
}

// TestTimedCursor: a cursor of a list ordered by time (appointments, by start then id)
// carries the time to the microsecond, and a cursor of one kind of list is refused by the
// other kind, so that a page never starts at the wrong place.
func TestTimedCursor(t *testing.T) {
	at := time.Date(2031, 2, 3, 22, 15, 0, 123456000, time.UTC)
	tests := []struct {
		name  string
		in    string
		timed bool
		want  cursor
		ok    bool
	}{
		{"timed round trip", cursor{ID: 42, At: at}.String(), true, cursor{ID: 42, At: at}, true},
		{"id round trip", encodeCursor(42), false, cursor{ID: 42}, true},
		{"id cursor on a timed list", encodeCursor(42), true, cursor{}, false},
		{"timed cursor on an id list", cursor{ID: 42, At: at}.String(), false, cursor{}, false},
		{"time past year 9999", raw("at:253402300800000000:id:1"), true, cursor{}, false},
		{"time not a number", raw("at:x:id:1"), true, cursor{}, false},
		{"negative time", raw("at:-5:id:1"), true, cursor{}, false},
		{"no id", raw("at:100:"), true, cursor{}, false},
		{"hand-made timed cursor", raw("at:100:id:7"), true, cursor{ID: 7, At: time.UnixMicro(100)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCursor(tt.in, tt.timed)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
			if err != nil {
				var ve *clinic.ValidationError
				if !errors.As(err, &ve) || ve.Fields[0].Field != "cursor" {
					t.Errorf("err = %v, want a field error on cursor", err)
				}
				return
			}
			if got.ID != tt.want.ID || !got.At.Equal(tt.want.At) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// raw encodes s as the API encodes cursors.
func raw(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
