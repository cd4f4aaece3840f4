package directory

import (
	"context"
	"fmt"
	"slices"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/store"
)

// AgendaChannels are the notification channels of one agenda (CON-5): Off lists the channels
// switched off; every other channel is on.
type AgendaChannels struct {
	AgendaID clinic.AgendaID   `json:"agenda_id"`
	Off      []consent.Channel `json:"off"`
}

// ClinicChannels reads the agenda × channel table of a clinic, one row per agenda.
//
// Errors: clinic.ErrNotFound for a clinic of another organisation.
func (s *Service) ClinicChannels(ctx context.Context, actor clinic.Actor, id clinic.ClinicID) ([]AgendaChannels, error) {
	var out []AgendaChannels
	err := s.db.View(ctx, func(tx *store.Tx) error {
		agendas, err := clinicAgendas(ctx, tx, actor.OrgID, id)
		if err != nil {
			return err
		}
		out, err = channelsOf(ctx, tx, actor.OrgID, agendas)
		return err
	})
	return out, err
}

func clinicAgendas(ctx context.Context, tx *store.Tx, org clinic.OrgID, id clinic.ClinicID) ([]clinic.AgendaID, error) {
	if _, err := tx.Directory().Clinic(ctx, org, id); err != nil {
		return nil, err
	}
	as, err := tx.Directory().Agendas(ctx, org, store.AgendaFilter{ClinicID: id}, store.Page{Limit: 500})
	ids := make([]clinic.AgendaID, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	return ids, err
}

func channelsOf(ctx context.Context, tx *store.Tx, org clinic.OrgID, agendas []clinic.AgendaID) ([]AgendaChannels, error) {
	off, err := tx.Consent().AgendaChannelsOff(ctx, org, agendas)
	out := make([]AgendaChannels, len(agendas))
	for i, a := range agendas {
		out[i] = AgendaChannels{AgendaID: a, Off: []consent.Channel{}}
		for _, ch := range off[a] {
			out[i].Off = append(out[i].Off, consent.Channel(ch))
		}
	}
	return out, err
}

// SetClinicChannels saves the agenda × channel table of a clinic at once (CON-5): each row
// replaces its agenda's switches; agendas not listed keep theirs. Administrators only.
//
// Errors: clinic.ErrForbidden; clinic.ErrNotFound for the clinic; *clinic.ValidationError
// naming rows[i].agenda_id (not an agenda of this clinic) or rows[i].off[j] (not a channel).
func (s *Service) SetClinicChannels(ctx context.Context, actor clinic.Actor, id clinic.ClinicID, rows []AgendaChannels) ([]AgendaChannels, error) {
	var out []AgendaChannels
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if !actor.Can(clinic.PermManageDirectory) {
			return fmt.Errorf("agenda channels: %s needs %s: %w", actor.Label, clinic.PermManageDirectory, clinic.ErrForbidden)
		}
		agendas, err := clinicAgendas(ctx, tx, actor.OrgID, id)
		if err != nil {
			return err
		}
		var v clinic.ValidationError
		seen := map[clinic.AgendaID]bool{}
		for i, r := range rows {
			switch {
			case !slices.Contains(agendas, r.AgendaID):
				v.Add(fmt.Sprintf("rows[%d].agenda_id", i), "is not an agenda of this clinic")
			case seen[r.AgendaID]:
				v.Add(fmt.Sprintf("rows[%d].agenda_id", i), "appears in two rows")
			}
			seen[r.AgendaID] = true
			for j, ch := range r.Off {
				if !ch.Valid() {
					v.Add(fmt.Sprintf("rows[%d].off[%d]", i, j), consent.ChannelReason)
				}
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		was, err := channelsOf(ctx, tx, actor.OrgID, agendas)
		if err != nil {
			return err
		}
		for _, r := range rows {
			off := make([]string, 0, len(r.Off))
			for _, ch := range r.Off {
				if !slices.Contains(off, string(ch)) {
					off = append(off, string(ch))
				}
			}
			if err := tx.Consent().SetAgendaChannelsOff(ctx, actor.OrgID, r.AgendaID, off); err != nil {
				return err
			}
		}
		if out, err = channelsOf(ctx, tx, actor.OrgID, agendas); err != nil {
			return err
		}
		return auditChannels(ctx, tx, actor, id, was, out)
	})
	return out, err
}

// auditChannels records a save of the agenda × channel table (ADM-5): one "agenda.channels"
// change per agenda whose switches changed, subject the agenda's name and one field per
// channel (true: on), so the log answers "who turned SMS off for this agenda, and what was
// it before?". A save that changed nothing is still recorded, once, under the clinic's name.
func auditChannels(ctx context.Context, tx *store.Tx, actor clinic.Actor, id clinic.ClinicID, was, now []AgendaChannels) error {
	names := map[clinic.AgendaID]string{}
	as, err := tx.Directory().Agendas(ctx, actor.OrgID, store.AgendaFilter{ClinicID: id}, store.Page{Limit: 500})
	if err != nil {
		return err
	}
	for _, a := range as {
		names[a.ID] = a.Name
	}
	// The channels in the table's order, each true when on.
	type switches struct {
		SMS   bool `json:"sms"`
		Email bool `json:"email"`
		Push  bool `json:"push"`
	}
	of := func(off []consent.Channel) switches {
		return switches{SMS: !slices.Contains(off, consent.ChannelSMS), Email: !slices.Contains(off, consent.ChannelEmail),
			Push: !slices.Contains(off, consent.ChannelPush)}
	}
	changed := false
	for i, row := range now {
		before, after := of(was[i].Off), of(row.Off)
		if before == after {
			continue
		}
		changed = true
		if err := audit.Change(ctx, tx, actor, "agenda.channels", names[row.AgendaID], before, after); err != nil {
			return err
		}
	}
	if changed {
		return nil
	}
	c, err := tx.Directory().Clinic(ctx, actor.OrgID, id)
	if err != nil {
		return err
	}
	return audit.Change(ctx, tx, actor, "agenda.channels", c.Name, nil, nil)
}
