package dashboard

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/tidings-health/tidings/internal/account"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/decide"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
	"strings"
)

// pastShown bounds the past appointments a patient file lists, most recent first.
const pastShown = 50

// messagesShown bounds the notifications a patient file lists, newest first; the
// communication log has them all.
const messagesShown = 20

// patientFile is the data of templates/patient.html.
type patientFile struct {
	ID         clinic.PatientID
	Name       string
	GivenName  string
	FamilyName string
	BirthDate  string
	Mobile     string
	Email      string
	Language   string
	PMSOptOut  bool
	Database   string
	ExternalID string
	Relatives  []relativeRow
	Upcoming   []appointmentRow
	Past       []appointmentRow
	PastHidden int  // older past appointments not listed
	ShowClinic bool // the organisation has several clinics
	CanAudit   bool

	// The actions of the file (ADM-7). CanEdit: the user may write patients (on a synced
	// database's patient, only the language: the form says so). CanMerge: the user may merge
	// records (appointment managers and above) of this builtin database. Synced names the
	// clinical software that keeps the record, which merges its duplicates itself. BookHere:
	// the user may book and the current clinic uses the patient's database, so the booking
	// form can take the patient; BookElsewhere: it does not (another clinic's patient).
	CanEdit       bool
	CanMerge      bool
	Synced        bool
	CanBook       bool
	BookHere      bool
	BookElsewhere bool
	// MergedInto is the record this one was merged into, MergedName its name: the file says
	// so, links there, and offers no change.
	MergedInto clinic.PatientID
	MergedName string

	// Notifications is the patient switch (CON-7), the clinic's; CanConsent: the user may
	// change it and record consent changes (appointment managers and above).
	NotificationsOn bool
	CanConsent      bool
	// The clinical software's value beside the effective one: when it was read, whether the
	// database respects it (CON-1) and whether it can be read at all (CON-4).
	PMSReadAt     string
	PMSRespected  bool
	PMSUnreadable bool
	// Consent is the patient's own choice per purpose (rows) and channel (cells) as it
	// counts now (decide.Effective); History every change, newest first.
	ConsentChannels []string
	Consent         []consentRow
	History         []historyRow
	Explain         explainForm
	// Log is the decision log (CON-9): every decision to send or not send a message to
	// the patient, newest first, in plain words with its trace.
	Log []decisionRow
	// Messages are the patient's latest notifications (messagesShown), newest first, each
	// linking to its page; EmailBounce says why e-mail to the patient's address failed for
	// good, when it did (later e-mails skip it until the address changes).
	Messages    []noteRow
	EmailBounce string
	// Portal is the patient's account at the current clinic's patient portal (POR-7); nil
	// when the organisation has no clinic yet or the record was merged.
	Portal *portalState
	// Recalls are the patient's results and recalls followed up (RES-3..RES-8), newest
	// first (recall.History).
	Recalls []patientRecallRow

	database clinic.Database
	patient  clinic.Patient
}

// consentRow is one purpose of the consent table.
type consentRow struct {
	Label string
	Cells []consentCell
}

// consentCell is the consent for one channel and purpose, with the form that changes it.
type consentCell struct {
	Channel, Purpose string // values
	ChannelLabel     string
	OptIn            bool
	Rule             string // "CON-3": a choice made in Tidings; "CON-1": the clinical software; "": default
	Source, Actor    string
	Since            string
}

// historyRow is one consent change, from any source (CON-3: who, when, from where).
type historyRow struct {
	At      string
	Channel string // label
	Purpose string // label
	OptIn   bool
	Source  string // label
	Actor   string // an id label ("user:3"), never a name
}

// portalState is the patient file's "Patient portal" section (account.InviteState at the
// current clinic).
type portalState struct {
	Clinic          string
	Active, Invited bool
	// CanInvite: an invitation can go now; else Why says why not (a catalog key, the
	// predicate of "This patient {0}.").
	CanInvite bool
	Why       string
	// Shared: the address is shared (the report lists it); Managed: the patient is a
	// relative the holder of the address acts for (their file lists the link).
	Shared, Managed bool
	// On: the clinic's portal is on. Here: the clinic uses the patient's database, so it
	// can invite them. CanSend: the button is shown (CanInvite, On, Here, and the user may
	// edit patients). CanSettings: the user may open the portal settings.
	On, Here, CanSend, CanSettings bool
}

// patientRecallRow is one of a patient's recalls on their file: its title, state, why
// staff must act, when it started and how many of its messages went out.
type patientRecallRow struct {
	ID         int64
	Title      string
	Kind       string // label
	State      string
	StateLabel string
	Why        string // label; "" when nobody needs to act
	Started    string
	Sent       int
}

