package dashboard

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var staticFS embed.FS

// assets are the embedded static files and a content hash of each. Pages link them as
// /static/NAME?v=HASH, so they can be cached for a year and a new release is still fetched.
type assets struct {
	files fs.FS
	hash  map[string]string
}

func loadAssets() (*assets, error) {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("dashboard: static assets: %w", err)
	}
	a := &assets{files: sub, hash: map[string]string{}}
	err = fs.WalkDir(sub, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.hash[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dashboard: static assets: %w", err)
	}
	return a, nil
}

// url is the versioned address of an embedded asset. An unknown name is a template bug,
// reported when the templates are first executed by the render test.
func (a *assets) url(name string) (string, error) {
	h, ok := a.hash[name]
	if !ok {
		return "", fmt.Errorf("dashboard: no static asset %q", name)
	}
	return "/static/" + name + "?v=" + h, nil
}

// Static serves the embedded assets under /static/ with long cache headers (their URLs
// carry a content hash). Directories are not listed.
func (d *Dashboard) Static() http.Handler {
	files := http.FileServerFS(d.assets.files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if _, ok := d.assets.hash[name]; !ok || path.Clean(name) != name {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		r2.URL.RawPath = ""
		files.ServeHTTP(w, r2)
	})
}
