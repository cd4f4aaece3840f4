package dashboard

import (
	"slices"
	"strconv"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/compose"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/store"
)

// The notification pages' labels: English catalog keys, translated by the templates; a test
// checks the French catalog has each (TestNotifyLabelsTranslated).

// noteStates are the states of a notification in the order of its life, which is the order
// the communication log counts and filters them in.
func noteStates() []string {
	return []string{store.NotePlanned, store.NoteClaimed, store.NoteSending, store.NoteSent, store.NoteDelivered,
		store.NoteSkipped, store.NoteFailed, store.NoteCancelled, store.NoteUnknown}
}

// noteLabel is the state of a notification as staff should read it: a message the outbox
// took is not "sent" to anyone, whatever its state says.
func noteLabel(n store.Notification) string {
	if n.Provider == providerOutbox && (n.State == store.NoteSent || n.State == store.NoteDelivered) {
		return "In the outbox (not delivered)"
	}
	return stateLabel(n.State)
}

func stateLabel(s string) string {
	switch s {
	case store.NotePlanned:
		return "Planned"
	case store.NoteClaimed:
		return "Being prepared"
	case store.NoteSending:
		return "Sending"
	case store.NoteSent:
		return "Sent"
	case store.NoteDelivered:
		return "Delivered"
	case store.NoteSkipped:
		return "Skipped"
	case store.NoteFailed:
		return "Failed"
	case store.NoteCancelled:
		return "Withdrawn"
	case store.NoteUnknown:
		return "Outcome unknown"
	case store.NoteRetry:
		return "To be retried"
	}
	return s
}

func kindLabel(k string) string {
	switch compose.Kind(k) {
	case compose.KindConfirmation:
		return "Booking confirmation"
	case compose.KindReminder:
		return "Reminder"
	case compose.KindReschedule:
		return "Reschedule notice"
	case compose.KindCancellation:
		return "Cancellation notice"
	case compose.KindReminderGroup:
		return "Family reminder"
	case compose.KindReplyConfirmed:
		return "Reply: appointment confirmed"
	case compose.KindReplyHelp:
		return "Reply: help"
	case compose.KindReplyStop:
		return "Reply: opted out"
	case compose.KindReplyStart:
		return "Reply: opted back in"
	case compose.KindInvite:
		return "Invitation to the patient portal"
	case compose.KindPasswordReset:
		return "Portal password reset"
	case compose.KindWaitlistOffer:
		return "Waitlist: a time freed up"
	case compose.KindWaitlistTaken:
		return "Waitlist: the time was taken"
	case compose.KindMessageAlert:
		return "A secure message is waiting"
	case compose.KindResultStep:
		return "Results: please book"
	case compose.KindRecallStep:
		return "Recall: please book"
	}
	return k
}

// noteChannel is the label of a notification's channel (the consent pages' words).
func noteChannel(ch string) string { return channelName(consent.Channel(ch)) }

// whyHandled is how the inbound SMS use case marks the replies it answered itself (a C, a
// STOP, a HELP): the inbox shows them dimmed, as done.
const whyHandled = "handled:"

// fieldNote is a field error as the notification settings forms show it: beside the control
// it concerns (Control, the id of its input), under the label staff read on the form (Label,
// a catalog key) rather than the field's wire name, with what was typed when the field is
// one entry of a list (reminder_offsets[1] is the second offset typed).
type fieldNote struct {
	Control string
	Label   string
	Item    string
	Reason  string
}

// formErrors are a form's field notes. Templates ask for the notes of one control, to show
// them beside it, and whether it has any (aria-invalid).
type formErrors []fieldNote

// On lists the notes of control.
func (e formErrors) On(control string) []fieldNote {
	var out []fieldNote
	for _, n := range e {
		if n.Control == control {
			out = append(out, n)
		}
	}
	return out
}

// Has reports whether control has a note.
func (e formErrors) Has(control string) bool { return len(e.On(control)) > 0 }

// fieldLabel is where a form shows the errors of one wire field: its control and label.
type fieldLabel struct{ Control, Label string }

// notesOf turns err's field errors into notes. labels maps a field's name, without its
// index ("reminder_offsets" for "reminder_offsets[1]"), to its control; items holds what was
// typed in each list field, so a note can quote the entry it refuses. A field the map does
// not know keeps its reason without a label.
func notesOf(err error, labels map[string]fieldLabel, items map[string][]string) formErrors {
	var out formErrors
	for _, f := range clinic.FieldsOf(err) {
		name, index := f.Field, -1
		if i := strings.IndexByte(name, '['); i > 0 && strings.HasSuffix(name, "]") {
			if n, err := strconv.Atoi(name[i+1 : len(name)-1]); err == nil {
				name, index = name[:i], n
			}
		}
		n := fieldNote{Reason: f.Reason}
		if l, ok := labels[name]; ok {
			n.Control, n.Label = l.Control, l.Label
		}
		if list := items[name]; index >= 0 && index < len(list) {
			n.Item = list[index]
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
