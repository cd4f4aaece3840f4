package dispatch

import (
	"context"
	"errors"
	"time"

	"github.com/tidings-health/tidings/internal/sms/twilio"
	"github.com/tidings-health/tidings/internal/store"
)

// Reconcile settles the SMS whose outcome is unknown (NOT-6, NOT-7) once ReconcileAfter has
// passed without a status callback linking them: the provider's messages to the number since
// the send began are searched for the same body; found, the notification is sent with that
// id; not found, nothing reached the provider and it is planned again (or failed, past its
// deadline). A provider that cannot be asked leaves it unknown for the next pass.
func (d *Dispatcher) Reconcile(ctx context.Context) error {
	if d.senders.SMS == nil {
		return nil
	}
	now := d.now()
	var rows []store.Notification
	if err := d.db.View(ctx, func(tx *store.Tx) error {
		var err error
		rows, err = tx.Notifications().UnknownSMS(ctx, now.Add(-d.cfg.ReconcileAfter), 200)
		return err
	}); err != nil || len(rows) == 0 {
		return err
	}
	var ts []store.Transition
	var errs []error
	for _, n := range rows {
		t := store.Transition{ID: n.ID, OrgID: n.OrgID, Fence: n.Fence, From: store.NoteUnknown}
		since := n.SendingAt
		if since.IsZero() {
			since = n.UpdatedAt.Add(-d.cfg.Lease)
		}
		since = since.Add(-2 * time.Minute) // clock skew between us and the provider
		found, asked := false, false
		for _, a := range d.senders.SMS.route(n.OrgID, n.ClinicID) {
			_, c, ok := d.senders.SMS.Account(n.OrgID, ProviderName(a))
			if !ok {
				continue
			}
			rctx, cancel := context.WithTimeout(ctx, d.cfg.SendTimeout)
			// The stored body has its one-time link blanked (compose.Kind.Linked): the
			// provider's copy is blanked alike before the two are compared.
			sent, ok, err := c.Reconcile(rctx, twilio.Message{Ref: "n", To: n.Destination, From: a.Sender, Body: n.Body}, since, d.redact)
			cancel()
			if err != nil {
				errs = append(errs, err)
				asked = false
				break
			}
			asked = true
			if ok {
				t.State, t.Provider, t.ProviderID = store.NoteSent, ProviderName(a), sent.SID
				t.Reason = "reconciled: the provider had it"
				found = true
				break
			}
		}
		if found {
			ts = append(ts, t)
			continue
		}
		if !asked && len(d.senders.SMS.route(n.OrgID, n.ClinicID)) > 0 {
			continue // ask again next time
		}
		if !n.Deadline.IsZero() && !now.Before(n.Deadline) {
			t.State, t.Reason = store.NoteFailed, "not found at the provider, and too late to send again"
		} else {
			t.State, t.Event, t.Due, t.Reason = store.NotePlanned, store.NoteRetry, now, "not found at the provider: sending again"
		}
		ts = append(ts, t)
	}
	if len(ts) > 0 {
		if err := d.db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Notifications().Transitions(ctx, ts)
			return err
		}); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}
