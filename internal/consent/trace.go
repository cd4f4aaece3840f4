package consent

import (
	"strconv"
	"strings"
	"time"
)

// Outcome is what was decided, as stored with the notification and shown in the
// communication log. Only OutcomeAllowed sends.
type Outcome string

// Outcomes, each named after the rule that gives it.
const (
	OutcomeAllowed            Outcome = "allowed"
	OutcomeInvalidFacts       Outcome = "invalid_facts"          // FACTS: fail closed
	OutcomeNotUpcoming        Outcome = "not_upcoming"           // NOT-3
	OutcomeNotCancelled       Outcome = "not_cancelled"          // NOT-3, a cancellation notice
	OutcomeSwitchedOffReason  Outcome = "switched_off_reason"    // CON-6
	OutcomeSwitchedOffAgenda  Outcome = "switched_off_agenda"    // CON-5
	OutcomeSwitchedOffPatient Outcome = "switched_off_patient"   // CON-7
	OutcomeOptedOutTidings    Outcome = "opted_out_tidings"      // CON-3
	OutcomeOptedOutPMS        Outcome = "opted_out_pms"          // CON-1
	OutcomeNoDestination      Outcome = "skipped_no_destination" // NOT-5
)

// Outcomes lists every outcome, allowed first, then in rule order.
func Outcomes() []Outcome {
	return []Outcome{OutcomeAllowed, OutcomeInvalidFacts, OutcomeNotUpcoming, OutcomeNotCancelled,
		OutcomeSwitchedOffReason, OutcomeSwitchedOffAgenda, OutcomeSwitchedOffPatient,
		OutcomeOptedOutTidings, OutcomeOptedOutPMS, OutcomeNoDestination}
}

// Result is what one rule said.
type Result uint8

// Results of a step.
const (
	Pass  Result = iota + 1 // checked, does not stop the message
	Block                   // checked, stops the message
	Skip                    // does not apply: the purpose is not covered, CON-8 exempts it, or CON-3 overrides it
)

// String is the result's name in traces.
func (r Result) String() string {
	switch r {
	case Pass:
		return "pass"
	case Block:
		return "block"
	case Skip:
		return "skip"
	}
	return "unknown"
}

// maxInputs is the most inputs a step records (the CON-3 step's record: scope, opt_in,
// source, actor, at; plus the purpose).
const maxInputs = 6

// Input is one fact a rule looked at, written key=value in the trace. A time input keeps its
// time.Time and is formatted only when the trace is written out.
type Input struct {
	Key   string
	Value string
	Time  time.Time // set for time inputs; Value is then empty
	timed bool
}

// String writes the input as key=value; times in UTC RFC 3339, "never" for a zero time;
// values with spaces or quotes are quoted.
func (in Input) String() string { return in.Key + "=" + in.value() }

func (in Input) value() string {
	if in.timed {
		if in.Time.IsZero() {
			return "never"
		}
		return in.Time.UTC().Format(time.RFC3339)
	}
	if in.Value == "" || strings.ContainsAny(in.Value, " \t\n\"=\\") || !strconv.CanBackquote(in.Value) {
		return strconv.Quote(in.Value)
	}
	return in.Value
}

// Step is one rule checked: its SPEC ID, a short code for the check, the inputs it read and
// its result.
type Step struct {
	Rule   string // "CON-3", "NOT-5", "FACTS"
	Check  string // "tidings_consent", "destination", …
	Result Result
	inputs [maxInputs]Input
	n      uint8
}

// Inputs returns the inputs the rule read, in order (a copy).
func (s Step) Inputs() []Input { return append([]Input(nil), s.inputs[:s.n]...) }

// String writes the step on one line: "CON-3 tidings_consent block: scope=all opt_in=false …".
func (s Step) String() string {
	var b strings.Builder
	b.WriteString(s.Rule)
	b.WriteByte(' ')
	b.WriteString(s.Check)
	b.WriteByte(' ')
	b.WriteString(s.Result.String())
	for i := range int(s.n) {
		if i == 0 {
			b.WriteByte(':')
		}
		b.WriteByte(' ')
		b.WriteString(s.inputs[i].String())
	}
	return b.String()
}

func (s *Step) add(key, value string) {
	if int(s.n) < maxInputs {
		s.inputs[s.n] = Input{Key: key, Value: value}
		s.n++
	}
}

func (s *Step) addTime(key string, t time.Time) {
	if int(s.n) < maxInputs {
		s.inputs[s.n] = Input{Key: key, Time: t, timed: true}
		s.n++
	}
}

func (s *Step) addBool(key string, v bool) {
	if v {
		s.add(key, "true")
	} else {
		s.add(key, "false")
	}
}
