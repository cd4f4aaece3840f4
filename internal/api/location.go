package api

import "strconv"

// The URLs of the resources the API creates outside crud (which sets its own), for the
// Location of their 201 (see location). Exceptions, absences and SMS accounts have no GET
// of their own: their URL is the one that deletes them.

func (x Appointment) location() string {
	return Prefix + "/appointments/" + strconv.FormatInt(x.ID, 10)
}

func (x Exception) location() string { return Prefix + "/exceptions/" + strconv.FormatInt(x.ID, 10) }

func (x AbsenceCreated) location() string {
	return Prefix + "/absences/" + strconv.FormatInt(x.Absence.ID, 10)
}

func (x SMSAccount) location() string { return Prefix + "/sms-accounts/" + strconv.FormatInt(x.ID, 10) }
