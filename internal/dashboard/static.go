package dashboard

import (
	"embed"
	"net/http"

	"github.com/tidings-health/tidings/internal/page"
)

//go:embed static
var staticFS embed.FS

// assets are the embedded static files under content-hashed URLs (page.Assets): pages link
// them as /static/NAME?v=HASH, so they can be cached for a year and a new release is still
// fetched.
type assets = page.Assets

func loadAssets() (*assets, error) { return page.LoadAssets(staticFS, "static", "/static/") }

// Static serves the embedded assets under /static/ with long cache headers (their URLs
// carry a content hash). Directories are not listed.
func (d *Dashboard) Static() http.Handler { return d.assets.Handler() }
