// The visitor page: start / attract screen, one realtime session at a time with `dhe serve`
// (WebRTC media + the events WebSocket), captions, cards, text box, keypad, language switch,
// camera consent, reconnect. No business logic here: the server's dialog decides everything.
// main.js boots the page (URL switches, config, first language) and makes the VisitorPage.
//
// This module is the session's lifecycle (start, loss and reconnect, end) and the visitor's
// input; its parts: events.js (what the server's events do to the page), screen.js (status
// chip, notices, attract screen, brand), avatar_video.js (the avatar's <video>), camera.js
// (camera consent), connection.js (the events socket and the peer connection's state),
// input.js (text box, keypad digits, handoff), signaling.js (the offer), start_failure.js (what a
// failed start shows), cards.js, captions.js, keypad.js, debug.js, i18n.js, media.js.

import { AvatarVideo } from "./avatar_video.js";
import { CameraConsent } from "./camera.js";
import { Captions } from "./captions.js";
import { CardPanel } from "./cards.js";
import { openEvents, Retry, watchPeer } from "./connection.js";
import { DebugOverlay } from "./debug.js";
import { ServerEvents } from "./events.js";
import { LANGUAGES } from "./i18n.js";
import { VisitorInput } from "./input.js";
import { Keypad } from "./keypad.js";
import { getMicrophone } from "./media.js";
import { Screen } from "./screen.js";
import { deleteSession, eventsUrl, openSession, videoSizeFor } from "./signaling.js";
import { STARTUP_NOTICES, startFailure } from "./start_failure.js";

const $ = (id) => document.getElementById(id);
/** Kiosk: how long the attract screen stays in the leaving visitor's language, with their
 * "session has ended" note, before it goes back to the configured one (ms): time to read the
 * note's ~15 words (~200 words a minute, ~4.5 s) with margin. */
const KIOSK_LANGUAGE_RESET_MS = 8000;

export class VisitorPage {
  constructor(config, i18n, flags) {
    this.config = config;
    this.i18n = i18n;
    this.flags = flags;
    this.languageReset = null; // kiosk: the timer back to the configured language
    this.t = (key, vars) => i18n.t(key, vars);
    this.session = null; // {id, pc, socket, videoSender, generation, userClosing, over}
    this.generation = 0;
    this.phase = "attract"; // attract | connecting | live | reconnecting
    this.languageChosen = false;
    this.mic = null; // MediaStreamTrack
    this.retry = new Retry(config.reconnect_delays_ms, () => this.start({ reconnect: true }));
    this.everConnected = false; // "Reconnecting…" only once there was a connection to lose

    this.screen = new Screen(i18n, { noticeMs: config.notice_ms });
    this.video = new AvatarVideo($("avatar"), $("unmute"));
    this.camera = new CameraConsent(config.camera, {
      send: (message) => this.input.send(message),
      notice: (...args) => this.notice(...args),
      sender: () => this.session?.videoSender,
      hasSession: () => Boolean(this.session),
      focusText: () => $("text-input").focus(),
    });
    this.captions = new Captions($("caption-avatar"), $("caption-visitor"), i18n);
    this.input = new VisitorInput({
      socket: () => this.session?.socket,
      captions: this.captions,
      t: this.t,
      notice: (...args) => this.notice(...args),
      onSent: () => this.showLost(false),
    });
    this.keypad = new Keypad($("keypad"), {
      t: this.t,
      i18n,
      domain: this.config.domain,
      onSubmit: (digits) => this.input.sendKeypad(digits),
      onClose: (returnFocus) => returnFocus && $("keypad-open").focus(),
      // the keypad needs the room on a phone: a pending camera notice folds into its button
      onOpen: () => this.camera.fold(),
    });
    this.cards = new CardPanel($("cards"), $("cards-empty"), {
      t: this.t,
      i18n,
      sendText: (text) => this.input.sendText(text),
      openKeypad: (digits) => this.keypad.open(digits, { byCard: true }),
      focusText: () => $("text-input").focus(),
    });
    this.debug = flags.debug ? new DebugOverlay($("debug")) : null;
    this.events = new ServerEvents(this);
    this.bind();
  }

  bind() {
    $("start").addEventListener("click", () => this.start());
    $("keypad-open").addEventListener("click", () =>
      this.keypad.isOpen ? this.keypad.close(true) : this.keypad.open(null),
    );
    $("end-session").addEventListener("click", () => this.finish());
    $("lost-restart").addEventListener("click", () => this.restart());
    for (const button of document.querySelectorAll(".lang-btn")) {
      button.addEventListener("click", () => this.switchLanguage(button.dataset.lang));
    }
    window.addEventListener("pagehide", () => {
      if (this.session) deleteSession(this.session.id);
    });
  }

  // --- what the screen shows ------------------------------------------------------------------

  setStatus(state) {
    this.screen.setStatus(state, this.phase);
  }

  notice(key, vars = {}, options = {}) {
    this.screen.notice(key, vars, options);
  }

