package messaging

import (
	"context"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/compose"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/decide"
	"github.com/tidings-health/tidings/internal/store"
)

// AlertConfig is what the alert planner needs from the rest of the process.
type AlertConfig struct {
	// Online reports whether the patient has the portal open (a stream of theirs in this
	// process): they see the message as it comes, so no alert. nil: never online.
	Online func(org clinic.OrgID, p clinic.PatientID) bool
	// Wake tells the dispatcher an alert is due now.
	Wake func()
	// Delay is how long after the message the alert falls due; the dispatcher sends it only
	// if the patient has not read the message by then (a patient who has the portal open
	// reads it as it comes, in a tab in front or not). 0: at once.
	Delay time.Duration
}

// Alerts returns the planner of MSG-5's alerts: for a message to a patient who is not
// online, one notification saying only that a secure message is waiting, with the portal's
// link, on the first channel consent allows of push, e-mail, SMS (the patient's own
// choices and opt-outs, CON-3). A patient with an alert still waiting gets no second one.
func Alerts(cfg AlertConfig) func(ctx context.Context, tx *store.Tx, c store.Conversation, m store.Message) error {
	return func(ctx context.Context, tx *store.Tx, c store.Conversation, m store.Message) error {
		if cfg.Online != nil && cfg.Online(c.OrgID, c.PatientID) {
			return nil
		}
		if waiting, err := tx.Messaging().HasPlannedAlert(ctx, c.OrgID, c.PatientID); err != nil || waiting {
			return err
		}
		chans := []consent.Channel{consent.ChannelPush, consent.ChannelEmail, consent.ChannelSMS}
		msgs := make([]decide.Message, len(chans))
		for i, ch := range chans {
			msgs[i] = decide.Message{PatientID: c.PatientID, Channel: ch, Purpose: consent.PurposeMessageAlert}
		}
		facts, _, _, err := decide.LoadPatients(ctx, tx, c.OrgID, msgs)
		if err != nil {
			return err
		}
		for i, f := range facts {
			if !consent.Decide(f).Allowed {
				continue
			}
			if _, err := tx.Notifications().PlanNotifications(ctx, c.OrgID, []store.Notification{{ClinicID: c.ClinicID, PatientID: c.PatientID,
				Kind: string(compose.KindMessageAlert), Purpose: string(consent.PurposeMessageAlert), Channel: string(chans[i]), Due: tx.Now.Add(cfg.Delay)}}); err != nil {
				return err
			}
			if cfg.Wake != nil && cfg.Delay == 0 {
				tx.OnCommit(cfg.Wake)
			}
			return nil
		}
		return nil
	}
}
