package integration_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/hl7"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/mllp"
	"github.com/tidings-health/tidings/internal/store"
)

// pmsPeer is the clinical software's own MLLP listener: it keeps what it receives and
// answers AA, or AE for a patient whose family name is Refuse.
type pmsPeer struct {
	addr string
	mu   sync.Mutex
	got  []*hl7.Message
}

func startPeer(t *testing.T) *pmsPeer {
	t.Helper()
	p := &pmsPeer{}
	srv := &mllp.Server{Handler: mllp.HandlerFunc(func(ctx context.Context, r *mllp.Request) []byte {
		m, err := hl7.Parse(r.Payload)
		if err != nil {
			return hl7.Encode(hl7.ACKRaw(r.Payload, hl7.AckReject, "does not parse"))
		}
		p.mu.Lock()
		p.got = append(p.got, m)
		p.mu.Unlock()
		if m.Get("PID-5.1") == "Refuse" {
			return hl7.Encode(hl7.ACK(m, hl7.AckError, "no such practitioner in this practice"))
		}
		return hl7.Encode(hl7.ACK(m, hl7.AckAccept, ""))
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	p.addr = ln.Addr().String()
	return p
}

func (p *pmsPeer) messages() []*hl7.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*hl7.Message(nil), p.got...)
}

func (w *world) writeBack(t *testing.T, id clinic.AppointmentID) store.WriteBack {
	t.Helper()
	var wb store.WriteBack
	if err := w.db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		var ok bool
		wb, ok, err = tx.Sync().WriteBackOf(context.Background(), w.fx.Org.ID, id)
		if err == nil && !ok {
			t.Fatalf("appointment %d has no write-back", id)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return wb
}

// TestWriteBackHL7 (SYN-5): an appointment booked in Tidings for an hl7v2 database with an
// outbound peer is sent as SIU^S12 carrying Tidings' placer id; its cancellation as S15;
// the software's echo of it (placer id, its own filler id) updates it rather than booking a
// second one; a refusal (AE) is final, kept with the software's reason, not retried; a peer
// that cannot be reached is retried later.
func TestWriteBackHL7(t *testing.T) {
	w := start(t)
	ctx := context.Background()
	peer := startPeer(t)
	admin := clinic.SystemActor(w.fx.Org.ID, "test")
	if _, err := w.svc.SetHL7Settings(ctx, admin, w.dbID, integration.HL7Settings{Facility: "PMSTEST", Outbound: peer.addr}); err != nil {
		t.Fatal(err)
	}
	c := w.dial(t)
	send(t, c, adt("A04", "P1", "20261201090000", "MRN1", "Nguyen", "Linh", "0412 345 678", ""))
	send(t, c, adt("A04", "P2", "20261201090000", "MRN2", "Refuse", "Ray", "0412 345 679", ""))
	p1, _ := w.patient(t, "MRN1")
	p2, _ := w.patient(t, "MRN2")
	bk := booking.New(w.db)
	staff := clinic.SystemActor(w.fx.Org.ID, "staff-test")
	book := func(p clinic.PatientID, at string) clinic.Appointment {
		b, err := bk.Book(ctx, staff, booking.Request{ReasonID: w.reasons[0].ID, AgendaID: w.agenda.ID, PatientID: p, Start: sydney(t, at), AllowOutsideHours: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return b.Appointment
	}
	a := book(p1.ID, "202612081000")
	wbr := integration.NewWriteBacker(w.db, integration.WriteBackConfig{})
	if n, err := wbr.Round(ctx); err != nil || n != 1 {
		t.Fatalf("round: %d, %v", n, err)
	}
	msgs := peer.messages()
	if len(msgs) != 1 {
		t.Fatalf("the peer got %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.Type().Trigger != "S12" || m.Get("SCH-1.1") != booking.PlacerID(a.ID) || m.Get("PID-3.1") != "MRN1" || m.Get("MSH-6") != "PMSTEST" {
		t.Errorf("S12: %s SCH-1 %q PID-3 %q MSH-6 %q", m.Type(), m.Get("SCH-1.1"), m.Get("PID-3.1"), m.Get("MSH-6"))
	}
	if start, _, err := hl7.ParseTime(m.Get("SCH-11.4"), time.UTC); err != nil || !start.Equal(a.Start) {
		t.Errorf("SCH-11.4 %q is not the appointment's start %s", m.Get("SCH-11.4"), a.Start)
	}
	if wb := w.writeBack(t, a.ID); wb.State != store.WriteBackSent || !wb.Written {
		t.Errorf("after the AA: %+v", wb)
	}

	// The software echoes it with its own id: the same appointment, now known by that id.
	echo := siu("S12", "E1", "20261201093000", booking.PlacerID(a.ID), "PMS-77", "MRN1", "", "DR01", "Standard consultation", "202612081000", "Booked")
	if code, text := send(t, c, echo); code != "AA" {
		t.Fatalf("echo: %s %s", code, text)
	}
	if got, ok := w.appointment(t, "PMS-77"); !ok || got.ID != a.ID {
		t.Fatalf("echo matched %v, id %d, want %d", ok, got.ID, a.ID)
	}

	// Cancelled in Tidings: S15, with the software's id.
	cur, _ := w.appointment(t, "PMS-77")
	if _, err := bk.Cancel(ctx, staff, booking.Change{ID: a.ID, Version: cur.Version}); err != nil {
		t.Fatal(err)
	}
	if _, err := wbr.Round(ctx); err != nil {
		t.Fatal(err)
	}
	msgs = peer.messages()
	if last := msgs[len(msgs)-1]; last.Type().Trigger != "S15" || last.Get("SCH-2") != "PMS-77" || last.Get("SCH-25") != "Cancelled" {
		t.Errorf("cancellation: %s SCH-2 %q SCH-25 %q", last.Type(), last.Get("SCH-2"), last.Get("SCH-25"))
	}

	// Refused by the software: failed, with its reason, and not sent again.
	r := book(p2.ID, "202612081100")
	if _, err := wbr.Round(ctx); err != nil {
		t.Fatal(err)
	}
	wb := w.writeBack(t, r.ID)
	if wb.State != store.WriteBackFailed || !strings.Contains(wb.LastError, "no such practitioner") {
		t.Errorf("refused: %+v", wb)
	}
	before := len(peer.messages())
	if _, err := wbr.Round(ctx); err != nil {
		t.Fatal(err)
	}
	if len(peer.messages()) != before {
		t.Error("a refused write-back was sent again")
	}

	// A peer that is down: kept pending, tried again later.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	down := ln.Addr().String()
	ln.Close()
	if _, err := w.svc.SetHL7Settings(ctx, admin, w.dbID, integration.HL7Settings{Facility: "PMSTEST", Outbound: down}); err != nil {
		t.Fatal(err)
	}
	x := book(p1.ID, "202612081200")
	if _, err := wbr.Round(ctx); err != nil {
		t.Fatal(err)
	}
	if wb := w.writeBack(t, x.ID); wb.State != store.WriteBackPending || wb.Attempts != 1 || wb.LastError == "" || !wb.NextAt.After(worldNow) {
		t.Errorf("peer down: %+v", wb)
	}
}