  async switchLanguage(lang, { tell = true } = {}) {
    if (!LANGUAGES.includes(lang)) return;
    await this.i18n.use(lang);
    this.screen.applyBrand(this.config.domain);
    this.i18n.apply();
    this.captions.labels();
    this.captions.languageChanged(lang); // an answer in the other language leaves the screen
    if (this.keypad.isOpen) this.keypad.render();
    this.cards.render();
    this.setStatus(this.screen.status);
    this.screen.relabel(lang);
    if (!tell) return;
    this.languageChosen = true;
    this.input.send({ type: "language", language: lang });
  }

  showAttract(endedKey = null) {
    this.phase = "attract";
    this.screen.showAttract(endedKey);
    this.setStatus("idle");
    $("start").focus();
  }

  // --- session lifecycle ----------------------------------------------------------------------

  /** Start a session (from the start button, kiosk load, or a reconnect). */
  async start({ reconnect = false } = {}) {
    if (this.session && !this.session.over) return;
    this.retry.cancel();
    if (this.languageReset) await this.resetLanguage(); // the next visitor, before the reset
    this.screen.hideAttract();
    this.phase = reconnect && this.everConnected ? "reconnecting" : "connecting";
    if (!reconnect || this.screen.status !== "starting") this.setStatus(this.phase);
    const generation = ++this.generation;
    this.video.prepare();

    await this.openMicrophone();
    await this.camera.reopen();
    if (generation !== this.generation) return; // superseded (finish pressed meanwhile)

    let opened;
    try {
      opened = await openSession({
        micTrack: this.mic,
        video: this.camera.videoMode,
        cameraTrack: this.camera.offered,
        domain: this.config.domain,
        language: this.sessionLanguage(),
        uiLanguage: this.i18n.lang,
        videoSize: videoSizeFor(this.video.video.clientWidth, this.video.video.clientHeight),
        iceServers: this.config.ice_servers,
        onTrack: (ev) => this.video.addTrack(ev.track, ev.receiver),
      });
    } catch (error) {
      if (generation === this.generation) this.startFailed(error, reconnect);
      return;
    }
    if (generation !== this.generation) {
      opened.pc.close();
      deleteSession(opened.sessionId);
      return;
    }
    this.adopt(opened, generation);
  }

  /** The microphone (again, when it ended with the last call); without it the page says why
   * and the visitor types. */
  async openMicrophone() {
    if (this.mic && this.mic.readyState !== "ended") return;
    const { track, reason } = await getMicrophone();
    this.mic = track;
    $("mic-off").hidden = Boolean(track);
    if (!track) this.notice(`notice.mic_${reason}`, {}, { kind: "warn", ms: 12000 });
  }

  /** The server answered the offer: the session is this page's; watch its two channels. */
  adopt(opened, generation) {
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
    const socketOpen = () => session.socket?.readyState === WebSocket.OPEN;
    watchPeer(
      session.pc,
      () => {
        if (session === this.session && !session.over) this.sessionLost(session);
      },
      undefined,
      socketOpen,
    );
    this.openSocket(session);
    this.debug?.setSession(session.id);
    this.debug?.watch(session.pc);
    document.body.dataset.sessionId = session.id;
  }

  /** The offer failed: say why, and try again (soon, or seldom after a setup mistake). */
  startFailed(error, reconnect) {
    console.warn("session start failed:", error);
    const failure = startFailure(error, { reconnect, everConnected: this.everConnected });
    if (failure.retry === "config") {
      this.configError(error, failure.key);
      return;
    }
    this.notice(failure.key, failure.vars, { kind: "warn", ms: 0 });
    this.scheduleReconnect(failure.status);
  }

  sessionLanguage() {
    if (this.languageChosen) return this.i18n.lang;
    const configured = this.config.session_language;
    return configured && configured !== "auto" ? configured : null;
  }

  openSocket(session) {
    session.socket = openEvents(eventsUrl(session.id), {
      onOpen: () => {
        if (session === this.session) this.connected();
      },
      onMessage: (msg) => {
        if (session === this.session) this.events.handle(session, msg);
      },
      onClose: () => {
        if (session !== this.session || session.over) return;
        console.info("events socket closed without an end of session");
        this.sessionLost(session);
      },
    });
  }

  /** The events socket is open: the session is live. */
  connected() {
    const wasReconnect = this.phase === "reconnecting";
    this.phase = "live";
    this.everConnected = true;
    this.retry.reset();
    this.setStatus("connected");
    if (wasReconnect) {
      // what happened stays on screen, with a way to start over, until the visitor goes on
      // (an 8 s notice left "Connected" over an empty screen: newcomer12)
      this.screen.hideNotice("notice.reconnecting");
      this.showLost(true);
    } else for (const key of STARTUP_NOTICES) this.screen.hideNotice(key);
    if (this.languageChosen) this.input.send({ type: "language", language: this.i18n.lang });
    this.watchShownHeight();
    this.camera.connected();
    if (!this.flags.kiosk && !this.keypad.isOpen) $("text-input").focus();
  }

