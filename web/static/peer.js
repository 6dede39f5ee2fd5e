// The two RTCPeerConnections of the protocol. `up` carries our mic and
// camera to the server (we offer); `down` carries everybody else's tracks
// to us (the server offers, we answer). One offerer per connection means
// no glare, and no perfect-negotiation machinery is needed.

import { inboundCounters, pairFigures, upFigures } from './netstats.js';

/** Common parts: ICE config, candidate queues, connection state. */
class Peer {
  constructor(name, { iceServers = [], relay = false, onCandidate, onState }) {
    this.name = name;
    this.pc = new RTCPeerConnection({
      iceServers,
      iceTransportPolicy: relay ? 'relay' : 'all',
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    });
    // Remote candidates wait until the remote description is applied.
    this.pendingRemote = [];
    // Our candidates wait until our description has been sent: the
    // server must see the offer/answer before any candidate for it.
    this.pendingLocal = [];
    this.described = false;
    this.onCandidate = onCandidate;
    this.pc.addEventListener('icecandidate', (event) => {
      // A null candidate is the end of gathering; the server does not
      // need it (trickle ICE works without), so it is not sent.
      if (!event.candidate || !event.candidate.candidate) return;
      const init = event.candidate.toJSON();
      if (this.described) this.onCandidate(init);
      else this.pendingLocal.push(init);
    });
    this.pc.addEventListener('connectionstatechange', () => onState(this.pc.connectionState));
  }

  /** Called once our description was sent: releases held candidates. */
  descriptionSent() {
    this.described = true;
    for (const c of this.pendingLocal.splice(0)) this.onCandidate(c);
  }

  async addRemoteCandidate(init) {
    if (!this.pc.remoteDescription) {
      this.pendingRemote.push(init);
      return;
    }
    await this.applyCandidate(init);
  }

  async flushRemoteCandidates() {
    for (const c of this.pendingRemote.splice(0)) await this.applyCandidate(c);
  }

  async applyCandidate(init) {
    try {
      await this.pc.addIceCandidate(init);
    } catch (err) {
      // One bad candidate must not end the meeting; others may work.
      console.warn(`plenum: ${this.name}: addIceCandidate failed`, err);
    }
  }

  close() {
    this.pc.close();
  }
}

/** Codec preferences with VP8 first (the server takes VP8 for now). */
function preferVP8(transceiver) {
  if (!transceiver.setCodecPreferences || !RTCRtpReceiver.getCapabilities) return;
  const codecs = RTCRtpReceiver.getCapabilities('video')?.codecs;
  if (!codecs?.length) return;
  const isVP8 = (c) => c.mimeType.toLowerCase() === 'video/vp8';
  try {
    transceiver.setCodecPreferences([...codecs.filter(isVP8), ...codecs.filter((c) => !isVP8(c))]);
  } catch (err) {
    console.warn('plenum: setCodecPreferences failed', err);
  }
}

/**
 * The camera's simulcast encodings, low to high as the protocol numbers
 * them in `layers`: a quarter, half and full resolution of the capture
 * (320x180, 640x360 and 1280x720 from a 720p camera). Bitrates in bit/s.
 */
export const SIMULCAST = Object.freeze([
  Object.freeze({ rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 }),
  Object.freeze({ rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 }),
  Object.freeze({ rid: 'f', maxBitrate: 1_500_000 }),
]);

/** Cap of a camera sent as one encoding (browsers without simulcast). */
export const VIDEO_MAX = 1_500_000;

/** Cap of a screen share (the server's --screen-bitrate-max replaces it). */
export const SCREEN_MAX = 2_500_000;

/** Ends the stream id of a screen share's down tracks (PROTOCOL.md). */
export const SCREEN_SUFFIX = '~screen';

/** Splits a down stream id into {participant, screen}. */
export function parseStreamId(id) {
  const screen = id.endsWith(SCREEN_SUFFIX);
  return { participant: screen ? id.slice(0, -SCREEN_SUFFIX.length) : id, screen };
}

const positive = (n) => (Number.isFinite(n) && n > 0 ? Math.round(n) : 0);

/**
 * Encoding settings from the welcome's `media` object (absent or partly
 * invalid fields keep our defaults): {simulcast: [low, mid, high],
 * videoMax, screenMax, audio (0: the browser's default)}.
 */
