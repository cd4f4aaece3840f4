package integration_test

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/nodetest"
	"github.com/tidings-health/tidings/internal/store"
)

// simpleHL7 is the real peer of TestSimpleHL7Peer: a Node.js HL7 v2 library with its own
// MLLP client, parser and message objects, run by testdata/simplehl7/send.mjs.
const simpleHL7 = "simple-hl7@3.3.0"

// peerACK is one line send.mjs prints: a message it sent and the ACK it got, as simple-hl7
// read them; or its last line, done or error.
type peerACK struct {
	File      string `json:"file"`
	Type      string `json:"type"`
	ControlID string `json:"control_id"`
	MSA1      string `json:"msa1"`
	MSA2      string `json:"msa2"`
	MSA3      string `json:"msa3"`
	Done      bool   `json:"done"`
	Error     string `json:"error"`
}

// TestSimpleHL7Peer: another implementation's client, framing, encoder and parser against
// the listener. simple-hl7 sends an ADT^A04 creating a patient, an ADT^A08 renaming them, an
// SIU^S12 and an ORU^R01 about them on one connection, and reads each ACK itself: MSA-2
// echoes each control id; the ADTs are applied (AA) and the patient is stored normalised
// (E.164 mobile). The SIU^S12 books the appointment (AA) on Dr Sam Example's agenda, found
// by the practitioner's name, for the check-up its reason names. The ORU^R01 is applied (AA): its result is actioned
// ("Discuss", filed under "Result", which the Medical Director profile takes) and stored.
func TestSimpleHL7Peer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a Node.js HL7 client")
	}
	dir := nodetest.Install(t, simpleHL7)
	script, err := filepath.Abs(filepath.Join("testdata", "simplehl7", "send.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	sends := []struct {
		file, typ, control, code string
	}{
		{"adt_a04.hl7", "ADT^A04^ADT_A01", "SHL7-A04-0001", "AA"},
		{"adt_a08.hl7", "ADT^A08^ADT_A01", "SHL7-A08-0002", "AA"},
		{"siu_s12.hl7", "SIU^S12^SIU_S12", "SHL7-S12-0003", "AA"},
		{"oru_r01.hl7", "ORU^R01^ORU_R01", "SHL7-R01-0004", "AA"},
	}

	w := start(t)
	host, port, err := net.SplitHostPort(w.addr)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{script, host, port}
	for _, s := range sends {
		f, err := filepath.Abs(filepath.Join("testdata", "simplehl7", s.file))
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, f)
	}
	acks := runPeer(t, nodetest.Start(t, dir, args...), 60*time.Second)

	if len(acks) != len(sends) {
		t.Fatalf("simple-hl7 reported %d ACKs, want %d: %+v", len(acks), len(sends), acks)
	}
	for i, s := range sends {
		got := acks[i]
		if got.File != s.file || got.Type != s.typ || got.ControlID != s.control {
			t.Errorf("message %d: simple-hl7 sent %s %s %s, want %s %s %s", i+1, got.File, got.Type, got.ControlID, s.file, s.typ, s.control)
			continue
		}
		if got.MSA1 != s.code || got.MSA2 != s.control {
			t.Errorf("%s: ACK MSA-1 %q MSA-2 %q (MSA-3 %q), want %q %q", s.typ, got.MSA1, got.MSA2, got.MSA3, s.code, s.control)
		}
	}

	p, ok := w.patient(t, "SHL7-1001")
	if !ok {
		t.Fatal("the A04 sent by simple-hl7 created no patient")
	}
	if diff := cmp.Diff([]string{"Mai Anh", "Tran", "+61412345678", "1985-02-14"}, []string{p.GivenName, p.FamilyName, p.Mobile, p.BirthDate}); diff != "" {
		t.Errorf("patient after the A08 (-want +got):\n%s", diff)
	}

	// Nothing in quarantine; the SIU's appointment booked.
	for _, q := range w.quarantined(t) {
		t.Errorf("quarantined: %s %s (%s), want nothing", q.MessageType, q.ControlID, q.Reason)
	}
	a, ok := w.appointment(t, "FL-7701")
	if !ok {
		t.Fatal("the SIU^S12 booked no appointment")
	}
	if diff := cmp.Diff([]any{w.agenda.ID, w.reasons[1].ID, p.ID, clinic.StatusBooked, 15 * time.Minute},
		[]any{a.AgendaID, a.ReasonID, a.PatientID, a.Status, a.End.Sub(a.Start)}); diff != "" {
		t.Errorf("appointment (-want +got):\n%s", diff)
	}

	// The ORU's result, stored against the patient.
	var results []store.Result
	if err := w.db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		results, err = tx.Sync().ResultsOf(context.Background(), w.fx.Org.ID, p.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 {
		t.Fatalf("%d results stored for the patient, want 1", len(results))
	}
	r := results[0]
	if diff := cmp.Diff([]string{"LAB-5001", "Full blood count", "Result", "Discuss", "Sam Example"},
		[]string{r.ExternalID, r.Test, r.Category, r.Action, r.DoctorName}); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

// runPeer waits until the node script p prints its last line ({"done":true} or
// {"error":…}) and returns the lines before it. The script's output is logged when the test
// fails (nodetest.Start's cleanup).
func runPeer(t *testing.T, p *nodetest.Process, timeout time.Duration) []peerACK {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var acks []peerACK
		for _, line := range strings.Split(p.Output(), "\n") {
			if !strings.HasPrefix(line, "{") {
				continue // node's own warnings, or a line not yet complete
			}
			var a peerACK
			if err := json.Unmarshal([]byte(line), &a); err != nil {
				continue
			}
			switch {
			case a.Error != "":
				t.Fatalf("simple-hl7 client: %s", a.Error)
			case a.Done:
				p.Stop()
				return acks
			}
			acks = append(acks, a)
		}
		if time.Now().After(deadline) {
			t.Fatalf("simple-hl7 client: not done after %v", timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
