package architecture

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/tidings-health/tidings/internal/"

// layers places every package. A package may import packages of its own layer or below.
func layers() map[string]int {
	place := map[string]int{}
	for i, layer := range [][]string{
		{"clinic"},
		{"availability", "walltime", "zonetest", "input", "contact", "auth", "i18n", "config", "consent", "sendtime", "sms", "sms/twilio", "sms/twilio/twiliotest",
			"compose", "email", "email/mailpittest", "webpush", "nodetest", "hl7", "mllp", "fhir", "fhir/fhirtest"},
		{"store", "store/storetest"},
		{"audit", "audit/audittest", "jobs", "booking", "directory", "patient", "staff", "session", "lifecycle", "decide", "notify", "dispatch", "inbound", "integration",
			"account", "waitlist", "recall", "messaging", "realtime"},
		{"web", "page", "api", "dashboard", "hooks", "portal"},
		{"server"},
		{"app"},
		{"demo", "bench", "cli", "architecture"},
	} {
		for _, p := range layer {
			place[p] = i
		}
	}
	return place
}

type listed struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Imports    []string
	Export     string
	Standard   bool
}

// list runs go list over the module's packages (and, with deps, their dependencies with
// export data for the type checker).
func list(t *testing.T, deps bool) []listed {
	t.Helper()
	args := []string{"list", "-json"}
	if deps {
		args = append(args, "-export", "-deps")
	}
	cmd := exec.Command("go", append(args, "../...")...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, errb.String())
	}
	var ps []listed
	dec := json.NewDecoder(&out)
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

func TestImportDirection(t *testing.T) {
	place := layers()
	for _, p := range list(t, false) {
		name, ok := strings.CutPrefix(p.ImportPath, module)
		if !ok {
			continue
		}
		from, placed := place[name]
		if !placed {
			t.Errorf("package %s is in no layer: place it in layers() (architecture_test.go)", name)
			continue
		}
		for _, imp := range p.Imports {
			dep, ok := strings.CutPrefix(imp, module)
			if !ok {
				continue
			}
			if to, placed := place[dep]; placed && to > from {
				t.Errorf("%s (layer %d) imports %s (layer %d): imports must point down", name, from, dep, to)
			}
		}
	}
}

// writes matches the names of *store.Tx methods that change data. A new method with
// another verb must be added here or to reads (TestEveryTxMethodClassified).
var writes = regexp.MustCompile(`^(Create|Update|Delete|Set|Add|Link|Unlink|Record|Audit$|IdempotentStore|Touch|Revoke|Disable|Enable|Insert|Upsert|Bump|Remove|Mark|Save|Put|Clear|Expire|Purge|Lock|Plan|Withdraw|Postpone|Transitions|Flag|Advance|Quarantine$|Resolve|Requarantine|Claim|Finish|Replace|Retry|Reset|Rehash|UsePortalToken$|Decide|Close|Free)`)

// writers may call them: the use cases, the store itself and its test fixtures, and the
// seeders of synthetic data (the demo organisation and the benchmarks write thousands of
// rows in one transaction for a clinic nobody is treating; they have no actor to audit).
func writers() []string {
	return []string{"store", "store/storetest", "audit", "booking", "directory", "patient", "staff", "session", "jobs", "decide", "notify", "dispatch", "inbound", "integration",
		"account", "waitlist", "recall", "messaging", "demo", "bench"}
}

func TestStoreWritesOnlyFromUseCases(t *testing.T) {
	pkgs := list(t, true)
	exports := map[string]string{}
	for _, p := range pkgs {
		exports[p.ImportPath] = p.Export
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	checked, found := 0, 0
	for _, p := range pkgs {
		name, ok := strings.CutPrefix(p.ImportPath, module)
		if !ok || slices.Contains(writers(), name) {
			continue
		}
		var files []*ast.File
		for _, f := range p.GoFiles {
			af, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, af)
		}
		info := &types.Info{Selections: map[*ast.SelectorExpr]*types.Selection{}}
		conf := types.Config{Importer: imp}
		if _, err := conf.Check(p.ImportPath, fset, files, info); err != nil {
			t.Fatalf("type-check %s: %v", name, err)
		}
		checked++
		for sel, s := range info.Selections {
			fn, ok := s.Obj().(*types.Func)
			if !ok || s.Kind() != types.MethodVal || !isStoreTx(s.Recv()) {
				continue
			}
			found++
			if writes.MatchString(fn.Name()) {
				t.Errorf("%s: package %s calls (*store.Tx).%s: writes go through a use case (booking, directory, patient, staff, …)",
					fset.Position(sel.Pos()), name, fn.Name())
			}
		}
	}
	if checked < 10 || found == 0 {
		t.Fatalf("checked %d packages and found %d store calls: the test is not looking where it should", checked, found)
	}
}

