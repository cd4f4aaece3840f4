package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestExceptionAndAbsenceByID: one exception or absence reads back as stored, and another
// organisation's is "not found".
func TestExceptionAndAbsenceByID(t *testing.T) {
	db := storetest.Open(t, fixedClock())
	a, b := storetest.Seed(t, db, "a"), storetest.Seed(t, db, "b")
	start := time.Date(2026, 4, 7, 22, 0, 0, 0, time.UTC)
	var exc, open clinic.ScheduleException
	var abs clinic.Absence
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		if exc, err = tx.Schedule().AddException(ctx, a.Org.ID, clinic.ScheduleException{AgendaID: a.Agenda.ID, Day: "2026-12-25", Closed: true, Note: "Christmas"}); err != nil {
			return err
		}
		if open, err = tx.Schedule().AddException(ctx, a.Org.ID, clinic.ScheduleException{AgendaID: a.Agenda.ID, Day: "2026-12-27", Start: 540, End: 720}); err != nil {
			return err
		}
		abs, err = tx.Schedule().CreateAbsence(ctx, a.Org.ID, clinic.Absence{PractitionerID: a.Practitioner.ID, Start: start, End: start.Add(26 * time.Hour), Note: "Conference"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx *store.Tx) error {
		for _, want := range []clinic.ScheduleException{exc, open} {
			got, err := tx.Schedule().Exception(ctx, a.Org.ID, want.ID)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("exception (-want +got):\n%s", diff)
			}
		}
		got, err := tx.Schedule().Absence(ctx, a.Org.ID, abs.ID)
		if err != nil {
			return err
		}
		if !got.Start.Equal(abs.Start) || !got.End.Equal(abs.End) || got.Note != "Conference" || got.PractitionerID != a.Practitioner.ID {
			t.Errorf("absence %+v, want %+v", got, abs)
		}
		if _, err := tx.Schedule().Exception(ctx, b.Org.ID, exc.ID); !errors.Is(err, clinic.ErrNotFound) {
			t.Errorf("another organisation's exception: %v, want not found", err)
		}
		if _, err := tx.Schedule().Absence(ctx, b.Org.ID, abs.ID); !errors.Is(err, clinic.ErrNotFound) {
			t.Errorf("another organisation's absence: %v, want not found", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
