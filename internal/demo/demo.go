// Package demo seeds a demonstration organisation: two Sydney clinics sharing one clinical
// database, a Paris clinic with its own, six practitioners with agendas, eight reasons, 300
// synthetic patients (shared mobiles and e-mails, parents and children, PMS opt-outs),
// appointments over the next 14 days, and the history of the three weeks before: past
// appointments seen, missed (no-show), excused or cancelled, each with the events that led
// there, so the agenda, the patient file and the appointment page have a past to show; and
// actioned results and recalls being followed up (see recalls), so the action checklist and
// the recalls summary have real content. Every name and number is synthetic and generated
// from fixed seeds, so two runs at the same moment produce the same clinic.
//
// Seeding is idempotent: when the demo organisation exists it is left as it is.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/contact"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/store"
)

// Slug is the demo organisation's slug.
const Slug = "demo"

// Password is every demo account's password. The demo is for trying Tidings on one's own
// machine: a known password lets a second start print the logins again.
const Password = "tidings-demo-2026"

// HL7Facility is the sending facility (MSH-4) of the demo's HL7 v2 database, Harbourside
// PMS: messages sent to the demo's MLLP listener with it are applied there.
const HL7Facility = "HARBOURSIDE"

// Login is one demo staff account.
type Login struct {
	Role  clinic.Role
	Email string
}

// Result says what the seed holds.
type Result struct {
	Org     clinic.Organisation
	Created bool // false when the demo already existed
	Logins  []Login
	// Portals are the clinics' patient portals and a demo patient's sign-in at each.
	Portals []PortalLogin
}

// PortalLogin is one clinic's patient portal and the demo patient who can sign in there
// (with Password).
type PortalLogin struct {
	Clinic string
	Path   string // /p/{slug}
	Email  string
}

// Logins lists the demo accounts, one per role.
func Logins() []Login {
	return []Login{
		{clinic.RoleAdministrator, "admin@demo.tidings.test"},
		{clinic.RoleAppointmentManager, "manager@demo.tidings.test"},
		{clinic.RolePractitioner, "doctor@demo.tidings.test"},
		{clinic.RoleReception, "reception@demo.tidings.test"},
	}
}

// Seed creates the demo organisation unless it exists.
func Seed(ctx context.Context, db *store.DB) (Result, error) {
	res := Result{Logins: Logins()}
	err := db.View(ctx, func(tx *store.Tx) (err error) {
		res.Org, err = tx.Directory().OrganisationBySlug(ctx, Slug)
		return err
	})
	if err == nil {
		return res, portals(ctx, db, &res)
	}
	if !errors.Is(err, clinic.ErrNotFound) {
		return res, err
	}
	// Hash once, outside the transaction: argon2id is deliberately slow.
	hash, err := auth.HashPassword(Password)
	if err != nil {
		return res, err
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		// The past has its own generator, so that adding history left the rest of the demo
		// (and what tests expect of it) as it was.
		s := seeder{tx: tx, rng: rand.New(rand.NewPCG(2026, 11)), past: rand.New(rand.NewPCG(2026, 12)), now: tx.Now,
			upcoming: map[clinic.PatientID][]clinic.Appointment{}}
		return s.run(ctx, &res, hash)
	})
	if errors.Is(err, clinic.ErrConflict) {
		// Another instance seeded it at the same moment.
		err = db.View(ctx, func(tx *store.Tx) (err error) {
			res.Org, err = tx.Directory().OrganisationBySlug(ctx, Slug)
			return err
		})
		return res, err
	}
	if err != nil {
		return res, fmt.Errorf("seed demo: %w", err)
	}
	res.Created = true
	return res, portals(ctx, db, &res)
}

