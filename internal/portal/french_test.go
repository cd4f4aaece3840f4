package portal

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/page"
	"github.com/tidings-health/tidings/internal/waitlist"
)

// TestPagesInFrench renders every portal page in French, each branch with content, with a
// catalog that fails on a missing text (ADM-6), and checks the texts made in Go: flash
// confirmations, field names, the sign-in's answers and the waitlist's refusals.
func TestPagesInFrench(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	strict := cat.OnMissing(func(key string) { t.Errorf("no French text for %q", key) })
	static, _ := fs.Sub(files, "static")
	assets, err := page.LoadAssets(static, ".", StaticPrefix)
	if err != nil {
		t.Fatal(err)
	}
	set, err := parse(assets, strict)
	if err != nil {
		t.Fatal(err)
	}
	appt := apptView{ID: 3, For: "Léa", Day: "mardi 10 mars 2026", Time: "09:00", Practitioner: "Dr Martin", Reason: "Consultation", Status: clinic.StatusBooked}
	days := []dayChoice{{Date: "2026-03-10", Href: "?day=2026-03-10", Label: "mar. 10 mars", Slots: 3, Selected: true}, {Date: "2026-03-11", Label: "mer. 11 mars"}}
	times := []timeChoice{{Start: "2026-03-09T22:00:00Z", Label: "09:00"}}
	fields := []clinic.FieldError{{Field: "password", Reason: "does not match the password"}}
	pages := map[string][]any{
		"signin":   {signinPage{Next: "/p/x/"}, signinPage{Problem: msgBadCredentials}, signinPage{Problem: msgRateLimited}},
		"reset":    {askPage{Kind: "reset"}},
		"join":     {askPage{Kind: "join"}},
		"sent":     {askPage{Kind: "join"}},
		"password": {passwordPage{Token: "t", Email: "a@b.example", Invite: true, Fields: fields}, passwordPage{Token: "t", Email: "a@b.example"}},
		"home":     {homePage{Appointments: []apptView{appt}, CanBook: true}, homePage{NoRecord: true}, homePage{}},
		"book": {bookPage{NoRecord: true}, bookPage{Closed: true},
			bookPage{Patients: []choice{{Value: "1", Label: "Léa Dupont"}}, Reasons: []choice{{Value: "1", Label: "Consultation", Selected: true}},
				Agendas: []choice{{Value: "any", Label: "No preference"}, {Value: "2", Label: "Dr Martin"}}, Days: days, Prev: "?from=x", Next: "?from=y",
				Day: "2026-03-10", DayLabel: "mardi 10 mars", Times: times, Problem: msgTaken, Action: "/p/x/book"}},
		"appointment": {apptPage{Appt: appt, Upcoming: true, CanChange: true, Fee: "50,00 €", FeeHours: 24, LateNow: true, Problem: msgTaken},
			apptPage{Appt: appt, Upcoming: true, Why: "this appointment was booked in the clinic's own software: please call the clinic to change it"},
			apptPage{Appt: appt, Cancelled: true}},
		"reschedule":  {bookPage{Move: &appt, Days: days, Day: "2026-03-10", DayLabel: "mardi 10 mars", Times: times, Problem: msgTaken}},
		"preferences": {prefPage{Patients: []choice{{Value: "1", Label: "Léa"}}, Rows: prefRows(), Push: true, VAPID: "k", PMSOptOut: true}},
		"error":       {page.NewError(404, "This page does not exist."), page.NewError(404, "This link has expired or was already used. Ask for a new one below.")},
		"waitlist": {waitlistPage{Closed: true}, waitlistPage{Entries: []entryView{{ID: 1, For: "Léa", Reason: "Consultation", Practitioner: "Dr Martin", From: "a", To: "b", Times: "09:00–12:00"}},
			Patients: []choice{{Value: "1", Label: "Léa"}}, Reasons: []choice{{Value: "1", Label: "Consultation"}}, Days: []dayBox{{Value: 1, Label: "lundi"}},
			Problem: "this clinic does not take bookings online; please call the clinic", Fields: []clinic.FieldError{{Field: "from", Reason: "must be today or later"}}}},
		"offer": {offerPage{Token: "t", Day: "mardi 10 mars", Time: "09:00", Practitioner: "Dr Martin", Patient: "Léa", Open: true},
			offerPage{Claimed: true}, offerPage{Problem: waitlist.ErrOfferTaken.Reason}, offerPage{}},
		"recall": {recallPage{Switch: "en"}, recallPage{Problem: msgRecallFailed, Surname: "Dupont", BirthDate: "1980-12-09"},
			recallPage{Problem: msgRecallTooMany}, recallPage{Fields: []clinic.FieldError{{Field: "surname", Reason: recallSurnameReason}, {Field: "birth_date", Reason: recallDateReason}},
				SurnameError: recallSurnameReason, BirthDateError: recallDateReason},
			recallPage{Passed: true, Clinic: "Cabinet du Marais", Practitioner: "Dr Martin", Due: "2026-05-01", Open: true, BookURL: "/p/x/book"},
			recallPage{Passed: true, Clinic: "Cabinet du Marais", Open: true}, recallPage{Passed: true, Clinic: "Cabinet du Marais"}},
		"messages": {messagesPage{NoRecord: true}, messagesPage{Events: "/p/x/events?after=1"},
			messagesPage{NewMessage: true, Events: "/p/x/events?after=1", Items: []convItem{{ID: 1, Subject: "Ordonnance", With: "Cabinet du Marais", When: "mar. 10 mars 2026 09:00", Unread: 2},
				{ID: 2, Subject: "Vaccin", With: "Cabinet du Marais", For: "Léa", When: "a", Unread: 1, Closed: true}}}},
		"message_new": {newMessagePage{Closed: true}, newMessagePage{Patients: []choice{{Value: "1", Label: "Léa Dupont"}}, Subject: "s", Body: "b",
			Fields: []clinic.FieldError{{Field: "subject", Reason: "is required"}, {Field: "body", Reason: "must be at most 10000 characters"}, {Field: "for", Reason: "does not exist"}}}},
		"conversation": {conversationPage{Base: "/p/x", ID: 1, Subject: "Ordonnance", With: "Cabinet du Marais", For: "Léa", CanAnswer: true, MaxMiB: 5, Events: "/p/x/events?after=1",
			Messages: []msgView{{ID: 1, Mine: true, Body: "Bonjour", When: "a"}, {ID: 2, Mine: true, Read: true, Body: "b", When: "a", Attachment: 3, AttachmentName: "scan.pdf", AttachmentKB: 120},
				{ID: 3, Author: "Dr Martin", Body: "c", When: "a"}, {ID: 4, System: true, Body: "Handed over", When: "a"}},
			Fields: []clinic.FieldError{{Field: "attachment", Reason: "must be at most 5 MiB"}, {Field: "attachment", Reason: "must be an image (PNG, JPEG, GIF, WebP) or a PDF"},
				{Field: "attachment", Reason: "needs a file name of at most 200 characters"}, {Field: "attachment", Reason: "is empty"}, {Field: "body", Reason: "must be text"},
				{Field: "attachment", Reason: "could not be read"}}},
			conversationPage{Base: "/p/x", ID: 1, Subject: "s", With: "w", Closed: true, Problem: msgNoReply}},
	}
	for _, name := range pageNames() {
		datas, ok := pages[name]
		if !ok {
			t.Errorf("page %s has no French case", name)
			continue
		}
		for _, d := range datas {
			v := view{Title: "Your appointments", Base: "/p/x", Clinic: clinic.Clinic{ID: 1, Name: "Cabinet du Marais"}, Patient: "Léa", Flash: flashes["booked"],
				Locale: i18n.French, Path: "/p/x/", Data: d}
			if _, err := set.Execute(i18n.French, name, "layout", v); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	var texts []string
	for _, f := range flashes {
		texts = append(texts, f)
	}
	for _, f := range []string{"email", "password", "confirm", "patient_id", "reason_id", "agenda_id", "start", "day", "reason", "appointment", "portal", "from", "to",
		"days", "subscription", "offer", "from_time", "to_time", "surname", "birth_date", "for", "subject", "body", "attachment"} {
		l, ok := fieldLabel(f)
		if !ok {
			t.Errorf("field %s has no label", f)
			continue
		}
		texts = append(texts, l.Key)
	}
	for _, e := range []*clinic.ConflictError{waitlist.ErrOfferExpired, waitlist.ErrOfferTaken, waitlist.ErrOfferClosed} {
		texts = append(texts, e.Reason)
	}
	// The identity check's titles and the recall package's field reasons (RES-3).
	texts = append(texts, "Confirm who you are", "Your clinic would like to see you", "Nothing more to do", recallSurnameReason, recallDateReason)
	// Secure messaging's titles and the messaging use cases' reasons a page shows.
	texts = append(texts, "Messages", "New message", "Message", "is not a patient of this clinic")
	texts = append(texts, "Waitlist", "A time freed up", "Check your e-mail", "Link expired", "How we contact you", "Change your appointment", "Book an appointment", "Sign in")
	for _, s := range texts {
		if strings.TrimSpace(s) != "" {
			strict.T(i18n.French, s)
		}
	}
}

func prefRows() []prefRow {
	var out []prefRow
	for _, p := range prefPurposes() {
		out = append(out, prefRow{Purpose: p, Cells: []prefCell{{Name: "sms." + string(p), Channel: "sms", On: true}}})
	}
	return out
}

// The reasons recall.Service.Check gives its fields (internal/recall/identity.go).
const (
	recallSurnameReason = "is required (at most 200 characters)"
	recallDateReason    = "must be a date written YYYY-MM-DD"
)
