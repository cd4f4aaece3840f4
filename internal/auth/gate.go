package auth

import "time"

// Sign-in limits, per process, shared by the staff dashboard and the patient portal. Only
// failed attempts count: a correct password never uses up anything, so signing in often is
// never refused.
const (
	// PairFreeFailures is how many wrong passwords one client address may send for one
	// account before it must wait: PairFirstWait, doubling after each further failure up
	// to PairMaxWait. A success clears the pair.
	PairFreeFailures = 5
	PairFirstWait    = time.Minute
	PairMaxWait      = 30 * time.Minute
	// AccountCeiling failures an hour for one account, from all addresses together, stop
	// a guesser who spreads attempts over many addresses. An address that signed in to the
	// account successfully within TrustedFor is spared the ceiling (not its own back-off),
	// so the owner at their usual address is not locked out by someone else's failures.
	AccountCeiling = 100
	TrustedFor     = 30 * 24 * time.Hour
	// IPBurst failures from one address (across accounts), then one every IPEvery.
	IPBurst = 20
	IPEvery = 3 * time.Second
)

// Gate holds the sign-in limits of one surface: failures per client address, per (account,
// address) pair with growing waits, and per account across addresses, sparing the
// addresses an account signed in from lately. It is one type so that the dashboard's and
// the portal's sign-ins cannot drift apart in how they limit.
type Gate struct {
	byIP   *Limiter // failures per client address, across accounts
	byPair *Backoff // failures per (account, client address), with growing waits
	byAcct *Limiter // the per-account ceiling, across addresses
	usual  *KeySet  // (account, address) pairs that signed in lately: spared the ceiling
}

// NewGate builds a Gate with the limits above on clock now.
func NewGate(now func() time.Time) *Gate {
	return &Gate{
		byIP:   NewLimiter(IPEvery, IPBurst, now),
		byPair: NewBackoff(BackoffConfig{Free: PairFreeFailures, Base: PairFirstWait, Max: PairMaxWait, Now: now}),
		byAcct: NewLimiter(time.Hour/AccountCeiling, AccountCeiling, now),
		usual:  NewKeySet(TrustedFor, DefaultMaxKeys, now),
	}
}

// Pass is one attempt let through a Gate. Exactly one of Fail, Succeed and Abort ends it.
type Pass struct {
	g                    *Gate
	pair                 string
	attempt              Attempt
	refundIP, refundAcct func()
}

// Enter reserves an attempt for account (as typed, lower-cased) from client address ip
// under every limit, check-then-record, so that parallel requests cannot all pass the
// check. When a limit refuses, ok is false and limit names it ("address",
// "account_and_address", "account") for the log.
func (g *Gate) Enter(account, ip string) (p Pass, limit string, ok bool) {
	p = Pass{g: g, pair: "acct:" + account + "\x00ip:" + ip, refundAcct: func() {}}
	if p.refundIP, ok = g.byIP.Reserve("ip:" + ip); !ok {
		return p, "address", false
	}
	if p.attempt, _, ok = g.byPair.Begin(p.pair); !ok {
		p.refundIP()
		return p, "account_and_address", false
	}
	if !g.usual.Has(p.pair) {
		if p.refundAcct, ok = g.byAcct.Reserve("acct:" + account); !ok {
			p.attempt.Cancel()
			p.refundIP()
			return p, "account", false
		}
	}
	return p, "", true
}

// Fail keeps the attempt's place under every limit: a wrong password.
func (p Pass) Fail() { p.attempt.Fail() }

// Succeed gives the attempt's places back and remembers the pair as usual.
func (p Pass) Succeed() {
	p.attempt.Succeed()
	p.refundIP()
	p.refundAcct()
	p.g.usual.Add(p.pair)
}

// Abort gives the attempt's places back: an internal error, which says nothing of the
// password.
func (p Pass) Abort() {
	p.attempt.Cancel()
	p.refundIP()
	p.refundAcct()
}
