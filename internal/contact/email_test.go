package contact

import (
	"fmt"
	"strings"
	"testing"
)

func TestEmail(t *testing.T) {
	long63 := strings.Repeat("a", 63)
	tests := []struct {
		name, raw string
		want      string
		reason    string
	}{
		{name: "simple", raw: "jane@example.com", want: "jane@example.com"},
		{name: "trimmed", raw: "  jane@example.com\t\n", want: "jane@example.com"},
		{name: "domain lower-cased", raw: "Jane.Doe@Example.COM", want: "Jane.Doe@example.com"},
		{name: "plus tag", raw: "jane+clinic@example.com.au", want: "jane+clinic@example.com.au"},
		{name: "atext symbols", raw: "o'brien!#$%&*/=?^_`{|}~-x@example.fr", want: "o'brien!#$%&*/=?^_`{|}~-x@example.fr"},
		{name: "hyphen and digits in domain", raw: "a@mail-1.example2.com", want: "a@mail-1.example2.com"},
		{name: "punycode domain", raw: "a@xn--bcher-kva.example", want: "a@xn--bcher-kva.example"},
		{name: "local 64", raw: strings.Repeat("l", 64) + "@example.com", want: strings.Repeat("l", 64) + "@example.com"},
		{name: "total 254", raw: strings.Repeat("l", 64) + "@" + long63 + "." + long63 + "." + strings.Repeat("b", 57) + ".com", want: strings.Repeat("l", 64) + "@" + long63 + "." + long63 + "." + strings.Repeat("b", 57) + ".com"},

		{name: "empty", raw: "", reason: reasonNotEmail},
		{name: "blank", raw: "   ", reason: reasonNotEmail},
		{name: "no at", raw: "jane.example.com", reason: reasonNotEmail},
		{name: "two ats", raw: "jane@doe@example.com", reason: reasonNotEmail},
		{name: "empty local", raw: "@example.com", reason: reasonNotEmail},
		{name: "empty domain", raw: "jane@", reason: reasonNotEmail},
		{name: "display name", raw: "Bob <bob@example.com>", reason: reasonDisplayName},
		{name: "display name quoted", raw: `"Bob" <bob@example.com>`, reason: reasonDisplayName},
		{name: "angle brackets only", raw: "<bob@example.com>", reason: reasonDisplayName},
		{name: "comment", raw: "bob@example.com (Bob)", reason: reasonEmailSpace},
		{name: "comment no space", raw: "bob(Bob)@example.com", reason: reasonBadLocal},
		{name: "quoted local", raw: `"bob"@example.com`, reason: reasonBadLocal},
		{name: "space inside", raw: "bob smith@example.com", reason: reasonEmailSpace},
		{name: "tab inside", raw: "bob@exa\tmple.com", reason: reasonEmailSpace},
		{name: "newline inside", raw: "bob@example.com\nBcc: x@evil.com", reason: reasonEmailCharacter},
		{name: "nul", raw: "bob\x00@example.com", reason: reasonEmailCharacter},
		{name: "non-ascii local", raw: "jöhn@example.com", reason: reasonEmailCharacter},
		{name: "non-ascii domain", raw: "john@bücher.example", reason: reasonEmailCharacter},
		{name: "invalid utf8", raw: "john@\xffexample.com", reason: reasonEmailCharacter},
		{name: "leading dot", raw: ".jane@example.com", reason: reasonBadLocal},
		{name: "trailing dot local", raw: "jane.@example.com", reason: reasonBadLocal},
		{name: "double dot local", raw: "ja..ne@example.com", reason: reasonBadLocal},
		{name: "comma", raw: "a,b@example.com", reason: reasonBadLocal},
		{name: "two addresses", raw: "a@example.com,b@example.com", reason: reasonNotEmail},
		{name: "local 65", raw: strings.Repeat("l", 65) + "@example.com", reason: reasonLocalTooLong},
		{name: "total 255", raw: strings.Repeat("l", 64) + "@" + long63 + "." + long63 + "." + strings.Repeat("b", 58) + ".com", reason: reasonEmailTooLong},
		{name: "way too long", raw: strings.Repeat("a", 10000) + "@example.com", reason: reasonEmailTooLong},
		{name: "domain without dot", raw: "jane@localhost", reason: reasonBadDomain},
		{name: "domain trailing dot", raw: "jane@example.com.", reason: reasonBadDomain},
		{name: "domain leading dot", raw: "jane@.example.com", reason: reasonBadDomain},
		{name: "domain double dot", raw: "jane@example..com", reason: reasonBadDomain},
		{name: "label leading hyphen", raw: "jane@-example.com", reason: reasonBadDomain},
		{name: "label trailing hyphen", raw: "jane@example-.com", reason: reasonBadDomain},
		{name: "label underscore", raw: "jane@ex_ample.com", reason: reasonBadDomain},
		{name: "label 64", raw: "jane@" + strings.Repeat("d", 64) + ".com", reason: reasonBadDomain},
		{name: "ip address", raw: "jane@192.168.0.1", reason: reasonBadDomain},
		{name: "ip literal", raw: "jane@[192.168.0.1]", reason: reasonBadDomain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n, ok := strings.CutPrefix(tt.name, "total "); ok && n != fmt.Sprint(len(tt.raw)) {
				t.Fatalf("test input is %d bytes, name says %s", len(tt.raw), n)
			}
			got, err := Email(tt.raw)
			checkResult(t, "email", tt.raw, got, err, tt.want, tt.reason)
		})
	}
}
