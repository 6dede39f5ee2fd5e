package e2e

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/plenum-meet/plenum/sfu/assembly"
	"github.com/plenum-meet/plenum/web/webtest"
)

// japanese makes Chromium prefer Japanese the way a Japanese system
// does: the UI language (navigator.language) and Accept-Language
// (navigator.languages).
var japanese = []chromedp.ExecAllocatorOption{
	chromedp.Flag("lang", "ja"),
	chromedp.Flag("accept-lang", "ja"),
}

// chooseLanguage picks lang in b's meeting header, as a person would.
func chooseLanguage(t *testing.T, b *webtest.Browser, lang string) {
	t.Helper()
	if err := b.Eval(fmt.Sprintf(`(() => {
		const s = document.querySelector('.meeting-header .lang-select');
		s.value = %q;
		s.dispatchEvent(new Event('change'));
		return true;
	})()`, lang), new(bool)); err != nil {
		t.Fatal(err)
	}
}

// keptAcrossALanguageChange has b, whose page shows what (a JavaScript
// expression, true now), choose German; the meeting drawn again must
// show it still. shown, an expression, tells what it shows instead.
func keptAcrossALanguageChange(t *testing.T, b *webtest.Browser, who, what, shown string) {
	t.Helper()
	waitAt(t, who, b, what)
	chooseLanguage(t, b, "de")
	waitAt(t, who, b, `document.documentElement.lang === "de" && window.plenum.state === "joined"`)
	if err := b.WaitFor(what, 5*time.Second); err != nil {
		got, _ := evalJS[any](b, shown)
		t.Fatalf("after the language change %s's page shows %v: %v", who, got, err)
	}
}

// sameText is a JavaScript expression that is true when every element
// matching a selector shows (or, for attr, carries) the message of a key
// in the given catalogue, loaded from the server as the page loads it.
func sameText(lang string, checks [][3]string) string {
	list := "["
	for _, c := range checks {
		list += fmt.Sprintf("[%q,%q,%q],", c[0], c[1], c[2])
	}
	list += "]"
	return fmt.Sprintf(`(async () => {
		const msgs = (await import('/_/static/i18n/%s.js')).default;
		const bad = [];
		for (const [sel, key, attr] of %s) {
			const el = document.querySelector(sel);
			const shown = !el ? null : attr ? el.getAttribute(attr) : el.textContent.trim();
			if (shown !== msgs[key]) bad.push(sel + ' shows ' + JSON.stringify(shown) + ', want ' + key + ' = ' + JSON.stringify(msgs[key]));
		}
		return bad;
	})()`, lang, list)
}

func expectCatalogue(t *testing.T, b *webtest.Browser, who, lang string, checks [][3]string) {
	t.Helper()
	var bad []string
	if err := b.Eval(sameText(lang, checks), &bad); err != nil {
		t.Fatal(err)
	}
	for _, msg := range bad {
		t.Errorf("%s (%s): %s", who, lang, msg)
	}
	if len(bad) > 0 {
		t.FailNow()
	}
}

var (
	prejoinTexts = [][3]string{
		{".prejoin-title", "prejoin.title", ""},
		{"label[for=display-name]", "prejoin.nameLabel", ""},
		{"#display-name", "prejoin.namePlaceholder", "placeholder"},
		{".join-form button[type=submit]", "prejoin.join", ""},
		{".preview-controls .ctl", "toolbar.mute", "aria-label"},
	}
	meetingTexts = [][3]string{
		{".toolbar", "meeting.toolbar", "aria-label"},
		{".toolbar .ctl", "toolbar.mute", "aria-label"},
		{".ctl-leave", "toolbar.leave", "aria-label"},
		{".meeting-header .copy-link", "meeting.copyLink", ""},
		{".grid", "meeting.participants", "aria-label"},
	}
)

