package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/wneessen/go-mail/smtp"
)

// errNoSTARTTLS is the cause when TLS is "starttls" and the server does not offer it.
var errNoSTARTTLS = errors.New("server does not offer STARTTLS")

// Send delivers m in one SMTP session and reports how it ended. It makes exactly one
// attempt: retrying (and backing off) belongs to the dispatcher's job queue, which keeps
// the attempt count.
//
// nil means the server answered 2xx to the end of the message: it took responsibility for
// it. Otherwise the error either matches ErrInvalidMessage (nothing was sent) or is an
// *Error whose Kind is the decision (see Kind and the package doc). ctx bounds the session;
// when it ends, the connection is closed at once and the send is classified by how far it
// had got, so a cancellation after the whole message was handed over is Unknown.
func (s *Sender) Send(ctx context.Context, m Message) error {
	payload, err := s.compose(m, time.Now())
	if err != nil {
		return err
	}
	return s.deliver(ctx, m.MessageID, m.To, payload)
}

// deliver runs the session. It drives go-mail's smtp.Client one command at a time instead of
// calling go-mail's Client.Send, because Client.Send cannot tell the two halves of DATA
// apart: its DataCloser.Close flushes the end of the message and the final ".", ignores a
// failure to write them, then reads the reply, so a message that never left our buffer and
// one that the server has in full both come back as "closing SMTP DATA writer" without a
// reply code. Here the message is written and flushed first (a failure there is Transient:
// the server cannot accept a message without its final "."); only then is the final "."
// sent, and a failure after that without a reply is Unknown. If writing the final "." itself
// fails (the buffered writer keeps that error) and no reply came, the "." never left
// either, and it is Transient too.
//
// "Handed over" means accepted by our kernel's socket buffer: a server that stopped reading
// after its 354 looks, to us, exactly like one that received everything and went quiet, so
// a small message sent to it is Unknown. That is the safe side of NOT-7.
func (s *Sender) deliver(ctx context.Context, messageID, to string, payload []byte) error {
	fail := func(stage Stage, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w: %w", ctxErr, err)
		}
		return classify(stage, messageID, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(StageConnect, err)
	}

	dialer := net.Dialer{Timeout: s.cfg.Timeout}
	conn, err := dialer.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fail(StageConnect, err)
	}
	defer conn.Close()
	// Closing the connection is the only way to interrupt a blocked read or write at once;
	// the smtp package has no context of its own.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	step := func() { _ = conn.SetDeadline(time.Now().Add(s.cfg.Timeout)) }

	var c net.Conn = conn
	step()
	if s.cfg.TLS == TLSImplicit {
		tc := tls.Client(conn, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(StageConnect, err)
		}
		c = tc
	}
	client, err := smtp.NewClient(c, s.cfg.Host)
	if err != nil {
		return fail(StageGreeting, err)
	}
	step()
	if err := client.Hello(s.cfg.HeloName); err != nil {
		return fail(StageHello, err)
	}
	if s.cfg.TLS == TLSStartTLS {
		if ok, _ := client.Extension("STARTTLS"); !ok {
			return fail(StageStartTLS, errNoSTARTTLS)
		}
		step()
		if err := client.StartTLS(s.tls); err != nil {
			return fail(StageStartTLS, err)
		}
	}
	if s.cfg.Username != "" {
		auth, err := s.auth(client)
		if err != nil {
			return fail(StageAuth, err)
		}
		step()
		if err := client.Auth(auth); err != nil {
			return fail(StageAuth, err)
		}
	}
	// Ask for headers only in bounces (RFC 3461 RET=HDRS, used when the server offers DSN):
	// a bounce then carries the Message-ID ParseDSN needs, not the patient's message.
	client.SetDSNMailReturnOption("HDRS")
	step()
	if err := client.Mail("<" + s.cfg.From + ">"); err != nil {
		return fail(StageMail, err)
	}
	step()
	if err := client.Rcpt("<" + to + ">"); err != nil {
		return fail(StageRcpt, err)
	}
	step()
	w, err := client.Data()
	if err != nil {
		return fail(StageData, err)
	}
	step()
	if _, err := w.Write(payload); err != nil {
		return fail(StagePayload, err)
	}
	if err := client.Text.W.Flush(); err != nil {
		return fail(StagePayload, err)
	}
	step()
	if err := w.Close(); err != nil {
		code, _ := reply(err)
		switch {
		case code >= 200 && code < 300:
			return nil // a 2xx other than 250 (251, 252): accepted all the same
		case code != 0:
			return fail(StageEndOfData, err) // an answer, even if the final "." did not all go
		case client.Text.W.Flush() != nil:
			// The buffered writer kept the error of writing the final ".": it never left, so
			// the server cannot have accepted the message.
			return fail(StagePayload, err)
		}
		return fail(StageEndOfData, err)
	}
	// Delivered. QUIT is a courtesy; a failure here changes nothing.
	step()
	_ = client.Quit()
	return nil
}

// auth picks the first mechanism the server offers among SCRAM-SHA-256, PLAIN and LOGIN.
// PLAIN and LOGIN send the password itself, so go-mail refuses them on a connection without
// TLS unless the server is on loopback; New already refused credentials with TLS "none"
// anywhere else.
func (s *Sender) auth(client *smtp.Client) (smtp.Auth, error) {
	ok, offered := client.Extension("AUTH")
	if !ok {
		return nil, errors.New("server does not offer AUTH")
	}
	mechs := strings.Fields(strings.ToUpper(offered))
	has := func(m string) bool { return slices.Contains(mechs, m) }
	inClear := s.cfg.TLS == TLSNone
	switch {
	case has("SCRAM-SHA-256"):
		return smtp.ScramSHA256Auth(s.cfg.Username, s.cfg.Password), nil
	case has("PLAIN"):
		return smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host, inClear), nil
	case has("LOGIN"):
		return smtp.LoginAuth(s.cfg.Username, s.cfg.Password, s.cfg.Host, inClear), nil
	}
	return nil, fmt.Errorf("server offers no supported AUTH mechanism (%s)", offered)
}
