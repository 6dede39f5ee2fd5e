// Deciding together, UI-free: the speaking queue, proposals and the
// minutes as the server tells them (signaling/PROTOCOL.md, "Deciding
// together"), and the messages that act on them. One model per session,
// kept across redraws of the meeting screen (assemblyOf), and emptied
// when the session joins afresh (its `reset`): a restarted server knows
// nothing of the old meeting and numbers its proposals from 1 again.
// Events: queue {previous, first}, proposal {proposal, previous}, role,
// refused {request, code}, reset.

const models = new WeakMap();

/** The session's assembly model, made on first use. */
export function assemblyOf(session) {
  let m = models.get(session);
  if (!m) {
    m = new Assembly(session);
    models.set(session, m);
  }
  return m;
}

const ASSEMBLY_REQUESTS = new Set(['hand', 'queue-next', 'queue-call', 'queue-move', 'queue-remove', 'queue-finish',
  'queue-rules', 'proposal-open', 'vote', 'proposal-close', 'minutes']);

// How long a request for the minutes waits for them before it fails.
const MINUTES_TIMEOUT = 10_000;

/** A ballot the server sent ({choice, reason}), checked, or null. */
function ballotOf(b) {
  if (!b || !Number.isInteger(b.choice)) return null;
  return { choice: b.choice, reason: typeof b.reason === 'string' ? b.reason : '' };
}

const EMPTY_QUEUE = { entries: [], speaker: null, notYetSpokenFirst: false, seconds: 0 };

export class Assembly extends EventTarget {
  constructor(session) {
    super();
    this.session = session;
    this.queue = EMPTY_QUEUE;
    this.queueAt = performance.now(); // when the queue state arrived
    this.proposals = new Map(); // id -> proposal, as the server sent it
    // proposal id -> {choice, reason}: the ballot we cast, or the one the
    // server says is our person's (`mine`: cast on this device or another
    // of ours), the newer of the two.
    this.myBallots = new Map();
    // Proposals we cast a ballot on before a resume: the first state of
    // each after it casts it again if still open (see recast).
    this.recast = new Set();
    // Requests for the minutes waiting for their answer, oldest first:
    // {settle(minutes | null | Error), page, whole} (see requestMinutes).
    // The server answers each
    // (`minutes` or `refused`) in order and says not which it answers,
    // so an answer is the oldest's. One that times out is given up: a
    // late answer then goes to the next, still a fresh enough record.
    this.minutesWaiters = [];
    this.handSent = null; // a hand message not yet answered by a queue
    this.handLater = null; // the last hand message asked for while reconnecting
    this.lastMinutes = null;
    session.addEventListener('message', (e) => this.handle(e.detail));
    session.addEventListener('reset', () => this.reset());
    // Answers still due went with the lost socket.
    session.addEventListener('reconnecting', () => this.failMinutes());
    session.addEventListener('reconnected', (e) => {
      if (!e.detail.resumed) return;
      this.recast = new Set(this.myBallots.keys());
      if (this.handLater) this.send(this.handLater);
      this.handLater = null;
    });
  }

  /** Our role, as the session knows it (a fresh welcome may change it). */
  get role() { return this.session.access.role || 'participant'; }

  /** Forgets the meeting: what comes after the next welcome is all there is. */
  reset() {
    this.queue = EMPTY_QUEUE;
    this.queueAt = performance.now();
    this.proposals.clear();
    this.myBallots.clear();
    this.recast.clear();
    this.handSent = null;
    this.handLater = null;
    this.failMinutes();
    this.emit('reset', {});
  }

