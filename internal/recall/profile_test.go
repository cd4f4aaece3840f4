package recall_test

import (
	"fmt"
	"testing"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
)

// intakeRow is one result as a software's HL7 feed sends it and what Tidings makes of it.
type intakeRow struct {
	category, action string
	comments         string // NTE after ZRA
	// outcome is the stored result's ("": not stored at all), template its key.
	outcome, template string
	// state and why are its day's sequence's ("": none).
	state, why string
}

func (r intakeRow) String() string {
	return fmt.Sprintf("%q/%q/comments=%v", r.category, r.action, r.comments != "")
}

var (
	notTaken = func(category, action string) intakeRow { return intakeRow{category: category, action: action} }
	held     = func(category string) intakeRow { return intakeRow{category: category, outcome: "held"} }
	started  = func(category, action, key string) intakeRow {
		return intakeRow{category: category, action: action, outcome: "template", template: key, state: store.SeqActive}
	}
	manual = func(category, action string) intakeRow {
		return intakeRow{category: category, action: action, outcome: "manual", state: store.SeqManual, why: store.WhyManualAction}
	}
	commented = func(category, action string) intakeRow {
		return intakeRow{category: category, action: action, comments: "Please discuss the trend.", outcome: "manual", state: store.SeqManual, why: store.WhyComments}
	}
)

// TestIntakePerProfile (RES-1, RES-2, RES-7): for each software's default profile, which
// results are taken (filed in its categories and actioned), held (filed, not actioned yet)
// or left out, and what the doctor's action starts: the template its rule names, or the
// checklist, why manual_action (urgent return, nurse to advise, an action no rule names) or
// comments (a template action with the doctor's comments). Each row is its own patient's
// result, sent through the sync service as an ORU^R01.
func TestIntakePerProfile(t *testing.T) {
	bp, md := clinic.ProfileBestPractice, clinic.ProfileMedicalDirector
	nonUrgent, discuss := recall.KeyNonUrgentAppointment, recall.KeyDiscuss
	generic := []intakeRow{
		started("Pathology", "Non-urgent appointment", nonUrgent),
		started("", "Discuss", discuss),
		started("Imaging", " non-urgent  APPOINTMENT ", nonUrgent),
		commented("Pathology", "Discuss"),
		commented("Pathology", "Return urgently"),
		manual("Pathology", "Urgent appointment"),
		manual("Pathology", "Return urgently"),
		manual("Pathology", "Nurse to advise"),
		manual("Pathology", "Phone patient"),
		held("Pathology"),
	}
	cases := map[clinic.SoftwareProfile][]intakeRow{
		bp: {
			started("Investigation report", "Non-urgent appointment", nonUrgent),
			started("correspondence IN", "Non-urgent appointment", nonUrgent),
			commented("Investigation report", "Non-urgent appointment"),
			manual("Investigation report", "Urgent appointment"),
			manual("Correspondence in", "Return urgently"),
			manual("Investigation report", "Nurse to advise"),
			manual("Investigation report", "Discuss"), // not one of Best Practice's actions
			manual("Investigation report", "Recall in 3 months"),
			held("Investigation report"),
			notTaken("Clinical photograph", "Non-urgent appointment"),
			notTaken("", "Non-urgent appointment"),
		},
		md: {
			started("Result", "Discuss", discuss),
			commented("Result", "Discuss"),
			manual("Result", "Return urgently"),
			manual("Result", "Nurse to advise"),
			manual("Result", "Non-urgent appointment"), // not one of Medical Director's
			held("Result"),
			notTaken("Pathology", "Discuss"),
			notTaken("Letter", "Return urgently"),
		},
		clinic.ProfileGeneric:  generic,
		clinic.ProfileZedmed:   generic,
		clinic.ProfileOptomate: generic,
	}
	w := newWorld(t)
	outer := w.t
	defer func() { w.t = outer }()
	for prof, rows := range cases {
		// The default profile's rules are what this table spells out.
		if p := integration.DefaultProfile(prof); p.Software != prof {
			t.Fatalf("no default profile for %s", prof)
		}
		fac := "FAC-" + string(prof)
		w.t = outer
		d, _ := w.database(prof, fac)
		for i, row := range rows {
			t.Run(string(prof)+"/"+row.String(), func(t *testing.T) {
				w.t = t
				ext := fmt.Sprintf("%s-%d", prof, i)
				p := w.patient(d.ID, ext, nil)
				r := result{id: "R-" + ext, test: "Test " + ext, performed: local(9, 9, 0), action: row.action, category: row.category, comments: row.comments}
				if row.comments != "" {
					r.flag = "Y"
				}
				w.send(w.oru(fac, ext, r))
				got, found := w.stored(d.ID, r.id)
				switch {
				case row.outcome == "" && found:
					t.Errorf("result stored as %q, want left out", got.Outcome)
				case row.outcome != "" && !found:
					t.Errorf("result not stored, want %s", row.outcome)
				case found && (got.Outcome != row.outcome || got.Template != row.template):
					t.Errorf("result %s:%s, want %s:%s", got.Outcome, got.Template, row.outcome, row.template)
				}
				ss := w.sequences(p.ID)
				if row.state == "" {
					if len(ss) != 0 {
						t.Errorf("sequence %+v, want none", ss[0])
					}
					return
				}
				if len(ss) != 1 {
					t.Fatalf("%d sequences, want 1", len(ss))
				}
				s := ss[0]
				if s.State != row.state || s.Why != row.why || s.Kind != store.SeqKindResults || s.DatabaseID != d.ID {
					t.Errorf("sequence %s/%s (%s, database %d), want %s/%s", s.State, s.Why, s.Kind, s.DatabaseID, row.state, row.why)
				}
				if got.SequenceID != s.ID {
					t.Errorf("result in sequence %d, want %d", got.SequenceID, s.ID)
				}
				planned := len(inState(w.steps(s.ID), store.NotePlanned))
				if want := map[bool]int{true: 3, false: 0}[row.state == store.SeqActive]; planned != want {
					t.Errorf("%d planned steps, want %d", planned, want)
				}
			})
		}
	}
}