// portals lists the demo's portals and, for each, the demo patient with an account there.
func portals(ctx context.Context, db *store.DB, res *Result) error {
	return db.View(ctx, func(tx *store.Tx) error {
		cs, err := tx.Directory().Clinics(ctx, res.Org.ID, store.Page{Limit: 100})
		if err != nil {
			return err
		}
		rs, err := tx.Portal().EmailRecords(ctx, res.Org.ID)
		if err != nil {
			return err
		}
		for _, c := range cs {
			set, ok, err := tx.Portal().PortalSettingsOf(ctx, res.Org.ID, c.ID)
			if err != nil {
				return err
			}
			if !ok || !set.Enabled {
				continue
			}
			pl := PortalLogin{Clinic: c.Name, Path: "/p/" + set.Slug}
			for _, r := range rs {
				if r.Active && r.DatabaseID == c.DatabaseID {
					pl.Email = r.Email
					break
				}
			}
			res.Portals = append(res.Portals, pl)
		}
		return nil
	})
}

type seeder struct {
	tx   *store.Tx
	rng  *rand.Rand
	past *rand.Rand // draws of the history only
	now  time.Time
	org  clinic.OrgID
	// desk is the reception account's actor label: who marks arrivals and no-shows in the
	// history.
	desk string
	// upcoming are the appointments ahead of each patient, as appointments books them:
	// the running recalls go to patients without one (a booking pauses a recall, RES-4).
	upcoming map[clinic.PatientID][]clinic.Appointment
}

type site struct {
	clinic  clinic.Clinic
	agendas []clinic.Agenda
	reasons []clinic.Reason
}

// fillDay walks one agenda's working day (08:30–12:30 and 13:30–17:00 in day's zone) in
// back-to-back appointments of random reasons, the first reason where the agenda does not
// offer the one drawn, and hands take about percent in a hundred of them. Every draw comes
// from rng, the caller's stream, so that the demo is the same each time it is made.
func (st site) fillDay(rng *rand.Rand, day time.Time, ag clinic.Agenda, percent int, take func(reason clinic.Reason, start time.Time) error) error {
	for _, block := range [][2]int{{8*60 + 30, 12*60 + 30}, {13*60 + 30, 17 * 60}} {
		for m := block[0]; m < block[1]; {
			reason := st.reasons[rng.IntN(len(st.reasons))]
			if !slices.Contains(reason.AgendaIDs, ag.ID) {
				reason = st.reasons[0]
			}
			dur := int(reason.Duration / time.Minute)
			if m+dur > block[1] {
				break
			}
			if rng.IntN(100) < percent {
				start := time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, day.Location())
				if err := take(reason, start); err != nil {
					return err
				}
			}
			m += dur
		}
	}
	return nil
}

