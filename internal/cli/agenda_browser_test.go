package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/demo"
	"github.com/tidings-health/tidings/internal/nodetest"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// agendaDemo is what the agenda's browser tests need of the demo: its first clinic (the
// one the dashboard opens on), that clinic's first agenda and its 15-minute reason, and a
// weekday far enough ahead that its working hours are all to come.
type agendaDemo struct {
	dsn    string
	url    string
	org    clinic.OrgID
	agenda clinic.AgendaID
	reason clinic.Reason
	loc    *time.Location
	day    time.Time // a weekday at least two days ahead, 00:00 in loc
}

func startAgendaDemo(t *testing.T) agendaDemo {
	t.Helper()
	dsn := storetest.DSN(t)
	url, _ := startDemo(t, dsn)
	d := agendaDemo{dsn: dsn, url: url}
	d.view(t, func(ctx context.Context, tx *store.Tx) error {
		org, err := tx.Directory().OrganisationBySlug(ctx, demo.Slug)
		if err != nil {
			return err
		}
		d.org = org.ID
		cs, err := tx.Directory().Clinics(ctx, org.ID, store.Page{Limit: 10})
		if err != nil || len(cs) == 0 {
			return fmt.Errorf("clinics: %d, %v", len(cs), err)
		}
		if d.loc, err = cs[0].Location(); err != nil {
			return err
		}
		as, err := tx.Directory().Agendas(ctx, org.ID, store.AgendaFilter{ClinicID: cs[0].ID}, store.Page{Limit: 10})
		if err != nil || len(as) == 0 {
			return fmt.Errorf("agendas: %d, %v", len(as), err)
		}
		d.agenda = as[0].ID
		rs, err := tx.Directory().Reasons(ctx, org.ID, store.ReasonFilter{ClinicID: cs[0].ID}, store.Page{Limit: 10})
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.Duration == 15*time.Minute && d.reason.ID == 0 {
				d.reason = r
			}
		}
		if d.reason.ID == 0 {
			return fmt.Errorf("no 15-minute reason among %d", len(rs))
		}
		return nil
	})
	now := time.Now().In(d.loc)
	d.day = time.Date(now.Year(), now.Month(), now.Day()+2, 0, 0, 0, 0, d.loc)
	for d.day.Weekday() == time.Saturday || d.day.Weekday() == time.Sunday {
		d.day = d.day.AddDate(0, 0, 1)
	}
	return d
}

