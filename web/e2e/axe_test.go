package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/web/webtest"
)

// axe-core (https://github.com/dequelabs/axe-core) checks a rendered page
// against WCAG rules. scripts/test installs it from npm into a cache
// directory and names the file in PLENUM_AXE_JS; it is injected into the
// page under test only, never served by Plenum.
var axeSource = sync.OnceValues(func() (string, error) {
	path := os.Getenv("PLENUM_AXE_JS")
	if path == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		path = filepath.Join(cache, "plenum-test", "node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(path)
	return string(b), err
})

// requireAxe returns axe-core's source, or skips the test where it is not
// installed, except in CI, where scripts/test must have installed it.
func requireAxe(t *testing.T) string {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("axe-core missing (%v): scripts/test installs it with npm", err)
		}
		t.Skipf("axe-core not installed (%v): run scripts/test, or npm install --prefix ~/.cache/plenum-test axe-core@4", err)
	}
	return src
}

// axeViolation is one rule a page breaks, as axe-core reports it.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkAccessibility runs axe-core on the page as it is now and fails the
// test on serious or critical violations (WCAG 2.x A and AA rules and
// axe's best practices); lesser ones are logged.
func checkAccessibility(t *testing.T, b *webtest.Browser, src, what string) {
	t.Helper()
	var loaded bool
	if err := b.Eval(`!!window.axe`, &loaded); err != nil {
		t.Fatal(err)
	}
	if !loaded {
		start := time.Now()
		if err := b.Inject(src); err != nil {
			t.Fatalf("%s: injecting axe-core: %v", what, err)
		}
		t.Logf("%s: axe-core injected in %v", what, time.Since(start).Round(time.Millisecond))
	}
	var found []axeViolation
	// A whole-page check takes a few seconds, many more on a busy machine.
	err := b.EvalWithin(`axe.run(document, {
			runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
			resultTypes: ['violations'],
		}).then((r) => r.violations.map((v) => ({
			id: v.id, impact: v.impact || '', help: v.help,
			nodes: v.nodes.slice(0, 4).map((n) => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' ')),
		})))`, 2*time.Minute, &found)
	if err != nil {
		t.Fatalf("%s: running axe-core: %v", what, err)
	}
	for _, v := range found {
		line := fmt.Sprintf("%s: %s (%s): %s\n\t%s", what, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t"))
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Error(line)
		} else {
			t.Log(line)
		}
	}
}
