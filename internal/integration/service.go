// Package integration applies what clinical software sends (SYN-1, SYN-4): HL7 v2 messages
// over MLLP now; FHIR reads and CSV imports go through the same rules next. It maps each
// message to the clinic's types (hl7map.go, with the software profiles of profile.go) and
// writes it through the use cases every other writer uses (patient.SyncTx), so a patient
// synced is normalised as one typed in the dashboard.
//
// The acknowledgement is the contract with the sender, so it is given only for what is
// durable. A message is parsed, validated, routed and mapped on its connection's goroutine;
// then an applier writes a batch of messages, from every connection, in one transaction —
// each under a savepoint, so one refused message does not undo the others — and only after
// the commit are the ACKs released (group commit: one disk flush for many messages, which
// the ≥ 3,000 msg/s goal needs where the disk allows about 2,400 flushes a second). AA goes
// out for what was applied; AE or AR only once the raw message is kept in quarantine, with
// the reason, in that same commit. A message whose control id (MSH-10, with MSH-3 and MSH-4)
// was accepted before gets its stored ACK again and is not applied twice; an update older
// than the last one applied to its record changes nothing (store.Sync.Advance). If the
// commit fails nothing is acknowledged, and the sender sends again.
//
// Patient data never reaches the logs: messages are logged by type, size and outcome, and
// the reasons given (in ACKs and in the quarantine) name fields, never values.
//
// It must not import the web surfaces.
package integration

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/hl7"
	"github.com/tidings-health/tidings/internal/mllp"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
)

// Config tunes a Service; zero fields take the defaults.
type Config struct {
	Logger *slog.Logger
	// MaxBatch is the most messages one commit applies (256).
	MaxBatch int
	// RouteTTL is how long a facility's database is remembered (10 s): routing reads the
	// database for a new facility, and a changed setting is seen within it.
	RouteTTL time.Duration
	// Appliers is how many transactions apply messages at once: 1 on SQLite (one writer),
	// 8 on PostgreSQL, where a commit waits on the network and the disk while others work
	// (bench hl7 over 8 connections: 2,616 msg/s with 4, 3,027 with 8).
	// The messages of one connection always go to the same applier, in order.
	Appliers int
	// Booking is the booking service whose use case writes synced appointments (so that its
	// availability cache sees them); nil makes one.
	Booking *booking.Service
	// Hooks are called at the points where a crash matters; the crash test kills the process
	// there. Nil hooks are skipped.
	Hooks Hooks
}

// Hooks are test points on a message's way from its frame to its acknowledgement.
type Hooks struct {
	// BeforeCommit runs once a batch is written, before its commit.
	BeforeCommit func(messages int)
	// AfterCommit runs once a batch is committed, before any of its ACKs is sent.
	AfterCommit func(messages int)
}

// Service applies HL7 messages. It is an mllp.Handler; Run must be running for the
// handler's replies to come.
type Service struct {
	db      *store.DB
	booking *booking.Service
	log     *slog.Logger
	cfg     Config
	reqs    []chan *request // one per applier
	seq     atomic.Uint64

	mu     sync.Mutex
	routes map[string]target
}

// New returns a Service over db.
func New(db *store.DB, cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 256
	}
	if cfg.RouteTTL <= 0 {
		cfg.RouteTTL = 10 * time.Second
	}
	if cfg.Appliers <= 0 {
		cfg.Appliers = 1
		if db.Dialect() == store.Postgres {
			cfg.Appliers = 8
		}
	}
	reqs := make([]chan *request, cfg.Appliers)
	for i := range reqs {
		reqs[i] = make(chan *request, 4*cfg.MaxBatch)
	}
	if cfg.Booking == nil {
		cfg.Booking = booking.New(db)
	}
	return &Service{db: db, booking: cfg.Booking, log: cfg.Logger, cfg: cfg, reqs: reqs, routes: map[string]target{}}
}

// target is a database found for a sending facility, with what mapping its messages needs.
type target struct {
	db      clinic.Database
	profile Profile
	loc     *time.Location
	until   time.Time
}

// request is one message on its way to the applier.
type request struct {
	raw     []byte
	msg     *hl7.Message // nil when it could not be parsed
	refused error        // why it is refused (quarantined, answered AE or AR); nil to apply
	code    hl7.AckCode  // AE or AR when refused
	route   target       // zero when no database was found
	mapped  Mapped
	reply   func([]byte)
	// quarantined is the quarantined item being re-processed (0: a new message): refused
	// again, it is that item's reason that changes, no new item is kept.
	quarantined int64
}

