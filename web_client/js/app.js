// The visitor page: start / attract screen, one realtime session at a time with `dhe serve`
// (WebRTC media + the events WebSocket), captions, cards, text box, keypad, language switch,
// camera consent, reconnect. No business logic here: the server's dialog decides everything.
//
// URL switches: ?kiosk=1 (start on load, back to the attract screen when a session ends, a
// fresh session when the visitor walks away), ?debug=1 (latency and perception overlay),
// ?lang=en|zh, ?domain=bank|tax, ?camera=ask|on|off.
//
// Camera: unless the camera is off (config) or declined, the offer carries a sendrecv video
// transceiver (the avatar comes back on it; recvonly otherwise); the camera track is put on its
// sender (replaceTrack, no renegotiation) only after the visitor
// accepted the notice and the page told the server {"type": "camera", "consent": true} — the
// server analyses nothing without both. "Camera on" turns it off again: consent false first,
// then the track is taken off and stopped.
// Deployment switches live in config.json beside this page.

import { Captions, maskNumbers } from "./captions.js";
import { renderCard } from "./cards.js";
import { DebugOverlay } from "./debug.js";
import { I18n, LANGUAGES } from "./i18n.js";
import { Keypad } from "./keypad.js";
import { flushPlayout, getCamera, getMicrophone } from "./media.js";
import { deleteSession, eventsUrl, openSession, videoSizeFor } from "./signaling.js";

const DEFAULTS = {
  domain: "bank",
  ui_language: "en",
  session_language: "auto",
  camera: "ask", // "ask": on-screen consent; "on": pre-accepted (demos); "off": never
  ice_servers: [],
  reconnect_delays_ms: [500, 1000, 2000, 4000, 8000, 15000],
  // a refused offer (a 4xx other than 429) is a setup mistake (a misspelt ?domain, a wrong
  // ?token): staff must fix it, so the page says so and only checks again this seldom
  config_retry_ms: 60000,
  notice_ms: 9000,
};
const MAX_TEXT_CHARS = 500; // server.max_text_chars
const DISCONNECTED_GRACE_MS = 4000;
// the notices a failed start shows, cleared when a session opens
const STARTUP_NOTICES = ["notice.start_failed", "notice.not_ready", "notice.busy", "notice.config_error"];

const $ = (id) => document.getElementById(id);

/** A refused offer that retrying cannot fix (4xx except 429 "too many requests"). Network
 * failures (status 0), 429 and 5xx (503: warming up or full) are worth retrying soon. */
function isConfigError(error) {
  return error?.status >= 400 && error.status < 500 && error.status !== 429;
}

async function loadConfig(params) {
  let config = { ...DEFAULTS };
  try {
    const response = await fetch("config.json", { cache: "no-cache" });
    if (response.ok) config = { ...config, ...(await response.json()) };
  } catch (error) {
    console.info("config.json not loaded, using defaults:", error);
  }
  if (params.get("domain")) config.domain = params.get("domain");
  if (LANGUAGES.includes(params.get("lang"))) config.ui_language = params.get("lang");
  if (["ask", "on", "off"].includes(params.get("camera"))) config.camera = params.get("camera");
  return config;
}

class VisitorPage {
  constructor(config, i18n, flags) {
    this.config = config;
    this.i18n = i18n;
    this.flags = flags;
    this.t = (key, vars) => i18n.t(key, vars);
    this.session = null; // {id, pc, socket, videoSender, generation, userClosing, over}
    this.generation = 0;
    this.phase = "attract"; // attract | connecting | live | reconnecting
    this.languageChosen = false;
    this.mic = null; // MediaStreamTrack
    this.camera = null; // MediaStreamTrack
    this.consent = config.camera === "on" ? "accepted" : "unknown"; // unknown|accepted|declined
    this.cards = []; // the current turn's cards (re-rendered on language switch)
    this.cardTurn = null;
    this.reconnectAttempt = 0;
    this.reconnectTimer = null;
    this.noticeTimer = null;
    this.everConnected = false; // "Reconnecting…" only once there was a connection to lose

    this.video = $("avatar");
    this.captions = new Captions($("caption-avatar"), $("caption-visitor"), i18n);
    this.keypad = new Keypad($("keypad"), {
      t: this.t,
      i18n,
      domain: this.config.domain,
      onSubmit: (digits) => this.sendKeypad(digits),
      onClose: (returnFocus) => returnFocus && $("keypad-open").focus(),
      // the keypad needs the room on a phone: a pending camera notice folds into its button
      onOpen: () => this.foldConsent(),
    });
    this.debug = flags.debug ? new DebugOverlay($("debug")) : null;
    this.bind();
  }

