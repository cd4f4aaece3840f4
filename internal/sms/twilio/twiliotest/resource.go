package twiliotest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/sms"
)

// date formats a time as the provider does (RFC 2822), or null for the zero time.
func date(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC1123Z)
	return &s
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// resource renders m as the provider's Message resource.
func (s *Server) resource(m Message) map[string]any {
	uri := "/2010-04-01/Accounts/" + s.AccountSID + "/Messages/" + m.SID
	var code any
	if m.ErrorCode != 0 && (m.Status == "failed" || m.Status == "undelivered") {
		code = m.ErrorCode
	}
	return map[string]any{
		"account_sid":           s.AccountSID,
		"api_version":           "2010-04-01",
		"body":                  m.Body,
		"date_created":          date(m.DateCreated),
		"date_sent":             date(m.DateSent),
		"date_updated":          date(m.DateUpdated),
		"direction":             m.Direction,
		"error_code":            code,
		"error_message":         nil,
		"from":                  m.From,
		"messaging_service_sid": nullable(m.MessagingServiceSID),
		"num_media":             "0",
		"num_segments":          strconv.Itoa(max(1, sms.Length(m.Body).Segments)),
		"price":                 nil,
		"price_unit":            "USD",
		"sid":                   m.SID,
		"status":                m.Status,
		"subresource_uris":      map[string]string{"media": uri + "/Media.json", "feedback": uri + "/Feedback.json"},
		"to":                    m.To,
		"uri":                   uri + ".json",
	}
}

// list serves the Messages list: filtered on To and From, newest first, paged with
// PageSize (default 50, at most 1000) and Page.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	q := r.URL.Query()
	size, err := strconv.Atoi(q.Get("PageSize"))
	if q.Get("PageSize") == "" {
		size, err = 50, nil
	}
	page, err2 := strconv.Atoi(q.Get("Page"))
	if q.Get("Page") == "" {
		page, err2 = 0, nil
	}
	if err != nil || err2 != nil || size < 1 || size > 1000 || page < 0 {
		writeError(w, 20001, http.StatusBadRequest, "Invalid paging parameters")
		return
	}
	s.mu.Lock()
	var all []Message
	for i := len(s.msgs) - 1; i >= 0; i-- { // newest first
		m := s.msgs[i]
		if (q.Get("To") == "" || m.To == q.Get("To")) && (q.Get("From") == "" || m.From == q.Get("From")) {
			all = append(all, *m)
		}
	}
	s.mu.Unlock()
	slices.SortStableFunc(all, func(a, b Message) int { return b.DateCreated.Compare(a.DateCreated) })

	start := min(page*size, len(all))
	end := min(start+size, len(all))
	msgs := make([]map[string]any, 0, end-start)
	for _, m := range all[start:end] {
		msgs = append(msgs, s.resource(m))
	}
	pageURI := func(p int) string {
		v := url.Values{"PageSize": {strconv.Itoa(size)}, "Page": {strconv.Itoa(p)}}
		for _, k := range []string{"To", "From"} {
			if q.Get(k) != "" {
				v.Set(k, q.Get(k))
			}
		}
		if p > 0 && start > 0 {
			v.Set("PageToken", "PA"+strings.Repeat("0", 32))
		}
		return r.URL.Path + "?" + v.Encode()
	}
	var next, prev *string
	if end < len(all) {
		n := pageURI(page + 1)
		next = &n
	}
	if page > 0 {
		p := pageURI(page - 1)
		prev = &p
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"messages": msgs, "page": page, "page_size": size, "start": start, "end": max(start, end-1),
		"uri": r.URL.RequestURI(), "first_page_uri": pageURI(0), "next_page_uri": next, "previous_page_uri": prev,
	})
}

// fetch serves one Message resource.
func (s *Server) fetch(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	sid, ok := strings.CutSuffix(r.PathValue("file"), ".json")
	s.mu.Lock()
	var found *Message
	for _, m := range s.msgs {
		if ok && m.SID == sid {
			c := *m
			found = &c
		}
	}
	s.mu.Unlock()
	if found == nil {
		writeError(w, 20404, http.StatusNotFound, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	writeJSON(w, http.StatusOK, s.resource(*found))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes the provider's error document.
func writeError(w http.ResponseWriter, code, status int, message string) {
	writeJSON(w, status, map[string]any{
		"code": code, "message": message, "status": status,
		"more_info": "https://www.twilio.com/docs/errors/" + strconv.Itoa(code),
	})
}