func (d agendaDemo) view(t *testing.T, f func(ctx context.Context, tx *store.Tx) error) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DSN: d.dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(ctx, func(tx *store.Tx) error { return f(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

// appointmentAt returns the active appointment on agenda starting at start (RFC 3339), or
// a zero one.
func (d agendaDemo) appointmentAt(t *testing.T, agenda clinic.AgendaID, start string) clinic.Appointment {
	t.Helper()
	at, err := time.Parse(time.RFC3339, start)
	if err != nil {
		t.Fatalf("start %q: %v", start, err)
	}
	var out clinic.Appointment
	d.view(t, func(ctx context.Context, tx *store.Tx) error {
		as, err := tx.Appointments().AppointmentsByTime(ctx, d.org, store.AppointmentFilter{AgendaID: agenda, From: at, To: at.Add(time.Second)})
		for _, a := range as {
			if a.Status.Active() {
				out = a
			}
		}
		return err
	})
	return out
}

func (d agendaDemo) reload(t *testing.T, id clinic.AppointmentID) clinic.Appointment {
	t.Helper()
	var out clinic.Appointment
	d.view(t, func(ctx context.Context, tx *store.Tx) (err error) {
		out, err = tx.Appointments().Appointment(ctx, d.org, id)
		return err
	})
	return out
}

// bookFromGrid clicks the bookable start sel of the grid shown, books it for the first
// patient a search for "smith" finds (confirming when the form asks), and returns the start
// and agenda the link chose.
func bookFromGrid(t *testing.T, ctx context.Context, sel string) (start string, agenda clinic.AgendaID) {
	t.Helper()
	css := chromedp.CSS(sel)
	s, err := chromedp.Run(ctx, chromedp.AttributeValue(css, "data-start"))
	if err != nil || !s.Exists {
		t.Fatalf("no bookable start %s: %v", sel, err)
	}
	id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+strconv.Quote(sel)+`).closest(".ag-col").dataset.agendaId`))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.ParseInt(id, 10, 64)
	step, cancel := context.WithTimeout(ctx, 30*time.Second) // leaves time for a screenshot
	defer cancel()
	err = chromedp.Do(step,
		chromedp.ScrollIntoView(css),
		chromedp.Click(css),
		chromedp.WaitVisible(chromedp.CSS("#book-form")),
		chromedp.WaitVisible(chromedp.CSS(`input[name="start"][value="`+s.Value+`"]:checked`)),
		chromedp.SendKeys(chromedp.CSS("#q"), "smith"),
		chromedp.Click(chromedp.CSS("#search")),
		chromedp.WaitVisible(chromedp.CSS(`#patient-results input[name="patient_id"]`)),
		chromedp.Click(chromedp.CSS(`#patient-results input[name="patient_id"]`)),
		chromedp.Click(chromedp.CSS("#book")),
		// The booking form may ask to confirm (the patient has another appointment that
		// day): book anyway.
		chromedp.WaitVisible(chromedp.CSS("#flash, #book-anyway")),
	)
	if err == nil {
		var confirm bool
		if confirm, err = chromedp.Run(step, chromedp.Evaluate[bool](`!!document.querySelector("#book-anyway")`)); err == nil && confirm {
			err = chromedp.Do(step, chromedp.Click(chromedp.CSS("#book-anyway")), chromedp.WaitVisible(chromedp.CSS("#flash")))
		}
	}
	if err != nil {
		screenshot(t, ctx, "agenda-book-failed")
		t.Fatalf("book %s: %v", s.Value, err)
	}
	return s.Value, clinic.AgendaID(n)
}

// TestBrowserAgendaBookFromDayGrid books from a free start of the day grid (POR-4): the
// reason picker shows the reason's bookable starts in place, the "Book" link opens the
// booking form with that time chosen, and the appointment then sits in the grid at its
// time. On a phone the grid shows the one agenda chosen.
func TestBrowserAgendaBookFromDayGrid(t *testing.T) {
	ctx := browser(t)
	d := startAgendaDemo(t)
	signIn(t, ctx, d.url)
	date := d.day.Format(time.DateOnly)
	err := chromedp.Do(ctx,
		chromedp.Navigate(d.url+"agenda?date="+date),
		chromedp.WaitVisible(chromedp.CSS(`#agenda .ag-appt`)),
		// Picking a reason (SetValue fires "change": the select submits itself) shows its
		// bookable starts.
		chromedp.SetValue(chromedp.CSS("#reason_id"), strconv.FormatInt(int64(d.reason.ID), 10)),
		chromedp.WaitVisible(chromedp.CSS(`#agenda .ag-slot`)),
	)
	if err != nil {
		screenshot(t, ctx, "agenda-reason-failed")
		t.Fatalf("day grid with a reason: %v", err)
	}
	screenshot(t, ctx, "agenda-day")
	start, agenda := bookFromGrid(t, ctx, `#agenda .ag-col[data-agenda-id="`+strconv.FormatInt(int64(d.agenda), 10)+`"] a.ag-slot`)
	a := d.appointmentAt(t, agenda, start)
	if a.ID == 0 || a.ReasonID != d.reason.ID || a.Status != clinic.StatusBooked || a.BookedBy != clinic.BookedByStaff {
		t.Fatalf("no staff booking at %s on agenda %d: %+v", start, agenda, a)
	}
	// Back on the day grid, the appointment is shown at its time.
	sel := fmt.Sprintf(`#agenda details.ag-appt[data-appointment-id="%d"]`, a.ID)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		t.Fatalf("the booking is not in the grid: %v", err)
	}
	label, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel+" summary .ag-t")))
	if want := a.Start.In(d.loc).Format("15:04"); err != nil || label != want {
		t.Errorf("the booking shows %q, want %s (%v)", label, want, err)
	}

	// A phone shows one agenda at a time, chosen with agenda_id.
	var second string
	d.view(t, func(ctx context.Context, tx *store.Tx) error {
		as, err := tx.Directory().Agendas(ctx, d.org, store.AgendaFilter{}, store.Page{Limit: 10})
		for _, x := range as {
			if x.ID != d.agenda && x.Active && second == "" {
				second = strconv.FormatInt(int64(x.ID), 10)
			}
		}
		return err
	})
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(d.url+"agenda?date="+date+"&agenda_id="+second),
		chromedp.WaitVisible(chromedp.CSS(`#phone-agenda`)),
	)
	if err != nil {
		t.Fatalf("phone: %v", err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#agenda section.ag-col")].filter(c => c.offsetWidth > 0).map(c => c.dataset.agendaId)`))
	if err != nil || len(shown) != 1 || shown[0] != second {
		t.Errorf("a phone shows agendas %v, want only %s (%v)", shown, second, err)
	}
	screenshot(t, ctx, "agenda-day-phone")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserAgendaWeekBookAndDrag books from a free start of the week grid, then moves
// that appointment by dragging it with the mouse to a free time of another day: the drop
// asks to confirm, the confirmation posts the move form, and the appointment's new time is
// in the database and in the grid (POR-4).
func TestBrowserAgendaWeekBookAndDrag(t *testing.T) {
	ctx := browser(t)
	d := startAgendaDemo(t)
	signIn(t, ctx, d.url)
	agenda := strconv.FormatInt(int64(d.agenda), 10)
	week := fmt.Sprintf("agenda/week?date=%s&agenda_id=%s&reason_id=%d", d.day.Format(time.DateOnly), agenda, d.reason.ID)
	date := d.day.Format(time.DateOnly)
	err := chromedp.Do(ctx, chromedp.Navigate(d.url+week), chromedp.WaitVisible(chromedp.CSS(`#week .ag-slot`)))
	if err != nil {
		t.Fatalf("week grid: %v", err)
	}
	start, _ := bookFromGrid(t, ctx, `#week .ag-col[data-date="`+date+`"] a.ag-slot`)
	a := d.appointmentAt(t, d.agenda, start)
	if a.ID == 0 {
		t.Fatalf("no appointment at %s", start)
	}

	// The week grid again; drag the appointment to a free time of another day.
	sel := fmt.Sprintf(`details.ag-appt[data-appointment-id="%d"]`, a.ID)
	err = chromedp.Do(ctx, chromedp.Navigate(d.url+week), chromedp.WaitVisible(chromedp.CSS("#week "+sel)))
	if err != nil {
		t.Fatal(err)
	}
	// The appointment in view, and a target in view beside it: the bookable start (or free
	// 15-minute cell) of another day nearest to it.
	type box struct{ X, Y float64 }
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const appt = document.querySelector(`+strconv.Quote("#week "+sel+" summary")+`);
		appt.scrollIntoView({block: "center", inline: "center"});
		const view = document.querySelector("#week .ag-scroll").getBoundingClientRect();
		const a = appt.getBoundingClientRect();
		let best = null, dist = Infinity;
		for (const c of document.querySelectorAll("#week section.ag-col")) {
			if (c.dataset.date === `+strconv.Quote(date)+`) continue;
			for (const t of c.querySelectorAll(".ag-slot[data-start], .ag-cell.s-3[data-start]")) {
				const r = t.getBoundingClientRect();
				if (r.top < view.top + 60 || r.bottom > Math.min(view.bottom, innerHeight) || r.left < view.left || r.right > Math.min(view.right, innerWidth)) continue;
				const d = Math.abs(r.top - a.top) + Math.abs(r.left - a.left) / 10;
				if (d < dist) { dist = d; best = t; }
			}
		}
		if (!best) return "";
		const r = best.getBoundingClientRect();
		return JSON.stringify({start: best.dataset.start, from: {X: a.left + a.width / 2, Y: a.top + a.height / 2},
			to: {X: r.left + r.width / 2, Y: r.top + r.height / 2}});
	})()`))
	var pick struct {
		Start    string
		From, To box
	}
	if err == nil && s != "" {
		err = json.Unmarshal([]byte(s), &pick)
	}
	if err != nil || pick.Start == "" {
		t.Fatalf("no free time in view beside the appointment: %q %v", s, err)
	}
	target, from, to := pick.Start, pick.From, pick.To
	// The left button held down while the mouse moves, as a person drags.
	held := func(p *input.DispatchMouseEventParams) { p.Button, p.Buttons = input.MouseButtonLeft, 1 }
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MousePressed, from.X, from.Y, held, chromedp.ClickCount(1))}
	for i := 1; i <= 10; i++ {
		x, y := from.X+(to.X-from.X)*float64(i)/10, from.Y+(to.Y-from.Y)*float64(i)/10
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, x, y, held))
	}
	steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, to.X, to.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.WaitVisible(chromedp.CSS("#week-drop")))
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("drag: %v", err)
	}
	screenshot(t, ctx, "agenda-week-drop")
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#week-drop .ag-drop-text")))
	if err != nil || !strings.Contains(text, a.Start.In(d.loc).Format("15:04")) {
		t.Errorf("the confirmation says %q (%v)", text, err)
	}
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#week-drop [data-drop="confirm"]`)), chromedp.WaitVisible(chromedp.CSS("#flash")))
	if err != nil {
		t.Fatalf("confirm the move: %v", err)
	}
	moved := d.reload(t, a.ID)
	if got := moved.Start.UTC().Format(time.RFC3339); got != target || moved.AgendaID != d.agenda || moved.Version != a.Version+1 {
		t.Fatalf("after the drop: %s on agenda %d v%d, want %s on %d v%d", got, moved.AgendaID, moved.Version, target, d.agenda, a.Version+1)
	}
	// The week it returned to shows it on its new day.
	newDate := moved.Start.In(d.loc).Format(time.DateOnly)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#week .ag-col[data-date="`+newDate+`"] `+sel))); err != nil {
		t.Errorf("the week does not show the moved appointment on %s: %v", newDate, err)
	}
	screenshot(t, ctx, "agenda-week-moved")
}

