package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/messaging"
	"github.com/tidings-health/tidings/internal/page"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// clinicCookie remembers the clinic a user is working in. It holds a clinic id only and is
// checked against the user's organisation on every request.
const clinicCookie = "tidings_clinic"

// frame is what every signed-in page knows: who is asking, in which organisation, and which
// clinic they are looking at.
type frame struct {
	Actor   clinic.Actor
	Org     clinic.Organisation
	User    clinic.User // zero when the actor is not a user
	Clinics []clinic.Clinic
	Clinic  clinic.Clinic // current clinic; zero ID when the organisation has none
	Loc     *time.Location
	// Locale is the language of the pages: the user's choice (users.locale, set from the
	// header's selector), else the browser's (Accept-Language), else the current clinic's
	// (i18n.ForRegion), else English (page.Negotiate).
	Locale i18n.Locale
	// WriteBacksFailed counts the organisation's appointments the clinical software refused
	// (SYN-5), for the alert on every page of staff who book; 0 for the others.
	WriteBacksFailed int
	// Unread counts the current clinic's inbound SMS no one has read (NOT-10), for the
	// badge beside the Inbox link; 0 for a user who may not read patients.
	Unread int
	// OnlineNew counts the current clinic's appointments booked online since the user last
	// opened their list (/appointments/online), within its window, for the alert on every
	// page of staff who book when the clinic's portal alerts staff (POR-1); 0 otherwise.
	OnlineNew int
	// MessagesUnread counts the patients' secure messages the user has not read in the open
	// conversations of every clinic they can switch to (a healthcare professional), or of
	// the current clinic when it lets reception triage (other staff) (MSG-5), for the badge
	// beside the Secure messages link; 0 for a user who may not read patients, or a token.
	MessagesUnread int
}

// onlineWindow is how far back the list of appointments booked online goes, and so the
// most the header's count of new ones reaches back for a user who has not looked lately.
const onlineWindow = 14 * 24 * time.Hour

// loadFrame reads the frame in its own View; handlers that read more call frameTx inside
// theirs.
func (d *Dashboard) loadFrame(r *http.Request) (frame, error) {
	var f frame
	err := d.db.View(r.Context(), func(tx *store.Tx) (err error) {
		f, err = d.frameTx(r.Context(), tx, r)
		return err
	})
	return f, err
}