export function mediaSettings(media) {
  const m = media && typeof media === 'object' ? media : {};
  const given = Array.isArray(m.simulcast) ? m.simulcast : [];
  return {
    simulcast: SIMULCAST.map((e, i) => positive(given[i]) || e.maxBitrate),
    videoMax: positive(m.videoMax) || VIDEO_MAX,
    screenMax: positive(m.screenMax) || SCREEN_MAX,
    audio: positive(m.audio),
  };
}

export class UpConnection extends Peer {
  /** @param {object} opts  plus media: the result of mediaSettings() */
  constructor(opts) {
    super('up', opts);
    const media = opts.media || mediaSettings(null);
    this.stream = new MediaStream();
    // Both transceivers always exist so that turning a device on later
    // is a replaceTrack, not a renegotiation.
    const audioInit = { direction: 'sendonly', streams: [this.stream] };
    if (media.audio) audioInit.sendEncodings = [{ maxBitrate: media.audio }];
    this.audio = this.pc.addTransceiver('audio', audioInit);
    const simulcast = SIMULCAST.map((e, i) => ({ ...e, maxBitrate: media.simulcast[i] }));
    try {
      this.video = this.pc.addTransceiver('video', { direction: 'sendonly', streams: [this.stream], sendEncodings: simulcast });
    } catch (err) {
      // A browser without simulcast sends one encoding; the server
      // forwards it to everybody as it is.
      console.warn('plenum: no simulcast, sending one encoding', err);
      this.video = this.pc.addTransceiver('video', { direction: 'sendonly', streams: [this.stream], sendEncodings: [{ maxBitrate: media.videoMax }] });
    }
    preferVP8(this.video);
    // The last `layers` the server sent for the camera (null: all on),
    // kept so that a new camera track encodes the same layers.
    this.layers = null;
    // getParameters/setParameters pairs must not interleave.
    this.params = Promise.resolve();
    this.media = media;
    // The screen share's transceivers ({video, audio?}), null when not sharing.
    this.screen = null;
  }

  /**
   * Adds a screen share (its picture and, if any, its sound) as
   * transceivers of their own; the caller renegotiates. One encoding
   * at the server's screen cap: a share is shown large, and text needs
   * every pixel, so it keeps its resolution and drops frames instead.
   */
  addScreen(videoTrack, audioTrack) {
    this.removeScreen();
    const stream = new MediaStream();
    videoTrack.contentHint = 'detail';
    const video = this.pc.addTransceiver(videoTrack, {
      direction: 'sendonly',
      streams: [stream],
      sendEncodings: [{ maxBitrate: this.media.screenMax, priority: 'high', networkPriority: 'high' }],
    });
    preferVP8(video);
    const params = video.sender.getParameters();
    params.degradationPreference = 'maintain-resolution';
    video.sender.setParameters(params).catch(() => { /* a hint only */ });
    let audio = null;
    if (audioTrack) {
      const init = { direction: 'sendonly', streams: [stream] };
      if (this.media.audio) init.sendEncodings = [{ maxBitrate: Math.max(this.media.audio, 64_000) }];
      audio = this.pc.addTransceiver(audioTrack, init);
    }
    this.screen = { video, audio };
  }

  /** Stops the screen share's transceivers, if any; the caller renegotiates. */
  removeScreen() {
    if (!this.screen) return false;
    for (const t of [this.screen.video, this.screen.audio]) {
      if (t && this.pc.signalingState !== 'closed') t.stop();
    }
    this.screen = null;
    return true;
  }

  /** The media ids of the screen share, for the offer's `screen` field. */
  screenMids() {
    if (!this.screen) return [];
    return [this.screen.video, this.screen.audio].filter((t) => t && t.mid).map((t) => t.mid);
  }

  /** What the screen share sends: {frameWidth, frameHeight, bytesSent}, or null. */
  async screenSent() {
    if (!this.screen) return null;
    for (const s of (await this.screen.video.sender.getStats()).values()) {
      if (s.type === 'outbound-rtp') return { frameWidth: s.frameWidth ?? 0, frameHeight: s.frameHeight ?? 0, bytesSent: s.bytesSent ?? 0 };
    }
    return { frameWidth: 0, frameHeight: 0, bytesSent: 0 };
  }

