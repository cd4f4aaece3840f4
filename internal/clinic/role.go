package clinic

// Role is a staff role (ADM-1). Roles are not a strict ladder: reception and practitioners
// see different things, so permissions are granted per role, not by rank.
type Role string

// The staff roles.
const (
	RoleAdministrator      Role = "administrator"
	RoleAppointmentManager Role = "appointment_manager"
	RolePractitioner       Role = "practitioner"
	RoleReception          Role = "reception"
)

// Roles lists every role, most powerful first.
func Roles() []Role {
	return []Role{RoleAdministrator, RoleAppointmentManager, RolePractitioner, RoleReception}
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, v := range Roles() {
		if v == r {
			return true
		}
	}
	return false
}

// Permission is one thing a route may require. Each route declares exactly one, and one
// function (Can) decides, so the route × role table is the whole access policy.
type Permission string

// Permissions, named after what they allow.
const (
	PermReadDirectory   Permission = "directory.read"   // clinics, agendas, reasons, practitioners
	PermManageDirectory Permission = "directory.manage" // create/update them (administrators)
	PermReadPatients    Permission = "patients.read"    // patient files
	PermWritePatients   Permission = "patients.write"   // create/update patients
	PermReadSchedule    Permission = "schedule.read"    // agendas' appointments
	PermWriteSchedule   Permission = "schedule.write"   // book, move, cancel
	PermSetStatus       Permission = "schedule.status"  // arrived, seen, no-show
	PermManageSchedule  Permission = "schedule.manage"  // working hours, exceptions, absences
	PermReadAudit       Permission = "audit.read"       // the audit log
	PermManageStaff     Permission = "staff.manage"     // staff accounts and API tokens (administrators)
	PermPatientConsent  Permission = "patients.consent" // a patient's notification switch and consent (CON-3, CON-7)
	// PermFollowUp acts on results and recalls (RES-7): start, skip, mark done, create. Every
	// role holds it: reception phones patients, practitioners and nurses act on results.
	PermFollowUp Permission = "recalls.follow_up"
	PermSignedIn Permission = "signed_in" // any staff member
)

// grants lists the permissions of each role. A function, not a package map, so that
// nothing can change the policy at run time.
func grants(r Role) []Permission {
	switch r {
	case RoleAdministrator:
		return []Permission{PermSignedIn, PermReadDirectory, PermManageDirectory, PermReadPatients, PermWritePatients,
			PermReadSchedule, PermWriteSchedule, PermSetStatus, PermManageSchedule, PermReadAudit, PermManageStaff, PermPatientConsent, PermFollowUp}
	case RoleAppointmentManager:
		return []Permission{PermSignedIn, PermReadDirectory, PermReadPatients, PermWritePatients,
			PermReadSchedule, PermWriteSchedule, PermSetStatus, PermManageSchedule, PermPatientConsent, PermFollowUp}
	case RoleReception:
		return []Permission{PermSignedIn, PermReadDirectory, PermReadPatients, PermWritePatients,
			PermReadSchedule, PermWriteSchedule, PermSetStatus, PermFollowUp}
	case RolePractitioner:
		return []Permission{PermSignedIn, PermReadDirectory, PermReadPatients, PermReadSchedule, PermSetStatus, PermFollowUp}
	}
	return nil
}

// Can reports whether role r holds permission p.
func (r Role) Can(p Permission) bool {
	for _, g := range grants(r) {
		if g == p {
			return true
		}
	}
	return false
}
