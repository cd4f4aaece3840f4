// Package sms knows what an SMS costs before it is sent: how many segments (billable parts)
// a text takes once a carrier encodes it. The dashboard calls Length as staff type a template
// (NOT-2), and the notification planner can use it to warn about a long message.
//
// Counting follows 3GPP TS 23.038 and TS 23.040, as carriers and providers do:
//
//   - A text made only of characters of the GSM-7 default alphabet is sent in GSM-7. Each
//     character takes one septet, except the characters of the extension table (€ [ ] { } \
//     ~ ^ | and form feed), which take two: an escape septet and the character.
//   - Any other character (ê, ’, emoji, …) switches the whole text to UCS-2, counted in
//     UTF-16 code units: a character outside the Basic Multilingual Plane (most emoji) takes
//     two units, a surrogate pair.
//   - One message holds 160 septets or 70 UCS-2 units. A longer text is sent as a
//     concatenated message whose parts each lose room to the user data header and hold 153
//     septets or 67 units. A part never ends in the middle of an extension character's escape
//     pair or of a surrogate pair; the character moves to the next part, so a part may hold
//     one unit less than its maximum.
//
// Providers can rewrite text before counting (Twilio's "Smart Encoding" replaces ’ with ',
// for example). Length counts the text as given, so with such a feature switched on it may
// over-estimate, never under-estimate.
//
// Invalid UTF-8 is counted as the provider would receive it after decoding: each invalid byte
// as U+FFFD, which forces UCS-2.
//
// Dependency rule: this package imports only the standard library. Provider clients live in
// subpackages (sms/twilio), so this package stays pure: values in, values out.
package sms
