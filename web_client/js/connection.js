// A session's two channels as the page watches them: the events WebSocket (JSON messages) and
// the peer connection's state. Either one lost means the session is lost; the page decides
// what then happens (reconnect, or back to the attract screen).

/** How long a "disconnected" peer connection may recover by itself before it counts as lost
 * (ICE often comes back after a short network hiccup). */
export const DISCONNECTED_GRACE_MS = 4000;

/** How long it may stay "disconnected" while the session's events socket is still open: the
 * server is there but sent no media for a while (Chrome calls a connection disconnected after
 * ~2.5 s without a packet). On a loaded machine a turn's work delayed the server's packets that
 * long, and 4 s later the page dropped the session with the visitor's flow in it, six times in
 * six minutes (newcomer14); a dead network still counts as lost after this, or at once on
 * "failed" or when the socket closes. */
export const DISCONNECTED_GRACE_ALIVE_MS = 20000;

/**
 * Open the events socket at ``url``.
 *
 * @param {string} url the session's events URL (``eventsUrl``)
 * @param {{onOpen: () => void, onMessage: (msg: object) => void, onClose: () => void}} o
 *   onMessage gets each message parsed (a non-JSON one is logged and skipped)
 * @returns {WebSocket}
 */
export function openEvents(url, o) {
  const socket = new WebSocket(url);
  socket.addEventListener("open", () => o.onOpen());
  socket.addEventListener("message", (ev) => {
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      console.warn("non-JSON event ignored", ev.data);
      return;
    }
    o.onMessage(msg);
  });
  socket.addEventListener("close", () => o.onClose());
  return socket;
}

/**
 * Call ``onLost`` when ``pc`` fails, or stays "disconnected" for ``graceMs`` (for
 * ``aliveGraceMs`` while ``alive()`` says the server is still there).
 *
 * @param {RTCPeerConnection} pc
 * @param {() => void} onLost may be called more than once: the caller ignores a session over
 * @param {number} graceMs milliseconds
 * @param {() => boolean} alive whether the server still answers (the events socket is open)
 * @param {number} aliveGraceMs milliseconds
 */
export function watchPeer(
  pc,
  onLost,
  graceMs = DISCONNECTED_GRACE_MS,
  alive = () => false,
  aliveGraceMs = DISCONNECTED_GRACE_ALIVE_MS,
) {
  let graceTimer = null;
  let since = 0;
  const check = () => {
    if (pc.connectionState !== "disconnected") return;
    const waited = performance.now() - since;
    if (alive() && waited < aliveGraceMs) {
      graceTimer = setTimeout(check, Math.min(graceMs, aliveGraceMs - waited));
      return;
    }
    onLost();
  };
  pc.addEventListener("connectionstatechange", () => {
    const state = pc.connectionState;
    clearTimeout(graceTimer);
    if (state === "failed") onLost();
    else if (state === "disconnected") {
      since = performance.now();
      graceTimer = setTimeout(check, graceMs);
    }
  });
}

/** When to try opening a session again: back-off over ``delaysMs`` (the last one repeats). */
export class Retry {
  /**
   * @param {number[]} delaysMs milliseconds before attempt 0, 1, 2 … (config.reconnect_delays_ms)
   * @param {() => void} run what a retry does (start a session)
   */
  constructor(delaysMs, run) {
    this.delaysMs = delaysMs;
    this.run = run;
    this.attempt = 0;
    this.timer = null;
  }

  delay(attempt) {
    return this.delaysMs[Math.min(attempt, this.delaysMs.length - 1)];
  }

  /** A session was lost: count from the first delay again. */
  restart() {
    this.attempt = 0;
    this.after(this.delay(0));
  }

  /** A start failed: the next, longer delay. */
  next() {
    this.attempt += 1;
    this.after(this.delay(this.attempt));
  }

  /** Retry after ``ms`` milliseconds (replacing a retry already due). */
  after(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(this.run, ms);
  }

  /** Connected: the next loss starts from the first delay. */
  reset() {
    this.attempt = 0;
  }

  cancel() {
    clearTimeout(this.timer);
  }
}
