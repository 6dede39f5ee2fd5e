package sfutest

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// DropOnLo drops percent of the UDP packets arriving on lo that match
// (an nftables match, such as "udp sport 5000"), at random, in an
// nftables table of its own, until the test ends. It needs nft and a
// private network namespace; without nft the test is skipped. At 100
// it drops them all.
func DropOnLo(t testing.TB, table, match string, percent int) {
	t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft (nftables) is missing")
	}
	nft := func(args string) {
		t.Helper()
		if out, err := exec.Command("nft", strings.Fields(args)...).CombinedOutput(); err != nil {
			t.Fatalf("nft %s: %v: %s", args, err, out)
		}
	}
	nft("add table netdev " + table)
	t.Cleanup(func() { _ = exec.Command("nft", "delete", "table", "netdev", table).Run() })
	nft("add chain netdev " + table + " in { type filter hook ingress device lo priority 0 ; }")
	random := fmt.Sprintf("numgen random mod 100 < %d", percent)
	if percent >= 100 {
		random = "" // numgen takes no 100
	}
	nft(fmt.Sprintf("add rule netdev %s in %s %s counter drop", table, match, random))
}
