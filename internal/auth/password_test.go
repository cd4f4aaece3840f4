package auth

import (
	"errors"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// testParams are deliberately cheap so the suite stays fast; only
// TestHashPasswordDefaults pays for DefaultParams.
func testParams() Params {
	return Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

func mustHash(t testing.TB, pw string, p Params) string {
	t.Helper()
	h, err := HashPasswordWithParams(pw, p)
	if err != nil {
		t.Fatalf("HashPasswordWithParams: %v", err)
	}
	return h
}

func TestHashPasswordDefaults(t *testing.T) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("unexpected encoding %q", h)
	}
	ok, err := CheckPassword(h, "correct horse battery staple")
	if err != nil || !ok {
		t.Fatalf("CheckPassword(right) = %v, %v", ok, err)
	}
	if NeedsRehash(h, DefaultParams()) {
		t.Fatal("fresh default hash should not need rehash")
	}
	if err := DefaultParams().Validate(); err != nil {
		t.Fatalf("DefaultParams invalid: %v", err)
	}
}

func TestHashPasswordSaltIsRandom(t *testing.T) {
	a, b := mustHash(t, "same password", testParams()), mustHash(t, "same password", testParams())
	if a == b {
		t.Fatal("two hashes of the same password are identical; salt is not random")
	}
}

func TestHashPasswordRejectsBadParams(t *testing.T) {
	tests := map[string]func(*Params){
		"zero parallelism": func(p *Params) { p.Parallelism = 0 },
		"zero iterations":  func(p *Params) { p.Iterations = 0 },
		"huge iterations":  func(p *Params) { p.Iterations = MaxIterations + 1 },
		"memory too small": func(p *Params) { p.Memory = 7 },
		"memory too big":   func(p *Params) { p.Memory = MaxMemoryKiB + 1 },
		"short salt":       func(p *Params) { p.SaltLength = 8 },
		"short key":        func(p *Params) { p.KeyLength = 8 },
		"long key":         func(p *Params) { p.KeyLength = MaxKeyLength + 1 },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			p := testParams()
			mutate(&p)
			if _, err := HashPasswordWithParams("whatever", p); !errors.Is(err, ErrInvalidParams) {
				t.Fatalf("err = %v, want ErrInvalidParams", err)
			}
		})
	}
}