  // --- wiring -------------------------------------------------------------------------------

  bind() {
    $("start").addEventListener("click", () => this.start());
    $("text-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.sendTextFromBox();
    });
    $("keypad-open").addEventListener("click", () =>
      this.keypad.isOpen ? this.keypad.close(true) : this.keypad.open(null),
    );
    $("handoff").addEventListener("click", () => this.handoff());
    $("end-session").addEventListener("click", () => this.finish());
    $("consent-accept").addEventListener("click", () => this.acceptCamera());
    $("camera-allow").addEventListener("click", () => this.acceptCamera());
    $("consent-decline").addEventListener("click", () => this.declineCamera());
    const cameraOn = $("camera-on");
    cameraOn.setAttribute("role", "button");
    cameraOn.tabIndex = 0;
    cameraOn.dataset.i18nAriaLabel = "camera.turn_off";
    cameraOn.addEventListener("click", () => this.stopCamera());
    cameraOn.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        this.stopCamera();
      }
    });
    $("unmute").addEventListener("click", () => this.unmute());
    for (const button of document.querySelectorAll(".lang-btn")) {
      button.addEventListener("click", () => this.switchLanguage(button.dataset.lang));
    }
    this.video.addEventListener("playing", () => {
      this.video.closest(".video-frame").classList.add("has-video");
    });
    window.addEventListener("pagehide", () => {
      if (this.session) deleteSession(this.session.id);
    });
  }

  // --- UI helpers ---------------------------------------------------------------------------

  setStatus(state) {
    const status = $("status");
    status.dataset.state = state;
    const text = $("status-text");
    text.dataset.i18n = `status.${state}`;
    text.textContent = this.t(`status.${state}`);
    document.body.dataset.phase = this.phase;
  }

  notice(key, vars = {}, { kind = "info", ms = this.config.notice_ms } = {}) {
    const box = $("notice");
    box.textContent = this.t(key, vars);
    box.dataset.key = key;
    box.dataset.vars = JSON.stringify(vars);
    box.dataset.kind = kind;
    box.hidden = false;
    clearTimeout(this.noticeTimer);
    if (ms) this.noticeTimer = setTimeout(() => (box.hidden = true), ms);
  }

  hideNotice(key = null) {
    const box = $("notice");
    if (key === null || box.dataset.key === key) box.hidden = true;
  }

  applyBrand() {
    const domain = this.config.domain;
    const pick = (base) => (this.i18n.has(`${base}_${domain}`) ? `${base}_${domain}` : base);
    const brandKey = this.i18n.has(`brand.${domain}`) ? `brand.${domain}` : "brand.default";
    $("brand-name").dataset.i18n = brandKey;
    document.querySelector(".attract-text").dataset.i18n = pick("attract.text");
    $("cards-empty").dataset.i18n = pick("cards.empty");
    // the footer names what this domain asks for (a card at the bank, a taxpayer ID at the tax
    // hall) and who texts the demo code
    $("footer-privacy").dataset.i18n = pick("footer.privacy");
    $("footer-privacy-short").dataset.i18n = pick("footer.privacy_short");
    $("demo-phone-text").dataset.i18n = pick("footer.demo_phone");
    document.title = `${this.t(brandKey)} · ${this.t("ai.label")}`;
  }

  async switchLanguage(lang, { tell = true } = {}) {
    if (!LANGUAGES.includes(lang)) return;
    await this.i18n.use(lang);
    this.applyBrand();
    this.i18n.apply();
    for (const button of document.querySelectorAll(".lang-btn")) {
      button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
    }
    this.captions.labels();
    this.captions.languageChanged(lang); // an answer in the other language leaves the screen
    if (this.keypad.isOpen) this.keypad.render();
    this.renderCards();
    this.setStatus($("status").dataset.state);
    this.showAvatarState($("avatar-state").dataset.state);
    const notice = $("notice");
    if (notice.dataset.key) {
      notice.textContent = this.t(notice.dataset.key, JSON.parse(notice.dataset.vars || "{}"));
    }
    if (!tell) return;
    this.languageChosen = true;
    this.send({ type: "language", language: lang });
  }

  showAttract(endedKey = null) {
    this.phase = "attract";
    const attract = $("attract");
    const ended = $("attract-ended");
    ended.hidden = !endedKey;
    // in the leaving visitor's language: no data-i18n, so a language reset keeps it
    ended.textContent = endedKey ? this.t(endedKey) : "";
    attract.hidden = false;
    $("stage").hidden = true;
    this.setStatus("idle");
    $("start").focus();
  }

  hideAttract() {
    $("attract").hidden = true;
    $("stage").hidden = false;
  }

  // --- session lifecycle ----------------------------------------------------------------------

  /** Start a session (from the start button, kiosk load, or a reconnect). */
  async start({ reconnect = false } = {}) {
    if (this.session && !this.session.over) return;
    clearTimeout(this.reconnectTimer);
    this.hideAttract();
    this.phase = reconnect && this.everConnected ? "reconnecting" : "connecting";
    if (!reconnect || $("status").dataset.state !== "starting") this.setStatus(this.phase);
    const generation = ++this.generation;
    this.prepareVideo();

    if (!this.mic || this.mic.readyState === "ended") {
      const { track, reason } = await getMicrophone();
      this.mic = track;
      $("mic-off").hidden = Boolean(track);
      if (!track) this.notice(`notice.mic_${reason}`, {}, { kind: "warn", ms: 12000 });
    }
    if (this.consent === "accepted" && (!this.camera || this.camera.readyState === "ended")) {
      await this.openCamera({ quiet: this.config.camera === "on" });
    }
    if (generation !== this.generation) return; // superseded (finish pressed meanwhile)

    const videoMode = this.config.camera === "off" || this.consent === "declined" ? "recvonly" : "sendrecv";
    let opened;
    try {
      opened = await openSession({
        micTrack: this.mic,
        video: videoMode,
        cameraTrack: this.consent === "accepted" ? this.camera : null,
        domain: this.config.domain,
        language: this.sessionLanguage(),
        uiLanguage: this.i18n.lang,
        videoSize: videoSizeFor(this.video.clientWidth, this.video.clientHeight),
        iceServers: this.config.ice_servers,
        onTrack: (ev) => this.onTrack(ev),
      });
    } catch (error) {
      if (generation !== this.generation) return;
      console.warn("session start failed:", error);
      if (isConfigError(error)) {
        this.configError(error);
        return;
      }
      const key =
        error.code === "not-ready"
          ? "notice.not_ready"
          : error.code === "too-many-sessions"
            ? "notice.busy"
            : reconnect && this.everConnected
              ? "notice.reconnecting"
              : "notice.start_failed";
      this.notice(key, {}, { kind: "warn", ms: 0 });
      this.scheduleReconnect(error.code === "not-ready" && !this.everConnected ? "starting" : null);
      return;
    }
    if (generation !== this.generation) {
      opened.pc.close();
      deleteSession(opened.sessionId);
      return;
    }
    const session = {
      id: opened.sessionId,
      pc: opened.pc,
      videoSender: opened.videoSender,
      socket: null,
      generation,
      userClosing: false,
      over: false,
    };
    this.session = session;
    this.watchPeer(session);
    this.openSocket(session);
    this.debug?.setSession(session.id);
    this.debug?.watch(session.pc);
    document.body.dataset.sessionId = session.id;
  }

  sessionLanguage() {
    if (this.languageChosen) return this.i18n.lang;
    const configured = this.config.session_language;
    return configured && configured !== "auto" ? configured : null;
  }

  openSocket(session) {
    const socket = new WebSocket(eventsUrl(session.id));
    session.socket = socket;
    socket.addEventListener("open", () => {
      if (session !== this.session) return;
      const wasReconnect = this.phase === "reconnecting";
      this.phase = "live";
      this.everConnected = true;
      this.reconnectAttempt = 0;
      this.setStatus("connected");
      if (wasReconnect) this.notice("notice.reconnected", {}, { ms: 8000 });
      else for (const key of STARTUP_NOTICES) this.hideNotice(key);
      if (this.languageChosen) this.send({ type: "language", language: this.i18n.lang });
      if (this.consent === "accepted" && this.camera) this.send({ type: "camera", consent: true });
      if (this.config.camera === "ask" && this.consent === "unknown") $("consent").hidden = false;
      if (!this.flags.kiosk && !this.keypad.isOpen) $("text-input").focus();
    });
    socket.addEventListener("message", (ev) => {
      if (session !== this.session) return;
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        console.warn("non-JSON event ignored", ev.data);
        return;
      }
      this.onEvent(session, msg);
    });
    socket.addEventListener("close", () => {
      if (session !== this.session || session.over) return;
      console.info("events socket closed without an end of session");
      this.sessionLost(session);
    });
  }

  watchPeer(session) {
    let graceTimer = null;
    session.pc.addEventListener("connectionstatechange", () => {
      if (session !== this.session || session.over) return;
      const state = session.pc.connectionState;
      clearTimeout(graceTimer);
      if (state === "failed") this.sessionLost(session);
      else if (state === "disconnected") {
        graceTimer = setTimeout(() => {
          if (session.pc.connectionState === "disconnected") this.sessionLost(session);
        }, DISCONNECTED_GRACE_MS);
      }
    });
  }

  onTrack(ev) {
    let stream = this.video.srcObject;
    if (!(stream instanceof MediaStream)) {
      stream = new MediaStream();
      this.video.srcObject = stream;
    }
    stream.addTrack(ev.track);
    this.play();
  }

  prepareVideo() {
    this.video.closest(".video-frame").classList.remove("has-video");
    this.video.srcObject = new MediaStream();
    this.video.muted = false;
  }

  play() {
    this.video.play().catch((error) => {
      // autoplay with sound needs a gesture (kiosk browsers usually allow it): play muted,
      // offer a button for the sound.
      console.info("autoplay with sound refused:", error?.name);
      this.video.muted = true;
      this.video.play().catch((muted) => console.warn("muted playback refused too:", muted?.name));
      $("unmute").hidden = false;
    });
  }

  unmute() {
    this.video.muted = false;
    this.video.play().catch((error) => console.warn("playback with sound refused:", error?.name));
    $("unmute").hidden = true;
  }

  /** Tear the session down locally (the server side is ended by DELETE or already over). */
  teardown(session, { wipe = true } = {}) {
    session.over = true;
    try {
      session.socket?.close();
    } catch {
      /* already closed */
    }
    session.pc.close();
    this.video.srcObject = null; // no frozen or black last frame: the placeholder shows
    this.video.closest(".video-frame").classList.remove("has-video");
    if (this.session === session) this.session = null;
    this.debug?.watch(null);
    this.debug?.setSession(null);
    delete document.body.dataset.sessionId;
    if (document.body.dataset.avatarState !== "ended") {
      // no "Speaking" over the blank video while the page reconnects or waits
      this.showAvatarState("ended");
      document.body.dataset.avatarState = "ended";
    }
    $("consent").hidden = true;
    $("camera-allow").hidden = true;
    if (wipe) {
      // the visitor's data leaves the screen with the session
      this.captions.clear();
      this.clearCards();
      this.keypad.close();
      $("text-input").value = "";
    }
  }

  /** The server dropped the session (or the network did): start a new one, say so. */
  sessionLost(session) {
    if (session.over) return;
    this.teardown(session);
    this.phase = "reconnecting";
    this.setStatus("reconnecting");
    this.notice("notice.reconnecting", {}, { kind: "warn", ms: 0 });
    this.reconnectAttempt = 0;
    this.reconnectTimer = setTimeout(() => this.start({ reconnect: true }), this.delay(0));
  }

  delay(attempt) {
    const delays = this.config.reconnect_delays_ms;
    return delays[Math.min(attempt, delays.length - 1)];
  }

  /** Try again after the next back-off delay; ``status`` overrides the chip ("starting": the
   * server is still warming up and this page never connected). */
  scheduleReconnect(status = null) {
    this.reconnectAttempt += 1;
    this.phase = this.everConnected ? "reconnecting" : "connecting";
    this.setStatus(status ?? this.phase);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(
      () => this.start({ reconnect: true }),
      this.delay(this.reconnectAttempt),
    );
  }

  /** The server refused the offer for a reason retrying cannot fix (a misspelt ?domain, a wrong
   * ?token): tell staff what the server said, in the page's language, and check again only
   * every ``config_retry_ms`` (the notice stays until a session opens). */
  configError(error) {
    this.phase = "connecting";
    this.setStatus("config_error");
    const vars = { status: error.status, code: error.code, message: error.message || error.code };
    this.notice("notice.config_error", vars, { kind: "error", ms: 0 });
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(
      () => this.start({ reconnect: true }),
      this.config.config_retry_ms,
    );
  }

  /** The session is over for good (visitor finished, idle timeout): clear and go back. */
  sessionOver(session, endedKey) {
    this.teardown(session);
    this.releaseDevices();
    this.everConnected = false; // the next visitor's session starts afresh
    this.consent = this.config.camera === "on" ? "accepted" : "unknown";
    this.showAttract(endedKey);
    if (this.flags.kiosk) {
      // the next visitor gets the default language again
      this.languageChosen = false;
      if (this.i18n.lang !== this.config.ui_language) {
        this.switchLanguage(this.config.ui_language, { tell: false });
      }
    }
  }

  releaseDevices() {
    this.mic?.stop();
    this.camera?.stop();
    this.mic = null;
    this.camera = null;
    $("camera-on").hidden = true;
    $("mic-off").hidden = true;
  }

  async finish() {
    clearTimeout(this.reconnectTimer);
    this.generation += 1; // cancels a start in progress
    const session = this.session;
    if (session) {
      session.userClosing = true;
      await deleteSession(session.id);
      if (!session.over) this.sessionOver(session, "attract.ended_user");
    } else {
      this.releaseDevices();
      this.showAttract("attract.ended_user");
    }
    this.hideNotice();
  }

  // --- events from the server ---------------------------------------------------------------

  onEvent(session, msg) {
    switch (msg.type) {
      case "state":
        this.onState(session, msg);
        break;
      case "transcript":
        if (msg.role === "visitor" || msg.role === undefined) {
          this.captions.visitor(msg.text ?? "", msg.final !== false, msg.language);
        }
        break;
      case "reply":
        this.onReply(msg);
        break;
      case "metrics":
        this.debug?.addMetrics(msg);
        break;
      case "error":
        this.onError(msg);
        break;
      case "presence":
      case "emotion":
      case "gesture":
        this.debug?.addSeen(msg); // what the camera saw: the overlay only
        break;
      default:
        console.info("unknown event", msg);
    }
  }

  /** The state badge over the video, in the page's language. */
  showAvatarState(state) {
    const badge = $("avatar-state");
    badge.dataset.state = state;
    badge.textContent = this.i18n.has(`avatar.state.${state}`) ? this.t(`avatar.state.${state}`) : "";
  }

  onState(session, msg) {
    const state = msg.state;
    this.showAvatarState(state);
    document.body.dataset.avatarState = state;
    this.debug?.setState(msg);
    if (state === "interrupted") {
      // barge-in: what the browser still holds of the cut reply must not play
      flushPlayout(this.video, session.pc);
      return;
    }
    if (state !== "ended") return;
    const reason = msg.reason ?? "";
    session.over = true;
    if (session.userClosing) this.sessionOver(session, "attract.ended_user");
    else if (reason === "idle-timeout") this.sessionOver(session, "attract.ended_idle");
    else if (reason === "visitor-left") {
      // the visitor walked away: their data is gone; a kiosk waits for the next one
      this.sessionOver(session, "attract.ended_left");
      if (this.flags.kiosk) this.start();
    } else {
      session.over = false;
      this.sessionLost(session);
    }
  }

  onReply(msg) {
    const turn = msg.turn_id ?? msg.reply_id;
    this.foldConsent(); // the visitor went ahead without answering
    this.captions.avatar(msg.text ?? "", msg.language, turn);
    // "Thinking…" ends with the answer on screen: the server's "speaking" state only comes with
    // the first audio, which Mandarin synthesis can take seconds to produce
    if ($("avatar-state").dataset.state === "thinking") this.showAvatarState("answered");
    this.debug?.noteReply(turn);
    if (turn !== this.cardTurn) {
      // cards stay until the next turn's reply
      this.clearCards();
      if (this.keypad.byCard) this.keypad.close();
      this.cardTurn = turn;
    }
    if (msg.card) {
      this.cards.push(msg.card);
      this.renderCards({ openInputs: true, only: msg.card });
    }
  }

  onError(msg) {
    if (msg.code === "idle-timeout") return; // the "ended" state follows
    if (msg.code === "text-too-long") this.notice("notice.text_too_long", {}, { kind: "warn" });
    else this.notice("notice.error", { message: msg.message ?? msg.code }, { kind: "warn" });
  }

  // --- cards ----------------------------------------------------------------------------------

  cardContext() {
    return {
      t: this.t,
      i18n: this.i18n,
      sendText: (text) => this.sendText(text),
      openKeypad: (digits) => this.keypad.open(digits, { byCard: true }),
      focusText: () => $("text-input").focus(),
    };
  }

  renderCards({ openInputs = false, only = null } = {}) {
    const box = $("cards");
    const ctx = this.cardContext();
    if (!openInputs) {
      ctx.openKeypad = () => {};
      ctx.focusText = () => {};
    }
    const list = only ? [only] : this.cards;
    if (!only) box.querySelectorAll(".card").forEach((n) => n.remove());
    for (const card of list) {
      const node = renderCard(card, ctx);
      if (node) box.append(node);
    }
    $("cards-empty").hidden = Boolean(box.querySelector(".card"));
  }

  clearCards() {
    this.cards = [];
    $("cards").querySelectorAll(".card").forEach((n) => n.remove());
    $("cards-empty").hidden = false;
  }

  // --- visitor input --------------------------------------------------------------------------

  send(message) {
    const socket = this.session?.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  sendTextFromBox() {
    const input = $("text-input");
    const text = input.value.trim();
    if (!text) return;
    if (text.length > MAX_TEXT_CHARS) {
      this.notice("notice.text_too_long", {}, { kind: "warn" });
      return;
    }
    if (this.sendText(text)) input.value = "";
  }

  sendText(text) {
    if (!this.send({ type: "text", text })) {
      this.notice("notice.not_connected", {}, { kind: "warn" });
      return false;
    }
    this.captions.visitor(maskNumbers(text), true); // spoken transcripts come masked
    return true;
  }

  sendKeypad(digits) {
    if (!this.send({ type: "keypad", digits })) {
      this.notice("notice.not_connected", {}, { kind: "warn" });
      return;
    }
    this.captions.visitor(this.t("caption.keypad", { dots: "•".repeat(digits.length) }), true);
  }

  handoff() {
    if (!this.send({ type: "handoff" })) {
      this.notice("notice.not_connected", {}, { kind: "warn" });
      return;
    }
    this.captions.visitor(this.t("caption.handoff"), true);
    this.notice("notice.handoff");
  }

  // --- camera consent -------------------------------------------------------------------------

  /** A camera notice still unanswered folds into the small "Allow camera" button. */
  foldConsent() {
    if ($("consent").hidden) return;
    $("consent").hidden = true;
    $("camera-allow").hidden = false;
  }

  async openCamera({ quiet = false } = {}) {
    const { track, reason } = await getCamera();
    if (!track) {
      this.camera = null;
      this.consent = "declined";
      this.notice(`notice.camera_${reason === "denied" ? "denied" : "unavailable"}`, {}, { kind: "warn" });
      return false;
    }
    this.camera = track;
    $("camera-on").hidden = false;
    if (!quiet) this.notice("notice.camera_on", {}, { ms: 5000 });
    return true;
  }

  async acceptCamera() {
    $("consent").hidden = true;
    $("camera-allow").hidden = true;
    this.consent = "accepted";
    if (await this.openCamera()) {
      // consent first, then the track: the server analyses nothing without both
      this.send({ type: "camera", consent: true });
      await this.session?.videoSender?.replaceTrack(this.camera);
    }
    $("text-input").focus();
  }

  declineCamera() {
    $("consent").hidden = true;
    $("camera-allow").hidden = true;
    this.consent = "declined";
    this.send({ type: "camera", consent: false });
    $("text-input").focus();
  }

  /** The visitor turns the camera off: analysis stops at once, the track leaves the call. */
  async stopCamera() {
    this.send({ type: "camera", consent: false });
    this.consent = "declined";
    await this.session?.videoSender?.replaceTrack(null);
    this.camera?.stop();
    this.camera = null;
    $("camera-on").hidden = true;
    $("camera-allow").hidden = !this.session;
    this.notice("notice.camera_off", {}, { ms: 5000 });
  }
}

/** Show the demo phone link when the server runs its embedded sandboxes (the page exists). */
async function offerDemoPhone() {
  try {
    const response = await fetch("demo/phone.json", { cache: "no-store" });
    $("demo-phone-link").hidden = !response.ok;
  } catch {
    /* no demo phone: the link stays hidden */
  }
}

async function main() {
  const params = new URLSearchParams(location.search);
  const flags = { kiosk: params.get("kiosk") === "1", debug: params.get("debug") === "1" };
  const config = await loadConfig(params);
  const i18n = new I18n("i18n/");
  await i18n.use(config.ui_language);
  const page = new VisitorPage(config, i18n, flags);
  await page.switchLanguage(config.ui_language, { tell: false });
  document.body.dataset.kiosk = String(flags.kiosk);
  page.showAttract();
  await offerDemoPhone();
  document.body.dataset.ready = "true";
  if (flags.kiosk) page.start();
}

main().catch((error) => {
  console.error(error);
  const box = document.getElementById("attract-ended");
  box.textContent = `The page could not start: ${error?.message ?? error}`;
  box.hidden = false;
});
