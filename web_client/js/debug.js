// The debug report (?debug=1, below the captions): session id, state, received video rate and
// one column per turn: its intent, whether it was interrupted (barge-in: onset → audio stopped,
// in ms; "typed" when the visitor sent a new turn over it), and the latency report from the
// server's `metrics` events (milliseconds per stage, engine stage names). A turn interrupted
// before its report gets a column too.

export const STAGES = [
  "vad",
  "endpoint",
  "asr",
  "dialog",
  "connector",
  "tts",
  "avatar",
  "send",
  "tts_first_audio_ms",
  "reply_first_audio_ms",
];
const KEEP_TURNS = 5;

function fmt(value) {
  return typeof value === "number" ? value.toFixed(value >= 100 ? 0 : 1) : "—";
}

export class DebugOverlay {
  /** @param {HTMLElement} root the #debug element */
  constructor(root) {
    this.root = root;
    this.turns = [];
    this.activeTurn = null; // the turn whose reply is under way (from reply events)
    this.timer = null;
    this.lastFrames = null;
    root.hidden = false;
    this.render();
  }

  setSession(id) {
    this.root.querySelector("#debug-session").textContent = id ? `session ${id}` : "no session";
    this.root.dataset.sessionId = id ?? "";
  }

  /** A ``{"type": "state", "state", "bargein_ms"?, "turn_id"?}`` event. */
  setState(msg) {
    this.root.querySelector("#debug-state").textContent = msg.state;
    if (msg.state === "interrupted") {
      const id = msg.turn_id ?? this.activeTurn ?? "?";
      this.turn(id).interrupted = typeof msg.bargein_ms === "number" ? msg.bargein_ms : "typed";
      this.render();
    }
    if (msg.state === "idle" || msg.state === "interrupted") this.activeTurn = null;
  }

  /** A reply of turn ``turnId`` started. */
  noteReply(turnId) {
    if (turnId) this.activeTurn = turnId;
  }

  /** The column of turn ``id`` (a new one at the end when there is none). */
  turn(id) {
    let turn = this.turns.find((t) => t.id === id);
    if (!turn) {
      turn = { id, intent: null, timings: {}, interrupted: null };
      this.turns.push(turn);
      this.turns = this.turns.slice(-KEEP_TURNS);
    }
    return turn;
  }

  /** A ``{"type": "metrics", "turn_id", "timings_ms", "intent"?}`` event. */
  addMetrics(msg) {
    const turn = this.turn(msg.turn_id);
    turn.intent = msg.intent ?? turn.intent;
    turn.timings = msg.timings_ms ?? {};
    this.render();
  }

  render() {
    const table = this.root.querySelector("#debug-table");
    const head = document.createElement("tr");
    head.append(Object.assign(document.createElement("th"), { textContent: "ms" }));
    for (const turn of this.turns) {
      const th = document.createElement("th");
      th.textContent = String(turn.id ?? "").replace(/^.*-(t\d+)$/, "$1");
      th.title = `${turn.id} ${turn.intent ?? ""}`;
      if (turn.interrupted !== null) th.className = "interrupted";
      head.append(th);
    }
    const keys = [...STAGES];
    for (const turn of this.turns) {
      for (const key of Object.keys(turn.timings)) if (!keys.includes(key)) keys.push(key);
    }
    const interrupted = (t) =>
      t.interrupted === null ? "—" : t.interrupted === "typed" ? "typed" : `${fmt(t.interrupted)}`;
    const rows = [
      ["intent", (t) => t.intent ?? "—"],
      ["interrupted", interrupted],
      ...keys.map((k) => [k, (t) => fmt(t.timings[k])]),
    ];
    const body = rows.map(([name, get]) => {
      const tr = document.createElement("tr");
      tr.dataset.stage = name;
      tr.append(Object.assign(document.createElement("td"), { textContent: name }));
      for (const turn of this.turns) {
        const td = Object.assign(document.createElement("td"), { textContent: get(turn) });
        if (name === "interrupted" && turn.interrupted !== null) td.className = "interrupted";
        tr.append(td);
      }
      return tr;
    });
    table.tHead.replaceChildren(head);
    table.tBodies[0].replaceChildren(...body);
  }

  /** Poll the inbound video rate of ``pc`` once a second (null stops). */
  watch(pc) {
    clearInterval(this.timer);
    this.lastFrames = null;
    const label = this.root.querySelector("#debug-video");
    if (!pc) {
      label.textContent = "video —";
      return;
    }
    this.timer = setInterval(async () => {
      if (pc.connectionState === "closed") return;
      const stats = await pc.getStats();
      for (const report of stats.values()) {
        if (report.type === "inbound-rtp" && report.kind === "video") {
          const fps = report.framesPerSecond ?? 0;
          label.textContent = `video ${report.frameWidth ?? "?"}×${report.frameHeight ?? "?"} ${fps.toFixed(0)} fps · ${report.framesDecoded ?? 0} frames`;
        }
      }
    }, 1000);
  }
}
