package account

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/contact"
	"github.com/tidings-health/tidings/internal/store"
)

// Duplicates lists the addresses shared by people of whom none holds the address for the
// others (POR-6), filtered by a part of the address or of a name (case-insensitive).
// Staff who read patient files may read it.
//
// Errors: clinic.ErrForbidden.
func (s *Service) Duplicates(ctx context.Context, actor clinic.Actor, filter string) ([]Group, error) {
	if !actor.Can(clinic.PermReadPatients) {
		return nil, fmt.Errorf("%s needs %s for the duplicate e-mail report: %w", actor.Label, clinic.PermReadPatients, clinic.ErrForbidden)
	}
	var rs []store.EmailRecord
	if err := s.db.View(ctx, func(tx *store.Tx) (err error) { rs, err = tx.Portal().EmailRecords(ctx, actor.OrgID); return err }); err != nil {
		return nil, err
	}
	filter = strings.ToLower(strings.TrimSpace(filter))
	var out []Group
	for _, g := range Classify(rs) {
		if !g.Duplicate() || filter != "" && !g.matches(filter) {
			continue
		}
		out = append(out, g)
	}
	return out, nil
}

func (g Group) matches(filter string) bool {
	if strings.Contains(g.Email, filter) {
		return true
	}
	for _, p := range g.People {
		if strings.Contains(strings.ToLower(p.Name()), filter) {
			return true
		}
	}
	return false
}

// invitee is one invitation to send: the holder's record at the clinic and their others.
type invitee struct {
	email  string
	record clinic.PatientID
	all    []clinic.PatientID
}

// invitees lists who "Send (N) invites" would invite at clinic c (POR-7): the holder of
// each valid, non-duplicate address who has a record in the clinic's database, no active
// account and no invitation waiting to be sent.
func invitees(ctx context.Context, tx *store.Tx, c clinic.Clinic) ([]invitee, error) {
	rs, err := tx.Portal().EmailRecords(ctx, c.OrgID)
	if err != nil {
		return nil, err
	}
	ids, err := tx.Portal().PendingInvites(ctx, c.OrgID)
	if err != nil {
		return nil, err
	}
	pending := make(map[clinic.PatientID]bool, len(ids))
	for _, id := range ids {
		pending[id] = true
	}
	var out []invitee
	for _, g := range Classify(rs) {
		if !g.Valid || g.Duplicate() {
			continue
		}
		if _, active := g.AccountID(); active {
			continue
		}
		holder := g.People[g.Holder]
		r, ok := holder.In(c.DatabaseID)
		if !ok || pending[r.PatientID] {
			continue
		}
		inv := invitee{email: g.Email, record: r.PatientID}
		for _, x := range holder.Records {
			inv.all = append(inv.all, x.PatientID)
		}
		out = append(out, inv)
	}
	return out, nil
}

// InviteCount is N of the "Send (N) invites" button of clinic id, computed now.
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound.
func (s *Service) InviteCount(ctx context.Context, actor clinic.Actor, id clinic.ClinicID) (int, error) {
	if !actor.Can(clinic.PermManageDirectory) {
		return 0, fmt.Errorf("%s needs %s to invite patients: %w", actor.Label, clinic.PermManageDirectory, clinic.ErrForbidden)
	}
	var n int
	err := s.db.View(ctx, func(tx *store.Tx) error {
		c, err := tx.Directory().Clinic(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		is, err := invitees(ctx, tx, c)
		n = len(is)
		return err
	})
	return n, err
}

// portalOn checks that clinic c's portal is on: an invitation links to it.
func portalOn(ctx context.Context, tx *store.Tx, c clinic.Clinic) error {
	set, ok, err := tx.Portal().PortalSettingsOf(ctx, c.OrgID, c.ID)
	if err != nil {
		return err
	}
	if !ok || !set.Enabled {
		return &clinic.ConflictError{Field: "portal", Reason: "the clinic's patient portal is off: switch it on before inviting patients"}
	}
	return nil
}

// InviteAll sends an invitation to every patient "Send (N) invites" counts at clinic id,
// administrators only, through the notification engine; it returns how many. Each
// invitee's account is created (without a password) and linked to their records, and one
// audit row ("portal.invite") names them all.
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound; a *clinic.ConflictError when the portal
// is off.
func (s *Service) InviteAll(ctx context.Context, actor clinic.Actor, id clinic.ClinicID) (int, error) {
	if !actor.Can(clinic.PermManageDirectory) {
		return 0, fmt.Errorf("%s needs %s to invite patients: %w", actor.Label, clinic.PermManageDirectory, clinic.ErrForbidden)
	}
	var n int
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Directory().Clinic(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		if err := portalOn(ctx, tx, c); err != nil {
			return err
		}
		is, err := invitees(ctx, tx, c)
		if err != nil {
			return err
		}
		ids := make([]clinic.PatientID, 0, len(is))
		for _, inv := range is {
			if err := s.invite(ctx, tx, c, inv); err != nil {
				return err
			}
			ids = append(ids, inv.record)
		}
		n = len(is)
		return audit.Record(ctx, tx, actor, "portal.invite", ids...)
	})
	return n, err
}

