package integration

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidings-health/tidings/internal/clinic"
)

// This file reads the CSV files a clinic imports (SYN-3): patients, appointments and
// recalls (RES-8), one row at a time, into the records an HL7 message maps to, so that one
// applier writes both. It is pure — it reads the reader it is given and nothing else, and
// never reads the clock — so a dry run and the real import see the same rows, and a test
// sees what production sees. docs/csv-import.md is the user's side of every rule here.

// Limits on one CSV file. A file over them is a mistake (a whole database exported into one
// file, a binary file uploaded) rather than a first load, and reading it would hold the
// import's memory and time hostage; a row is bounded so that a stray quote cannot make one
// value swallow the rest of the file.
const (
	// MaxCSVRows is the most data rows a file holds: a row after line MaxCSVRows+1 stops
	// the import with an error telling the clinic to split the file.
	MaxCSVRows = 200_000
	// MaxCSVLineBytes is the most bytes one row takes, line breaks inside quoted values
	// included and the row's own line break excluded.
	MaxCSVLineBytes = 64 << 10
)

// CSVKind is what a CSV file holds, told by its header: one file, one kind, so that a row
// is never read as the wrong record.
type CSVKind string

// The kinds of CSV file Tidings imports.
const (
	CSVPatients     CSVKind = "patients"
	CSVAppointments CSVKind = "appointments"
	CSVRecalls      CSVKind = "recalls"
)

// CSVRow is one data row of a file: its line number, and what it maps to or why it is
// rejected. A dry run reports one outcome per row from it, and the import applies the
// Mapped of the rows without Err, in file order.
type CSVRow struct {
	// Line is the row's number as a spreadsheet shows it: the header is line 1, and a row
	// whose quoted value holds line breaks is still one line. It is what the clinic looks
	// for when fixing the file.
	Line int
	// Mapped holds the row's record (Patient, Appointment or Recall, by the file's kind)
	// when Err is nil. ControlID is "csv:<Line>" in every row, rejected or not, so that the
	// applier's logs and quarantine name the row; At is zero, as a CSV row has no time of
	// its own: the applier orders a file's rows by Line.
	Mapped Mapped
	// Err is why the row is rejected, a *CSVError naming the column when one is at fault;
	// nil when the row maps. The final row of a file that could not be read to its end
	// carries the error that stopped it (see CSVReader.Err).
	Err error
}

// CSVError says why a row, or the header, is rejected. Reason names the column and the
// rule broken, never the value: reports and logs carry it, and a CSV row is patient data.
type CSVError struct {
	Line   int    // the row's line number, as in CSVRow.Line; 1 for the header
	Column string // the column at fault, as documented (e.g. "birth_date"); "" for the row as a whole
	Reason string // e.g. "longer than 50 characters"
	// Err is the read error that stopped reading, for errors.Is; nil for a rejected row.
	Err error
}