// TestBrowserAgendaMoveWithKeyboard moves an appointment of the week grid without a mouse:
// Enter on the appointment opens it, its Move link leads to the move form, and a free
// time there moves it; the form returns to the week (POR-4).
func TestBrowserAgendaMoveWithKeyboard(t *testing.T) {
	ctx := browser(t)
	d := startAgendaDemo(t)
	signIn(t, ctx, d.url)
	week := fmt.Sprintf("agenda/week?date=%s&agenda_id=%d&reason_id=%d", d.day.Format(time.DateOnly), d.agenda, d.reason.ID)
	if err := chromedp.Do(ctx, chromedp.Navigate(d.url+week), chromedp.WaitVisible(chromedp.CSS(`#week .ag-slot`))); err != nil {
		t.Fatal(err)
	}
	start, _ := bookFromGrid(t, ctx, `#week .ag-col[data-date="`+d.day.Format(time.DateOnly)+`"] a.ag-slot`)
	a := d.appointmentAt(t, d.agenda, start)
	sel := fmt.Sprintf(`#week details.ag-appt[data-appointment-id="%d"]`, a.ID)
	err := chromedp.Do(ctx,
		chromedp.Navigate(d.url+week),
		chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Focus(chromedp.CSS(sel+" summary")),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(sel+` a[data-action="move"]`)),
		chromedp.Focus(chromedp.CSS(sel+` a[data-action="move"]`)),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS("#move-form")),
	)
	if err != nil {
		t.Fatalf("open the move form from the grid: %v", err)
	}
	slot, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const b = [...document.querySelectorAll('.free[data-agenda-id="`+strconv.FormatInt(int64(d.agenda), 10)+`"] button.slot')]
			.find(b => b.dataset.start !== `+strconv.Quote(start)+`);
		if (!b) return "";
		b.id = "move-here";
		return b.dataset.start;
	})()`))
	if err != nil || slot == "" {
		t.Fatalf("no free time on the move form: %v", err)
	}
	err = chromedp.Do(ctx, chromedp.Focus(chromedp.CSS("#move-here")), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS("#flash")),
		chromedp.WaitVisible(chromedp.CSS("#week")))
	if err != nil {
		t.Fatalf("move: %v", err)
	}
	if got := d.reload(t, a.ID); got.Start.UTC().Format(time.RFC3339) != slot {
		t.Errorf("moved to %s, want %s", got.Start.UTC().Format(time.RFC3339), slot)
	}
}

// TestBrowserAgendaAccessibility audits the grids in the states the page-by-page audit
// (TestBrowserAccessibility) does not reach: a reason's bookable starts shown, and an
// appointment opened, at a laptop's and a phone's size: 0 serious or critical violations.
func TestBrowserAgendaAccessibility(t *testing.T) {
	ctx := browser(t)
	dir := nodetest.Install(t, axeVersion)
	axe, err := os.ReadFile(filepath.Join(dir, "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	d := startAgendaDemo(t)
	signIn(t, ctx, d.url)
	pages := []string{
		fmt.Sprintf("agenda?date=%s&reason_id=%d", d.day.Format(time.DateOnly), d.reason.ID),
		fmt.Sprintf("agenda/week?date=%s&reason_id=%d", d.day.Format(time.DateOnly), d.reason.ID),
	}
	for _, size := range [][2]int64{{1366, 900}, {390, 844}} {
		for _, p := range pages {
			where := fmt.Sprintf("%dx%d %s", size[0], size[1], p)
			err := chromedp.Do(ctx, chromedp.EmulateViewport(size[0], size[1]), chromedp.Navigate(d.url+p),
				chromedp.WaitVisible(chromedp.CSS(".ag-appt summary")),
				chromedp.Evaluate[chromedp.Void](`document.querySelector(".ag-col:not([hidden]) .ag-appt").open = true`),
				chromedp.Evaluate[chromedp.Void](string(axe)))
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			screenshot(t, ctx, strings.NewReplacer("/", "-", "?", "-", "&", "-", "=", "-").Replace(fmt.Sprintf("a11y-%dx%d-%s", size[0], size[1], p)))
			const run = `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}, resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`
			s, err := chromedp.Run(ctx, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("%s: axe: %v", where, err)
			}
			var vs []axeViolation
			if err := json.Unmarshal([]byte(s), &vs); err != nil {
				t.Fatal(err)
			}
			for _, v := range vs {
				if v.Impact == "serious" || v.Impact == "critical" {
					var html []string
					for i, n := range v.Nodes {
						if i < 3 {
							html = append(html, n.HTML)
						}
					}
					t.Errorf("%s: %s (%s): %s (%d nodes)\n\t%s", where, v.ID, v.Impact, v.Help, len(v.Nodes), strings.Join(html, "\n\t"))
				}
			}
		}
	}
}