// invite creates or finds inv's account, links their records and plans the e-mail.
func (s *Service) invite(ctx context.Context, tx *store.Tx, c clinic.Clinic, inv invitee) error {
	a, err := tx.Portal().PortalAccountByEmail(ctx, c.OrgID, inv.email)
	if errors.Is(err, clinic.ErrNotFound) {
		a, err = tx.Portal().CreatePortalAccount(ctx, c.OrgID, inv.email)
	}
	if err != nil {
		return err
	}
	for _, p := range inv.all {
		if err := tx.Portal().LinkPortalPatient(ctx, c.OrgID, a.ID, p); err != nil {
			return err
		}
	}
	_, err = tx.Notifications().PlanNotifications(ctx, c.OrgID, []store.Notification{{ClinicID: c.ID, PatientID: inv.record,
		Kind: "invite", Purpose: string(consent.PurposeInvite), Channel: string(consent.ChannelEmail), Due: tx.Now, Deadline: tx.Now.Add(InviteTTL)}})
	if err != nil {
		return err
	}
	tx.OnCommit(s.cfg.Wake)
	return nil
}

// Why a single invitation cannot go (the patient file shows it by the button).
const (
	NoEmailReason     = "has no valid e-mail address: add one in the patient file first"
	SharedEmailReason = "shares this e-mail address with another patient: see the duplicate e-mail report"
	ManagedReason     = "is a relative managed by the holder of this e-mail address: invite the holder, who acts for them"
	ActiveReason      = "has a portal account already"
)

// InviteState is a patient file's portal section: whether the patient has an account, and
// whether an invitation can be sent now (else why not).
type InviteState struct {
	Active    bool
	Invited   bool // an account exists without a password yet (invited, not accepted)
	CanInvite bool
	Why       string // why not, when !CanInvite
}

// inviteeOf finds patient p's invitation at clinic c, or why there is none.
func inviteeOf(ctx context.Context, tx *store.Tx, c clinic.Clinic, p clinic.Patient) (invitee, InviteState, error) {
	var st InviteState
	if _, ok := NormalEmail(p.Email); !ok || p.Email == "" {
		st.Why = NoEmailReason
		return invitee{}, st, nil
	}
	rs, err := tx.Portal().EmailRecords(ctx, c.OrgID)
	if err != nil {
		return invitee{}, st, err
	}
	for _, g := range Classify(rs) {
		for i, person := range g.People {
			if !slices.ContainsFunc(person.Records, func(r store.EmailRecord) bool { return r.PatientID == p.ID }) {
				continue
			}
			acct, active := g.AccountID()
			st.Active, st.Invited = active, acct != 0 && !active
			switch {
			case g.Duplicate():
				st.Why = SharedEmailReason
			case i != g.Holder:
				st.Why = ManagedReason
			case active:
				st.Why = ActiveReason
			default:
				st.CanInvite = true
				inv := invitee{email: g.Email, record: p.ID}
				for _, x := range person.Records {
					inv.all = append(inv.all, x.PatientID)
				}
				return inv, st, nil
			}
			return invitee{}, st, nil
		}
	}
	st.Why = NoEmailReason
	return invitee{}, st, nil
}

