// Entry point: decides what to show from the URL and drives the flow
// landing → pre-join → joining → joined → left / error.
//
// URL parameters on a room page:
//   name=…      display name (pre-fills the pre-join field)
//   autojoin=1  skip the pre-join screen, join with camera and mic on
//   relay=1     force TURN relay on both peer connections
//   camera=0    with autojoin: join with the camera off
//   mic=0       with autojoin: join with the microphone off (with camera=0, receive only)
// and, from a signed link (`plenum link`), #token=… (see link.js).

import { initI18n, t, has } from './i18n.js';
import { store, setState } from './store.js';
import { installHook } from './hook.js';
import { LocalMedia } from './media.js';
import { Session } from './session.js';
import { loadPref, savePref } from './prefs.js';
import { renderLanding } from './ui/landing.js';
import { PrejoinView } from './ui/prejoin.js';
import { MeetingView } from './ui/meeting.js';
import { messageScreen, joiningScreen } from './ui/screens.js';
import { clearToasts, toast } from './ui/toast.js';
import { announce } from './ui/announcer.js';
import { showReconnection } from './ui/reconnecting.js';
import { LANGUAGE_EVENT, focusLanguageSelect } from './ui/language.js';
import { installShortcuts, registerShortcut } from './ui/shortcuts.js';
import { linkToken, peekToken } from './link.js';
import { lobbyScreen } from './ui/lobby.js';
import { passwordScreen } from './ui/password.js';
import { guardUnmute } from './ui/moderation.js';
import { isBlank } from './looks.js';
import { keepForReturn, takeReturn, forgetReturn } from './returning.js';

const root = document.getElementById('app');
const params = new URLSearchParams(location.search);
const relay = params.get('relay') === '1';
const token = linkToken();
// What the link says of us, unverified: a viewer's page asks for no devices.
const hint = peekToken(token);
const viewer = hint?.role === 'viewer';
// Error codes after which rejoining cannot help (PROTOCOL.md).
const FINAL = new Set(['bad-room', 'unsupported', 'removed', 'banned', 'lobby-denied', 'meeting-ended', 'token-required', 'bad-token', 'token-expired', 'wrong-room', 'link-revoked']);

let room = '';
let displayName = '';
let password = ''; // the room's, once typed
let media = null;
let view = null; // the current screen object, if it needs cleaning up
let redraw = null; // draws the current screen again, after a language change
// Devices to turn back on when rejoining.
let wanted = { audio: true, video: true };

async function main() {
  installHook(); // first, so tests can poll window.plenum.state at once
  setState('landing');
  await initI18n();
  document.title = t('app.name');
  window.addEventListener(LANGUAGE_EVENT, () => {
    document.title = t('app.name');
    redraw?.();
    focusLanguageSelect();
  });

  if (document.querySelector('meta[name="plenum-page"]')?.content === 'not-found') {
    showNotFound();
    return;
  }
  const path = location.pathname.replace(/^\/+/, '');
  if (!path) {
    redraw = () => renderLanding(root);
    redraw();
    return;
  }
  try {
    room = decodeURIComponent(path);
  } catch {
    room = path; // the server only serves valid names; be lenient anyway
  }
  media = new LocalMedia();
  installShortcuts();
  // M and V work from the pre-join screen on (see ui/shortcuts.js).
  const whileInRoom = (fn) => () => {
    if (['prejoin', 'joining', 'joined'].includes(store.state)) fn();
  };
  registerShortcut({ key: 'm', label: 'shortcuts.mic', run: whileInRoom(toggleMic) });
  registerShortcut({ key: 'v', label: 'shortcuts.camera', run: whileInRoom(toggleCam) });
  // Closing the tab or reloading, which cannot be told apart here: tell
  // the server right away instead of timing out, and that we may be back
  // in a moment (returning.js), with what the next load needs for that.
  window.addEventListener('pagehide', leaveToReturn);

  const given = cleanName(params.get('name') || hint?.name || '');
  const back = takeReturn(room);
  if (back) {
    // Reloaded in the meeting: back in, as the same participant if the
    // server still holds us, with the same name and devices.
    displayName = cleanName(back.name) || given || guestName();
    wanted = { audio: back.audio, video: back.video };
    await startAndJoin(back);
  } else if (params.get('autojoin') === '1') {
    displayName = given || guestName();
    setState('joining');
    redraw = () => joiningScreen(root, room);
    redraw();
    if (!viewer) await media.start({ audio: params.get('mic') !== '0', video: params.get('camera') !== '0' });
    join();
  } else {
    showPrejoin(given || loadPref('name'));
  }
}

