package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/hl7"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/mllp"
)

// hl7Command runs `tidings hl7 send|check`, the clinic IT person's tools for an HL7 v2
// feed: send messages from files to a listener and print each acknowledgement, or read
// messages and print what Tidings would do with them, without any database.
func hl7Command(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageError{errors.New("hl7: the subcommand is send or check")}
	}
	switch args[0] {
	case "send":
		return hl7Send(ctx, env, args[1:])
	case "check":
		return hl7Check(env, args[1:])
	}
	return usageError{fmt.Errorf("hl7: unknown subcommand %q (send or check)", args[0])}
}

// readMessages reads the messages of files: one per file, or several separated by blank
// lines or each starting with MSH (a file of a day's feed).
func readMessages(files []string) ([][]byte, []string, error) {
	var msgs [][]byte
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, usageError{err}
		}
		text := strings.ReplaceAll(strings.ReplaceAll(string(b), "\r\n", "\r"), "\n", "\r")
		parts := strings.Split(text, "\rMSH")
		for i, p := range parts {
			if i > 0 {
				p = "MSH" + p
			}
			p = strings.Trim(p, "\r")
			if strings.TrimSpace(p) == "" {
				continue
			}
			msgs = append(msgs, []byte(p+"\r"))
			names = append(names, fmt.Sprintf("%s#%d", f, i+1))
		}
	}
	return msgs, names, nil
}

func hl7Send(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("hl7 send", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for each acknowledgement")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: tidings hl7 send [--timeout 30s] HOST:PORT FILE...\n\nSends each message of the files over MLLP and prints its acknowledgement.")
		fs.PrintDefaults()
	}
	if err := parsePositional(fs, args, env); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		return usageError{errors.New("hl7 send: give HOST:PORT and at least one FILE")}
	}
	msgs, names, err := readMessages(fs.Args()[1:])
	if err != nil {
		return err
	}
	c, err := mllp.Dial(ctx, fs.Arg(0), nil)
	if err != nil {
		return fmt.Errorf("hl7 send: %w", err)
	}
	defer c.Close()
	refused := 0
	for i, m := range msgs {
		sctx, cancel := context.WithTimeout(ctx, *timeout)
		ack, err := c.Send(sctx, m)
		cancel()
		if err != nil {
			return fmt.Errorf("hl7 send %s: %w", names[i], err)
		}
		code, text := "?", ""
		if a, err := hl7.Parse(ack); err == nil {
			code, text = a.Get("MSA-1"), a.Get("MSA-3")
		}
		if code != string(hl7.AckAccept) && code != string(hl7.AckCommitAccept) {
			refused++
		}
		fmt.Fprintf(env.Stdout, "%s: %s %s\n", names[i], code, text)
	}
	if refused > 0 {
		return fmt.Errorf("hl7 send: %d of %d messages were not accepted", refused, len(msgs))
	}
	return nil
}

func hl7Check(env Env, args []string) error {
	fs := flag.NewFlagSet("hl7 check", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	profile := fs.String("profile", string(clinic.ProfileGeneric), "software profile: generic, best_practice, medical_director, zedmed or optomate")
	zone := fs.String("zone", "UTC", "IANA time zone of times written without an offset")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: tidings hl7 check [--profile P] [--zone Z] FILE...\n\nParses and maps each message without storing it: prints what it would change, or why it would be refused.")
		fs.PrintDefaults()
	}
	if err := parsePositional(fs, args, env); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{errors.New("hl7 check: give at least one FILE")}
	}
	p := clinic.SoftwareProfile(*profile)
	if !p.Valid() {
		return usageError{fmt.Errorf("hl7 check: --profile: unknown software profile %q", *profile)}
	}
	loc, err := time.LoadLocation(*zone)
	if err != nil {
		return usageError{fmt.Errorf("hl7 check: --zone: %w", err)}
	}
	msgs, names, err := readMessages(fs.Args())
	if err != nil {
		return err
	}
	refused := 0
	for i, raw := range msgs {
		m, err := hl7.Parse(raw)
		if err == nil {
			err = hl7.Validate(m)
		}
		var mapped integration.Mapped
		if err == nil {
			mapped, err = integration.MapHL7(m, integration.DefaultProfile(p), loc)
		}
		if err != nil {
			refused++
			fmt.Fprintf(env.Stdout, "%s: refused: %s\n", names[i], oneLine(err.Error()))
			continue
		}
		b, err := json.Marshal(mapped)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s: %s %s\n", names[i], mapped.Type, b)
	}
	if refused > 0 {
		return fmt.Errorf("hl7 check: %d of %d messages would be refused", refused, len(msgs))
	}
	return nil
}

// parsePositional is parse for a command that takes arguments after its flags.
func parsePositional(fs *flag.FlagSet, args []string, env Env) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(env.Stdout)
			fs.Usage()
			return err
		}
		return usageError{fmt.Errorf("%s: %w", fs.Name(), err)}
	}
	return nil
}