// Error reads as "line 12, column mobile: longer than 50 characters", what a clinic needs
// to find and fix the cell.
func (e *CSVError) Error() string {
	s := "line " + strconv.Itoa(e.Line)
	if e.Column != "" {
		s += ", column " + e.Column
	}
	s += ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the read error that stopped reading, so that callers can tell a client
// that went away (or a body over its size limit) from a bad file.
func (e *CSVError) Unwrap() error { return e.Err }

// csvCol is a column Tidings reads, in any kind of file.
type csvCol int

const (
	csvExternalID csvCol = iota
	csvGivenName
	csvFamilyName
	csvBirthDate
	csvMobile
	csvEmail
	csvLanguage
	csvOptOut
	csvDeceased
	csvAppointmentID
	csvPatientID
	csvStart
	csvEnd
	csvDuration
	csvStatus
	csvPractitionerID
	csvPractitionerName
	csvLocation
	csvReasonCode
	csvReason
	csvNote
	csvRecallID
	csvDue
	csvColCount
)

// csvColNames are the columns' header names, after csvColumnKey.
var csvColNames = [csvColCount]string{
	csvExternalID:       "external_id",
	csvGivenName:        "given_name",
	csvFamilyName:       "family_name",
	csvBirthDate:        "birth_date",
	csvMobile:           "mobile",
	csvEmail:            "email",
	csvLanguage:         "language",
	csvOptOut:           "pms_opt_out",
	csvDeceased:         "deceased",
	csvAppointmentID:    "appointment_id",
	csvPatientID:        "patient_id",
	csvStart:            "start",
	csvEnd:              "end",
	csvDuration:         "duration_minutes",
	csvStatus:           "status",
	csvPractitionerID:   "practitioner_id",
	csvPractitionerName: "practitioner_name",
	csvLocation:         "location",
	csvReasonCode:       "reason_code",
	csvReason:           "reason",
	csvNote:             "note",
	csvRecallID:         "recall_id",
	csvDue:              "due",
}

// csvSpec is one kind of file: its columns in the documented order, and the ones its
// header must have (each entry is a set of alternatives, one of which must be there).
type csvSpec struct {
	kind     CSVKind
	cols     []csvCol
	required [][]csvCol
}

var csvSpecs = [...]csvSpec{
	{CSVPatients,
		[]csvCol{csvExternalID, csvGivenName, csvFamilyName, csvBirthDate, csvMobile, csvEmail, csvLanguage, csvOptOut, csvDeceased},
		[][]csvCol{{csvExternalID}, {csvGivenName, csvFamilyName}}},
	{CSVAppointments,
		[]csvCol{csvAppointmentID, csvPatientID, csvStart, csvEnd, csvDuration, csvStatus, csvPractitionerID, csvPractitionerName,
			csvLocation, csvReasonCode, csvReason, csvNote},
		[][]csvCol{{csvAppointmentID}, {csvPatientID}, {csvStart}, {csvEnd, csvDuration}}},
	{CSVRecalls,
		[]csvCol{csvRecallID, csvPatientID, csvDue, csvReason, csvPractitionerID, csvPractitionerName, csvStatus},
		[][]csvCol{{csvRecallID}, {csvPatientID}, {csvDue}}},
}

// csvColByName finds a column by its header name.
var csvColByName = func() map[string]csvCol {
	m := make(map[string]csvCol, csvColCount)
	for c, name := range csvColNames {
		m[name] = csvCol(c)
	}
	return m
}()

// csvOwner is the one kind of file a column belongs to, or -1 for a column several kinds
// share (patient_id, status, …): the columns that tell a file's kind.
var csvOwner = func() [csvColCount]int {
	var o [csvColCount]int
	for i := range o {
		o[i] = -2
	}
	for k, s := range csvSpecs {
		for _, c := range s.cols {
			if o[c] == -2 {
				o[c] = k
			} else {
				o[c] = -1
			}
		}
	}
	return o
}()

func csvSpecOf(kind CSVKind) *csvSpec {
	for i := range csvSpecs {
		if csvSpecs[i].kind == kind {
			return &csvSpecs[i]
		}
	}
	return nil
}

// CSVColumns lists the columns a kind of file may have, in the documented order: what a
// template download offers, and what the documentation lists. It is nil for an unknown
// kind.
func CSVColumns(kind CSVKind) []string {
	s := csvSpecOf(kind)
	if s == nil {
		return nil
	}
	out := make([]string, len(s.cols))
	for i, c := range s.cols {
		out[i] = csvColNames[c]
	}
	return out
}

// Reasons a row is not valid CSV. The row is rejected as a whole, at its first line.
const (
	csvBareQuote  = `not valid CSV: a quote (") inside a value that does not start with one`
	csvAfterQuote = "not valid CSV: text after the closing quote of a value"
	csvUnclosed   = "not valid CSV: a quoted value is not closed"
)

var csvTooLong = "the row is longer than " + strconv.Itoa(MaxCSVLineBytes) + " bytes"

// csvLine is one physical line of the file, without its line break.
type csvLine struct {
	text string
	long bool // longer than MaxCSVLineBytes: text is empty, the line was skipped
}

// CSVReader reads a CSV file row by row, holding one row at a time (and the ids seen, to
// refuse a repeated one), so that a 200,000-row file is read in constant memory per row.
// It is not safe for concurrent use.
type CSVReader struct {
	br    *bufio.Reader
	eof   bool
	queue []csvLine // lines read ahead and given back, read before br
	qhead int

	loc     *time.Location
	kind    CSVKind
	delim   byte
	idx     [csvColCount]int // the header position of each column; -1 when the file has none
	width   int              // the header's number of columns
	unnamed []int            // positions of columns with no name, whose values must be empty

	line   int      // the number of the last record read; 1 is the header
	fields []string // the values of the record being read
	buf    []byte
	more   []csvLine // the lines after the first of the record being read
	seen   map[string]int
	done   bool
	err    error
}

// NewCSVReader reads the header of a file, telling its kind from the columns: a patients
// file has external_id, an appointments file appointment_id and start, a recalls file
// recall_id and due (docs/csv-import.md lists every column). Times without an offset are
// read in loc, the clinic's zone (nil is UTC). The error, a *CSVError for line 1, names
// the columns that are missing, unknown or repeated, so that a typo in a column's name is
// refused rather than the column silently ignored.
func NewCSVReader(r io.Reader, loc *time.Location) (*CSVReader, error) {
	if loc == nil {
		loc = time.UTC
	}
	c := &CSVReader{br: bufio.NewReaderSize(r, MaxCSVLineBytes+2), loc: loc, seen: map[string]int{}}
	first, err := c.physical()
	switch {
	case err == io.EOF:
		return nil, &CSVError{Line: 1, Reason: "the file is empty: the first line must be the header"}
	case err != nil:
		return nil, &CSVError{Line: 1, Reason: "reading stopped", Err: err}
	case first.long:
		return nil, &CSVError{Line: 1, Reason: "header: " + csvTooLong}
	case strings.HasPrefix(first.text, "\xff\xfe") || strings.HasPrefix(first.text, "\xfe\xff"):
		return nil, &CSVError{Line: 1, Reason: "the file is UTF-16: save it as CSV UTF-8"}
	}
	first.text = strings.TrimPrefix(first.text, "\ufeff")
	c.delim = csvDelimiter(first.text)
	c.giveBack([]csvLine{first})
	bad, err := c.record()
	c.line = 1
	switch {
	case err != nil:
		return nil, &CSVError{Line: 1, Reason: "reading stopped", Err: err}
	case bad != "":
		return nil, &CSVError{Line: 1, Reason: "header: " + bad}
	}
	if err := c.header(c.fields); err != nil {
		return nil, err
	}
	return c, nil
}

// csvDelimiter tells a header's delimiter: ";" when it has more semicolons than commas
// outside quotes (what Excel writes where the decimal separator is a comma, as in French),
// else ",".
func csvDelimiter(line string) byte {
	commas, semicolons, quoted := 0, 0, false
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				commas++
			}
		case ';':
			if !quoted {
				semicolons++
			}
		}
	}
	if semicolons > commas {
		return ';'
	}
	return ','
}