type relativeRow struct {
	ID           clinic.PatientID
	Name         string
	Relationship string
}

type appointmentRow struct {
	ID          clinic.AppointmentID
	Date        string
	Time        string // local start–end and zone abbreviation
	Clinic      string
	Agenda      string
	Reason      string
	Status      clinic.Status
	StatusLabel string
	BookedBy    string
}

// patientShow shows one patient's file (GET /patients/{id}): details, relatives and
// appointments, each in its clinic's zone. Another organisation's patient, or an id that is
// not a number, is "not found". Everything is read in one View, and the reads are audited
// together before the page is written: "patient.consent.read" and "patient.decisions" (the
// consent history and the decision log, the same rows their use cases write for the API),
// "patient.read", and the relatives listed as "relative.list". The patient's latest messages
// are notify.List's, and their recalls recall.History's, which audit them themselves.
func (d *Dashboard) patientShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		d.fail(w, r, clinic.ErrNotFound)
		return
	}
	var f frame
	var file patientFile
	var ds []store.Decision
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		if file, err = readPatientFile(ctx, tx, f, clinic.PatientID(id), d.now()); err != nil {
			return err
		}
		agendas, reasons, err := clinicChoices(ctx, tx, f, file.patient)
		if err != nil {
			return err
		}
		file.Explain = explainFormFor(file.ID, agendas, reasons, nil)
		records, err := tx.Consent().ConsentRecords(ctx, f.Org.ID, []clinic.PatientID{file.ID})
		if err != nil {
			return err
		}
		file.consent(f, file.patient, records)
		ds, err = tx.Consent().Decisions(ctx, f.Org.ID, file.ID, store.Page{Limit: maxLogRows})
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	file.Log = decisionRows(f, ds)
	ns, err := d.notify.List(ctx, web.MustActor(ctx), store.NotificationFilter{PatientID: file.ID, Page: store.Page{Limit: messagesShown}})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	for _, n := range ns {
		file.Messages = append(file.Messages, rowOf(f, n, ""))
	}
	if file.Portal, err = d.portalStateOf(r, f, file); err != nil {
		d.fail(w, r, err)
		return
	}
	if file.Recalls, err = d.patientRecalls(r, f, file.ID); err != nil {
		d.fail(w, r, err)
		return
	}
	relatives := make([]clinic.PatientID, len(file.Relatives))
	for i, x := range file.Relatives {
		relatives[i] = x.ID
	}
	d.send(w, r, reply{
		Page: "patient",
		View: view{Title: "Patient file", Header: f.header(r, "patients"), Data: file},
		Audit: []audit{{patient.ActionConsentRead, []clinic.PatientID{file.ID}}, {decide.ActionLogRead, []clinic.PatientID{file.ID}},
			{"patient.read", file.shown()}, {"relative.list", relatives}},
	})
}

// portalStateOf reads the patient's portal account at the current clinic through
// account.InviteStateOf and whether the clinic's portal is on (directory.PortalOf); nil
// when there is no clinic or the record was merged.
func (d *Dashboard) portalStateOf(r *http.Request, f frame, file patientFile) (*portalState, error) {
	if f.Clinic.ID == 0 || file.MergedInto != 0 {
		return nil, nil
	}
	ctx := r.Context()
	actor := web.MustActor(ctx)
	st, err := d.accounts.InviteStateOf(ctx, actor, f.Clinic.ID, file.ID)
	if err != nil {
		return nil, err
	}
	p, err := d.directory.PortalOf(ctx, actor, f.Clinic.ID)
	if err != nil {
		return nil, err
	}
	out := &portalState{Clinic: f.Clinic.Name, Active: st.Active, Invited: st.Invited, CanInvite: st.CanInvite, Why: st.Why,
		On: p.Enabled, Here: f.Clinic.DatabaseID == file.patient.DatabaseID, CanSettings: f.Actor.Can(clinic.PermManageDirectory)}
	out.Shared, out.Managed = st.Why == account.SharedEmailReason, st.Why == account.ManagedReason
	out.CanSend = out.CanInvite && out.On && out.Here && f.Actor.Can(clinic.PermWritePatients)
	return out, nil
}