  /** Sets the tracks to send (null sends nothing on that transceiver). */
  async setTracks(audioTrack, videoTrack) {
    const jobs = [];
    if (this.audio.sender.track !== audioTrack) jobs.push(this.audio.sender.replaceTrack(audioTrack));
    if (this.video.sender.track !== videoTrack) jobs.push(this.video.sender.replaceTrack(videoTrack).then(() => this.applyLayers()));
    await Promise.all(jobs);
  }

  /**
   * Obeys a `layers` message: encodes only the camera layers someone
   * needs. active is [low, medium, high]; with fewer encodings the first
   * entries apply. Returns false if mid is not our camera.
   */
  setLayers(mid, active) {
    if (!mid || this.video.mid !== mid) return false;
    this.layers = active.map(Boolean);
    this.applyLayers();
    return true;
  }

  /** Applies this.layers to the camera's encodings (serialized, never throws). */
  applyLayers() {
    this.params = this.params.then(async () => {
      if (!this.layers || this.pc.signalingState === 'closed') return;
      const sender = this.video.sender;
      const params = sender.getParameters();
      let changed = false;
      (params.encodings || []).forEach((e, i) => {
        if (i >= this.layers.length) return;
        if ((e.active !== false) !== this.layers[i]) {
          e.active = this.layers[i];
          changed = true;
        }
      });
      if (changed) await sender.setParameters(params);
    }).catch((err) => console.warn('plenum: cannot change the camera layers', err));
    return this.params;
  }

  /**
   * What the camera sender encodes, per encoding (low to high):
   * [{rid, frameWidth, frameHeight, bytesSent, active}] from its
   * outbound-rtp reports and parameters.
   */
  async sentLayers() {
    const sender = this.video.sender;
    const encodings = sender.getParameters().encodings || [];
    const reports = [...(await sender.getStats()).values()].filter((s) => s.type === 'outbound-rtp' && s.kind === 'video');
    return encodings.map((e) => {
      const rid = e.rid ?? '';
      const s = reports.find((r) => (r.rid ?? '') === rid) || (encodings.length === 1 ? reports[0] : null);
      return {
        rid,
        frameWidth: s?.frameWidth ?? 0,
        frameHeight: s?.frameHeight ?? 0,
        bytesSent: s?.bytesSent ?? 0,
        active: e.active !== false,
      };
    });
  }

  /** Creates and applies our offer; returns its SDP. */
  async createOffer() {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.pc.localDescription.sdp;
  }

  async applyAnswer(sdp) {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
    await this.flushRemoteCandidates();
  }

  /** How our sending fares since the last call (see netstats.js upFigures). */
  async quality() {
    const q = upFigures(await this.pc.getStats(), this.sentCounts);
    this.sentCounts = q.counts;
    return q;
  }

  /**
   * What our microphone sends ({packetsSent, bytesSent}) and the fraction
   * lost (0..1) the server last reported of it, or null when not sending.
   */
  async audioSent() {
    const report = await this.audio.sender.getStats();
    for (const s of report.values()) {
      if (s.type !== 'outbound-rtp') continue;
      const remote = report.get(s.remoteId);
      return { packetsSent: s.packetsSent ?? 0, bytesSent: s.bytesSent ?? 0, fractionLost: remote?.fractionLost ?? 0 };
    }
    return null;
  }

  /** Level (0..1) of what the microphone sends, from media-source stats. */
  async audioLevel() {
    const report = await this.audio.sender.getStats();
    for (const s of report.values()) {
      if (s.type === 'media-source' && s.kind === 'audio') return s.audioLevel ?? 0;
    }
    return 0;
  }
}

export class DownConnection extends Peer {
  /** @param {object} opts  plus onTrack({participant, kind, track, stream}) */
  constructor(opts) {
    super('down', opts);
    // track -> {participant, kind}. A receiver keeps its track object for
    // its whole life, even when the server reuses its transceiver for
    // another publisher, so the entry is refreshed on every ontrack.
    this.owners = new Map();
    // Streams we listen to: each fires a track event per track it gets,
    // and a transceiver reused for the same publisher fires again.
    this.watched = new WeakSet();
    this.pc.addEventListener('track', (event) => {
      const stream = event.streams[0];
      if (!stream) return;
      const { track } = event;
      const { participant, screen } = parseStreamId(stream.id);
      // A screen share's picture and sound are kinds of their own.
      const kind = screen ? (track.kind === 'video' ? 'screen' : 'screenAudio') : track.kind;
      this.owners.set(track, { participant, kind });
      if (!this.watched.has(stream)) {
        this.watched.add(stream);
        stream.addEventListener('removetrack', (e) => {
          const owner = this.owners.get(e.track);
          if (owner?.participant === participant) opts.onTrackRemoved?.({ participant, kind: owner.kind, track: e.track });
        });
      }
      opts.onTrack({ participant, kind, track, stream });
    });
  }

