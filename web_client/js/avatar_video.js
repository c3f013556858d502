// The avatar's <video>: the server's audio and video tracks on one MediaStream, autoplay with
// sound where the browser allows it (muted, with an "unmute" button, where it does not), and a
// placeholder instead of a frozen last frame when a session ends.

/** The avatar's video hold before the first measurement (ms; the video receiver's
 *  ``RTCRtpReceiver.jitterBufferTarget``). Left to Chrome on a quiet machine, it holds the voice
 *  ~35-45 ms in its jitter buffer plus ~32 ms of output latency and the picture ~10 ms, so the
 *  mouth moved 40-63 ms before its sound (headless Chromium, ``benchmarks/lip_sync_browser.py``);
 *  held 100 ms: -6...+23 ms. From then on :class:`VideoHold` follows the measured delays. */
export const VIDEO_HOLD_MS = 100;

/** How often the hold is re-measured (ms). */
export const HOLD_CHECK_MS = 2000;

/** Bounds of the hold (ms): 0 leaves the picture to Chrome; 400 ms is past ITU-R BT.1359's
 *  +125 ms detectability threshold even for a voice held that long, so it stops a runaway. */
export const HOLD_MIN_MS = 0;
export const HOLD_MAX_MS = 400;

/** Weight of each new measurement in the held value (exponential smoothing): a jitter-buffer
 *  mean over 2 s moves by tens of ms under load; half-weight settles in ~3 checks (6 s). */
export const HOLD_SMOOTHING = 0.5;

/** The hold is rewritten only when it moves at least this much (ms): each write makes Chrome
 *  re-plan its video buffer. */
export const HOLD_STEP_MS = 5;

/** Added to the voice's delay (ms). Quiet, a fixed 100 ms hold against a voice held ~72 ms
 *  (jitter buffer + playout) put the mouth +16 ms after its sound, so the picture's path after
 *  its jitter buffer is ~12 ms shorter than the voice's after it and a hold equal to the voice's
 *  delay leaves the mouth ~12 ms early; 20 ms errs late, as a late mouth is noticed only far
 *  later than an early one (ITU-R BT.1359: -45 / +125 ms). */
export const PICTURE_MARGIN_MS = 20;

/** Mean of ``total`` per ``count`` between two cumulative stats (ms), or null when nothing was
 *  counted in between.
 *  @param {object|undefined} before @param {object|undefined} now
 *  @param {string} total seconds, cumulative @param {string} count cumulative */
function meanMs(before, now, total, count) {
  if (!before || !now) return null;
  const n = (now[count] || 0) - (before[count] || 0);
  if (n <= 0) return null;
  return (1000 * ((now[total] || 0) - (before[total] || 0))) / n;
}

/** ``{inbound, playout}``: a receiver's inbound-rtp stats and, for audio, its media-playout
 *  stats (W3C webrtc-stats ``RTCAudioPlayoutStats``), or undefined where absent.
 *  @param {RTCRtpReceiver} receiver */
async function receiverStats(receiver) {
  const out = {};
  for (const s of (await receiver.getStats()).values()) {
    if (s.type === "inbound-rtp") out.inbound = s;
    else if (s.type === "media-playout") out.playout = s;
  }
  return out;
}

/**
 * Holds the avatar's picture as long as the browser holds its voice, so the mouth moves with
 * its sound: every HOLD_CHECK_MS it reads both receivers' stats (W3C webrtc-stats) and sets
 * the video receiver's ``jitterBufferTarget`` (W3C webrtc-extensions) to
 *
 *   voice = audio jitterBufferDelay / jitterBufferEmittedCount
 *           + media-playout totalPlayoutDelay / totalSamplesCount   (over the last check)
 *   target = clamp(smoothed(voice) + PICTURE_MARGIN_MS, HOLD_MIN_MS, HOLD_MAX_MS)
 *
 * Chrome's own audio/video sync does not see the voice's output latency nor how long a loaded
 * machine keeps the audio in its jitter buffer, hence the mouth ran 40-60 ms early without this
 * (``benchmarks/lip_sync_browser.py``). The last figures are in ``this.last`` (ms); the video
 * element carries the held value as ``data-hold-ms`` and the smoothed voice delay as
 * ``data-voice-ms``, its playout part as ``data-playout-ms`` (read back by ``tests/e2e/test_lip_sync_hold.py`` and the benchmark).
 */
export class VideoHold {
  /** @param {HTMLVideoElement} video where ``data-hold-ms`` is written */
  constructor(video) {
    this.video = video;
    this.audio = null;
    this.picture = null;
    this.timer = null;
    this.previous = null;
    this.smoothed = null;
    this.last = null;
  }

