// The avatar's <video>: the server's audio and video tracks on one MediaStream, autoplay with
// sound where the browser allows it (muted, with an "unmute" button, where it does not), and a
// placeholder instead of a frozen last frame when a session ends.

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

  /** A track of the session (``RTCTrackEvent.track``) joins the stream; playback starts. */
  addTrack(track) {
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
