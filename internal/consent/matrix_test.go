package consent

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// The decision matrix: the engine's outcome for every purpose (columns) under each
// combination of the facts that matter (rows), so that a change of behaviour shows as a diff
// of testdata/matrix.golden in review. It is the engine's own output: the proof is the
// hand-written tables of decide_test.go. Regenerate with
// go test ./internal/consent -run TestMatrixGolden -update.

type column struct {
	head    string
	purpose Purpose
	notice  Notice
}

var columns = []column{
	{"reminder", PurposeReminder, ""},
	{"confirm", PurposeBookingNotice, NoticeConfirmation},
	{"resched", PurposeBookingNotice, NoticeReschedule},
	{"cancel", PurposeBookingNotice, NoticeCancellation},
	{"recall", PurposeRecall, ""},
	{"result", PurposeResult, ""},
	{"alert", PurposeMessageAlert, ""},
	{"waitlist", PurposeWaitlistOffer, ""},
	{"invite", PurposeInvite, ""},
	{"account", PurposeAccount, ""},
	{"reply", PurposeReply, ""},
}

var short = map[Outcome]string{
	OutcomeAllowed:            "ok",
	OutcomeInvalidFacts:       "invalid",
	OutcomeNotUpcoming:        "past",
	OutcomeNotCancelled:       "uncanc",
	OutcomeSwitchedOffReason:  "reason",
	OutcomeSwitchedOffAgenda:  "agenda",
	OutcomeSwitchedOffPatient: "patient",
	OutcomeOptedOutTidings:    "tidings",
	OutcomeOptedOutPMS:        "pms",
	OutcomeNoDestination:      "no_dest",
}

// row is one combination of facts; a column adds the purpose.
type row struct {
	ch                      Channel
	status                  clinic.Status // "": booked, and cancelled for the cancellation notice
	by                      clinic.BookedBy
	agenda, reason, patient bool
	tidings                 string // see tidingsStates
	pms                     string // see pmsStates
	dest                    Destination
}

var tidingsStates = []string{"none", "out", "in", "stop", "stop>in", "in>stop"}
var pmsStates = []string{"no", "out", "out/setting_off", "out/unreadable"}

func baseRow(ch Channel) row {
	return row{ch: ch, by: clinic.BookedByStaff, agenda: true, reason: true, patient: true, tidings: "none", pms: "no", dest: Valid}
}

func (r row) label() string {
	st := string(r.status)
	if st == "" {
		st = "booked*"
	}
	sw := []byte("ARP")
	for i, on := range []bool{r.agenda, r.reason, r.patient} {
		if !on {
			sw[i] = '-'
		}
	}
	return fmt.Sprintf("%-5s %-16s %-15s %-3s %-7s %-15s %-7s", r.ch, st, r.by, sw, r.tidings, r.pms, r.dest)
}

func (r row) facts(c column) Facts {
	f := Facts{
		Purpose: c.purpose, Channel: r.ch, Notice: c.notice,
		Mobile: Valid, Email: Valid, Push: Valid,
		PMS:      PMS{Respect: true, Profile: clinic.ProfileMedicalDirector, ReadAt: now.Add(-48 * time.Hour)},
		Switches: Switches{Agenda: r.agenda, Reason: r.reason, Patient: r.patient},
		BookedBy: r.by, Status: r.status,
	}
	switch r.ch {
	case ChannelSMS:
		f.Mobile = r.dest
	case ChannelEmail:
		f.Email = r.dest
	case ChannelPush:
		f.Push = r.dest
	}
	if f.Status == "" {
		f.Status = clinic.StatusBooked
		if c.notice == NoticeCancellation {
			f.Status = clinic.StatusCancelled
		}
	}
	this := func(in bool, ago time.Duration) Record {
		return Record{Channel: r.ch, Purpose: c.purpose, OptIn: in, Source: SourcePortal, Actor: "patient:1", At: now.Add(-ago)}
	}
	all := func(in bool, ago time.Duration) Record {
		return Record{Channel: r.ch, Purpose: PurposeAll, OptIn: in, Source: SourceSMS, Actor: "system:sms", At: now.Add(-ago)}
	}
	switch r.tidings {
	case "out":
		f.Consents = []Record{this(false, time.Hour)}
	case "in":
		f.Consents = []Record{this(true, time.Hour)}
	case "stop":
		f.Consents = []Record{all(false, time.Hour)}
	case "stop>in":
		f.Consents = []Record{all(false, 2*time.Hour), this(true, time.Hour)}
	case "in>stop":
		f.Consents = []Record{this(true, 2*time.Hour), all(false, time.Hour)}
	}
	switch r.pms {
	case "out":
		f.PMS.OptedOut = true
	case "out/setting_off":
		f.PMS.OptedOut, f.PMS.Respect = true, false
	case "out/unreadable":
		f.PMS.OptedOut, f.PMS.Profile = true, clinic.ProfileBestPractice
	}
	return f
}

