package webpush_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/tidings-health/tidings/internal/webpush"
)

// Fixed browser-side values from RFC 8291 §5 (ua_public, auth_secret): a real point and
// secret for table tests that only validate.
const (
	rfcP256dh = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
	rfcAuth   = "BTBZMqHH6r4Tts7J_aSIgg"
)

// browser is the receiving side of a subscription: its ECDH key pair and auth secret, so a
// test can decrypt what Send posted, as the browser would (RFC 8291 §3).
type browser struct {
	priv *ecdh.PrivateKey
	auth []byte
}

func newBrowser(t *testing.T) browser {
	t.Helper()
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	return browser{priv: priv, auth: auth}
}

func (b browser) subscription(endpoint string) webpush.Subscription {
	return webpush.Subscription{
		Endpoint: endpoint,
		P256dh:   base64.RawURLEncoding.EncodeToString(b.priv.PublicKey().Bytes()),
		Auth:     base64.RawURLEncoding.EncodeToString(b.auth),
	}
}

// decrypt opens an aes128gcm body of one record (RFC 8188 §2) sent to this browser.
func (b browser) decrypt(body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("body shorter than the aes128gcm header")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if len(body) < 21+idlen {
		return nil, errors.New("body shorter than its key id")
	}
	asPublic, ciphertext := body[21:21+idlen], body[21+idlen:]
	if len(ciphertext) > int(rs) {
		return nil, fmt.Errorf("%d bytes of ciphertext: more than one %d-byte record", len(ciphertext), rs)
	}
	as, err := ecdh.P256().NewPublicKey(asPublic)
	if err != nil {
		return nil, fmt.Errorf("key id is not the sender's P-256 key: %w", err)
	}
	secret, err := b.priv.ECDH(as)
	if err != nil {
		return nil, err
	}
	info := "WebPush: info\x00" + string(b.priv.PublicKey().Bytes()) + string(asPublic)
	ikm, err := hkdf.Key(sha256.New, secret, b.auth, info, 32)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, ciphertext, nil)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	// The last record ends with the delimiter 0x02, then zero padding.
	end := bytes.LastIndexFunc(plain, func(r rune) bool { return r != 0 })
	if end < 0 || plain[end] != 2 {
		return nil, errors.New("no last-record delimiter")
	}
	return plain[:end], nil
}

// jwtClaims are the claims of a VAPID token (RFC 8292 §2).
type jwtClaims struct {
	Aud string `json:"aud"`
	Sub string `json:"sub"`
	Exp int64  `json:"exp"`
}

// parseVAPID reads an Authorization header "vapid t=<jwt>, k=<public key>" and verifies the
// JWT's ES256 signature with k. It returns the header's alg and the claims.
func parseVAPID(header string) (k, alg string, claims jwtClaims, err error) {
	rest, ok := strings.CutPrefix(header, "vapid ")
	if !ok {
		return "", "", claims, fmt.Errorf("scheme is not vapid")
	}
	var token string
	for _, part := range strings.Split(rest, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch name {
		case "t":
			token = value
		case "k":
			k = value
		}
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", "", claims, fmt.Errorf("token has %d parts", len(parts))
	}
	var head struct {
		Alg string `json:"alg"`
	}
	if err := decodeJSONPart(parts[0], &head); err != nil {
		return "", "", claims, fmt.Errorf("header: %w", err)
	}
	if err := decodeJSONPart(parts[1], &claims); err != nil {
		return "", "", claims, fmt.Errorf("claims: %w", err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return "", "", claims, fmt.Errorf("signature is not 64 bytes of base64url")
	}
	rawPub, err := base64.RawURLEncoding.DecodeString(k)
	if err != nil {
		return "", "", claims, fmt.Errorf("k: %w", err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), rawPub)
	if err != nil {
		return "", "", claims, fmt.Errorf("k: %w", err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return "", "", claims, errors.New("signature does not verify with k")
	}
	return k, head.Alg, claims, nil
}

func decodeJSONPart(part string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
