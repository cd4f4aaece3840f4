package decide

import (
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/store"
)

// Choice is the consent that counts for one channel and purpose of a patient, as the patient
// file shows it beside the history: whether the consent rules let such a message through,
// and which rule said so.
type Choice struct {
	Channel consent.Channel
	Purpose consent.Purpose
	OptIn   bool
	// Rule is "CON-3" when a record made in Tidings decides (Source, Actor and At say which),
	// "CON-1" when the clinical software's opt-out blocks, "" for the default (opted in).
	Rule   string
	Source consent.Source
	Actor  string
	At     time.Time
}

// Effective is the consent of patient p (of database d, records being the patient's consent
// history) per channel and consentable purpose, channels outer and purposes in display
// order. It asks the consent engine, with every switch on and every destination valid, and
// reads the CON-3 and CON-1 steps of its trace, so that the table cannot disagree with what
// the dispatcher decides. It is pure.
func Effective(p clinic.Patient, d clinic.Database, records []store.ConsentRecord) []Choice {
	rs := Records(records)
	var out []Choice
	for _, ch := range consent.Channels() {
		for _, pu := range consent.Purposes() {
			if !pu.Consentable() {
				continue
			}
			f := consent.Facts{Purpose: pu, Channel: ch, Notice: consent.NoticeConfirmation, Status: clinic.StatusBooked,
				BookedBy: clinic.BookedByStaff, Switches: consent.Switches{Agenda: true, Reason: true, Patient: true}, Consents: rs}
			fillPatient(&f, p, d)
			f.Mobile, f.Email, f.Push = consent.Valid, consent.Valid, consent.Valid // consent alone, whatever the addresses
			c := Choice{Channel: ch, Purpose: pu, OptIn: true}
			for _, s := range consent.Decide(f).Steps() {
				switch s.Rule {
				case "CON-3":
					for _, in := range s.Inputs() {
						switch in.Key {
						case "source":
							c.Rule, c.Source = "CON-3", consent.Source(in.Value)
						case "actor":
							c.Actor = in.Value
						case "at":
							c.At = in.Time
						}
					}
					if s.Result == consent.Block {
						c.OptIn = false
					}
				case "CON-1":
					if s.Result == consent.Block {
						c.OptIn, c.Rule = false, "CON-1"
					}
				}
			}
			out = append(out, c)
		}
	}
	return out
}
