package main

import (
	"os"
	"regexp"
	"testing"

	"github.com/spf13/pflag"
)

// TestReadmeDocumentsEveryServeFlag keeps the README's flags table and
// plenum serve --help in step.
func TestReadmeDocumentsEveryServeFlag(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	firstColumn := regexp.MustCompile("(?m)^\\| ([^|]+)\\|")
	flagName := regexp.MustCompile("`--([a-z0-9-]+)`")
	for _, row := range firstColumn.FindAllStringSubmatch(string(readme), -1) {
		for _, m := range flagName.FindAllStringSubmatch(row[1], -1) {
			documented[m[1]] = true
		}
	}
	newServeCommand().Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && !documented[f.Name] {
			t.Errorf("--%s is not in the README's flags table", f.Name)
		}
		delete(documented, f.Name)
	})
	for name := range documented {
		t.Errorf("the README documents --%s, which plenum serve does not have", name)
	}
}
