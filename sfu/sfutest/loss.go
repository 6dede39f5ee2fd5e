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
// private network namespace; without nft the test is skipped. To drop
// them all, CutOnLo.
func DropOnLo(t testing.TB, table, match string, percent int) {
	t.Helper()
	nft := ingressOnLo(t, table)
	nft(fmt.Sprintf("add rule netdev %s in %s numgen random mod 100 < %d counter drop", table, match, percent))
}

// CutOnLo drops every packet arriving on lo that matches any of matches
// (nftables matches, such as "udp sport 5000"), in an nftables table of
// its own, until restore is called or the test ends: a network that
// goes away and comes back. It needs nft and a private network
// namespace; without nft the test is skipped.
func CutOnLo(t testing.TB, table string, matches ...string) (restore func()) {
	t.Helper()
	nft := ingressOnLo(t, table)
	for _, match := range matches {
		nft(fmt.Sprintf("add rule netdev %s in %s counter drop", table, match))
	}
	return func() {
		t.Helper()
		nft("delete table netdev " + table)
	}
}

// ingressOnLo makes the nftables table and its chain filtering what
// arrives on lo, deleted when the test ends, and returns a function
// that runs nft with args or fails the test.
func ingressOnLo(t testing.TB, table string) (nft func(args string)) {
	t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft (nftables) is missing")
	}
	nft = func(args string) {
		t.Helper()
		if out, err := exec.Command("nft", strings.Fields(args)...).CombinedOutput(); err != nil {
			t.Fatalf("nft %s: %v: %s", args, err, out)
		}
	}
	nft("add table netdev " + table)
	t.Cleanup(func() { _ = exec.Command("nft", "delete", "table", "netdev", table).Run() })
	nft("add chain netdev " + table + " in { type filter hook ingress device lo priority 0 ; }")
	return nft
}
