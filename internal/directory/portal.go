package directory

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// Portal is a clinic's patient portal as its settings page shows it: the settings (or the
// defaults of a portal never set up) and what follows from them with the booking rules.
type Portal struct {
	store.PortalSettings
	Clinic clinic.Clinic
	// FeeCancelsOut is POR-3's warning: a late-cancellation fee window no longer than the
	// minimum notice to cancel online means patients can never cancel online inside the
	// window, so the fee is never assessed automatically.
	FeeCancelsOut bool
}

// The button sizes of the embeddable Book button (POR-5).
const (
	ButtonSmall  = "small"
	ButtonMedium = "medium"
	ButtonLarge  = "large"
)

// The limits of the portal settings.
const (
	MaxLateFeeHours = 720
	MaxLateFee      = 100000 // in the currency's main unit
)

var (
	slugPattern   = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$`)
	colourPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
)

// portalOf is clinic c's portal, the defaults when it has none: off, with the clinic's slug
// as its address (or the organisation's slug before it, when another organisation's
// portal has that address).
func portalOf(ctx context.Context, tx *store.Tx, c clinic.Clinic) (Portal, error) {
	s, ok, err := tx.Portal().PortalSettingsOf(ctx, c.OrgID, c.ID)
	if err != nil {
		return Portal{}, err
	}
	if !ok {
		s = store.PortalSettings{ClinicID: c.ID, OrgID: c.OrgID, Slug: c.Slug, ButtonSize: ButtonMedium, ButtonColour: "#0b5cad",
			WaitlistWave: 3, WaitlistHoldMinutes: 30}
		if taken, err := tx.Portal().PortalSlugTaken(ctx, s.Slug, c.ID); err != nil {
			return Portal{}, err
		} else if taken {
			org, err := tx.Directory().Organisation(ctx, c.OrgID)
			if err != nil {
				return Portal{}, err
			}
			s.Slug = org.Slug + "-" + c.Slug
		}
	}
	return Portal{PortalSettings: s, Clinic: c, FeeCancelsOut: FeeCancelsOut(c.Rules, s)}, nil
}

// FeeCancelsOut reports POR-3's case: a late-cancellation fee whose window is no longer
// than the minimum notice to cancel online.
func FeeCancelsOut(r clinic.BookingRules, s store.PortalSettings) bool {
	return s.LateFeeWindow > 0 && r.AllowOnlineChanges && r.CancelNotice >= s.LateFeeWindow
}

// PortalOf reads clinic id's portal settings (the defaults when never saved). Any staff
// member may read them (the dashboard links to the portal).
//
// Errors: clinic.ErrNotFound.
func (s *Service) PortalOf(ctx context.Context, actor clinic.Actor, id clinic.ClinicID) (Portal, error) {
	var p Portal
	err := s.db.View(ctx, func(tx *store.Tx) error {
		c, err := tx.Directory().Clinic(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		p, err = portalOf(ctx, tx, c)
		return err
	})
	return p, err
}

// PortalInput changes a clinic's portal settings; nil fields keep their value. The amounts
// are text as typed ("50", "49.50").
type PortalInput struct {
	Enabled       *bool   `json:"enabled"`
	OnlineBooking *bool   `json:"online_booking"`
	Slug          *string `json:"slug"`
	LateFee       *string `json:"late_fee"`
	LateFeeHours  *string `json:"late_fee_hours"`
	StaffAlert    *bool   `json:"staff_alert"`
	ButtonSize    *string `json:"button_size"`
	ButtonColour  *string `json:"button_colour"`
	// WaitlistWave (1–50 patients per wave) and WaitlistHold (5–1440 minutes), as typed.
	WaitlistWave *string `json:"waitlist_wave"`
	WaitlistHold *string `json:"waitlist_hold_minutes"`
}

// portalAudit is what the audit log keeps of a portal's settings.
type portalAudit struct {
	Enabled       bool   `json:"enabled"`
	OnlineBooking bool   `json:"online_booking"`
	Slug          string `json:"slug"`
	LateFeeCents  int64  `json:"late_fee_cents"`
	LateFeeHours  int64  `json:"late_fee_hours"`
	StaffAlert    bool   `json:"staff_alert"`
	ButtonSize    string `json:"button_size"`
	ButtonColour  string `json:"button_colour"`
	WaitlistWave  int    `json:"waitlist_wave"`
	WaitlistHold  int    `json:"waitlist_hold_minutes"`
}

func portalAuditOf(s store.PortalSettings) portalAudit {
	return portalAudit{Enabled: s.Enabled, OnlineBooking: s.OnlineBooking, Slug: s.Slug, LateFeeCents: s.LateFeeCents,
		LateFeeHours: int64(s.LateFeeWindow / time.Hour), StaffAlert: s.StaffAlert, ButtonSize: s.ButtonSize, ButtonColour: s.ButtonColour,
		WaitlistWave: s.WaitlistWave, WaitlistHold: s.WaitlistHoldMinutes}
}

// SetPortal saves clinic id's portal settings (POR-1, POR-3, POR-5), administrators only,
// audited as "portal.settings" with what changed.
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound; *clinic.ValidationError naming the field
// (an address taken by another portal among them).
func (s *Service) SetPortal(ctx context.Context, actor clinic.Actor, id clinic.ClinicID, in PortalInput) (Portal, error) {
	if !actor.Can(clinic.PermManageDirectory) {
		return Portal{}, fmt.Errorf("%s needs %s to set up the portal: %w", actor.Label, clinic.PermManageDirectory, clinic.ErrForbidden)
	}
	var out Portal
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Directory().Clinic(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		cur, err := portalOf(ctx, tx, c)
		if err != nil {
			return err
		}
		next := cur.PortalSettings
		var v clinic.ValidationError
		if in.Enabled != nil {
			next.Enabled = *in.Enabled
		}
		if in.OnlineBooking != nil {
			next.OnlineBooking = *in.OnlineBooking
		}
		if in.StaffAlert != nil {
			next.StaffAlert = *in.StaffAlert
		}
		if in.Slug != nil {
			slug := strings.ToLower(strings.TrimSpace(*in.Slug))
			switch taken, err := tx.Portal().PortalSlugTaken(ctx, slug, c.ID); {
			case err != nil:
				return err
			case !slugPattern.MatchString(slug):
				v.Add("slug", "must be 1 to 60 lower-case letters, digits and dashes, not starting or ending with a dash")
			case taken:
				v.Add("slug", "is the address of another clinic's portal: choose another")
			default:
				next.Slug = slug
			}
		}
		if in.LateFee != nil {
			if cents, ok := parseAmount(*in.LateFee); ok {
				next.LateFeeCents = cents
			} else {
				v.Add("late_fee", "must be an amount from 0 to 100000, with at most two decimals")
			}
		}
		if in.LateFeeHours != nil {
			h, err := strconv.Atoi(strings.TrimSpace(*in.LateFeeHours))
			if err != nil || h < 0 || h > MaxLateFeeHours {
				v.Add("late_fee_hours", "must be a whole number of hours from 0 to 720")
			} else {
				next.LateFeeWindow = time.Duration(h) * time.Hour
			}
		}
		if next.LateFeeCents > 0 && next.LateFeeWindow == 0 && !clinic.HasField(v.Fields, "late_fee_hours") && !clinic.HasField(v.Fields, "late_fee") {
			v.Add("late_fee_hours", "is required with a fee: how many hours before the appointment a cancellation is late")
		}
		if in.ButtonSize != nil {
			switch *in.ButtonSize {
			case ButtonSmall, ButtonMedium, ButtonLarge:
				next.ButtonSize = *in.ButtonSize
			default:
				v.Add("button_size", "must be small, medium or large")
			}
		}
		if in.ButtonColour != nil {
			if colourPattern.MatchString(strings.TrimSpace(*in.ButtonColour)) {
				next.ButtonColour = strings.ToLower(strings.TrimSpace(*in.ButtonColour))
			} else {
				v.Add("button_colour", "must be a colour such as #0b5cad")
			}
		}
		if in.WaitlistWave != nil {
			if n, err := strconv.Atoi(strings.TrimSpace(*in.WaitlistWave)); err != nil || n < 1 || n > 50 {
				v.Add("waitlist_wave", "must be a whole number of patients from 1 to 50")
			} else {
				next.WaitlistWave = n
			}
		}
		if in.WaitlistHold != nil {
			if n, err := strconv.Atoi(strings.TrimSpace(*in.WaitlistHold)); err != nil || n < 5 || n > 1440 {
				v.Add("waitlist_hold_minutes", "must be a whole number of minutes from 5 to 1440")
			} else {
				next.WaitlistHoldMinutes = n
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := tx.Portal().SavePortalSettings(ctx, next); err != nil {
			return err
		}
		if err := audit.Change(ctx, tx, actor, "portal.settings", c.Name, portalAuditOf(cur.PortalSettings), portalAuditOf(next)); err != nil {
			return err
		}
		out = Portal{PortalSettings: next, Clinic: c, FeeCancelsOut: FeeCancelsOut(c.Rules, next)}
		return nil
	})
	return out, err
}

// parseAmount reads an amount of money as typed ("50", "49.5", "49,50") into cents.
func parseAmount(s string) (int64, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", ".")
	if s == "" {
		return 0, true
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" && frac == "" {
		return 0, false
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > MaxLateFee {
		return 0, false
	}
	return int64(math.Round(f * 100)), true
}
