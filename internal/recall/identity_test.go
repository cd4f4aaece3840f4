package recall_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
)

// link mints the identity-check link of a step of sequence seq, as the dispatcher does
// when it sends one, and returns its token.
func (w *world) link(seq int64) string {
	w.t.Helper()
	var link string
	if err := w.db.Update(ctx, func(tx *store.Tx) (err error) {
		link, err = w.svc.Mint(ctx, tx, store.Notification{OrgID: w.f.Org.ID, SequenceID: seq})
		return err
	}); err != nil {
		w.t.Fatal(err)
	}
	token, ok := strings.CutPrefix(link, "https://tidings.example/r/")
	if !ok || len(token) < 32 {
		w.t.Fatalf("link %q", link)
	}
	if recall.Redact("see "+link) != "see https://tidings.example/r/…" {
		w.t.Errorf("Redact left the token of %q", link)
	}
	return token
}

// TestIdentityCheck (RES-3): a message's link shows who wants to see the patient only
// once they give their surname (compared without case, accents, spaces, hyphens or
// apostrophes) and date of birth; five wrong answers lock the link for an hour, even for
// the right answer from elsewhere; an unknown or expired link answers the same as a wrong
// answer; every attempt is audited on the patient.
func TestIdentityCheck(t *testing.T) {
	w := newWorld(t)
	p := w.patient(w.f.Database.ID, "P2", func(p *clinic.Patient) { p.FamilyName, p.BirthDate = "D'Arcy-Núñez", "1990-02-03" })
	r := fbc
	r.id = "I1"
	w.send(w.oru(facility, "P2", r))
	s := w.only(p.ID)
	token := w.link(s.ID)

	if _, err := w.svc.Check(ctx, token, " ", "03/02/1990", "10.0.0.1"); !clinic.HasField(clinic.FieldsOf(err), "surname") || !clinic.HasField(clinic.FieldsOf(err), "birth_date") {
		t.Errorf("empty surname and a malformed date: %v", err)
	}
	if _, err := w.svc.Check(ctx, "nosuchtokennosuchtokennosuchtoken", "Darcy Nunez", "1990-02-03", "10.0.0.1"); !errors.Is(err, recall.ErrCheckFailed) {
		t.Errorf("an unknown link: %v, want ErrCheckFailed", err)
	}
	for i, surname := range []string{"darcy nunez", "D'ARCY-NÚÑEZ", "Darcy-Nunez", " d’arcy núñez "} {
		v, err := w.svc.Check(ctx, token, surname, "1990-02-03", fmt.Sprintf("10.0.1.%d", i))
		if err != nil {
			t.Errorf("%q: %v", surname, err)
			continue
		}
		if v.Clinic != "Main St" || v.ClinicID != w.f.Clinic.ID || v.Practitioner != s.DoctorName || v.Kind != store.SeqKindResults || !v.Open || v.Slug != "acme-main" {
			t.Errorf("%q: visit %+v", surname, v)
		}
	}
	if s.DoctorName == "" {
		t.Error("the sequence names no doctor")
	}
	for _, c := range []struct{ surname, birth string }{{"Darcy", "1990-02-03"}, {"Darcy Nunez", "1990-02-04"}, {"Hopper", "1980-12-09"}} {
		if _, err := w.svc.Check(ctx, token, c.surname, c.birth, "10.0.2.1"); !errors.Is(err, recall.ErrCheckFailed) {
			t.Errorf("%+v: %v, want ErrCheckFailed", c, err)
		}
	}
	// Fewer than MaxFailures wrong answers, then the right one: it passes, and the count
	// starts again.
	if _, err := w.svc.Check(ctx, token, "Darcy Nunez", "1990-02-03", "10.0.2.2"); err != nil {
		t.Errorf("the right answer after three wrong ones: %v", err)
	}
	for i := range recall.MaxFailures {
		if _, err := w.svc.Check(ctx, token, "Smith", "1990-02-03", fmt.Sprintf("10.0.4.%d", i)); !errors.Is(err, recall.ErrCheckFailed) {
			t.Fatalf("wrong answer %d: %v", i+1, err)
		}
	}
	if _, err := w.svc.Check(ctx, token, "Darcy Nunez", "1990-02-03", "10.0.5.1"); !errors.Is(err, recall.ErrCheckFailed) {
		t.Errorf("the right answer on a locked link, from another address: %v, want ErrCheckFailed", err)
	}
	if _, err := w.svc.Check(ctx, w.link(s.ID), "Darcy Nunez", "1990-02-03", "10.0.5.2"); err != nil {
		t.Errorf("another link of the same recall was locked too: %v", err)
	}
	w.clock.Advance(recall.LockFor + time.Minute)
	if _, err := w.svc.Check(ctx, token, "Darcy Nunez", "1990-02-03", "10.0.5.3"); err != nil {
		t.Errorf("the right answer once the lock is over: %v", err)
	}
	// The same address failing again and again is held back across links (auth.Gate).
	var tooMany bool
	for i := range 30 {
		_, err := w.svc.Check(ctx, fmt.Sprintf("guess%032d", i), "Smith", "1990-02-03", "10.9.9.9")
		if errors.Is(err, recall.ErrTooMany) {
			tooMany = true
			break
		}
	}
	if !tooMany {
		t.Error("30 failed checks from one address were never held back")
	}
	// A link expires with its TTL.
	w.clock.Advance(31 * 24 * time.Hour)
	if _, err := w.svc.Check(ctx, token, "Darcy Nunez", "1990-02-03", "10.0.6.1"); !errors.Is(err, recall.ErrCheckFailed) {
		t.Errorf("an expired link: %v, want ErrCheckFailed", err)
	}
	passed, failed := w.audits("recall.identity_passed"), w.audits("recall.identity_failed")
	// Passed: 4 spellings, after 3 wrong, another link, after the lock. Failed: 3 wrong,
	// MaxFailures wrong, the locked right answer, the expired link; an unknown link has no
	// patient to audit.
	if passed != 7 || failed != 3+recall.MaxFailures+2 {
		t.Errorf("audited %d passed and %d failed checks", passed, failed)
	}
	if n := w.auditsOf(p.ID); n != passed+failed {
		t.Errorf("%d audit rows on the patient, want every check's (%d)", n, passed+failed)
	}
}

// auditsOf counts the audit rows on a patient.
func (w *world) auditsOf(p clinic.PatientID) int {
	w.t.Helper()
	var n int
	if err := w.db.View(ctx, func(tx *store.Tx) error {
		es, err := tx.AuditTrail().AuditLog(ctx, w.f.Org.ID, store.AuditFilter{PatientID: p}, store.Page{Limit: 500})
		n = len(es)
		return err
	}); err != nil {
		w.t.Fatal(err)
	}
	return n
}
