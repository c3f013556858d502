// The debug overlay (?debug=1): session id, state, received video rate and the per-turn latency
// report from the server's `metrics` events (milliseconds per stage, DESIGN.md stage names).

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
    this.timer = null;
    this.lastFrames = null;
    root.hidden = false;
    this.render();
  }

  setSession(id) {
    this.root.querySelector("#debug-session").textContent = id ? `session ${id}` : "no session";
    this.root.dataset.sessionId = id ?? "";
  }

  setState(state) {
    this.root.querySelector("#debug-state").textContent = state;
  }

  /** A ``{"type": "metrics", "turn_id", "timings_ms", "intent"?}`` event. */
  addMetrics(msg) {
    this.turns.push({ id: msg.turn_id, intent: msg.intent ?? null, timings: msg.timings_ms ?? {} });
    this.turns = this.turns.slice(-KEEP_TURNS);
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
      head.append(th);
    }
    const keys = [...STAGES];
    for (const turn of this.turns) {
      for (const key of Object.keys(turn.timings)) if (!keys.includes(key)) keys.push(key);
    }
    const rows = [["intent", (t) => t.intent ?? "—"], ...keys.map((k) => [k, (t) => fmt(t.timings[k])])];
    const body = rows.map(([name, get]) => {
      const tr = document.createElement("tr");
      tr.dataset.stage = name;
      tr.append(Object.assign(document.createElement("td"), { textContent: name }));
      for (const turn of this.turns) tr.append(Object.assign(document.createElement("td"), { textContent: get(turn) }));
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
