package messaging

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/compose"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/decide"
	"github.com/tidings-health/tidings/internal/store"
)

// AlertConfig is what the message alerts (MSG-5) need from the rest of the process.
//
// Alerts are planned in rounds, not in the message's transaction: a message only marks its
// conversation, in the statement that stores it (store.MessageWrite's AwaitAlert), and
// AlertRound, once the delay has passed, decides for many patients at once whether and
// where to alert them. A send thus costs no read for its alert (it had cost six
// statements, the consent reads of every channel among them, for an alert that most often
// is never sent: the patient reads the message first), and a burst of messages to one
// patient is looked at once.
type AlertConfig struct {
	// Wake tells the dispatcher an alert is due now.
	Wake func()
	// Delay is how long after the message the alert is decided: only a patient who has not
	// read it by then is alerted, and the dispatcher checks again as it sends. This is what
	// "online" means for the alert, the same on every instance: a patient who has the
	// conversation in front of them reads the message as it comes (the page marks it read
	// while it is visible), while one with it in a hidden tab, or with only another page
	// open (an unread count, maybe in a tab forgotten for days), has not seen it and is
	// alerted. 0: at the next round.
	Delay time.Duration
	// Every is how often RunAlerts works a round (10 s when 0).
	Every time.Duration
	// Rate is how many conversations a second a round looks at, at most, once it has more
	// than a batch of them (100 when 0; per instance). A backlog (the alerts of messages to
	// many patients, or of instances that were down) is then planned at that pace rather
	// than at once: an alert can wait a minute more, a message typed meanwhile cannot. On
	// 2 cores, 15,000 alerts planned back to back (and dispatched as they came) took both
	// cores and the database for 3-5 s, and messages sent meanwhile took up to 600 ms to
	// arrive instead of 2 ms (tidings bench messaging on PostgreSQL, run after runs whose
	// patients left their messages unread). Rounds resting for 90% of their own time still
	// planned up to 700 a second on two instances, since the work a round causes (the
	// dispatcher's, the database's) is not in its time; a rate paces that too.
	Rate float64

	batch int                                        // conversations claimed per transaction (alertBatch when 0)
	pause func(ctx context.Context, d time.Duration) // rests between batches (a timer when nil; tests record)
}

// alertBatch is how many conversations a round claims per transaction.
const alertBatch = 50

// SetAlerts turns the message alerts on (MSG-5); without it, messages alert nobody.
func (s *Service) SetAlerts(cfg AlertConfig) {
	if cfg.Every <= 0 {
		cfg.Every = 10 * time.Second
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 100
	}
	if cfg.batch <= 0 {
		cfg.batch = alertBatch
	}
	if cfg.pause == nil {
		cfg.pause = rest
	}
	s.alerts = &cfg
}

