// Package dispatch sends the notifications the use cases planned (NOT-3..8): a batch outbox
// with leases, not one queue job per message.
//
// A round takes up to Batch due notifications in one transaction: locked on PostgreSQL (FOR
// UPDATE SKIP LOCKED, so concurrent dispatchers take different rows), under the single
// writer on SQLite. In that transaction, for the whole batch at once: the consent engine
// decides each message with the facts as they are now (NOT-3; decide.LoadPatients reads
// them in six statements), skips are recorded with the decision and its trace (CON-9), SMS
// outside the clinic's window wait for it (NOT-8), SMS beyond the monthly budget stop, and
// the rest are rendered (compose) and marked sending — one statement for the batch — with a
// lease and a new fence token. Every later write of the round matches that fence, so a
// dispatcher whose lease expired (paused, partitioned) can record nothing, and it checks
// its lease before each send, so it sends nothing either. Sends run concurrently; their
// outcomes are recorded in one more statement: sent with the provider's id, a retry with
// exponential back-off and jitter (Retry-After honoured; never at or after the deadline),
// failed, or unknown.
//
// Why decide inside the taking transaction: a row is then written once before it leaves
// (planned → sending) instead of twice (a claim, then the mark); on PostgreSQL that write,
// with its index entries, is most of the cost of a send. On SQLite the writer is held while
// a batch is decided (tens of milliseconds for 500), which bookings queue behind.
//
// Exactly once in effect (NOT-6). A crash before the mark commits leaves the rows planned:
// nothing left. A crash after it leaves sending rows: when their lease expires they become
// unknown, and an unknown SMS is reconciled before any resend — a status callback names the notification in its URL, else the provider's list
// of messages to that number is searched for the same body since the send began; only when
// both come up empty after ReconcileAfter is it sent again. An e-mail whose outcome is
// unknown is never resent blindly: it stays unknown, shown to staff.
//
// Why not River: at a job per message the SQLite goal (3,000 sends/s) cannot be reached —
// each job is its own transaction — and the decisions, the grouping of NOT-4 and the
// budget need the batch anyway. River keeps the periodic clean-ups (the jobs package).
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/decide"
	"github.com/tidings-health/tidings/internal/store"
)

// Config tunes a dispatcher; zero fields take the defaults.
type Config struct {
	Batch       int           // notifications claimed per round (500)
	Lease       time.Duration // how long a claim is held (1 min)
	Workers     int           // concurrent sends per round (64)
	Parallel    int           // rounds in flight at once (3)
	SendTimeout time.Duration // per send (15 s); the lease must outlast it
	Idle        time.Duration // the longest sleep when nothing is due (1 s)
	// ReconcileAfter is how long an unknown SMS waits for a status callback before the
	// provider's list is searched, and a message not found there is sent again (2 min).
	ReconcileAfter time.Duration
	MaxAttempts    int // transient failures before giving up (8)
	// PublicURL is the base URL of the server as patients and providers reach it: the
	// portal links and the SMS status callbacks.
	PublicURL string
	// EmailDomain is the domain of Message-IDs and of the .ics UIDs.
	EmailDomain string
}

