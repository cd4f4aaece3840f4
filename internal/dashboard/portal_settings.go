package dashboard

import (
	"net/http"
	"strconv"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/web"
)

// portalPage is the data of templates/portal.html: a clinic's patient portal (POR-1), its
// late-cancellation fee (POR-3), its Book button (POR-5) and the bulk invitation (POR-7).
type portalPage struct {
	NoClinic bool
	ClinicID clinic.ClinicID
	Clinic   string
	// The settings form, as saved or as typed; WaitlistWave and WaitlistHold are the
	// waitlist's (POR-9): how many waiting patients each freed time is offered to at once,
	// and the minutes each wave has to take it.
	Enabled, OnlineBooking, StaffAlert bool
	Slug, LateFee, LateFeeHours        string
	WaitlistWave, WaitlistHold         string
	// Path is the portal's address on the public URL as saved, /p/{slug}; On: the portal
	// is on as saved.
	Path string
	On   bool
	// FeeCancelsOut is POR-3's warning (as saved), with the two durations it compares.
	FeeCancelsOut         bool
	FeeHours, CancelHours int
	// The Book button: the size and colour shown (saved, or chosen for a preview), the
	// sizes offered and the button they make. Previewed: the values are not saved yet.
	ButtonSize, ButtonColour string
	Sizes                    []sizeChoice
	Button                   bookButton
	Previewed                bool
	// Invites is N of "Send (N) invites", computed now; Sent is how many the last send
	// sent (ShowSent: there was one).
	Invites  int
	Sent     int
	ShowSent bool
	Fields   []clinic.FieldError
}

// sizeChoice is one size of the Book button's menu.
type sizeChoice struct {
	Value, Label string
	Selected     bool
}

// portalTyped is the portal forms as typed; a nil part keeps the saved values.
type portalTyped struct {
	Settings *portalSettingsTyped
	Button   *portalButtonTyped
}

type portalSettingsTyped struct {
	Enabled, OnlineBooking, StaffAlert bool
	Slug, LateFee, LateFeeHours        string
	WaitlistWave, WaitlistHold         *string // nil: not sent, the saved values stand
}

type portalButtonTyped struct{ Size, Colour string }

// formatAmount writes cents as the form shows an amount: "50", "49.50".
func formatAmount(cents int64) string {
	if cents%100 == 0 {
		return strconv.FormatInt(cents/100, 10)
	}
	return strconv.FormatInt(cents/100, 10) + "." + strconv.FormatInt(100+cents%100, 10)[1:]
}

// portalForm is the page of portal p, the forms holding what typed says (else the saved
// values), the Book button's link made on base (publicBase), and n invitations to send.
func portalForm(p directory.Portal, typed portalTyped, base string, n int) portalPage {
	s := p.PortalSettings
	page := portalPage{ClinicID: p.Clinic.ID, Clinic: p.Clinic.Name, Path: "/p/" + s.Slug, On: s.Enabled,
		FeeCancelsOut: p.FeeCancelsOut, FeeHours: int(s.LateFeeWindow / time.Hour), CancelHours: int(p.Clinic.Rules.CancelNotice / time.Hour),
		Enabled: s.Enabled, OnlineBooking: s.OnlineBooking, StaffAlert: s.StaffAlert, Slug: s.Slug,
		LateFee: formatAmount(s.LateFeeCents), LateFeeHours: strconv.Itoa(int(s.LateFeeWindow / time.Hour)),
		WaitlistWave: strconv.Itoa(s.WaitlistWave), WaitlistHold: strconv.Itoa(s.WaitlistHoldMinutes),
		ButtonSize: s.ButtonSize, ButtonColour: s.ButtonColour, Invites: n}
	if t := typed.Settings; t != nil {
		page.Enabled, page.OnlineBooking, page.StaffAlert = t.Enabled, t.OnlineBooking, t.StaffAlert
		page.Slug, page.LateFee, page.LateFeeHours = t.Slug, t.LateFee, t.LateFeeHours
		if t.WaitlistWave != nil {
			page.WaitlistWave = *t.WaitlistWave
		}
		if t.WaitlistHold != nil {
			page.WaitlistHold = *t.WaitlistHold
		}
	}
	// The button shown is the one chosen when it can be made, else the saved one.
	page.Button, _ = newBookButton(base, s.Slug, s.ButtonSize, s.ButtonColour)
	if t := typed.Button; t != nil {
		page.ButtonSize, page.ButtonColour = t.Size, t.Colour
		if b, err := newBookButton(base, s.Slug, t.Size, t.Colour); err == nil {
			page.Button, page.Previewed = b, t.Size != s.ButtonSize || t.Colour != s.ButtonColour
		}
	}
	for _, sz := range []struct{ v, label string }{{directory.ButtonSmall, "Small"}, {directory.ButtonMedium, "Medium"}, {directory.ButtonLarge, "Large"}} {
		page.Sizes = append(page.Sizes, sizeChoice{Value: sz.v, Label: sz.label, Selected: sz.v == page.ButtonSize})
	}
	return page
}

// loadPortal reads clinic id's portal page (the current clinic when id is 0) through
// directory.PortalOf and account.InviteCount, with the forms holding typed.
func (d *Dashboard) loadPortal(r *http.Request, f frame, id clinic.ClinicID, typed portalTyped) (portalPage, error) {
	if id == 0 {
		id = f.Clinic.ID
	}
	if id == 0 {
		return portalPage{NoClinic: true}, nil
	}
	ctx := r.Context()
	actor := web.MustActor(ctx)
	p, err := d.directory.PortalOf(ctx, actor, id)
	if err != nil {
		return portalPage{}, err
	}
	n, err := d.accounts.InviteCount(ctx, actor, id)
	if err != nil {
		return portalPage{}, err
	}
	return portalForm(p, typed, publicBase(r), n), nil
}

// portalEdit shows a clinic's patient portal settings (GET /settings/portal, optional
// clinic_id, default the current clinic; after "Send (N) invites", sent: how many were
// sent): portal on or off and its address (POR-1), online booking and the staff alert,
// the late-cancellation fee (POR-3, with its warning), the waitlist's waves (POR-9), the
// Book button and its code (POR-5), and "Send (N) invites" (POR-7).
func (d *Dashboard) portalEdit(w http.ResponseWriter, r *http.Request) {
	id, err := queryID(r, "clinic_id")
	var f frame
	if err == nil {
		f, err = d.loadFrame(r)
	}
	var page portalPage
	if err == nil {
		page, err = d.loadPortal(r, f, clinic.ClinicID(id), portalTyped{})
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	// The count goes with the confirmation only, so that the page shown again (after a
	// clinic or language switch, which drops done) does not repeat it.
	q := r.URL.Query()
	if done := q.Get("done"); done == "invites-sent" || done == "invites-none" {
		if n, err := strconv.Atoi(q.Get("sent")); err == nil && n >= 0 {
			page.Sent, page.ShowSent = n, true
		}
	}
	d.send(w, r, reply{Page: "portal", View: view{Title: "Patient portal", Header: f.header(r, "portal"), Data: page}})
}
