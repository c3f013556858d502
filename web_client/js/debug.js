// The debug report (?debug=1, below the captions): session id, state, received video rate and
// one column per turn: its intent, whether it was interrupted (barge-in: onset → audio stopped,
// in ms; "typed" when the visitor sent a new turn over it), and the latency report from the
// server's `metrics` events (milliseconds per stage, engine stage names). A turn interrupted
// before its replies went out gets its column too: the server sends its metrics marked
// `interrupted`, with the figures it had (the stages it finished). Below the table, what the camera sees (with consent):
// presence, the visitor's emotion and the last gestures, from the `presence`, `emotion` and
// `gesture` events.

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
const KEEP_GESTURES = 3;

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
    this.seen = { present: null, emotion: null, gestures: [] };
    this.seenLine = document.createElement("p");
    this.seenLine.className = "debug-seen";
    this.seenLine.id = "debug-seen";
    root.append(this.seenLine);
    root.hidden = false;
    this.render();
    this.renderSeen();
  }

  /** A ``presence``, ``emotion`` or ``gesture`` event: what the camera saw. */
  addSeen(msg) {
    if (msg.type === "presence") {
      this.seen.present = msg.present;
      if (!msg.present) this.seen.emotion = null;
    } else if (msg.type === "emotion") {
      this.seen.emotion = `${msg.emotion} ${fmt(msg.score)}`;
    } else if (msg.type === "gesture") {
      this.seen.gestures = [...this.seen.gestures, msg.name].slice(-KEEP_GESTURES);
    }
    this.renderSeen();
  }

  renderSeen() {
    const s = this.seen;
    const presence = s.present === null ? "—" : s.present ? "visitor" : "nobody";
    this.seenLine.textContent =
      `camera · ${presence} · emotion ${s.emotion ?? "—"} · gestures ${s.gestures.join(", ") || "—"}`;
    this.seenLine.dataset.present = String(s.present);
    this.seenLine.dataset.gestures = s.gestures.join(" ");
  }

  setSession(id) {
    this.root.querySelector("#debug-session").textContent = id ? `session ${id}` : "no session";
    this.root.dataset.sessionId = id ?? "";
    this.seen = { present: null, emotion: null, gestures: [] }; // never another visitor's
    this.renderSeen();
    // a new (or no) session starts with no turns: another session's timings would mislead
    this.turns = [];
    this.activeTurn = null;
    this.root.querySelector("#debug-state").textContent = "—";
    this.render();
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

  /**
   * A ``{"type": "metrics", "turn_id", "timings_ms", "intent"?, "interrupted"?}`` event;
   * ``interrupted``: the turn was cut before its replies went out, and the ``interrupted`` state
   * that follows it says how (barge-in ms, or typed).
   */
  addMetrics(msg) {
    const turn = this.turn(msg.turn_id);
    turn.intent = msg.intent ?? turn.intent;
    turn.timings = msg.timings_ms ?? {};
    if (msg.interrupted) {
      turn.interrupted ??= "cut";
      this.activeTurn = msg.turn_id; // the state event names no turn: it is this one
    }
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
    // barge-in ms, "typed", or "cut" until the state event says which
    const interrupted = (t) =>
      typeof t.interrupted === "number" ? fmt(t.interrupted) : (t.interrupted ?? "—");
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
