package realtime_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/realtime"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

var ctx = context.Background()

// got drains what a subscription holds now.
func got(s *realtime.Sub) []int64 {
	var out []int64
	for {
		select {
		case e := <-s.C:
			out = append(out, e.ID)
		default:
			return out
		}
	}
}

func same(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestHubFanOut: an event reaches the streams following its clinic or its patient in its
// organisation, once each (a stream following both gets it once), and no other.
func TestHubFanOut(t *testing.T) {
	h := realtime.New(nil, 8)
	byClinic := h.Subscribe(1, store.EventFilter{ClinicIDs: []clinic.ClinicID{10}})
	byPatient := h.Subscribe(1, store.EventFilter{PatientIDs: []clinic.PatientID{100, 101}})
	both := h.Subscribe(1, store.EventFilter{ClinicIDs: []clinic.ClinicID{10}, PatientIDs: []clinic.PatientID{100}})
	otherOrg := h.Subscribe(2, store.EventFilter{ClinicIDs: []clinic.ClinicID{10}, PatientIDs: []clinic.PatientID{100}})
	otherPatient := h.Subscribe(1, store.EventFilter{PatientIDs: []clinic.PatientID{102}})
	otherClinic := h.Subscribe(1, store.EventFilter{ClinicIDs: []clinic.ClinicID{11}})
	if n := h.Streams(); n != 6 {
		t.Fatalf("Streams = %d, want 6", n)
	}

	h.Publish(store.MessageEvent{ID: 1, OrgID: 1, ClinicID: 10, PatientID: 100, Kind: store.EventMessage})
	h.Publish(store.MessageEvent{ID: 2, OrgID: 1, ClinicID: 11, PatientID: 101, Kind: store.EventRead})
	h.Publish(store.MessageEvent{ID: 3, OrgID: 1, ClinicID: 12, PatientID: 103, Kind: store.EventMessage})
	for _, c := range []struct {
		name string
		sub  *realtime.Sub
		want []int64
	}{
		{"clinic 10", byClinic, []int64{1}},
		{"patients 100 and 101", byPatient, []int64{1, 2}},
		{"clinic 10 and patient 100", both, []int64{1}},
		{"another organisation", otherOrg, nil},
		{"another patient", otherPatient, nil},
		{"clinic 11", otherClinic, []int64{2}},
	} {
		if g := got(c.sub); !same(g, c.want) {
			t.Errorf("%s got %v, want %v", c.name, g, c.want)
		}
	}

	// A closed subscription gets nothing more and leaves the indexes (twice is harmless).
	byPatient.Close()
	byPatient.Close()
	h.Publish(store.MessageEvent{ID: 4, OrgID: 1, ClinicID: 11, PatientID: 101})
	if g := got(byPatient); len(g) != 0 {
		t.Errorf("a closed subscription got %v", g)
	}
	if g := got(otherClinic); !same(g, []int64{4}) {
		t.Errorf("clinic 11 got %v, want [4]", g)
	}
	for _, s := range []*realtime.Sub{byClinic, both, otherOrg, otherPatient, otherClinic} {
		s.Close()
	}
	if n := h.Streams(); n != 0 {
		t.Errorf("Streams = %d after closing all, want 0", n)
	}
}

// TestHubOnline: a patient is online while this process holds a stream following them, in
// their organisation.
func TestHubOnline(t *testing.T) {
	h := realtime.New(nil, 0)
	if h.Online(1, 100) {
		t.Fatal("online before any stream")
	}
	s := h.Subscribe(1, store.EventFilter{PatientIDs: []clinic.PatientID{100, 101}})
	staff := h.Subscribe(1, store.EventFilter{ClinicIDs: []clinic.ClinicID{10}})
	if !h.Online(1, 100) || !h.Online(1, 101) {
		t.Error("a patient with an open stream is not online")
	}
	if h.Online(2, 100) || h.Online(1, 102) {
		t.Error("another organisation's or another patient's stream counts")
	}
	s.Close()
	if h.Online(1, 100) {
		t.Error("still online after the stream closed")
	}
	staff.Close()
}

// TestHubBehind: a stream whose buffer is full does not block the hub: the event is dropped
// and the stream is marked behind (once), so it replays from the database.
func TestHubBehind(t *testing.T) {
	h := realtime.New(nil, 2)
	s := h.Subscribe(1, store.EventFilter{PatientIDs: []clinic.PatientID{100}})
	defer s.Close()
	done := make(chan struct{})
	go func() {
		for i := int64(1); i <= 5; i++ {
			h.Publish(store.MessageEvent{ID: i, OrgID: 1, ClinicID: 10, PatientID: 100})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a full stream")
	}
	if g := got(s); !same(g, []int64{1, 2}) {
		t.Errorf("buffered %v, want [1 2]", g)
	}
	if !s.Behind() {
		t.Error("not behind after the hub dropped events")
	}
	if s.Behind() {
		t.Error("Behind does not clear")
	}
	h.Publish(store.MessageEvent{ID: 6, OrgID: 1, ClinicID: 10, PatientID: 100})
	if s.Behind() {
		t.Error("behind with room in the buffer")
	}
}

// TestListenAcrossInstances (PostgreSQL): an event recorded through one store.DB reaches a
// hub listening on another (two instances of the server on one database), through NOTIFY
// at commit; a rolled-back event never does.
func TestListenAcrossInstances(t *testing.T) {
	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Skip("PostgreSQL only: set " + storetest.EnvPostgres)
	}
	dsn := storetest.DSN(t)
	open := func() *store.DB {
		db, err := store.Open(ctx, store.Config{DSN: dsn})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	one, two := open(), open()
	if err := one.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	h := realtime.New(nil, 16)
	s := h.Subscribe(7, store.EventFilter{PatientIDs: []clinic.PatientID{70}})
	defer s.Close()
	lctx, stop := context.WithCancel(ctx)
	listened := make(chan error, 1)
	go func() { listened <- h.Listen(lctx, two) }()
	defer func() {
		stop()
		if err := <-listened; err != nil {
			t.Errorf("Listen: %v", err)
		}
	}()
	// Listening: the hub wakes every stream to replay once LISTEN took effect.
	select {
	case e := <-s.C:
		if e.ID != 0 {
			t.Fatalf("first wake-up is event %d, want the replay's (0)", e.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the hub never listened")
	}
	if !s.Behind() {
		t.Error("not behind after LISTEN started")
	}

	add := func(rollback bool) store.MessageEvent {
		var e *store.MessageEvent
		errRollback := errors.New("roll back")
		err := one.Update(ctx, func(tx *store.Tx) (err error) {
			e, err = tx.Messaging().AddMessageEvent(ctx, store.MessageEvent{OrgID: 7, ConversationID: 3, ClinicID: 5, PatientID: 70, Kind: store.EventMessage, MessageID: 9})
			if err == nil && rollback {
				return errRollback
			}
			return err
		})
		if err != nil && !(rollback && errors.Is(err, errRollback)) {
			t.Fatal(err)
		}
		return *e
	}
	add(true)
	e := add(false)
	select {
	case g := <-s.C:
		if g.ID != e.ID || g.OrgID != 7 || g.ConversationID != 3 || g.ClinicID != 5 || g.PatientID != 70 {
			t.Errorf("received %+v, want the ids of %+v", g, e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the event recorded through the other instance never arrived")
	}
	select {
	case g := <-s.C:
		t.Errorf("a second event arrived: %+v (the rolled-back one?)", g)
	case <-time.After(200 * time.Millisecond):
	}
}
