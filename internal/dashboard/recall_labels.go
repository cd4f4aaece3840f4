package dashboard

import (
	"context"
	"strconv"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/compose"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
)

// The recall pages' words (RES-3..RES-8): English catalog keys, translated by the
// templates; TestRecallLabelsTranslated checks the French catalog has each, for every
// value the store defines, so a new state or reason cannot reach a page as a code.

// recallWhyLabel says why a recall is on the action checklist (RES-7), in staff's words.
func recallWhyLabel(why string) string {
	switch why {
	case store.WhyManualAction:
		return "The doctor's action needs staff"
	case store.WhyComments:
		return "A result has the doctor's comments"
	case store.WhyAwaitingStart:
		return "Waiting for staff to start it"
	case store.WhyNoContact:
		return "No mobile number and no e-mail address"
	case store.WhyOptedOut:
		return "The patient refuses every channel of its messages"
	case store.WhyFinished:
		return "Every message went out and the patient has not booked"
	case store.WhySendFailed:
		return "A message could not be sent"
	}
	return why
}

// recallStateLabel is a recall's state (store.SequenceStates) in staff's words.
func recallStateLabel(state string) string {
	switch state {
	case store.SeqWaiting:
		return "Waiting to start"
	case store.SeqActive:
		return "Sending its messages"
	case store.SeqBooked:
		return "Paused: the patient booked"
	case store.SeqManual:
		return "Staff must act"
	case store.SeqUnreachable:
		return "Cannot reach the patient"
	case store.SeqDone:
		return "Done"
	case store.SeqSkipped:
		return "Not followed up"
	}
	return state
}

// recallKinds are the kinds of recall in the order the checklist's filter lists them.
func recallKinds() []string { return []string{store.SeqKindResults, store.SeqKindRecall} }

// recallKindLabel is a kind of recall: the results of one day (RES-6), or a recall of
// another kind (RES-8).
func recallKindLabel(kind string) string {
	switch kind {
	case store.SeqKindResults:
		return "Results"
	case store.SeqKindRecall:
		return "Recall"
	}
	return kind
}

// resultStateLabel is what the clinical software says of a result (RES-5): "" until the
// clinic marks it notified, given or discussed.
func resultStateLabel(state string) string {
	switch state {
	case "":
		return "Not told yet"
	case "notified":
		return "Patient notified"
	case "given":
		return "Result given"
	case "discussed":
		return "Result discussed"
	}
	return state
}

// resultOutcomeLabel is how Tidings read a result's action (RES-1, RES-2).
func resultOutcomeLabel(outcome string) string {
	switch outcome {
	case "template":
		return "Follows a template"
	case "manual":
		return "Staff must act"
	case "held":
		return "Not actioned yet"
	}
	return outcome
}

// recallPurposes are the purposes a recall template's messages may have (RES-3): what
// consent decides them by.
func recallPurposes() []consent.Purpose {
	return []consent.Purpose{consent.PurposeResult, consent.PurposeRecall}
}

// templateNames maps org's recall templates' keys to their names (saved or shipped), for
// the pages that name a recall's template.
func templateNames(ctx context.Context, tx *store.Tx, org clinic.OrgID) (map[string]string, []store.RecallTemplate, error) {
	ts, err := recall.Templates(ctx, tx, org)
	if err != nil {
		return nil, nil, err
	}
	out := make(map[string]string, len(ts))
	for _, t := range ts {
		out[t.Key] = t.Name
	}
	return out, ts, nil
}

// stepNumber is a step's number as staff count them (the store counts from 0).
func stepNumber(step int) string { return strconv.Itoa(step + 1) }

// recallChannels are the channels a template's step may use, for its menu.
func recallChannels(selected string) []choice {
	return choices(compose.Channels(), func(c compose.Channel) string { return noteChannel(string(c)) }, selected)
}

// recallTabs are the links between the recall pages (templates/recall_parts.html), those
// the viewer may open: Current is the page shown ("checklist", "summary", "new",
// "templates", or "" on one recall).
type recallTabs struct {
	Current      string
	CanCreate    bool // bulk creation (PermFollowUp)
	CanTemplates bool // the templates and the clinic's switch (PermManageDirectory)
}

func tabsFor(actor clinic.Actor, current string) recallTabs {
	return recallTabs{Current: current, CanCreate: actor.Can(clinic.PermFollowUp), CanTemplates: actor.Can(clinic.PermManageDirectory)}
}