// HandleMLLP parses, validates, routes and maps a message, then hands it to the applier,
// which replies once its outcome is durable.
func (s *Service) HandleMLLP(ctx context.Context, r *mllp.Request, reply func([]byte)) {
	req := s.prepare(ctx, r)
	if req == nil {
		reply(nil)
		return
	}
	req.reply = reply
	select {
	case s.reqs[r.ConnID%uint64(len(s.reqs))] <- req:
	case <-ctx.Done():
		reply(nil) // stopping: not acknowledged, so the sender sends it again
	}
}

// prepare does the work of a message that needs no transaction; nil means "answer nothing"
// (a frame cut short by the sender's own restart, which it sends again).
func (s *Service) prepare(ctx context.Context, r *mllp.Request) *request {
	if r.Err != nil {
		if errors.Is(r.Err, mllp.ErrTooLarge) {
			var fe *mllp.FrameError
			errors.As(r.Err, &fe)
			req := &request{code: hl7.AckReject, refused: &refusal{code: hl7.CodeApplicationError, reason: "the message is larger than the listener accepts"}}
			if fe != nil {
				req.raw = fe.Prefix
			}
			s.routeOf(ctx, req, salvagedFacility(req.raw))
			return req
		}
		return nil
	}
	req := &request{raw: r.Payload}
	m, err := hl7.Parse(r.Payload)
	if err == nil {
		err = hl7.Validate(m)
	}
	if err != nil {
		req.code, req.refused = hl7.AckReject, err
		if m == nil {
			s.routeOf(ctx, req, salvagedFacility(r.Payload))
		} else {
			s.routeOf(ctx, req, m.SendingFacility().Namespace)
		}
		return req
	}
	req.msg = m
	if !s.routeOf(ctx, req, m.SendingFacility().Namespace) {
		req.code, req.refused = hl7.AckReject, &refusal{code: hl7.CodeApplicationError, segment: "MSH", field: 4,
			reason: "MSH-4: no clinical database of this listener has this sending facility"}
		return req
	}
	mapped, err := MapHL7(m, req.route.profile, req.route.loc)
	if err != nil {
		req.code, req.refused = hl7.AckError, err
		return req
	}
	req.mapped = mapped
	return req
}

// salvagedFacility is the sending facility of a message that did not parse, read as
// hl7.ACKRaw reads its header (the ACK's receiving facility, MSH-6, is the message's MSH-4),
// so that what is quarantined is kept for its database when the header still names it.
func salvagedFacility(raw []byte) string {
	return hl7.ACKRaw(raw, hl7.AckReject, "").Get("MSH-6.1")
}

// routeOf finds the database of facility, remembering it for RouteTTL, and reports whether
// there is one.
func (s *Service) routeOf(ctx context.Context, req *request, facility string) bool {
	facility = strings.TrimSpace(facility)
	if facility == "" {
		return false
	}
	now := s.db.Now()
	s.mu.Lock()
	rt, ok := s.routes[facility]
	s.mu.Unlock()
	if !ok || now.After(rt.until) {
		rt = target{}
		err := s.db.View(ctx, func(tx *store.Tx) error {
			d, err := tx.Sync().RouteHL7(ctx, facility)
			if err != nil {
				return err
			}
			rt.db, rt.loc = d, time.UTC
			if rt.profile, err = ProfileOf(ctx, tx, d); err != nil {
				return err
			}
			cls, err := tx.Directory().ClinicsOfDatabase(ctx, d.OrgID, d.ID)
			if err != nil {
				return err
			}
			if len(cls) > 0 {
				if rt.loc, err = cls[0].Location(); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, clinic.ErrNotFound) {
			s.log.Error("route HL7 message", "err", err)
		}
		rt.until = now.Add(s.cfg.RouteTTL)
		s.mu.Lock()
		s.routes[facility] = rt
		s.mu.Unlock()
	}
	req.route = rt
	return rt.db.ID != 0
}

// forgetRoutes empties the route cache, so the next message reads its database again.
func (s *Service) forgetRoutes() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.routes)
}

// refusal is a reason of the service's own to refuse a message, with its HL7 error code.
type refusal struct {
	code    hl7.ErrorCode
	segment string
	field   int
	reason  string
}

func (r *refusal) Error() string { return r.reason }

// ErrDetail places the refusal for the ERR segment.
func (r *refusal) ErrDetail() hl7.ErrDetail {
	return hl7.ErrDetail{Segment: r.segment, Field: r.field, Code: r.code, Severity: "E"}
}

