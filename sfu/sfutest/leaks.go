// Package sfutest holds what the tests of packages that run real peer
// connections share.
package sfutest

import (
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// leakGrace is how long goroutines may take to end after the tests. pion
// tears a peer connection down asynchronously, and one closed while its
// ICE agent is still checking candidates can take a few seconds: longer
// than goleak's own retries.
const leakGrace = 10 * time.Second

// VerifyTestMain runs the tests and then fails the package if any
// goroutine they started is still running after leakGrace.
func VerifyTestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && !fuzzing() {
		deadline := time.Now().Add(leakGrace)
		for {
			err := goleak.Find()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				fmt.Fprintf(os.Stderr, "goleak: goroutines still running %v after the tests: %v\n", leakGrace, err)
				code = 1
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	os.Exit(code)
}

// fuzzing reports whether the binary runs a fuzzer (coordinator or
// worker): the fuzzing engine's own goroutines are no leak, and a worker
// that lingers makes the coordinator fail with a deadline.
func fuzzing() bool {
	for _, name := range []string{"test.fuzz", "test.fuzzworker"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" && f.Value.String() != "false" {
			return true
		}
	}
	return false
}
