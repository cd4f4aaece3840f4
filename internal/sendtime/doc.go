// Package sendtime says when a reminder is due and when a message may go out: the timing
// rules of SPEC NOT-1 (per-clinic reminder offsets), NOT-8 (quiet hours) and NOT-9 (time
// zones and daylight saving), stated once (issue 8 item 4) so that the planner, the
// dispatcher, the dashboard's preview and the API agree to the instant.
//
// # Offsets
//
// A clinic lists its reminders as offsets before the appointment. There are three kinds,
// and the text form a clinic configures says which:
//
//	text        kind              due
//	2h, 90m     elapsed           exactly that long before the start (start − d)
//	1h30m, 36h  elapsed           idem: anything that is not a whole number of days
//	24h, 72h    days              the start's wall-clock time, that many days earlier
//	1d, 3d      days              idem (1d is 24h)
//	1d@10:00    days at a clock   10:00 on the clock, the day before the appointment's date
//	0d@07:00    days at a clock   07:00 on the appointment's own date
//
// Whole days are calendar days in the clinic's zone, not multiples of 24 elapsed hours: a
// "24 h" reminder for a 09:00 appointment goes out at 09:00 the day before also when the
// clocks change in between (then 23 or 25 hours before). That is what a patient reads in
// "your appointment is tomorrow at 9" and what staff mean by "the day before", and it is how
// NOT-9 is written. Offsets under a day (or 36h) are elapsed time: "2 h before" a 03:30
// appointment on the night the clocks go forward is 00:30, three wall-clock hours earlier,
// because "two hours' notice" is about the patient's travel, not the clock face.
//
// The grammar, after surrounding spaces are trimmed (everything is lower case, no inner
// spaces; numbers are decimal with at most five digits):
//
//	offset  = elapsed | days | at
//	elapsed = number "h" [ number "m" ] | number "m"      (the minutes below 60 after hours)
//	days    = number "d"
//	at      = number "d@" clock                            (clock as walltime.ParseClock: 9:00, 09:00)
//
// Bounds: an elapsed or whole-day offset is at least 15 minutes (MinBefore: less is no
// reminder, and the dispatcher's granularity) and at most 30 days (MaxDays, the furthest
// a clinic books ahead in practice, and a bound on what a typo can do); an "at" offset is 0
// to 30 days before. String writes the canonical form: whole days as hours ("72h", as the
// spec and clinics say it), elapsed time as "2h", "45m" or "1h30m", clocks as "1d@10:00".
// Parse and String round-trip (FuzzParse).
//
// # The wall-clock rule, around daylight saving
//
// A days or "at" offset names a reading of the clinic's clock: a civil date and a time of
// day. The reminder is due at the first instant at which the clinic's clock reads that date
// and time or later. That one sentence decides the three cases:
//
//   - the reading happens once: that instant (Exact);
//   - it happens twice, the clocks going back over it: the earlier instant (Repeated), so the
//     reminder is never later than the patient expects, and never goes out twice;
//   - it never happens, the clocks jumping forward over it: the instant of the jump
//     (Skipped), whose reading is the first that exists after the one asked for (a 02:30
//     reminder on the night Sydney goes from 02:00 to 03:00 goes out at 03:00 AEDT).
//
// Exact and Repeated are walltime.At's answer, the same conversion that turns "09:00" typed
// in the dashboard into an instant, so a reminder and the appointment it announces cannot
// disagree about what 09:00 is. The jump is found with time.ZoneBounds. A start with seconds
// keeps them (a wall time of 09:00:30 is due at 09:00:30 the day before).
//
// # Planning
//
// Plan computes every offset of a clinic for one appointment and says which reminders are
// dropped and why: one due at or after the start (a "0d@10:00" reminder for a 09:00
// appointment), one already in the past at planning time (a booking made 1 h before gets no
// 2 h reminder), and one due at the very instant of an earlier-listed one ("24h" and
// "1d@09:00" for a 09:00 appointment: one SMS, not two). Whether a kept reminder is then
// sent is decided at its send time (NOT-3, package consent), not here.
//
// # Quiet hours
//
// A Window is the part of each day in which a clinic sends SMS (NOT-8), such as 08:00 to
// 20:00; it may cross midnight (18:00 to 06:00). It is read on the clinic's clock like the
// offsets: the window is open at an instant when the clock's time of day then is in
// [From, To). NextAllowed(t) is the first open instant at or after t: a message due in the
// quiet hours waits for the window to open. On a day the clocks jump over the opening the
// window opens at the jump; on a day they go back over a boundary the repeated readings are
// judged again by the same rule. Quiet hours apply to the channels the dispatcher says (SMS),
// at send time; a reminder whose window opens only at or after the appointment's start is
// the dispatcher's to drop, as NextAllowed cannot know the start.
//
// # Purity
//
// Everything here is a function of its arguments: no clock (now is passed in), no I/O, no
// package-level state, so the timing rules are proved by tables and by rapid properties
// against a brute-force oracle that scans minute by minute (oracle_test.go), around every
// daylight-saving change 2024–2030 in Australia/Sydney, Australia/Lord_Howe,
// Australia/Adelaide, Europe/Paris and America/New_York (dst_test.go).
//
// Dependency rule: the standard library, internal/clinic (field errors) and internal/walltime
// (wall time to instant) only; internal/architecture.TestEnginesArePure holds it. The caller supplies the *time.Location;
// the binary embeds time/tzdata (cmd/tidings), and so do these tests.
package sendtime
