"""``dhe serve`` over real WebRTC on loopback: an aiortc visitor plays a recorded clip as its
microphone and receives the avatar's audio and video (real faster-whisper, Piper, OpenGL, VP8,
Opus). On the default server it shares with the soak
(``tests/integration/conftest.py``)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from engine.audio.decode import load_audio
from engine.server.clock import FRAME_SAMPLES, MEDIA_RATE_HZ
from tests.support.visitor import VisitorClient
from tests.support.visitor_mic import to_48k

pytestmark = [pytest.mark.slow, pytest.mark.needs_data]

ASK = "audio/en/en_ljspeech_LJ001-0004_block_books.wav"
INTERRUPT = "audio/en/en_ljspeech_LJ001-0006_fine_typography.wav"
FRAME_S = FRAME_SAMPLES / MEDIA_RATE_HZ  # one received audio frame (the server packetises)
FAQ = "When are you open?"  # a knowledge-base answer of several sentences


@pytest.fixture(scope="module")
def server(shared_data, default_server) -> str:
    return default_server.idle()


def wer(reference: str, hypothesis: str) -> float:
    import jiwer
    from whisper_normalizer.english import EnglishTextNormalizer

    norm = EnglishTextNormalizer()
    return jiwer.wer(norm(reference), norm(hypothesis))


def reference_of(transcripts: list[dict[str, str]], clip: str) -> str:
    name = clip.removeprefix("audio/")
    return next(row["reference"] for row in transcripts if row["file"] == name)


def is_state(state: str):
    return lambda m: m.get("type") == "state" and m.get("state") == state


def is_final(m: dict) -> bool:
    return m.get("type") == "transcript" and m.get("final") is True


#: Video before this (s after the first frame) is not yet the resting picture: on a loaded
#: machine the first frames after 0.3 s, and still the first two after 1 s, differed from the
#: later idle ones by 2.5-4.5 grey levels in the crop (the later ones by 0.05-0.5).
SETTLE_S = 2.0


async def wait_for_rest_frames(client: VisitorClient, count: int = 6) -> None:
    """Wait for the avatar's resting mouth: ``count`` video frames after the first
    :data:`SETTLE_S`, however slowly a loaded runner delivers them (a fixed one-second wait
    saw only four frames on a 2-core CI runner). Raises ``TimeoutError`` after 30 s."""
    frames = client.received.encoded_video  # arrival times, s
    async with asyncio.timeout(30):
        while not frames or sum(t > frames[0] + SETTLE_S for t in frames) < count:
            await asyncio.sleep(0.05)


async def test_spoken_turn_gets_transcript_reply_audio_and_lip_synced_video(
    server, shared_data, transcripts
) -> None:
    # Frames are kept encoded and decoded after the session: a kiosk decodes on its own
    # machine, and decoding 25 fps here would take the server's CPU on a 2-core runner.
    client = VisitorClient(server, decode_video=False, keep_video=True)
    await client.connect()
    try:
        await wait_for_rest_frames(client)
        clip = load_audio(shared_data / ASK)
        t_say = client.mic.say(to_48k(clip))
        final = await client.wait_event(is_final, timeout=60)
        assert wer(reference_of(transcripts, ASK), final["text"]) <= 0.15, final
        reply = await client.wait_event(lambda m: m.get("type") == "reply", timeout=30)
        assert reply["text"] and reply["language"] == "en" and reply["reply_id"]
        metrics = await client.wait_event(
            lambda m: m.get("type") == "metrics" and not m["interrupted"], timeout=30
        )
        t_reply = client.received.events[-1][0]
        await client.wait_event(is_state("idle"), timeout=60, after=t_reply)
    finally:
        await client.close()
    client.decode_kept_video()
    events = client.received
    states = [m["state"] for m in events.events_of("state")]
    assert states[:3] == ["idle", "listening", "thinking"] and "speaking" in states
    timings = metrics["timings_ms"]
    for stage in ("vad", "endpoint", "asr", "dialog", "tts", "send", "tts_first_audio_ms"):
        assert timings[stage] is not None, stage
    assert timings["reply_first_audio_ms"] > timings["endpoint"] > 0

    # Reply audio arrived: over a second of sound after the visitor finished.
    t_done = t_say + clip.size / 16000
    sound = events.sound_times(after=t_done)
    assert len(sound) * FRAME_S > 1.0, len(sound)

    # Video: 512² frames streamed live over the session. The rate goal (25 fps) is the
    # benchmark's (`realtime_latency.py`); this bound catches a stalled or halved stream while
    # leaving room for a busy 2-core runner, which measured 21.7 fps here. An idle session
    # sends half the frames (engine.server.video_track.IDLE_FRAME_STRIDE): the rate is the reply's.
    times = np.array([t for t, _ in events.video])
    assert events.video_size == (512, 512)
    in_reply = times[(times >= sound[0]) & (times <= sound[-1])]
    fps = (in_reply.size - 1) / (in_reply[-1] - in_reply[0])
    print(f"video fps received: {fps:.1f}")
    assert fps >= 15.0, fps

    # The mouth moves while the reply plays, and rests before the visitor spoke.
    crops = np.stack([c for _, c in events.video]).astype(np.float32)
    rest = crops[(times > times[0] + SETTLE_S) & (times < t_say)]
    talk = crops[(times >= sound[0]) & (times <= sound[-1])]
    assert rest.shape[0] >= 5 and talk.shape[0] >= 10
    ref = np.median(rest, axis=0)
    rest_change = np.abs(rest - ref).mean(axis=(1, 2))
    talk_change = np.abs(talk - ref).mean(axis=(1, 2))
    assert np.percentile(talk_change, 90) > 3 * np.percentile(rest_change, 90) + 1.0, (
        np.percentile(rest_change, [50, 90]),
        np.percentile(talk_change, [50, 90]),
    )


@pytest.fixture(scope="module")
def spoken_faq(espeak) -> np.ndarray:
    """The FAQ question said by a synthetic visitor (espeak-ng en-us, a voice unlike the
    avatar's), int16 48 kHz, with half a second of silence after it."""
    from engine.audio.pcm import resample_pcm
    from engine.tts.espeak import EspeakTTS

    (chunk,) = EspeakTTS(voices={"en": "en-us"}).synthesize_all(FAQ, "en")
    pcm = resample_pcm(chunk.pcm, chunk.sample_rate, 48_000)
    return np.concatenate([pcm, np.zeros(24_000, np.int16)])


async def test_barge_in_stops_the_reply_and_hears_the_new_utterance(
    server, shared_data, transcripts, spoken_faq
) -> None:
    # A spoken question (a typed one's answer is never cut off by the microphone), then the
    # visitor speaks over the answer.
    client = VisitorClient(server, decode_video=False)
    await client.connect()
    try:
        while not client.received.encoded_video:  # the media path is up
            await asyncio.sleep(0.05)
        client.mic.say(spoken_faq)
        await client.wait_event(is_state("speaking"), timeout=60)
        await asyncio.sleep(1.0)
        clip = load_audio(shared_data / INTERRUPT)
        t_onset = client.mic.say(to_48k(clip))
        interrupted = await client.wait_event(is_state("interrupted"), timeout=15)
        t_interrupted = next(t for t, m in client.received.events if m is interrupted)
        final = await client.wait_event(is_final, timeout=60, after=t_onset)
        t_final = next(t for t, m in client.received.events if m is final)
        await client.wait_event(lambda m: m.get("type") == "reply", timeout=30, after=t_final)
    finally:
        await client.close()
    assert wer(reference_of(transcripts, INTERRUPT), final["text"]) <= 0.15, final
    assert 0 < interrupted["bargein_ms"] < 1500, interrupted
    # No audio of the cancelled reply after the stop: allow 0.5 s for packets in flight and the
    # receiver's jitter buffer (the last reply audio arrives ~0.2 s after the server's flush,
    # more on a loaded runner; a reply that was not stopped plays on for seconds); the new
    # reply cannot start before the new transcript.
    stale = [t for t in client.received.sound_times(after=t_interrupted + 0.5) if t < t_final]
    assert stale == [], f"{len(stale)} frames of cancelled audio"


async def test_speech_over_a_typed_answer_is_not_a_turn(server, shared_data) -> None:
    # Someone talks in the lobby while the visitor reads the answer they typed for.
    client = VisitorClient(server, decode_video=False)
    await client.connect()
    try:
        await client.send_event({"type": "text", "text": FAQ})
        await client.wait_event(is_state("speaking"), timeout=30)
        t_speaking = client.received.events[-1][0]
        await asyncio.sleep(0.5)
        client.mic.say(to_48k(load_audio(shared_data / INTERRUPT)))
        await client.wait_event(is_state("idle"), timeout=90, after=t_speaking)
        await asyncio.sleep(1.5)  # the clip's end: nothing is answered after the reply either
    finally:
        await client.close()
    states = [m["state"] for m in client.received.events_of("state")]
    assert "interrupted" not in states and "listening" not in states, states
    assert not client.received.events_of("transcript"), "the lobby's speech was transcribed"
    sound = client.received.sound_times(after=t_speaking - 1.0)
    assert len(sound) * FRAME_S > 4.0, len(sound)  # the whole multi-sentence answer played


async def test_own_voice_through_the_microphone_does_not_interrupt(server) -> None:
    # loudspeaker → microphone, no browser AEC
    client = VisitorClient(server, echo_gain=0.7, decode_video=False)
    await client.connect()
    try:
        await client.send_event({"type": "text", "text": FAQ})
        await client.wait_event(is_state("speaking"), timeout=30)
        t_speaking = client.received.events[-1][0]
        await client.wait_event(is_state("idle"), timeout=90, after=t_speaking)
    finally:
        await client.close()
    states = [m["state"] for m in client.received.events_of("state")]
    assert "interrupted" not in states and "listening" not in states, states
    assert not [m for m in client.received.events_of("transcript") if m["final"]]
    sound = client.received.sound_times(after=t_speaking - 1.0)
    assert len(sound) * FRAME_S > 4.0, len(sound)  # the whole multi-sentence answer played
