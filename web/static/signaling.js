// WebSocket client for the signaling protocol (signaling/PROTOCOL.md).
//
// Incoming messages are handled strictly one at a time: each handler may
// be async (setRemoteDescription, createAnswer…) and the next message
// waits for it, so descriptions and candidates are applied in order. The
// socket closing goes through the same queue, so an `error` message sent
// just before the close is always seen first.

// A dead path is noticed within PONG_TIMEOUT, and the session resumed
// on a new socket (reconnect.js). Not shorter: a page starved of CPU
// would resume for nothing.
const PING_INTERVAL = 10_000;
const PONG_TIMEOUT = 25_000;

/** The signaling URL on this page's origin (ws: or wss: like the page). */
export function signalingURL() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/_/ws`;
}

export class Signaling {
  /**
   * @param {object} handlers
   * @param {(msg: object) => (void|Promise<void>)} handlers.onMessage
   * @param {(info: {opened: boolean, code: number}) => void} handlers.onClose
   * @param {(err: Error) => void} handlers.onFailure  a handler threw
   */
  constructor({ onMessage, onClose, onFailure }) {
    this.onMessage = onMessage;
    this.onClose = onClose;
    this.onFailure = onFailure;
    this.queue = Promise.resolve();
    this.ws = null;
    this.opened = false;
    this.closed = false;
    this.lastPong = 0;
    this.timer = 0;
    // When set, the only message types sent: a socket that resumes or
    // joins again sends nothing else until the server has taken it.
    this.only = null;
  }

  /** Opens the socket; resolves once open, rejects if it cannot open. */
  connect(url = signalingURL()) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      this.ws = ws;
      ws.addEventListener('open', () => {
        this.opened = true;
        this.lastPong = Date.now();
        this.timer = setInterval(() => this.keepalive(), PING_INTERVAL);
        resolve();
      });
      ws.addEventListener('message', (event) => this.receive(event.data));
      ws.addEventListener('close', (event) => {
        clearInterval(this.timer);
        if (!this.opened) reject(new Error(`WebSocket closed (${event.code})`));
        this.enqueue(() => this.finish(event.code));
      });
    });
  }

  receive(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      console.warn('plenum: ignoring non-JSON signaling frame');
      return;
    }
    if (!msg || typeof msg.type !== 'string') return;
    // Any message shows the path works, not only a pong that a busy
    // server or a starved page may deliver late.
    this.lastPong = Date.now();
    if (msg.type === 'pong') return;
    this.enqueue(() => this.onMessage(msg));
  }

  enqueue(fn) {
    this.queue = this.queue.then(fn).catch((err) => {
      console.warn('plenum: signaling handler failed', err);
      this.onFailure(err);
    });
  }

  finish(code) {
    if (this.closed) return;
    this.closed = true;
    this.onClose({ opened: this.opened, code });
  }

  // Browsers answer the server's WebSocket pings on their own; our own
  // ping/pong tells us sooner when the server or the path to it is gone.
  keepalive() {
    if (Date.now() - this.lastPong > PONG_TIMEOUT) {
      console.warn('plenum: no pong from the server, closing');
      this.ws?.close();
      this.enqueue(() => this.finish(4000));
      return;
    }
    this.send({ type: 'ping' });
  }

  /** Sends one message; silently dropped once the socket is closed. */
  send(msg) {
    if (this.only && !this.only.has(msg.type)) return;
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  /** Closes without reporting (used after leave or a fatal error). */
  close() {
    this.closed = true;
    clearInterval(this.timer);
    try {
      this.ws?.close(1000);
    } catch { /* already closed */ }
  }
}
