package cli_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// TestBrowserStaffAccount: an administrator adds a staff account in the dashboard (a field
// error first, shown under its label), gives it another role, and hands on the password
// shown once; the new member signs in with it, lands on their profile, which asks them to
// choose their own, and sets their language there: the pages are in French from then on
// (ADM-1, ADM-6, ADM-7).
func TestBrowserStaffAccount(t *testing.T) {
	ctx := browser(t)
	dsn := storetest.DSN(t)
	url, _ := startDemo(t, dsn)
	signIn(t, ctx, url)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	// The form, sent with an e-mail address the browser accepts and Tidings does not.
	err := chromedp.Do(ctx,
		chromedp.Click(css(`[data-testid="nav-staff"]`)),
		chromedp.WaitVisible(css(`[data-testid="staff-table"]`)),
		chromedp.Click(css("#new-staff")),
		chromedp.WaitVisible(css("#staff-form")),
		chromedp.SendKeys(css("#name"), "Nina Nurse"),
		chromedp.SendKeys(css("#email"), "nina@demo"),
		chromedp.SetValue(css("#role"), "reception"),
		chromedp.Click(css("#create-staff")),
		chromedp.WaitVisible(css("#email-error")),
	)
	if err != nil {
		t.Fatalf("send the form with a bad e-mail: %v", err)
	}
	screenshot(t, ctx, "staff-form-error")
	summary, err := chromedp.Run(ctx, chromedp.Text(css("#field-errors")))
	if err != nil || !strings.Contains(summary, "E-mail") || strings.Contains(summary, "email:") {
		t.Errorf("field errors %q (%v): want the problem under the label E-mail", summary, err)
	}
	name, err := chromedp.Run(ctx, chromedp.Value(css("#name")))
	if err != nil || name != "Nina Nurse" {
		t.Errorf("the refused form lost the name: %q (%v)", name, err)
	}

	// Corrected: the account is made and its password shown once.
	err = chromedp.Do(ctx,
		chromedp.Clear(css("#email")),
		chromedp.SendKeys(css("#email"), "nina@demo.tidings.test"),
		chromedp.Click(css("#create-staff")),
		chromedp.WaitVisible(css(`[data-testid="new-password"]`)),
	)
	if err != nil {
		t.Fatalf("create the account: %v", err)
	}
	screenshot(t, ctx, "staff-password")
	password, err := chromedp.Run(ctx, chromedp.Text(css(`[data-testid="new-password"]`)))
	if err != nil || auth.ValidatePassword(password) != nil {
		t.Fatalf("shown password %q (%v)", password, err)
	}

	// Another role, from the account's page.
	err = chromedp.Do(ctx,
		chromedp.Click(css("#open-staff")),
		chromedp.WaitVisible(css("#role-form")),
		chromedp.SetValue(css("#role"), "appointment_manager"),
		chromedp.Click(css("#save-role")),
		chromedp.WaitVisible(css("#flash")),
	)
	if err != nil {
		t.Fatalf("change the role: %v", err)
	}
	screenshot(t, ctx, "staff-account")
	role, err := chromedp.Run(ctx, chromedp.Text(css(`dd[data-testid="role"]`)))
	if err != nil || role != "Appointment manager" {
		t.Errorf("role shown %q (%v), want Appointment manager", role, err)
	}

	// The new member signs in with the password they were given: their profile asks them
	// to choose their own.
	err = chromedp.Do(ctx,
		chromedp.Click(css("#sign-out")),
		chromedp.WaitVisible(css("#email")),
		chromedp.SendKeys(css("#email"), "nina@demo.tidings.test"),
		chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#sign-in")),
		chromedp.WaitVisible(css("#temporary-password")),
	)
	if err != nil {
		screenshot(t, ctx, "staff-sign-in")
		t.Fatalf("sign in as the new member: %v", err)
	}
	user, err := chromedp.Run(ctx, chromedp.Text(css(`[data-testid="user"]`)))
	if err != nil || !strings.Contains(user, "Nina Nurse") {
		t.Errorf("signed in as %q (%v), want Nina Nurse", user, err)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="nav-staff"]').length`)); err != nil || n != 0 {
		t.Errorf("an appointment manager's navigation links to the staff accounts (%v)", err)
	}

	// Their language, in their profile: the page comes back in French.
	err = chromedp.Do(ctx,
		chromedp.SetValue(css("#locale"), "fr"),
		chromedp.Click(css("#save-profile")),
		chromedp.WaitVisible(css("#flash")),
	)
	if err != nil {
		t.Fatalf("save the language: %v", err)
	}
	screenshot(t, ctx, "profile-fr")
	lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if err != nil || lang != "fr" {
		t.Errorf("page language %q (%v), want fr", lang, err)
	}
	flash, err := chromedp.Run(ctx, chromedp.Text(css("#flash")))
	if err != nil || flash != "Profil enregistré." {
		t.Errorf("flash %q (%v)", flash, err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(css("h1")))
	if err != nil || heading != "Votre profil" {
		t.Errorf("heading %q (%v)", heading, err)
	}
	// The header's switch shows the same choice.
	chosen, err := chromedp.Run(ctx, chromedp.Value(css("#language-switch")))
	if err != nil || chosen != "fr" {
		t.Errorf("the header's language switch shows %q (%v), want fr", chosen, err)
	}
}
