package web

import (
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/plenum-meet/plenum/sfu/assembly"
)

// The message catalogues are JavaScript modules exporting one object
// literal, one message a line:
//
//	'key': 'text with {placeholder}',
//	'key': { one: '…', other: '…' },
//
// These tests read them as text (no JavaScript engine needed), so that a
// key added to en.js and forgotten in another language fails CI.

var (
	catalogueKey  = regexp.MustCompile(`^\s*(['"])([^'"]+)['"]\s*:\s*(.*)$`)
	placeholder   = regexp.MustCompile(`\{(\w+)\}`)
	catalogueName = regexp.MustCompile(`^[a-z]{2,3}(-[A-Z]{2}|-[A-Z][a-z]{3})?\.js$`)
	// t('key') and has('key') (not x.has) with a literal key; keys built at run time
	// (t(`error.${code}`)) are not checked.
	usedKey = regexp.MustCompile(`(?:^|[^.\w$])(?:t|has)\(\s*'([a-zA-Z][\w.-]*)'`)
)

// catalogue is one language's messages: key -> the rest of its line.
type catalogue struct {
	keys   []string
	values map[string]string
}

func readCatalogue(t *testing.T, name string) catalogue {
	t.Helper()
	b, err := fs.ReadFile(staticFS, "static/i18n/"+name)
	if err != nil {
		t.Fatal(err)
	}
	c := catalogue{values: map[string]string{}}
	for i, line := range strings.Split(string(b), "\n") {
		m := catalogueKey.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		key, value := m[2], strings.TrimSuffix(strings.TrimSpace(m[3]), ",")
		if _, dup := c.values[key]; dup {
			t.Errorf("%s:%d: %q twice", name, i+1, key)
		}
		if value == "''" || value == `""` || value == "" {
			t.Errorf("%s:%d: %q has no text", name, i+1, key)
		}
		c.keys = append(c.keys, key)
		c.values[key] = value
	}
	return c
}

func catalogueFiles(t *testing.T) []string {
	t.Helper()
	entries, err := fs.ReadDir(staticFS, "static/i18n")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func placeholders(value string) []string {
	var names []string
	for _, m := range placeholder.FindAllStringSubmatch(value, -1) {
		names = append(names, m[1])
	}
	return names
}

func TestEveryCatalogueHasExactlyTheKeysOfEnglish(t *testing.T) {
	en := readCatalogue(t, "en.js")
	if len(en.keys) < 50 {
		t.Fatalf("en.js: only %d keys read; has its format changed?", len(en.keys))
	}
	names := catalogueFiles(t)
	if len(names) < 5 {
		t.Errorf("catalogues %v: want at least en, ja, es, fr and de", names)
	}
	for _, name := range names {
		if !catalogueName.MatchString(name) {
			t.Errorf("%s: a catalogue is named by its language tag, like fr.js or pt-BR.js", name)
			continue
		}
		if name == "en.js" {
			continue
		}
		c := readCatalogue(t, name)
		for _, key := range en.keys {
			value, ok := c.values[key]
			if !ok {
				t.Errorf("%s lacks %q (English: %s)", name, key, en.values[key])
				continue
			}
			// A placeholder the English message does not fill would be
			// shown as is ("{nmae}").
			for _, p := range placeholders(value) {
				if !slices.Contains(placeholders(en.values[key]), p) {
					t.Errorf("%s: %q uses {%s}, which en.js does not have", name, key, p)
				}
			}
			if strings.HasPrefix(value, "{") != strings.HasPrefix(en.values[key], "{") {
				t.Errorf("%s: %q: plural forms in one language and not the other", name, key)
			} else if strings.HasPrefix(value, "{") && !strings.Contains(value, "other:") {
				t.Errorf("%s: %q: plural forms need an \"other\" form", name, key)
			}
		}
		for _, key := range c.keys {
			if _, ok := en.values[key]; !ok {
				t.Errorf("%s has %q, which en.js does not", name, key)
			}
		}
	}
}

func TestEveryMessageTheClientAsksForIsInEnglish(t *testing.T) {
	en := readCatalogue(t, "en.js")
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".js" || strings.HasPrefix(p, "static/i18n/") {
			return err
		}
		b, err := fs.ReadFile(staticFS, p)
		if err != nil {
			return err
		}
		for _, m := range usedKey.FindAllStringSubmatch(string(b), -1) {
			if _, ok := en.values[m[1]]; !ok {
				t.Errorf("%s asks for message %q, which en.js lacks", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The page names each refusal of the assembly's rules by its code
// (ui/assembly.js, refused.<code>); one without a message shows as
// "That did not work (not-in-queue)", which tells a chair nothing when
// a hand went down just as they gave its owner the floor.
func TestEveryRefusalOfTheAssemblyHasAMessage(t *testing.T) {
	en := readCatalogue(t, "en.js")
	for _, r := range assembly.Refusals {
		if _, ok := en.values["refused."+r.Code]; !ok {
			t.Errorf("en.js has no message for the refusal %q (%s)", r.Code, r.Text)
		}
	}
}
