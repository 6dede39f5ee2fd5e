// Local devices: the microphone and camera tracks, device lists and
// friendly classification of getUserMedia failures.
//
// The microphone is muted with track.enabled (instant, no new prompt);
// the camera is turned off by stopping its track so the camera light
// goes off, and on again with a fresh getUserMedia.
//
// getUserMedia can take seconds (a prompt, a slow camera), and meanwhile
// the camera may be turned off again: by us, by a moderator's mute, by
// leaving. Each wish for a kind is numbered, and a track that arrives
// for a wish no longer the latest is stopped, never used: the latest
// wish wins, so a late camera does not come on after all.

import { loadPref, savePref } from './prefs.js';

const AUDIO = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
const VIDEO = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30, max: 30 } };

/** Maps a getUserMedia error to 'denied', 'not-found', 'in-use' or 'failed'. */
export function classifyMediaError(err) {
  switch (err?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'not-found';
    case 'NotReadableError':
    case 'AbortError':
      return 'in-use';
    default:
      return 'failed';
  }
}

/** Whether this page can use cameras at all (needs a secure context). */
export function mediaSupported() {
  return !!navigator.mediaDevices?.getUserMedia;
}

export class LocalMedia extends EventTarget {
  constructor() {
    super();
    this.audioTrack = null;
    this.videoTrack = null;
    /** Last failure per kind: '', 'denied', 'not-found', 'in-use', 'failed', 'insecure'. */
    this.errors = { audio: '', video: '' };
    this.devices = { audioinput: [], videoinput: [], audiooutput: [] };
    this.deviceIds = { audio: loadPref('audioDevice'), video: loadPref('videoDevice') };
    this.micEnabled = true;
    this.wishes = { audio: 0, video: 0 }; // the latest wish's number per kind
    this.pending = 0; // getUserMedia requests not yet answered
    // The screen share: its picture and, where the browser offers it,
    // the sound of the tab or system (null when not sharing).
    this.screenTrack = null;
    this.screenAudioTrack = null;
    this.onDeviceChange = () => this.refreshDevices();
    navigator.mediaDevices?.addEventListener('devicechange', this.onDeviceChange);
  }

  get micOn() {
    return !!this.audioTrack && this.micEnabled;
  }

  get camOn() {
    return !!this.videoTrack;
  }

  /** Acquires the requested kinds; failures are recorded in this.errors. */
  async start({ audio = true, video = true } = {}) {
    if (!mediaSupported()) {
      this.errors = { audio: 'insecure', video: 'insecure' };
      this.changed();
      return;
    }
    const wish = { audio: audio && this.wish('audio'), video: video && this.wish('video') };
    if (audio && video && !this.audioTrack && !this.videoTrack) {
      // One prompt for both in the common case.
      try {
        const stream = await this.getUserMedia(['audio', 'video']);
        this.take('audio', stream.getAudioTracks()[0] || null, wish.audio);
        this.take('video', stream.getVideoTracks()[0] || null, wish.video);
        this.errors = { audio: '', video: '' };
      } catch (err) {
        console.warn('plenum: getUserMedia(audio+video) failed, trying separately', err);
      }
    }
    // Either one was not asked for together, or the joint request failed:
    // try each device alone so that a missing camera still leaves the mic.
    if (audio && !this.audioTrack && this.latest('audio', wish.audio)) await this.acquire('audio', false, wish.audio);
    if (video && !this.videoTrack && this.latest('video', wish.video)) await this.acquire('video', false, wish.video);
    await this.refreshDevices();
    this.changed();
  }

  /** exact: the device chosen must be the one given (a choice made in the UI). */
  constraints(kinds, exact = false) {
    const c = {};
    for (const kind of kinds) {
      const id = this.deviceIds[kind];
      c[kind] = { ...(kind === 'audio' ? AUDIO : VIDEO), ...(id ? { deviceId: exact ? { exact: id } : { ideal: id } } : {}) };
    }
    return c;
  }

  /** A new wish for kind ('audio'|'video'): its number, which makes any earlier one stale. */
  wish(kind) {
    this.wishes[kind] += 1;
    return this.wishes[kind];
  }

  /** Whether wish is still the latest for kind. */
  latest(kind, wish) {
    return this.wishes[kind] === wish;
  }

  /** Uses track for kind if wish is still the latest, else stops it; returns whether it was used. */
  take(kind, track, wish) {
    if (!this.latest(kind, wish)) {
      track?.stop();
      return false;
    }
    this.setTrack(kind, track);
    return true;
  }

  async getUserMedia(kinds, exact = false) {
    this.pending += 1;
    try {
      return await navigator.mediaDevices.getUserMedia(this.constraints(kinds, exact));
    } finally {
      this.pending -= 1;
    }
  }

  /**
   * Gets a new track of kind ('audio'|'video') for wish (a new one by
   * default); returns it, or null when it failed or is no longer wished.
   */
  async acquire(kind, exact = false, wish = this.wish(kind)) {
    if (!mediaSupported()) {
      this.errors[kind] = 'insecure';
      return null;
    }
    try {
      const stream = await this.getUserMedia([kind], exact);
      const track = stream.getTracks()[0];
      if (!this.take(kind, track, wish)) return null;
      this.errors[kind] = '';
      return track;
    } catch (err) {
      console.warn(`plenum: getUserMedia(${kind}) failed`, err);
      this.errors[kind] = classifyMediaError(err);
      return null;
    }
  }