func (c Config) withDefaults() Config {
	if c.Batch <= 0 {
		c.Batch = 500
	}
	if c.Lease <= 0 {
		c.Lease = time.Minute
	}
	if c.Workers <= 0 {
		c.Workers = 64
	}
	if c.Parallel <= 0 {
		// Three: one round in the database, one waiting on providers, one between; more
		// measured no faster on two cores (bench dispatch).
		c.Parallel = 3
	}
	if c.Lease < c.SendTimeout+2*time.Second {
		// A round sends only what it can finish within its lease.
		c.Lease = c.SendTimeout + 2*time.Second
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = 15 * time.Second
	}
	if c.Idle <= 0 {
		c.Idle = time.Second
	}
	if c.ReconcileAfter <= 0 {
		c.ReconcileAfter = 2 * time.Minute
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.EmailDomain == "" {
		c.EmailDomain = "tidings.invalid"
	}
	return c
}

// Minter makes the secret link of a message that carries one (compose.Kind.Linked: an
// invitation, a password reset, a waitlist offer) in the round's transaction, as it is
// sent, and blanks such links in a text: what the notification log keeps, and how a
// provider's copy is compared with it.
type Minter interface {
	Mint(ctx context.Context, tx *store.Tx, n store.Notification) (Minted, error)
	Redact(text string) string
}

// Minted is what a Minter made for one message: its link, and for a waitlist offer the
// word that claims it by SMS.
type Minted struct {
	Link, Word string
}

// Senders are the channels; a nil channel fails its messages as unconfigured.
type Senders struct {
	SMS   *SMS
	Email Sender
	Push  Sender
}

// Dispatcher sends due notifications. Several may run against one PostgreSQL database.
type Dispatcher struct {
	db      *store.DB
	cfg     Config
	senders Senders
	log     *slog.Logger
	now     func() time.Time
	jitter  func() float64
	wake    chan struct{}

	hooks Hooks
	links Minter
}

// SetLinks sets the maker of account e-mails' links; without one such e-mails fail.
func (d *Dispatcher) SetLinks(m Minter) { d.links = m }

// redact blanks the one-time links in a text (none without a Minter).
func (d *Dispatcher) redact(text string) string {
	if d.links == nil {
		return text
	}
	return d.links.Redact(text)
}

// Hooks are functions called at the points where a crash matters (the crash-safety tests
// kill the process there with SIGKILL); nil ones are skipped.
type Hooks struct {
	AfterClaim   func(claimed int)     // the batch is claimed, nothing decided
	BeforeSend   func(Outgoing)        // marked sending, about to leave
	AfterSend    func(Outgoing, error) // the provider answered, nothing recorded
	BeforeRecord func(outcomes int)    // every send of the round answered, about to record
}

// New returns a dispatcher over db.
func New(db *store.DB, cfg Config, senders Senders, log *slog.Logger) *Dispatcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{db: db, cfg: cfg.withDefaults(), senders: senders, log: log, now: db.Now, jitter: rand.Float64,
		wake: make(chan struct{}, 1)}
}

// SetHooks sets the functions called at the crash points (tests).
func (d *Dispatcher) SetHooks(h Hooks) { d.hooks = h }

// Wake makes an idle dispatcher look for due notifications at once (a use case just
// planned one due now).
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run dispatches until ctx ends: Parallel round loops (one can be in the database while
// others wait on providers), each running rounds back to back while there is work and
// otherwise sleeping until the next due time (at most Idle); every few seconds expired
// leases are taken back, accounts reloaded and unknown SMS reconciled.
func (d *Dispatcher) Run(ctx context.Context) error {
	// The SMS accounts before any round: a round without them would fail every due SMS as
	// unconfigured.
	if err := d.loadAccounts(ctx); err != nil {
		return fmt.Errorf("load SMS accounts: %w", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if err := d.Maintain(ctx); err != nil && ctx.Err() == nil {
				d.log.Error("notification maintenance", "err", err)
			}
			t := time.NewTimer(2 * time.Second)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}()
	for range d.cfg.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.loop(ctx)
		}()
	}
	wg.Wait()
	return nil
}

