package demo

import (
	"context"
	"strconv"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// demoMessage is one message of a seeded conversation, minutes after the conversation
// began; byStaff says whether the professional wrote it.
type demoMessage struct {
	after   time.Duration
	byStaff bool
	body    string
}

// messaging seeds secure messaging (MSG-1..MSG-6) so that a newcomer sees it at once: each
// clinic with another switch setting, and conversations in both directions.
//
//   - The first Sydney clinic: professionals start conversations and everyone answers
//     incoming ones; the portal's "New message" button is on; reception triages. The
//     doctor wrote to the first patient (who manages their child's record and has the demo
//     portal login), who answered and whose answer the doctor read; another patient asked a
//     question nobody has taken yet (unassigned, unread).
//   - The second Sydney clinic: only the doctor may start conversations, and it takes none
//     from patients (its portal shows no "New message" button).
//   - Paris: professionals start none; patients write in, and only the doctor answers; a
//     patient's question, assigned to the doctor and answered.
func (s *seeder) messaging(ctx context.Context, sites []site, doctor clinic.UserID, sydPool, parisPool []clinic.Patient) error {
	defer func() { s.tx.Now = s.now }()
	sets := []store.MessagingSettings{
		{StaffStart: true, StaffStartAll: true, Incoming: true, IncomingAll: true, PortalButton: true, ReceptionTriage: true},
		{StaffStart: true, StartList: []clinic.UserID{doctor}},
		{Incoming: true, AnswerList: []clinic.UserID{doctor}, PortalButton: true},
	}
	for i, st := range sites {
		if i >= len(sets) {
			break
		}
		set := sets[i]
		set.ClinicID = st.clinic.ID
		if err := s.tx.Messaging().PutMessagingSettings(ctx, s.org, set); err != nil {
			return err
		}
	}
	type conv struct {
		site     int
		patient  clinic.Patient
		subject  string
		by       string
		assigned bool
		read     bool // the other side read the last message
		ago      time.Duration
		messages []demoMessage
	}
	convs := []conv{
		{site: 0, patient: sydPool[0], subject: "Following up on your visit", by: store.ByStaff, read: true, ago: 26 * time.Hour, messages: []demoMessage{
			{0, true, "Hello, this is Dr Nguyen. How is the cough since your visit on Monday? If it is not better by Friday, please book a review."},
			{95 * time.Minute, false, "Thank you doctor, it is much better. I will book if it comes back."},
			{3 * time.Hour, true, "Good to hear. Take care."},
		}},
		{site: 0, patient: sydPool[2], subject: "Repeat prescription", by: store.ByPatient, ago: 2 * time.Hour, messages: []demoMessage{
			{0, false, "Hi, could I get a repeat of my usual prescription? I can pick it up on Thursday."},
		}},
		{site: 2, patient: parisPool[2], subject: "Question sur mon rendez-vous", by: store.ByPatient, assigned: true, read: true, ago: 5 * time.Hour, messages: []demoMessage{
			{0, false, "Bonjour, dois-je venir à jeun pour la prise de sang de jeudi ?"},
			{40 * time.Minute, true, "Bonjour, oui : ne mangez pas dans les 12 heures avant la prise de sang. Vous pouvez boire de l’eau."},
		}},
	}
	for _, c := range convs {
		st := sites[c.site]
		start := s.now.Add(-c.ago)
		s.tx.Now = start
		row := store.Conversation{OrgID: s.org, ClinicID: st.clinic.ID, PatientID: c.patient.ID, Subject: c.subject, StartedBy: c.by}
		if c.by == store.ByStaff {
			row.StartedByUser = doctor
		}
		if c.assigned {
			row.AssignedUserID = doctor
		}
		row, err := s.tx.Messaging().CreateConversation(ctx, row)
		if err != nil {
			return err
		}
		for _, m := range c.messages {
			s.tx.Now = start.Add(m.after)
			msg := store.Message{OrgID: s.org, ConversationID: row.ID, Body: m.body, Author: store.ByPatient, AuthorPatientID: c.patient.ID}
			author := "patient:" + strconv.FormatInt(int64(c.patient.ID), 10)
			if m.byStaff {
				msg.Author, msg.AuthorPatientID, msg.AuthorUserID = store.ByStaff, 0, doctor
				author = "user:" + strconv.FormatInt(int64(doctor), 10)
			}
			if msg, err = s.tx.Messaging().AddMessage(ctx, msg, store.MessageWrite{ReadBy: author}); err != nil {
				return err
			}
			if _, err := s.tx.Messaging().AddMessageEvent(ctx, store.MessageEvent{OrgID: s.org, ConversationID: row.ID, ClinicID: st.clinic.ID,
				PatientID: c.patient.ID, Kind: store.EventMessage, MessageID: msg.ID}); err != nil {
				return err
			}
			row.LastMessageID = msg.ID
		}
		if c.read {
			// The other side of the last message read it a few minutes later.
			s.tx.Now = s.tx.Now.Add(7 * time.Minute)
			last := c.messages[len(c.messages)-1]
			who := "user:" + strconv.FormatInt(int64(doctor), 10)
			if last.byStaff {
				who = "patient:" + strconv.FormatInt(int64(c.patient.ID), 10)
			}
			if _, err := s.tx.Messaging().MarkRead(ctx, s.org, row.ID, who, row.LastMessageID); err != nil {
				return err
			}
		}
	}
	return nil
}