// Run applies the messages handed to the service until ctx ends, with Appliers
// transactions at once; the MLLP server must be shut down first, so that no reply is left
// waiting.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, reqs := range s.reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.applier(ctx, reqs)
		}()
	}
	wg.Wait()
	return nil
}

// applier commits the messages of reqs in batches until ctx ends.
func (s *Service) applier(ctx context.Context, reqs chan *request) {
	batch := make([]*request, 0, s.cfg.MaxBatch)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return
		case r := <-reqs:
			batch = append(batch, r)
		}
		// Whatever else is waiting joins this commit: under load the batches grow by
		// themselves, idle a message commits alone and at once.
	fill:
		for len(batch) < s.cfg.MaxBatch {
			select {
			case r := <-reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		s.apply(context.WithoutCancel(ctx), batch)
	}
}

// outcome is what the applier decided for one request, released after the commit.
type outcome struct {
	ack    []byte
	result string
	reason string // why it was refused
}

// errGuard asks apply to run its batch again with a savepoint around each message: one was
// refused, and the statements it ran must be undone without undoing the others'.
var errGuard = errors.New("a message was refused: apply the batch again, each message under a savepoint")

// apply writes a batch in one transaction and then replies to each message. The batch is
// first applied without savepoints, the common case where every message is applied (a
// savepoint is two more round trips per message on PostgreSQL); if one is refused, the
// transaction is rolled back and the batch applied again with each message under its own
// savepoint, so that the refused one's statements are undone alone. A transaction
// that fails for a reason that passes (a lock, a serialization failure, or a concurrent
// writer of the same control id — the last transaction of a killed instance can commit on
// PostgreSQL after the sender has resent its message here) is run again, up to three times:
// the message is then found recorded and answered from the record. If it still fails,
// nothing of the batch is durable, so nothing is acknowledged and each connection is
// closed (mllp.Drop): the senders resend what they have not had acknowledged.
func (s *Service) apply(ctx context.Context, batch []*request) {
	outs := make([]outcome, len(batch))
	var err error
	guard := false
	for attempt := 0; attempt < 4; attempt++ {
		err = s.db.Update(ctx, func(tx *store.Tx) error {
			for i, req := range batch {
				out, err := s.applyOne(ctx, tx, req, guard)
				if err != nil {
					return err
				}
				outs[i] = out
			}
			if h := s.cfg.Hooks.BeforeCommit; h != nil {
				h(len(batch))
			}
			return nil
		})
		if errors.Is(err, errGuard) && !guard {
			guard = true
			continue
		}
		if err == nil || !(errors.Is(err, store.ErrBusy) || errors.Is(err, clinic.ErrConflict)) || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		s.log.Error("apply HL7 messages", "messages", len(batch), "err", err)
		for _, req := range batch {
			req.reply(mllp.Drop)
		}
		return
	}
	if h := s.cfg.Hooks.AfterCommit; h != nil {
		h(len(batch))
	}
	debug := s.log.Enabled(ctx, slog.LevelDebug)
	for i, req := range batch {
		if debug {
			s.log.Debug("HL7 message", "type", typeOf(req), "bytes", len(req.raw), "outcome", outs[i].result)
		}
		req.reply(outs[i].ack)
	}
}

// applyOne applies or quarantines one message in tx; an error fails the whole batch (the
// database failed, not the message). A message received before (its control id recorded,
// applied or refused) gets the answer it got then and changes nothing, unless it is being
// re-processed from the quarantine.
func (s *Service) applyOne(ctx context.Context, tx *store.Tx, req *request, guard bool) (outcome, error) {
	d := req.route.db
	key := ""
	if req.msg != nil && d.ID != 0 {
		key = controlKey(req.msg)
		if req.quarantined == 0 {
			if ack, ok, err := tx.Sync().AcceptedMessage(ctx, d.ID, key); err != nil {
				return outcome{}, err
			} else if ok {
				return outcome{ack: []byte(ack), result: "repeated"}, nil
			}
		}
	}
	if req.refused != nil {
		return s.quarantine(ctx, tx, req, key, req.code, req.refused)
	}
	var result string
	apply := func() error {
		var err error
		result, err = s.applyMapped(ctx, tx, d, req.mapped, clinic.SystemActor(d.OrgID, "sync"))
		return err
	}
	var err error
	if guard {
		err = tx.Savepoint(ctx, apply)
	} else {
		err = apply()
	}
	if err != nil {
		if !refusable(err) {
			return outcome{}, err
		}
		if !guard {
			return outcome{}, errGuard
		}
		return s.quarantine(ctx, tx, req, key, hl7.AckError, err)
	}
	result = recorded(result)
	ack := hl7.Encode(hl7.ACK(req.msg, hl7.AckAccept, "", hl7.WithControlID(s.controlID())))
	if err := s.record(ctx, tx, req, key, result, ack); err != nil {
		return outcome{}, err
	}
	return outcome{ack: ack, result: result}, nil
}

