package messaging

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/email"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/jobs"
	"github.com/tidings-health/tidings/internal/store"
)

// DigestEvery is how often the digest of unread messages runs (MSG-5): a staff member
// hears of new unread messages at most once in that time.
const DigestEvery = time.Hour

// Digest is what the staff e-mail digest needs from the rest of the process.
type Digest struct {
	// Send delivers one e-mail (email.Sender.Send); nil: no mail server, no digest.
	Send func(ctx context.Context, m email.Message) error
	// PublicURL is the dashboard's address, for the link to the inbox.
	PublicURL string
	// Domain names the digests' Message-IDs (the public URL's host).
	Domain string
	// Catalog writes the e-mail in each staff member's language.
	Catalog *i18n.Catalog
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Digests e-mails each staff member who has unread secure messages that came in since their
// last digest, at the clinics whose digest switch is on (MSG-5): those a healthcare
// professional follows (every clinic of the organisation), those where other staff triage;
// the same clinics and count as the dashboard's badge. The e-mail names the clinics, the
// number of unread messages at each and the inbox's link: never a patient, a subject or a
// message. A staff member is told once of the same unread messages (messaging_digests), in
// their dashboard language. It returns how many digests were sent; a failed send is
// reported with the others' outcome and retried at the next run.
//
// Errors: the database's; the sends' (joined, after every other digest was tried).
func (s *Service) Digests(ctx context.Context, d Digest) (int, error) {
	if d.Send == nil {
		return 0, nil
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	var clinics []store.DigestClinic
	if err := s.db.View(ctx, func(tx *store.Tx) (err error) {
		clinics, err = tx.Messaging().DigestClinics(ctx)
		return err
	}); err != nil {
		return 0, err
	}
	byOrg := map[clinic.OrgID][]clinic.ClinicID{}
	var orgs []clinic.OrgID
	for _, c := range clinics {
		if byOrg[c.OrgID] == nil {
			orgs = append(orgs, c.OrgID)
		}
		byOrg[c.OrgID] = append(byOrg[c.OrgID], c.ClinicID)
	}
	sent := 0
	var failed []string
	for _, org := range orgs {
		n, err := s.orgDigests(ctx, d, org, byOrg[org], now)
		sent += n
		if err != nil {
			failed = append(failed, err.Error())
		}
	}
	if len(failed) > 0 {
		return sent, fmt.Errorf("message digests: %s", strings.Join(failed, "; "))
	}
	return sent, nil
}

// digestFor is one staff member's digest: their unread messages clinic by clinic.
type digestFor struct {
	user   clinic.User
	unread []store.UnreadClinic
	names  map[clinic.ClinicID]string
	newest int64
}

func (s *Service) orgDigests(ctx context.Context, d Digest, org clinic.OrgID, cls []clinic.ClinicID, now func() time.Time) (int, error) {
	var due []digestFor
	err := s.db.View(ctx, func(tx *store.Tx) error {
		sets := map[clinic.ClinicID]store.MessagingSettings{}
		names := map[clinic.ClinicID]string{}
		for _, c := range cls {
			set, err := tx.Messaging().MessagingSettingsOf(ctx, org, c)
			if err != nil {
				return err
			}
			cl, err := tx.Directory().Clinic(ctx, org, c)
			if err != nil {
				return err
			}
			sets[c], names[c] = set, cl.Name
		}
		for p := (store.Page{Limit: 500}); ; {
			us, err := tx.Staff().Users(ctx, org, p)
			if err != nil {
				return err
			}
			for _, u := range us {
				f, ok, err := digestOf(ctx, tx, u, cls, sets)
				if err != nil {
					return err
				}
				if ok {
					f.names = names
					due = append(due, f)
				}
			}
			if len(us) < p.Size() {
				return nil
			}
			p.After = int64(us[len(us)-1].ID)
		}
	})
	if err != nil {
		return 0, err
	}
	sent := 0
	var failed []string
	for _, f := range due {
		if err := d.Send(ctx, digestMail(d, f, now())); err != nil {
			failed = append(failed, fmt.Sprintf("user %d: %v", f.user.ID, err))
			continue
		}
		err := s.db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.Messaging().PutDigest(ctx, org, f.user.ID, f.newest, tx.Now); err != nil {
				return err
			}
			return audit.Record(ctx, tx, clinic.SystemActor(org, "messaging"), "message.digest")
		})
		if err != nil {
			return sent, err
		}
		sent++
	}
	if len(failed) > 0 {
		return sent, fmt.Errorf("organisation %d: %s", org, strings.Join(failed, "; "))
	}
	return sent, nil
}

