package email

import (
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
)

// fakeSMTP is a scripted SMTP server for the replies Mailpit cannot be made to give: a
// chosen code at a chosen step, silence, a dropped connection. It speaks just enough SMTP
// for one client at a time and records what it was sent.
type fakeSMTP struct {
	// greeting replaces "220 fake.test ESMTP"; a non-220 greeting closes the connection.
	greeting string
	// ext is the EHLO extension list; nil means ENHANCEDSTATUSCODES, 8BITMIME and DSN.
	ext []string
	// replies maps a verb (MAIL, RCPT, DATA, AUTH) to its reply; default 250 (354 for DATA).
	replies map[string]string
	// dataSilent: never answer DATA. dataHang: answer 354, then stop reading (the client's
	// writes block once the socket buffers are full).
	dataSilent, dataHang bool
	// endReply is the reply to the final "."; default "250 2.0.0 Ok: queued as F00".
	endReply string
	// endHang: after the final ".", never answer. endClose: close the connection instead.
	endHang, endClose bool
	// quitDrop closes the connection instead of answering QUIT.
	quitDrop bool

	mu       sync.Mutex
	commands []string
	payloads [][]byte
	conns    int
}

// start listens on a free loopback port; everything stops when the test ends.
func (f *fakeSMTP) start(t *testing.T) (host string, port int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			f.mu.Lock()
			f.conns++
			f.mu.Unlock()
			wg.Go(func() { f.serve(c, done) })
		}
	})
	t.Cleanup(func() {
		close(done)
		l.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	a := l.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

func (f *fakeSMTP) serve(c net.Conn, done <-chan struct{}) {
	defer c.Close()
	tp := textproto.NewConn(c)
	reply := func(s string) bool { return tp.PrintfLine("%s", s) == nil }
	greeting := f.greeting
	if greeting == "" {
		greeting = "220 fake.test ESMTP"
	}
	if !reply(greeting) || !strings.HasPrefix(greeting, "220") {
		return
	}
	ext := f.ext
	if ext == nil {
		ext = []string{"ENHANCEDSTATUSCODES", "8BITMIME", "DSN"}
	}
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.commands = append(f.commands, line)
		f.mu.Unlock()
		verb, _, _ := strings.Cut(strings.ToUpper(line), " ")
		switch verb {
		case "EHLO":
			lines := append([]string{"fake.test"}, ext...)
			for i, l := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				if !reply("250" + sep + l) {
					return
				}
			}
		case "HELO", "RSET", "NOOP":
			reply("250 2.0.0 Ok")
		case "MAIL", "RCPT", "AUTH":
			r := f.replies[verb]
			switch {
			case r != "":
			case verb == "AUTH":
				r = "235 2.7.0 Authentication successful"
			default:
				r = "250 2.1.0 Ok"
			}
			reply(r)
		case "DATA":
			if f.dataSilent {
				<-done
				return
			}
			if r := f.replies["DATA"]; r != "" {
				reply(r)
				continue
			}
			reply("354 End data with <CR><LF>.<CR><LF>")
			if f.dataHang {
				<-done
				return
			}
			payload, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.payloads = append(f.payloads, payload)
			f.mu.Unlock()
			switch {
			case f.endHang:
				<-done
				return
			case f.endClose:
				return
			case f.endReply != "":
				reply(f.endReply)
			default:
				reply("250 2.0.0 Ok: queued as F00")
			}
		case "QUIT":
			if !f.quitDrop {
				reply("221 2.0.0 Bye")
			}
			return
		default:
			reply("502 5.5.2 Error: command not recognized")
		}
	}
}

// got returns how many connections, payloads and which commands the server saw.
func (f *fakeSMTP) got() (conns, payloads int, commands []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns, len(f.payloads), append([]string(nil), f.commands...)
}
