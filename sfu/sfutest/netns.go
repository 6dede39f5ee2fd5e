package sfutest

import (
	"net"
	"testing"
)

// OnlyLoopback skips the test unless the network namespace it runs in
// has no interface but lo (scripts/test's private namespace): for a
// test that names an address off this machine, so that nothing sent to
// it by mistake could leave.
func OnlyLoopback(t testing.TB) {
	t.Helper()
	ifaces, err := net.Interfaces()
	if err != nil {
		t.Skipf("cannot list the network interfaces: %v", err)
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagLoopback == 0 {
			t.Skipf("interface %s is not loopback: run in a namespace with only lo (scripts/test)", ifc.Name)
		}
	}
}