async function showPrejoin(name) {
  setState('prejoin');
  prejoinView(name);
  if (!viewer) await media.start({ audio: true, video: true });
  // The view may have been drawn again (language) or left meanwhile.
  if (view instanceof PrejoinView && view.starting) view.ready();
}

function prejoinView(name, ready = false) {
  const prejoin = new PrejoinView(root, {
    room,
    name,
    media,
    viewer,
    onToggleMic: toggleMic,
    onToggleCam: toggleCam,
    onJoin: (chosen) => {
      displayName = cleanName(chosen) || guestName(); // the form let only a visible name through
      savePref('name', displayName);
      join();
    },
  });
  view = prejoin;
  if (ready) prejoin.ready();
  if (store.state === 'joining') prejoin.setJoining(true);
  redraw = () => {
    prejoin.destroy();
    prejoinView(prejoin.nameInput.value, !prejoin.starting);
  };
}

/**
 * Joins the meeting, or, with back (what this tab kept as it reloaded),
 * resumes as the participant it was and joins if refused.
 */
function join(back = null) {
  clearToasts();
  store.lastError = null;
  const resume = back ? { id: back.id, token: back.token } : null;
  const session = new Session({ room, name: displayName, media, relay, token, password, resume });
  store.session = session;
  setState('joining');
  if (view instanceof PrejoinView) view.setJoining(true);

  session.addEventListener('welcome', () => {
    view?.destroy();
    showMeeting(session);
    redraw = () => {
      view?.destroy();
      showMeeting(session);
    };
    setState('joined');
    announce(t('announce.joinedMeeting'));
  });
  session.addEventListener('lobby', () => {
    view?.destroy();
    view = null;
    setState('lobby');
    redraw = () => lobbyScreen(root, { room, onLeave: leave });
    redraw();
  });
  session.addEventListener('fatal', (event) => {
    const { code } = event.detail;
    const asked = code === 'password-required' || code === 'wrong-password' || (code === 'rate-limit' && password);
    if (asked) askPassword(code);
    else showError(event.detail);
  });
  showReconnection(session);
  session.join();
}

/** The room wants a password: ask for it, then join again with it. */
function askPassword(why) {
  view?.destroy();
  view = null;
  clearToasts();
  setState('password');
  redraw = () => passwordScreen(root, {
    room,
    why,
    onSubmit: (typed) => {
      password = typed;
      join();
    },
    onLeave: leave,
  });
  redraw();
}

function showMeeting(session) {
  view = new MeetingView(root, { session, media, onLeave: leave, onToggleMic: toggleMic, onToggleCam: toggleCam });
}

function leave() {
  forgetReturn();
  rememberDevices();
  store.session?.leave();
  endMeeting();
  setState('left');
  redraw = leftScreen;
  redraw();
}

function leftScreen() {
  messageScreen(root, {
    iconName: 'door',
    title: t('left.title'),
    body: t('left.body'),
    actions: [
      { label: t('left.rejoin'), run: rejoin, primary: true, iconName: 'refresh' },
      { label: t('left.newMeeting'), run: () => location.assign('/'), iconName: 'plus' },
    ],
  });
}

/** The page unloads: leave, keeping what a reload needs to come back. */
function leaveToReturn() {
  const session = store.session;
  const ticket = session?.returnTicket();
  if (!ticket) {
    forgetReturn();
    session?.leave();
    return;
  }
  keepForReturn(room, { ...ticket, name: displayName, audio: media.micEnabled, video: media.camOn });
  session.leave({ returning: true });
}

