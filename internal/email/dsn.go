package email

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"slices"
	"strings"
)

// MaxDSNSize is the largest report ParseDSN reads. Bounces of our messages carry headers
// only (we ask for RET=HDRS); a megabyte leaves room for servers that return the whole
// message anyway, and bounds what an unauthenticated webhook request can make us parse.
const MaxDSNSize = 1 << 20

// Errors from ParseDSN; each is wrapped with the detail (what is missing, which part).
var (
	// ErrDSNTooLarge: the input is over MaxDSNSize (answer 413).
	ErrDSNTooLarge = errors.New("email: delivery status notification too large")
	// ErrNotDSN: a readable message, but not a delivery status notification (another
	// report type, such as an abuse report or a read receipt, or an ordinary message).
	ErrNotDSN = errors.New("email: not a delivery status notification")
	// ErrMalformedDSN: a delivery status notification we cannot use: broken MIME, a
	// missing required field, no way to find the original Message-ID.
	ErrMalformedDSN = errors.New("email: malformed delivery status notification")
)

// Report is what a delivery status notification (RFC 3464) says about one of our messages.
type Report struct {
	// OriginalMessageID is the Message-ID of the message the report is about, with its
	// angle brackets, as Message.MessageID was; NotificationID maps it back.
	OriginalMessageID string
	// EnvelopeID is the Original-Envelope-Id field, if the reporting server gave one.
	EnvelopeID string
	// ReportingMTA is the server that wrote the report ("dns; mx.example.org").
	ReportingMTA string
	// Recipients has one entry per recipient the report is about, in order; never empty.
	Recipients []Recipient
}

// Recipient is the per-recipient part of a report.
type Recipient struct {
	// Final is the address the reporting server tried (Final-Recipient, without its
	// "rfc822;" type), Original the one we gave (Original-Recipient), if it said.
	Final, Original string
	// Action is failed, delayed, delivered, relayed or expanded (lower case).
	Action string
	// Status is the RFC 3463 status code, "5.1.1".
	Status string
	// Diagnostic is the Diagnostic-Code field as given ("smtp; 550 5.1.1 user unknown"),
	// unfolded; it may be empty.
	Diagnostic string
}

// Failed reports whether the reporting server gave up on this recipient: the message will
// not be delivered. With a 4.x.x status (a temporary problem that lasted past the server's
// retry limit) the address itself may be fine.
func (r Recipient) Failed() bool { return r.Action == "failed" }

// Permanent reports whether the address itself was refused (Action failed with a 5.x.x
// status): record the notification as bounced and flag the address (NOT-6). A delayed
// report, or a failure with a 4.x.x status, is not.
func (r Recipient) Permanent() bool {
	return r.Action == "failed" && strings.HasPrefix(r.Status, "5.")
}

// AddressRefused reports whether the report puts the fault on the address or mailbox (no
// such user, mailbox disabled or full), as Error.AddressRefused does for a refusal during
// the session: a Permanent failure for spam, policy or size leaves the address alone. When
// Status is unspecific (5.0.0, as Exim writes), the enhanced code in an SMTP Diagnostic-Code
// decides; with neither, a permanent failure counts.
func (r Recipient) AddressRefused() bool {
	if !r.Permanent() {
		return false
	}
	if refused, known := addressStatus(r.Status); known {
		return refused
	}
	if typ, diag, ok := strings.Cut(r.Diagnostic, ";"); ok && strings.EqualFold(strings.TrimSpace(typ), "smtp") {
		f := strings.Fields(strings.ReplaceAll(diag, "-", " "))
		if len(f) >= 2 {
			if refused, known := addressStatus(f[1]); known {
				return refused
			}
		}
	}
	return true
}

