package recall

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/compose"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/input"
	"github.com/tidings-health/tidings/internal/store"
)

// Template keys shipped with Tidings: the software profiles' default action rules name the
// first two (RES-2), synced and staff-created recalls use the third (RES-8).
const (
	KeyNonUrgentAppointment = "non_urgent_appointment"
	KeyDiscuss              = "discuss"
	KeyRecall               = "recall"
)

// Bounds of a template.
const (
	MaxSteps     = 10
	MaxDelayDays = 365
	MaxNameLen   = 100
	maxKeyLen    = 60
)

var keyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)

const (
	day  = 24 * 60 // minutes
	week = 7 * day
)

// DefaultTemplates are the templates an organisation has before it edits any: each asks
// the patient to book, never states a result, and carries the identity-check link.
func DefaultTemplates() []store.RecallTemplate {
	resultSteps := []store.RecallStep{
		{Channel: "sms", DelayMinutes: 0,
			BodyEN: "Hi {first_name}, {clinic} would like you to make an appointment. Please confirm who you are here to see the details and book: {portal_link}",
			BodyFR: "Bonjour {first_name}, {clinic} souhaite que vous preniez rendez-vous. Confirmez votre identité ici pour voir les détails et réserver : {portal_link}"},
		{Channel: "email", DelayMinutes: 3 * day,
			SubjectEN: "{clinic} would like you to make an appointment",
			BodyEN:    "Hello {first_name},\n\n{clinic} would like you to make an appointment. Please follow this link, confirm who you are, and book a time that suits you:\n{portal_link}\n\nIf you have already booked, you can ignore this message. Questions: {clinic_phone}.\n\n{clinic}",
			SubjectFR: "{clinic} souhaite que vous preniez rendez-vous",
			BodyFR:    "Bonjour {first_name},\n\n{clinic} souhaite que vous preniez rendez-vous. Suivez ce lien, confirmez votre identité et réservez le créneau qui vous convient :\n{portal_link}\n\nSi vous avez déjà réservé, ignorez ce message. Questions : {clinic_phone}.\n\n{clinic}"},
		{Channel: "sms", DelayMinutes: 4 * day,
			BodyEN: "Hi {first_name}, a reminder that {clinic} would like you to make an appointment: {portal_link} or call {clinic_phone}.",
			BodyFR: "Bonjour {first_name}, pour rappel, {clinic} souhaite que vous preniez rendez-vous : {portal_link} ou appelez le {clinic_phone}."},
	}
	recallSteps := []store.RecallStep{
		{Channel: "sms", DelayMinutes: 0,
			BodyEN: "Hi {first_name}, you are due for a visit at {clinic}. Confirm who you are here to see the details and book: {portal_link}",
			BodyFR: "Bonjour {first_name}, il est temps de revenir voir {clinic}. Confirmez votre identité ici pour voir les détails et réserver : {portal_link}"},
		{Channel: "email", DelayMinutes: 2 * week,
			SubjectEN: "You are due for a visit at {clinic}",
			BodyEN:    "Hello {first_name},\n\nYou are due for a visit at {clinic}. Please follow this link, confirm who you are, and book a time that suits you:\n{portal_link}\n\nIf you have already booked, you can ignore this message. Questions: {clinic_phone}.\n\n{clinic}",
			SubjectFR: "Il est temps de revenir voir {clinic}",
			BodyFR:    "Bonjour {first_name},\n\nIl est temps de revenir voir {clinic}. Suivez ce lien, confirmez votre identité et réservez le créneau qui vous convient :\n{portal_link}\n\nSi vous avez déjà réservé, ignorez ce message. Questions : {clinic_phone}.\n\n{clinic}"},
	}
	return []store.RecallTemplate{
		{Key: KeyNonUrgentAppointment, Name: "Non-urgent appointment", Purpose: string(consent.PurposeResult), AutoStart: true, Steps: resultSteps},
		{Key: KeyDiscuss, Name: "Discuss results", Purpose: string(consent.PurposeResult), AutoStart: true, Steps: slices.Clone(resultSteps)},
		{Key: KeyRecall, Name: "Recall", Purpose: string(consent.PurposeRecall), AutoStart: true, Steps: recallSteps},
	}
}

// TemplateOf is org's template key: as saved, else the shipped default. ok is false for a
// key that is neither (a profile naming a template nobody made): such results go to the
// checklist rather than sending something nobody wrote.
//
// Errors: none of its own.
func TemplateOf(ctx context.Context, tx *store.Tx, org clinic.OrgID, key string) (t store.RecallTemplate, ok bool, err error) {
	t, ok, err = tx.Recalls().RecallTemplate(ctx, org, key)
	if err != nil || ok {
		return t, ok, err
	}
	for _, d := range DefaultTemplates() {
		if d.Key == key {
			d.OrgID = org
			return d, true, nil
		}
	}
	return t, false, nil
}

