package directory

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// What a directory change records in the audit log (ADM-5, audit.Change): each record as
// the settings pages show it, with the records it points to named rather than numbered
// ("database": "Harbourside PMS", not 3), so that the log reads "Book up to (days ahead):
// 90 → 120" without a second look-up. The JSON names are the API's field names, which the
// dashboard's audit page labels in words. None of these holds patient data.

// databaseAudit is a clinical database as its change is recorded.
type databaseAudit struct {
	Name          string `json:"name"`
	Kind          string `json:"kind"`
	Profile       string `json:"software_profile"`
	RespectOptOut bool   `json:"respect_opt_out"`
}

func databaseView(_ context.Context, _ *store.Tx, _ clinic.OrgID, v clinic.Database) (string, any, error) {
	return v.Name, databaseAudit{Name: v.Name, Kind: string(v.Kind), Profile: string(v.Profile), RespectOptOut: v.RespectOptOut}, nil
}

// clinicAudit is a clinic as its change is recorded, its booking rules flattened so that
// each rule is a field of its own (a change of one rule lists that rule only). Notice
// periods are in hours, as the booking rules form writes them (1.5 for 90 minutes set
// through the API).
type clinicAudit struct {
	Name               string  `json:"name"`
	Slug               string  `json:"slug"`
	Zone               string  `json:"zone"`
	Region             string  `json:"region"`
	Address            string  `json:"address"`
	Database           string  `json:"database"`
	HorizonDays        int     `json:"horizon_days"`
	MinNoticeHours     float64 `json:"min_notice_hours"`
	CancelNoticeHours  float64 `json:"cancel_notice_hours"`
	GridMinutes        int     `json:"grid_minutes"`
	AllowNoPreference  bool    `json:"allow_no_preference"`
	AllowOnlineChanges bool    `json:"allow_online_changes"`
}

func clinicView(ctx context.Context, tx *store.Tx, org clinic.OrgID, v clinic.Clinic) (string, any, error) {
	db, err := nameOf(func() (string, error) {
		d, err := tx.Directory().Database(ctx, org, v.DatabaseID)
		return d.Name, err
	})
	if err != nil {
		return "", nil, err
	}
	r := v.Rules
	return v.Name, clinicAudit{Name: v.Name, Slug: v.Slug, Zone: v.Zone, Region: v.Region, Address: v.Address, Database: db,
		HorizonDays: r.HorizonDays, MinNoticeHours: r.MinNotice.Hours(), CancelNoticeHours: r.CancelNotice.Hours(),
		GridMinutes: r.GridMinutes, AllowNoPreference: r.AllowNoPreference, AllowOnlineChanges: r.AllowOnlineChanges}, nil
}

// practitionerAudit is a practitioner as their change is recorded.
type practitionerAudit struct {
	Name  string `json:"name"`
	Title string `json:"title"`
}

func practitionerView(_ context.Context, _ *store.Tx, _ clinic.OrgID, v clinic.Practitioner) (string, any, error) {
	return v.Name, practitionerAudit{Name: v.Name, Title: v.Title}, nil
}

// agendaAudit is an agenda as its change is recorded; Practitioner is "" for a room.
type agendaAudit struct {
	Name         string `json:"name"`
	Clinic       string `json:"clinic"`
	Practitioner string `json:"practitioner"`
	Active       bool   `json:"active"`
}

func agendaView(ctx context.Context, tx *store.Tx, org clinic.OrgID, v clinic.Agenda) (string, any, error) {
	cl, err := nameOf(func() (string, error) {
		c, err := tx.Directory().Clinic(ctx, org, v.ClinicID)
		return c.Name, err
	})
	if err != nil {
		return "", nil, err
	}
	var pr string
	if v.PractitionerID != nil {
		if pr, err = nameOf(func() (string, error) {
			p, err := tx.Directory().Practitioner(ctx, org, *v.PractitionerID)
			return p.Name, err
		}); err != nil {
			return "", nil, err
		}
	}
	return v.Name, agendaAudit{Name: v.Name, Clinic: cl, Practitioner: pr, Active: v.Active}, nil
}

// reasonAudit is a consultation reason as its change is recorded: durations in minutes and
// the agendas offering it by name, in the order of their ids.
type reasonAudit struct {
	Name           string   `json:"name"`
	Clinic         string   `json:"clinic"`
	Duration       int      `json:"duration_minutes"`
	BufferAfter    int      `json:"buffer_after_minutes"`
	Notifications  bool     `json:"notifications"`
	OnlineBookable bool     `json:"online_bookable"`
	OnlineFor      string   `json:"online_for"`
	Agendas        []string `json:"agendas"`
}

func reasonView(ctx context.Context, tx *store.Tx, org clinic.OrgID, v clinic.Reason) (string, any, error) {
	out := reasonAudit{Name: v.Name, Duration: int(v.Duration / time.Minute), BufferAfter: int(v.BufferAfter / time.Minute),
		Notifications: v.Notifications, OnlineBookable: v.OnlineBookable, OnlineFor: string(v.OnlineFor), Agendas: []string{}}
	var err error
	if out.Clinic, err = nameOf(func() (string, error) {
		c, err := tx.Directory().Clinic(ctx, org, v.ClinicID)
		return c.Name, err
	}); err != nil {
		return "", nil, err
	}
	if len(v.AgendaIDs) > 0 {
		// One statement for the clinic's agendas rather than one per agenda offered.
		as, err := tx.Directory().Agendas(ctx, org, store.AgendaFilter{ClinicID: v.ClinicID}, store.Page{Limit: 500})
		if err != nil {
			return "", nil, err
		}
		ids := slices.Clone(v.AgendaIDs)
		slices.Sort(ids)
		for _, id := range ids {
			for _, a := range as {
				if a.ID == id {
					out.Agendas = append(out.Agendas, a.Name)
				}
			}
		}
	}
	return v.Name, out, nil
}

// nameOf is the name get reads, or "" when the record is gone (a reference that no longer
// resolves is recorded as empty rather than failing the change).
func nameOf(get func() (string, error)) (string, error) {
	s, err := get()
	if errors.Is(err, clinic.ErrNotFound) {
		return "", nil
	}
	return s, err
}