// isStoreTx reports whether t is *store.Tx or one of its capability handles (a store type
// that embeds *Tx: store.Patients, store.Directory, …).
func isStoreTx(t types.Type) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := t.(*types.Named)
	if !ok || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != module+"store" {
		return false
	}
	if n.Obj().Name() == "Tx" {
		return true
	}
	st, ok := n.Underlying().(*types.Struct)
	if !ok {
		return false
	}
	for i := range st.NumFields() {
		if f := st.Field(i); f.Embedded() && isStoreTx(f.Type()) {
			return true
		}
	}
	return false
}

// TestEveryTxMethodClassified keeps writes honest: a *store.Tx (or handle) method must either match
// writes or be known as a read, so that a new write with an unusual verb cannot slip past
// TestStoreWritesOnlyFromUseCases.
func TestEveryTxMethodClassified(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, "../store", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	var unknown, all []string
	for _, pkg := range pkgs {
		for _, f := range pkg.Files {
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Recv == nil || !fd.Name.IsExported() {
					continue
				}
				// *Tx itself, or a capability handle (a value receiver named tx).
				recv := fd.Recv.List[0]
				if star, ok := recv.Type.(*ast.StarExpr); ok {
					if fmt.Sprint(star.X) != "Tx" {
						continue
					}
				} else if len(recv.Names) == 0 || recv.Names[0].Name != "tx" {
					continue
				}
				n := fd.Name.Name
				all = append(all, n)
				if !writes.MatchString(n) && !reads.MatchString(n) {
					unknown = append(unknown, n)
				}
			}
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		t.Errorf("*store.Tx methods neither a known write nor a known read: %v; classify them in architecture_test.go", unknown)
	}
	if len(all) < 40 {
		t.Fatalf("found %d *store.Tx methods: the test is not reading the store", len(all))
	}
}

// reads matches the *store.Tx methods that only read (nouns, lookups, the transaction's own
// helpers).
var reads = regexp.MustCompile(`^(Directory|Patients|Schedule|Appointments|Staff|AuditTrail|Appointment|ListAppointments|ListPatients|AppointmentEvents|Agenda|Agendas|AgendasOffering|Absences|AuditLog|Clinic|Clinics|ClinicsOfDatabase|Database|Databases|Exceptions|IdempotentLookup|Organisation|OrganisationBySlug|Organisations|Patient|Patients|Practitioner|Practitioners|PractitionerAppointments|Reason|Reasons|Relatives|Session|Token|TokenByHash|User|UserByEmail|Users|Tokens|WorkingHours|OverlappingAppointments|ConsentRecords|AgendaChannelsOff|PatientsWithConsent|Consent|ReasonSwitches|PMSOptedOut|UpcomingAppointments|Decisions|AppointmentsByTime|BusyIntervals|PatientsByIDs|UsersByIDs|SessionByToken|Statements|Raw|Dialect|OnCommit|Savepoint|Notifications|Notification|NotificationsByIDs|PlannedForAppointments|SentForAppointment|NextDue|GroupMembers|LastAsking|PlannedSMSFor|CountStates|SegmentsSent|NotifySettingsOf|ClinicPhone|SMSAccounts|SMSAccountsBySender|Templates|Inbox|UnreadInbox|PushSubscriptions|PatientsByMobile|AppointmentsByIDs|GroupCandidates|SharedMobiles|UnknownSMS|Events|DecisionsOf|Absence|Exception|AuditTokens|AuditUsers|PractitionerDay|UserByPractitioner|Sync|AcceptedMessage|HL7Facility|PatientByExternalID|QuarantineItems|QuarantinedItem|ResultsOf|RouteHL7|AgendasOf|AppointmentByExternalID|Mapping|Mappings|ReasonsOfAgenda|RecallsOf|Stats|WriteBackOf|FailedWriteBacks|HL7Outbound|FHIRSettingsOf|FHIRDatabases|FHIRCursor|RecallByExternalID|DatabaseProfile|EmailRecords|ManagedRelatives|OfferByLink|OffersOfSlot|OffersOfSlots|OpenOffersFor|PatientsByEmail|PendingInvites|Portal|PortalAccount|PortalAccountByEmail|PortalAccountOf|PortalBySlug|PortalPatients|PortalSessionByToken|PortalSettingsOf|PortalSlugTaken|PortalTokenByHash|SeenAt|UpcomingAt|Waitlist|WaitlistEntries|WaitlistEntry|WaitlistOffer|WaitlistSlot|WaitlistSlots|OnlineBookings|OnlineSeen|Recalls|RecallTemplates|RecallTemplate|Sequence|SequenceOfDay|SequenceOfRecall|SequencesOfPatient|SequencesInState|SequencesBookedInto|SequencesByIDs|ResultsOfSequence|StepsOf|RecallSettingsOf|RecallLinkByHash|Checklist|ChecklistCounts|RecallSummary|ResultByExternalID|Messaging|MessagingSettingsOf|Conversation|Conversations|Attachment|Messages|Message|Reads|MessageEventsAfter|LastMessageEvent|UnreadConversations|UnreadByPatients|WaitingAlerts|ConversationWithSettings|DigestClinics|UnreadByClinic|LastDigest)$|^(Count|Exists|Find|Get|List|Lookup|Has)`)
