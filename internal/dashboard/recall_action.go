package dashboard

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// recallStart starts a recall (POST /recalls/{id}/start) through recall.Start, which
// checks the permission, plans the template's steps and writes the audit row
// ("recall.start"): a recall waiting for staff (RES-3), or one raised on the checklist once
// staff dealt with why.
func (d *Dashboard) recallStart(w http.ResponseWriter, r *http.Request) {
	d.recallAction(w, r, d.recalls.Start, "recall-started")
}

// recallSkip closes a recall without following it up (POST /recalls/{id}/skip: staff phoned
// the patient, or decided not to) through recall.Skip, which withdraws its planned steps
// and writes the audit row ("recall.skip").
func (d *Dashboard) recallSkip(w http.ResponseWriter, r *http.Request) {
	d.recallAction(w, r, d.recalls.Skip, "recall-skipped")
}

// recallDone marks a recall done (POST /recalls/{id}/done: staff told the patient) through
// recall.Done, which withdraws its planned steps and writes the audit row ("recall.done").
func (d *Dashboard) recallDone(w http.ResponseWriter, r *http.Request) {
	d.recallAction(w, r, d.recalls.Done, "recall-done")
}

// recallFlash is the flash a refused staff action leaves (Start, Skip or Done answering
// *clinic.ConflictError): chosen from the recall's state once refused, so that the page
// says why in a fixed text of the catalog rather than the use case's English words.
func recallFlash(s store.Sequence, found bool) string {
	switch {
	case !found:
		return "recall-refused"
	case s.State == store.SeqDone || s.State == store.SeqSkipped:
		return "recall-closed"
	case s.State == store.SeqBooked:
		return "recall-booked"
	case s.State == store.SeqActive:
		return "recall-running"
	}
	// Waiting, manual or unreachable after a refused Start: the patient cannot be reached
	// (no contact, or consent refuses every channel of the template).
	return "recall-unreachable"
}

// recallAction runs one staff action (Start, Skip, Done) on the recall its path names
// and returns to the page the form came from (field next, a local path; else the
// checklist) with a confirmation (Post/Redirect/Get). A refusal because of the recall's
// state (a conflict) returns there too, with a flash saying why, never an error page;
// another organisation's recall is "not found".
func (d *Dashboard) recallAction(w http.ResponseWriter, r *http.Request, run func(context.Context, clinic.Actor, int64) error, done string) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	actor := web.MustActor(ctx)
	back := localPath(r.PostFormValue("next"), "/recalls")
	err := run(ctx, actor, id)
	switch {
	case err == nil:
		http.Redirect(w, r, withDone(back, done), http.StatusSeeOther)
	case errors.Is(err, clinic.ErrConflict): // a *clinic.ConflictError
		// The recall's state now, read without showing it (no patient data: no audit).
		var s store.Sequence
		found := false
		if rerr := d.db.View(ctx, func(tx *store.Tx) (err error) {
			s, err = tx.Recalls().Sequence(ctx, actor.OrgID, id)
			return err
		}); rerr == nil {
			found = true
		}
		http.Redirect(w, r, withDone(back, recallFlash(s, found)), http.StatusSeeOther)
	default:
		d.fail(w, r, err)
	}
}

// recallActions are the buttons of one recall: which of Start, Skip and Mark done apply
// to its state, and where they return.
type recallActions struct {
	ID    int64
	What  string // the patient and title, for screen readers ("Grace Hopper, Lipids")
	Next  string
	Start bool
	Close bool // Skip and Mark done
}

// recallActionsFor is what a user may do with a recall in state: Start a waiting one, one
// raised for staff, or one that finished without a booking (the use case refuses one still
// sending); Skip or Mark done any not closed yet. None for a user who may not follow up
// recalls.
func recallActionsFor(actor clinic.Actor, id int64, state, what, next string) recallActions {
	a := recallActions{ID: id, What: what, Next: next}
	if !actor.Can(clinic.PermFollowUp) {
		return a
	}
	a.Start = slices.Contains([]string{store.SeqWaiting, store.SeqManual, store.SeqUnreachable, store.SeqActive}, state)
	a.Close = state != store.SeqDone && state != store.SeqSkipped
	return a
}