func (s *seeder) run(ctx context.Context, res *Result, hash string) error {
	tx := s.tx
	org, err := tx.Directory().CreateOrganisation(ctx, clinic.Organisation{Slug: Slug, Name: "Harbourside Medical Group"})
	if err != nil {
		return err
	}
	res.Org, s.org = org, org.ID
	var doctor clinic.UserID // the practitioner login, linked to Dr Amelia Nguyen below
	for _, l := range res.Logins {
		u, err := tx.Staff().CreateUser(ctx, org.ID, clinic.User{Email: l.Email, Name: roleName(l.Role), Role: l.Role, PasswordHash: hash})
		if err != nil {
			return err
		}
		if l.Role == clinic.RoleReception {
			s.desk = clinic.StaffActor(u).Label
		}
		if l.Role == clinic.RolePractitioner {
			doctor = u.ID
		}
	}
	sydDB, err := tx.Directory().CreateDatabase(ctx, org.ID, clinic.Database{Name: "Harbourside PMS", Kind: clinic.KindHL7v2, Profile: clinic.ProfileMedicalDirector, RespectOptOut: true})
	if err != nil {
		return err
	}
	// The sending facility its HL7 messages carry (MSH-4): the demo's MLLP listener routes
	// messages naming it to this database.
	if err := tx.Sync().SetHL7Facility(ctx, org.ID, sydDB.ID, HL7Facility); err != nil {
		return err
	}
	parisDB, err := tx.Directory().CreateDatabase(ctx, org.ID, clinic.Database{Name: "Logiciel Marais", Kind: clinic.KindFHIR, Profile: clinic.ProfileGeneric, RespectOptOut: true})
	if err != nil {
		return err
	}
	type reasonSpec struct {
		name          string
		minutes       int
		notifications bool
		online        bool
	}
	specs := []struct {
		db         clinic.Database
		slug, name string
		zone       string
		region     string
		address    string
		phone      string // given in the answer to an SMS HELP and in every message
		doctors    [2][2]string
		reasons    []reasonSpec
	}{
		{sydDB, "surry-hills", "Harbourside Surry Hills", "Australia/Sydney", "AU", "12 Crown St, Surry Hills NSW 2010", "+61290000101",
			[2][2]string{{"Dr Amelia Nguyen", "General practitioner"}, {"Dr Oliver Smith", "General practitioner"}},
			[]reasonSpec{{"Standard consultation", 15, true, true}, {"Long consultation", 30, true, true}, {"Vaccination", 15, true, true}, {"Home visit", 60, false, false}}},
		{sydDB, "bondi", "Harbourside Bondi", "Australia/Sydney", "AU", "80 Campbell Pde, Bondi Beach NSW 2026", "+61290000202",
			[2][2]string{{"Dr Priya Patel", "General practitioner"}, {"Nurse Jack Wilson", "Practice nurse"}},
			[]reasonSpec{{"Standard consultation", 15, true, true}, {"Skin check", 30, true, true}}},
		{parisDB, "paris-marais", "Cabinet du Marais", "Europe/Paris", "FR", "14 rue des Archives, 75004 Paris", "+33140000303",
			[2][2]string{{"Dr Camille Martin", "Médecin généraliste"}, {"Dr Louis Bernard", "Médecin généraliste"}},
			[]reasonSpec{{"Consultation", 20, true, true}, {"Téléconsultation", 15, true, true}}},
	}
	var sites []site
	for _, sp := range specs {
		c, err := tx.Directory().CreateClinic(ctx, org.ID, clinic.Clinic{DatabaseID: sp.db.ID, Slug: sp.slug, Name: sp.name, Zone: sp.zone, Region: sp.region, Address: sp.address})
		if err == nil {
			err = tx.Notifications().SetClinicPhone(ctx, org.ID, c.ID, sp.phone)
		}
		if err != nil {
			return err
		}
		st := site{clinic: c}
		for _, d := range sp.doctors {
			p, err := tx.Directory().CreatePractitioner(ctx, org.ID, clinic.Practitioner{Name: d[0], Title: d[1]})
			if err != nil {
				return err
			}
			pid := p.ID
			if d[0] == roleName(clinic.RolePractitioner) && doctor != 0 {
				// The doctor's login is this practitioner's account: "My day" lists their agenda.
				if err := tx.Staff().SetUserRole(ctx, org.ID, doctor, clinic.RolePractitioner, pid); err != nil {
					return err
				}
			}
			a, err := tx.Directory().CreateAgenda(ctx, org.ID, clinic.Agenda{ClinicID: c.ID, PractitionerID: &pid, Name: d[0], Active: true})
			if err != nil {
				return err
			}
			if err := tx.Schedule().SetWorkingHours(ctx, org.ID, a.ID, weekdayHours()); err != nil {
				return err
			}
			st.agendas = append(st.agendas, a)
		}
		for _, r := range sp.reasons {
			ids := []clinic.AgendaID{st.agendas[0].ID, st.agendas[1].ID}
			x, err := tx.Directory().CreateReason(ctx, org.ID, clinic.Reason{ClinicID: c.ID, Name: r.name, Duration: time.Duration(r.minutes) * time.Minute,
				Notifications: r.notifications, OnlineBookable: r.online, AgendaIDs: ids})
			if err != nil {
				return err
			}
			st.reasons = append(st.reasons, x)
		}
		sites = append(sites, st)
	}
	syd, err := s.patients(ctx, sydDB, 200, "AU", "en", australianNames)
	if err != nil {
		return err
	}
	paris, err := s.patients(ctx, parisDB, 100, "FR", "fr", frenchNames)
	if err != nil {
		return err
	}
	// Every clinic's portal is on and takes bookings; the first patient of each database
	// (a parent who manages a child) has an account with the demo password.
	for _, st := range sites {
		if err := tx.Portal().SavePortalSettings(ctx, store.PortalSettings{ClinicID: st.clinic.ID, OrgID: org.ID, Slug: st.clinic.Slug, Enabled: true,
			OnlineBooking: true, ButtonSize: "medium", ButtonColour: "#0b5cad"}); err != nil {
			return err
		}
	}
	for _, pool := range [][]clinic.Patient{syd, paris} {
		holder := pool[0]
		a, err := tx.Portal().CreatePortalAccount(ctx, org.ID, strings.ToLower(holder.Email))
		if err != nil {
			return err
		}
		if err := tx.Portal().LinkPortalPatient(ctx, org.ID, a.ID, holder.ID); err != nil {
			return err
		}
		if err := tx.Portal().SetPortalPassword(ctx, org.ID, a.ID, hash); err != nil {
			return err
		}
	}
	for i, st := range sites {
		pool := syd
		if i == 2 {
			pool = paris
		}
		if err := s.history(ctx, st, pool); err != nil {
			return err
		}
		if err := s.appointments(ctx, st, pool); err != nil {
			return err
		}
	}
	// Last, once the appointments ahead are known: results and recalls being followed up,
	// and secure messaging.
	if err := s.recalls(ctx, sydDB, parisDB, syd, paris); err != nil {
		return err
	}
	return s.messaging(ctx, sites, doctor, syd, paris)
}

