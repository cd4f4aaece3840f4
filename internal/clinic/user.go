package clinic

import "time"

// User is a staff account. E-mail addresses are unique across the installation so that a
// sign-in needs no organisation picker.
type User struct {
	ID           UserID
	OrgID        OrgID
	Email        string
	Name         string
	Role         Role
	PasswordHash string
	CreatedAt    time.Time
	DisabledAt   *time.Time
}

// Token is an API token; only its hash is stored.
type Token struct {
	ID         TokenID
	OrgID      OrgID
	Name       string
	Role       Role
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Actor is who performs a request: a signed-in user or an API token. Audit rows and
// permission checks read it.
type Actor struct {
	OrgID   OrgID
	Role    Role
	UserID  UserID  // 0 for tokens
	TokenID TokenID // 0 for users
	Label   string  // "user:12" or "token:3": safe for logs
}
