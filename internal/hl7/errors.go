package hl7

import "strconv"

// ErrorCode is an HL7 error condition code (table 0357), the number an ERR segment carries
// in ERR-3 so the sending system can tell a structural fault from an application one
// without reading English.
type ErrorCode int

// The codes of HL7 table 0357. Errors from this package carry one, so an ACK can say what
// kind of problem it was.
const (
	CodeAccepted                ErrorCode = 0   // message accepted
	CodeSegmentSequenceError    ErrorCode = 100 // segments missing, unknown or out of order
	CodeRequiredFieldMissing    ErrorCode = 101 // a required field is empty
	CodeDataTypeError           ErrorCode = 102 // a value does not have its type's shape
	CodeTableValueNotFound      ErrorCode = 103 // a coded value is not in its table
	CodeUnsupportedMessageType  ErrorCode = 200 // MSH-9.1 is not handled
	CodeUnsupportedEventCode    ErrorCode = 201 // MSH-9.2 is not handled
	CodeUnsupportedProcessingID ErrorCode = 202 // MSH-11 is not handled
	CodeUnsupportedVersionID    ErrorCode = 203 // MSH-12 is not handled
	CodeUnknownKeyIdentifier    ErrorCode = 204 // the record named does not exist
	CodeDuplicateKeyIdentifier  ErrorCode = 205 // the record to add already exists
	CodeApplicationRecordLocked ErrorCode = 206 // try again later
	CodeApplicationError        ErrorCode = 207 // application internal error
)

var codeText = map[ErrorCode]string{
	CodeAccepted:                "Message accepted",
	CodeSegmentSequenceError:    "Segment sequence error",
	CodeRequiredFieldMissing:    "Required field missing",
	CodeDataTypeError:           "Data type error",
	CodeTableValueNotFound:      "Table value not found",
	CodeUnsupportedMessageType:  "Unsupported message type",
	CodeUnsupportedEventCode:    "Unsupported event code",
	CodeUnsupportedProcessingID: "Unsupported processing id",
	CodeUnsupportedVersionID:    "Unsupported version id",
	CodeUnknownKeyIdentifier:    "Unknown key identifier",
	CodeDuplicateKeyIdentifier:  "Duplicate key identifier",
	CodeApplicationRecordLocked: "Application record locked",
	CodeApplicationError:        "Application internal error",
}

// Text returns the code's wording in table 0357, which ERR-3.2 carries beside the number for
// people reading the sender's logs. Unknown codes read "Application internal error".
func (c ErrorCode) Text() string {
	if t, ok := codeText[c]; ok {
		return t
	}
	return codeText[CodeApplicationError]
}

// ErrDetail is what an ERR segment says about one problem: where it is (ERR-2), what kind
// it is (ERR-3) and how bad (ERR-4). Errors that know this implement Detailer, so that an
// ACK can report them precisely.
type ErrDetail struct {
	Segment    string    // ERR-2.1 segment name, "" when the problem is not in a readable segment
	Occurrence int       // ERR-2.2 1-based occurrence of that segment name; 0 unknown
	Field      int       // ERR-2.3 field number; 0 for the whole segment
	Repetition int       // ERR-2.4; 0 when not about one repetition
	Component  int       // ERR-2.5; 0 when not about one component
	Sub        int       // ERR-2.6; 0 when not about one subcomponent
	Code       ErrorCode // ERR-3
	Severity   string    // ERR-4: E (error, the default), W (warning), I (information), F (fatal)
}

// Detailer is implemented by errors that can describe themselves as an ERR segment —
// ParseError, ValidationError, and the errors of packages that map messages to the app —
// so that WithCause puts their location and code in the ACK without the caller translating.
type Detailer interface {
	ErrDetail() ErrDetail
}

// ParseError says why Parse refused a message and where. Reason is plain English and never
// quotes the message's content, so it is safe to send back in an ACK and to log.
type ParseError struct {
	Index      int       // 1-based position of the segment among the message's segments; 0 for the input as a whole
	Segment    string    // the segment's name when it is a valid one, else ""
	Occurrence int       // 1-based occurrence of that name, 0 when Segment is ""
	Field      int       // field number the problem is in, 0 when not one field
	Code       ErrorCode // the HL7 code for ERR-3
	Reason     string    // plain English, e.g. "segment 3 has an invalid name"
}

// Error implements error.
func (e *ParseError) Error() string { return "hl7: " + e.Reason }

// ErrDetail implements Detailer.
func (e *ParseError) ErrDetail() ErrDetail {
	return ErrDetail{Segment: e.Segment, Occurrence: e.Occurrence, Field: e.Field, Code: e.Code, Severity: "E"}
}

// ValidationError says which header field makes a parsed message unusable and why; Validate
// returns it so the ACK can name the field and carry the right code.
type ValidationError struct {
	Segment   string    // "MSH"
	Field     int       // e.g. 10 for MSH-10
	Component int       // 0 when about the whole field
	Code      ErrorCode // the HL7 code for ERR-3
	Reason    string    // plain English, e.g. "MSH-10 message control id is missing"
}

// Error implements error.
func (e *ValidationError) Error() string { return "hl7: " + e.Reason }

// ErrDetail implements Detailer.
func (e *ValidationError) ErrDetail() ErrDetail {
	return ErrDetail{Segment: e.Segment, Occurrence: 1, Field: e.Field, Component: e.Component, Code: e.Code, Severity: "E"}
}

// fieldName is "MSH-9" or "MSH-9.1", for reasons.
func fieldName(seg string, field, comp int) string {
	s := seg + "-" + strconv.Itoa(field)
	if comp > 0 {
		s += "." + strconv.Itoa(comp)
	}
	return s
}
