package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrMalformedHash is wrapped by every error returned for an encoded hash
// that cannot be parsed or whose parameters are out of bounds. Callers can
// test for it with errors.Is to tell a corrupt stored hash (an operational
// problem worth alerting on) apart from an ordinary wrong password, which
// is reported as (false, nil) and is not an error at all.
var ErrMalformedHash = errors.New("auth: malformed password hash")

// ErrInvalidParams is wrapped by the error returned when hashing is asked
// to use Params outside the supported bounds. It exists so that a bad
// configuration is rejected loudly instead of silently producing weak (or
// absurdly expensive) hashes.
var ErrInvalidParams = errors.New("auth: invalid argon2id parameters")

// Bounds enforced on Params, both when hashing and when decoding stored
// hashes. They exist so that a corrupt or hostile row in the database can
// never make CheckPassword allocate gigabytes or spin for minutes, and so
// that configuration cannot silently drop below a useful strength.
const (
	// MaxMemoryKiB caps argon2 memory at 1 GiB per hash.
	MaxMemoryKiB = 1 << 20
	// MaxIterations caps the argon2 time cost.
	MaxIterations = 64
	// MinSaltLength is the shortest salt accepted (RFC 9106 recommends 16;
	// 8 is the PHC minimum and is accepted only for decoding old hashes).
	MinSaltLength = 8
	// MaxSaltLength is the longest salt accepted.
	MaxSaltLength = 64
	// MinKeyLength is the shortest derived key accepted; shorter keys make
	// collisions with a wrong password practical.
	MinKeyLength = 16
	// MaxKeyLength is the longest derived key accepted.
	MaxKeyLength = 64
)

// Params are the argon2id cost parameters. They are a value type (not
// package state) so that tests can use cheap parameters, production can
// raise costs through configuration, and NeedsRehash can compare a stored
// hash against whatever the application currently considers "current".
type Params struct {
	// Memory is the memory cost in KiB. It must be at least 8*Parallelism.
	Memory uint32
	// Iterations is the time cost (number of passes over memory).
	Iterations uint32
	// Parallelism is the number of lanes; argon2 needs at least one.
	Parallelism uint8
	// SaltLength is the number of random salt bytes generated per hash.
	SaltLength uint32
	// KeyLength is the length in bytes of the derived key that is stored.
	KeyLength uint32
}

// DefaultParams returns the parameters used by HashPassword: the OWASP
// Password Storage Cheat Sheet's argon2id baseline (m=19456 KiB, t=2, p=1)
// with a 16-byte salt and a 32-byte key. It is a function rather than a
// package variable so that no code can mutate the defaults for everybody.
func DefaultParams() Params {
	return Params{
		Memory:      19456,
		Iterations:  2,
		Parallelism: 1,
		SaltLength:  16,
		KeyLength:   32,
	}
}

// Validate reports whether p is within the bounds this package supports;
// the error wraps ErrInvalidParams. It lets callers check configured
// parameters at start-up instead of at the first login.
func (p Params) Validate() error {
	if err := p.validateCost(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidParams, err)
	}
	if p.SaltLength < 16 || p.SaltLength > MaxSaltLength {
		return fmt.Errorf("%w: salt length %d outside [16, %d]", ErrInvalidParams, p.SaltLength, MaxSaltLength)
	}
	if p.KeyLength < MinKeyLength || p.KeyLength > MaxKeyLength {
		return fmt.Errorf("%w: key length %d outside [%d, %d]", ErrInvalidParams, p.KeyLength, MinKeyLength, MaxKeyLength)
	}
	return nil
}

// validateCost checks the parameters that are shared by hashing and
// decoding (salt and key bounds differ between the two).
func (p Params) validateCost() error {
	switch {
	case p.Parallelism < 1:
		return errors.New("parallelism must be at least 1")
	case p.Iterations < 1 || p.Iterations > MaxIterations:
		return fmt.Errorf("iterations %d outside [1, %d]", p.Iterations, MaxIterations)
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > MaxMemoryKiB:
		return fmt.Errorf("memory %d KiB outside [%d, %d]", p.Memory, 8*uint32(p.Parallelism), MaxMemoryKiB)
	}
	return nil
}

// HashPassword hashes password with DefaultParams and returns a PHC-format
// string ($argon2id$v=19$m=...,t=...,p=...$salt$hash) that records every
// parameter, so the hash stays verifiable after the defaults change. It
// does not apply the password policy: call ValidatePassword first when a
// user chooses a password.
func HashPassword(password string) (string, error) {
	return HashPasswordWithParams(password, DefaultParams())
}

// HashPasswordWithParams is HashPassword with explicit parameters. It
// exists for tests (cheap parameters) and for deployments that raise the
// cost; p is checked with Params.Validate.
func HashPasswordWithParams(password string, p Params) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: reading random salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	return encodeHash(p, salt, key), nil
}

