package dashboard

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/compose"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// recallTemplatePage is the data of templates/recall_template.html: the editor of one
// result or recall template (RES-3), as saved or as typed, with recall.MaxSteps step slots
// (the steps first, then empty slots; an empty slot is not a step).
type recallTemplatePage struct {
	Key       string
	Name      string
	Purposes  []choice
	AutoStart bool
	Slots     []recallStepSlot
	// Variables are the ones the steps' texts may use, braced ("{first_name}").
	Variables []string
	// Custom: the organisation saved it (else it is as Tidings ships it); Updated is when.
	Custom  bool
	Updated string
	Errors  recallNotes
}

// recallStepSlot is one step of the editor, as saved or typed: N is its number (1 for the
// first), the delay after the previous step (the first: after the recall starts) in days
// and hours.
type recallStepSlot struct {
	N                     int
	Channels              []choice
	Days, Hours           string
	SubjectEN, BodyEN     string
	SubjectFR, BodyFR     string
	ChannelID, DelayID    string // the ids of its controls, which notes point at
	SubjectENID, BodyENID string
	SubjectFRID, BodyFRID string
}

// recallNote is a problem of the template form: the control it concerns (its id), its
// label (a catalog key), the step it is in (0: none) and why.
type recallNote struct {
	Control string
	Label   string
	Step    int
	Reason  string
}

// recallNotes are the problems of the template form; the template asks for those of one
// control, to show them beside it.
type recallNotes []recallNote

// On lists the notes of control.
func (ns recallNotes) On(control string) recallNotes {
	var out recallNotes
	for _, n := range ns {
		if n.Control == control {
			out = append(out, n)
		}
	}
	return out
}

// Has reports whether control has a note.
func (ns recallNotes) Has(control string) bool { return len(ns.On(control)) > 0 }

// recallStepFields name the fields of a step as recall.CheckTemplate reports them
// ("steps[2].body_fr"), with the control's suffix and label.
var recallStepFields = map[string]fieldLabel{
	"channel":    {"channel", "Channel"},
	"delay":      {"days", "Delay"},
	"subject_en": {"subject_en", "Subject in English"},
	"body_en":    {"body_en", "Text in English"},
	"subject_fr": {"subject_fr", "Subject in French"},
	"body_fr":    {"body_fr", "Text in French"},
}

// recallTemplateFields name the template's own fields.
var recallTemplateFields = map[string]fieldLabel{
	"key": {"", "Key"}, "name": {"name", "Name"}, "purpose": {"purpose", "Messages"}, "steps": {"step-1-channel", "Steps"},
}

// recallNotesOf turns err's field errors into notes beside their controls.
func recallNotesOf(err error) recallNotes {
	var out recallNotes
	for _, f := range clinic.FieldsOf(err) {
		n := recallNote{Reason: f.Reason}
		if rest, ok := strings.CutPrefix(f.Field, "steps["); ok {
			num, field, _ := strings.Cut(rest, "].")
			if i, err := strconv.Atoi(num); err == nil {
				n.Step = i
				if l, ok := recallStepFields[field]; ok {
					n.Control, n.Label = stepControl(i, l.Control), l.Label
				}
			}
		} else if l, ok := recallTemplateFields[f.Field]; ok {
			n.Control, n.Label = l.Control, l.Label
		}
		out = append(out, n)
	}
	return out
}

// stepControl is the id of a step's control: "step-2-body_fr".
func stepControl(n int, suffix string) string { return fmt.Sprintf("step-%d-%s", n, suffix) }

// recallTemplateForm is the editor of t: its steps in the first slots, then empty ones.
func recallTemplateForm(f frame, t store.RecallTemplate) recallTemplatePage {
	p := recallTemplatePage{Key: t.Key, Name: t.Name, AutoStart: t.AutoStart, Custom: t.ID != 0,
		Purposes: choices(recallPurposes(), purposeName, t.Purpose)}
	if p.Custom {
		p.Updated = f.stamp(t.UpdatedAt)
	}
	kind := compose.KindResultStep
	if t.Purpose == string(consent.PurposeRecall) {
		kind = compose.KindRecallStep
	}
	for _, name := range compose.Variables(kind) {
		p.Variables = append(p.Variables, "{"+name+"}")
	}
	for i := range recall.MaxSteps {
		slot := recallStepSlot{N: i + 1}
		ch := string(compose.ChannelSMS)
		if i < len(t.Steps) {
			s := t.Steps[i]
			ch = s.Channel
			slot.Days, slot.Hours = strconv.Itoa(s.DelayMinutes/(24*60)), strconv.Itoa(s.DelayMinutes%(24*60)/60)
			slot.SubjectEN, slot.BodyEN, slot.SubjectFR, slot.BodyFR = s.SubjectEN, s.BodyEN, s.SubjectFR, s.BodyFR
		}
		slot.Channels = recallChannels(ch)
		slot.ChannelID, slot.DelayID = stepControl(i+1, "channel"), stepControl(i+1, "days")
		slot.SubjectENID, slot.BodyENID = stepControl(i+1, "subject_en"), stepControl(i+1, "body_en")
		slot.SubjectFRID, slot.BodyFRID = stepControl(i+1, "subject_fr"), stepControl(i+1, "body_fr")
		p.Slots = append(p.Slots, slot)
	}
	return p
}

// recallTemplateEdit shows the editor of one template (GET /recalls/templates/{key}): as
// the organisation saved it, or as Tidings ships it. A key that is neither is "not found".
func (d *Dashboard) recallTemplateEdit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	key := r.PathValue("key")
	var f frame
	var t store.RecallTemplate
	err := d.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		var ok bool
		if t, ok, err = recall.TemplateOf(ctx, tx, web.MustActor(ctx).OrgID, key); err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("recall template: %w", clinic.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{Page: "recall_template", View: view{Title: "Edit recall template", Header: f.header(r, "recalls"), Data: recallTemplateForm(f, t)}})
}
