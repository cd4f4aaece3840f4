package dispatch

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/compose"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/decide"
	"github.com/tidings-health/tidings/internal/email"
	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/sendtime"
	"github.com/tidings-health/tidings/internal/sms"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/webpush"
)

// prepared is a batch of one organisation, decided and rendered: the transitions to record
// before anything is sent (skips, waits, sending marks), the decisions to log with them, and
// the jobs to send once the marks are committed.
type prepared struct {
	marks   []store.Transition
	decided []decide.Decided
	jobs    []*job
}

// world is what a batch's decisions and texts read, loaded in a fixed number of statements.
type world struct {
	appts    map[clinic.AppointmentID]clinic.Appointment
	clinics  map[clinic.ClinicID]clinic.Clinic
	zones    map[clinic.ClinicID]*time.Location
	settings map[clinic.ClinicID]notify.Settings
	phones   map[clinic.ClinicID]string
	texts    notify.Texts
	agendas  map[clinic.AgendaID]clinic.Agenda
	names    map[clinic.PractitionerID]string
	used     map[clinic.ClinicID]int // SMS segments sent this month
	portals  map[clinic.ClinicID]string
	// offers are the waitlist offers the batch's messages make: their time and agenda
	// (such a message is about no appointment).
	offers map[int64]clinic.Appointment
	// seqs are the recall sequences whose steps the batch sends, with their templates as
	// they are now (RES-3: the clinic's edits apply from the next step on).
	seqs      map[int64]store.Sequence
	templates map[string]store.RecallTemplate
	// unread counts the messages each patient of a message alert has not read (MSG-5: no
	// alert once they read them).
	unread map[clinic.PatientID]int
}

// message is the consent question of a notification about its appointment as it is now.
func message(n store.Notification, a clinic.Appointment) decide.Message {
	m := decide.Message{PatientID: n.PatientID, Channel: consent.Channel(n.Channel), Purpose: consent.Purpose(n.Purpose)}
	if n.Purpose == string(consent.PurposeBookingNotice) {
		m.Notice = notify.NoticeOf(n.Kind)
	}
	if a.AgendaID != 0 { // an appointment, or a waitlist offer's time (world.about)
		m.AgendaID, m.ReasonID, m.BookedBy, m.Status = a.AgendaID, a.ReasonID, a.BookedBy, a.Status
	}
	return m
}