  /** A receiver of the session: the video one is held VIDEO_HOLD_MS at once, checks start once
   *  both are known. @param {RTCRtpReceiver} receiver */
  add(receiver) {
    if (!("jitterBufferTarget" in receiver)) return; // browser without the control
    if (receiver.track.kind === "video") {
      this.picture = receiver;
      this.write(VIDEO_HOLD_MS);
    } else if (receiver.track.kind === "audio") {
      this.audio = receiver;
    }
    if (this.audio && this.picture && this.timer === null) {
      this.timer = setInterval(() => this.check().catch(() => {}), HOLD_CHECK_MS);
    }
  }

  /** Sets the video receiver's ``jitterBufferTarget`` and the element's ``data-hold-ms``.
   *  @param {number} ms the hold (ms), within HOLD_MIN_MS .. HOLD_MAX_MS */
  write(ms) {
    this.picture.jitterBufferTarget = ms;
    this.video.dataset.holdMs = String(ms);
  }

  /** One measurement; sets the hold when it moved HOLD_STEP_MS or more. */
  async check() {
    const [audio, picture] = [this.audio, this.picture];
    if (!audio || !picture) return;
    const now = { audio: await receiverStats(audio), video: await receiverStats(picture) };
    // the session ended (or the next one began) while the stats were awaited: these figures
    // are another session's cumulative counts and must not become the next one's start
    if (this.audio !== audio || this.picture !== picture) return;
    const before = this.previous;
    this.previous = now;
    if (!before) return;
    const held = meanMs(before.audio.inbound, now.audio.inbound, "jitterBufferDelay", "jitterBufferEmittedCount");
    if (held === null) return; // no voice packets since the last check
    const playout = meanMs(before.audio.playout, now.audio.playout, "totalPlayoutDelay", "totalSamplesCount") ?? 0;
    const pictureHeld = meanMs(before.video.inbound, now.video.inbound, "jitterBufferDelay", "jitterBufferEmittedCount");
    const voice = held + playout;
    this.smoothed = this.smoothed === null ? voice : this.smoothed + HOLD_SMOOTHING * (voice - this.smoothed);
    const target = Math.round(Math.min(HOLD_MAX_MS, Math.max(HOLD_MIN_MS, this.smoothed + PICTURE_MARGIN_MS)));
    this.last = { voice, audioHeld: held, playout, pictureHeld, target };
    this.video.dataset.voiceMs = String(Math.round(this.smoothed));
    this.video.dataset.playoutMs = String(Math.round(playout));
    if (Math.abs(target - picture.jitterBufferTarget) >= HOLD_STEP_MS) this.write(target);
  }

  /** The session ended: no more checks. */
  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.audio = this.picture = this.previous = this.smoothed = this.last = null;
    delete this.video.dataset.holdMs;
    delete this.video.dataset.voiceMs;
    delete this.video.dataset.playoutMs;
  }
}

export class AvatarVideo {
  /**
   * @param {HTMLVideoElement} video the #avatar element
   * @param {HTMLElement} unmuteButton shown while playback had to start muted
   */
  constructor(video, unmuteButton) {
    this.video = video;
    this.unmuteButton = unmuteButton;
    this.frame = video.closest(".video-frame");
    this.hold = new VideoHold(video);
    video.addEventListener("playing", () => this.frame.classList.add("has-video"));
    unmuteButton.addEventListener("click", () => this.unmute());
  }

  /** A fresh, empty stream before a session's tracks arrive. */
  prepare() {
    this.hold.stop();
    this.frame.classList.remove("has-video");
    this.video.srcObject = new MediaStream();
    this.video.muted = false;
  }

  /** A track of the session (``RTCTrackEvent.track``) joins the stream; playback starts. The
   *  video's receiver holds its frames as long as the voice's (:class:`VideoHold`) where the
   *  browser allows it.
   *  @param {MediaStreamTrack} track
   *  @param {RTCRtpReceiver} [receiver] the track's receiver (``RTCTrackEvent.receiver``) */
  addTrack(track, receiver) {
    if (receiver) this.hold.add(receiver);
    let stream = this.video.srcObject;
    if (!(stream instanceof MediaStream)) {
      stream = new MediaStream();
      this.video.srcObject = stream;
    }
    stream.addTrack(track);
    this.play();
  }

  play() {
    this.video.play().catch((error) => {
      // autoplay with sound needs a gesture (kiosk browsers usually allow it): play muted,
      // offer a button for the sound.
      console.info("autoplay with sound refused:", error?.name);
      this.video.muted = true;
      this.video.play().catch((muted) => console.warn("muted playback refused too:", muted?.name));
      this.unmuteButton.hidden = false;
    });
  }

  unmute() {
    this.video.muted = false;
    this.video.play().catch((error) => console.warn("playback with sound refused:", error?.name));
    this.unmuteButton.hidden = true;
  }

  /** The session ended: no frozen or black last frame, the placeholder shows. */
  clear() {
    this.hold.stop();
    this.video.srcObject = null;
    this.frame.classList.remove("has-video");
  }
}