// frameTx reads the actor's organisation, user and clinics. The current clinic is the one
// named by the clinic cookie when it is one of the organisation's, else the first.
func (d *Dashboard) frameTx(ctx context.Context, tx *store.Tx, r *http.Request) (frame, error) {
	f := frame{Actor: web.MustActor(ctx), Loc: time.UTC}
	f.Locale = page.Negotiate(r, "", i18n.English)
	org := f.Actor.OrgID
	var err error
	if f.Org, err = tx.Directory().Organisation(ctx, org); err != nil {
		return f, err
	}
	if f.Actor.UserID != 0 {
		// A user removed since the session began still gets the page; the header falls
		// back to the actor's label.
		if f.User, err = tx.Staff().User(ctx, org, f.Actor.UserID); err != nil && !errors.Is(err, clinic.ErrNotFound) {
			return f, err
		}
	}
	f.Locale = page.Negotiate(r, f.User.Locale, i18n.English)
	f.Clinics, err = all(func(p store.Page) ([]clinic.Clinic, error) { return tx.Directory().Clinics(ctx, org, p) },
		func(c clinic.Clinic) int64 { return int64(c.ID) })
	if err != nil {
		return f, err
	}
	if len(f.Clinics) == 0 {
		return f, nil
	}
	f.Clinic = f.Clinics[0]
	if c, err := r.Cookie(clinicCookie); err == nil {
		if id, err := strconv.ParseInt(c.Value, 10, 64); err == nil {
			for _, x := range f.Clinics {
				if int64(x.ID) == id {
					f.Clinic = x
				}
			}
		}
	}
	f.Locale = page.Negotiate(r, f.User.Locale, i18n.ForRegion(f.Clinic.Region))
	if f.Loc, err = f.Clinic.Location(); err != nil {
		return f, fmt.Errorf("clinic %d zone: %w", f.Clinic.ID, err)
	}
	// The inbox badge is on every page, so it is one COUNT in the page's own transaction
	// rather than notify.Service.Unread, which would open a second one per page. Its rule
	// (nothing for a role that may not read patients) is the same.
	if f.Actor.Can(clinic.PermReadPatients) {
		if f.Unread, err = tx.Notifications().UnreadInbox(ctx, org, f.Clinic.ID); err != nil {
			return f, fmt.Errorf("unread SMS of clinic %d: %w", f.Clinic.ID, err)
		}
	}
	// The secure messages badge, in the page's own transaction (messaging.UnreadOf, which
	// counts only the conversations the user may read): for a healthcare professional, over
	// the clinics the switcher offers; for other staff, who read conversations only to
	// triage them, the current clinic's.
	if f.Actor.Can(clinic.PermReadPatients) && f.User.ID != 0 {
		p := messaging.StaffPerson(f.User)
		cls := []clinic.ClinicID{f.Clinic.ID}
		if p.Professional {
			cls = clinicIDs(f.Clinics)
		}
		us, err := messaging.UnreadOf(ctx, tx, org, p, staffReader(f.User.ID), cls, nil)
		if err != nil {
			return f, err
		}
		for _, u := range us {
			f.MessagesUnread += u.Count
		}
	}
	if f.Actor.Can(clinic.PermWriteSchedule) {
		if f.WriteBacksFailed, err = tx.Sync().CountFailedWriteBacks(ctx, org); err != nil {
			return f, err
		}
		// The portal's staff alert: its switch (one row by key), then, only when it is on,
		// one COUNT on the partial index of online bookings.
		if f.Actor.UserID != 0 {
			set, ok, err := tx.Portal().PortalSettingsOf(ctx, org, f.Clinic.ID)
			if err != nil {
				return f, err
			}
			if ok && set.StaffAlert {
				if f.OnlineNew, err = tx.Appointments().CountOnlineSince(ctx, org, f.Clinic.ID, f.Actor.UserID, tx.Now.Add(-onlineWindow)); err != nil {
					return f, err
				}
			}
		}
	}
	return f, nil
}

// all reads every page of a list ordered by id.
func all[T any](fetch func(store.Page) ([]T, error), id func(T) int64) ([]T, error) {
	const size = 500
	var out []T
	p := store.Page{Limit: size}
	for {
		batch, err := fetch(p)
		if err != nil {
			return nil, err
		}
		out = append(out, batch...)
		if len(batch) < size {
			return out, nil
		}
		p.After = id(batch[len(batch)-1])
	}
}

