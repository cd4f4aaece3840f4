// Package mailpittest runs a real Mailpit (the SMTP server and mailbox the module pins as a
// go tool, github.com/axllent/mailpit) for tests, and reads what it received through its
// HTTP API.
//
// Start runs one Mailpit per test on free loopback ports and stops it when the test ends.
// The binary comes from `go tool -n mailpit`, which builds it into the Go build cache the
// first time (a couple of minutes) and then just prints its path; the lookup is done once
// per test binary. Mailpit is fetched and built by the go command from go.mod, so tests
// that use it always run: a failure to build or start it fails the test, it never skips.
//
// Dependency rule: the standard library only; nothing of this module, so that it checks
// package email from the outside.
package mailpittest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// binary finds the mailpit executable once per test binary: every test would otherwise pay
// the go command's two seconds of package loading. It is the package's only state, and it
// never changes once set.
var binary = sync.OnceValues(func() (string, error) {
	cmd := exec.Command("go", "tool", "-n", "mailpit")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go tool -n mailpit: %w: %s", err, stderr.Bytes())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	path := strings.TrimSpace(lines[len(lines)-1])
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("go tool -n mailpit printed %q: %w", path, err)
	}
	return path, nil
})

// Options changes how Mailpit's SMTP side behaves.
type Options struct {
	// TLS gives Mailpit a fresh self-signed certificate for 127.0.0.1 and localhost (see
	// Server.RootCAs) and offers STARTTLS.
	TLS bool
	// RequireSTARTTLS (with TLS) refuses mail from clients that did not upgrade.
	RequireSTARTTLS bool
	// ImplicitTLS (with TLS) speaks TLS from the first byte, as on port 465.
	ImplicitTLS bool
	// AuthAcceptAny offers SMTP AUTH and accepts any user name and password. Without TLS,
	// Mailpit only allows it with AllowInsecureAuth.
	AuthAcceptAny bool
	// AllowInsecureAuth lets PLAIN and LOGIN run without TLS.
	AllowInsecureAuth bool
}

// Server is a running Mailpit.
type Server struct {
	// SMTPHost and SMTPPort are where it accepts mail: 127.0.0.1 and a free port.
	SMTPHost string
	SMTPPort int
	// APIURL is the base of the HTTP API, "http://127.0.0.1:PORT".
	APIURL string
	// RootCAs trusts Mailpit's certificate (with Options.TLS), nil otherwise.
	RootCAs *x509.CertPool

	client *http.Client
}

// Start runs Mailpit with the default options: plain SMTP, no auth.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith runs Mailpit with opts and waits until both its SMTP and HTTP sides answer.
// It is stopped (and its database removed) when the test ends.
func StartWith(t testing.TB, opts Options) *Server {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatalf("mailpittest: %v", err)
	}
	dir := t.TempDir()
	s := &Server{SMTPHost: "127.0.0.1", client: &http.Client{Timeout: 10 * time.Second}}
	var extra []string
	if opts.TLS {
		cert, key, pool, err := selfSigned(dir)
		if err != nil {
			t.Fatalf("mailpittest: certificate: %v", err)
		}
		s.RootCAs = pool
		extra = append(extra, "--smtp-tls-cert", cert, "--smtp-tls-key", key)
		if opts.RequireSTARTTLS {
			extra = append(extra, "--smtp-require-starttls")
		}
		if opts.ImplicitTLS {
			extra = append(extra, "--smtp-require-tls")
		}
	}
	if opts.AuthAcceptAny {
		extra = append(extra, "--smtp-auth-accept-any")
	}
	if opts.AllowInsecureAuth {
		extra = append(extra, "--smtp-auth-allow-insecure")
	}

	// The ports are found free, closed, then given to Mailpit, so another process may take
	// one in between; a start that fails is retried on new ports.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		smtpPort, err1 := freePort()
		httpPort, err2 := freePort()
		if err := errors.Join(err1, err2); err != nil {
			t.Fatalf("mailpittest: free port: %v", err)
		}
		s.SMTPPort = smtpPort
		s.APIURL = fmt.Sprintf("http://127.0.0.1:%d", httpPort)
		args := append([]string{
			"--smtp", fmt.Sprintf("127.0.0.1:%d", smtpPort),
			"--listen", fmt.Sprintf("127.0.0.1:%d", httpPort),
			"--database", filepath.Join(dir, fmt.Sprintf("mailpit-%d.db", attempt)),
			"--disable-version-check",
			"--smtp-disable-rdns",
		}, extra...)
		if lastErr = s.run(t, bin, args); lastErr == nil {
			return s
		}
	}
	t.Fatalf("mailpittest: start mailpit: %v", lastErr)
	return nil
}

