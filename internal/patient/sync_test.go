package patient_test

import (
	"context"
	"testing"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/store"
)

// TestSyncTxOutcomes (SYN-1): the clinical software's record creates the patient, a change
// updates it, and the same record sent again (written differently: a local mobile number
// that normalises to the stored E.164) is unchanged — no write, no audit row.
func TestSyncTxOutcomes(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	actor := clinic.SystemActor(w.f.Org.ID, "sync")
	str := func(s string) *string { return &s }
	in := patient.Input{GivenName: str("Ada"), FamilyName: str("King"), BirthDate: str("1990-01-02"), Mobile: str("0412 345 600"), Email: str("")}
	sync := func(in patient.Input) (clinic.Patient, string) {
		t.Helper()
		var p clinic.Patient
		var outcome string
		if err := w.db.Update(ctx, func(tx *store.Tx) (err error) {
			p, outcome, err = patient.SyncTx(ctx, tx, actor, w.f.Database.ID, "EXT-1", in)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return p, outcome
	}
	p, outcome := sync(in)
	if outcome != patient.SyncCreated || p.Mobile != "+61412345600" {
		t.Fatalf("first sync: %s, mobile %q", outcome, p.Mobile)
	}
	again := in
	again.Mobile = str("+61 412 345 600")
	q, outcome := sync(again)
	if outcome != patient.SyncUnchanged || q.Version != p.Version {
		t.Errorf("same record again: %s, version %d → %d; want unchanged, no write", outcome, p.Version, q.Version)
	}
	changed := in
	changed.GivenName = str("Augusta Ada")
	if q, outcome = sync(changed); outcome != patient.SyncUpdated || q.GivenName != "Augusta Ada" {
		t.Errorf("changed record: %s, given name %q", outcome, q.GivenName)
	}
}