// patientRecalls reads a patient's recalls through recall.History (which audits the read,
// "recall.history"), as the file lists them: each recall's state and why in the clinic's
// words, when it started in its clinic's zone, and how many of its messages went out.
func (d *Dashboard) patientRecalls(r *http.Request, f frame, id clinic.PatientID) ([]patientRecallRow, error) {
	ctx := r.Context()
	ds, err := d.recalls.History(ctx, web.MustActor(ctx), id)
	if err != nil {
		return nil, err
	}
	out := make([]patientRecallRow, 0, len(ds))
	for _, x := range ds {
		s := x.Sequence
		row := patientRecallRow{ID: s.ID, Title: s.Title, Kind: recallKindLabel(s.Kind), State: s.State, StateLabel: recallStateLabel(s.State)}
		if s.Why != "" && (s.State == store.SeqWaiting || s.State == store.SeqManual || s.State == store.SeqUnreachable) {
			row.Why = recallWhyLabel(s.Why)
		}
		if !s.StartedAt.IsZero() {
			row.Started = f.Locale.Stamp(s.StartedAt.In(f.zoneOf(s.ClinicID)))
		}
		for _, n := range x.Steps {
			if n.State == store.NoteSent || n.State == store.NoteDelivered {
				row.Sent++
			}
		}
		out = append(out, row)
	}
	return out, nil
}

// shown lists the records whose details the file shows: the patient, and the record it was
// merged into (named in the banner).
func (file patientFile) shown() []clinic.PatientID {
	if file.MergedInto != 0 {
		return []clinic.PatientID{file.ID, file.MergedInto}
	}
	return []clinic.PatientID{file.ID}
}

// consent fills the consent table and history of the file from the patient's records.
func (file *patientFile) consent(f frame, p clinic.Patient, records []store.ConsentRecord) {
	for _, ch := range consent.Channels() {
		file.ConsentChannels = append(file.ConsentChannels, channelName(ch))
	}
	rows := map[consent.Purpose]int{}
	for _, pu := range consentPurposes() {
		rows[pu] = len(file.Consent)
		file.Consent = append(file.Consent, consentRow{Label: purposeName(pu)})
	}
	for _, c := range decide.Effective(p, file.database, records) {
		cell := consentCell{Channel: string(c.Channel), Purpose: string(c.Purpose), ChannelLabel: channelName(c.Channel), OptIn: c.OptIn, Rule: c.Rule}
		if c.Rule == "CON-3" {
			cell.Source, cell.Actor, cell.Since = sourceName(c.Source), c.Actor, f.when(&c.At)
		}
		row := &file.Consent[rows[c.Purpose]]
		row.Cells = append(row.Cells, cell)
	}
	for i := len(records) - 1; i >= 0; i-- {
		r := records[i]
		ch, pu := "All channels", purposeName(consent.Purpose(r.Purpose))
		if r.Channel != patient.PMSAll {
			ch = channelName(consent.Channel(r.Channel))
		}
		file.History = append(file.History, historyRow{At: f.when(&r.At), Channel: ch, Purpose: pu, OptIn: r.OptIn,
			Source: sourceName(consent.Source(r.Source)), Actor: r.Actor})
	}
}