var (
	statusRE = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}$`)
	msgIDRE  = regexp.MustCompile(`<[^<>\s]+@[^<>\s]+>`)
	actions  = []string{"failed", "delayed", "delivered", "relayed", "expanded"}
)

// ParseDSN reads a delivery status notification, as the bounce webhook receives it.
//
// It accepts a whole message (headers and body) whose Content-Type is
//
//   - multipart/report; report-type=delivery-status (RFC 6522), the form every server sends:
//     the message/delivery-status part (or message/global-delivery-status, RFC 6533) gives
//     the recipients, and the returned message/rfc822 or text/rfc822-headers part (or their
//     message/global forms) gives the original Message-ID; or
//   - message/delivery-status, the status part on its own, for relays that forward only
//     that part.
//
// The original Message-ID is taken from the returned message's headers; failing that, from
// an X-Original-Message-ID per-message field (Gmail writes one), and failing that from the
// report's own In-Reply-To header when it holds a single message ID (Exchange sets it to
// the bounced message). Parts may be base64 or quoted-printable. Anything else is an error
// that names what is missing.
func ParseDSN(raw []byte) (Report, error) {
	if len(raw) > MaxDSNSize {
		return Report{}, fmt.Errorf("%w: %d bytes, the limit is %d", ErrDSNTooLarge, len(raw), MaxDSNSize)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Report{}, fmt.Errorf("%w: message headers: %w", ErrMalformedDSN, err)
	}
	ct := msg.Header.Get("Content-Type")
	if ct == "" {
		return Report{}, fmt.Errorf("%w: no Content-Type", ErrNotDSN)
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return Report{}, fmt.Errorf("%w: Content-Type: %w", ErrMalformedDSN, err)
	}
	body, err := decode(msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	if err != nil {
		return Report{}, fmt.Errorf("%w: message body: %w", ErrMalformedDSN, err)
	}

	var status, original []byte
	switch mediaType {
	case "message/delivery-status", "message/global-delivery-status":
		status = body
	case "multipart/report":
		if rt := params["report-type"]; rt != "" && !strings.EqualFold(rt, "delivery-status") {
			return Report{}, fmt.Errorf("%w: report-type %q", ErrNotDSN, rt)
		}
		if params["boundary"] == "" {
			return Report{}, fmt.Errorf("%w: multipart/report without a boundary", ErrMalformedDSN)
		}
		status, original, err = reportParts(body, params["boundary"])
		if err != nil {
			return Report{}, err
		}
		if status == nil {
			return Report{}, fmt.Errorf("%w: no message/delivery-status part", ErrMalformedDSN)
		}
	default:
		return Report{}, fmt.Errorf("%w: Content-Type %s", ErrNotDSN, mediaType)
	}

	rep, xOrigID, err := parseStatus(status)
	if err != nil {
		return Report{}, err
	}
	switch {
	case original != nil && firstMsgID(headerField(original, "Message-ID")) != "":
		rep.OriginalMessageID = firstMsgID(headerField(original, "Message-ID"))
	case firstMsgID(xOrigID) != "":
		rep.OriginalMessageID = firstMsgID(xOrigID)
	case len(msgIDRE.FindAllString(msg.Header.Get("In-Reply-To"), 2)) == 1:
		rep.OriginalMessageID = firstMsgID(msg.Header.Get("In-Reply-To"))
	case original == nil:
		return Report{}, fmt.Errorf("%w: original Message-ID: no message/rfc822 or text/rfc822-headers part, "+
			"no X-Original-Message-ID field, no In-Reply-To header", ErrMalformedDSN)
	default:
		return Report{}, fmt.Errorf("%w: original Message-ID: the returned headers have no Message-ID", ErrMalformedDSN)
	}
	return rep, nil
}

// reportParts returns the decoded delivery-status part and the returned original message
// (or its headers) from a multipart/report body. Parts of other types (the human-readable
// text, a multipart/alternative with an HTML version) are skipped.
func reportParts(body []byte, boundary string) (status, original []byte, err error) {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for n := 1; ; n++ {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			return status, original, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: part %d: %w", ErrMalformedDSN, n, err)
		}
		mediaType := "text/plain"
		if ct := part.Header.Get("Content-Type"); ct != "" {
			if mediaType, _, err = mime.ParseMediaType(ct); err != nil {
				return nil, nil, fmt.Errorf("%w: part %d: Content-Type: %w", ErrMalformedDSN, n, err)
			}
		}
		var dst *[]byte
		switch mediaType {
		case "message/delivery-status", "message/global-delivery-status":
			dst = &status
		case "message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers":
			dst = &original
		default:
			continue
		}
		if *dst != nil {
			continue // the first one counts
		}
		data, err := decode(part.Header.Get("Content-Transfer-Encoding"), part)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: part %d (%s): %w", ErrMalformedDSN, n, mediaType, err)
		}
		*dst = data
	}
}

// decode reads r undoing the Content-Transfer-Encoding. The input is already bounded by
// MaxDSNSize, and decoding only shrinks it.
func decode(cte string, r io.Reader) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &newlineStripper{r: r})
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "", "7bit", "8bit", "binary":
	default:
		return nil, fmt.Errorf("Content-Transfer-Encoding %q", cte)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// newlineStripper drops CR and LF, which base64.NewDecoder would otherwise reject.
type newlineStripper struct{ r io.Reader }

func (s *newlineStripper) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		j := 0
		for _, c := range p[:n] {
			if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// field is one header field of a group.
type field struct{ name, value string }

// groups splits a delivery-status body into its groups of header fields (RFC 3464 section
// 2.1: the per-message fields, then one group per recipient, separated by blank lines),
// unfolding continuation lines.
func groups(data []byte) ([][]field, error) {
	var out [][]field
	var cur []field
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxDSNSize+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.TrimSpace(line) == "":
			if cur != nil {
				out = append(out, cur)
				cur = nil
			}
		case line[0] == ' ' || line[0] == '\t':
			if cur == nil {
				return nil, fmt.Errorf("line %d: continuation line without a field", n)
			}
			cur[len(cur)-1].value += " " + strings.TrimSpace(line)
		default:
			name, value, ok := strings.Cut(line, ":")
			name = strings.TrimSpace(name)
			if !ok || !validFieldName(name) {
				return nil, fmt.Errorf("line %d: not a header field", n)
			}
			cur = append(cur, field{name: strings.ToLower(name), value: strings.TrimSpace(value)})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cur != nil {
		out = append(out, cur)
	}
	return out, nil
}

func get(g []field, name string) string {
	for _, f := range g {
		if f.name == name {
			return f.value
		}
	}
	return ""
}

// parseStatus reads the delivery-status body: the per-message fields, then each recipient.
// It also returns the X-Original-Message-ID field, if any.
func parseStatus(data []byte) (Report, string, error) {
	gs, err := groups(data)
	if err != nil {
		return Report{}, "", fmt.Errorf("%w: delivery-status: %w", ErrMalformedDSN, err)
	}
	var rep Report
	var xOrigID string
	// The first group is the per-message one. A broken report that starts straight with
	// recipient fields is read as if the per-message group were empty.
	if len(gs) > 0 && get(gs[0], "final-recipient") == "" {
		rep.ReportingMTA = get(gs[0], "reporting-mta")
		rep.EnvelopeID = get(gs[0], "original-envelope-id")
		xOrigID = get(gs[0], "x-original-message-id")
		gs = gs[1:]
	}
	if len(gs) == 0 {
		return Report{}, "", fmt.Errorf("%w: delivery-status: no per-recipient fields", ErrMalformedDSN)
	}
	for i, g := range gs {
		bad := func(what string) (Report, string, error) {
			return Report{}, "", fmt.Errorf("%w: delivery-status: recipient %d: %s", ErrMalformedDSN, i+1, what)
		}
		r := Recipient{
			Final:      address(get(g, "final-recipient")),
			Original:   address(get(g, "original-recipient")),
			Action:     strings.ToLower(firstToken(get(g, "action"))),
			Status:     firstToken(get(g, "status")),
			Diagnostic: get(g, "diagnostic-code"),
		}
		switch {
		case r.Final == "":
			return bad("no Final-Recipient")
		case r.Action == "":
			return bad("no Action")
		case !slices.Contains(actions, r.Action):
			return bad("Action is not failed, delayed, delivered, relayed or expanded")
		case r.Status == "":
			return bad("no Status")
		case !statusRE.MatchString(r.Status):
			return bad("Status is not a status code")
		}
		rep.Recipients = append(rep.Recipients, r)
	}
	return rep, xOrigID, nil
}

// address returns the address of an address-type field ("rfc822; jane@example.org"),
// without the type and without angle brackets.
func address(v string) string {
	if _, a, ok := strings.Cut(v, ";"); ok {
		v = a
	}
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(v), "<"), ">")
}

func firstToken(v string) string {
	if f := strings.Fields(v); len(f) > 0 {
		return f[0]
	}
	return ""
}

// headerField returns the value of the first field called name in the header section at
// the start of data (the returned message or its headers), unfolded. It reads leniently: a
// returned header may be truncated or contain lines net/mail would refuse.
func headerField(data []byte, name string) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxDSNSize+1)
	var found bool
	var value string
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if found {
				value += " " + strings.TrimSpace(line)
			}
			continue
		}
		if found {
			break
		}
		n, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(n), name) {
			found, value = true, strings.TrimSpace(v)
		}
	}
	return value
}

// firstMsgID returns the first "<left@right>" in v, or "" if there is none.
func firstMsgID(v string) string { return msgIDRE.FindString(v) }
