// Adaptive stream: tells the server at what size each remote video is
// shown, and whether it is seen at all, so that it sends the smallest
// simulcast layer that fills the tile and nothing for a hidden one.
//
// A tile is seen when some of it is on screen (IntersectionObserver),
// the page is visible (not a background tab, not minimized) and the
// participant's camera is on, and audio-only mode is off. Sizes come from a ResizeObserver on the
// video element. Changes are debounced (but a video coming into view is
// reported at once) and sent only when they differ (see Session.view).

const DEBOUNCE = 300;
const MAX_HEIGHT = 8192; // the protocol's limit

/**
 * The height in device pixels at which video shows its picture, 0 if
 * unknown. Tiles crop the video to fill them (object-fit: cover), so a
 * picture narrower than its tile is drawn taller than the tile.
 */
export function renderedHeight(video) {
  const ch = video.clientHeight;
  const cw = video.clientWidth;
  if (!ch || !cw) return 0;
  let height = ch;
  const { videoWidth: vw, videoHeight: vh } = video;
  if (vw > 0 && vh > 0 && getComputedStyle(video).objectFit === 'cover') height = Math.max(ch, (cw * vh) / vw);
  return Math.min(MAX_HEIGHT, Math.round(height * (window.devicePixelRatio || 1)));
}

function onScreen(el) {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
    && r.top < window.innerHeight && r.left < window.innerWidth;
}

export class ViewReporter {
  /** @param {(participant: string, height: number, visible: boolean, force: boolean) => void} send */
  constructor(send) {
    this.send = send;
    this.audioOnly = false;
    this.entries = new Map(); // participant -> {tile, timer, intersecting (null: not told yet)}
    this.byElement = new Map(); // observed element -> participant
    this.resize = new ResizeObserver((list) => {
      for (const e of list) this.touch(this.byElement.get(e.target));
    });
    this.intersect = new IntersectionObserver((list) => {
      for (const e of list) {
        const id = this.byElement.get(e.target);
        const entry = this.entries.get(id);
        if (!entry) continue;
        const shown = e.isIntersecting && entry.intersecting === false;
        entry.intersecting = e.isIntersecting;
        // Coming into view is reported at once, going away after the debounce.
        if (shown) this.now(id, false);
        else this.touch(id);
      }
    });
    this.onVisibility = () => {
      // Back to the tab: everything is wanted again, without delay.
      const shown = document.visibilityState === 'visible';
      for (const id of this.entries.keys()) {
        if (shown) this.now(id, false);
        else this.touch(id);
      }
    };
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  /** Audio-only mode: every video is reported hidden, so none is sent. */
  setAudioOnly(on) {
    this.audioOnly = on;
    for (const id of this.entries.keys()) this.now(id, false);
  }

  /** Starts reporting for a remote participant's tile. */
  add(id, tile) {
    if (this.entries.has(id)) this.remove(id);
    const entry = { tile, timer: 0, intersecting: null, onResize: () => this.touch(id) };
    this.entries.set(id, entry);
    this.byElement.set(tile.video, id);
    this.byElement.set(tile.el, id);
    this.resize.observe(tile.video);
    this.intersect.observe(tile.el);
    // A picture of another shape (a phone turned) is drawn at another height.
    tile.video.addEventListener('resize', entry.onResize);
    this.touch(id);
  }

  remove(id) {
    const entry = this.entries.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.resize.unobserve(entry.tile.video);
    this.intersect.unobserve(entry.tile.el);
    entry.tile.video.removeEventListener('resize', entry.onResize);
    this.byElement.delete(entry.tile.video);
    this.byElement.delete(entry.tile.el);
    this.entries.delete(id);
  }

  /** Something about id's tile changed: report it after the debounce. */
  touch(id) {
    const entry = this.entries.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.report(id, false), DEBOUNCE);
  }

  /** Reports id's view now; force sends it even if unchanged (a new video track). */
  now(id, force = true) {
    this.report(id, force);
  }

  report(id, force) {
    const entry = this.entries.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.timer = 0;
    const { tile } = entry;
    if (!tile.track) return; // nothing received yet: reported when it comes
    const height = renderedHeight(tile.video);
    const inView = entry.intersecting ?? onScreen(tile.el);
    const visible = inView && !this.audioOnly && !tile.el.hidden && document.visibilityState === 'visible' && !tile.videoMuted;
    this.send(id, height, visible, force);
  }

  destroy() {
    for (const id of [...this.entries.keys()]) this.remove(id);
    this.resize.disconnect();
    this.intersect.disconnect();
    document.removeEventListener('visibilitychange', this.onVisibility);
  }
}