func readPatientFile(ctx context.Context, tx *store.Tx, f frame, id clinic.PatientID, now time.Time) (patientFile, error) {
	org := f.Org.ID
	p, err := tx.Patients().Patient(ctx, org, id)
	if err != nil {
		return patientFile{}, err
	}
	file := patientFile{
		ID: p.ID, Name: p.FullName(), GivenName: p.GivenName, FamilyName: p.FamilyName,
		BirthDate: civilDate(p.BirthDate), Mobile: localPhone(p.Mobile, f.Clinic.Region), Email: p.Email, Language: languageLabel(p.Language),
		PMSOptOut: p.PMSOptOut, ExternalID: p.ExternalID, EmailBounce: p.EmailBounce,
		ShowClinic: len(f.Clinics) > 1, CanAudit: f.Actor.Role.Can(clinic.PermReadAudit),
	}
	db, err := tx.Directory().Database(ctx, org, p.DatabaseID)
	if err != nil {
		return file, err
	}
	file.Database, file.database, file.patient = db.Name, db, p
	file.NotificationsOn, file.CanConsent = !p.NotificationsOff, f.Actor.Can(clinic.PermPatientConsent)
	file.Synced = db.Kind != clinic.KindBuiltin
	file.CanEdit = f.Actor.Can(clinic.PermWritePatients)
	file.CanMerge = file.CanEdit && f.Actor.Can(clinic.PermPatientConsent)
	file.CanBook = f.Actor.Can(clinic.PermWriteSchedule)
	file.BookHere = file.CanBook && f.Clinic.ID != 0 && f.Clinic.DatabaseID == p.DatabaseID
	file.BookElsewhere = file.CanBook && !file.BookHere
	if p.MergedInto != 0 {
		// A merged record is changed no more: every use case refuses it (patient.ErrMerged).
		file.MergedInto, file.CanEdit, file.CanMerge, file.CanBook, file.BookHere, file.BookElsewhere, file.CanConsent =
			p.MergedInto, false, false, false, false, false, false
		kept, err := tx.Patients().Patient(ctx, org, p.MergedInto)
		if err != nil {
			return file, err
		}
		file.MergedName = kept.FullName()
	}
	file.PMSReadAt = f.when(p.PMSOptOutReadAt)
	file.PMSRespected, file.PMSUnreadable = db.RespectOptOut, !db.Profile.CanReadOptOut()
	rels, err := tx.Patients().Relatives(ctx, org, p.ID)
	if err != nil {
		return file, err
	}
	for _, x := range rels {
		file.Relatives = append(file.Relatives, relativeRow{ID: x.Patient.ID, Name: x.Patient.FullName(),
			Relationship: relationshipLabel(x.Relationship)})
	}
	// A patient's appointments over the years are a few hundred at most; the store has no
	// "latest N" query, so all are read and the oldest past ones are left out below.
	appts, err := tx.Appointments().AppointmentsByTime(ctx, org, store.AppointmentFilter{PatientID: p.ID})
	if err != nil {
		return file, err
	}
	if len(appts) == 0 {
		return file, nil
	}
	names, err := directoryNames(ctx, tx, org)
	if err != nil {
		return file, err
	}
	zones := map[clinic.ClinicID]*time.Location{}
	clinicNames := map[clinic.ClinicID]string{}
	for _, c := range f.Clinics {
		clinicNames[c.ID] = c.Name
		if zones[c.ID], err = c.Location(); err != nil {
			return file, err
		}
	}
	for _, a := range appts {
		loc := zones[a.ClinicID]
		if loc == nil {
			loc = f.Loc
		}
		start := a.Start.In(loc)
		row := appointmentRow{
			ID: a.ID, Date: f.Locale.DayDate(start), Time: span(a.Start, a.End, loc) + " " + start.Format("MST"),
			Clinic: clinicNames[a.ClinicID], Agenda: names.agendas[a.AgendaID], Reason: names.reasons[a.ReasonID],
			Status: a.Status, StatusLabel: statusLabel(a.Status), BookedBy: bookedByLabel(a.BookedBy),
		}
		if a.End.After(now) {
			file.Upcoming = append(file.Upcoming, row)
		} else {
			file.Past = append(file.Past, row)
		}
	}
	slices.Reverse(file.Past)
	if len(file.Past) > pastShown {
		file.PastHidden = len(file.Past) - pastShown
		file.Past = file.Past[:pastShown]
	}
	return file, nil
}

// names of the organisation's agendas and reasons, by id.
type names struct {
	agendas map[clinic.AgendaID]string
	reasons map[clinic.ReasonID]string
}

func directoryNames(ctx context.Context, tx *store.Tx, org clinic.OrgID) (names, error) {
	n := names{agendas: map[clinic.AgendaID]string{}, reasons: map[clinic.ReasonID]string{}}
	agendas, err := all(func(p store.Page) ([]clinic.Agenda, error) {
		return tx.Directory().Agendas(ctx, org, store.AgendaFilter{}, p)
	},
		func(a clinic.Agenda) int64 { return int64(a.ID) })
	if err != nil {
		return n, err
	}
	for _, a := range agendas {
		n.agendas[a.ID] = a.Name
	}
	reasons, err := all(func(p store.Page) ([]clinic.Reason, error) {
		return tx.Directory().Reasons(ctx, org, store.ReasonFilter{}, p)
	},
		func(x clinic.Reason) int64 { return int64(x.ID) })
	if err != nil {
		return n, err
	}
	for _, x := range reasons {
		n.reasons[x.ID] = x.Name
	}
	return n, nil
}

// maxLogRows bounds the decisions the patient file shows (the newest).
const maxLogRows = 50

// decisionRow is one decision of the communication log: when, on which channel, for which
// purpose (labels), and why, in the sentence the catalog translates, with the rules checked.
type decisionRow struct {
	At, Channel, Purpose string
	Allowed              bool
	Text                 string
	Trace                []string
}

// decisionRows are stored decisions as the decision log shows them (templates/parts.html,
// "decision-log"), in the order given: the patient file's and a notification's page share it.
func decisionRows(f frame, ds []store.Decision) []decisionRow {
	out := make([]decisionRow, 0, len(ds))
	for _, x := range ds {
		out = append(out, decisionRow{At: f.stamp(x.At), Channel: channelName(consent.Channel(x.Channel)), Purpose: purposeName(consent.Purpose(x.Purpose)), Allowed: x.Allowed,
			Text: x.Text, Trace: strings.Split(x.Trace, "\n")})
	}
	return out
}