// run starts the process and waits for it to be ready; on success it registers its stop.
func (s *Server) run(t testing.TB, bin string, args []string) error {
	var logs syncBuffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("mailpit exited (%v) before it was ready:\n%s", err, logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if s.ready() {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("mailpit not ready after 30s:\n%s", logs.String())
		}
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("mailpit log:\n%s", logs.String())
		}
	})
	return nil
}

// ready reports whether the HTTP API says ready and the SMTP port accepts connections.
func (s *Server) ready() bool {
	resp, err := s.client.Get(s.APIURL + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	c, err := net.DialTimeout("tcp", net.JoinHostPort(s.SMTPHost, fmt.Sprint(s.SMTPPort)), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Address is a mailbox as Mailpit reports it.
type Address struct {
	Name    string
	Address string
}

// Summary is one received message in the list.
type Summary struct {
	// ID is Mailpit's own ID, for Message and Raw.
	ID string
	// MessageID is the Message-ID header without its angle brackets (as Mailpit keeps it).
	MessageID string
	// To are the addresses of the To header.
	To      []string
	Subject string
}

// Attachment is an attachment or inline part of a received message.
type Attachment struct {
	PartID      string
	FileName    string
	ContentType string
	Size        int
}

// Message is a received message as Mailpit parsed it.
type Message struct {
	ID          string
	MessageID   string
	From        Address
	To          []Address
	Subject     string
	Text        string
	HTML        string
	Inline      []Attachment
	Attachments []Attachment
	// Username is the name the client authenticated with, "" without SMTP AUTH.
	Username string
}

// Messages lists every received message, newest first.
func (s *Server) Messages(t testing.TB) []Summary {
	t.Helper()
	var list struct {
		Messages []struct {
			ID        string
			MessageID string
			To        []Address
			Subject   string
		} `json:"messages"`
	}
	s.getJSON(t, "/api/v1/messages?limit=1000", &list)
	out := make([]Summary, 0, len(list.Messages))
	for _, m := range list.Messages {
		sum := Summary{ID: m.ID, MessageID: m.MessageID, Subject: m.Subject}
		for _, a := range m.To {
			sum.To = append(sum.To, a.Address)
		}
		out = append(out, sum)
	}
	return out
}

// Message fetches one message, parsed.
func (s *Server) Message(t testing.TB, id string) Message {
	t.Helper()
	var m Message
	s.getJSON(t, "/api/v1/message/"+url.PathEscape(id), &m)
	return m
}

// Raw fetches one message exactly as it was received.
func (s *Server) Raw(t testing.TB, id string) []byte {
	t.Helper()
	return s.get(t, "/api/v1/message/"+url.PathEscape(id)+"/raw")
}

// Part fetches one attachment or inline part of a message, decoded.
func (s *Server) Part(t testing.TB, id, partID string) []byte {
	t.Helper()
	return s.get(t, "/api/v1/message/"+url.PathEscape(id)+"/part/"+url.PathEscape(partID))
}

// Headers fetches one message's header fields, by name as the message spelled them.
func (s *Server) Headers(t testing.TB, id string) map[string][]string {
	t.Helper()
	var h map[string][]string
	s.getJSON(t, "/api/v1/message/"+url.PathEscape(id)+"/headers", &h)
	return h
}

// CountByMessageID counts the received messages with this Message-ID, given with or
// without angle brackets: 1 for a message sent once, 2 for a duplicate.
func (s *Server) CountByMessageID(t testing.TB, messageID string) int {
	t.Helper()
	want := strings.Trim(messageID, "<>")
	n := 0
	for _, m := range s.Messages(t) {
		if m.MessageID == want {
			n++
		}
	}
	return n
}

// Await waits up to five seconds for a message with this Message-ID and returns it; the
// test fails if none arrives.
func (s *Server) Await(t testing.TB, messageID string) Summary {
	t.Helper()
	want := strings.Trim(messageID, "<>")
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, m := range s.Messages(t) {
			if m.MessageID == want {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpittest: no message with Message-ID %s after 5s", messageID)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *Server) getJSON(t testing.TB, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(s.get(t, path), v); err != nil {
		t.Fatalf("mailpittest: GET %s: %v", path, err)
	}
}

func (s *Server) get(t testing.TB, path string) []byte {
	t.Helper()
	resp, err := s.client.Get(s.APIURL + path)
	if err != nil {
		t.Fatalf("mailpittest: GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("mailpittest: GET %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpittest: GET %s: %s: %s", path, resp.Status, body)
	}
	return body
}

// selfSigned writes a fresh certificate and key for 127.0.0.1 and localhost into dir.
func selfSigned(dir string) (certFile, keyFile string, pool *x509.CertPool, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "mailpittest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", nil, err
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		return "", "", nil, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return "", "", nil, err
	}
	pool = x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return certFile, keyFile, pool, nil
}

// syncBuffer collects the process's output, written from its copying goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
