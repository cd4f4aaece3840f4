package page

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// Assets are a surface's embedded static files and a content hash of each. Pages link them
// as PREFIX+NAME?v=HASH, so they can be cached for a year and a new release is still
// fetched.
type Assets struct {
	files  fs.FS
	prefix string
	hash   map[string]string
}

// LoadAssets hashes every file under dir of fsys, served under prefix (e.g. "/static/").
func LoadAssets(fsys fs.FS, dir, prefix string) (*Assets, error) {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("page: static assets: %w", err)
	}
	a := &Assets{files: sub, prefix: prefix, hash: map[string]string{}}
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
		return nil, fmt.Errorf("page: static assets: %w", err)
	}
	return a, nil
}

// URL is the versioned address of an asset. An unknown name is a template bug, reported
// when the templates are first executed by a render test.
func (a *Assets) URL(name string) (string, error) {
	h, ok := a.hash[name]
	if !ok {
		return "", fmt.Errorf("page: no static asset %q", name)
	}
	return a.prefix + name + "?v=" + h, nil
}

// Handler serves the assets under their prefix with long cache headers (their URLs carry
// a content hash). Directories are not listed; unknown names are 404.
func (a *Assets) Handler() http.Handler {
	files := http.FileServerFS(a.files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, a.prefix)
		if _, ok := a.hash[name]; !ok || path.Clean(name) != name {
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