// CheckPassword reports whether password matches the encoded hash. A wrong
// password yields (false, nil); an unparseable or out-of-bounds hash yields
// (false, err) with err wrapping ErrMalformedHash. The derived keys are
// compared in constant time so the comparison leaks nothing about how much
// of the hash matched.
func CheckPassword(encoded, password string) (bool, error) {
	h, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(password), h.salt, h.params.Iterations, h.params.Memory, h.params.Parallelism, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

// NeedsRehash reports whether encoded should be replaced by a fresh hash
// made with p, which callers do right after a successful login while the
// plaintext is at hand. It is true when any cost parameter, the salt
// length or the key length differs from p (so lowering costs also
// migrates), and also when encoded cannot be parsed at all.
func NeedsRehash(encoded string, p Params) bool {
	h, err := decodeHash(encoded)
	if err != nil {
		return true
	}
	return h.params.Memory != p.Memory ||
		h.params.Iterations != p.Iterations ||
		h.params.Parallelism != p.Parallelism ||
		uint32(len(h.salt)) != p.SaltLength ||
		uint32(len(h.key)) != p.KeyLength
}

// DummyCheck runs CheckPassword against a fixed hash made with
// DefaultParams and throws the result away. Call it when a login names an
// e-mail address that has no account: without it the "unknown user" path
// returns in microseconds while the "wrong password" path takes tens of
// milliseconds, and that difference tells an attacker which patients' or
// staff members' addresses are registered. Going through CheckPassword
// itself (parsing included) and hashing the submitted password keeps the
// two paths doing the same work. The timing only matches accounts whose
// stored hash uses DefaultParams, which NeedsRehash migrates everybody
// towards.
func DummyCheck(password string) {
	_, _ = CheckPassword(dummyHash, password)
}

// dummyHash is an argon2id hash, made with DefaultParams, of a password
// nobody knows; it is a constant so no package state can change it. A test
// keeps its parameters in step with DefaultParams.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$wHGUV/w/2GujkTr3aP1V0w$LrKNSdFN30z1wq624isVIuE4Bfmr9wAocL58KPWcN08"

// decodedHash is the parsed form of a PHC string.
type decodedHash struct {
	params Params
	salt   []byte
	key    []byte
}

const argon2idPrefix = "$argon2id$v=19$"

// encodeHash renders the canonical PHC string for the given values.
func encodeHash(p Params, salt, key []byte) string {
	return fmt.Sprintf("%sm=%d,t=%d,p=%d$%s$%s",
		argon2idPrefix, p.Memory, p.Iterations, p.Parallelism,
		base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(key))
}

// decodeHash parses a PHC argon2id string strictly: only version 19, the
// parameters in m,t,p order, unpadded standard base64, and values inside
// the package bounds. Anything that does not re-encode to exactly the same
// string is rejected, which rules out leading zeros, padding, stray
// whitespace and other ambiguous spellings of the same hash.
func decodeHash(encoded string) (decodedHash, error) {
	malformed := func(why string) (decodedHash, error) {
		return decodedHash{}, fmt.Errorf("%w: %s", ErrMalformedHash, why)
	}
	if len(encoded) > 512 {
		return malformed("too long")
	}
	rest, ok := strings.CutPrefix(encoded, argon2idPrefix)
	if !ok {
		return malformed("not an argon2id v=19 hash")
	}
	parts := strings.Split(rest, "$")
	if len(parts) != 3 {
		return malformed("wrong number of fields")
	}
	kv := strings.Split(parts[0], ",")
	if len(kv) != 3 {
		return malformed("wrong number of parameters")
	}
	var vals [3]uint64
	for i, name := range [3]string{"m=", "t=", "p="} {
		s, ok := strings.CutPrefix(kv[i], name)
		if !ok {
			return malformed("unexpected parameter order")
		}
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return malformed("parameter is not a number")
		}
		vals[i] = v
	}
	if vals[2] > 255 {
		return malformed("parallelism out of range")
	}
	p := Params{Memory: uint32(vals[0]), Iterations: uint32(vals[1]), Parallelism: uint8(vals[2])}
	if err := p.validateCost(); err != nil {
		return malformed(err.Error())
	}
	salt, err := base64.RawStdEncoding.Strict().DecodeString(parts[1])
	if err != nil {
		return malformed("salt is not base64")
	}
	key, err := base64.RawStdEncoding.Strict().DecodeString(parts[2])
	if err != nil {
		return malformed("hash is not base64")
	}
	if len(salt) < MinSaltLength || len(salt) > MaxSaltLength {
		return malformed("salt length out of range")
	}
	if len(key) < MinKeyLength || len(key) > MaxKeyLength {
		return malformed("hash length out of range")
	}
	p.SaltLength, p.KeyLength = uint32(len(salt)), uint32(len(key))
	if encodeHash(p, salt, key) != encoded {
		return malformed("non-canonical encoding")
	}
	return decodedHash{params: p, salt: salt, key: key}, nil
}
