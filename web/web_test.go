package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, target string, header map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkHTMLHeaders(t *testing.T, res *http.Response) {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{
		"default-src 'self'", "script-src 'self'", "connect-src 'self' ws://example.com;",
		"img-src 'self' data: blob:", "media-src 'self' blob:", "object-src 'none'",
	} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows unsafe code: %q", csp)
	}
	if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q", got)
	}
	pp := res.Header.Get("Permissions-Policy")
	for _, want := range []string{"camera=(self)", "microphone=(self)", "display-capture=(self)"} {
		if !strings.Contains(pp, want) {
			t.Errorf("Permissions-Policy %q lacks %q", pp, want)
		}
	}
}

func TestPages(t *testing.T) {
	h := Handler(Options{})
	for _, path := range []string{"/", "/weekly-council", "/a", "/A.b_c~d-9", "/" + strings.Repeat("x", 64), "/room?autojoin=1&name=Ana"} {
		res := get(t, h, "GET", path, nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", path, res.StatusCode)
			continue
		}
		checkHTMLHeaders(t, res)
		b := body(t, res)
		if !strings.Contains(b, `<script type="module" src="/_/static/app.js"></script>`) {
			t.Errorf("GET %s: page does not load app.js", path)
		}
		if !strings.Contains(b, `content="app"`) {
			t.Errorf("GET %s: page not marked as app", path)
		}
		if strings.Contains(b, "<script>") {
			t.Errorf("GET %s: inline script", path)
		}
	}
}

func TestInvalidRooms(t *testing.T) {
	h := Handler(Options{})
	for _, path := range []string{
		"/-room", "/.hidden", "/" + strings.Repeat("x", 65), "/a/b", "/room%20name",
		"/healthz", "/metrics", "/robots.txt", "/favicon.ico", "/%C3%A9",
	} {
		res := get(t, h, "GET", path, nil)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.StatusCode)
			continue
		}
		checkHTMLHeaders(t, res)
		if b := body(t, res); !strings.Contains(b, `content="not-found"`) {
			t.Errorf("GET %s: 404 page not marked not-found", path)
		}
	}
}

func TestCustomValidRoom(t *testing.T) {
	h := Handler(Options{ValidRoom: func(name string) bool { return name == "only" }})
	if res := get(t, h, "GET", "/only", nil); res.StatusCode != http.StatusOK {
		t.Errorf("/only: status %d", res.StatusCode)
	}
	if res := get(t, h, "GET", "/other", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("/other: status %d", res.StatusCode)
	}
}

func TestTrailingSlashRedirect(t *testing.T) {
	h := Handler(Options{})
	res := get(t, h, "GET", "/room/?name=Ana", nil)
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/room?name=Ana" {
		t.Errorf("status %d Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	// Never a redirect to another host.
	if res := get(t, h, "GET", "//evil.example/", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("//evil.example/: status %d", res.StatusCode)
	}
}

func TestStatic(t *testing.T) {
	h := Handler(Options{})
	cases := map[string]string{
		"/_/static/app.js":         "text/javascript; charset=utf-8",
		"/_/static/ui/meeting.js":  "text/javascript; charset=utf-8",
		"/_/static/i18n/en.js":     "text/javascript; charset=utf-8",
		"/_/static/app.css":        "text/css; charset=utf-8",
		"/_/static/favicon.svg":    "image/svg+xml",
		"/_/static/signaling.js":   "text/javascript; charset=utf-8",
		"/_/static/session.js":     "text/javascript; charset=utf-8",
		"/_/static/media.js":       "text/javascript; charset=utf-8",
		"/_/static/peer.js":        "text/javascript; charset=utf-8",
		"/_/static/i18n.js":        "text/javascript; charset=utf-8",
		"/_/static/ui/prejoin.js":  "text/javascript; charset=utf-8",
		"/_/static/ui/landing.js":  "text/javascript; charset=utf-8",
		"/_/static/roomname.js":    "text/javascript; charset=utf-8",
		"/_/static/hook.js":        "text/javascript; charset=utf-8",
		"/_/static/ui/controls.js": "text/javascript; charset=utf-8",
	}
	for path, ctype := range cases {
		res := get(t, h, "GET", path, nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", path, res.StatusCode)
			continue
		}
		if got := res.Header.Get("Content-Type"); got != ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", path, got, ctype)
		}
		if got := res.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q", path, got)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", path)
		}
		etag := res.Header.Get("ETag")
		if etag == "" {
			t.Errorf("GET %s: no ETag", path)
			continue
		}
		if len(body(t, res)) == 0 {
			t.Errorf("GET %s: empty body", path)
		}
		again := get(t, h, "GET", path, map[string]string{"If-None-Match": etag})
		if again.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match: status %d", path, again.StatusCode)
		}
	}
}

func TestModulesPreloaded(t *testing.T) {
	b := body(t, get(t, Handler(Options{}), "GET", "/", nil))
	for _, m := range []string{"/_/static/app.js", "/_/static/session.js", "/_/static/ui/tile.js", "/_/static/i18n.js"} {
		if !strings.Contains(b, `<link rel="modulepreload" href="`+m+`">`) {
			t.Errorf("%s not preloaded", m)
		}
	}
	if !strings.Contains(b, `modulepreload" href="/_/static/i18n/en.js"`) {
		t.Error("the English catalogue (always imported) should be preloaded")
	}
	// The list is the catalogue files present: adding a language is adding a file.
	if !strings.Contains(b, `name="plenum-languages" content="de,en,es,fr,ja"`) {
		t.Error("language list missing or not the catalogues in static/i18n")
	}
	if strings.Contains(b, `modulepreload" href="/_/static/i18n/ja.js"`) {
		t.Error("other languages' catalogues should load only when wanted, not be preloaded")
	}
}

func TestNotFoundAndReserved(t *testing.T) {
	h := Handler(Options{})
	for _, path := range []string{
		"/_/static/", "/_/static/nope.js", "/_/static/../web.go", "/_/ws", "/_/", "/_/anything",
	} {
		if res := get(t, h, "GET", path, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.StatusCode)
		}
	}
}

func TestMethods(t *testing.T) {
	h := Handler(Options{})
	res := get(t, h, "POST", "/room", nil)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: status %d Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
	res = get(t, h, "HEAD", "/room", nil)
	if res.StatusCode != http.StatusOK {
		t.Errorf("HEAD: status %d", res.StatusCode)
	}
	if b := body(t, res); b != "" {
		t.Errorf("HEAD: body %q", b)
	}
	res = get(t, h, "HEAD", "/_/static/app.js", nil)
	if res.StatusCode != http.StatusOK || body(t, res) != "" {
		t.Errorf("HEAD static: status %d", res.StatusCode)
	}
}

func TestDefaultValidRoom(t *testing.T) {
	for name, want := range map[string]bool{
		"a": true, "Z9": true, "weekly-council": true, "a.b_c~d": true,
		"": false, "-a": false, "_a": false, "a b": false, "a/b": false, "é": false,
		strings.Repeat("a", 64): true, strings.Repeat("a", 65): false,
		"healthz": false, "readyz": false, "metrics": false, "favicon.ico": false, "robots.txt": false,
	} {
		if got := DefaultValidRoom(name); got != want {
			t.Errorf("DefaultValidRoom(%q) = %v, want %v", name, got, want)
		}
	}
}
