package bench

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/store"
)

func BenchmarkAvailability(b *testing.B) {
	ctx := context.Background()
	db, _ := store.Open(ctx, store.Config{DSN: filepath.Join(b.TempDir(), "x.db")})
	db.Migrate(ctx)
	jobs.Migrate(ctx, db)
	cfg := SlotsConfig{}
	cfg.defaults()
	w, _, err := seedSlots(ctx, db, cfg)
	if err != nil {
		b.Fatal(err)
	}
	svc := booking.New(db)
	q := booking.Query{ReasonID: w.reason, From: w.from, To: w.to}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := svc.Availability(ctx, w.org, q); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSlotsProfile(t *testing.T) {
	ctx := context.Background()
	db, _ := store.Open(ctx, store.Config{DSN: filepath.Join(t.TempDir(), "x.db")})
	db.Migrate(ctx)
	jobs.Migrate(ctx, db)
	var out, log strings.Builder
	if err := Slots(ctx, db, SlotsConfig{Iterations: 50, HTTPDuration: time.Second, ReadRate: 1, Log: &log}, &out); err != nil {
		t.Fatal(err)
	}
	t.Log(log.String())
}