  /** Applies a server offer and returns our answer's SDP. */
  async answer(sdp) {
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    await this.flushRemoteCandidates();
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this.pc.localDescription.sdp;
  }

  /**
   * Inbound RTP statistics per participant and the selected candidate
   * pair. isKnown(id) filters out publishers who already left.
   */
  async stats(isKnown = () => true) {
    const report = await this.pc.getStats();
    const video = [];
    const audio = [];
    for (const { owner, s } of await this.inbound(report)) {
      if (!isKnown(owner.participant)) continue;
      if (s.kind === 'video') {
        video.push({
          participant: owner.participant,
          screen: owner.kind === 'screen',
          framesDecoded: s.framesDecoded ?? 0,
          frameWidth: s.frameWidth ?? 0,
          frameHeight: s.frameHeight ?? 0,
          bytesReceived: s.bytesReceived ?? 0,
          nackCount: s.nackCount ?? 0,
          pliCount: s.pliCount ?? 0,
          freezeCount: s.freezeCount ?? 0,
          retransmittedPacketsReceived: s.retransmittedPacketsReceived ?? 0,
          ...inboundCounters(s),
        });
      } else if (s.kind === 'audio') {
        audio.push({ participant: owner.participant, screen: owner.kind === 'screenAudio', audioLevel: s.audioLevel ?? 0, ...inboundCounters(s) });
      }
    }
    return { video, audio, candidatePair: selectedPair(report), path: pairFigures(report) };
  }

  /** Pairs each inbound-rtp report with the publisher it comes from. */
  async inbound(report) {
    // Track ids are just "audio"/"video" for every publisher, so reports
    // are matched to their transceiver through the mid.
    const live = this.pc.getTransceivers().filter((t) => this.owners.has(t.receiver.track)
      && t.mid !== null && t.currentDirection !== 'inactive' && t.currentDirection !== 'stopped');
    const byMid = new Map(live.map((t) => [t.mid, this.owners.get(t.receiver.track)]));
    const all = [...report.values()].filter((s) => s.type === 'inbound-rtp');
    if (all.every((s) => s.mid !== undefined)) {
      return all.filter((s) => byMid.has(s.mid)).map((s) => ({ owner: byMid.get(s.mid), s }));
    }
    // Older browsers without inbound-rtp.mid: ask each receiver.
    const out = [];
    for (const t of live) {
      for (const s of (await t.receiver.getStats()).values()) {
        if (s.type === 'inbound-rtp') out.push({ owner: this.owners.get(t.receiver.track), s });
      }
    }
    return out;
  }
}

/** The selected ICE candidate pair of a stats report, or null. */
export function selectedPair(report) {
  let pair = null;
  for (const s of report.values()) {
    if (s.type === 'transport' && s.selectedCandidatePairId) pair = report.get(s.selectedCandidatePairId);
  }
  if (!pair) {
    // Browsers without transport.selectedCandidatePairId (Firefox).
    for (const s of report.values()) {
      if (s.type === 'candidate-pair' && (s.selected || (s.nominated && s.state === 'succeeded'))) pair = s;
    }
  }
  if (!pair) return null;
  const local = describeCandidate(report.get(pair.localCandidateId));
  const remote = describeCandidate(report.get(pair.remoteCandidateId));
  return {
    local,
    remote,
    state: pair.state,
    relayed: local?.type === 'relay' || remote?.type === 'relay',
  };
}

function describeCandidate(c) {
  if (!c) return null;
  return {
    type: c.candidateType,
    protocol: c.protocol,
    address: c.address ?? c.ip ?? '',
    port: c.port,
    relayProtocol: c.relayProtocol ?? null,
  };
}