// loop runs rounds until ctx ends.
func (d *Dispatcher) loop(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := d.Round(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Error("notification round", "err", err)
		}
		if n > 0 && err == nil {
			continue
		}
		sleep := d.cfg.Idle
		if err == nil {
			var next time.Time
			if err := d.db.View(ctx, func(tx *store.Tx) (err error) {
				next, err = tx.Notifications().NextDue(ctx)
				return err
			}); err != nil && ctx.Err() == nil {
				d.log.Error("next due notification", "err", err)
			}
			if !next.IsZero() {
				sleep = min(sleep, max(next.Sub(d.now()), 5*time.Millisecond))
			}
		}
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-d.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// Maintain takes back expired leases, reloads the SMS accounts and reconciles unknown SMS.
func (d *Dispatcher) Maintain(ctx context.Context) error {
	err := d.db.Update(ctx, func(tx *store.Tx) error {
		return tx.Notifications().Expire(ctx, 1000)
	})
	if err != nil {
		return err
	}
	if err := d.loadAccounts(ctx); err != nil {
		return err
	}
	return d.Reconcile(ctx)
}

// loadAccounts reloads the organisations' SMS accounts into the SMS channel.
func (d *Dispatcher) loadAccounts(ctx context.Context) error {
	if d.senders.SMS == nil {
		return nil
	}
	var accounts []store.SMSAccount
	if err := d.db.View(ctx, func(tx *store.Tx) error {
		var err error
		accounts, err = tx.Notifications().SMSAccounts(ctx, 0)
		return err
	}); err != nil {
		return err
	}
	d.senders.SMS.SetAccounts(accounts)
	return nil
}

// job is one message to send, with what the outcome is recorded against.
type job struct {
	n       store.Notification
	out     Outgoing
	members []store.Notification // NOT-4: the notifications this SMS also carries
	// segments and asksReply are recorded with the sending mark.
	segments  int
	asksReply bool
	// fallback: an SMS of a clinic that does not send e-mail; if it fails for good, an
	// e-mail is planned in its place (NOT-7), decided by consent at its own send time.
	fallback bool
	err      error
	receipt  Receipt
	// link is the message's secret link (compose.Kind.Linked) and word a waitlist offer's
	// reply word.
	link, word string
}

// Round runs one batch: in one transaction it takes the due notifications (locked on
// PostgreSQL), decides and renders them, and marks each sending (or skipped, or waiting)
// with the decisions logged; then it sends and records the outcomes. It returns how many
// notifications it took.
func (d *Dispatcher) Round(ctx context.Context) (int, error) {
	var taken int
	var mine []*job
	var leaseEnd time.Time
	err := d.db.Update(ctx, func(tx *store.Tx) error {
		taken, mine = 0, nil
		leaseEnd = tx.Now.Add(d.cfg.Lease)
		due, err := tx.Notifications().LockDue(ctx, d.cfg.Batch)
		if err != nil || len(due) == 0 {
			return err
		}
		taken = len(due)
		if d.hooks.AfterClaim != nil {
			d.hooks.AfterClaim(len(due))
		}
		byOrg := map[clinic.OrgID][]store.Notification{}
		var orgs []clinic.OrgID
		for _, n := range due {
			if _, ok := byOrg[n.OrgID]; !ok {
				orgs = append(orgs, n.OrgID)
			}
			byOrg[n.OrgID] = append(byOrg[n.OrgID], n)
		}
		var jobs []*job
		var marks []store.Transition
		decided := map[clinic.OrgID][]decide.Decided{}
		now := d.now()
		for _, org := range orgs {
			p, err := d.prepare(ctx, tx, org, byOrg[org], now, leaseEnd)
			if err != nil {
				return fmt.Errorf("prepare notifications of organisation %d: %w", org, err)
			}
			jobs = append(jobs, p.jobs...)
			marks = append(marks, p.marks...)
			decided[org] = p.decided
		}
		ids, err := tx.Notifications().Transitions(ctx, marks)
		if err != nil {
			return err
		}
		owned := make(map[int64]bool, len(ids))
		for _, id := range ids {
			owned[id] = true
		}
		for org, ds := range decided {
			kept := ds[:0]
			for _, x := range ds {
				if owned[x.NotificationID] {
					kept = append(kept, x)
				}
			}
			if err := decide.LogTx(ctx, tx, org, kept); err != nil {
				return err
			}
		}
		for _, j := range jobs {
			if owned[j.n.ID] {
				mine = append(mine, j)
			}
		}
		return nil
	})
	if err != nil || len(mine) == 0 {
		return taken, err
	}
	d.send(ctx, mine, leaseEnd)
	return taken, d.record(ctx, mine)
}

// send runs the jobs on Workers goroutines. A job whose lease would run out before its send
// could time out is not sent (errLeaseEnding: planned again).
func (d *Dispatcher) send(ctx context.Context, jobs []*job, leaseEnd time.Time) {
	next := make(chan *job)
	var wg sync.WaitGroup
	for range min(d.cfg.Workers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				if d.hooks.BeforeSend != nil {
					d.hooks.BeforeSend(j.out)
				}
				// Checked last thing before the request: a dispatcher that was stopped,
				// or paused past its lease (another may own the row now), sends nothing.
				if ctx.Err() != nil || !d.now().Add(d.cfg.SendTimeout+time.Second).Before(leaseEnd) {
					j.err = errNotSent
					continue
				}
				// A send that started finishes even when the dispatcher is stopping (bounded
				// by SendTimeout): cut short, it would be an unknown outcome to reconcile.
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.SendTimeout)
				j.receipt, j.err = d.channel(j.out.Channel).Send(sctx, j.out)
				cancel()
				if d.hooks.AfterSend != nil {
					d.hooks.AfterSend(j.out, j.err)
				}
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
}

// errNotSent marks a job that never left: planned again without counting an attempt.
var errNotSent = errors.New("not sent: lease ending or shutting down")

type unconfigured struct{ ch consent.Channel }

func (u unconfigured) Send(context.Context, Outgoing) (Receipt, error) {
	return Receipt{}, &SendError{Kind: Unconfigured, Reason: fmt.Sprintf("no %s provider is configured", u.ch)}
}

func (d *Dispatcher) channel(ch consent.Channel) Sender {
	switch ch {
	case consent.ChannelSMS:
		if d.senders.SMS != nil {
			return d.senders.SMS
		}
	case consent.ChannelEmail:
		if d.senders.Email != nil {
			return d.senders.Email
		}
	case consent.ChannelPush:
		if d.senders.Push != nil {
			return d.senders.Push
		}
	}
	return unconfigured{ch}
}

// record writes the outcomes of the sends in one transaction, fenced: a row whose lease was
// taken over is not touched.
func (d *Dispatcher) record(ctx context.Context, jobs []*job) error {
	if len(jobs) == 0 {
		return nil
	}
	if d.hooks.BeforeRecord != nil {
		d.hooks.BeforeRecord(len(jobs))
	}
	now := d.now()
	var ts []store.Transition
	type bounce struct {
		org   clinic.OrgID
		addr  string
		why   string
		notes []int64
	}
	var bounces []bounce
	type gone struct {
		org      clinic.OrgID
		endpoint string
	}
	var gones []gone
	var fallbacks []store.Notification
	for _, j := range jobs {
		t := d.outcome(j, now)
		ts = append(ts, t)
		if j.fallback && t.State == store.NoteFailed && j.err != nil && classify(j.err).Kind != Transient {
			fallbacks = append(fallbacks, store.Notification{OrgID: j.n.OrgID, ClinicID: j.n.ClinicID, PatientID: j.n.PatientID,
				AppointmentID: j.n.AppointmentID, Kind: j.n.Kind, Purpose: j.n.Purpose, Channel: string(consent.ChannelEmail), Offset: j.n.Offset,
				Due: now, Deadline: j.n.Deadline, Reason: fmt.Sprintf("in place of SMS notification %d, which failed", j.n.ID)})
		}
		for _, m := range j.members {
			mt := t
			mt.ID, mt.OrgID, mt.Fence, mt.GroupID = m.ID, m.OrgID, m.Fence, j.n.ID
			mt.Body, mt.Subject, mt.Destination = "", "", ""
			if mt.State == store.NoteSent {
				mt.Reason = fmt.Sprintf("sent in one SMS with notification %d (NOT-4)", j.n.ID)
			}
			ts = append(ts, mt)
		}
		if j.err != nil {
			se := classify(j.err)
			if se.Bounce {
				bounces = append(bounces, bounce{org: j.n.OrgID, addr: j.out.To, why: se.Reason})
			}
			if se.Kind == Gone {
				gones = append(gones, gone{j.n.OrgID, j.out.Push.Endpoint})
			}
		}
	}
	// What was sent is recorded even when the dispatcher is stopping: a shutdown must not
	// turn sent messages into unknown ones.
	ctx = context.WithoutCancel(ctx)
	return d.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Notifications().Transitions(ctx, ts); err != nil {
			return err
		}
		for _, b := range bounces {
			if _, err := tx.Notifications().FlagEmailBounce(ctx, b.org, b.addr, b.why); err != nil {
				return err
			}
		}
		for _, g := range gones {
			if err := tx.Notifications().DeletePushSubscription(ctx, g.org, g.endpoint); err != nil {
				return err
			}
		}
		for _, f := range fallbacks {
			if _, err := tx.Notifications().PlanNotifications(ctx, f.OrgID, []store.Notification{f}); err != nil {
				return err
			}
		}
		return nil
	})
}