// load reads the world of a batch.
func (d *Dispatcher) load(ctx context.Context, tx *store.Tx, org clinic.OrgID, ns []store.Notification, now time.Time) (*world, error) {
	w := &world{clinics: map[clinic.ClinicID]clinic.Clinic{}, zones: map[clinic.ClinicID]*time.Location{}, phones: map[clinic.ClinicID]string{},
		agendas: map[clinic.AgendaID]clinic.Agenda{}, names: map[clinic.PractitionerID]string{},
		used: map[clinic.ClinicID]int{}, portals: map[clinic.ClinicID]string{}, offers: map[int64]clinic.Appointment{}}
	var apptIDs []clinic.AppointmentID
	var clinicIDs []clinic.ClinicID
	sms := map[clinic.ClinicID]bool{}
	for _, n := range ns {
		if n.AppointmentID != 0 {
			apptIDs = append(apptIDs, n.AppointmentID)
		}
		if !slices.Contains(clinicIDs, n.ClinicID) {
			clinicIDs = append(clinicIDs, n.ClinicID)
		}
		if n.Channel == string(consent.ChannelSMS) {
			sms[n.ClinicID] = true
		}
	}
	var err error
	if w.appts, err = tx.Notifications().AppointmentsByIDs(ctx, org, apptIDs); err != nil {
		return nil, err
	}
	for _, n := range ns {
		if n.OfferID == 0 || w.offers[n.OfferID].ClinicID != 0 {
			continue
		}
		o, err := tx.Waitlist().WaitlistOffer(ctx, org, n.OfferID)
		if err != nil {
			return nil, err
		}
		sl, err := tx.Waitlist().WaitlistSlot(ctx, org, o.SlotID)
		if err != nil {
			return nil, err
		}
		e, err := tx.Waitlist().WaitlistEntry(ctx, org, o.EntryID)
		if err != nil {
			return nil, err
		}
		// CON-8 spares what the patient asked for themselves: an entry they made online.
		by := clinic.BookedByStaff
		if strings.HasPrefix(e.AddedBy, "patient:") || strings.HasPrefix(e.AddedBy, "portal:") {
			by = clinic.BookedByPatient
		}
		w.offers[n.OfferID] = clinic.Appointment{ClinicID: sl.ClinicID, AgendaID: sl.AgendaID, ReasonID: e.ReasonID, Start: o.Start,
			BookedBy: by, Status: clinic.StatusBooked}
	}
	var seqIDs []int64
	for _, n := range ns {
		if n.SequenceID != 0 {
			seqIDs = append(seqIDs, n.SequenceID)
		}
	}
	if len(seqIDs) > 0 {
		if w.seqs, err = tx.Recalls().SequencesByIDs(ctx, org, seqIDs); err != nil {
			return nil, err
		}
		w.templates = map[string]store.RecallTemplate{}
		for _, s := range w.seqs {
			if _, ok := w.templates[s.TemplateKey]; ok {
				continue
			}
			if t, ok, err := recall.TemplateOf(ctx, tx, org, s.TemplateKey); err != nil {
				return nil, err
			} else if ok {
				w.templates[s.TemplateKey] = t
			}
		}
	}
	var alerted []clinic.PatientID
	for _, n := range ns {
		if n.Kind == string(compose.KindMessageAlert) {
			alerted = append(alerted, n.PatientID)
		}
	}
	if len(alerted) > 0 {
		if w.unread, err = tx.Messaging().UnreadByPatients(ctx, org, alerted); err != nil {
			return nil, err
		}
	}
	if w.settings, err = notify.SettingsTx(ctx, tx, org, clinicIDs); err != nil {
		return nil, err
	}
	for _, id := range clinicIDs {
		cl, err := tx.Directory().Clinic(ctx, org, id)
		if err != nil {
			return nil, err
		}
		w.clinics[id] = cl
		if w.zones[id], err = cl.Location(); err != nil {
			return nil, fmt.Errorf("zone of clinic %d: %w", id, err)
		}
		if w.phones[id], err = tx.Notifications().ClinicPhone(ctx, org, id); err != nil {
			return nil, err
		}
		// The clinic's portal, at its own address once set up (POR-1).
		slug := cl.Slug
		if set, ok, err := tx.Portal().PortalSettingsOf(ctx, org, id); err != nil {
			return nil, err
		} else if ok {
			slug = set.Slug
		}
		w.portals[id] = strings.TrimSuffix(d.cfg.PublicURL, "/") + "/p/" + slug
		if sms[id] && w.settings[id].SMSBudget > 0 {
			lt := now.In(w.zones[id])
			month := time.Date(lt.Year(), lt.Month(), 1, 0, 0, 0, 0, w.zones[id])
			if w.used[id], err = tx.Notifications().SegmentsSent(ctx, org, id, month); err != nil {
				return nil, err
			}
		}
	}
	if w.texts, err = notify.TextsOf(ctx, tx, org, clinicIDs); err != nil {
		return nil, err
	}
	if len(apptIDs) > 0 || len(w.offers) > 0 {
		for _, id := range clinicIDs {
			as, err := tx.Directory().Agendas(ctx, org, store.AgendaFilter{ClinicID: id}, store.Page{Limit: 1000})
			if err != nil {
				return nil, err
			}
			for _, a := range as {
				w.agendas[a.ID] = a
			}
		}
		ps, err := tx.Directory().Practitioners(ctx, org, store.Page{Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			w.names[p.ID] = p.Name
		}
	}
	return w, nil
}

// prepare decides and renders one organisation's due notifications, taken in tx.
func (d *Dispatcher) prepare(ctx context.Context, tx *store.Tx, org clinic.OrgID, ns []store.Notification, now, leaseEnd time.Time) (*prepared, error) {
	p := &prepared{}
	var w *world
	var facts []consent.Facts
	var patients map[clinic.PatientID]clinic.Patient
	var subs map[clinic.PatientID][]store.PushSubscription
	var candidates []store.GroupCandidate
	var candFacts []consent.Facts
	err := d.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if w, err = d.load(ctx, tx, org, ns, now); err != nil {
			return err
		}
		msgs := make([]decide.Message, 0, len(ns))
		for _, n := range ns {
			msgs = append(msgs, message(n, w.about(n)))
		}
		if facts, patients, subs, err = decide.LoadPatients(ctx, tx, org, msgs); err != nil {
			return err
		}
		// NOT-4: the planned SMS reminders of other patients on the same mobile, agenda and
		// day, decided now too, so that one SMS can carry them.
		if candidates, err = d.candidates(ctx, tx, org, ns, w, patients); err != nil || len(candidates) == 0 {
			return err
		}
		cm := make([]decide.Message, len(candidates))
		for i, c := range candidates {
			cm[i] = message(c.Notification, c.Appointment)
		}
		var cp map[clinic.PatientID]clinic.Patient
		if candFacts, cp, _, err = decide.LoadPatients(ctx, tx, org, cm); err != nil {
			return err
		}
		for id, pt := range cp {
			patients[id] = pt
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	groups := map[string]*job{}
	taken := map[int64]bool{}
	for i, n := range ns {
		t, j := d.decideOne(n, facts[i], w, patients, subs, now, leaseEnd, p)
		if j == nil {
			p.marks = append(p.marks, t)
			continue
		}
		if key := groupKey(n, j, w); key != "" {
			if carrier, ok := groups[key]; ok {
				carrier.members = append(carrier.members, n)
				taken[n.ID] = true
				continue
			}
			groups[key] = j
		}
		p.jobs = append(p.jobs, j)
	}
	// A candidate joins a group only once it is ours: it is locked in the round's
	// transaction (skipped if another dispatcher holds it) before the carrier's text names
	// it, and marked sending with the carrier.
	var grab []int64
	var grabbed []store.GroupCandidate
	for i, c := range candidates {
		if taken[c.ID] {
			continue
		}
		dec := consent.Decide(candFacts[i])
		if !dec.Allowed {
			continue // decided at its own due time
		}
		carrier, ok := groups[groupKeyOf(c.Mobile, c.Appointment, c.Offset, w)]
		if !ok || carrier.n.ID == c.ID {
			continue
		}
		taken[c.ID] = true
		grab = append(grab, c.ID)
		grabbed = append(grabbed, c)
		p.decided = append(p.decided, decide.Decided{Message: message(c.Notification, c.Appointment), Decision: dec, NotificationID: c.ID})
	}
	if len(grab) > 0 {
		owned, err := tx.Notifications().LockPlanned(ctx, org, grab)
		if err != nil {
			return nil, err
		}
		for _, c := range grabbed {
			if !slices.Contains(owned, c.ID) {
				continue
			}
			carrier := groups[groupKeyOf(c.Mobile, c.Appointment, c.Offset, w)]
			carrier.members = append(carrier.members, c.Notification)
			w.appts[c.Appointment.ID] = c.Appointment
		}
	}
	// Render every job (a carrier with members as one grouped SMS) and mark it sending.
	for _, j := range p.jobs {
		if compose.Kind(j.n.Kind).Linked() {
			if err := d.mint(ctx, tx, j); err != nil {
				d.log.Error("make account link", "notification", j.n.ID, "err", err)
				p.marks = append(p.marks, store.Transition{ID: j.n.ID, OrgID: j.n.OrgID, Fence: j.n.Fence, From: store.NotePlanned,
					State: store.NoteFailed, Reason: "its link could not be made: no portal account, no portal, or the offer is over"})
				j.n.ID = 0
				continue
			}
		}
		if err := d.render(j, w, patients); err != nil {
			// A stored template that no longer renders (it was checked when saved): the
			// cause goes to the log, staff see why the message failed.
			d.log.Error("render notification", "notification", j.n.ID, "err", err)
			p.marks = append(p.marks, store.Transition{ID: j.n.ID, OrgID: j.n.OrgID, Fence: j.n.Fence, From: store.NotePlanned,
				State: store.NoteFailed, Reason: "the template could not be rendered"})
			j.n.ID = 0
			continue
		}
		// Budget: the carrier pays for the group (NOT-8's sibling: a monthly SMS budget).
		if j.n.Channel == string(consent.ChannelSMS) {
			set := w.settings[j.n.ClinicID]
			segs := max(j.segments, 1)
			if set.SMSBudget > 0 && w.used[j.n.ClinicID]+segs > set.SMSBudget {
				p.marks = append(p.marks, store.Transition{ID: j.n.ID, OrgID: j.n.OrgID, Fence: j.n.Fence, From: store.NotePlanned,
					State: store.NoteSkipped, Reason: "the clinic's monthly SMS budget is used up"})
				for _, m := range j.members {
					p.marks = append(p.marks, store.Transition{ID: m.ID, OrgID: m.OrgID, Fence: m.Fence, From: store.NotePlanned,
						State: store.NoteSkipped, Reason: "the clinic's monthly SMS budget is used up"})
				}
				j.n.ID = 0
				continue
			}
			w.used[j.n.ClinicID] += segs
		}
		body := j.out.Text
		if j.link != "" {
			body = d.redact(body) // the log never holds a live link
		}
		p.marks = append(p.marks, store.Transition{ID: j.n.ID, OrgID: j.n.OrgID, Fence: j.n.Fence, From: store.NotePlanned, State: store.NoteSending,
			Lease: leaseEnd, Destination: j.out.To, Subject: j.out.Subject, Body: body, Segments: j.segments, AsksReply: j.asksReply, Bump: true})
		j.n.Fence++ // the fence the outcome must match
		for i, m := range j.members {
			p.marks = append(p.marks, store.Transition{ID: m.ID, OrgID: m.OrgID, Fence: m.Fence, From: store.NotePlanned, State: store.NoteSending,
				Lease: leaseEnd, Destination: j.out.To, Body: j.out.Text, GroupID: j.n.ID, AsksReply: j.asksReply,
				Reason: fmt.Sprintf("carried by notification %d (NOT-4)", j.n.ID), Bump: true})
			j.members[i].Fence++
		}
	}
	p.jobs = slices.DeleteFunc(p.jobs, func(j *job) bool { return j.n.ID == 0 })
	return p, nil
}

// decideOne applies the send-time rules to one notification: deadline, the appointment's
// state and the clinic's settings, consent, quiet hours. It returns the transition of a
// notification not sent now (j nil), or the job to send.
func (d *Dispatcher) decideOne(n store.Notification, f consent.Facts, w *world, patients map[clinic.PatientID]clinic.Patient,
	subs map[clinic.PatientID][]store.PushSubscription, now, leaseEnd time.Time, p *prepared) (store.Transition, *job) {
	t := store.Transition{ID: n.ID, OrgID: n.OrgID, Fence: n.Fence, From: store.NotePlanned}
	if !n.Deadline.IsZero() && !now.Before(n.Deadline) {
		t.State, t.Reason = store.NoteFailed, "too late: its deadline passed before it could be sent"
		if n.AppointmentID != 0 {
			t.Reason = "too late: the appointment had started before it could be sent"
		}
		return t, nil
	}
	a, hasAppt := w.appts[n.AppointmentID]
	if n.AppointmentID != 0 && !hasAppt {
		t.State, t.Reason = store.NoteSkipped, "the appointment no longer exists"
		return t, nil
	}
	if n.SequenceID != 0 {
		// A step of a recall stopped since it was planned (booked, done, manual) is not
		// sent; the stop withdrew it unless a dispatcher held it at that moment.
		seq, ok := w.seqs[n.SequenceID]
		if !ok || seq.State != store.SeqActive {
			t.State, t.Reason = store.NoteSkipped, "the recall is no longer running (booked, done, or raised for staff)"
			return t, nil
		}
		if _, ok := recall.StepText(w.templates[seq.TemplateKey], n.Step, n.Channel, "en"); !ok {
			t.State, t.Reason = store.NoteSkipped, "the template no longer has this step on this channel (edited since it was planned)"
			return t, nil
		}
	}
	if n.Kind == string(compose.KindMessageAlert) && w.unread[n.PatientID] == 0 {
		t.State, t.Reason = store.NoteSkipped, "the patient read the message before the alert was due"
		return t, nil
	}
	set := w.settings[n.ClinicID]
	if n.Kind == notify.KindReminder && a.Status == clinic.StatusConfirmed && !set.RemindConfirmed {
		t.State, t.Reason = store.NoteSkipped, "the patient confirmed, and this clinic sends no further reminders once confirmed"
		return t, nil
	}
	ch := consent.Channel(n.Channel)
	j := &job{n: n, out: Outgoing{ID: n.ID, OrgID: n.OrgID, ClinicID: n.ClinicID, Channel: ch},
		fallback: ch == consent.ChannelSMS && n.AppointmentID != 0 && !set.Sends(consent.ChannelEmail)}
	if n.Purpose == string(consent.PurposeReply) {
		// An answer to the patient's own SMS: planned with its number and text.
		j.out.To, j.out.Text = n.Destination, n.Body
		return t, j
	}
	dec := consent.Decide(f)
	p.decided = append(p.decided, decide.Decided{Message: message(n, w.about(n)), Decision: dec, NotificationID: n.ID})
	if !dec.Allowed {
		t.State, t.Reason = store.NoteSkipped, dec.Text(now)
		return t, nil
	}
	if ch == consent.ChannelSMS {
		zone := w.zones[n.ClinicID]
		if !set.Window.Open(now, zone) {
			next := sendtime.NextAllowed(now, zone, set.Window)
			if !n.Deadline.IsZero() && !next.Before(n.Deadline) {
				t.State, t.Reason = store.NoteSkipped, "quiet hours: the clinic's SMS window opens only after the appointment"
				return t, nil
			}
			t.State, t.Event, t.Due = store.NotePlanned, store.NoteRetry, next
			t.Reason = "quiet hours: waiting for the clinic's SMS window (" + set.Window.String() + ")"
			return t, nil
		}
	}
	pt := patients[n.PatientID]
	switch ch {
	case consent.ChannelSMS:
		j.out.To = pt.Mobile
	case consent.ChannelEmail:
		j.out.To, j.out.ToName = pt.Email, pt.FullName()
	case consent.ChannelPush:
		ss := subs[n.PatientID]
		s := ss[len(ss)-1] // the newest; consent said there is one
		j.out.To = s.Endpoint
		j.out.Push = webpush.Subscription{Endpoint: s.Endpoint, P256dh: s.P256dh, Auth: s.Auth}
	}
	return t, j
}

// groupKey is the NOT-4 key of an SMS reminder (mobile, agenda, local day, offset), empty
// for anything else.
func groupKey(n store.Notification, j *job, w *world) string {
	if n.Kind != notify.KindReminder || n.Channel != string(consent.ChannelSMS) {
		return ""
	}
	return groupKeyOf(j.out.To, w.appts[n.AppointmentID], n.Offset, w)
}

func groupKeyOf(mobile string, a clinic.Appointment, offset string, w *world) string {
	zone := w.zones[a.ClinicID]
	if zone == nil {
		return ""
	}
	return fmt.Sprintf("%s/%d/%s/%s", mobile, a.AgendaID, a.Start.In(zone).Format(time.DateOnly), offset)
}

// candidates finds, for the batch's SMS reminders, the planned SMS reminders of other
// patients with the same mobile, on the same agendas, the same days (one statement).
func (d *Dispatcher) candidates(ctx context.Context, tx *store.Tx, org clinic.OrgID, ns []store.Notification, w *world,
	patients map[clinic.PatientID]clinic.Patient) ([]store.GroupCandidate, error) {
	var mobiles []string
	var agendas []clinic.AgendaID
	var from, to time.Time
	for _, n := range ns {
		if n.Kind != notify.KindReminder || n.Channel != string(consent.ChannelSMS) {
			continue
		}
		a, ok := w.appts[n.AppointmentID]
		m := patients[n.PatientID].Mobile
		if !ok || m == "" {
			continue
		}
		mobiles = append(mobiles, m)
		agendas = append(agendas, a.AgendaID)
		lo, hi := a.Start.Add(-24*time.Hour), a.Start.Add(24*time.Hour)
		if from.IsZero() || lo.Before(from) {
			from = lo
		}
		if hi.After(to) {
			to = hi
		}
	}
	if len(mobiles) == 0 {
		return nil, nil
	}
	return tx.Notifications().GroupCandidates(ctx, org, mobiles, agendas, from, to)
}

// render writes the message of a job in the patient's language with the clinic's template
// (or the shipped default).
func (d *Dispatcher) render(j *job, w *world, patients map[clinic.PatientID]clinic.Patient) error {
	n := j.n
	if n.Purpose == string(consent.PurposeReply) {
		j.segments = sms.Length(j.out.Text).Segments
		return nil
	}
	cl := w.clinics[n.ClinicID]
	pt := patients[n.PatientID]
	lang := i18n.ForRegion(cl.Region)
	if l, ok := i18n.Parse(pt.Language); ok {
		lang = l
	}
	a := w.about(n) // a waitlist offer names its time and practitioner
	set := w.settings[n.ClinicID]
	kind := compose.Kind(n.Kind)
	vars := compose.Vars{FirstName: pt.GivenName, Clinic: cl.Name, ClinicPhone: w.phones[n.ClinicID], Practitioner: w.practitioner(a.AgendaID),
		PortalLink: cmp.Or(j.link, w.portals[n.ClinicID]), Start: a.Start, Zone: w.zones[n.ClinicID], ClaimWord: j.word}
	if n.Channel == string(consent.ChannelSMS) && n.Kind == notify.KindReminder && set.AskReply {
		vars.AsksReply, j.asksReply = true, true
	}
	if len(j.members) > 0 {
		kind = compose.KindReminderGroup
		group := []compose.Appointment{{FirstName: pt.GivenName, Start: a.Start, Practitioner: vars.Practitioner}}
		for _, m := range j.members {
			ma := w.appts[m.AppointmentID]
			group = append(group, compose.Appointment{FirstName: patients[m.PatientID].GivenName, Start: ma.Start, Practitioner: w.practitioner(ma.AgendaID)})
		}
		vars.Group = group
	}
	tpl, ok := w.texts.Template(n.ClinicID, kind, compose.Channel(n.Channel), lang.String())
	if kind.Step() {
		// A recall step's text is its template's step, as the clinic last saved it.
		tpl, ok = recall.StepText(w.templates[w.seqs[n.SequenceID].TemplateKey], n.Step, n.Channel, lang.String())
	}
	if !ok {
		return fmt.Errorf("no template for %s by %s", kind, n.Channel)
	}
	r, err := compose.Render(tpl, vars)
	if err != nil {
		return err
	}
	j.out.Subject, j.out.Text, j.out.HTML, j.segments = r.Subject, r.Text, r.HTML, r.Segments
	if n.Channel == string(consent.ChannelEmail) && a.ID != 0 && n.Kind != notify.KindReminder {
		method := "REQUEST"
		if n.Kind == notify.KindCancellation {
			method = "CANCEL"
		}
		j.out.Calendar = &email.Event{UID: fmt.Sprintf("appointment-%d@%s", a.ID, d.cfg.EmailDomain), Sequence: int(a.Version), Method: method,
			Start: a.Start, End: a.End, Summary: cl.Name + " — " + vars.Practitioner, Location: cl.Address, Stamp: d.now()}
	}
	return nil
}

// mint makes the single-use link of an account e-mail, in the round's transaction.
func (d *Dispatcher) mint(ctx context.Context, tx *store.Tx, j *job) error {
	if d.links == nil {
		return fmt.Errorf("no maker of account links")
	}
	m, err := d.links.Mint(ctx, tx, j.n)
	if err != nil {
		return err
	}
	j.link, j.word = m.Link, m.Word
	return nil
}

// about is what notification n is about: its appointment, or a waitlist offer's time,
// agenda and reason (an offer is no appointment: its ID stays 0).
func (w *world) about(n store.Notification) clinic.Appointment {
	if o, ok := w.offers[n.OfferID]; ok && n.OfferID != 0 {
		return o
	}
	return w.appts[n.AppointmentID]
}

// practitioner is the name patients know an agenda by: its practitioner's, else its own.
func (w *world) practitioner(id clinic.AgendaID) string {
	ag := w.agendas[id]
	if ag.PractitionerID != nil {
		if name, ok := w.names[*ag.PractitionerID]; ok {
			return name
		}
	}
	return ag.Name
}
