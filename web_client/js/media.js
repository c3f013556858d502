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