// record keeps a message's outcome and answer under its control key.
func (s *Service) record(ctx context.Context, tx *store.Tx, req *request, key, result string, ack []byte) error {
	d := req.route.db
	m := store.SyncMessage{OrgID: d.OrgID, DatabaseID: d.ID, ControlKey: key, MessageType: typeOf(req), Outcome: result, ACK: string(ack)}
	if req.quarantined != 0 {
		return tx.Sync().ReplaceMessage(ctx, m)
	}
	return tx.Sync().RecordMessage(ctx, m)
}

// refusable reports whether err is the message's fault (its data breaks a rule), so it is
// quarantined and refused, rather than the database's (the batch is retried by the senders).
func refusable(err error) bool {
	var ve *clinic.ValidationError
	var ce *clinic.ConflictError
	var me *MapError
	var rf *refusal
	return errors.As(err, &ve) || errors.As(err, &ce) || errors.As(err, &me) || errors.As(err, &rf) ||
		errors.Is(err, clinic.ErrNotFound) || errors.Is(err, clinic.ErrConflict) || errors.Is(err, clinic.ErrForbidden)
}

// applyMapped writes what a message says, returning Created, Updated, Unchanged or Ignored.
func (s *Service) applyMapped(ctx context.Context, tx *store.Tx, d clinic.Database, m Mapped, actor clinic.Actor) (string, error) {
	switch {
	case m.Patient != nil:
		rec := m.Patient
		newer, err := tx.Sync().Advance(ctx, d.ID, "patient", rec.ExternalID, m.At)
		if err != nil || !newer {
			return Ignored, err
		}
		in := patientInput(rec, d)
		_, outcome, err := patient.SyncTx(ctx, tx, actor, d.ID, rec.ExternalID, in)
		if err != nil {
			return "", fmt.Errorf("%s: %w", m.Type, err)
		}
		return outcome, nil // patient.SyncCreated, SyncUpdated, SyncUnchanged are Created, Updated, Unchanged
	case len(m.Results) > 0:
		return s.applyResults(ctx, tx, d, m)
	case m.Merge != nil:
		return s.applyMerge(ctx, tx, actor, d, m)
	case m.Appointment != nil:
		return s.applyAppointment(ctx, tx, actor, d, m)
	case m.Recall != nil:
		return s.applyRecall(ctx, tx, d, m)
	}
	return Ignored, nil
}

// applyResults stores the results of an ORU^R01 that the database's profile takes (RES-1,
// RES-2): actioned, in a category it files, each then filed into its patient's recall of
// the day (RES-6); a result in a filed category that no doctor actioned yet is kept, held,
// and filed once an update actions it. A result about a patient Tidings does not know
// refuses the message (kept for re-processing once the patient's ADT has come).
func (s *Service) applyResults(ctx context.Context, tx *store.Tx, d clinic.Database, m Mapped) (string, error) {
	result := Ignored
	var cl clinic.Clinic
	for i, r := range m.Results {
		if !r.Taken && r.Skip != SkipNotActioned {
			continue
		}
		p, err := tx.Patients().PatientByExternalID(ctx, d.OrgID, d.ID, r.PatientExternalID)
		if errors.Is(err, clinic.ErrNotFound) && !r.Taken {
			continue // held results of unknown patients are not kept: the actioned update will be
		} else if errors.Is(err, clinic.ErrNotFound) {
			return "", &refusal{code: hl7.CodeUnknownKeyIdentifier, segment: "PID", field: 3,
				reason: fmt.Sprintf("PID-3: result %d is about a patient this database has not sent (send its ADT first); kept for re-processing", i+1)}
		} else if err != nil {
			return "", err
		}
		newer, err := tx.Sync().Advance(ctx, d.ID, "result", r.ExternalID, m.At)
		if err != nil {
			return "", err
		}
		if !newer {
			continue
		}
		if p.MergedInto != 0 {
			p.ID = p.MergedInto
		}
		outcome := string(r.Outcome)
		if !r.Taken {
			outcome = "held"
		}
		row := store.Result{OrgID: d.OrgID, DatabaseID: d.ID, PatientID: p.ID, ExternalID: r.ExternalID,
			Test: r.Test, PerformedAt: timeRef(r.Performed), Category: r.Category, DoctorID: r.Doctor.ID, DoctorName: r.Doctor.Name,
			Action: r.Action, ActionedAt: timeRef(r.ActionedAt), Comments: r.Comments, State: string(r.State), Outcome: outcome,
			Template: r.Template}
		stored, err := tx.Sync().UpsertResult(ctx, row)
		if err != nil {
			return "", err
		}
		result = Updated
		if !r.Taken {
			continue
		}
		if cl.ID == 0 {
			if cl, err = s.recallClinic(ctx, tx, d); err != nil {
				return "", err
			}
		}
		if err := recall.IntakeResult(ctx, tx, cl, stored); err != nil {
			return "", err
		}
	}
	return result, nil
}

