package api

import (
	"errors"
	"testing"

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