function showError({ code, reason }) {
  forgetReturn();
  store.lastError = { code, reason };
  rememberDevices();
  endMeeting();
  setState('error');
  redraw = () => errorScreen(code, reason);
  redraw();
}

function errorScreen(code, reason) {
  const known = has(`error.${code}`);
  const actions = [];
  if (code === 'version' || code === 'bad-message') {
    actions.push({ label: t('error.reload'), run: () => location.reload(), primary: true, iconName: 'refresh' });
  } else if (!FINAL.has(code)) {
    actions.push({ label: t('error.rejoin'), run: rejoin, primary: true, iconName: 'refresh' });
  }
  actions.push({ label: t('left.newMeeting'), run: () => location.assign('/'), iconName: 'plus' });
  messageScreen(root, {
    iconName: 'alert',
    tone: 'danger',
    title: has(`error.${code}.title`) ? t(`error.${code}.title`) : t('error.title'),
    body: known ? t(`error.${code}`) : reason || t('error.unknown'),
    details: known && reason ? t('error.details', { reason }) : '',
    actions,
  });
}

function showNotFound() {
  store.lastError = { code: 'not-found', reason: 'no meeting at this address' };
  setState('error');
  redraw = showNotFoundScreen;
  redraw();
}

function showNotFoundScreen() {
  messageScreen(root, {
    iconName: 'alert',
    title: t('error.not-found.title'),
    body: t('error.not-found'),
    actions: [{ label: t('left.newMeeting'), run: () => location.assign('/'), primary: true, iconName: 'plus' }],
  });
}

function rejoin() {
  return startAndJoin(null);
}

/** Turns the wanted devices on again and joins (resumes, with back). */
async function startAndJoin(back) {
  setState('joining');
  redraw = () => joiningScreen(root, room);
  redraw();
  media.micEnabled = wanted.audio;
  // A viewer's link asks for no devices, this time either.
  if (!viewer) await media.start({ audio: true, video: wanted.video });
  join(back);
}

function rememberDevices() {
  if (media) wanted = { audio: media.micEnabled, video: media.camOn };
}

/** Tears down the meeting screen and turns the devices off. */
function endMeeting() {
  clearToasts();
  view?.destroy();
  view = null;
  media?.stop();
}

async function toggleMic() {
  const on = !media.micOn;
  if (on && guardUnmute(store.session, 'audio')) return;
  await media.setMic(on);
  if (on && media.micOn) store.session?.access.unmuted('audio');
  if (on && !media.micOn) {
    toast(t(`media.audio.${media.errors.audio || 'failed'}`), { key: 'device', kind: 'error', timeout: 8000, dismissible: true, iconName: 'alert' });
    return;
  }
  if (store.state === 'joined') announce(t(on ? 'announce.micOn' : 'announce.micOff'));
}

async function toggleCam() {
  const on = !media.camOn;
  if (on && guardUnmute(store.session, 'video')) return;
  await media.setCamera(on);
  if (on && media.camOn) store.session?.access.unmuted('video');
  if (on && !media.camOn) {
    toast(t(`media.video.${media.errors.video || 'failed'}`), { key: 'device', kind: 'error', timeout: 8000, dismissible: true, iconName: 'alert' });
    return;
  }
  if (store.state === 'joined') announce(t(on ? 'announce.camOn' : 'announce.camOff'));
}

/** Trims, drops control characters and keeps at most 64 characters; '' for a name that shows nothing. */
function cleanName(name) {
  const clean = [...name.replace(/\p{Cc}/gu, '').trim()].slice(0, 64).join('').trim();
  return isBlank(clean) ? '' : clean;
}

function guestName() {
  const n = 1000 + (crypto.getRandomValues(new Uint16Array(1))[0] % 9000);
  return t('guest.name', { n });
}

main().catch((err) => {
  console.error('plenum: startup failed', err);
  store.lastError = { code: 'internal', reason: String(err?.message || err) };
  setState('error');
});
