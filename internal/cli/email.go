package cli

import (
	"errors"
	"fmt"

	"github.com/tidings-health/tidings/internal/contact"
)

func parseEmail(s string) (string, error) {
	e, err := contact.Email(s)
	var ce *contact.Error
	if errors.As(err, &ce) {
		return "", usageError{fmt.Errorf("--email: %s", ce.Reason)}
	}
	return e, err
}