// header is the layout's top bar.
type header struct {
	OrgName   string
	UserName  string
	UserEmail string
	Clinics   []clinicOption
	// Next is where the clinic switcher returns to: the current page when it was a GET.
	Next string
	// Nav is the current section: "agenda", "week", "patients", "schedules", "reasons",
	// "settings", "portal", "databases", "channels", "conflicts", "audit", "notifications", "outbox",
	// "inbox", "sending", "templates", "sms", "staff", "profile", "my-day", "online" (the
	// appointments booked online), "recalls" (the recall pages), "messages" (the secure
	// messages) or "messaging" (their settings).
	Nav          string
	CanAgenda    bool
	CanPatient   bool // the patients, and the communication log, outbox and SMS inbox
	CanAudit     bool
	CanSchedules bool // working hours, exceptions, absences
	CanReasons   bool // the list of consultation reasons
	// CanRules: the clinic's booking rules, patient portal, clinical databases,
	// notification channels, sending settings, message templates and SMS accounts
	// (administrators).
	CanRules     bool
	CanConflicts bool // the consent conflicts (appointment managers and above)
	// Unread is the badge of the Inbox link (frame.Unread).
	Unread int
	// WriteBacksFailed is the alert about appointments the clinical software refused.
	WriteBacksFailed int
	// OnlineNew is the alert about appointments booked online (frame.OnlineNew).
	OnlineNew int
	// MessagesUnread is the badge of the Secure messages link (frame.MessagesUnread).
	MessagesUnread int
	// Locale is the language the page is shown in (frame.Locale).
	Locale i18n.Locale
	// Chosen is the language the user chose ("" for the browser's), for the selector.
	Chosen string
	// CanChoose: a signed-in staff user (not a token) may choose a language.
	CanChoose bool
	// CanStaff: the staff accounts (administrators).
	CanStaff bool
	// MyDay: the user's account is linked to a practitioner, whose day "My day" shows.
	MyDay bool
	// TemporaryPassword: the user signs in with a password an administrator made; the
	// header asks them to choose their own in their profile.
	TemporaryPassword bool
}

type clinicOption struct {
	ID       clinic.ClinicID
	Name     string
	Selected bool
}

func (f frame) header(r *http.Request, nav string) *header {
	role := f.Actor.Role
	h := &header{
		OrgName:          f.Org.Name,
		UserName:         f.User.Name,
		UserEmail:        f.User.Email,
		Nav:              nav,
		CanAgenda:        role.Can(clinic.PermReadSchedule),
		CanPatient:       role.Can(clinic.PermReadPatients),
		CanAudit:         role.Can(clinic.PermReadAudit),
		CanSchedules:     role.Can(clinic.PermManageSchedule),
		CanReasons:       role.Can(clinic.PermReadDirectory),
		CanRules:         role.Can(clinic.PermManageDirectory),
		CanConflicts:     role.Can(clinic.PermPatientConsent),
		Locale:           f.Locale,
		Chosen:           f.User.Locale,
		CanChoose:        f.User.ID != 0,
		Unread:           f.Unread,
		WriteBacksFailed: f.WriteBacksFailed,
		OnlineNew:        f.OnlineNew,
		MessagesUnread:   f.MessagesUnread,
		CanStaff:         role.Can(clinic.PermManageStaff),
		MyDay:            f.User.PractitionerID != 0,
		// A user, not a token, and not on the profile where they change it.
		TemporaryPassword: f.User.TemporaryPassword && nav != "profile",
	}
	if h.UserName == "" && h.UserEmail == "" {
		h.UserName = f.Actor.Label
	}
	if r.Method == http.MethodGet {
		h.Next = withoutFlash(r.URL)
	} else if nav != "" {
		h.Next = navPath(nav)
	}
	for _, c := range f.Clinics {
		h.Clinics = append(h.Clinics, clinicOption{ID: c.ID, Name: c.Name, Selected: c.ID == f.Clinic.ID})
	}
	return h
}

// stamp shows an instant in the clinic's zone and the page's language:
// "Wed 8 Apr 2026 09:00 AEST", "mer. 8 avr. 2026 09:00 CEST".
func (f frame) stamp(t time.Time) string { return f.Locale.Stamp(t.In(f.Loc)) }

// navPath maps each section of the header to its page, where the clinic switcher returns
// after a form post.
func navPath(nav string) string {
	switch nav {
	case "week":
		return "/agenda/week"
	case "settings":
		return "/settings/booking"
	case "portal":
		return "/settings/portal"
	case "databases":
		return "/settings/databases"
	case "channels":
		return "/settings/channels"
	case "conflicts":
		return "/consent/conflicts"
	case "sending":
		return "/settings/notifications"
	case "templates":
		return "/settings/templates"
	case "sms":
		return "/settings/sms"
	case "online":
		return "/appointments/online"
	case "messaging":
		return "/settings/messaging"
	}
	return "/" + nav
}
