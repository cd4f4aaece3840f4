package store

// The queries are grouped by capability, each group a small handle over the transaction:
// tx.Directory(), tx.Patients(), tx.Schedule(), tx.Appointments(), tx.Staff(),
// tx.AuditTrail(), tx.Consent(). A handle embeds *Tx, so its methods share the transaction, its clock and
// its statement counter, and one capability's query may call another's through tx.
//
// Why handles rather than one type: at some three hundred queries a single *Tx with every
// method is a list nobody can read (go doc prints it in one block). A handle's go doc lists
// one capability's queries, a new capability (consent, notifications, sync, messaging)
// adds its own handle in its own file without touching the others, and a call site says
// which part of the data it touches: tx.Patients().Create(...). Method names keep their
// noun (CreatePatient, not Create) so that every query has one name across the package,
// which keeps grep, the audit of writes (internal/architecture) and stack traces plain.

// Directory queries the organisation's directory: organisations, clinical databases,
// clinics, practitioners, agendas and consultation reasons.
type Directory struct{ *Tx }

// Directory returns the directory queries of tx.
func (tx *Tx) Directory() Directory { return Directory{tx} }

// Patients queries patient records and their relatives.
type Patients struct{ *Tx }

// Patients returns the patient queries of tx.
func (tx *Tx) Patients() Patients { return Patients{tx} }

// Schedule queries working hours, dated exceptions, absences, and what availability reads
// of them (busy intervals, the agendas offering a reason).
type Schedule struct{ *Tx }

// Schedule returns the schedule queries of tx.
func (tx *Tx) Schedule() Schedule { return Schedule{tx} }

// Appointments queries appointments, their events and the idempotency keys of bookings.
type Appointments struct{ *Tx }

// Appointments returns the appointment queries of tx.
func (tx *Tx) Appointments() Appointments { return Appointments{tx} }

// Staff queries staff users, their sessions and the API tokens.
type Staff struct{ *Tx }

// Staff returns the staff queries of tx.
func (tx *Tx) Staff() Staff { return Staff{tx} }

// AuditTrail writes and reads the audit log (ADM-2).
type AuditTrail struct{ *Tx }

// AuditTrail returns the audit log queries of tx.
func (tx *Tx) AuditTrail() AuditTrail { return AuditTrail{tx} }

// base lets helpers such as collect take a transaction or any of its handles.
func (tx *Tx) base() *Tx { return tx }

// txer is a transaction or one of its handles.
type txer interface{ base() *Tx }

// Consent queries the patients' consent records (CON-3) and the agenda × channel switches
// (CON-5).
type Consent struct{ *Tx }

// Consent returns the consent queries of tx.
func (tx *Tx) Consent() Consent { return Consent{tx} }
