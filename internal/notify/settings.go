// Package notify plans notifications (NOT-1): the booking use cases call Plan in the
// transaction of their change, so the notification rows commit or roll back with the
// appointment, and a crash can lose neither. It also holds each clinic's sending settings
// (reminder offsets, the debounce grace period, quiet hours, the monthly SMS budget, the
// channels the clinic sends on) and their use cases.
//
// Planning decides only what to say and when: a booking confirmation, reminders at the
// clinic's offsets (sendtime computes the instants, NOT-9), reschedule and cancellation
// notices. Whether a message is sent is decided at its send time by the dispatcher (NOT-3),
// so a status set and removed before then changes nothing, and a switch turned off before
// then is obeyed.
//
// Notices are debounced: a booking notice waits the clinic's grace period, and a later
// change of the same appointment within it merges with the notice still waiting (Merge), so
// a patient whose appointment is moved three times in a minute gets one message with the
// final time, and one booked and cancelled within the grace period gets none.
//
// It must not import the web surfaces or the dispatcher.
package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/contact"
	"github.com/tidings-health/tidings/internal/input"
	"github.com/tidings-health/tidings/internal/sendtime"
	"github.com/tidings-health/tidings/internal/store"
)

// Settings are a clinic's sending settings, parsed.
type Settings struct {
	ClinicID clinic.ClinicID
	// Channels the clinic sends on; the consent engine still decides each message.
	Channels []consent.Channel
	// Offsets of the reminders, in the clinic's order (NOT-1, NOT-9).
	Offsets []sendtime.Offset
	// Grace is how long a booking notice waits for a further change of the appointment.
	Grace time.Duration
	// Window is when SMS may be sent, on the clinic's clock (NOT-8).
	Window sendtime.Window
	// SMSBudget is the most SMS segments the clinic sends in a calendar month (its zone);
	// 0 is no limit. Staff are alerted at 80 %; at 100 % SMS stop until the next month.
	SMSBudget int
	// RemindConfirmed: reminders still go to an appointment the patient confirmed.
	RemindConfirmed bool
	// AskReply: SMS reminders invite the patient to reply C to confirm (NOT-10).
	AskReply bool
	// Custom is false for a clinic that never changed its settings.
	Custom    bool
	UpdatedAt time.Time
}

// DefaultSettings are a new clinic's: SMS and e-mail, reminders 72 h and 2 h before, a two
// minute grace period, SMS between 08:00 and 20:00, no budget, confirmed appointments still
// reminded, C/Y replies invited.
func DefaultSettings(id clinic.ClinicID) Settings {
	o72, _ := sendtime.Parse("72h")
	o2, _ := sendtime.Parse("2h")
	return Settings{ClinicID: id, Channels: []consent.Channel{consent.ChannelSMS, consent.ChannelEmail},
		Offsets: []sendtime.Offset{o72, o2}, Grace: 2 * time.Minute, Window: sendtime.Window{From: 8 * 60, To: 20 * 60},
		RemindConfirmed: true, AskReply: true}
}

// Limits of the settings.
const (
	MaxGrace     = time.Hour
	MaxSMSBudget = 10_000_000
)

// Sends reports whether the clinic sends on ch.
func (s Settings) Sends(ch consent.Channel) bool { return slices.Contains(s.Channels, ch) }

