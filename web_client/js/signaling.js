// WebRTC signaling with `dhe serve` (docs/architecture.md): no trickle ICE. The offer is
// POSTed once gathering is complete; the answer carries the server's candidates.

export class SignalingError extends Error {
  /** @param {number} status HTTP status (0: network failure) @param {string} code */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** A refused offer that retrying cannot fix (4xx except 429 "too many requests"). Network
 * failures (status 0), 429 and 5xx (503: warming up or full) are worth retrying soon. */
export function isConfigError(error) {
  return error?.status >= 400 && error.status < 500 && error.status !== 429;
}

/** Resolve when ICE gathering is complete (or after ``timeoutMs``: go with what we have). */
export function gatheringComplete(pc, timeoutMs = 4000) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === "complete") done();
    };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

async function errorOf(response) {
  try {
    const body = await response.json();
    if (body?.error?.code) {
      return new SignalingError(response.status, body.error.code, body.error.message ?? "");
    }
  } catch {
    /* not JSON: fall through */
  }
  return new SignalingError(response.status, `http-${response.status}`, response.statusText);
}

/**
 * Open a session: build the peer connection, POST the offer, apply the answer.
 *
 * @param {object} o
 * @param {MediaStreamTrack|null} o.micTrack the microphone, or null (text only)
 * @param {"sendrecv"|"recvonly"} o.video sendrecv: the camera may be attached later
 *   (``videoSender.replaceTrack``) without renegotiation; recvonly: avatar video only
 * @param {MediaStreamTrack|null} o.cameraTrack the camera when already consented
 * @param {string|null} o.domain, o.language offer fields (omitted when null)
 * @param {string|null} o.uiLanguage the page's language: the offer's "ui_language", the
 *   language of the AI mark in the video until the avatar answers (omitted when null)
 * @param {{width: number, height: number, shown_height?: number}|null} o.videoSize the avatar video size the page's
 *   layout needs (the offer's optional "video" field; omitted when null)
 * @param {RTCIceServer[]} o.iceServers
 * @param {(ev: RTCTrackEvent) => void} o.onTrack
 * @returns {Promise<{pc: RTCPeerConnection, sessionId: string, videoSender: RTCRtpSender|null}>}
 */
export async function openSession(o) {
  const pc = new RTCPeerConnection({ iceServers: o.iceServers ?? [] });
  pc.addEventListener("track", o.onTrack);
  try {
    if (o.micTrack) {
      pc.addTransceiver(o.micTrack, { direction: "sendrecv" });
    } else {
      pc.addTransceiver("audio", { direction: "sendrecv" });
    }
    let videoSender = null;
    if (o.video === "sendrecv") {
      const tx = pc.addTransceiver(o.cameraTrack ?? "video", { direction: "sendrecv" });
      videoSender = tx.sender;
    } else {
      pc.addTransceiver("video", { direction: "recvonly" });
    }
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringComplete(pc);
    const body = { sdp: pc.localDescription.sdp, type: "offer" };
    if (o.domain) body.domain = o.domain;
    if (o.language) body.language = o.language;
    if (o.uiLanguage) body.ui_language = o.uiLanguage;
    if (o.videoSize) body.video = o.videoSize;
    let response;
    try {
      response = await fetch("api/sessions", {
        method: "POST",
        headers: offerHeaders(),
        body: JSON.stringify(body),
      });
    } catch (error) {
      throw new SignalingError(0, "network", String(error?.message ?? error));
    }
    if (response.status !== 201) throw await errorOf(response);
    const answer = await response.json();
    await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
    return { pc, sessionId: answer.session_id, videoSender };
  } catch (error) {
    pc.close();
    throw error;
  }
}

/**
 * The offer's headers: JSON, and the kiosk token the page's `?token=` URL switch gives (a
 * server with `server.kiosk_token_env` set refuses offers without it).
 */
function offerHeaders() {
  const headers = { "Content-Type": "application/json" };
  const token = new URLSearchParams(location.search).get("token");
  if (token) headers["X-Kiosk-Token"] = token;
  return headers;
}

/**
 * The avatar video size for a video box of the given size: 9:16 (432×768) for a portrait box,
 * else square 512×512. The server frames the avatar for it (head at the top, face and
 * shoulders in view) and the box shows the whole picture (object-fit: contain), so a tall
 * box gets a taller avatar instead of a small square between empty bands. `shown_height` is
 * the height the box shows that picture at: the server draws the AI mark large enough to be
 * read there (a phone shows the 512² picture 146 px high, and the mark was 6 px: fixes19).
 *
 * @param {number} width, height the box in CSS pixels
 * @returns {{width: number, height: number, shown_height?: number}}
 */
export function videoSizeFor(width, height) {
  const portrait = width > 0 && height > 0 && width / height < 0.8;
  const size = portrait ? { width: 432, height: 768 } : { width: 512, height: 512 };
  if (width > 0 && height > 0) {
    const shown = Math.min(height, (width * size.height) / size.width);
    size.shown_height = Math.max(16, Math.min(4320, Math.round(shown)));
  }
  return size;
}

/** End a session on the server (best effort; 204, or 404 when it is already gone). */
export async function deleteSession(sessionId) {
  try {
    await fetch(`api/sessions/${encodeURIComponent(sessionId)}`, {
      method: "DELETE",
      keepalive: true,
    });
  } catch (error) {
    console.info("DELETE session failed:", error);
  }
}

/** The events WebSocket URL of a session, relative to the page. */
export function eventsUrl(sessionId) {
  const url = new URL(`api/sessions/${encodeURIComponent(sessionId)}/events`, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}
