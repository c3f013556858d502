"""``dhe avatar preview``: the avatar alone, for brand teams and for checks.

Renders the configured (or a given) avatar speaking a text with the configured voice, or idling,
to an MP4 (H.264 + AAC at the config's frame rate, 25 fps by default; a silent audio track when
idling), or one still to a PNG (the emotion fully blended in, eyes open, gaze at the camera),
or with ``--sheet`` one PNG contact sheet of every viseme, emotion and gesture. The speech goes
through the same TTS providers, viseme tracks, timeline and renderer as a session.

Every argument is checked before anything is rendered: a bad model file, an unknown emotion or
gesture, a bad size or extension, an unwritable folder is one line and exit 2, and nothing is
written (files appear under their name only when complete).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from avatar import EMOTIONS, Avatar, AvatarTimeline, Renderer
from avatar.gestures import GESTURE_ALIASES, GESTURES, clip_for, peak_time
from avatar.label import CornerLabel
from avatar.pose import Pose
from avatar.visemes import OCULUS_VISEMES, VisemeCue, VisemeTrack
from engine.config import AvatarConfig, EngineConfig
from engine.mp4 import MP4Writer
from engine.outputs import UsageError, check_output
from engine.show import MEDIA_RATE_HZ, frame_sample, load_configured_avatar, resample_pcm
from engine.voices import Voices

LEAD_S, TAIL_S = 0.5, 1.0  # idle before the speech (and the gesture), and after it
DEFAULT_IDLE_S, MAX_SECONDS = 4.0, 120.0
MAX_TEXT_CHARS = 1000
SHEET_TILE_W = 200
_SIZE = re.compile(r"^(\d{1,9})x(\d{1,9})$")


@dataclass(frozen=True, slots=True)
class PreviewRequest:
    """A checked ``dhe avatar preview`` call.

    Attributes:
        model: the avatar file, or None for the configured one.
        emotion: one of :data:`avatar.EMOTIONS`.
        gesture: a gesture name (aliases resolved) or None.
        text: what to say (MP4 only) or None to idle.
        lang: ``en`` or ``zh``.
        width, height: frame size in pixels (even, 64–2048).
        seconds: video length (idle), or the least length with speech; None: default.
        sheet: write a contact sheet instead of a still.
        out: the ``.mp4`` or ``.png`` to write.
    """

    model: Path | None
    emotion: str
    gesture: str | None
    text: str | None
    lang: str
    width: int
    height: int
    seconds: float | None
    sheet: bool
    out: Path


def parse_size(value: str) -> tuple[int, int]:
    """``"432x768"`` → (432, 768).

    Raises:
        UsageError: not ``WxH`` with even numbers in 64–2048 (H.264 in yuv420p needs even).
    """
    match = _SIZE.match(value.strip().lower())
    if match is None:
        raise UsageError(f"--size {value}: expected WIDTHxHEIGHT, e.g. 512x512")
    w, h = int(match.group(1)), int(match.group(2))
    if not (64 <= w <= 2048 and 64 <= h <= 2048):
        raise UsageError(f"--size {value}: out of range: width and height must be in 64-2048")
    if w % 2 or h % 2:
        raise UsageError(f"--size {value}: width and height must be even numbers in 64-2048")
    return w, h


def check_request(
    *,
    model: str | None,
    emotion: str,
    gesture: str | None,
    text: str | None,
    lang: str,
    size: str,
    seconds: float | None,
    sheet: bool,
    out: str,
) -> PreviewRequest:
    """Validate the command line before anything is loaded or written.

    Raises:
        UsageError: the first problem found, as one line naming the argument.
    """
    if emotion not in EMOTIONS:
        raise UsageError(f"--emotion {emotion}: unknown (known: {', '.join(EMOTIONS)})")
    if gesture is not None:
        name = GESTURE_ALIASES.get(gesture, gesture)
        if name not in GESTURES:
            known = ", ".join(GESTURES)  # the six names; aliases (wave = greet) also work
            raise UsageError(f"--gesture {gesture}: unknown (known: {known})")
        gesture = name
    if lang not in ("en", "zh"):
        raise UsageError(f"--lang {lang}: expected en or zh")
    width, height = parse_size(size)
    if seconds is not None and not 0 < seconds <= MAX_SECONDS:
        raise UsageError(f"--seconds {seconds:g}: must be more than 0 and at most {MAX_SECONDS:g}")
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in (".mp4", ".png"):
        raise UsageError(f"--out {out}: the file must end in .mp4 or .png")
    if sheet and suffix != ".png":
        raise UsageError(f"--out {out}: --sheet writes a .png")
    if text is not None:
        if not text.strip() or len(text) > MAX_TEXT_CHARS:
            raise UsageError(f"--text: give 1-{MAX_TEXT_CHARS} characters")
        if suffix != ".mp4":
            raise UsageError("--text is spoken into a video: use --out FILE.mp4")
    model_path = Path(model) if model else None
    if model_path is not None and not model_path.is_file():
        raise UsageError(f"--model {model}: no such file")
    check_output(path)
    return PreviewRequest(
        model_path, emotion, gesture, text, lang, width, height, seconds, sheet, path
    )


def load_preview_avatar(req: PreviewRequest, config: AvatarConfig) -> Avatar:
    """The avatar to show: ``--model`` or the configured one (with its badge in ``--lang``).

    Raises:
        AvatarLoadError: the file is not a usable glTF 2.0 / VRM avatar.
    """
    if req.model is not None:
        config = config.model_copy(update={"model": str(req.model)})
    return load_configured_avatar(config, req.lang)


def still_pose(avatar: Avatar, emotion: str, gesture: str | None = None) -> Pose:
    """The emotion fully blended in, eyes open, gaze at the camera; a gesture at its peak."""
    timeline = AvatarTimeline(MEDIA_RATE_HZ, blink=False, idle=False, clips=avatar.clips)
    timeline.set_emotion(emotion, 0)
    at = MEDIA_RATE_HZ  # 1 s: every blend has finished
    if gesture is None:
        return timeline.pose_at(at)
    timeline.gesture(gesture, at)
    peak = peak_time(gesture)
    clip = clip_for(gesture, avatar.clips)
    if clip is not None:  # the same moment of the model's own (differently timed) clip
        peak *= avatar.clips[clip] / GESTURES[gesture]
    return timeline.pose_at(at + round(peak * MEDIA_RATE_HZ))


def viseme_pose(viseme: str, emotion: str = "neutral") -> Pose:
    """The mouth held on one Oculus viseme (through the timeline, as in speech)."""
    timeline = AvatarTimeline(MEDIA_RATE_HZ, blink=False, idle=False)
    timeline.set_emotion(emotion, 0)
    held = round(0.4 * MEDIA_RATE_HZ)
    timeline.add_speech(VisemeTrack(MEDIA_RATE_HZ, (VisemeCue(viseme, 0, held),)), MEDIA_RATE_HZ)
    pose = timeline.pose_at(MEDIA_RATE_HZ + held // 2)
    return replace(pose, pitch=0.0)  # the face alone, no speech nod


def _font(size: int):
    return ImageFont.load_default(size=size)


def contact_sheet(avatar: Avatar, width: int, height: int, title: str = "") -> Image.Image:
    """One PNG-ready image: every viseme, emotion and gesture of ``avatar`` at ``width×height``
    (tiles scaled to :data:`SHEET_TILE_W` pixels wide), each labelled.

    Raises:
        RendererError / EGLUnavailableError: no GL context.
    """
    rows: list[tuple[str, list[tuple[str, Pose]]]] = [
        ("visemes", [(v, viseme_pose(v)) for v in OCULUS_VISEMES]),
        ("emotions", [(e, still_pose(avatar, e)) for e in EMOTIONS]),
        ("gestures", [(g, still_pose(avatar, "neutral", g)) for g in GESTURES]),
    ]
    tile_w = SHEET_TILE_W
    tile_h = round(height * tile_w / width)
    cols = 8
    label_h, head_h = 22, 30
    lines = sum((len(items) + cols - 1) // cols for _, items in rows)
    sheet = Image.new(
        "RGB", (cols * tile_w, head_h * (1 + len(rows)) + lines * (tile_h + label_h)), "white"
    )
    draw = ImageDraw.Draw(sheet)
    draw.text((8, 6), title or f"{avatar.name} {width}x{height}", fill="black", font=_font(18))
    y = head_h
    with Renderer(avatar, width, height) as renderer:
        for heading, items in rows:
            draw.text((8, y + 6), heading, fill=(60, 60, 60), font=_font(16))
            y += head_h
            for k, (label, pose) in enumerate(items):
                col, row = k % cols, k // cols
                frame = Image.fromarray(renderer.render(pose)).resize((tile_w, tile_h))
                x0, y0 = col * tile_w, y + row * (tile_h + label_h)
                sheet.paste(frame, (x0, y0))
                draw.text((x0 + 6, y0 + tile_h + 3), label, fill="black", font=_font(14))
            y += ((len(items) + cols - 1) // cols) * (tile_h + label_h)
    return sheet


def save_png(image: Image.Image, out: Path) -> Path:
    """Write ``image`` to ``out`` through a ``.partial`` file (nothing half-written)."""
    partial = out.with_name(out.name + ".partial")
    try:
        image.save(partial, format="PNG")
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return out


async def _speech(req: PreviewRequest, config: EngineConfig, timeline: AvatarTimeline):
    """Synthesize ``req.text``; place its visemes on the timeline from :data:`LEAD_S`.

    Returns:
        int16 (n,) 48 kHz PCM of the whole clip's audio so far (lead-in silence + speech).
    """
    tts = await asyncio.to_thread(Voices(config.tts).for_language, req.lang)
    clock = round(LEAD_S * MEDIA_RATE_HZ)
    audio = [np.zeros(clock, np.int16)]
    async for chunk in tts.synthesize(req.text or "", req.lang):
        pcm = resample_pcm(chunk.pcm, chunk.sample_rate)
        timeline.add_speech(chunk.visemes, clock, np.frombuffer(chunk.pcm, np.int16))
        audio.append(pcm)
        clock += pcm.size
    return np.concatenate(audio)


def render_video(req: PreviewRequest, avatar: Avatar, config: EngineConfig) -> Path:
    """Speak or idle into ``req.out`` (MP4).

    Raises:
        TTSError: the voice failed; renderer errors.
    """
    fps = config.avatar.fps
    timeline = AvatarTimeline(MEDIA_RATE_HZ, clips=avatar.clips)
    timeline.set_emotion(req.emotion, 0)
    if req.gesture:
        timeline.gesture(req.gesture, round(LEAD_S * MEDIA_RATE_HZ))
    speech = np.zeros(0, np.int16)
    if req.text:
        speech = asyncio.run(_speech(req, config, timeline))
    seconds = req.seconds if req.seconds is not None else DEFAULT_IDLE_S
    if req.text:
        seconds = max(req.seconds or 0.0, speech.size / MEDIA_RATE_HZ + TAIL_S)
    per_frame = MEDIA_RATE_HZ // fps
    frames = max(1, round(seconds * fps))
    audio = np.zeros(frames * per_frame, np.int16)
    audio[: min(speech.size, audio.size)] = speech[: audio.size]
    label = CornerLabel(config.avatar.ai_label, req.width, req.height, language=req.lang)
    writer = MP4Writer(req.out, width=req.width, height=req.height, fps=fps)
    try:
        with Renderer(avatar, req.width, req.height, msaa=config.avatar.msaa) as renderer:
            frame = np.empty((req.height, req.width, 3), np.uint8)
            for i in range(frames):
                renderer.render(timeline.pose_at(frame_sample(i, per_frame)), frame)
                writer.write_frame(label.apply(frame))
                writer.write_audio(audio[i * per_frame : (i + 1) * per_frame])
    except BaseException:
        writer.abort()
        raise
    return writer.close()


def run_preview(req: PreviewRequest, config: EngineConfig) -> Path:
    """Render what ``req`` asks for and return the written file.

    Raises:
        AvatarLoadError: the model is not a usable avatar (a usage error for the CLI).
        TTSError, RendererError, EGLUnavailableError: the voice or the renderer failed.
    """
    avatar = load_preview_avatar(req, config.avatar)
    if req.sheet:
        return save_png(contact_sheet(avatar, req.width, req.height), req.out)
    if req.out.suffix.lower() == ".png":
        with Renderer(avatar, req.width, req.height, msaa=config.avatar.msaa) as renderer:
            frame = renderer.render(still_pose(avatar, req.emotion, req.gesture))
        label = CornerLabel(config.avatar.ai_label, req.width, req.height, language=req.lang)
        return save_png(Image.fromarray(label.apply(frame)), req.out)
    return render_video(req, avatar, config)