// fromStore parses stored settings. Stored values were checked when written, so an error
// here is a corrupt row.
func fromStore(r store.NotifySettings) (Settings, error) {
	s := Settings{ClinicID: r.ClinicID, Grace: time.Duration(r.GraceSeconds) * time.Second, SMSBudget: r.SMSBudget,
		RemindConfirmed: r.RemindConfirmed, AskReply: r.AskReply, Custom: true, UpdatedAt: r.UpdatedAt}
	for _, c := range splitList(r.Channels) {
		s.Channels = append(s.Channels, consent.Channel(c))
	}
	offs, err := sendtime.ParseList("reminder_offsets", splitList(r.ReminderOffsets))
	if err != nil {
		return s, fmt.Errorf("stored settings of clinic %d: %w", r.ClinicID, err)
	}
	s.Offsets = offs
	if s.Window, err = sendtime.ParseWindow(r.QuietFrom, r.QuietTo); err != nil {
		return s, fmt.Errorf("stored settings of clinic %d: %w", r.ClinicID, err)
	}
	return s, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// SettingsTx reads the settings of clinics in one statement, defaults for those that never
// changed them.
func SettingsTx(ctx context.Context, tx *store.Tx, org clinic.OrgID, clinics []clinic.ClinicID) (map[clinic.ClinicID]Settings, error) {
	stored, err := tx.Notifications().NotifySettingsOf(ctx, org, clinics)
	if err != nil {
		return nil, err
	}
	out := make(map[clinic.ClinicID]Settings, len(clinics))
	for _, id := range clinics {
		r, ok := stored[id]
		if !ok {
			out[id] = DefaultSettings(id)
			continue
		}
		s, err := fromStore(r)
		if err != nil {
			return nil, err
		}
		out[id] = s
	}
	return out, nil
}

// SettingsInput is a change of a clinic's settings as the API and dashboard send it.
type SettingsInput struct {
	Channels        []string `json:"channels"`
	ReminderOffsets []string `json:"reminder_offsets"`
	GraceSeconds    int      `json:"grace_seconds"`
	WindowFrom      string   `json:"window_from"`
	WindowTo        string   `json:"window_to"`
	SMSBudget       int      `json:"sms_budget"`
	RemindConfirmed bool     `json:"remind_confirmed"`
	AskReply        bool     `json:"ask_reply"`
	// Phone is the clinic's number given in answers to HELP; it is checked as a phone
	// number of the clinic's region.
	Phone *string `json:"phone"`
}

// Service holds the settings use cases.
type Service struct{ db *store.DB }

// New returns the settings use cases over db.
func New(db *store.DB) *Service { return &Service{db: db} }

// Settings reads a clinic's settings (anyone who may read the directory).
//
// Errors: clinic.ErrNotFound for a clinic of another organisation.
func (s *Service) Settings(ctx context.Context, actor clinic.Actor, id clinic.ClinicID) (Settings, string, error) {
	var out Settings
	var phone string
	err := s.db.View(ctx, func(tx *store.Tx) error {
		if _, err := tx.Directory().Clinic(ctx, actor.OrgID, id); err != nil {
			return err
		}
		m, err := SettingsTx(ctx, tx, actor.OrgID, []clinic.ClinicID{id})
		if err != nil {
			return err
		}
		out = m[id]
		phone, err = tx.Notifications().ClinicPhone(ctx, actor.OrgID, id)
		return err
	})
	return out, phone, err
}

// Check validates a settings change, naming each bad field.
func Check(in SettingsInput) (Settings, error) {
	v := &clinic.ValidationError{}
	var s Settings
	if len(in.Channels) == 0 {
		v.Add("channels", "choose at least one channel; to stop every message of an agenda, switch its channels off")
	}
	for i, c := range in.Channels {
		ch := consent.Channel(c)
		switch {
		case !ch.Valid():
			v.Add(fmt.Sprintf("channels[%d]", i), "must be sms, email or push")
		case slices.Contains(s.Channels, ch):
			v.Add(fmt.Sprintf("channels[%d]", i), "is listed twice")
		default:
			s.Channels = append(s.Channels, ch)
		}
	}
	if only := len(s.Channels) == 1 && s.Channels[0] == consent.ChannelPush; only {
		v.Add("channels", "push cannot be the only channel: a browser may be closed when a reminder is due")
	}
	offs, err := sendtime.ParseList("reminder_offsets", in.ReminderOffsets)
	if err != nil {
		v.Fields = append(v.Fields, err.(*clinic.ValidationError).Fields...)
	}
	s.Offsets = offs
	if in.GraceSeconds < 0 || time.Duration(in.GraceSeconds)*time.Second > MaxGrace {
		v.Add("grace_seconds", "must be between 0 and 3600 seconds")
	}
	s.Grace = time.Duration(in.GraceSeconds) * time.Second
	w, err := sendtime.ParseWindow(in.WindowFrom, in.WindowTo)
	if err != nil {
		v.Fields = append(v.Fields, err.(*clinic.ValidationError).Fields...)
	}
	s.Window = w
	if in.SMSBudget < 0 || in.SMSBudget > MaxSMSBudget {
		v.Add("sms_budget", "must be between 0 (no limit) and 10000000 segments a month")
	}
	s.SMSBudget, s.RemindConfirmed, s.AskReply = in.SMSBudget, in.RemindConfirmed, in.AskReply
	return s, v.Err()
}

// SetSettings changes a clinic's settings (administrators: the permission to manage the
// directory), with the audit row. Notifications already planned keep their due times; the
// next change of each appointment plans with the new offsets.
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound; *clinic.ValidationError naming the field.
func (s *Service) SetSettings(ctx context.Context, actor clinic.Actor, id clinic.ClinicID, in SettingsInput) (Settings, error) {
	if !actor.Can(clinic.PermManageDirectory) {
		return Settings{}, fmt.Errorf("change notification settings: %w", clinic.ErrForbidden)
	}
	var out Settings
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		cl, err := tx.Directory().Clinic(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		was, err := settingsAuditOf(ctx, tx, actor.OrgID, id)
		if err != nil {
			return err
		}
		set, err := Check(in)
		phone := *was.Phone
		if in.Phone != nil {
			var problems []clinic.FieldError
			phone = strings.TrimSpace(*in.Phone)
			if phone != "" {
				p, perr := contact.Phone(phone, cl.Region)
				var ce *contact.Error
				switch {
				case errors.As(perr, &ce):
					problems = append(problems, clinic.FieldError{Field: "phone", Reason: ce.Reason})
				case perr != nil:
					return perr
				}
				phone = p
			}
			err = input.Merge(problems, err)
		}
		if err != nil {
			return err
		}
		offs := make([]string, len(set.Offsets))
		for i, o := range set.Offsets {
			offs[i] = o.String()
		}
		chs := make([]string, len(set.Channels))
		for i, c := range set.Channels {
			chs[i] = string(c)
		}
		from, to := windowText(set.Window)
		if err := tx.Notifications().PutNotifySettings(ctx, actor.OrgID, store.NotifySettings{ClinicID: id, Channels: strings.Join(chs, ","),
			ReminderOffsets: strings.Join(offs, ","), GraceSeconds: int(set.Grace / time.Second), QuietFrom: from, QuietTo: to,
			SMSBudget: set.SMSBudget, RemindConfirmed: set.RemindConfirmed, AskReply: set.AskReply}); err != nil {
			return err
		}
		if in.Phone != nil {
			if err := tx.Notifications().SetClinicPhone(ctx, actor.OrgID, id, phone); err != nil {
				return err
			}
		}
		set.ClinicID, set.Custom, set.UpdatedAt = id, true, tx.Now
		out = set
		return audit.Change(ctx, tx, actor, "clinic.notify_settings", cl.Name, was, settingsAudit(set, phone))
	})
	return out, err
}