func TestUIInJapaneseWhenTheBrowserPrefersJapanese(t *testing.T) {
	srv := startServer(t)
	browsers := webtest.LaunchAll(t, japanese, nil)
	aiko, ben := browsers[0], browsers[1]

	// Aiko comes through the pre-join screen, which must be in Japanese.
	if err := aiko.Open(fmt.Sprintf("http://%s/e2e-ja?%s", srv.Addr(), url.Values{"name": {"Aiko"}}.Encode())); err != nil {
		t.Fatal(err)
	}
	if err := aiko.WaitFor(`window.plenum?.state === "prejoin" && document.documentElement.lang === "ja"`, 30*time.Second); err != nil {
		var lang []string
		_ = aiko.Eval(`[navigator.language, ...navigator.languages]`, &lang)
		t.Fatalf("%v (browser languages %v)", err, lang)
	}
	expectCatalogue(t, aiko, "Aiko's pre-join screen", "ja", prejoinTexts)
	if err := aiko.Eval(`document.querySelector('.join-form button[type=submit]').click(), true`, new(bool)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, aiko, "Aiko joins", `window.plenum.state === "joined"`)
	expectCatalogue(t, aiko, "Aiko's meeting", "ja", append(meetingTexts, [3]string{".invite-title", "meeting.alone.title", ""}))

	// Ben's browser speaks English: his page is English in the same meeting.
	if err := ben.Open(joinURL(srv, "e2e-ja", "Ben", nil)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ben, "Ben joins", `window.plenum?.state === "joined"`)
	expectCatalogue(t, ben, "Ben's meeting", "en", meetingTexts)
	// Aiko sees Ben arrive, counted with Japanese words.
	waitFor(t, aiko, "Aiko sees two people", `document.querySelector('.people')?.getAttribute('aria-label') === "2 人"`)

	// Ben switches to German in the meeting: the screen is redrawn in
	// German, he stays in the call, and the choice outlives a reload,
	// which brings him back into the meeting, and his leaving it.
	chooseLanguage(t, ben, "de")
	waitFor(t, ben, "Ben switches to German", `document.documentElement.lang === "de" && window.plenum.state === "joined"`)
	expectCatalogue(t, ben, "Ben's meeting after switching", "de", meetingTexts)
	waitFor(t, ben, "after the redraw Ben's grid lacks Aiko's tile or his own", `document.querySelectorAll('.grid .tile:not(.tile-invite)').length === 2`)
	if err := ben.Open(fmt.Sprintf("http://%s/e2e-ja", srv.Addr())); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ben, "the language chosen is not remembered in the meeting", `window.plenum?.state === "joined" && document.documentElement.lang === "de"`)
	expectCatalogue(t, ben, "Ben's meeting after a reload", "de", meetingTexts)
	click(t, ben, ".ctl-leave")
	waitFor(t, ben, "Ben leaves", `window.plenum.state === "left"`)
	if err := ben.Open(fmt.Sprintf("http://%s/e2e-ja", srv.Addr())); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ben, "the language chosen is not remembered", `window.plenum?.state === "prejoin" && document.documentElement.lang === "de"`)
	expectCatalogue(t, ben, "Ben's pre-join screen after a reload", "de", prejoinTexts)
}

// TestAPinnedTileStaysPinnedAcrossALanguageChange: Ana pins Mo's tile,
// then changes the language; the meeting, drawn again, still shows Mo
// in the spotlight, with the pin button pressed.
func TestAPinnedTileStaysPinnedAcrossALanguageChange(t *testing.T) {
	_, mo, ana, _ := moAndAPage(t, "e2e-pin-lang", "Ana", noDevices)
	pin := fmt.Sprintf(`.tile[data-participant=%q] .tile-actions .tile-btn`, mo.ID())
	mouseClick(t, ana, "Ana", pin)
	pinned := fmt.Sprintf(`window.plenum.layout().pinned === %q && window.plenum.layout().featured.join() === %q &&
		document.querySelector(%q)?.getAttribute('aria-pressed') === 'true'`, mo.ID(), mo.ID(), pin)
	keptAcrossALanguageChange(t, ana, "Ana", pinned, `window.plenum.layout()`)
}

// anaDraftsAChoice has Ana, alone in room and so its facilitator, begin
// a multiple-choice proposal: its question typed, its kind chosen.
func anaDraftsAChoice(t *testing.T, room string) *webtest.Browser {
	t.Helper()
	srv := startServer(t)
	ana := webtest.Launch(t)
	if err := ana.Open(joinURL(srv, room, "Ana", noDevices)); err != nil {
		t.Fatal(err)
	}
	joinedWithin(t, ana, "Ana", time.Minute)
	waitAt(t, "Ana", ana, `window.plenum.role === "moderator"`)
	doAt(t, "Ana", ana, tap(".ctl-assembly"), typeIn("#proposal-question", "Which drink?"))
	run(t, ana, `const s = document.querySelector('#proposal-kind');
		s.value = 'choice';
		s.dispatchEvent(new Event('change'))`)
	return ana
}

