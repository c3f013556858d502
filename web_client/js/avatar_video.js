// The avatar's <video>: the server's audio and video tracks on one MediaStream, autoplay with
// sound where the browser allows it (muted, with an "unmute" button, where it does not), and a
// placeholder instead of a frozen last frame when a session ends.

/** How long the browser holds the avatar's video at least (ms; the video receiver's
 *  ``RTCRtpReceiver.jitterBufferTarget``). Left to Chrome, it holds the voice ~35-45 ms in its
 *  jitter buffer plus ~32 ms of output latency and the picture ~10 ms, so the mouth moved
 *  40-63 ms before its sound (quiet, headless Chromium, ``benchmarks/lip_sync_browser.py``,
 *  6 replies). Held 100 ms: -6...+23 ms (one frame is 40 ms); 150 ms: +48...+64 ms. Under
 *  heavy load Chrome already holds the picture ~125 ms, so 100 ms changes nothing there. */
export const VIDEO_HOLD_MS = 100;

export class AvatarVideo {
  /**
   * @param {HTMLVideoElement} video the #avatar element
   * @param {HTMLElement} unmuteButton shown while playback had to start muted
   */
  constructor(video, unmuteButton) {
    this.video = video;
    this.unmuteButton = unmuteButton;
    this.frame = video.closest(".video-frame");
    video.addEventListener("playing", () => this.frame.classList.add("has-video"));
    unmuteButton.addEventListener("click", () => this.unmute());
  }

  /** A fresh, empty stream before a session's tracks arrive. */
  prepare() {
    this.frame.classList.remove("has-video");
    this.video.srcObject = new MediaStream();
    this.video.muted = false;
  }

  /** A track of the session (``RTCTrackEvent.track``) joins the stream; playback starts. The
   *  video's receiver holds its frames VIDEO_HOLD_MS at least where the browser allows it.
   *  @param {MediaStreamTrack} track
   *  @param {RTCRtpReceiver} [receiver] the track's receiver (``RTCTrackEvent.receiver``) */
  addTrack(track, receiver) {
    if (track.kind === "video" && receiver && "jitterBufferTarget" in receiver) {
      receiver.jitterBufferTarget = VIDEO_HOLD_MS;
    }
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
    this.video.srcObject = null;
    this.frame.classList.remove("has-video");
  }
}
