"""Lip sync as a visitor's browser plays it: the avatar's mouth against its voice in headless
Chromium on the real visitor page, in ms; + = the mouth moves after its sound.

Usage: ``python benchmarks/lip_sync_browser.py [--url http://127.0.0.1:8981/] [--turns 2]
[--langs en,zh]``

Without ``--url`` it starts ``dhe serve --port 0`` itself. Per session it opens the visitor page
(``?lang=en`` or ``?lang=zh``) in Debian's Chromium (Playwright, the e2e suite's switches, no
microphone), presses Start, types a question and records, until the avatar is idle again, what
the page plays, all on the page's clock (``performance.now()``):

- **picture**: every frame the ``<video>`` element presents
  (``HTMLVideoElement.requestVideoFrameCallback``): its ``expectedDisplayTime`` (when the
  compositor puts it on screen) and the mouth's opening in it, the dark pixels of
  ``benchmarks/lip_sync.py``'s mouth box counted on the frame drawn to a canvas in the callback;
- **sound**: the remote audio track as Chrome's WebRTC stack hands it out after its jitter
  buffer and its audio/video sync (the same stream the element plays), tapped by an
  ``AudioWorklet`` in a 48 kHz ``AudioContext``: each 128-sample render quantum's mean square
  and its ``currentTime``, mapped to the page's clock by ``AudioContext.getOutputTimestamp()``
  (the context time of the sample leaving the output now, and when), so the time is when that
  quantum is played.

The offset is :func:`played_offset` (``benchmarks/av_offset.py``): the held mouth opening and
the sound's RMS envelope on a 10 ms grid, Pearson-correlated at lags of -200..+200 ms, the peak
refined by a parabola. Resolution: video times are display times, on the compositor's 60 Hz
vsync (16.7 ms steps, unbiased since the mouth is held until the next frame); audio times are
render quanta (2.7 ms) on a clock mapping whose spread the run prints;
``tests/unit/test_lip_sync_browser.py`` recovers known shifts (-35..+80 ms) of synthetic tracks
placed that way within 3 ms (0-1.8 ms off over five seeds each). Not seen: the element's own
audio output may leave a little before the Web Audio tap's copy (its FIFO), which would make the
printed offset that much more negative than what is heard. ITU-R BT.1359 puts the threshold of
detectability at sound 45 ms before the picture and 125 ms after it. One line per reply, then
the median per language, e.g. (under load)::

    en turn 2: played +42 ms (corr 0.46) | 13.2 s, 268 frames shown | Chrome holds audio 176 ms,
      video 181 ms (jitter buffers; video target 260 ms at the end) | output latency 32 ms,
      clock spread 0.2 ms

"Chrome holds" is each receiver's mean jitter-buffer delay over the reply (``getStats``:
``jitterBufferDelay / jitterBufferEmittedCount``); a correlation under ~0.4 means the video
barely moved (frames dropped under load): read that line as noise. ``--unsynced`` strips the
stream id from the server's answer, so Chrome syncs nothing; ``--video-target-ms N`` pins the
video's hold at N ms instead of the page's measured one (both diagnoses); ``--keep DIR``
writes each reply's recording as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from av_offset import Offset, played_offset  # noqa: E402
from lip_sync import DARK_LUMA, MOUTH_BOX  # noqa: E402
from lip_sync_client import reached_server, session_args  # noqa: E402

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, KEEP_PCS_JS  # noqa: E402

QUESTIONS = {"en": "When are you open?", "zh": "你们几点开门？"}

#: ``window.__inbound()``: kind → the receivers' inbound-rtp stats (over ``KEEP_PCS_JS``'s).
INBOUND_JS = """window.__inbound = async () => {
  const out = {};
  for (const pc of window.__pcs) {
    for (const s of (await pc.getStats()).values()) if (s.type === 'inbound-rtp') out[s.kind] = s;
  }
  return out;
};"""

#: ``--unsynced``: the server's answer without its stream id (``a=msid:- <track>``), so Chrome
#: puts the audio and the video in no common sync group and plays each on its own delay.
UNSYNCED_JS = """(() => {
  const native = RTCPeerConnection.prototype.setRemoteDescription;
  RTCPeerConnection.prototype.setRemoteDescription = function (desc, ...rest) {
    if (desc && desc.sdp) {
      desc = {type: desc.type, sdp: desc.sdp.replace(/^a=msid:\\S+ /gm, 'a=msid:- ')};
    }
    return native.call(this, desc, ...rest);
  };
})();"""

#: The recorder (module docstring): frames and audio quanta into ``window.__played``.
RECORD_JS = """async ([box, dark]) => {
  const video = document.getElementById('avatar');
  const rec = window.__played = {frames: [], quanta: [], clock: [], stopped: false};
  const canvas = document.createElement('canvas');
  const g = canvas.getContext('2d', {willReadFrequently: true});
  const onFrame = (_now, meta) => {
    if (rec.stopped) return;
    const w = video.videoWidth, h = video.videoHeight;
    if (w && h) {
      if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
      g.drawImage(video, 0, 0, w, h);
      const y0 = Math.floor(h * box[0]), y1 = Math.floor(h * box[1]);
      const x0 = Math.floor(w * box[2]), x1 = Math.floor(w * box[3]);
      const px = g.getImageData(x0, y0, x1 - x0, y1 - y0).data;
      let dark_px = 0;
      for (let i = 0; i < px.length; i += 4) if ((px[i] + px[i + 1] + px[i + 2]) / 3 < dark) dark_px++;
      rec.frames.push([meta.expectedDisplayTime, meta.presentedFrames, dark_px]);
    }
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  const track = video.srcObject.getAudioTracks()[0];
  const ctx = rec.ctx = new AudioContext({sampleRate: 48000});
  const code = `registerProcessor('tap', class extends AudioWorkletProcessor {
    process(inputs) {
      const chans = inputs[0];
      if (chans.length) {
        let sum = 0;
        for (const a of chans) for (let i = 0; i < a.length; i++) sum += a[i] * a[i];
        this.port.postMessage([currentTime, sum / (chans.length * chans[0].length)]);
      }
      return true;
    }
  });`;
  await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([code], {type: 'text/javascript'})));
  const tap = new AudioWorkletNode(ctx, 'tap');
  const mute = new GainNode(ctx, {gain: 0});
  tap.port.onmessage = (e) => { if (!rec.stopped) rec.quanta.push(e.data); };
  ctx.createMediaStreamSource(new MediaStream([track])).connect(tap).connect(mute).connect(ctx.destination);
  await ctx.resume();
  rec.stats = await window.__inbound();
  rec.timer = setInterval(() => {
    const t = ctx.getOutputTimestamp();
    if (t.contextTime > 0) rec.clock.push([t.contextTime, t.performanceTime]);
  }, 100);
}"""

#: Stops the recorder; returns what it kept and the receivers' jitter-buffer delays.
COLLECT_JS = """async () => {
  const rec = window.__played;
  rec.stopped = true;
  clearInterval(rec.timer);
  const held = {}, stats = await window.__inbound();
  for (const kind of ['audio', 'video']) {
    const [a, b] = [rec.stats[kind] || {}, stats[kind] || {}];
    const n = (b.jitterBufferEmittedCount || 0) - (a.jitterBufferEmittedCount || 0);
    if (n > 0) {
      held[kind] = 1000 * ((b.jitterBufferDelay || 0) - (a.jitterBufferDelay || 0)) / n;
      held[kind + '_min'] = 1000 * ((b.jitterBufferMinimumDelay || 0) - (a.jitterBufferMinimumDelay || 0)) / n;
      held[kind + '_target'] = 1000 * ((b.jitterBufferTargetDelay || 0) - (a.jitterBufferTargetDelay || 0)) / n;
    }
  }
  const sdp = window.__pcs.map((pc) => pc.remoteDescription && pc.remoteDescription.sdp);
  const targets = window.__pcs.flatMap((pc) => pc.getReceivers())
    .filter((r) => r.track.kind === 'video').map((r) => r.jitterBufferTarget);
  const page = {...document.getElementById('avatar').dataset};
  const out = {frames: rec.frames, quanta: rec.quanta, clock: rec.clock, held, stats, sdp, targets, page,
               outputLatency: rec.ctx.outputLatency, baseLatency: rec.ctx.baseLatency};
  await rec.ctx.close();
  return out;
}"""


def offset_of(played: dict[str, Any]) -> tuple[Offset, dict[str, float]]:
    """The offset of one recorded reply and what the line prints beside it.

    ``played`` is ``COLLECT_JS``'s record: ``frames`` rows of (display time ms, presented
    count, dark mouth pixels), ``quanta`` rows of (context time s, mean square), ``clock`` rows
    of (context time s, page time ms), ``targets`` the video receivers' ``jitterBufferTarget``
    (ms, null where unset).

    Raises:
        ValueError: no output timestamp, no reply audio, or too few frames shown (none at all
            included: a reply under heavy load) to measure.
    """
    frames = np.asarray(played["frames"], np.float64).reshape(-1, 3)
    quanta = np.asarray(played["quanta"], np.float64).reshape(-1, 2)
    clock = np.asarray(played["clock"], np.float64)
    if clock.size == 0:
        raise ValueError("the AudioContext gave no output timestamp")
    icpt = clock[:, 1] / 1000.0 - clock[:, 0]  # page clock (s) minus context time (s)
    shown_s = frames[:, 0] / 1000.0
    quanta_s = quanta[:, 0] + float(np.median(icpt))
    got = played_offset(shown_s, frames[:, 2], quanta_s, quanta[:, 1])
    loud = quanta[:, 1] > 1e-6
    facts = {
        "reply_s": float(np.ptp(quanta_s[loud])) if loud.any() else 0.0,
        "frames": float(frames.shape[0]),
        "clock_spread_ms": float(np.ptp(icpt) * 1000.0),
        "audio_held_ms": float(played["held"].get("audio", np.nan)),
        "video_held_ms": float(played["held"].get("video", np.nan)),
        "output_latency_ms": float(played["outputLatency"]) * 1000.0,
        "video_target_ms": last_target_ms(played.get("targets") or []),
    }
    return got, facts


def last_target_ms(targets: list[float | None]) -> float:
    """The last video receiver's ``jitterBufferTarget`` (ms), NaN where none was set. A target
    of 0 ms (the page's ``HOLD_MIN_MS``: the picture left to Chrome) is a value, not a gap."""
    return float("nan") if not targets or targets[-1] is None else float(targets[-1])


def line(name: str, got: Offset, f: dict[str, float]) -> str:
    """One printed line per reply (see the module docstring)."""
    return (
        f"{name}: played {got.ms:+.0f} ms (corr {got.corr:.2f}) | {f['reply_s']:.1f} s, "
        f"{f['frames']:.0f} frames shown | Chrome holds audio {f['audio_held_ms']:.0f} ms, "
        f"video {f['video_held_ms']:.0f} ms (jitter buffers; video target "
        f"{f['video_target_ms']:.0f} ms at the end) | output latency "
        f"{f['output_latency_ms']:.0f} ms, clock spread {f['clock_spread_ms']:.1f} ms"
    )


#: ``--video-target-ms N``: the video receiver's ``jitterBufferTarget`` (ms) pinned at ``N``: set
#: when its track arrives and the page's own writes (``VideoHold`` in web_client/js/
#: avatar_video.js) ignored from then on, so a fixed hold can be measured beside the page's
#: measured one in the same run (W3C webrtc-extensions; a diagnosis).
VIDEO_TARGET_JS = """(target) => {
  const Keep = window.RTCPeerConnection;
  const own = Object.getOwnPropertyDescriptor(RTCRtpReceiver.prototype, 'jitterBufferTarget');
  window.RTCPeerConnection = function (...args) {
    const pc = new Keep(...args);
    pc.addEventListener('track', (e) => {
      if (e.track.kind !== 'video') return;
      own.set.call(e.receiver, target);
      Object.defineProperty(e.receiver, 'jitterBufferTarget', {
        get: () => own.get.call(e.receiver), set: () => {}, configurable: true,
      });
    }, {capture: true});
    return pc;
  };
  window.RTCPeerConnection.prototype = Keep.prototype;
}"""


async def one_reply(
    browser: Any, url: str, lang: str, unsynced: bool = False, video_target_ms: float | None = None
) -> dict[str, Any]:
    """One session in ``lang``: Start, the recorder, the typed question, until idle again
    (``unsynced``: :data:`UNSYNCED_JS` first)."""
    context = await browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="en-US", bypass_csp=True
    )
    try:
        page = await context.new_page()
        await page.add_init_script(KEEP_PCS_JS)
        await page.add_init_script(INBOUND_JS)
        if unsynced:
            await page.add_init_script(UNSYNCED_JS)
        if video_target_ms is not None:
            await page.add_init_script(f"({VIDEO_TARGET_JS})({video_target_ms});")
        await page.goto(f"{url.rstrip('/')}/?lang={lang}")
        await page.wait_for_selector("body[data-ready='true']", timeout=30_000)
        await page.click("#start")
        await page.wait_for_selector("#status[data-state='connected']", timeout=60_000)
        await page.wait_for_function(
            "() => { const v = document.getElementById('avatar');"
            " return v.srcObject && v.srcObject.getAudioTracks().length && v.currentTime > 1; }",
            timeout=60_000,
        )
        await page.evaluate(RECORD_JS, [list(MOUTH_BOX), DARK_LUMA])
        await asyncio.sleep(1.0)
        await page.fill("#text-input", QUESTIONS[lang])
        await page.press("#text-input", "Enter")
        speaking = "#avatar-state[data-state='speaking']"
        await page.wait_for_selector(speaking, state="attached", timeout=90_000)
        await page.wait_for_selector(
            "#avatar-state[data-state='idle']", state="attached", timeout=120_000
        )
        await asyncio.sleep(1.0)
        return await page.evaluate(COLLECT_JS)
    finally:
        await context.close()