type section struct {
	title string
	rows  []row
}

func matrix() []section {
	var consent, switches, status, dest, order []row
	for _, ch := range Channels() {
		for _, t := range tidingsStates {
			for _, p := range pmsStates {
				r := baseRow(ch)
				r.tidings, r.pms = t, p
				consent = append(consent, r)
			}
		}
		for _, by := range []clinic.BookedBy{clinic.BookedByStaff, clinic.BookedBySync, clinic.BookedByPatient} {
			for _, sw := range [][3]bool{{true, true, true}, {false, true, true}, {true, false, true}, {true, true, false}, {false, true, false}, {false, false, false}} {
				r := baseRow(ch)
				r.by, r.agenda, r.reason, r.patient = by, sw[0], sw[1], sw[2]
				switches = append(switches, r)
			}
		}
		for _, d := range []Destination{Missing, Invalid} {
			r := baseRow(ch)
			r.dest = d
			dest = append(dest, r)
		}
	}
	for _, st := range clinic.Statuses() {
		r := baseRow(ChannelSMS)
		r.status = st
		status = append(status, r)
	}
	// Several blockers at once: the outcome is the first in rule order.
	for mask := range 32 {
		r := baseRow(ChannelSMS)
		if mask&1 != 0 {
			r.status = clinic.StatusSeen
		}
		if mask&2 != 0 {
			r.reason = false
		}
		if mask&4 != 0 {
			r.agenda = false
		}
		if mask&8 != 0 {
			r.tidings = "stop"
		}
		if mask&16 != 0 {
			r.pms = "out"
		}
		r.dest = Missing // always: no_dest shows only where nothing else blocks
		order = append(order, r)
	}
	return []section{
		{"CON-1 CON-3 CON-4 NOT-10: Tidings consent x PMS flag", consent},
		{"CON-5 CON-6 CON-7 CON-8: switches x who booked", switches},
		{"NOT-3: status at decision time (cancel: the row's status too)", status},
		{"NOT-5: destinations", dest},
		{"Precedence: several blockers, the first rule in order gives the outcome", order},
	}
}

type namedFacts struct {
	name  string
	facts Facts
}

// matrixFacts lists the facts of every cell, for tests that want many realistic Facts.
func matrixFacts() []namedFacts {
	var out []namedFacts
	for _, s := range matrix() {
		for _, r := range s.rows {
			for _, c := range columns {
				out = append(out, namedFacts{r.label() + " " + c.head, r.facts(c)})
			}
		}
	}
	return out
}

func renderMatrix() []byte {
	var b bytes.Buffer
	b.WriteString(`# Decision matrix of internal/consent: one line per combination of facts, one column per
# purpose. Generated by TestMatrixGolden (go test ./internal/consent -update); the proof of
# each rule is the hand-written tables of decide_test.go.
#
# Facts: channel, status (booked*: booked, and cancelled for the cancel column), who booked,
# switches (A agenda, R reason, P patient; - off), Tidings consent records for the column's
# purpose and the row's channel (out/in: an opt-out/opt-in for that purpose; stop: an
# opt-out of all purposes of the channel; a>b: a, then b newer), the PMS flag (out: opted
# out, respected, readable; setting_off: CON-1 setting off; unreadable: Best Practice,
# CON-4), the destination of the channel. Baseline elsewhere: PMS read 2 days ago, Medical
# Director profile.
# Columns: reminder; booking notices confirm/resched/cancel; recall; result; alert = message
# alert; waitlist = waitlist offer; invite; account; reply = reply to the patient's SMS.
# Outcomes: ok allowed, invalid invalid_facts, past not_upcoming, uncanc not_cancelled,
# reason/agenda/patient switched_off_*, tidings opted_out_tidings, pms opted_out_pms,
# no_dest skipped_no_destination.
`)
	head := fmt.Sprintf("%-5s %-16s %-15s %-3s %-7s %-15s %-7s", "ch", "status", "booked_by", "sw", "tidings", "pms", "dest")
	for _, c := range columns {
		head += fmt.Sprintf(" %-8s", c.head)
	}
	for _, s := range matrix() {
		fmt.Fprintf(&b, "\n## %s\n%s\n", s.title, strings.TrimRight(head, " "))
		for _, r := range s.rows {
			line := r.label()
			for _, c := range columns {
				line += fmt.Sprintf(" %-8s", short[Decide(r.facts(c)).Outcome])
			}
			b.WriteString(strings.TrimRight(line, " "))
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

func TestMatrixGolden(t *testing.T) {
	got := renderMatrix()
	path := filepath.Join("testdata", "matrix.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/consent -run TestMatrixGolden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the decision matrix changed (-golden +now); if intended, run with -update:\n%s", cmp.Diff(string(want), string(got)))
	}
}