// draftKeptAcrossALanguageChange has Ana, whose proposal form holds her
// multiple choice (anaDraftsAChoice) with options, change the language:
// the form drawn again must hold them still.
func draftKeptAcrossALanguageChange(t *testing.T, ana *webtest.Browser, options string) {
	t.Helper()
	typed := fmt.Sprintf(`document.querySelector('#proposal-question')?.value === 'Which drink?' &&
		document.querySelector('#proposal-kind')?.value === 'choice' &&
		document.querySelector('#proposal-options')?.value === %q`, options)
	keptAcrossALanguageChange(t, ana, "Ana", typed, `['#proposal-question', '#proposal-kind', '#proposal-options'].map((s) => document.querySelector(s)?.value)`)
}

// TestAHalfTypedProposalSurvivesALanguageChange: Ana, who facilitates,
// has begun a multiple-choice proposal when she changes the language;
// the form drawn again holds her question, kind and options.
func TestAHalfTypedProposalSurvivesALanguageChange(t *testing.T) {
	ana := anaDraftsAChoice(t, "e2e-draft-lang")
	doAt(t, "Ana", ana, typeIn("#proposal-options", "Tea\nCoffee"))
	draftKeptAcrossALanguageChange(t, ana, "Tea\nCoffee")
}

// TestARefusedProposalStaysInTheFormAcrossALanguageChange: Ana, who
// facilitates, puts a multiple choice whose options differ only in case,
// which the server refuses (bad-proposal). The form emptied itself as
// it sent the proposal, refused or not: changing the language then drew
// it empty, and the question she had to correct was lost.
func TestARefusedProposalStaysInTheFormAcrossALanguageChange(t *testing.T) {
	ana := anaDraftsAChoice(t, "e2e-draft-refused")
	pasteOptions(t, ana, "Tea\ntea")
	doAt(t, "Ana", ana, tap(".proposal-submit"))
	waitAt(t, "Ana", ana, `!!document.querySelector('.toast[data-key="refused-proposal-open"]')`)
	draftKeptAcrossALanguageChange(t, ana, "Tea\ntea")

	// Corrected, it is put to the vote; closed, it leaves the form empty
	// for the next one.
	pasteOptions(t, ana, "Tea\nCoffee")
	doAt(t, "Ana", ana, tap(".proposal-submit"))
	doAt(t, "Ana", ana, tap(".vote-close"))
	waitAt(t, "Ana", ana, `document.querySelector('#proposal-question')?.value === '' && !!document.querySelector('.result')`)
}

// TestAHalfMadeBallotSurvivesALanguageChange: Ana has chosen to block
// Mo's proposal and is typing her reason when she changes the language;
// the ballot drawn again holds her choice and her reason.
func TestAHalfMadeBallotSurvivesALanguageChange(t *testing.T) {
	_, mo, ana, _ := moAndAPage(t, "e2e-ballot-lang", "Ana", noDevices)
	if err := mo.OpenProposal("Adopt the budget?", assembly.Consent, nil, false); err != nil {
		t.Fatal(err)
	}
	waitAt(t, "Ana", ana, `!!document.querySelector('#vote-reason')`)
	doAt(t, "Ana", ana, tap("#vote-choice-2"), typeIn("#vote-reason", "It leaves no reserve"))
	const made = `document.querySelector('#vote-choice-2')?.checked === true &&
		document.querySelector('#vote-reason')?.value === 'It leaves no reserve'`
	keptAcrossALanguageChange(t, ana, "Ana", made, `[document.querySelector('#vote-choice-2')?.checked, document.querySelector('#vote-reason')?.value]`)
}