// settingsAudit is a clinic's sending settings as the audit log records a change of them
// (ADM-5): in the form the API takes them, so that the log's names are the API's.
func settingsAudit(s Settings, phone string) SettingsInput {
	out := SettingsInput{Channels: []string{}, ReminderOffsets: []string{}, GraceSeconds: int(s.Grace / time.Second),
		SMSBudget: s.SMSBudget, RemindConfirmed: s.RemindConfirmed, AskReply: s.AskReply, Phone: &phone}
	for _, c := range s.Channels {
		out.Channels = append(out.Channels, string(c))
	}
	for _, o := range s.Offsets {
		out.ReminderOffsets = append(out.ReminderOffsets, o.String())
	}
	out.WindowFrom, out.WindowTo = windowText(s.Window)
	return out
}

// settingsAuditOf reads a clinic's settings (the defaults when never changed) and phone
// number as they are before a change.
func settingsAuditOf(ctx context.Context, tx *store.Tx, org clinic.OrgID, id clinic.ClinicID) (SettingsInput, error) {
	m, err := SettingsTx(ctx, tx, org, []clinic.ClinicID{id})
	if err != nil {
		return SettingsInput{}, err
	}
	phone, err := tx.Notifications().ClinicPhone(ctx, org, id)
	if err != nil {
		return SettingsInput{}, err
	}
	return settingsAudit(m[id], phone), nil
}

// windowText is the window's two ends as ParseWindow reads them.
func windowText(w sendtime.Window) (string, string) {
	from, to, _ := strings.Cut(w.String(), "-")
	return from, to
}
