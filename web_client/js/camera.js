// Camera consent: nothing of the camera reaches the server without the visitor's yes.
//
// Unless the camera is off (config) or declined, the offer carries a sendrecv video transceiver
// (the avatar comes back on it; recvonly otherwise); the camera track is put on its sender
// (replaceTrack, no renegotiation) only after the visitor accepted the notice and the page told
// the server {"type": "camera", "consent": true} — the server analyses nothing without both.
// "Camera on" turns it off again: consent false first, then the track is taken off and stopped.

import { getCamera } from "./media.js";

const $ = (id) => document.getElementById(id);

export class CameraConsent {
  /**
   * @param {"ask"|"on"|"off"} mode config.camera: "ask" shows the notice; "on" is pre-accepted
   *   (demos); "off" never offers the camera
   * @param {{send: (msg: object) => boolean, notice: Function,
   *          sender: () => RTCRtpSender|null|undefined, hasSession: () => boolean,
   *          focusText: () => void}} o sender: the session's video sender, if any
   */
  constructor(mode, o) {
    this.mode = mode;
    this.o = o;
    this.track = null; // MediaStreamTrack
    this.reset();
    $("consent-accept").addEventListener("click", () => this.accept());
    $("camera-allow").addEventListener("click", () => this.accept());
    $("consent-decline").addEventListener("click", () => this.decline());
    const cameraOn = $("camera-on");
    cameraOn.setAttribute("role", "button");
    cameraOn.tabIndex = 0;
    cameraOn.dataset.i18nAriaLabel = "camera.turn_off";
    cameraOn.addEventListener("click", () => this.stop());
    cameraOn.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        this.stop();
      }
    });
  }

  /** The next visitor has not been asked yet. */
  reset() {
    this.consent = this.mode === "on" ? "accepted" : "unknown"; // unknown|accepted|declined
  }

  /** The offer's video direction: "sendrecv" while the camera may still be attached. */
  get videoMode() {
    return this.mode === "off" || this.consent === "declined" ? "recvonly" : "sendrecv";
  }

  /** The camera track the offer carries (only with consent). */
  get offered() {
    return this.consent === "accepted" ? this.track : null;
  }

  /** Before an offer: reopen the camera a consenting visitor had (it ended with the last call). */
  async reopen() {
    if (this.consent === "accepted" && (!this.track || this.track.readyState === "ended")) {
      await this.open({ quiet: this.mode === "on" });
    }
  }

  /** The events socket is open: repeat a consent given, or ask. */
  connected() {
    if (this.consent === "accepted" && this.track) this.o.send({ type: "camera", consent: true });
    if (this.mode === "ask" && this.consent === "unknown") $("consent").hidden = false;
  }

  /** A camera notice still unanswered folds into the small "Allow camera" button. */
  fold() {
    if ($("consent").hidden) return;
    $("consent").hidden = true;
    $("camera-allow").hidden = false;
  }

  /** The session is gone: no question left on screen. */
  hideQuestion() {
    $("consent").hidden = true;
    $("camera-allow").hidden = true;
  }

  async open({ quiet = false } = {}) {
    const { track, reason } = await getCamera();
    if (!track) {
      this.track = null;
      this.consent = "declined";
      this.o.notice(`notice.camera_${reason === "denied" ? "denied" : "unavailable"}`, {}, { kind: "warn" });
      return false;
    }
    this.track = track;
    $("camera-on").hidden = false;
    if (!quiet) this.o.notice("notice.camera_on", {}, { ms: 5000 });
    return true;
  }

  async accept() {
    this.hideQuestion();
    this.consent = "accepted";
    if (await this.open()) {
      // consent first, then the track: the server analyses nothing without both
      this.o.send({ type: "camera", consent: true });
      await this.o.sender()?.replaceTrack(this.track);
    }
    this.o.focusText();
  }

  decline() {
    this.hideQuestion();
    this.consent = "declined";
    this.o.send({ type: "camera", consent: false });
    this.o.focusText();
  }

  /** The visitor turns the camera off: analysis stops at once, the track leaves the call. */
  async stop() {
    this.o.send({ type: "camera", consent: false });
    this.consent = "declined";
    await this.o.sender()?.replaceTrack(null);
    this.release();
    $("camera-allow").hidden = !this.o.hasSession();
    this.o.notice("notice.camera_off", {}, { ms: 5000 });
  }

  /** Stop the camera (the session is over or the visitor turned it off). */
  release() {
    this.track?.stop();
    this.track = null;
    $("camera-on").hidden = true;
  }
}