// TestTheUnstableNoticeStaysAcrossALanguageChange: Ana's connection is
// cut, and the page says it is unstable; she changes the language, and
// the meeting drawn again still says so.
func TestTheUnstableNoticeStaysAcrossALanguageChange(t *testing.T) {
	srv := startServer(t)
	const room = "e2e-unstable-lang"
	dialGo(t, srv, room, true)
	ana := webtest.Launch(t)
	if err := ana.Open(joinURL(srv, room, "Ana", noDevices)); err != nil {
		t.Fatal(err)
	}
	joinedWithin(t, ana, "Ana", time.Minute)
	eventually(t, time.Minute, "Ana receives from Mo", func() (bool, string) {
		connected, err := evalJS[bool](ana, `window.plenum.stats().then((s) => !!s.candidatePair)`)
		return connected, fmt.Sprint(err)
	})
	cutMedia(t, srv, "plenume2eunstablelang")
	keptAcrossALanguageChange(t, ana, "Ana", unstableNotice, notices)
}

// TestTheSpeakerStaysInTheSpotlightAcrossALanguageChange: in the
// speaker layout Ana sees Cleo, who talks, in the spotlight (Mo came
// first); she changes the language, and Cleo is still there.
func TestTheSpeakerStaysInTheSpotlightAcrossALanguageChange(t *testing.T) {
	srv := startServer(t)
	const room = "e2e-speaker-lang"
	dialGo(t, srv, room, true)
	cleo := dialGoAs(t, srv, room, "Cleo", true)
	ana := webtest.Launch(t)
	if err := ana.Open(joinURL(srv, room, "Ana", noDevices)); err != nil {
		t.Fatal(err)
	}
	joinedWithin(t, ana, "Ana", time.Minute)
	waitAt(t, "Ana", ana, `window.plenum.participants().length === 2`)
	doAt(t, "Ana", ana, chromedp.KeyEvent("w"))
	waitAt(t, "Ana", ana, `window.plenum.layout().mode === "speaker"`)
	cleo.SetAudioLevel(20) // talking
	featured := fmt.Sprintf(`window.plenum.layout().featured.join() === %q`, cleo.ID())
	keptAcrossALanguageChange(t, ana, "Ana", featured, `window.plenum.layout()`)
}

// notices is what the page's notices say, for failures.
const notices = `[...document.querySelectorAll('.toast')].map((e) => e.dataset.key + ': ' + e.textContent)`

// TestTheAssemblyPanelStaysOpenAcrossALanguageChange: Ana opens the
// queue and votes, then changes the language; the panel is still open.
func TestTheAssemblyPanelStaysOpenAcrossALanguageChange(t *testing.T) {
	srv := startServer(t)
	ana := webtest.Launch(t)
	if err := ana.Open(joinURL(srv, "e2e-assembly-lang", "Ana", noDevices)); err != nil {
		t.Fatal(err)
	}
	joinedWithin(t, ana, "Ana", time.Minute)
	doAt(t, "Ana", ana, tap(".ctl-assembly"))
	keptAcrossALanguageChange(t, ana, "Ana",
		`!document.getElementById('assembly-panel').hidden && document.querySelector('.ctl-assembly').getAttribute('aria-expanded') === 'true'`,
		`[document.getElementById('assembly-panel').hidden, document.querySelector('.ctl-assembly').getAttribute('aria-expanded')]`)
}

// TestTheMutedNoticeStaysAcrossALanguageChange: Mo mutes Ana, whose
// page says so; she changes the language, and it still says so.
func TestTheMutedNoticeStaysAcrossALanguageChange(t *testing.T) {
	_, mo, ana, anaID := moAndAPage(t, "e2e-muted-lang", "Ana", url.Values{"camera": {"0"}})
	waitAt(t, "Ana", ana, `!window.plenum.muted.audio`)
	if err := mo.MuteParticipant(anaID, true, false); err != nil {
		t.Fatal(err)
	}
	keptAcrossALanguageChange(t, ana, "Ana", `!!document.querySelector('.toast[data-key="muted"]')`, notices)
}

// TestAnUnmuteRequestNoticeStaysAcrossALanguageChange: Ana, a
// moderator, is told that Ben asks to unmute; she changes the
// language, and the notice, with its Allow button, is still there.
func TestAnUnmuteRequestNoticeStaysAcrossALanguageChange(t *testing.T) {
	srv := startServer(t)
	_, ana, _, _, request := benAsksToUnmute(t, srv, "e2e-request-lang")
	keptAcrossALanguageChange(t, ana, "Ana", fmt.Sprintf(`!!document.querySelector(%q)`, request+" button.btn-primary"), notices)
}