  /**
   * Tell the server the height the avatar picture is shown at whenever it changes by 8 px or
   * more: the AI mark in the video is drawn large enough to be read there. The offer's
   * `shown_height` is the box before the session's notices and captions took their room; on a
   * phone the picture then shrank from 276 to 146 px, and the mark's letters to 4 px (fixes19).
   */
  watchShownHeight() {
    const video = this.video.video;
    this.shownObserver?.disconnect();
    if (this.shownReport) video.removeEventListener("loadedmetadata", this.shownReport);
    let last = 0;
    const report = () => {
      const box = video.getBoundingClientRect();
      const w = video.videoWidth || 512;
      const h = video.videoHeight || 512;
      if (box.width <= 0 || box.height <= 0) return;
      const shown = Math.max(16, Math.min(4320, Math.round(Math.min(box.height, (box.width * h) / w))));
      if (Math.abs(shown - last) < 8) return;
      if (this.input.send({ type: "video", shown_height: shown })) last = shown;
    };
    this.shownObserver = new ResizeObserver(report);
    this.shownObserver.observe(video);
    this.shownReport = report;
    video.addEventListener("loadedmetadata", report);
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
    this.video.clear();
    if (this.session === session) this.session = null;
    this.debug?.watch(null);
    this.debug?.setSession(null);
    delete document.body.dataset.sessionId;
    if (document.body.dataset.avatarState !== "ended") {
      // no "Speaking" over the blank video while the page reconnects or waits
      this.screen.showAvatarState("ended");
      document.body.dataset.avatarState = "ended";
    }
    this.camera.hideQuestion();
    if (wipe) {
      // the visitor's data leaves the screen with the session
      this.captions.clear();
      this.cards.clear();
      this.keypad.close();
      $("text-input").value = "";
    }
  }

  /** The server dropped the session (or the network did): start a new one, say so. */
  sessionLost(session) {
    if (session.over) return;
    this.teardown(session);
    // free its place on the server at once: a server too busy to notice the loss kept it
    // live for seconds and refused this page's new offers (too many sessions from this address)
    deleteSession(session.id);
    this.showLost(false); // "Reconnecting…" says it until the new session is open
    this.phase = "reconnecting";
    this.setStatus("reconnecting");
    this.notice("notice.reconnecting", {}, { kind: "warn", ms: 0 });
    this.retry.restart();
  }

  /** Try again after the next back-off delay; ``status`` overrides the chip ("starting": the
   * server is still warming up and this page never connected). */
  scheduleReconnect(status = null) {
    this.phase = this.everConnected ? "reconnecting" : "connecting";
    this.setStatus(status ?? this.phase);
    this.retry.next();
  }

  /** The server refused the offer for a reason retrying cannot fix (a misspelt ?domain, a wrong
   * ?token, a server whose start-up failed): tell staff what the server said, in the page's
   * language, and check again only every ``config_retry_ms`` (the notice stays until a session
   * opens). */
  configError(error, key = "notice.config_error") {
    this.phase = "connecting";
    this.setStatus("config_error");
    const vars = { status: error.status, code: error.code, message: error.message || error.code };
    this.notice(key, vars, { kind: "error", ms: 0 });
    this.retry.after(this.config.config_retry_ms);
  }

  /** The panel saying a lost session's conversation was closed, with "Start again" (shown
   * once the new session is open, hidden when the visitor goes on or the session ends). */
  showLost(show) {
    $("lost").hidden = !show;
  }

  /** "Start again" after a loss: end the new session and open a fresh one, as from the start
   * button (its greeting included). */
  async restart() {
    this.showLost(false);
    await this.finish();
    await this.start();
  }

  /** The session is over for good (visitor finished, idle timeout): clear and go back. */
  sessionOver(session, endedKey) {
    this.showLost(false);
    this.teardown(session);
    this.releaseDevices();
    this.everConnected = false; // the next visitor's session starts afresh
    this.camera.reset();
    this.showAttract(endedKey);
    if (this.flags.kiosk) {
      // the next visitor gets the default language again, but not under the leaving visitor's
      // goodbye: switched at once, the attract screen was half Chinese (greeting, Start,
      // header) and half English (the ended note) after an English visit on a ?lang=zh kiosk
      // (newcomer19). The screen stays whole in their language while the note shows, then
      // (KIOSK_LANGUAGE_RESET_MS, or at once on Start) goes back whole, the note hidden.
      this.languageChosen = false;
      if (this.i18n.lang !== this.config.ui_language) {
        clearTimeout(this.languageReset);
        this.languageReset = setTimeout(() => this.resetLanguage(), KIOSK_LANGUAGE_RESET_MS);
      }
    }
  }

  /** Kiosk: back to the configured language after a visit in another one, the leaving
   * visitor's ended note hidden with it (it was in their language). */
  async resetLanguage() {
    clearTimeout(this.languageReset);
    this.languageReset = null;
    if (this.i18n.lang === this.config.ui_language) return;
    $("attract-ended").hidden = true;
    await this.switchLanguage(this.config.ui_language, { tell: false });
  }

  releaseDevices() {
    this.mic?.stop();
    this.mic = null;
    this.camera.release();
    $("mic-off").hidden = true;
  }

  async finish() {
    this.retry.cancel();
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
    this.screen.hideNotice();
  }

}
