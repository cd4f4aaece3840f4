// Package compose holds the words of every notification Tidings sends a patient (NOT-2): one
// template per kind × channel × language, the English and French texts shipped with Tidings,
// and the rules a clinic's own edited text must follow. It validates (Check), renders (Render)
// and previews (Preview) templates; storing a clinic's edited text is the store's business.
//
// # Templates
//
// A template is plain text with variables in braces: {first_name}, {clinic}, {clinic_phone},
// {practitioner}, {date}, {time}, {portal_link}, {appointments} (the grouped reminder only)
// and {reply_hint} (SMS reminders only: replies to an e-mail or a push notification never
// reach the SMS inbox). Variables lists what each kind offers. {{ and }} write a literal brace.
// Variable names are exact (lower case, no spaces) so that a typing mistake is reported by
// Check instead of reaching a patient as "{First name}"; for the same reason a literal brace
// pair around a variable's name ("{{first_name}}", a Mustache habit) is an error, since it
// would print the name instead of the value.
//
// # What a message may say (SPEC, CON and NOT)
//
// A notification can be read by anyone holding the phone, so it never carries clinical
// content: no reason for the appointment, no result, no diagnosis. The only facts a template
// can reach are the patient's first name (never the surname), the clinic, its phone number,
// the practitioner, the date and time, and the portal link; there is deliberately no variable
// for anything else.
//
// # Dates and times
//
// Dates are written in full without the year ("Wednesday 14 October", "mercredi 14
// octobre", French writes the first of the month "1er"), using i18n's names. Times follow
// what clinics write to patients rather than the dashboard's 24-hour clock: "9:30am" and
// "2:00pm" in English (as Australian clinics do), "9h30" and "14h00" in French. Both are
// single words, so a handset never wraps a line between the hour and "am" or "h" (French
// typography wants no-break spaces in "9 h 30", which would force an SMS into UCS-2).
// In SMS, French "août" is written "aout" (the 1990 spelling reform allows it) because û is
// not in the GSM-7 alphabet and would double the cost of every message sent in August.
//
// # Segments
//
// The shipped SMS texts fit one 160-character GSM-7 segment with typical values in English
// and at most two in French; they use straight apostrophes and no character outside GSM-7
// (no ’, “, ê, ç, ô). Check refuses an SMS template that needs more than six segments with
// long (but realistic, GSM-7) sample values, and a push body over 200 characters with them.
//
// # Rendering
//
// Values are cleaned (line breaks and control characters become spaces, runs of spaces one)
// so that data from the clinical software cannot add lines to a message. A variable whose
// value is empty takes its surrounding space with it ("Hi {first_name}, …" becomes "Hi, …",
// an empty {reply_hint} leaves no double space), and a line left empty by it disappears.
// The e-mail HTML is made from the rendered text: blank lines separate paragraphs, line breaks
// become <br>, everything is HTML-escaped, and only the portal link (an http or https URL) is
// made a link.
//
// The package is pure, as engines are (house rule 7): it reads no clock and no database, keeps
// no package-level state, and imports of the application only i18n (names of days and months)
// and sms (segment counting).
package compose