// outcome is the transition a send's result calls for.
func (d *Dispatcher) outcome(j *job, now time.Time) store.Transition {
	n := j.n
	t := store.Transition{ID: n.ID, OrgID: n.OrgID, Fence: n.Fence, From: store.NoteSending}
	if j.err == nil {
		t.State, t.Provider, t.ProviderID, t.Attempt = store.NoteSent, j.receipt.Provider, j.receipt.ProviderID, true
		return t
	}
	if errors.Is(j.err, errNotSent) {
		t.State, t.Event, t.Due, t.Reason = store.NotePlanned, store.NoteRetry, now, "not sent before the dispatcher stopped: planned again"
		return t
	}
	se := classify(j.err)
	t.Provider = j.receipt.Provider
	switch se.Kind {
	case Permanent, Gone, Unconfigured:
		t.State, t.Reason, t.Attempt = store.NoteFailed, se.Reason, true
		if se.Bounce {
			t.Reason = "bounced: " + se.Reason
		}
	case Unknown:
		t.State, t.Reason, t.Attempt = store.NoteUnknown, se.Reason+": it may have reached the provider", true
		if j.n.Channel == string(consent.ChannelEmail) {
			t.Reason = se.Reason + ": the mail server may have accepted it; not sent again automatically"
		}
	case Transient:
		attempts := n.Attempts + 1
		circuit := se.Circuit // waiting for a provider that is down is not an attempt
		if !circuit {
			t.Attempt = true
		}
		wait := backoff(attempts, d.jitter())
		if se.RetryAfter > wait {
			wait = se.RetryAfter
		}
		due := now.Add(wait)
		switch {
		case !circuit && attempts >= d.cfg.MaxAttempts:
			t.State, t.Reason = store.NoteFailed, fmt.Sprintf("gave up after %d attempts: %s", attempts, se.Reason)
		case !n.Deadline.IsZero() && !due.Before(n.Deadline):
			t.State, t.Reason = store.NoteFailed, "too late to retry before the appointment: "+se.Reason
		default:
			t.State, t.Event, t.Due = store.NotePlanned, store.NoteRetry, due
			t.Reason = fmt.Sprintf("%s; retry at %s", se.Reason, due.UTC().Format(time.RFC3339))
		}
	}
	return t
}

// backoff is the wait before attempt n+1: 10 s doubling, capped at 30 min, with full
// jitter in its upper half so that a backlog retried together spreads out.
func backoff(attempt int, jitter float64) time.Duration {
	base := 10 * time.Second
	for i := 1; i < attempt && base < 30*time.Minute; i++ {
		base *= 2
	}
	base = min(base, 30*time.Minute)
	return base/2 + time.Duration(jitter*float64(base/2))
}