// weekdayHours is the demo agendas' week: Monday to Friday, 08:30–12:30 and 13:30–17:00.
func weekdayHours() []clinic.WorkingHours {
	var hs []clinic.WorkingHours
	for d := time.Monday; d <= time.Friday; d++ {
		hs = append(hs, clinic.WorkingHours{Weekday: d, Start: 8*60 + 30, End: 12*60 + 30}, clinic.WorkingHours{Weekday: d, Start: 13*60 + 30, End: 17 * 60})
	}
	return hs
}

func roleName(r clinic.Role) string {
	switch r {
	case clinic.RoleAdministrator:
		return "Alex Administrator"
	case clinic.RoleAppointmentManager:
		return "Morgan Manager"
	case clinic.RolePractitioner:
		return "Dr Amelia Nguyen"
	}
	return "Riley Reception"
}

type names struct{ given, family []string }

var australianNames = names{
	given: []string{"Olivia", "Jack", "Charlotte", "William", "Mia", "Noah", "Ava", "Thomas", "Isla", "James", "Grace", "Lucas",
		"Chloe", "Henry", "Zoe", "Leo", "Ruby", "Ethan", "Sienna", "Harrison", "Ella", "Cooper", "Matilda", "Lachlan"},
	family: []string{"Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen", "Johnson", "Martin", "White", "Anderson",
		"Walker", "Thompson", "Kelly", "Ryan", "Campbell", "Chen", "Singh", "Harris", "Lee"},
}

var frenchNames = names{
	given: []string{"Léa", "Gabriel", "Chloé", "Louis", "Manon", "Raphaël", "Camille", "Jules", "Inès", "Arthur", "Zoé", "Hugo",
		"Élodie", "Théo", "Anaïs", "Noé"},
	family: []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
		"Laurent", "Lefèvre", "Michel", "Garcia", "Fournier"},
}

