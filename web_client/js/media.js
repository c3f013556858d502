// The visitor's microphone and camera. Failures come back as a reason, never an exception, so
// the page keeps working (text box, keypad) without them.

/** Microphone constraints: the browser's echo canceller (the avatar speaks from the same
 *  device), noise suppression and automatic gain. */
export const MIC_CONSTRAINTS = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
  channelCount: 1,
};

export const CAMERA_CONSTRAINTS = {
  width: { ideal: 640 },
  height: { ideal: 480 },
  frameRate: { ideal: 15, max: 15 },
  facingMode: "user",
};

/** Map a getUserMedia failure to "denied" | "unavailable" | "insecure". */
export function failureReason(error) {
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) return "insecure";
  const name = error?.name ?? "";
  if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
    return "denied";
  }
  return "unavailable";
}

async function capture(kind, constraints) {
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
    return { track: null, reason: "insecure" };
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraints });
    const track = kind === "audio" ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
    if (!track) return { track: null, reason: "unavailable" };
    return { track, reason: null };
  } catch (error) {
    console.info(`getUserMedia(${kind}) failed:`, error?.name, error?.message);
    return { track: null, reason: failureReason(error) };
  }
}

/** @returns {Promise<{track: MediaStreamTrack|null, reason: string|null}>} */
export function getMicrophone() {
  return capture("audio", MIC_CONSTRAINTS);
}

/** @returns {Promise<{track: MediaStreamTrack|null, reason: string|null}>} */
export function getCamera() {
  return capture("video", CAMERA_CONSTRAINTS);
}

/** How long the browser holds received audio before playing it (seconds): the receiver's
 *  jitter buffer delay per emitted sample (RTCInboundRtpStreamStats), or null when unknown. */
export async function audioBufferSeconds(pc) {
  try {
    const stats = await pc.getStats();
    for (const s of stats.values()) {
      if (s.type === "inbound-rtp" && s.kind === "audio" && s.jitterBufferEmittedCount > 0) {
        return s.jitterBufferDelay / s.jitterBufferEmittedCount;
      }
    }
  } catch (error) {
    console.info("getStats failed:", error?.name);
  }
  return null;
}

/** Barge-in on the client side: the server has dropped what it had queued of the reply; what
 *  the browser already received (its jitter buffer, packets in flight) would still play. Turn
 *  the avatar's sound down at once and back up once that audio has drained, so the visitor
 *  hears the reply stop now. The element's `muted` state (the visitor's choice) is untouched.
 *  @param {HTMLMediaElement} element the element playing the avatar's audio
 *  @param {RTCPeerConnection|null} pc the session's connection (to read the buffer delay)
 *  @returns {Promise<void>} resolves when the sound is back */
export async function flushPlayout(element, pc) {
  const volume = element.volume > 0 ? element.volume : 1;
  element.volume = 0;
  const buffered = pc ? await audioBufferSeconds(pc) : null;
  // what is buffered plus packets still in flight; at least 150 ms, at most 800 ms
  const holdMs = Math.min(800, Math.max(150, 1000 * (buffered ?? 0.1) + 100));
  await new Promise((resolve) => setTimeout(resolve, holdMs));
  element.volume = volume;
}
