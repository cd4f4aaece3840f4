package twilio

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// Resource is a Message resource as the provider lists it. It holds the recipient and the
// body, which are patient data: match on them, never log them.
type Resource struct {
	SID                 string
	AccountSID          string
	MessagingServiceSID string
	To                  string
	From                string
	Body                string
	Status              Status
	// Direction is outbound-api for messages sent through the API, inbound for replies.
	Direction   string
	NumSegments int
	// ErrorCode is Twilio's code for a failed or undelivered message, 0 otherwise.
	ErrorCode int
	// DateCreated is set from creation on; DateSent stays zero while the message is queued.
	DateCreated time.Time
	DateSent    time.Time
	DateUpdated time.Time
}

// resource is the JSON wire form. Twilio sends dates in RFC 2822 form, null when unset, and
// counts as strings ("num_segments": "1").
type resource struct {
	SID                 string  `json:"sid"`
	AccountSID          string  `json:"account_sid"`
	MessagingServiceSID *string `json:"messaging_service_sid"`
	To                  string  `json:"to"`
	From                *string `json:"from"`
	Body                string  `json:"body"`
	Status              string  `json:"status"`
	Direction           string  `json:"direction"`
	NumSegments         flexInt `json:"num_segments"`
	ErrorCode           flexInt `json:"error_code"`
	DateCreated         *string `json:"date_created"`
	DateSent            *string `json:"date_sent"`
	DateUpdated         *string `json:"date_updated"`
}

func (r resource) public() Resource {
	return Resource{
		SID: r.SID, AccountSID: r.AccountSID, MessagingServiceSID: deref(r.MessagingServiceSID),
		To: r.To, From: deref(r.From), Body: r.Body, Status: Status(r.Status),
		Direction: r.Direction, NumSegments: int(r.NumSegments), ErrorCode: int(r.ErrorCode),
		DateCreated: parseDate(r.DateCreated), DateSent: parseDate(r.DateSent),
		DateUpdated: parseDate(r.DateUpdated),
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// parseDate reads Twilio's RFC 2822 dates ("Mon, 02 Jan 2006 15:04:05 +0000"); null, empty
// or unreadable dates are zero.
func parseDate(s *string) time.Time {
	if s == nil {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC1123Z, time.RFC1123, time.RFC3339} {
		if t, err := time.Parse(layout, *s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// flexInt decodes a number given as a JSON number, a numeric string, or null.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*n = 0
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*n = 0
			return nil
		}
		b = []byte(s)
	}
	v, err := strconv.Atoi(string(b))
	if err != nil {
		return err
	}
	*n = flexInt(v)
	return nil
}