  setTrack(kind, track) {
    const key = kind === 'audio' ? 'audioTrack' : 'videoTrack';
    const old = this[key];
    if (old && old !== track) old.stop();
    this[key] = track;
    if (!track) return;
    if (kind === 'audio') track.enabled = this.micEnabled;
    // Remember the device actually in use, so the next visit picks it.
    const id = track.getSettings?.().deviceId;
    if (id) {
      this.deviceIds[kind] = id;
      savePref(kind === 'audio' ? 'audioDevice' : 'videoDevice', id);
    }
    // A device unplugged or revoked: behave as if it was turned off.
    track.addEventListener('ended', () => {
      if (this[key] !== track) return;
      this[key] = null;
      this.changed();
    });
  }

  /** Turns the camera on (new track) or off (track stopped). */
  async setCamera(on) {
    const wish = this.wish('video');
    if (!on) {
      this.setTrack('video', null);
    } else if (!this.videoTrack) {
      await this.acquire('video', false, wish);
      await this.refreshDevices();
    }
    this.changed();
    return this.camOn;
  }

  /** Mutes or unmutes the microphone, acquiring it first if needed. */
  async setMic(on) {
    this.micEnabled = on;
    if (on && !this.audioTrack) {
      await this.acquire('audio');
      await this.refreshDevices();
    }
    if (this.audioTrack) this.audioTrack.enabled = on;
    this.changed();
    return this.micOn;
  }

  /** Switches to another device of kind; keeps the camera off if it is. */
  async selectDevice(kind, deviceId) {
    this.deviceIds[kind] = deviceId;
    savePref(kind === 'audio' ? 'audioDevice' : 'videoDevice', deviceId);
    const current = kind === 'audio' ? this.audioTrack : this.videoTrack;
    if (current && current.getSettings?.().deviceId !== deviceId) {
      // Stop first: some systems cannot open two cameras at once. The
      // device asked for, not one that fits the other wishes better; if
      // it cannot start, any device rather than none.
      const wish = this.wish(kind);
      this.setTrack(kind, null);
      if (!(await this.acquire(kind, true, wish)) && this.latest(kind, wish)) await this.acquire(kind, false, wish);
    }
    this.changed();
  }

  async refreshDevices() {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    try {
      const list = await navigator.mediaDevices.enumerateDevices();
      this.devices = {
        audioinput: list.filter((d) => d.kind === 'audioinput' && d.deviceId),
        videoinput: list.filter((d) => d.kind === 'videoinput' && d.deviceId),
        audiooutput: list.filter((d) => d.kind === 'audiooutput' && d.deviceId),
      };
      this.changed();
    } catch (err) {
      console.warn('plenum: enumerateDevices failed', err);
    }
  }

  /** Whether this browser can share a screen at all (not on phones). */
  static screenSupported() {
    return !!navigator.mediaDevices?.getDisplayMedia;
  }

  /**
   * Asks the browser for a screen, window or tab to share, with its sound
   * where offered. Returns true when sharing; false when the user
   * cancelled; throws on other failures. The browser's own "stop
   * sharing" ends the track, which stops the share here too.
   */
  async startScreen() {
    if (!LocalMedia.screenSupported()) throw Object.assign(new Error('getDisplayMedia missing'), { name: 'NotSupportedError' });
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({
        video: { frameRate: { ideal: 15, max: 30 } },
        audio: true,
        systemAudio: 'include',
        surfaceSwitching: 'include',
      });
    } catch (err) {
      if (err?.name === 'NotAllowedError' || err?.name === 'AbortError') return false;
      throw err;
    }
    this.stopScreen(false);
    const video = stream.getVideoTracks()[0] || null;
    const audio = stream.getAudioTracks()[0] || null;
    if (!video) {
      audio?.stop();
      return false;
    }
    this.screenTrack = video;
    this.screenAudioTrack = audio;
    video.addEventListener('ended', () => {
      if (this.screenTrack === video) this.stopScreen();
    });
    this.changed();
    return true;
  }

  /** Stops sharing the screen. */
  stopScreen(notify = true) {
    const had = !!this.screenTrack;
    this.screenTrack?.stop();
    this.screenAudioTrack?.stop();
    this.screenTrack = null;
    this.screenAudioTrack = null;
    if (had && notify) this.changed();
  }

  /** Stops every track (camera light and mic indicator off). */
  stop() {
    this.wish('audio'); // devices still starting stay off
    this.wish('video');
    this.setTrack('audio', null);
    this.setTrack('video', null);
    this.stopScreen(false);
    this.changed();
  }

  dispose() {
    this.stop();
    navigator.mediaDevices?.removeEventListener('devicechange', this.onDeviceChange);
  }

  changed() {
    this.dispatchEvent(new Event('change'));
  }
}
