package consent

import (
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
)

// benchFacts: a reminder by SMS that runs every rule to its end: a patient with a STOP
// followed by a reminder opt-in among six records, opted out in the PMS, an online booking
// on an agenda whose SMS is off. It is allowed (CON-3 over CON-1, CON-8 over CON-5).
func benchFacts() Facts {
	f := reminderSMS()
	f.BookedBy = clinic.BookedByPatient
	f.Switches.Agenda = false
	f.PMS.OptedOut = true
	f.Consents = []Record{
		rec(ChannelEmail, PurposeRecall, false, SourcePortal, 400*time.Hour),
		rec(ChannelSMS, PurposeAll, false, SourceSMS, 300*time.Hour),
		rec(ChannelSMS, PurposeRecall, true, SourcePortal, 200*time.Hour),
		rec(ChannelSMS, PurposeReminder, true, SourcePortal, 100*time.Hour),
		rec(ChannelPush, PurposeAll, false, SourcePortal, 50*time.Hour),
		rec(ChannelSMS, PurposeInvite, false, SourceDashboard, 10*time.Hour),
	}
	return f
}

var sink Decision

// BenchmarkDecide: one op = one decision with its full trace (the dispatch hot path).
func BenchmarkDecide(b *testing.B) {
	f := benchFacts()
	if d := Decide(f); !d.Allowed {
		b.Fatal(d.Outcome)
	}
	b.ReportAllocs()
	for b.Loop() {
		sink = Decide(f)
	}
}

// BenchmarkDecideMatrix: one op = one decision, averaged over every cell of the matrix.
func BenchmarkDecideMatrix(b *testing.B) {
	facts := matrixFacts()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		sink = Decide(facts[i].facts)
		if i++; i == len(facts) {
			i = 0
		}
	}
}

// BenchmarkDecideAndWrite: a decision plus what is stored with it: the English text and the
// trace lines (off the hot path, for comparison).
func BenchmarkDecideAndWrite(b *testing.B) {
	f := benchFacts()
	b.ReportAllocs()
	for b.Loop() {
		d := Decide(f)
		_ = d.Text(now)
		_ = d.Lines()
	}
}
