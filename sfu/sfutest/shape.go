package sfutest

import (
	"os/exec"
	"strings"
	"testing"
)

// LimitOnLo caps the IPv4 packets on lo that match (a tc u32 match,
// such as "ip dport 5000 0xffff") at rate (tc syntax, e.g. 300kbit),
// behind a queue of 40 packets, as a weak mobile link; everything else
// on lo is not limited. setRate changes the cap without emptying the
// queue (a network that gets better or worse); the limit ends with the
// test. It needs tc and a private network namespace: it replaces lo's
// root queueing discipline, so one test at a time.
func LimitOnLo(t testing.TB, match, rate string) (setRate func(rate string)) {
	t.Helper()
	if _, err := exec.LookPath("tc"); err != nil {
		t.Skip("tc (iproute2) is missing")
	}
	tc := func(args string) {
		t.Helper()
		if out, err := exec.Command("tc", strings.Fields(args)...).CombinedOutput(); err != nil {
			t.Fatalf("tc %s: %v: %s", args, err, out)
		}
	}
	t.Cleanup(func() { _ = exec.Command("tc", "qdisc", "del", "dev", "lo", "root").Run() })
	tc("qdisc replace dev lo root handle 1: htb default 1")
	tc("class replace dev lo parent 1: classid 1:1 htb rate 10gbit")
	tc("class replace dev lo parent 1: classid 1:2 htb rate " + rate + " ceil " + rate + " burst 6k")
	tc("qdisc replace dev lo parent 1:2 handle 20: pfifo limit 40")
	tc("filter replace dev lo parent 1: protocol ip prio 1 u32 match " + match + " flowid 1:2")
	return func(rate string) {
		t.Helper()
		tc("class change dev lo parent 1: classid 1:2 htb rate " + rate + " ceil " + rate + " burst 6k")
	}
}
