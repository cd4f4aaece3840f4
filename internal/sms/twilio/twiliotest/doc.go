// Package twiliotest is a local Twilio-compatible server for tests: the provider side of the
// wire format that package twilio speaks, written independently of it (its own signing, its
// own status order) so that each checks the other.
//
// NewServer starts it on 127.0.0.1. It checks the account in the path, HTTP basic auth and
// the form; refuses with Twilio's error codes and bodies (which, as the real ones do, quote
// the phone number, so tests can check that clients never pass them on); records every
// accepted message so tests can count duplicates at the provider; serves the message list
// for reconciliation; and posts signed status callbacks to each message's StatusCallback,
// 1 to 5 copies in shuffled order, whose highest status is always the message's final one.
// It can also post signed inbound messages.
//
// Behaviour is chosen with options: per recipient (WithRecipient), as a scripted sequence of
// outcomes for the next sends whatever their recipient (WithScript: 503 twice then success,
// 429 with Retry-After, a delay past the client's timeout, a response dropped after the
// message was accepted), and a proxy rewrite for callbacks (WithProxy) that signs the public
// URL but delivers to the local test server, as a TLS-terminating proxy would.
//
// Dependency rule: the standard library and package sms (for num_segments) only; never
// package twilio, whose behaviour this server is there to check.
package twiliotest