// patients creates n synthetic patients: about one in eight shares a mobile with the
// previous patient (a family phone), one in ten shares an e-mail, one in twenty is opted
// out in the PMS, and every tenth patient gets a child sharing the parent's mobile.
func (s *seeder) patients(ctx context.Context, db clinic.Database, n int, region, lang string, nm names) ([]clinic.Patient, error) {
	var out []clinic.Patient
	for i := 0; len(out) < n; i++ {
		p := clinic.Patient{DatabaseID: db.ID, ExternalID: fmt.Sprintf("%s-%05d", region, i+1), Language: lang,
			GivenName: nm.given[s.rng.IntN(len(nm.given))], FamilyName: nm.family[s.rng.IntN(len(nm.family))]}
		p.BirthDate = s.now.AddDate(-18-s.rng.IntN(70), -s.rng.IntN(12), -s.rng.IntN(28)).Format(time.DateOnly)
		p.Mobile = s.mobile(region)
		p.Email = fmt.Sprintf("%s.%s%d@example.%s", ascii(p.GivenName), ascii(p.FamilyName), i+1, map[string]string{"AU": "com.au", "FR": "fr"}[region])
		if len(out) > 0 {
			prev := out[len(out)-1]
			if i%8 == 3 {
				p.Mobile = prev.Mobile
			}
			if i%10 == 4 {
				p.Email = prev.Email
			}
		}
		p.PMSOptOut = i%20 == 7
		// The flag as the last sync read it, for every patient of the clinical software.
		read := s.now.Add(-time.Duration(1+s.rng.IntN(72)) * time.Hour)
		p.PMSOptOutReadAt = &read
		created, err := s.tx.Patients().CreatePatient(ctx, s.org, p)
		if err != nil {
			return nil, err
		}
		out = append(out, created)
		if i%10 == 0 && len(out) < n {
			child := clinic.Patient{DatabaseID: db.ID, ExternalID: fmt.Sprintf("%s-%05dc", region, i+1), Language: lang,
				GivenName: nm.given[s.rng.IntN(len(nm.given))], FamilyName: p.FamilyName, Mobile: p.Mobile,
				BirthDate: s.now.AddDate(-2-s.rng.IntN(12), -s.rng.IntN(12), -s.rng.IntN(28)).Format(time.DateOnly)}
			kid, err := s.tx.Patients().CreatePatient(ctx, s.org, child)
			if err != nil {
				return nil, err
			}
			if err := s.tx.Patients().LinkRelatives(ctx, s.org, created.ID, kid.ID, clinic.RelParent); err != nil {
				return nil, err
			}
			out = append(out, kid)
		}
	}
	return out, nil
}

// mobile draws a valid synthetic mobile number for region.
func (s *seeder) mobile(region string) string {
	for {
		var raw string
		if region == "FR" {
			raw = fmt.Sprintf("06%08d", s.rng.IntN(100_000_000))
		} else {
			raw = fmt.Sprintf("04%08d", s.rng.IntN(100_000_000))
		}
		if m, err := contact.Mobile(raw, region); err == nil {
			return m
		}
	}
}