// RunAlerts works an alert round every AlertConfig.Every until ctx ends: a component of
// serve. On PostgreSQL every instance may run one (conversations are claimed).
//
// Errors: none; a failed round is logged by the caller's logger through log, and retried.
func (s *Service) RunAlerts(ctx context.Context, log func(err error)) error {
	if s.alerts == nil {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(s.alerts.Every)
	defer t.Stop()
	for {
		if _, err := s.AlertRound(ctx); err != nil && ctx.Err() == nil && log != nil {
			log(err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// AlertRound plans the due message alerts (MSG-5): for the conversations marked at least
// Delay ago, each patient who still has a message from the clinic unread (who was not
// "online": AlertConfig.Delay) and has no alert waiting already, gets one notification
// saying only that a secure message is waiting, with the portal's link, on the first
// channel consent allows of push, e-mail, SMS (the patient's own choices and opt-outs,
// CON-3), due at once. It returns how many conversations it looked at. It claims them a
// batch at a time and rests between batches, so as to look at no more than Rate
// conversations a second.
//
// Errors: the store's; a batch that fails is rolled back, its conversations still marked
// for the next round. A round whose ctx ends while it rests returns what it did; the rest
// stays marked.
func (s *Service) AlertRound(ctx context.Context) (int, error) {
	if s.alerts == nil {
		return 0, nil
	}
	total := 0
	for {
		var n int
		start := time.Now()
		err := s.db.Update(ctx, func(tx *store.Tx) error {
			due, err := tx.Messaging().ClaimDueAlerts(ctx, tx.Now.Add(-s.alerts.Delay), s.alerts.batch)
			if err != nil {
				return err
			}
			n = len(due)
			return s.planAlerts(ctx, tx, due)
		})
		total += n
		if err != nil {
			return total, fmt.Errorf("message alerts: %w", err)
		}
		if n < s.alerts.batch {
			return total, nil
		}
		// The batch's share of a second at Rate, less what it took (real time: it is the
		// CPU's and the database's time that the rest leaves to requests, not the clinic's
		// clock).
		if d := time.Duration(float64(n)/s.alerts.Rate*float64(time.Second)) - time.Since(start); d > 0 {
			s.alerts.pause(ctx, d)
		}
		if ctx.Err() != nil {
			return total, nil
		}
	}
}

// rest waits d or until ctx ends.
func rest(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// planAlerts plans the alerts of the claimed conversations, organisation by organisation.
func (s *Service) planAlerts(ctx context.Context, tx *store.Tx, due []store.AlertDue) error {
	byOrg := map[clinic.OrgID][]store.AlertDue{}
	var orgs []clinic.OrgID
	for _, d := range due {
		if byOrg[d.OrgID] == nil {
			orgs = append(orgs, d.OrgID)
		}
		byOrg[d.OrgID] = append(byOrg[d.OrgID], d)
	}
	slices.Sort(orgs)
	planned := false
	for _, org := range orgs {
		// One alert per patient, from the clinic of their oldest waiting conversation.
		from := map[clinic.PatientID]clinic.ClinicID{}
		var patients []clinic.PatientID
		for _, d := range byOrg[org] {
			if _, ok := from[d.PatientID]; ok {
				continue
			}
			from[d.PatientID] = d.ClinicID
			patients = append(patients, d.PatientID)
		}
		unread, err := tx.Messaging().UnreadByPatients(ctx, org, patients)
		if err != nil {
			return err
		}
		waiting, err := tx.Messaging().WaitingAlerts(ctx, org, patients)
		if err != nil {
			return err
		}
		patients = slices.DeleteFunc(patients, func(p clinic.PatientID) bool { return unread[p] == 0 || waiting[p] })
		if len(patients) == 0 {
			continue
		}
		chans := []consent.Channel{consent.ChannelPush, consent.ChannelEmail, consent.ChannelSMS}
		msgs := make([]decide.Message, 0, len(patients)*len(chans))
		for _, p := range patients {
			for _, ch := range chans {
				msgs = append(msgs, decide.Message{PatientID: p, Channel: ch, Purpose: consent.PurposeMessageAlert})
			}
		}
		facts, _, _, err := decide.LoadPatients(ctx, tx, org, msgs)
		if err != nil {
			return err
		}
		var ns []store.Notification
		for i, p := range patients {
			for j, ch := range chans {
				if consent.Decide(facts[i*len(chans)+j]).Allowed {
					ns = append(ns, store.Notification{ClinicID: from[p], PatientID: p, Kind: string(compose.KindMessageAlert),
						Purpose: string(consent.PurposeMessageAlert), Channel: string(ch), Due: tx.Now})
					break
				}
			}
		}
		if len(ns) == 0 {
			continue
		}
		if _, err := tx.Notifications().PlanNotifications(ctx, org, ns); err != nil {
			return err
		}
		planned = true
	}
	if planned && s.alerts.Wake != nil {
		tx.OnCommit(s.alerts.Wake)
	}
	return nil
}
