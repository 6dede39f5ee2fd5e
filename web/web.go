// Package web serves Plenum's browser client: the landing page, the
// meeting page for each room and the static assets (ES modules, CSS,
// icons), all embedded in the binary. There is no build step: the files
// under static/ are served as they are.
//
// The same HTML page is used for the landing page ("/") and for every
// room ("/{room}"); the JavaScript decides what to render from
// location.pathname. Everything under "/_/" is reserved for the server:
// this handler serves "/_/static/..." and answers 404 for the rest, so
// the application must route "/_/ws" (signaling) before it.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
)

//go:embed index.html
var indexHTML string

//go:embed static
var staticFS embed.FS

// staticPrefix is the URL prefix under which the files of static/ are served.
const staticPrefix = "/_/static/"

// Options configures Handler.
type Options struct {
	// ValidRoom reports whether name (the first and only path segment of
	// the request, already unescaped) is a valid room name. For a valid
	// name the meeting page is served, otherwise a 404 page. When nil,
	// DefaultValidRoom is used.
	ValidRoom func(name string) bool
	// Scheme is the scheme the browser asked for the page with: "http",
	// "https", or "" when it cannot be told (a reverse proxy that did
	// not say). The page's Content-Security-Policy lets its WebSocket
	// connect over the matching ws: or wss: only. When nil, the
	// connection's own scheme.
	Scheme func(*http.Request) string
}

// roomPattern is the syntax of a room name in signaling protocol version 1.
var roomPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$`)

// reservedRooms are names the protocol reserves for the server's own use.
var reservedRooms = map[string]bool{
	"healthz": true, "readyz": true, "metrics": true,
	"favicon.ico": true, "robots.txt": true,
}

// DefaultValidRoom reports whether name is a valid room name according to
// the signaling protocol: 1 to 64 characters from A-Z a-z 0-9 . _ ~ -,
// starting with a letter or a digit, and not one of the reserved names
// (healthz, readyz, metrics, favicon.ico, robots.txt).
func DefaultValidRoom(name string) bool {
	return roomPattern.MatchString(name) && !reservedRooms[name]
}

// baseContentSecurityPolicy applies to every other response (assets,
// errors, health): nothing in it may load anything or be framed.
const baseContentSecurityPolicy = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// permissionsPolicy gives camera, microphone and screen capture to the
// server's own pages only, and nothing else a meeting does not need.
const permissionsPolicy = "camera=(self), microphone=(self), display-capture=(self), " +
	"autoplay=(self), fullscreen=(self), geolocation=(), payment=(), usb=()"

// asset is one embedded static file, prepared once.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// contentTypes pins the types we ship instead of relying on the host's
// MIME tables, which differ between systems.
var contentTypes = map[string]string{
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".json": "application/json",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".txt":  "text/plain; charset=utf-8",
	".html": "text/html; charset=utf-8",
}

type handler struct {
	validRoom func(string) bool
	scheme    func(*http.Request) string
	assets    map[string]asset // keyed by path below static/
	app       []byte           // rendered page for "/" and rooms
	notFound  []byte           // same page, telling the app the room is invalid
}

// Handler returns the http.Handler for the web client. It answers GET
// and HEAD for "/", "/{room}" and "/_/static/...", and 404 for other
// paths.
func Handler(opts Options) http.Handler {
	h := &handler{validRoom: opts.ValidRoom, scheme: opts.Scheme, assets: map[string]asset{}}
	if h.validRoom == nil {
		h.validRoom = DefaultValidRoom
	}
	if h.scheme == nil {
		h.scheme = connectionScheme
	}
	var modules, langs []string
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		h.assets[name] = asset{body: body, contentType: typeOf(name), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		dir, file := path.Split(name)
		if !strings.HasSuffix(file, ".js") {
			return nil
		}
		if dir == "i18n/" {
			langs = append(langs, strings.TrimSuffix(file, ".js"))
		}
		// Every module is preloaded except the catalogues of other
		// languages, which are loaded only when the browser wants them.
		if dir != "i18n/" || file == "en.js" {
			modules = append(modules, staticPrefix+name)
		}
		return nil
	})
	if err != nil {
		panic("web: reading embedded files: " + err.Error())
	}
	sort.Strings(modules)
	sort.Strings(langs)
	h.app = render(pageData{Page: "app", Languages: strings.Join(langs, ","), Modules: modules})
	h.notFound = render(pageData{Page: "not-found", Languages: strings.Join(langs, ","), Modules: modules})
	return h
}

// AssetPaths lists the URL path of every embedded asset.
func AssetPaths() []string {
	var out []string
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, staticPrefix+strings.TrimPrefix(p, "static/"))
		}
		return nil
	})
	return out
}

func typeOf(name string) string {
	ext := path.Ext(name)
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

type pageData struct {
	Page      string   // "app" or "not-found"
	Languages string   // comma-separated catalogues available in static/i18n
	Modules   []string // preloaded so the browser fetches the module graph in parallel
}

var pageTemplate = template.Must(template.New("index.html").Parse(indexHTML))

func render(d pageData) []byte {
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, d); err != nil {
		panic("web: rendering index.html: " + err.Error())
	}
	return b.Bytes()
}

// SetSecurityHeaders sets the headers every response of the server
// carries: no MIME sniffing, no referrer, no framing, a Content-Security-
// Policy that allows nothing (pages replace it with their own), and the
// permissions a meeting needs given to the server's own origin only.
func SetSecurityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Permissions-Policy", permissionsPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", baseContentSecurityPolicy)
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	SetSecurityHeaders(w.Header())
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	switch {
	case p == "/":
		h.page(w, r, http.StatusOK, h.app)
	case strings.HasPrefix(p, staticPrefix):
		h.static(w, r, strings.TrimPrefix(p, staticPrefix))
	case strings.HasPrefix(p, "/_/"):
		http.NotFound(w, r)
	default:
		room := strings.TrimPrefix(p, "/")
		if trimmed, ok := strings.CutSuffix(room, "/"); ok && !strings.Contains(trimmed, "/") && h.validRoom(trimmed) {
			// "/room/" is a common typo: send it to the canonical URL.
			// Only a validated single segment is echoed, so this cannot
			// redirect to another host.
			target := "/" + trimmed
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, target, http.StatusMovedPermanently)
			return
		}
		if !strings.Contains(room, "/") && h.validRoom(room) {
			h.page(w, r, http.StatusOK, h.app)
			return
		}
		h.page(w, r, http.StatusNotFound, h.notFound)
	}
}

// page writes the HTML page with its security headers.
func (h *handler) page(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", pagePolicy(r, h.scheme(r)))
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	// The page is tiny and must always match the current assets.
	hd.Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// static serves one embedded asset. File names carry no version, so the
// browser must revalidate (no-cache) and gets a cheap 304 via the ETag:
// an upgraded server never runs with a stale mix of modules.
func (h *handler) static(w http.ResponseWriter, r *http.Request, name string) {
	a, ok := h.assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.contentType)
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", a.etag)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
}