// InviteStateOf says whether patient id has a portal account and can be invited to clinic
// cl's portal now.
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound.
func (s *Service) InviteStateOf(ctx context.Context, actor clinic.Actor, cl clinic.ClinicID, id clinic.PatientID) (InviteState, error) {
	if !actor.Can(clinic.PermReadPatients) {
		return InviteState{}, fmt.Errorf("%s needs %s: %w", actor.Label, clinic.PermReadPatients, clinic.ErrForbidden)
	}
	var st InviteState
	err := s.db.View(ctx, func(tx *store.Tx) error {
		c, err := tx.Directory().Clinic(ctx, actor.OrgID, cl)
		if err != nil {
			return err
		}
		p, err := tx.Patients().Patient(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		_, st, err = inviteeOf(ctx, tx, c, p)
		return err
	})
	return st, err
}

// Invite sends patient id an invitation to clinic cl's portal (POR-7, from the patient
// file), staff who edit patients only; audited as "portal.invite".
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound; *clinic.ValidationError on "email" when
// the patient cannot be invited (no address, a shared one, a managed relative, an active
// account); a *clinic.ConflictError when the portal is off.
func (s *Service) Invite(ctx context.Context, actor clinic.Actor, cl clinic.ClinicID, id clinic.PatientID) error {
	if !actor.Can(clinic.PermWritePatients) {
		return fmt.Errorf("%s needs %s to invite a patient: %w", actor.Label, clinic.PermWritePatients, clinic.ErrForbidden)
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Directory().Clinic(ctx, actor.OrgID, cl)
		if err != nil {
			return err
		}
		p, err := tx.Patients().Patient(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		if p.DatabaseID != c.DatabaseID {
			return fmt.Errorf("patient %d is not in clinic %d's database: %w", id, cl, clinic.ErrNotFound)
		}
		if err := portalOn(ctx, tx, c); err != nil {
			return err
		}
		inv, st, err := inviteeOf(ctx, tx, c, p)
		if err != nil {
			return err
		}
		if !st.CanInvite {
			return clinic.Invalid("email", st.Why)
		}
		if err := s.invite(ctx, tx, c, inv); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "portal.invite", p.ID)
	})
}

// RequestInvite is the portal's "I have no account yet": when email is the address of a
// holder who has a record at site's clinic, it sends an invitation (or, with an account
// active already, a password-reset link); otherwise nothing. Both paths read the same
// rows and write one audit row ("portal.invite_request"), so the answer, the same either
// way, tells nothing of which addresses the clinic knows.
//
// Errors: only internal ones.
func (s *Service) RequestInvite(ctx context.Context, site Site, email, ip string) error {
	if !s.asksByIP.Allow("ip:" + ip) {
		s.cfg.Logger.WarnContext(ctx, "portal request refused: rate limited", "client", ip)
		return nil // the same answer; nothing done
	}
	norm, valid := NormalEmail(email)
	asTyped, _ := contact.Email(email)
	allowed := s.asks.Allow(fmt.Sprintf("%d:%s", site.Clinic.OrgID, norm))
	return s.db.Update(ctx, func(tx *store.Tx) error {
		org := site.Clinic.OrgID
		var ids []clinic.PatientID
		rs, err := tx.Patients().PatientsByEmail(ctx, org, site.Clinic.DatabaseID, norm, asTyped)
		if err != nil {
			return err
		}
		if valid && allowed && len(rs) > 0 {
			// The address's holder: the record that can be invited or has the account (a
			// child managed by a parent sharing the address is not).
			var inv invitee
			var st InviteState
			for _, r := range rs {
				if inv, st, err = inviteeOf(ctx, tx, site.Clinic, r); err != nil {
					return err
				}
				if st.CanInvite || st.Active && st.Why == ActiveReason {
					rs[0] = r
					break
				}
			}
			switch {
			case st.CanInvite:
				if err := s.invite(ctx, tx, site.Clinic, inv); err != nil {
					return err
				}
				ids = append(ids, inv.record)
			case st.Active && st.Why == ActiveReason:
				if err := s.planEmail(ctx, tx, site, rs[0].ID, "password_reset", consent.PurposeAccount); err != nil {
					return err
				}
				ids = append(ids, rs[0].ID)
			}
		}
		return audit.Record(ctx, tx, systemActor(org), "portal.invite_request", ids...)
	})
}