// digestOf decides whether u gets a digest now: an enabled account with an e-mail, of a
// role that reads patients, with unread messages in conversations they may read (the
// badge's count, UnreadOf) of which one came in after the newest their last digest
// counted.
func digestOf(ctx context.Context, tx *store.Tx, u clinic.User, cls []clinic.ClinicID, sets map[clinic.ClinicID]store.MessagingSettings) (digestFor, bool, error) {
	f := digestFor{user: u}
	actor := clinic.StaffActor(u)
	if u.DisabledAt != nil || u.Email == "" || !actor.Can(clinic.PermReadPatients) {
		return f, false, nil
	}
	unread, err := UnreadOf(ctx, tx, u.OrgID, StaffPerson(u), Reader(actor), cls, sets)
	if err != nil || len(unread) == 0 {
		return f, false, err
	}
	last, err := tx.Messaging().LastDigest(ctx, u.OrgID, u.ID)
	if err != nil {
		return f, false, err
	}
	for _, c := range unread {
		f.newest = max(f.newest, c.Newest)
	}
	f.unread = unread
	return f, f.newest > last, nil
}

// digestMail writes f's e-mail in the user's language.
func digestMail(d Digest, f digestFor, now time.Time) email.Message {
	loc, ok := i18n.Parse(f.user.Locale)
	if !ok {
		loc = i18n.English
	}
	t := func(key string, args ...any) string { return d.Catalog.T(loc, key, args...) }
	var b strings.Builder
	total := 0
	for _, c := range f.unread {
		total += c.Count
	}
	if f.user.Name != "" {
		b.WriteString(t("Hello {0},", f.user.Name) + "\n\n")
	} else {
		b.WriteString(t("Hello,") + "\n\n")
	}
	b.WriteString(d.Catalog.N(loc, total, "You have {0} unread secure message:", "You have {0} unread secure messages:", total) + "\n")
	for _, c := range f.unread {
		b.WriteString("- " + f.names[c.ClinicID] + ": " + loc.Number(int64(c.Count)) + "\n")
	}
	b.WriteString("\n" + t("Read them in Tidings: {0}", strings.TrimSuffix(d.PublicURL, "/")+"/messages") + "\n\n")
	b.WriteString(t("This digest comes at most once an hour, only when new messages are waiting. An administrator can turn it off in the clinic's secure messaging settings.") + "\n")
	return email.Message{
		MessageID: fmt.Sprintf("<digest-%d-%d-%d@%s>", f.user.OrgID, f.user.ID, f.newest, d.Domain),
		To:        f.user.Email, ToName: f.user.Name,
		Subject: t("Unread secure messages"),
		Text:    b.String(),
		Headers: map[string]string{"X-Tidings-Digest": "messages"},
	}
}

// DigestArgs is the periodic job that sends the digests.
type DigestArgs struct{}

// Kind names the job in the queue's table.
func (DigestArgs) Kind() string { return "message_digest" }

// RegisterJobs declares the digest on r, every DigestEvery on the maintenance queue (one
// run at a time across instances). Without a mail server (d.Send nil) there is nothing to
// declare.
func RegisterJobs(r *jobs.Registry, db *store.DB, d Digest) {
	if d.Send == nil {
		return
	}
	svc := New(db, Config{})
	jobs.Register(r, func(ctx context.Context, _ DigestArgs) error {
		_, err := svc.Digests(ctx, d)
		return err
	}, jobs.WorkerOpts{Queue: jobs.QueueMaintenance, Timeout: 10 * time.Minute})
	jobs.Periodic(r, DigestEvery, DigestArgs{}, jobs.PeriodicOpts{Opts: jobs.Opts{UniqueKey: "message_digest"}})
}