// csvColumnKey normalises a header name: trimmed, lower case, and each run of spaces,
// hyphens and underscores one underscore, so that "Given name" and "given-name" are
// given_name.
func csvColumnKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	var b strings.Builder
	b.Grow(len(s))
	sep := false
	for _, r := range s {
		if r == ' ' || r == '-' || r == '_' || r == '\t' {
			sep = b.Len() > 0
			continue
		}
		if sep {
			b.WriteByte('_')
			sep = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// csvSafeName says whether a header name can be repeated in an error: one that looks like
// a column name. A first line that is data rather than a header must not have its values
// echoed into reports and logs.
func csvSafeName(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// header reads the header's names into c: the kind, each column's position, and every
// problem at once, so that the clinic fixes the header in one go.
func (c *CSVReader) header(names []string) error {
	keys := make([]string, len(names))
	known := 0
	var kinds []int
	found := make([][]string, len(csvSpecs)) // the columns that tell each kind, as found
	for i, n := range names {
		keys[i] = csvColumnKey(n)
		col, ok := csvColByName[keys[i]]
		if !ok {
			continue
		}
		known++
		if k := csvOwner[col]; k >= 0 {
			if len(found[k]) == 0 {
				kinds = append(kinds, k)
			}
			found[k] = append(found[k], keys[i])
		}
	}
	fail := func(reason string) error { return &CSVError{Line: 1, Reason: reason} }
	switch {
	case known == 0:
		return fail("none of the columns is one Tidings reads: the first line must be the header")
	case len(kinds) == 0:
		return fail("the columns do not say what the file holds: patients need external_id, " +
			"appointments appointment_id and start, recalls recall_id and due")
	case len(kinds) > 1:
		parts := make([]string, len(kinds))
		for i, k := range kinds {
			parts[i] = string(csvSpecs[k].kind) + " (" + strings.Join(found[k], ", ") + ")"
		}
		return fail("the columns mix files: " + strings.Join(parts, " and "))
	}
	spec := &csvSpecs[kinds[0]]
	c.kind, c.width = spec.kind, len(names)
	for i := range c.idx {
		c.idx[i] = -1
	}
	allowed := [csvColCount]bool{}
	for _, col := range spec.cols {
		allowed[col] = true
	}
	var unknown, dup, problems []string
	for i, key := range keys {
		pos := strconv.Itoa(i + 1)
		if key == "" {
			c.unnamed = append(c.unnamed, i)
			continue
		}
		col, ok := csvColByName[key]
		switch {
		case !ok || !allowed[col]:
			if csvSafeName(key) {
				unknown = append(unknown, `"`+key+`" (column `+pos+`)`)
			} else {
				unknown = append(unknown, "column "+pos)
			}
		case c.idx[col] >= 0:
			dup = append(dup, key+" (columns "+strconv.Itoa(c.idx[col]+1)+" and "+pos+")")
		default:
			c.idx[col] = i
		}
	}
	if len(unknown) > 0 {
		problems = append(problems, "columns that "+string(spec.kind)+" files do not have: "+strings.Join(unknown, ", "))
	}
	if len(dup) > 0 {
		problems = append(problems, "duplicate columns: "+strings.Join(dup, ", "))
	}
	var missing []string
	for _, alts := range spec.required {
		there := false
		alt := make([]string, len(alts))
		for i, col := range alts {
			there = there || c.idx[col] >= 0
			alt[i] = csvColNames[col]
		}
		if !there {
			missing = append(missing, strings.Join(alt, " or "))
		}
	}
	if len(missing) > 0 {
		problems = append(problems, "missing columns: "+strings.Join(missing, ", "))
	}
	if len(problems) > 0 {
		return fail(strings.Join(problems, "; "))
	}
	return nil
}

// Kind is what the file holds, so that the caller picks the report's wording and the
// applier before the first row.
func (c *CSVReader) Kind() CSVKind { return c.kind }

// Err is the error that stopped reading before the end of the file (a read error, or a
// row past MaxCSVRows), nil when the file was read to its end: an import must not be
// applied as complete when it is not.
func (c *CSVReader) Err() error { return c.err }

// Next returns the next data row, and false at the end of the file. Blank rows (every value
// empty) are skipped, though they keep their line number. A row that is not valid CSV is
// returned with its error and reading goes on at the next line; a read error, or a row past
// MaxCSVRows, ends reading with a final row whose Err says so.
func (c *CSVReader) Next() (CSVRow, bool) {
	for !c.done {
		bad, err := c.record()
		if err == io.EOF {
			c.done = true
			break
		}
		line := c.line + 1
		if err != nil {
			return c.stop(&CSVError{Line: line, Reason: "reading stopped", Err: err})
		}
		c.line = line
		if bad == "" && csvBlank(c.fields) {
			continue
		}
		if line > MaxCSVRows+1 {
			return c.stop(&CSVError{Line: line, Reason: "more than " + strconv.Itoa(MaxCSVRows) + " rows after the header: split the file"})
		}
		row := CSVRow{Line: line, Mapped: Mapped{ControlID: "csv:" + strconv.Itoa(line)}}
		if bad != "" {
			row.Err = &CSVError{Line: line, Reason: bad}
			return row, true
		}
		if len(c.fields) != c.width {
			// A quoted value that ran over several lines and left the row the wrong
			// width is most likely a missing closing quote: its lines are read again as
			// rows of their own rather than lost.
			c.giveBack(c.more)
			row.Err = &CSVError{Line: line, Reason: "the row has a different number of values than the header has columns (" +
				strconv.Itoa(len(c.fields)) + ", not " + strconv.Itoa(c.width) + ")"}
			return row, true
		}
		for _, i := range c.unnamed {
			if strings.TrimSpace(c.fields[i]) != "" {
				row.Err = &CSVError{Line: line, Reason: "a value in column " + strconv.Itoa(i+1) + ", which has no name in the header"}
				return row, true
			}
		}
		row.Mapped.Bulk = true
		switch c.kind {
		case CSVPatients:
			row.Mapped.Patient, err = c.patient()
		case CSVAppointments:
			row.Mapped.Appointment, err = c.appointment()
		case CSVRecalls:
			row.Mapped.Recall, err = c.recall()
		}
		if err != nil {
			row.Mapped = Mapped{ControlID: row.Mapped.ControlID}
			row.Err = err
		}
		return row, true
	}
	return CSVRow{}, false
}

func (c *CSVReader) stop(err *CSVError) (CSVRow, bool) {
	c.done, c.err = true, err
	return CSVRow{Line: err.Line, Mapped: Mapped{ControlID: "csv:" + strconv.Itoa(err.Line)}, Err: err}, true
}

func csvBlank(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// physical returns the next physical line without its line break (LF or CRLF), from the
// lines given back first. A line longer than MaxCSVLineBytes is skipped, and returned
// marked long.
func (c *CSVReader) physical() (csvLine, error) {
	if c.qhead < len(c.queue) {
		l := c.queue[c.qhead]
		c.queue[c.qhead] = csvLine{}
		if c.qhead++; c.qhead == len(c.queue) {
			c.queue, c.qhead = c.queue[:0], 0
		}
		return l, nil
	}
	if c.eof {
		return csvLine{}, io.EOF
	}
	b, err := c.br.ReadSlice('\n')
	switch {
	case err == nil:
		b = b[:len(b)-1]
	case errors.Is(err, bufio.ErrBufferFull):
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = c.br.ReadSlice('\n')
		}
		switch {
		case err == io.EOF:
			c.eof = true
		case err != nil:
			return csvLine{}, err
		}
		return csvLine{long: true}, nil
	case err == io.EOF:
		c.eof = true
		if len(b) == 0 {
			return csvLine{}, io.EOF
		}
	default:
		return csvLine{}, err
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	if len(b) > MaxCSVLineBytes {
		return csvLine{long: true}, nil
	}
	return csvLine{text: string(b)}, nil
}

// giveBack puts lines back to be read again, before any given back earlier.
func (c *CSVReader) giveBack(lines []csvLine) {
	if len(lines) == 0 {
		return
	}
	q := make([]csvLine, 0, len(lines)+len(c.queue)-c.qhead)
	q = append(q, lines...)
	c.queue, c.qhead = append(q, c.queue[c.qhead:]...), 0
}

// record reads the next record (RFC 4180, with the reader's delimiter) into c.fields, and
// the lines after its first into c.more. It returns io.EOF at the end of the file, another
// error when reading failed, and bad when the record is not valid CSV: then the lines after
// its first are given back, to be read again as rows of their own.
func (c *CSVReader) record() (bad string, err error) {
	c.fields, c.more = c.fields[:0], c.more[:0]
	first, err := c.physical()
	if err != nil {
		return "", err
	}
	if first.long {
		return csvTooLong, nil
	}
	reject := func(reason string) (string, error) {
		c.giveBack(c.more)
		c.more = c.more[:0]
		return reason, nil
	}
	line, pos, size := first.text, 0, len(first.text)
	for {
		if pos < len(line) && line[pos] == '"' {
			pos++
			lines := len(c.more)
			// The common case, a quoted value on one line with no quote doubled, is a
			// slice of the line.
			if i := strings.IndexByte(line[pos:], '"'); i >= 0 && (pos+i+1 == len(line) || line[pos+i+1] != '"') {
				c.fields = append(c.fields, line[pos:pos+i])
				pos += i + 1
			} else {
				c.buf = c.buf[:0]
				for {
					i := strings.IndexByte(line[pos:], '"')
					if i >= 0 {
						c.buf = append(c.buf, line[pos:pos+i]...)
						pos += i + 1
						if pos < len(line) && line[pos] == '"' {
							c.buf = append(c.buf, '"')
							pos++
							continue
						}
						break
					}
					c.buf = append(c.buf, line[pos:]...)
					c.buf = append(c.buf, '\n')
					next, err := c.physical()
					switch {
					case err == io.EOF:
						return reject(csvUnclosed)
					case err != nil:
						return "", err
					}
					c.more = append(c.more, next)
					if size += 1 + len(next.text); next.long || size > MaxCSVLineBytes {
						return reject(csvTooLong)
					}
					line, pos = next.text, 0
				}
				c.fields = append(c.fields, string(c.buf))
			}
			switch {
			case pos == len(line):
				return "", nil
			case line[pos] == c.delim:
				pos++
				continue
			case len(c.more) > lines:
				// The quote that seemed to close the value is lines later, and text
				// follows it: the value's own closing quote is what is missing.
				return reject(csvUnclosed)
			}
			return reject(csvAfterQuote)
		}
		v, end := line[pos:], true
		if i := strings.IndexByte(v, c.delim); i >= 0 {
			v, end = v[:i], false
			pos += i + 1
		}
		if strings.IndexByte(v, '"') >= 0 {
			return reject(csvBareQuote)
		}
		c.fields = append(c.fields, v)
		if end {
			return "", nil
		}
	}
}

// Reasons a value is rejected, shared by several columns.
const (
	csvRequired     = "required"
	csvControl      = "control characters are not allowed"
	csvControlText  = "control characters other than line breaks and tabs are not allowed"
	csvNotDate      = "not a date: write YYYY-MM-DD or DD/MM/YYYY"
	csvNotDateTime  = "not a date and time: write YYYY-MM-DD HH:MM, DD/MM/YYYY HH:MM or RFC 3339"
	csvNotEnd       = "not a date and time: write YYYY-MM-DD HH:MM, DD/MM/YYYY HH:MM, RFC 3339 or HH:MM"
	csvTimeGap      = "a time that does not exist in the clinic's time zone (the clocks go forward then)"
	csvTimeTwice    = "a time that happens twice in the clinic's time zone (the clocks go back then): add the offset"
	csvNotBool      = "not one of true, false, yes, no, 1, 0, y, n, oui, non, vrai, faux"
	csvRecallStatus = "must be one of active, completed, cancelled"
	csvNotLanguage  = "not an ISO 639-1 language code such as en or fr"
	csvNoName       = "given_name or family_name is required"
	csvNoEnd        = "end or duration_minutes is required"
	csvEndBefore    = "not at least one minute after start"
	csvEndTooLate   = "more than 24 hours after start"
	csvBadDuration  = "not a whole number of minutes from 1 to 1440"
	csvDisagree     = "does not agree with end"
)

// csvMaxAppointment is the longest appointment a row may give: a day, so that an end typed
// on the wrong day is caught rather than booking the agenda for a week.
const csvMaxAppointment = 24 * time.Hour

func (c *CSVReader) fail(col csvCol, reason string) *CSVError {
	return &CSVError{Line: c.line, Column: csvColNames[col], Reason: reason}
}

// raw is a column's value in the current row, decoded and trimmed: read as Windows-1252
// when it is not UTF-8, which is what Excel's plain "CSV" format writes on Windows. "" when
// the file has no such column.
func (c *CSVReader) raw(col csvCol) string {
	i := c.idx[col]
	if i < 0 {
		return ""
	}
	v := c.fields[i]
	if !utf8.ValidString(v) {
		v = csvWindows1252(v)
	}
	return strings.TrimSpace(v)
}

// text reads a one-line value of at most max characters.
func (c *CSVReader) text(col csvCol, max int) (string, error) {
	v := c.raw(col)
	for _, r := range v {
		if isControl(r) {
			return "", c.fail(col, csvControl)
		}
	}
	return v, c.bounded(col, v, max)
}

// note reads free text: line breaks kept (as "\n"), tabs as spaces.
func (c *CSVReader) note(col csvCol, max int) (string, error) {
	v := c.raw(col)
	tabs := false
	for _, r := range v {
		switch {
		case r == '\t':
			tabs = true
		case r != '\n' && isControl(r):
			return "", c.fail(col, csvControlText)
		}
	}
	if tabs {
		v = strings.ReplaceAll(v, "\t", " ")
	}
	return v, c.bounded(col, v, max)
}

func (c *CSVReader) bounded(col csvCol, v string, max int) error {
	if len(v) > max && utf8.RuneCountInString(v) > max {
		return c.fail(col, "longer than "+strconv.Itoa(max)+" characters")
	}
	return nil
}

// id reads an identifier column that every row must fill and no two rows may share: two
// rows about one record make the outcome depend on their order, which a clinic does not
// mean.
func (c *CSVReader) id(col csvCol) (string, error) {
	v, err := c.text(col, MaxIDLength)
	switch {
	case err != nil:
		return "", err
	case v == "":
		return "", c.fail(col, csvRequired)
	}
	if at, ok := c.seen[v]; ok {
		return "", c.fail(col, "repeats the id of line "+strconv.Itoa(at))
	}
	c.seen[strings.Clone(v)] = c.line
	return v, nil
}

// practitioner reads practitioner_id and practitioner_name.
func (c *CSVReader) practitioner() (Practitioner, error) {
	var p Practitioner
	var err error
	if p.ID, err = c.text(csvPractitionerID, MaxIDLength); err != nil {
		return p, err
	}
	p.Name, err = c.text(csvPractitionerName, MaxNameLength)
	return p, err
}

// patient maps a row of a patients file.
func (c *CSVReader) patient() (*PatientRecord, error) {
	p := &PatientRecord{}
	var err error
	if p.ExternalID, err = c.id(csvExternalID); err != nil {
		return nil, err
	}
	if p.GivenName, err = c.text(csvGivenName, MaxNameLength); err != nil {
		return nil, err
	}
	if p.FamilyName, err = c.text(csvFamilyName, MaxNameLength); err != nil {
		return nil, err
	}
	if p.GivenName == "" && p.FamilyName == "" {
		col := csvFamilyName
		if c.idx[col] < 0 {
			col = csvGivenName
		}
		return nil, c.fail(col, csvNoName)
	}
	if v, err := c.text(csvBirthDate, maxCodeLength); err != nil {
		return nil, err
	} else if v != "" {
		if p.BirthDate, err = c.civilDate(csvBirthDate, v); err != nil {
			return nil, err
		}
	}
	if p.Mobile, err = c.text(csvMobile, maxPhoneLength); err != nil {
		return nil, err
	}
	if p.Email, err = c.text(csvEmail, maxEmailLength); err != nil {
		return nil, err
	}
	if v, err := c.text(csvLanguage, maxCodeLength); err != nil {
		return nil, err
	} else if v != "" {
		if p.Language = isoLanguage(v); p.Language == "" {
			return nil, c.fail(csvLanguage, csvNotLanguage)
		}
	}
	if p.OptOut, err = c.flag(csvOptOut); err != nil {
		return nil, err
	}
	dead, err := c.flag(csvDeceased)
	if err != nil {
		return nil, err
	}
	p.Deceased = dead != nil && *dead
	return p, nil
}

// flag reads a yes/no column: nil when empty, meaning "not stated".
func (c *CSVReader) flag(col csvCol) (*bool, error) {
	v, err := c.text(col, maxCodeLength)
	if err != nil || v == "" {
		return nil, err
	}
	var b bool
	switch strings.ToLower(v) {
	case "true", "yes", "1", "y", "oui", "vrai":
		b = true
	case "false", "no", "0", "n", "non", "faux":
	default:
		return nil, c.fail(col, csvNotBool)
	}
	return &b, nil
}

// appointment maps a row of an appointments file.
func (c *CSVReader) appointment() (*AppointmentRecord, error) {
	a := &AppointmentRecord{}
	var err error
	if a.ExternalID, err = c.id(csvAppointmentID); err != nil {
		return nil, err
	}
	a.FillerID = a.ExternalID
	if a.PatientExternalID, err = c.text(csvPatientID, MaxIDLength); err != nil {
		return nil, err
	} else if a.PatientExternalID == "" {
		return nil, c.fail(csvPatientID, csvRequired)
	}
	if a.Start, a.End, err = c.times(); err != nil {
		return nil, err
	}
	if a.Status, err = c.status(); err != nil {
		return nil, err
	}
	switch a.Status {
	case clinic.StatusCancelled:
		a.Event = "S15"
	case clinic.StatusNoShow, clinic.StatusExcusedAbsence:
		a.Event = "S26"
	default:
		a.Event = "S12"
	}
	if a.Resource.Practitioner, err = c.practitioner(); err != nil {
		return nil, err
	}
	if a.Resource.Location, err = c.text(csvLocation, MaxNameLength); err != nil {
		return nil, err
	}
	if a.Reason.Code, err = c.text(csvReasonCode, maxCodeLength); err != nil {
		return nil, err
	}
	if a.Reason.Text, err = c.text(csvReason, maxTextLength); err != nil {
		return nil, err
	}
	if a.Note, err = c.note(csvNote, MaxCommentsLength); err != nil {
		return nil, err
	}
	return a, nil
}

// status reads an appointment's status; empty is booked, as a row in an appointments file
// is an appointment held.
func (c *CSVReader) status() (clinic.Status, error) {
	v, err := c.text(csvStatus, maxCodeLength)
	if err != nil {
		return "", err
	}
	switch csvColumnKey(v) {
	case "", "booked":
		return clinic.StatusBooked, nil
	case "confirmed":
		return clinic.StatusConfirmed, nil
	case "arrived":
		return clinic.StatusArrived, nil
	case "seen":
		return clinic.StatusSeen, nil
	case "no_show":
		return clinic.StatusNoShow, nil
	case "excused_absence":
		return clinic.StatusExcusedAbsence, nil
	case "cancelled", "canceled":
		return clinic.StatusCancelled, nil
	}
	return "", c.fail(csvStatus, clinic.StatusReason)
}

// times reads start and the end (end, else start plus duration_minutes), in UTC.
func (c *CSVReader) times() (start, end time.Time, err error) {
	v, err := c.text(csvStart, maxCodeLength)
	switch {
	case err != nil:
		return start, end, err
	case v == "":
		return start, end, c.fail(csvStart, csvRequired)
	}
	if start, err = c.dateTime(csvStart, v, csvNotDateTime, time.Time{}); err != nil {
		return start, end, err
	}
	ev, err := c.text(csvEnd, maxCodeLength)
	if err != nil {
		return start, end, err
	}
	dv, err := c.text(csvDuration, maxCodeLength)
	if err != nil {
		return start, end, err
	}
	if ev == "" && dv == "" {
		col := csvEnd
		if c.idx[col] < 0 {
			col = csvDuration
		}
		return start, end, c.fail(col, csvNoEnd)
	}
	if ev != "" {
		if end, err = c.dateTime(csvEnd, ev, csvNotEnd, start); err != nil {
			return start, end, err
		}
		switch d := end.Sub(start); {
		case d < time.Minute:
			return start, end, c.fail(csvEnd, csvEndBefore)
		case d > csvMaxAppointment:
			return start, end, c.fail(csvEnd, csvEndTooLate)
		}
	}
	if dv != "" {
		n, ok := csvDigits(dv)
		if !ok || len(dv) > 4 || n < 1 || n > int(csvMaxAppointment/time.Minute) {
			return start, end, c.fail(csvDuration, csvBadDuration)
		}
		byDuration := start.Add(time.Duration(n) * time.Minute)
		if ev != "" && !end.Equal(byDuration) {
			return start, end, c.fail(csvDuration, csvDisagree)
		}
		end = byDuration
	}
	return start, end, nil
}

// recall maps a row of a recalls file.
func (c *CSVReader) recall() (*RecallRecord, error) {
	r := &RecallRecord{}
	var err error
	if r.ExternalID, err = c.id(csvRecallID); err != nil {
		return nil, err
	}
	if r.PatientExternalID, err = c.text(csvPatientID, MaxIDLength); err != nil {
		return nil, err
	} else if r.PatientExternalID == "" {
		return nil, c.fail(csvPatientID, csvRequired)
	}
	v, err := c.text(csvDue, maxCodeLength)
	switch {
	case err != nil:
		return nil, err
	case v == "":
		return nil, c.fail(csvDue, csvRequired)
	}
	if r.Due, err = c.civilDate(csvDue, v); err != nil {
		return nil, err
	}
	if r.Reason, err = c.text(csvReason, maxTextLength); err != nil {
		return nil, err
	}
	if r.Doctor, err = c.practitioner(); err != nil {
		return nil, err
	}
	s, err := c.text(csvStatus, maxCodeLength)
	if err != nil {
		return nil, err
	}
	switch csvColumnKey(s) {
	case "", "active":
		r.Status = RecallActive
	case "completed":
		r.Status = RecallCompleted
	case "cancelled", "canceled":
		r.Status = RecallCancelled
	default:
		return nil, c.fail(csvStatus, csvRecallStatus)
	}
	return r, nil
}

// civilDate reads a date alone as 2006-01-02.
func (c *CSVReader) civilDate(col csvCol, v string) (string, error) {
	y, m, d, rest, ok := csvParseDate(v)
	if !ok || rest != "" {
		return "", c.fail(col, csvNotDate)
	}
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly), nil
}

// dateTime reads a time to the minute at least, in UTC: a date and a time, with an offset
// or else in the clinic's zone. When on is not zero a time alone (HH:MM) is also read, on
// on's date in the clinic's zone: what exports with separate date and end-time columns
// give.
func (c *CSVReader) dateTime(col csvCol, v, reason string, on time.Time) (time.Time, error) {
	y, mo, d, rest, ok := csvParseDate(v)
	if ok {
		if rest == "" || rest[0] != ' ' && rest[0] != 'T' && rest[0] != 't' {
			return time.Time{}, c.fail(col, reason)
		}
		rest = rest[1:]
	} else {
		if on.IsZero() {
			return time.Time{}, c.fail(col, reason)
		}
		y, mo, d = on.In(c.loc).Date()
		rest = v
	}
	h, mi, s, rest, ok := csvParseClock(rest)
	if !ok {
		return time.Time{}, c.fail(col, reason)
	}
	if rest == "" {
		t, why := csvLocal(y, mo, d, h, mi, s, c.loc)
		if why != "" {
			return time.Time{}, c.fail(col, why)
		}
		return t.UTC(), nil
	}
	off, ok := csvParseOffset(rest)
	if !ok {
		return time.Time{}, c.fail(col, reason)
	}
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC).Add(-off).UTC(), nil
}

// csvLocal is a wall-clock time in loc, refusing one that does not exist there or happens
// twice (a daylight-saving change): an appointment an hour off is worse than a row to fix.
func csvLocal(y int, mo time.Month, d, h, mi, s int, loc *time.Location) (time.Time, string) {
	t := time.Date(y, mo, d, h, mi, s, 0, loc)
	if t.Hour() != h || t.Minute() != mi || t.Day() != d {
		return time.Time{}, csvTimeGap
	}
	_, off := t.Zone()
	for _, probe := range []time.Time{t.Add(-12 * time.Hour), t.Add(12 * time.Hour)} {
		_, o := probe.Zone()
		if o == off {
			continue
		}
		u := t.Add(time.Duration(off-o) * time.Second)
		uy, um, ud := u.Date()
		uh, umi, us := u.Clock()
		if uy == y && um == mo && ud == d && uh == h && umi == mi && us == s {
			return time.Time{}, csvTimeTwice
		}
	}
	return t, ""
}

// csvParseDate reads YYYY-MM-DD or D/M/YYYY (day and month of one or two digits) at the
// start of s, and returns the rest. Day-first is the only slashed order read: a clinic in
// Australia, New Zealand, France or the UK writes dates so, and 03/04 cannot be told apart
// from month-first.
func csvParseDate(s string) (y int, m time.Month, d int, rest string, ok bool) {
	var mm int
	if len(s) >= 10 && s[4] == '-' && s[7] == '-' {
		var ok1, ok2, ok3 bool
		y, ok1 = csvDigits(s[:4])
		mm, ok2 = csvDigits(s[5:7])
		d, ok3 = csvDigits(s[8:10])
		if !ok1 || !ok2 || !ok3 {
			return 0, 0, 0, "", false
		}
		rest = s[10:]
	} else {
		parts := [3]int{}
		widths := [3]int{2, 2, 4}
		i := 0
		for k := range parts {
			j := i
			for j < len(s) && j-i < widths[k] && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == i || k == 2 && j-i != 4 || k < 2 && (j == len(s) || s[j] != '/') {
				return 0, 0, 0, "", false
			}
			parts[k], _ = csvDigits(s[i:j])
			i = j
			if k < 2 {
				i++
			}
		}
		d, mm, y, rest = parts[0], parts[1], parts[2], s[i:]
	}
	m = time.Month(mm)
	if y < 1 || m < 1 || m > 12 || d < 1 || d > time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return 0, 0, 0, "", false
	}
	return y, m, d, rest, true
}

// csvParseClock reads H:MM or HH:MM, then optionally :SS and a fraction (dropped), at the
// start of s, and returns the rest.
func csvParseClock(s string) (h, mi, sec int, rest string, ok bool) {
	i := 0
	for i < len(s) && i < 2 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || len(s) < i+3 || s[i] != ':' {
		return 0, 0, 0, "", false
	}
	h, _ = csvDigits(s[:i])
	if mi, ok = csvDigits(s[i+1 : i+3]); !ok {
		return 0, 0, 0, "", false
	}
	rest = s[i+3:]
	if len(rest) >= 3 && rest[0] == ':' {
		if sec, ok = csvDigits(rest[1:3]); !ok {
			return 0, 0, 0, "", false
		}
		rest = rest[3:]
		if len(rest) >= 2 && rest[0] == '.' {
			j := 1
			for j < len(rest) && j <= 9 && rest[j] >= '0' && rest[j] <= '9' {
				j++
			}
			if j == 1 {
				return 0, 0, 0, "", false
			}
			rest = rest[j:]
		}
	}
	if h > 23 || mi > 59 || sec > 59 {
		return 0, 0, 0, "", false
	}
	return h, mi, sec, rest, true
}

// csvParseOffset reads Z or ±HH:MM, the whole of s.
func csvParseOffset(s string) (time.Duration, bool) {
	if s == "Z" || s == "z" {
		return 0, true
	}
	if len(s) != 6 || s[0] != '+' && s[0] != '-' || s[3] != ':' {
		return 0, false
	}
	h, ok1 := csvDigits(s[1:3])
	m, ok2 := csvDigits(s[4:6])
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, false
	}
	off := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
	if s[0] == '-' {
		off = -off
	}
	return off, true
}

// csvDigits reads a non-empty run of ASCII digits, at most 9 of them.
func csvDigits(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// csvWindows1252 decodes Windows-1252. Its undefined bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D)
// become the C1 controls Windows itself reads them as, and are then refused as control
// characters.
func csvWindows1252(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x80:
			b.WriteByte(c)
		case c < 0xa0:
			b.WriteRune(rune(csv1252[c-0x80]))
		default:
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}

// csv1252 maps Windows-1252's bytes 0x80–0x9F to Unicode.
var csv1252 = [32]uint16{
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
}