async def main(argv: list[str] | None = None) -> int:
    """Start (or reach) a server and a browser, measure each language, print the lines."""
    from playwright.async_api import async_playwright

    ap = session_args(__doc__)
    ap.add_argument(
        "--unsynced", action="store_true", help="Chrome's audio/video sync off (a diagnosis)"
    )
    ap.add_argument(
        "--video-target-ms",
        type=float,
        help="the video receiver's jitterBufferTarget (a diagnosis)",
    )
    ap.add_argument("--keep", type=Path, help="write each reply's recording here as JSON")
    args = ap.parse_args(argv)
    with reached_server(args.url) as url:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            for lang in args.langs.split(","):
                ms = []
                for turn in range(args.turns):
                    played = await one_reply(
                        browser, url, lang, args.unsynced, args.video_target_ms
                    )
                    if args.keep is not None:
                        args.keep.mkdir(parents=True, exist_ok=True)
                        dump = args.keep / f"{lang}-{turn + 1}.json"
                        dump.write_text(json.dumps(played), encoding="utf-8")
                    try:
                        got, facts = offset_of(played)
                    except ValueError as exc:  # too few frames shown under heavy load
                        print(f"{lang} turn {turn + 1}: not measured: {exc}", flush=True)
                        continue
                    print(line(f"{lang} turn {turn + 1}", got, facts), flush=True)
                    ms.append(got.ms)
                if ms:
                    print(f"{lang} played: median {np.median(ms):+.0f} ms over {len(ms)} replies")
            await browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