  handle(msg) {
    switch (msg.type) {
      case 'queue': {
        const previous = this.queue;
        this.queue = {
          entries: Array.isArray(msg.entries) ? msg.entries.filter((e) => e && typeof e.id === 'string') : [],
          speaker: msg.speaker && typeof msg.speaker.id === 'string' ? msg.speaker : null,
          notYetSpokenFirst: !!msg.notYetSpokenFirst,
          seconds: Number(msg.seconds) || 0,
        };
        this.queueAt = performance.now();
        this.handSent = null;
        // The first after a join is the queue as we find it, not news.
        this.emit('queue', { previous, first: previous === EMPTY_QUEUE });
        break;
      }
      case 'proposal': {
        const p = msg.proposal;
        if (!p || !Number.isInteger(p.id) || !Array.isArray(p.options)) return;
        if (!Array.isArray(p.voters)) p.voters = [];
        const previous = this.proposals.get(p.id) || null;
        this.proposals.set(p.id, p);
        // Our ballot gone from the voters was dropped (we were made
        // viewer); our person's gone from `mine` was dropped: it is not
        // ours to show as cast, nor to cast again. (A ballot of our
        // person's cast on another device of a personal link stays in
        // the voters under the device that cast it first: `mine` says it.)
        if ((previous?.voters.includes(this.myId) && !p.voters.includes(this.myId)) || (previous?.mine && !p.mine)) {
          this.myBallots.delete(p.id);
        }
        // One cast while away goes again; else the server's word is the
        // newest: a ballot cast on another device of ours replaces ours.
        const recast = this.recast.delete(p.id) && this.castAgain(p);
        const mine = ballotOf(p.mine);
        if (mine && p.open && !recast) this.myBallots.set(p.id, mine);
        this.emit('proposal', { proposal: p, previous });
        break;
      }
      case 'minutes': {
        // The record comes in pages (PROTOCOL.md, `minutes`): each but
        // the last says where the next starts, which we ask for.
        const waiter = this.minutesWaiters[0];
        const next = Number(msg.next) || 0;
        if (waiter && msg.minutes && next > 0) {
          waiter.page(msg.minutes);
          if (!this.send({ type: 'minutes', from: next })) this.minutesWaiters.shift().settle(new Error('not connected'));
          break;
        }
        if (waiter) this.minutesWaiters.shift().settle(waiter.whole(msg.minutes ?? null));
        break;
      }
      case 'role':
        this.emit('role', {}); // the session's access took it already
        break;
      case 'refused':
        if (!ASSEMBLY_REQUESTS.has(msg.request)) return;
        if (msg.request === 'minutes') this.minutesWaiters.shift()?.settle(null);
        if (msg.request === 'vote') this.forgetUncounted();
        this.emit('refused', { request: msg.request, code: String(msg.code || '') });
        break;
      default:
        break;
    }
  }

  get facilitator() { return this.role === 'moderator'; }
  get canVote() { return this.role !== 'viewer'; }
  get myId() { return this.session.id; }

  /**
   * Whether a queue entry or the speaker is ours: our person's (`mine`),
   * raised or held on this device or another of ours (one personal link
   * on a phone and a laptop is one person in the queue).
   */
  isMine(e) { return !!e && (e.mine === true || e.id === this.myId); }

  /** Our entry in the queue, or null. */
  myHand() { return this.queue.entries.find((e) => this.isMine(e)) || null; }

  /**
   * Whether our hand is up, counting what we asked for and the server has
   * not confirmed yet, so that two quick presses raise and lower it.
   */
  handUp() { return this.handSent ?? !!this.myHand(); }

  /** Whether we have the floor, on this device or another of ours. */
  speaking() { return this.isMine(this.queue.speaker); }

  /** How long the current turn has lasted, in ms (0 with nobody speaking). */
  speakerElapsed() {
    const s = this.queue.speaker;
    return s ? Math.max(0, (Number(s.elapsedMs) || 0) + performance.now() - this.queueAt) : 0;
  }

  /** The open proposal, or null. */
  openProposal() {
    for (const p of this.proposals.values()) if (p.open) return p;
    return null;
  }

  /** Closed proposals, newest first. */
  closedProposals() {
    return [...this.proposals.values()].filter((p) => !p.open && p.result).reverse();
  }

  raiseHand(direct = false) {
    this.handSent = true;
    return this.sendHand({ type: 'hand', raised: true, direct });
  }

  lowerHand() {
    this.handSent = false;
    return this.sendHand({ type: 'hand', raised: false });
  }

  /**
   * Sends a hand message. One asked for while reconnecting (nothing is
   * sent then) goes once the session resumes, the last one: the page
   * said "hand raised", and the server must come to agree.
   */
  sendHand(msg) {
    const sent = this.send(msg);
    this.handLater = sent ? null : msg;
    return sent;
  }

