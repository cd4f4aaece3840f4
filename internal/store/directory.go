package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// Page asks for one page of a list ordered by id: the rows after the cursor After. A list
// ordered by time (ListAppointments: by start, then id) takes the last row's time too, in
// AfterTime, since ids alone do not say where such a page ends.
type Page struct {
	After     int64
	AfterTime time.Time
	Limit     int
}

// Size is the page size a list will use: Limit clamped to 1..500, 50 when unset. Callers
// compare it with what came back to know whether a next page exists.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return 50
	case p.Limit > 500:
		return 500
	}
	return p.Limit
}

// CreateOrganisation adds a tenant.
//
// Errors: clinic.ErrConflict when the slug is taken.
func (tx Directory) CreateOrganisation(ctx context.Context, o clinic.Organisation) (clinic.Organisation, error) {
	o.CreatedAt = tx.Now
	if o.Zone == "" {
		o.Zone = "UTC"
	}
	err := tx.q.queryRow(ctx, `INSERT INTO organisations (slug, name, zone, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		o.Slug, o.Name, o.Zone, o.CreatedAt).Scan(&o.ID)
	if err != nil {
		return o, fmt.Errorf("create organisation: %w", err)
	}
	return o, nil
}

// OrganisationBySlug finds a tenant by its slug (CLI and demo only: requests know their org).
//
// Errors: clinic.ErrNotFound when no organisation has that slug.
func (tx Directory) OrganisationBySlug(ctx context.Context, slug string) (clinic.Organisation, error) {
	var o clinic.Organisation
	err := tx.q.queryRow(ctx, `SELECT id, slug, name, zone, created_at FROM organisations WHERE slug = $1`, slug).
		Scan(&o.ID, &o.Slug, &o.Name, &o.Zone, &o.CreatedAt)
	if err != nil {
		return o, fmt.Errorf("organisation %q: %w", slug, err)
	}
	return o, nil
}

// Organisation reads the caller's own organisation.
//
// Errors: clinic.ErrNotFound when org does not exist.
func (tx Directory) Organisation(ctx context.Context, org clinic.OrgID) (clinic.Organisation, error) {
	var o clinic.Organisation
	err := tx.q.queryRow(ctx, `SELECT id, slug, name, zone, created_at FROM organisations WHERE id = $1`, org).
		Scan(&o.ID, &o.Slug, &o.Name, &o.Zone, &o.CreatedAt)
	if err != nil {
		return o, fmt.Errorf("organisation %d: %w", org, err)
	}
	return o, nil
}

// ---- clinical databases

const databaseCols = `id, organisation_id, name, kind, software_profile, respect_opt_out, created_at, updated_at`

func scanDatabase(r row) (clinic.Database, error) {
	var d clinic.Database
	err := r.Scan(&d.ID, &d.OrgID, &d.Name, &d.Kind, &d.Profile, &d.RespectOptOut, &d.CreatedAt, &d.UpdatedAt)
	return d, err
}

// CreateDatabase adds a clinical database.
//
// Errors: clinic.ErrInvalid when d.Kind is not a known kind; clinic.ErrNotFound when org does
// not exist.
func (tx Directory) CreateDatabase(ctx context.Context, org clinic.OrgID, d clinic.Database) (clinic.Database, error) {
	d.OrgID, d.CreatedAt, d.UpdatedAt = org, tx.Now, tx.Now
	err := tx.q.queryRow(ctx, `INSERT INTO clinical_databases (organisation_id, name, kind, software_profile, respect_opt_out, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		org, d.Name, d.Kind, d.Profile, d.RespectOptOut, tx.Now, tx.Now).Scan(&d.ID)
	if err != nil {
		return d, fmt.Errorf("create database: %w", err)
	}
	return d, nil
}

// Database reads one clinical database of org.
//
// Errors: clinic.ErrNotFound when id is not one of org's databases.
func (tx Directory) Database(ctx context.Context, org clinic.OrgID, id clinic.DatabaseID) (clinic.Database, error) {
	d, err := scanDatabase(tx.q.queryRow(ctx, `SELECT `+databaseCols+` FROM clinical_databases WHERE organisation_id = $1 AND id = $2`, org, id))
	if err != nil {
		return d, fmt.Errorf("database %d: %w", id, err)
	}
	return d, nil
}

// Databases lists org's clinical databases.
//
// Errors: none of its own (nothing matching is an empty list).
func (tx Directory) Databases(ctx context.Context, org clinic.OrgID, p Page) ([]clinic.Database, error) {
	return collect(ctx, tx, scanDatabase, `SELECT `+databaseCols+` FROM clinical_databases
		WHERE organisation_id = $1 AND id > $2 ORDER BY id LIMIT $3`, org, p.After, p.Size())
}

// UpdateDatabase saves a clinical database's editable fields.
//
// Errors: clinic.ErrNotFound when d.ID is not one of org's databases; clinic.ErrInvalid when
// d.Kind is not a known kind.
func (tx Directory) UpdateDatabase(ctx context.Context, org clinic.OrgID, d clinic.Database) (clinic.Database, error) {
	d.OrgID, d.UpdatedAt = org, tx.Now
	err := one(tx.q.exec(ctx, `UPDATE clinical_databases SET name = $3, kind = $4, software_profile = $5, respect_opt_out = $6, updated_at = $7
		WHERE organisation_id = $1 AND id = $2`, org, d.ID, d.Name, d.Kind, d.Profile, d.RespectOptOut, tx.Now))
	if err != nil {
		return d, fmt.Errorf("update database %d: %w", d.ID, err)
	}
	return tx.Directory().Database(ctx, org, d.ID)
}

// ---- clinics

const clinicCols = `id, organisation_id, database_id, slug, name, zone, region, address, created_at, updated_at,
	horizon_days, min_notice_minutes, cancel_notice_minutes, grid_minutes, allow_no_preference, allow_online_changes`

func scanClinic(r row) (clinic.Clinic, error) {
	var c clinic.Clinic
	var notice, cancel int64
	err := r.Scan(&c.ID, &c.OrgID, &c.DatabaseID, &c.Slug, &c.Name, &c.Zone, &c.Region, &c.Address, &c.CreatedAt, &c.UpdatedAt,
		&c.Rules.HorizonDays, &notice, &cancel, &c.Rules.GridMinutes, &c.Rules.AllowNoPreference, &c.Rules.AllowOnlineChanges)
	c.Rules.MinNotice, c.Rules.CancelNotice = time.Duration(notice)*time.Minute, time.Duration(cancel)*time.Minute
	return c, err
}

// CreateClinic adds a clinic.
//
// Errors: clinic.ErrConflict when org already has a clinic with c.Slug; clinic.ErrNotFound
// when c.DatabaseID is not one of org's databases; clinic.ErrInvalid when a booking rule is
// out of range.
func (tx Directory) CreateClinic(ctx context.Context, org clinic.OrgID, c clinic.Clinic) (clinic.Clinic, error) {
	c.OrgID, c.CreatedAt, c.UpdatedAt = org, tx.Now, tx.Now
	if c.Rules == (clinic.BookingRules{}) {
		c.Rules = clinic.DefaultBookingRules()
	}
	r := c.Rules
	err := tx.q.queryRow(ctx, `INSERT INTO clinics (organisation_id, database_id, slug, name, zone, region, address, created_at, updated_at,
			horizon_days, min_notice_minutes, cancel_notice_minutes, grid_minutes, allow_no_preference, allow_online_changes)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
		org, c.DatabaseID, c.Slug, c.Name, c.Zone, c.Region, c.Address, tx.Now, tx.Now,
		r.HorizonDays, int64(r.MinNotice/time.Minute), int64(r.CancelNotice/time.Minute), r.GridMinutes, r.AllowNoPreference, r.AllowOnlineChanges).Scan(&c.ID)
	if err != nil {
		return c, fmt.Errorf("create clinic: %w", err)
	}
	return c, nil
}

// Clinic reads one clinic of org.
//
// Errors: clinic.ErrNotFound when id is not one of org's clinics.
func (tx Directory) Clinic(ctx context.Context, org clinic.OrgID, id clinic.ClinicID) (clinic.Clinic, error) {
	c, err := scanClinic(tx.q.queryRow(ctx, `SELECT `+clinicCols+` FROM clinics WHERE organisation_id = $1 AND id = $2`, org, id))
	if err != nil {
		return c, fmt.Errorf("clinic %d: %w", id, err)
	}
	return c, nil
}

// Clinics lists org's clinics.
//
// Errors: none of its own (nothing matching is an empty list).
func (tx Directory) Clinics(ctx context.Context, org clinic.OrgID, p Page) ([]clinic.Clinic, error) {
	return collect(ctx, tx, scanClinic, `SELECT `+clinicCols+` FROM clinics
		WHERE organisation_id = $1 AND id > $2 ORDER BY id LIMIT $3`, org, p.After, p.Size())
}

// ClinicsOfDatabase lists the clinics sharing database id (CON-2 names them).
//
// Errors: none of its own (nothing matching is an empty list).
func (tx Directory) ClinicsOfDatabase(ctx context.Context, org clinic.OrgID, id clinic.DatabaseID) ([]clinic.Clinic, error) {
	return collect(ctx, tx, scanClinic, `SELECT `+clinicCols+` FROM clinics
		WHERE organisation_id = $1 AND database_id = $2 ORDER BY id`, org, id)
}

// UpdateClinic saves a clinic's editable fields.
//
// Errors: clinic.ErrNotFound when c.ID or c.DatabaseID is not org's; clinic.ErrConflict when
// org already has another clinic with c.Slug; clinic.ErrInvalid when a booking rule is out
// of range.
func (tx Directory) UpdateClinic(ctx context.Context, org clinic.OrgID, c clinic.Clinic) (clinic.Clinic, error) {
	r := c.Rules
	err := one(tx.q.exec(ctx, `UPDATE clinics SET database_id = $3, slug = $4, name = $5, zone = $6, region = $7, address = $8, updated_at = $9,
			horizon_days = $10, min_notice_minutes = $11, cancel_notice_minutes = $12, grid_minutes = $13, allow_no_preference = $14,
			allow_online_changes = $15
		WHERE organisation_id = $1 AND id = $2`, org, c.ID, c.DatabaseID, c.Slug, c.Name, c.Zone, c.Region, c.Address, tx.Now,
		r.HorizonDays, int64(r.MinNotice/time.Minute), int64(r.CancelNotice/time.Minute), r.GridMinutes, r.AllowNoPreference, r.AllowOnlineChanges))
	if err != nil {
		return c, fmt.Errorf("update clinic %d: %w", c.ID, err)
	}
	return tx.Directory().Clinic(ctx, org, c.ID)
}

// ---- practitioners

const practitionerCols = `id, organisation_id, name, title, created_at, updated_at`

func scanPractitioner(r row) (clinic.Practitioner, error) {
	var p clinic.Practitioner
	err := r.Scan(&p.ID, &p.OrgID, &p.Name, &p.Title, &p.CreatedAt, &p.UpdatedAt)
	return p, err
}

// CreatePractitioner adds a practitioner.
//
// Errors: clinic.ErrNotFound when org does not exist.
func (tx Directory) CreatePractitioner(ctx context.Context, org clinic.OrgID, p clinic.Practitioner) (clinic.Practitioner, error) {
	p.OrgID, p.CreatedAt, p.UpdatedAt = org, tx.Now, tx.Now
	err := tx.q.queryRow(ctx, `INSERT INTO practitioners (organisation_id, name, title, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, org, p.Name, p.Title, tx.Now, tx.Now).Scan(&p.ID)
	if err != nil {
		return p, fmt.Errorf("create practitioner: %w", err)
	}
	return p, nil
}

// Practitioner reads one practitioner of org.
//
// Errors: clinic.ErrNotFound when id is not one of org's practitioners.
func (tx Directory) Practitioner(ctx context.Context, org clinic.OrgID, id clinic.PractitionerID) (clinic.Practitioner, error) {
	p, err := scanPractitioner(tx.q.queryRow(ctx, `SELECT `+practitionerCols+` FROM practitioners WHERE organisation_id = $1 AND id = $2`, org, id))
	if err != nil {
		return p, fmt.Errorf("practitioner %d: %w", id, err)
	}
	return p, nil
}

// Practitioners lists org's practitioners.
//
// Errors: none of its own (nothing matching is an empty list).
func (tx Directory) Practitioners(ctx context.Context, org clinic.OrgID, p Page) ([]clinic.Practitioner, error) {
	return collect(ctx, tx, scanPractitioner, `SELECT `+practitionerCols+` FROM practitioners
		WHERE organisation_id = $1 AND id > $2 ORDER BY id LIMIT $3`, org, p.After, p.Size())
}

// UpdatePractitioner saves a practitioner's editable fields.
//
// Errors: clinic.ErrNotFound when p.ID is not one of org's practitioners.
func (tx Directory) UpdatePractitioner(ctx context.Context, org clinic.OrgID, p clinic.Practitioner) (clinic.Practitioner, error) {
	err := one(tx.q.exec(ctx, `UPDATE practitioners SET name = $3, title = $4, updated_at = $5 WHERE organisation_id = $1 AND id = $2`,
		org, p.ID, p.Name, p.Title, tx.Now))
	if err != nil {
		return p, fmt.Errorf("update practitioner %d: %w", p.ID, err)
	}
	return tx.Directory().Practitioner(ctx, org, p.ID)
}

// ---- agendas

const agendaCols = `id, organisation_id, clinic_id, practitioner_id, name, active, availability_version, created_at, updated_at`

func scanAgenda(r row) (clinic.Agenda, error) {
	var a clinic.Agenda
	var pid *int64
	err := r.Scan(&a.ID, &a.OrgID, &a.ClinicID, &pid, &a.Name, &a.Active, &a.AvailabilityVersion, &a.CreatedAt, &a.UpdatedAt)
	if pid != nil {
		v := clinic.PractitionerID(*pid)
		a.PractitionerID = &v
	}
	return a, err
}

// CreateAgenda adds an agenda.
//
// Errors: clinic.ErrNotFound when a.ClinicID or a.PractitionerID is not org's.
func (tx Directory) CreateAgenda(ctx context.Context, org clinic.OrgID, a clinic.Agenda) (clinic.Agenda, error) {
	a.OrgID, a.CreatedAt, a.UpdatedAt = org, tx.Now, tx.Now
	err := tx.q.queryRow(ctx, `INSERT INTO agendas (organisation_id, clinic_id, practitioner_id, name, active, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, org, a.ClinicID, ptrID(a.PractitionerID), a.Name, a.Active, tx.Now, tx.Now).Scan(&a.ID)
	if err != nil {
		return a, fmt.Errorf("create agenda: %w", err)
	}
	return a, nil
}

func ptrID[T ~int64](p *T) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

// Agenda reads one agenda of org.
//
// Errors: clinic.ErrNotFound when id is not one of org's agendas.
func (tx Directory) Agenda(ctx context.Context, org clinic.OrgID, id clinic.AgendaID) (clinic.Agenda, error) {
	a, err := scanAgenda(tx.q.queryRow(ctx, `SELECT `+agendaCols+` FROM agendas WHERE organisation_id = $1 AND id = $2`, org, id))
	if err != nil {
		return a, fmt.Errorf("agenda %d: %w", id, err)
	}
	return a, nil
}

// AgendaFilter narrows Agendas.
type AgendaFilter struct {
	ClinicID clinic.ClinicID // 0: every clinic
}

// Agendas lists org's agendas.
//
// Errors: none of its own (nothing matching is an empty list).
func (tx Directory) Agendas(ctx context.Context, org clinic.OrgID, f AgendaFilter, p Page) ([]clinic.Agenda, error) {
	return collect(ctx, tx, scanAgenda, `SELECT `+agendaCols+` FROM agendas
		WHERE organisation_id = $1 AND id > $2 AND (CAST($4 AS BIGINT) = 0 OR clinic_id = $4) ORDER BY id LIMIT $3`, org, p.After, p.Size(), int64(f.ClinicID))
}

// UpdateAgenda saves an agenda's editable fields.
//
// Errors: clinic.ErrNotFound when a.ID, a.ClinicID or a.PractitionerID is not org's.
func (tx Directory) UpdateAgenda(ctx context.Context, org clinic.OrgID, a clinic.Agenda) (clinic.Agenda, error) {
	err := one(tx.q.exec(ctx, `UPDATE agendas SET clinic_id = $3, practitioner_id = $4, name = $5, active = $6, updated_at = $7
		WHERE organisation_id = $1 AND id = $2`, org, a.ID, a.ClinicID, ptrID(a.PractitionerID), a.Name, a.Active, tx.Now))
	if err != nil {
		return a, fmt.Errorf("update agenda %d: %w", a.ID, err)
	}
	return tx.Directory().Agenda(ctx, org, a.ID)
}

// ---- reasons

// onlineFor stores a reason's OnlineFor, everyone when unset.
func onlineFor(o clinic.OnlineFor) string {
	if o == "" {
		return string(clinic.OnlineForAll)
	}
	return string(o)
}

const reasonCols = `id, organisation_id, clinic_id, name, duration_minutes, buffer_after_minutes, notifications, online_bookable, online_for, created_at, updated_at`

func scanReason(r row) (clinic.Reason, error) {
	var x clinic.Reason
	var dur, buf int64
	err := r.Scan(&x.ID, &x.OrgID, &x.ClinicID, &x.Name, &dur, &buf, &x.Notifications, &x.OnlineBookable, &x.OnlineFor, &x.CreatedAt, &x.UpdatedAt)
	x.Duration, x.BufferAfter = time.Duration(dur)*time.Minute, time.Duration(buf)*time.Minute
	return x, err
}

// CreateReason adds a consultation reason and the agendas that offer it.
//
// Errors: clinic.ErrNotFound when x.ClinicID or one of x.AgendaIDs is not org's;
// clinic.ErrInvalid when the duration is not 5 to 720 minutes or the buffer not 0 to 240.
func (tx Directory) CreateReason(ctx context.Context, org clinic.OrgID, x clinic.Reason) (clinic.Reason, error) {
	x.OrgID, x.CreatedAt, x.UpdatedAt = org, tx.Now, tx.Now
	x.OnlineFor = clinic.OnlineFor(onlineFor(x.OnlineFor))
	err := tx.q.queryRow(ctx, `INSERT INTO reasons (organisation_id, clinic_id, name, duration_minutes, buffer_after_minutes, notifications, online_bookable, online_for, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		org, x.ClinicID, x.Name, int64(x.Duration/time.Minute), int64(x.BufferAfter/time.Minute), x.Notifications, x.OnlineBookable, onlineFor(x.OnlineFor), tx.Now, tx.Now).Scan(&x.ID)
	if err != nil {
		return x, fmt.Errorf("create reason: %w", err)
	}
	if err := tx.setReasonAgendas(ctx, org, x.ID, x.AgendaIDs); err != nil {
		return x, err
	}
	return x, nil
}

func (tx *Tx) setReasonAgendas(ctx context.Context, org clinic.OrgID, id clinic.ReasonID, agendas []clinic.AgendaID) error {
	if _, err := tx.q.exec(ctx, `DELETE FROM agenda_reasons WHERE organisation_id = $1 AND reason_id = $2`, org, id); err != nil {
		return fmt.Errorf("reason %d agendas: %w", id, err)
	}
	for _, a := range agendas {
		if _, err := tx.q.exec(ctx, `INSERT INTO agenda_reasons (organisation_id, agenda_id, reason_id) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, org, a, id); err != nil {
			return fmt.Errorf("reason %d agenda %d: %w", id, a, err)
		}
	}
	return nil
}

// Reason reads one reason of org with its agendas.
//
// Errors: clinic.ErrNotFound when id is not one of org's reasons.
func (tx Directory) Reason(ctx context.Context, org clinic.OrgID, id clinic.ReasonID) (clinic.Reason, error) {
	x, err := scanReason(tx.q.queryRow(ctx, `SELECT `+reasonCols+` FROM reasons WHERE organisation_id = $1 AND id = $2`, org, id))
	if err != nil {
		return x, fmt.Errorf("reason %d: %w", id, err)
	}
	rs := []clinic.Reason{x}
	if err := tx.fillReasonAgendas(ctx, org, rs); err != nil {
		return x, err
	}
	return rs[0], nil
}

func (tx *Tx) fillReasonAgendas(ctx context.Context, org clinic.OrgID, rs []clinic.Reason) error {
	if len(rs) == 0 {
		return nil
	}
	idx := make(map[clinic.ReasonID]int, len(rs))
	ids := make([]string, len(rs))
	for i, r := range rs {
		idx[r.ID] = i
		ids[i] = fmt.Sprint(int64(r.ID))
	}
	type link struct {
		reason clinic.ReasonID
		agenda clinic.AgendaID
	}
	// The ids are integers we formatted ourselves, so inlining them is safe and keeps
	// the statement portable (no array parameters on SQLite).
	links, err := collect(ctx, tx, func(r row) (link, error) {
		var l link
		return l, r.Scan(&l.reason, &l.agenda)
	}, `SELECT reason_id, agenda_id FROM agenda_reasons WHERE organisation_id = $1 AND reason_id IN (`+strings.Join(ids, ",")+`) ORDER BY agenda_id`, org)
	if err != nil {
		return fmt.Errorf("reason agendas: %w", err)
	}
	for _, l := range links {
		r := &rs[idx[l.reason]]
		r.AgendaIDs = append(r.AgendaIDs, l.agenda)
	}
	return nil
}

// ReasonFilter narrows Reasons.
type ReasonFilter struct {
	ClinicID clinic.ClinicID // 0: every clinic
}

// Reasons lists org's reasons with their agendas.
//
// Errors: none of its own (nothing matching is an empty list).
func (tx Directory) Reasons(ctx context.Context, org clinic.OrgID, f ReasonFilter, p Page) ([]clinic.Reason, error) {
	rs, err := collect(ctx, tx, scanReason, `SELECT `+reasonCols+` FROM reasons
		WHERE organisation_id = $1 AND id > $2 AND (CAST($4 AS BIGINT) = 0 OR clinic_id = $4) ORDER BY id LIMIT $3`, org, p.After, p.Size(), int64(f.ClinicID))
	if err != nil {
		return nil, err
	}
	return rs, tx.fillReasonAgendas(ctx, org, rs)
}

// UpdateReason saves a reason's editable fields and its agendas.
//
// Errors: clinic.ErrNotFound when x.ID, x.ClinicID or one of x.AgendaIDs is not org's;
// clinic.ErrInvalid when the duration is not 5 to 720 minutes or the buffer not 0 to 240.
func (tx Directory) UpdateReason(ctx context.Context, org clinic.OrgID, x clinic.Reason) (clinic.Reason, error) {
	err := one(tx.q.exec(ctx, `UPDATE reasons SET clinic_id = $3, name = $4, duration_minutes = $5, buffer_after_minutes = $6,
		notifications = $7, online_bookable = $8, online_for = $10, updated_at = $9 WHERE organisation_id = $1 AND id = $2`,
		org, x.ID, x.ClinicID, x.Name, int64(x.Duration/time.Minute), int64(x.BufferAfter/time.Minute), x.Notifications, x.OnlineBookable, tx.Now, onlineFor(x.OnlineFor)))
	if err != nil {
		return x, fmt.Errorf("update reason %d: %w", x.ID, err)
	}
	if err := tx.setReasonAgendas(ctx, org, x.ID, x.AgendaIDs); err != nil {
		return x, err
	}
	return tx.Directory().Reason(ctx, org, x.ID)
}