func ascii(s string) string {
	r := []rune{}
	for _, c := range s {
		switch c {
		case 'é', 'è', 'ê', 'É':
			c = 'e'
		case 'ï', 'î':
			c = 'i'
		case 'ë':
			c = 'e'
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c >= 'a' && c <= 'z' {
			r = append(r, c)
		}
	}
	return string(r)
}

// appointments fills about half of each agenda's weekday slots (08:30–12:30 and 13:30–17:00,
// clinic time) over the next 14 days.
func (s *seeder) appointments(ctx context.Context, st site, pool []clinic.Patient) error {
	loc, err := st.clinic.Location()
	if err != nil {
		return err
	}
	today := s.now.In(loc)
	var changes []notify.Change
	book := func(a clinic.Appointment) error {
		created, err := s.tx.Appointments().CreateAppointment(ctx, s.org, a)
		if err != nil {
			return err
		}
		if created.Status.Upcoming() && created.Start.After(s.now) {
			s.upcoming[created.PatientID] = append(s.upcoming[created.PatientID], created)
			// Synced from the clinical software: reminders, no booking confirmations.
			changes = append(changes, notify.Change{Kind: notify.Booked, Appointment: created, NoNotice: true})
		}
		return nil
	}
	for d := 0; d < 14; d++ {
		day := time.Date(today.Year(), today.Month(), today.Day()+d, 0, 0, 0, 0, loc)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		for _, ag := range st.agendas {
			err := st.fillDay(s.rng, day, ag, 50, func(reason clinic.Reason, start time.Time) error {
				status := clinic.StatusBooked
				earlier := start.Before(s.now)
				if !earlier && s.rng.IntN(4) == 0 {
					status = clinic.StatusConfirmed
				}
				booked := clinic.BookedBySync
				if reason.OnlineBookable && s.rng.IntN(3) == 0 {
					booked = clinic.BookedByPatient
				}
				a := clinic.Appointment{ClinicID: st.clinic.ID, AgendaID: ag.ID, ReasonID: reason.ID,
					PatientID: pool[s.rng.IntN(len(pool))].ID, Start: start, End: start.Add(reason.Duration), Status: status, BookedBy: booked}
				if earlier {
					// Earlier today: it has a history like the days before.
					return s.pastAppointment(ctx, a)
				}
				return book(a)
			})
			if err != nil {
				return err
			}
		}
	}
	// Three appointments just over two hours away, so that their 2 h reminders fall due in
	// the first minute of the demo and a newcomer sees them reach the outbox. They are made
	// last and synced (the clinical software may double-book), so they never take a slot the
	// day's own bookings were checked against.
	soon := s.now.Truncate(time.Minute).Add(2*time.Hour + time.Minute)
	for i := range 3 {
		start := soon.Add(time.Duration(i) * 20 * time.Second)
		reason := st.reasons[0]
		if err := book(clinic.Appointment{ClinicID: st.clinic.ID, AgendaID: st.agendas[i%len(st.agendas)].ID, ReasonID: reason.ID,
			PatientID: pool[i].ID, Start: start, End: start.Add(reason.Duration), Status: clinic.StatusBooked, BookedBy: clinic.BookedBySync}); err != nil {
			return err
		}
	}
	return notify.Plan(ctx, s.tx, s.org, changes...)
}

// HistoryWeeks is how far back the demo's past appointments go.
const HistoryWeeks = 3

// history books about two slots in five of each agenda's weekdays over the HistoryWeeks
// weeks before today (clinic time), each with its past (pastAppointment); today's slots
// before now get the same kind of past from appointments. No notification is planned for
// any of them: they are past.
func (s *seeder) history(ctx context.Context, st site, pool []clinic.Patient) error {
	loc, err := st.clinic.Location()
	if err != nil {
		return err
	}
	today := s.now.In(loc)
	for d := -7 * HistoryWeeks; d < 0; d++ {
		day := time.Date(today.Year(), today.Month(), today.Day()+d, 0, 0, 0, 0, loc)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		for _, ag := range st.agendas {
			err := st.fillDay(s.past, day, ag, 40, func(reason clinic.Reason, start time.Time) error {
				a := clinic.Appointment{ClinicID: st.clinic.ID, AgendaID: ag.ID, ReasonID: reason.ID,
					PatientID: pool[s.past.IntN(len(pool))].ID, Start: start, End: start.Add(reason.Duration),
					Status: clinic.StatusBooked, BookedBy: clinic.BookedBySync}
				if reason.OnlineBookable && s.past.IntN(3) == 0 {
					a.BookedBy = clinic.BookedByPatient
				}
				return s.pastAppointment(ctx, a)
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// pastAppointment writes an appointment that started before now and plays its life:
// booked one to three weeks ahead (by the clinical software, or online by the patient),
// sometimes moved, then cancelled, excused, missed or seen (arrived first), each step an
// appointment event by whoever takes it. Steps that would come after now (an appointment
// under way) are left to happen.
//
// Each row is written at the time it happened, by setting the transaction's clock to that
// moment (created_at, updated_at and the events' times come from it); the clock is put
// back before it returns.
func (s *seeder) pastAppointment(ctx context.Context, a clinic.Appointment) error {
	defer func() { s.tx.Now = s.now }()
	a.Status = clinic.StatusBooked
	booker := clinic.SystemActor(s.org, "sync").Label
	if a.BookedBy == clinic.BookedByPatient {
		booker = clinic.PatientActor(s.org, a.PatientID).Label
	}
	// Booked one to three weeks ahead, during the day.
	bookedAt := a.Start.AddDate(0, 0, -7-s.past.IntN(15)).Add(-time.Duration(s.past.IntN(6*60)) * time.Minute)
	// One in twelve was first booked a week later and brought forward: that later slot is
	// not taken yet when it is booked (days are filled in order), and it is freed again.
	first := a
	moved := s.past.IntN(12) == 0
	if moved {
		first.Start = a.Start.AddDate(0, 0, 7)
		first.End = first.Start.Add(a.End.Sub(a.Start))
	}
	// How it ended: 8% cancelled, 4% excused, 7% missed, the rest seen.
	final := clinic.StatusSeen
	switch n := s.past.IntN(100); {
	case n < 8:
		final = clinic.StatusCancelled
	case n < 12:
		final = clinic.StatusExcusedAbsence
	case n < 19:
		final = clinic.StatusNoShow
	}
	s.tx.Now = bookedAt
	cur, err := s.tx.Appointments().CreateAppointment(ctx, s.org, first)
	if err != nil {
		return err
	}
	if err := s.event(ctx, bookedAt, store.AppointmentEvent{AppointmentID: cur.ID, Kind: store.EventBooked, Status: cur.Status, Actor: booker}); err != nil {
		return err
	}
	if moved {
		at := bookedAt.Add(time.Duration(1+s.past.IntN(48)) * time.Hour)
		prev := cur.Start
		cur.Start, cur.End = a.Start, a.End
		if cur, err = s.update(ctx, at, cur); err != nil {
			return err
		}
		if err := s.event(ctx, at, store.AppointmentEvent{AppointmentID: cur.ID, Kind: store.EventRescheduled, Status: cur.Status,
			PreviousStart: &prev, Actor: booker}); err != nil {
			return err
		}
	}
	// The steps to the end, each at its time and by whoever takes it.
	type step struct {
		status clinic.Status
		kind   store.EventKind
		at     time.Time
		actor  string
	}
	var steps []step
	switch final {
	case clinic.StatusCancelled:
		// Two hours to three days before (always after the booking and any move).
		at := a.Start.Add(-2*time.Hour - time.Duration(s.past.IntN(72*60))*time.Minute)
		steps = []step{{clinic.StatusCancelled, store.EventCancelled, at, booker}}
	case clinic.StatusExcusedAbsence:
		// The patient called the desk that morning.
		steps = []step{{clinic.StatusExcusedAbsence, store.EventStatus, a.Start.Add(-time.Duration(30+s.past.IntN(150)) * time.Minute), s.desk}}
	case clinic.StatusNoShow:
		steps = []step{{clinic.StatusNoShow, store.EventStatus, a.Start.Add(20 * time.Minute), s.desk}}
	default:
		steps = []step{
			{clinic.StatusArrived, store.EventStatus, a.Start.Add(-time.Duration(s.past.IntN(12)) * time.Minute), s.desk},
			{clinic.StatusSeen, store.EventStatus, a.End.Add(time.Duration(s.past.IntN(10)) * time.Minute), s.desk},
		}
	}
	for _, st := range steps {
		if !st.at.Before(s.now) {
			break
		}
		cur.Status = st.status
		if cur, err = s.update(ctx, st.at, cur); err != nil {
			return err
		}
		if err := s.event(ctx, st.at, store.AppointmentEvent{AppointmentID: cur.ID, Kind: st.kind, Status: st.status, Actor: st.actor}); err != nil {
			return err
		}
	}
	return nil
}

// update writes a at time at.
func (s *seeder) update(ctx context.Context, at time.Time, a clinic.Appointment) (clinic.Appointment, error) {
	s.tx.Now = at
	return s.tx.Appointments().UpdateAppointment(ctx, s.org, a)
}

// event records e at time at.
func (s *seeder) event(ctx context.Context, at time.Time, e store.AppointmentEvent) error {
	s.tx.Now = at
	return s.tx.Appointments().RecordEvent(ctx, s.org, e)
}
