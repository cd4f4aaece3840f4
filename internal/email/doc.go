// Package email is the e-mail channel of the notification dispatcher (NOT-6, NOT-7): it
// sends one notification as one SMTP message and says precisely how the attempt ended, and
// it reads the bounces that come back later.
//
// Sending. Sender.Send renders a Message (a text part, an optional HTML alternative, and
// for booking confirmations and reschedules an iCalendar event as an invite.ics attachment
// and a text/calendar alternative) with a Message-ID that is stable per notification
// (MessageID), then delivers it in one SMTP session over STARTTLS (mandatory), implicit TLS
// or, for a local relay, plain SMTP. It makes one attempt. An error is either
// ErrInvalidMessage (nothing was sent) or an *Error whose Kind is the dispatcher's decision:
//
//   - Permanent: a 5xx reply to RCPT, DATA or the end of the message: the recipient or the
//     message was refused and would be again. Record it as bounced. Error.AddressRefused
//     says whether the refusal is about the address (no such user, mailbox full), so the
//     address is flagged only then and not for a spam or policy refusal.
//   - Transient: a 4xx reply, a connection refused or dropped, a TLS failure, a timeout, or
//     a 5xx reply about us rather than the patient (greeting, EHLO, AUTH, MAIL FROM, and
//     530 "authentication required" anywhere) — anything that happened before the
//     message's final "." was handed to the network. Retry later.
//   - Unknown: the whole message, final "." included, was handed over and then the reply
//     never came (timeout, connection closed, ctx ended). The server may have accepted it.
//     Record it as unknown and do not resend blindly (NOT-7).
//
// The boundary between Transient and Unknown is drawn by driving go-mail's smtp client
// command by command (see deliver): go-mail's own Client.Send reports "closing the DATA
// writer" both when the end of the message never left and when the reply never came.
//
// Bounces. Permanent failures found later arrive as delivery status notifications
// (RFC 3464), which the bounce webhook hands to ParseDSN; NotificationID maps the report's
// original Message-ID back to the notification. Recipient.Permanent (failed, 5.x.x) records
// the bounce; Recipient.AddressRefused, as for Error, decides whether to flag the address;
// a delayed report (4.x.x) is neither. Sends ask for headers-only bounces
// (RET=HDRS) so that a bounce does not carry the patient's message back to us.
//
// Privacy: errors name stages, codes and Message-IDs (which hold only a notification ID),
// never addresses, names or the server's reply text, which quotes the address.
//
// Dependency rule: the standard library and go-mail (MIME rendering and the SMTP protocol
// client) only; nothing of this module, so the dispatcher depends on it and not the other
// way round. Tests run against a real Mailpit (package email/mailpittest) and against small
// scripted SMTP servers for the replies Mailpit cannot be made to give.
package email
