package e2e

import (
	"testing"
)

// TestAMeetingOnThisComputersAddressSaysItsLinkOpensHereOnly: a
// newcomer's first "plenum serve" is at http://localhost:8080, and the
// card shown to the one alone offered its link to share as it was,
// though it opens on no other computer (and elsewhere, over plain HTTP,
// a browser gives no camera nor microphone). The card now says so, and
// how to serve a link others can use; on any other name it says nothing.
func TestAMeetingOnThisComputersAddressSaysItsLinkOpensHereOnly(t *testing.T) {
	srv := startServer(t)
	browsers, _ := joinAll(t, srv, "e2e-invite", nil, "Ana")
	ana := browsers[0]
	waitFor(t, ana, "Ana's card for sharing the link", `document.querySelector('.tile-invite .invite-url') !== null`)
	expectCatalogue(t, ana, "Ana", "en", [][3]string{{".tile-invite .invite-note", "meeting.alone.thisComputerOnly", ""}})

	verdicts, err := evalJS[map[string]bool](ana, `(async () => {
		const { onLoopback } = await import('/_/static/ui/meeting.js');
		const out = {};
		for (const host of ['localhost', 'LOCALHOST', 'plenum.localhost', '127.0.0.1', '127.1.2.3', '[::1]',
			'meet.example.org', '192.168.1.10', '[2001:db8::7]', 'localhost.example.org', '1127.0.0.1', '127.0.0.1.example.org']) {
			out[host] = onLoopback(host);
		}
		return out;
	})()`)
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "plenum.localhost": true, "127.0.0.1": true, "127.1.2.3": true, "[::1]": true,
		"meet.example.org": false, "192.168.1.10": false, "[2001:db8::7]": false, "localhost.example.org": false,
		"1127.0.0.1": false, "127.0.0.1.example.org": false,
	} {
		if got, ok := verdicts[host]; !ok || got != want {
			t.Errorf("%s: taken for this computer's own address: %v, want %v", host, got, want)
		}
	}
}