// Templates lists org's templates: the saved ones and the defaults it has not saved, by key.
//
// Errors: none of its own.
func Templates(ctx context.Context, tx *store.Tx, org clinic.OrgID) ([]store.RecallTemplate, error) {
	saved, err := tx.Recalls().RecallTemplates(ctx, org)
	if err != nil {
		return nil, err
	}
	out := saved
	for _, d := range DefaultTemplates() {
		if !slices.ContainsFunc(saved, func(t store.RecallTemplate) bool { return t.Key == d.Key }) {
			d.OrgID = org
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b store.RecallTemplate) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// stepKind is the compose kind of a template's steps.
func stepKind(purpose string) compose.Kind {
	if purpose == string(consent.PurposeRecall) {
		return compose.KindRecallStep
	}
	return compose.KindResultStep
}

// CheckTemplate validates a template as an administrator saves it, every problem named by
// its field ("name", "steps[1].body_fr"): a key of lowercase letters, digits and
// underscores, a name, a purpose, 1 to MaxSteps steps each on a channel with a delay of 0
// to MaxDelayDays days and texts in English and French that compose accepts for the
// channel (variables, length, SMS segments).
func CheckTemplate(t store.RecallTemplate) error {
	var v input.Checker
	if !keyPattern.MatchString(t.Key) || len(t.Key) > maxKeyLen {
		v.Add("key", fmt.Sprintf("must be 1 to %d lowercase letters, digits or underscores", maxKeyLen))
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(t.Name)); n == 0 || n > MaxNameLen {
		v.Add("name", fmt.Sprintf("must be 1 to %d characters", MaxNameLen))
	}
	if t.Purpose != string(consent.PurposeResult) && t.Purpose != string(consent.PurposeRecall) {
		v.Add("purpose", "must be result or recall")
	}
	if len(t.Steps) == 0 || len(t.Steps) > MaxSteps {
		v.Add("steps", fmt.Sprintf("must be 1 to %d steps", MaxSteps))
	}
	for i, s := range t.Steps {
		f := fmt.Sprintf("steps[%d].", i+1)
		ch := compose.Channel(s.Channel)
		if !slices.Contains(compose.Channels(), ch) {
			v.Add(f+"channel", "must be sms, email or push")
			continue
		}
		if s.DelayMinutes < 0 || s.DelayMinutes > MaxDelayDays*day {
			v.Add(f+"delay", fmt.Sprintf("must be 0 to %d days", MaxDelayDays))
		}
		for _, l := range []struct{ lang, subject, body string }{{"en", s.SubjectEN, s.BodyEN}, {"fr", s.SubjectFR, s.BodyFR}} {
			err := compose.Check(compose.Template{Kind: stepKind(t.Purpose), Channel: ch, Lang: l.lang, Subject: l.subject, Body: l.body})
			var ps compose.Problems
			if errors.As(err, &ps) {
				for _, p := range ps {
					v.Add(f+p.Field+"_"+l.lang, p.Reason)
				}
			} else if err != nil {
				return err
			}
		}
	}
	return v.Err()
}

// SaveTemplate saves org's template t.Key (RES-3), created or replaced, after CheckTemplate;
// administrators only. Sequences already running read the new steps from their next step
// on. Audited as "recall.template".
//
// Errors: clinic.ErrForbidden; *clinic.ValidationError.
func (s *Service) SaveTemplate(ctx context.Context, actor clinic.Actor, t store.RecallTemplate) error {
	if !actor.Can(clinic.PermManageDirectory) {
		return fmt.Errorf("%s needs %s to edit templates: %w", actor.Label, clinic.PermManageDirectory, clinic.ErrForbidden)
	}
	t.OrgID = actor.OrgID
	t.Name = strings.TrimSpace(t.Name)
	if err := CheckTemplate(t); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		before, _, err := TemplateOf(ctx, tx, actor.OrgID, t.Key)
		if err != nil {
			return err
		}
		if err := tx.Recalls().SaveRecallTemplate(ctx, t); err != nil {
			return err
		}
		type view struct {
			Name      string
			Purpose   string
			AutoStart bool
			Steps     int
		}
		return audit.Change(ctx, tx, actor, "recall.template", t.Key,
			view{before.Name, before.Purpose, before.AutoStart, len(before.Steps)}, view{t.Name, t.Purpose, t.AutoStart, len(t.Steps)})
	})
}