// recallClinic is the clinic whose name, portal and sender a database's recalls use: its
// first clinic.
func (s *Service) recallClinic(ctx context.Context, tx *store.Tx, d clinic.Database) (clinic.Clinic, error) {
	cs, err := tx.Directory().ClinicsOfDatabase(ctx, d.OrgID, d.ID)
	if err != nil {
		return clinic.Clinic{}, err
	}
	if len(cs) == 0 {
		return clinic.Clinic{}, &refusal{code: hl7.CodeApplicationError,
			reason: "the clinical database has no clinic to send its recalls from; kept for re-processing"}
	}
	return cs[0], nil
}

func timeRef(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// patientInput is the patient use case's input for what a message says; a field the
// message leaves empty is cleared, as the clinical software's record has it empty.
func patientInput(rec *PatientRecord, d clinic.Database) patient.Input {
	in := patient.Input{GivenName: &rec.GivenName, FamilyName: &rec.FamilyName, BirthDate: &rec.BirthDate,
		Mobile: &rec.Mobile, Email: &rec.Email}
	if rec.Language != "" {
		in.Language = &rec.Language
	}
	if rec.OptOut != nil && d.Profile.CanReadOptOut() {
		in.PMSOptOut = rec.OptOut
	}
	return in
}

// quarantine keeps a refused message with its reason and builds its NAK, recorded under
// the message's control key when it has one (key; "" for a message that did not parse or
// route).
func (s *Service) quarantine(ctx context.Context, tx *store.Tx, req *request, key string, code hl7.AckCode, why error) (outcome, error) {
	q := store.QuarantineItem{OrgID: req.route.db.OrgID, DatabaseID: req.route.db.ID, Source: "mllp", Raw: req.raw,
		Code: int(hl7.CodeApplicationError), Reason: why.Error()}
	var dt hl7.Detailer
	if errors.As(why, &dt) {
		q.Code = int(dt.ErrDetail().Code)
	}
	var ack *hl7.Message
	if req.msg != nil {
		q.MessageType, q.ControlID = req.msg.Type().String(), req.msg.ControlID()
		ack = hl7.ACK(req.msg, code, why.Error(), hl7.WithControlID(s.controlID()), hl7.WithCause(why))
	} else {
		ack = hl7.ACKRaw(req.raw, code, why.Error(), hl7.WithControlID(s.controlID()), hl7.WithCause(why))
		q.ControlID = ack.Get("MSA-2")
	}
	if req.quarantined != 0 {
		if err := tx.Sync().RequarantineReason(ctx, q.OrgID, req.quarantined, q.Code, q.Reason); err != nil {
			return outcome{}, err
		}
	} else if _, err := tx.Sync().Quarantine(ctx, q); err != nil {
		return outcome{}, err
	}
	nak := hl7.Encode(ack)
	if key != "" {
		// A resend gets this NAK again, and is not kept a second time.
		if err := s.record(ctx, tx, req, key, store.SyncRefused, nak); err != nil {
			return outcome{}, err
		}
	}
	return outcome{ack: nak, result: store.SyncRefused, reason: q.Reason}, nil
}

// controlKey identifies a message among a database's: its control id with its sending
// application and facility.
func controlKey(m *hl7.Message) string {
	return m.SendingApplication().String() + "|" + m.SendingFacility().String() + "|" + m.ControlID()
}

// controlID is the control id of an ACK the service sends: unique within the process and
// across restarts.
func (s *Service) controlID() string {
	return fmt.Sprintf("T%d.%d", s.db.Now().UnixMilli(), s.seq.Add(1))
}

func typeOf(req *request) string {
	if req.msg == nil {
		return "unparsed"
	}
	return req.msg.Type().String()
}