func TestCheckPassword(t *testing.T) {
	good := mustHash(t, "hunter2hunter2", testParams())
	// A valid hash of the same password made with different parameters
	// must still verify: parameters come from the stored string.
	other := mustHash(t, "hunter2hunter2", Params{Memory: 128, Iterations: 2, Parallelism: 2, SaltLength: 24, KeyLength: 16})
	fields := strings.Split(good, "$") // "", argon2id, v=19, params, salt, hash

	tests := []struct {
		name      string
		encoded   string
		password  string
		want      bool
		malformed bool
	}{
		{name: "right", encoded: good, password: "hunter2hunter2", want: true},
		{name: "right other params", encoded: other, password: "hunter2hunter2", want: true},
		{name: "wrong", encoded: good, password: "hunter2hunter3"},
		{name: "empty password", encoded: good, password: ""},
		{name: "case differs", encoded: good, password: "HUNTER2HUNTER2"},
		{name: "empty hash", encoded: "", password: "x", malformed: true},
		{name: "bcrypt", encoded: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", password: "x", malformed: true},
		{name: "argon2i", encoded: strings.Replace(good, "argon2id", "argon2i", 1), password: "hunter2hunter2", malformed: true},
		{name: "version 16", encoded: strings.Replace(good, "v=19", "v=16", 1), password: "hunter2hunter2", malformed: true},
		{name: "missing hash field", encoded: strings.Join(fields[:5], "$"), password: "hunter2hunter2", malformed: true},
		{name: "extra field", encoded: good + "$abc", password: "hunter2hunter2", malformed: true},
		{name: "params out of order", encoded: strings.Replace(good, "m=64,t=1,p=1", "t=1,m=64,p=1", 1), password: "hunter2hunter2", malformed: true},
		{name: "non-numeric param", encoded: strings.Replace(good, "m=64", "m=x", 1), password: "hunter2hunter2", malformed: true},
		{name: "negative param", encoded: strings.Replace(good, "t=1", "t=-1", 1), password: "hunter2hunter2", malformed: true},
		{name: "leading zero param", encoded: strings.Replace(good, "m=64", "m=064", 1), password: "hunter2hunter2", malformed: true},
		{name: "zero parallelism", encoded: strings.Replace(good, "p=1", "p=0", 1), password: "hunter2hunter2", malformed: true},
		{name: "parallelism overflow", encoded: strings.Replace(good, "p=1", "p=257", 1), password: "hunter2hunter2", malformed: true},
		{name: "huge memory", encoded: strings.Replace(good, "m=64", "m=4294967295", 1), password: "hunter2hunter2", malformed: true},
		{name: "huge iterations", encoded: strings.Replace(good, "t=1", "t=100000", 1), password: "hunter2hunter2", malformed: true},
		{name: "salt not base64", encoded: strings.Join([]string{"", fields[1], fields[2], fields[3], "!!!!", fields[5]}, "$"), password: "x", malformed: true},
		{name: "salt padded", encoded: strings.Join([]string{"", fields[1], fields[2], fields[3], fields[4] + "==", fields[5]}, "$"), password: "x", malformed: true},
		{name: "salt too short", encoded: strings.Join([]string{"", fields[1], fields[2], fields[3], "AAAA", fields[5]}, "$"), password: "x", malformed: true},
		{name: "hash too short", encoded: strings.Join([]string{"", fields[1], fields[2], fields[3], fields[4], "AAAAAAAA"}, "$"), password: "x", malformed: true},
		{name: "trailing newline", encoded: good + "\n", password: "hunter2hunter2", malformed: true},
		{name: "huge input", encoded: good + strings.Repeat("A", 4096), password: "x", malformed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckPassword(tt.encoded, tt.password)
			if tt.malformed {
				if !errors.Is(err, ErrMalformedHash) {
					t.Fatalf("err = %v, want ErrMalformedHash", err)
				}
				if got {
					t.Fatal("malformed hash reported a match")
				}
				if !NeedsRehash(tt.encoded, testParams()) {
					t.Fatal("malformed hash should need rehash")
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != tt.want {
				t.Fatalf("CheckPassword = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	base := testParams()
	h := mustHash(t, "pw", base)
	tests := []struct {
		name   string
		mutate func(*Params)
		want   bool
	}{
		{"same params", func(*Params) {}, false},
		{"more memory", func(p *Params) { p.Memory *= 2 }, true},
		{"less memory", func(p *Params) { p.Memory /= 2 }, true},
		{"more iterations", func(p *Params) { p.Iterations++ }, true},
		{"more parallelism", func(p *Params) { p.Parallelism++ }, true},
		{"longer salt", func(p *Params) { p.SaltLength = 32 }, true},
		{"longer key", func(p *Params) { p.KeyLength = 64 }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base
			tt.mutate(&p)
			if got := NeedsRehash(h, p); got != tt.want {
				t.Fatalf("NeedsRehash = %v, want %v", got, tt.want)
			}
		})
	}
	if !NeedsRehash(h, DefaultParams()) {
		t.Fatal("cheap test hash should need rehash to defaults")
	}
}

// TestPasswordRoundTripProperty: any password verifies against its own
// hash and a different password does not.
func TestPasswordRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pw := rapid.String().Draw(t, "pw")
		other := rapid.String().Filter(func(s string) bool { return s != pw }).Draw(t, "other")
		h, err := HashPasswordWithParams(pw, testParams())
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := CheckPassword(h, pw); err != nil || !ok {
			t.Fatalf("own password rejected: %v, %v", ok, err)
		}
		if ok, err := CheckPassword(h, other); err != nil || ok {
			t.Fatalf("different password accepted: %v, %v", ok, err)
		}
		if NeedsRehash(h, testParams()) {
			t.Fatal("fresh hash needs rehash")
		}
	})
}

// TestDecodeEncodeProperty: every hash we produce with any valid params
// decodes back to exactly those params.
func TestDecodeEncodeProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		par := rapid.Uint8Range(1, 4).Draw(t, "p")
		p := Params{
			Parallelism: par,
			Memory:      rapid.Uint32Range(8*uint32(par), 256).Draw(t, "m"),
			Iterations:  rapid.Uint32Range(1, 3).Draw(t, "t"),
			SaltLength:  rapid.Uint32Range(16, MaxSaltLength).Draw(t, "salt"),
			KeyLength:   rapid.Uint32Range(MinKeyLength, MaxKeyLength).Draw(t, "key"),
		}
		h, err := HashPasswordWithParams("pw", p)
		if err != nil {
			t.Fatal(err)
		}
		d, err := decodeHash(h)
		if err != nil {
			t.Fatal(err)
		}
		if d.params != p {
			t.Fatalf("decoded %+v, want %+v", d.params, p)
		}
	})
}

// TestDummyCheckMatchesDefaults guards the timing property: the dummy
// hash must parse and use exactly DefaultParams, so that DummyCheck costs
// what CheckPassword costs for a real, up-to-date account.
func TestDummyCheckMatchesDefaults(t *testing.T) {
	if _, err := decodeHash(dummyHash); err != nil {
		t.Fatalf("dummyHash is malformed: %v", err)
	}
	if NeedsRehash(dummyHash, DefaultParams()) {
		t.Fatal("dummyHash does not use DefaultParams; regenerate it with HashPassword")
	}
	DummyCheck("anything")
}

func BenchmarkCheckPasswordDefault(b *testing.B) {
	h := mustHash(b, "password", DefaultParams())
	for b.Loop() {
		_, _ = CheckPassword(h, "password")
	}
}

func BenchmarkDummyCheck(b *testing.B) {
	for b.Loop() {
		DummyCheck("password")
	}
}