  next() { return this.send({ type: 'queue-next' }); }
  call(participant) { return this.send({ type: 'queue-call', participant }); }
  move(participant, position) { return this.send({ type: 'queue-move', participant, position: Math.max(0, position) }); }
  remove(participant) { return this.send({ type: 'queue-remove', participant }); }
  finish() { return this.send({ type: 'queue-finish' }); }
  setRules(rules) { return this.send({ type: 'queue-rules', ...rules }); }

  /** Puts a proposal to the vote: {question, kind, options, secret}. */
  open(draft) { return this.send({ type: 'proposal-open', ...draft }); }
  vote(proposal, choice, reason = '') {
    this.myBallots.set(proposal, { choice, reason });
    return this.send({ type: 'vote', proposal, choice, reason });
  }

  /**
   * Casts our ballot on p again, after a resume, if the vote is still
   * open: one cast while reconnecting was not sent, and one sent into
   * the socket that broke may never have arrived (a changed ballot shows
   * in no message, so we cannot tell). The same ballot twice counts once.
   */
  castAgain(p) {
    const mine = this.myBallots.get(p.id);
    return !!(mine && p.open && this.canVote && this.send({ type: 'vote', proposal: p.id, ...mine }));
  }

  /**
   * Our ballot on p as counted: the one our person's devices are sent
   * (`mine`), or ours among the voters; undefined if none. One cast a
   * moment ago shows as the server counts it.
   */
  myBallot(p) {
    const counted = !!p.mine || p.voters.includes(this.myId);
    return counted ? this.myBallots.get(p.id) : undefined;
  }
  close(proposal) { return this.send({ type: 'proposal-close', proposal }); }

  /**
   * A ballot of ours was refused (cast just after we were made viewer,
   * or as the vote closed): the refusal does not say which, so every one
   * the server does not count, ours not among a proposal's voters, is
   * forgotten, or, where our person has one (`mine`, cast on another
   * device or counted under the one that cast theirs first), is that
   * one. Kept, it would show as cast (made participant again, the
   * choice ticked) though never counted.
   */
  forgetUncounted() {
    for (const id of [...this.myBallots.keys()]) {
      const p = this.proposals.get(id);
      const mine = p?.open ? ballotOf(p.mine) : undefined;
      if (mine) this.myBallots.set(id, mine);
      else if (!p?.voters.includes(this.myId)) this.myBallots.delete(id);
    }
  }

  /**
   * Asks for the record; resolves with it (see PROTOCOL.md, `minutes`),
   * or null if refused; fails if it does not come (not connected, the
   * connection lost, no answer within MINUTES_TIMEOUT).
   */
  requestMinutes() {
    return new Promise((resolve, reject) => {
      if (!this.send({ type: 'minutes' })) {
        reject(new Error('not connected'));
        return;
      }
      let pages = null; // the record's pages so far, together
      let timer;
      const wait = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          this.minutesWaiters = this.minutesWaiters.filter((w) => w !== waiter);
          waiter.settle(new Error('no answer'));
        }, MINUTES_TIMEOUT);
      };
      const waiter = {
        settle: (result) => {
          clearTimeout(timer);
          if (result instanceof Error) reject(result);
          else resolve(result);
        },
        // A page with more to come: kept, and each page has its time.
        page: (minutes) => {
          pages = waiter.whole(minutes);
          wait();
        },
        // The pages so far with minutes, the latest; null if refused.
        whole: (minutes) => {
          if (!minutes || !pages) return minutes;
          const more = Array.isArray(minutes.decisions) ? minutes.decisions : [];
          return { ...pages, decisions: [...(pages.decisions || []), ...more] };
        },
      };
      wait();
      this.minutesWaiters.push(waiter);
    });
  }

  /** Fails every request for the minutes: their answers will not come. */
  failMinutes() {
    for (const waiter of this.minutesWaiters.splice(0)) waiter.settle(new Error('connection lost'));
  }

  send(msg) { return this.session.send(msg); }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
