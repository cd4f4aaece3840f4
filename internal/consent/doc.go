// Package consent decides whether one message may be sent to one patient on one channel, and
// says why: Decide(Facts) Decision is the whole of SPEC CON-1..8, NOT-3 and NOT-5, and its
// Decision carries the trace that CON-9 asks to store with every notification.
//
// It is pure. Decide reads nothing but its argument: no clock (the only times it looks at,
// when consent was given and when the PMS flag was read, are fields of Facts), no database, no network, no package-level state. The same Facts always give the
// same Decision, on any goroutine, at any hour, so every rule is proved by table tests and
// rapid properties (decide_test.go, property_test.go) and the whole rule set is laid out for
// review in testdata/matrix.golden.
//
// # Rules, in the order they are checked
//
// Every rule is checked for every valid Facts, also after one has blocked, so that the trace
// answers the question staff really ask ("why did this patient not get a reminder, and would
// fixing the mobile number be enough?"). The Outcome is that of the first rule that blocks;
// the order therefore sets which reason the communication log shows first: the state of the
// appointment, then the clinic's switches from the broadest to the narrowest, then the
// patient's consent, and last the destination, since "no destination" is the outcome that the
// caller may still act on (a fallback channel, NOT-7) and must not hide a refusal.
//
//	rule   check            purposes covered                          outcome when it blocks
//	FACTS  valid            all                                       invalid_facts, and nothing else is checked
//	NOT-3  status           reminder, booking_notice                  not_upcoming, not_cancelled
//	CON-6  reason_switch    reminder, booking_notice, waitlist_offer  switched_off_reason
//	CON-5  agenda_switch    reminder, booking_notice, waitlist_offer  switched_off_agenda, unless booked online (CON-8)
//	CON-7  patient_switch   reminder, booking_notice, waitlist_offer  switched_off_patient, unless booked online (CON-8)
//	CON-3  tidings_consent  all but account and reply                 opted_out_tidings
//	CON-1  pms_opt_out      reminder, recall, result                  opted_out_pms, if the setting is on and the flag readable (CON-4)
//	NOT-5  destination      all                                       skipped_no_destination
//
// Invalid Facts fail closed: a decision on facts nobody understands must not send. A rule that
// does not cover the purpose is recorded as skip, so the trace has the same eight lines (one
// for invalid Facts) for every decision.
//
// # Which purposes each rule covers, and why
//
// NOT-3 (status). A reminder goes out only while the appointment is upcoming: booked or
// confirmed (clinic.Status.Upcoming). Arrived, seen, no-show, excused absence and cancelled
// mean it is no longer to come (the Doctolib seed: "si un rendez-vous est … statué comme étant
// Vu, Salle d'attente, Absent excusé… plus aucune notification n'est envoyée"). The status is
// the one at decision time, so a status set and removed again before the send time does not
// stop it. Booking notices are decided at send time too (they may wait for quiet hours,
// NOT-8), so they carry their kind (Facts.Notice): a confirmation or a reschedule notice needs
// an upcoming appointment, and a cancellation notice needs one that is still cancelled or
// excused; a cancellation notice for an appointment reinstated meanwhile is not_cancelled.
// Other purposes are about no appointment.
//
// CON-5, CON-6, CON-7 (switches) are the clinic's control of appointment communications (the
// Doctolib seed's "Communications liées aux rendez-vous"): reminders, booking notices (the
// seed: with the reminder SMS unticked, "vos patients ne recevront pas de SMS en cas
// d'annulation ou de déplacement") and waitlist offers, which are about a slot on an agenda for
// a reason. Recalls, results, message alerts, invites, account e-mails and replies belong to no
// agenda or reason and are governed by consent alone. CON-8: the agenda and patient switches do
// not stop messages about an appointment the patient booked online themselves (the seed: "ne
// recevront aucune notification pour les rendez-vous pris par vos soins mais en recevront pour
// les rendez-vous qu'ils prennent sur Doctolib"); for a waitlist offer, Facts.BookedBy says who
// put the patient on the waitlist. The reason switch stops all of them whoever booked (the
// seed: "qu'ils aient pris rendez-vous sur Doctolib ou non"). A booking by the sync is a booking
// made by staff in the clinical software.
//
// CON-3 (Tidings consent). A consent record made in Tidings (dashboard, portal, an SMS reply
// such as STOP, the API, an import run in Tidings) is per channel and purpose, or for every
// purpose of a channel (PurposeAll: STOP is {sms, all, opt-out}). The newest record that
// applies to the message's channel and purpose decides, whatever the PMS says, until a newer
// one is made in Tidings (the HotDoc seed: "If the patient's opt out preferences are updated
// on HotDoc directly, this will override the settings read from your clinical software"). A
// newer purpose-specific opt-in after a STOP therefore re-enables that purpose only; a newer
// STOP stops everything again. Two records at the same instant: the opt-out wins. Records
// with SourcePMS are the history of the PMS flag, kept for the consent log; they are not
// Tidings-side changes and Decide ignores them (the flag itself is Facts.PMS). Two purposes
// are exempt: account (a password reset the patient asked for; refusing it would lock them out
// of the portal where they manage their consent) and reply (the answer to the patient's own
// SMS, such as the confirmation of their STOP). Invites are covered: an invitation is a
// message the patient did not ask for.
//
// CON-1 (PMS opt-out) covers reminders, recalls and results. The HotDoc seed lists the
// communications the setting applies to, "Recalls" and "Appointment reminders"; SPEC CON-1
// adds results, which HotDoc sends as recall sequences (RES-8). Booking notices, message
// alerts, waitlist offers, invites, account e-mails and replies answer something the patient or
// the clinic just did and are not blocked by an opt-out read from the clinical software. The
// flag blocks only when the database's setting "respect patient opt-out status in the clinical
// software" is on and the database's software profile can read the flag (CON-4: with Best
// Practice from Indigo SP1 on "you will need to start managing all patients' SMS consent
// preferences in your HotDoc Sidebar or your HotDoc Dashboard", so a flag stored before the
// upgrade is stale and is ignored). It is channel-blind, as the PMS flag is.
//
// NOT-5 (destination). SMS needs a valid mobile number, e-mail a valid address, push a live
// subscription. A missing and an invalid destination are both skipped_no_destination; the
// message text tells them apart, since staff fix them differently.
//
// # Design
//
// Facts holds plain values and no pointers into the database, so that a dispatcher can load
// the facts of a batch of notifications with one query per table (databases, patients,
// consent records, agenda switches, reasons, appointments) and assemble one Facts per
// notification; Facts of one patient may share one Consents slice, which Decide never
// modifies. Zero values fail closed: a switch left false is off, a destination left zero is
// missing, a purpose left empty is invalid. The one exception is PMS.Respect, which keeps the
// name and sense of clinic.Database.RespectOptOut so that it is copied, not inverted.
//
// Decide is on the dispatch hot path (≤ 2 µs with its trace). The trace is a fixed array of
// steps inside the Decision and each step holds its inputs in a fixed array of key/value
// pairs whose values are constant strings, strings taken from the Facts, or times kept as
// time.Time: Decide allocates nothing, and text is made only when asked for (Step.String,
// Decision.Lines, Decision.Text).
//
// Messages: each Outcome has an English sentence for the communication log (the Msg…
// constants, with {0}, {1}… placeholders as in internal/i18n); Decision.Text(now) fills them,
// times relative to now. Every text it can produce is made of keys listed by Keys, so the
// catalog translates a stored English text by its patterns, arguments included.
//
// Dependency rule: this package imports only the standard library and internal/clinic, and
// does no I/O.
package consent
