"""Wire-format validation, the playout buffer and the pacing math of ``dhe serve`` (sans-IO)."""

from __future__ import annotations

import json
from types import MappingProxyType

import numpy as np
import pytest

from engine.events import (
    EmotionChanged,
    FinalTranscript,
    GestureDetected,
    PartialTranscript,
    PresenceChanged,
    Reply,
    SessionError,
    SpeakerCheck,
    SpeechStarted,
    StageError,
    StateChanged,
    TTSAudio,
    TurnMetrics,
)
from engine.server.clock import MediaClock, PlayoutBuffer, plan_video_frame
from engine.server.messages import serialise
from engine.server.protocol import (
    ApiError,
    CameraMessage,
    KeypadMessage,
    LanguageMessage,
    MessageError,
    TextMessage,
    parse_client_message,
    parse_offer,
)

SDP = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:abcd\r\n"


def offer(**fields) -> bytes:
    return json.dumps({"sdp": SDP, "type": "offer", **fields}).encode()


def test_a_valid_offer_parses() -> None:
    req = parse_offer(offer(domain="bank", language="zh"), max_sdp_bytes=65536)
    assert (req.domain, req.language) == ("bank", "zh") and req.sdp == SDP
    assert req.video is None
    portrait = parse_offer(offer(video={"width": 432, "height": 768}), max_sdp_bytes=65536)
    assert portrait.video == (432, 768) and portrait.ui_language is None
    page = parse_offer(offer(language="auto", ui_language="zh"), max_sdp_bytes=65536)
    assert (page.language, page.ui_language) == ("auto", "zh")


def test_the_ai_mark_follows_the_answers_language() -> None:
    """``auto`` sessions kept "AI-generated" on Mandarin answers (dhe converse, the page)."""
    from avatar.label import CornerLabel
    from engine.observers import EventBus, label_follows_replies

    label, bus = CornerLabel({"en": "AI-generated", "zh": "AI生成"}, 256, 256), EventBus()
    bus.subscribe(label_follows_replies(label))
    for language in ("zh", "en"):
        bus.publish(Reply(session_id="s", reply_id="r", turn_id="t", text="…", language=language))
        assert label.text == {"zh": "AI生成", "en": "AI-generated"}[language]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "bad-json"),
        (b"[1, 2]", 400, "bad-offer"),
        (json.dumps({"sdp": SDP, "type": "answer"}).encode(), 400, "bad-offer"),
        (json.dumps({"type": "offer"}).encode(), 400, "bad-offer"),
        (json.dumps({"sdp": "hello", "type": "offer"}).encode(), 400, "bad-sdp"),
        (
            json.dumps({"sdp": "v=0\r\nm=video 9 X 96\r\n", "type": "offer"}).encode(),
            400,
            "bad-sdp",
        ),
        (offer(domain="../etc"), 400, "bad-domain"),
        (offer(language="fr"), 400, "bad-language"),
        (offer(ui_language="auto"), 400, "bad-language"),
        # newcomer14: a small SDP beside a 70 KB field was refused as "sdp-too-large"
        (offer(pad="x" * 70_000), 413, "body-too-large"),
        (offer(sdp="v=0\r\n" + ("a=" + "x" * 1000 + "\r\n") * 66), 413, "sdp-too-large"),
        (offer(video={"width": 432}), 400, "bad-video"),
        (offer(video={"width": 431, "height": 768}), 400, "bad-video"),
        (offer(video={"width": 432.0, "height": 768}), 400, "bad-video"),
        (offer(video={"width": 64, "height": 768}), 400, "bad-video"),
        (offer(video={"width": 1920, "height": 1920}), 400, "bad-video"),
        (offer(video=[432, 768]), 400, "bad-video"),
    ],
)
def test_bad_offers_are_refused_with_a_reason(body: bytes, status: int, code: str) -> None:
    with pytest.raises(ApiError) as err:
        parse_offer(body, max_sdp_bytes=65536)
    assert (err.value.status, err.value.code) == (status, code)
    assert err.value.body()["error"]["message"]


def test_json_the_parser_refuses_is_bad_json_not_a_crash() -> None:
    """An integer over Python's 4300-digit limit (even in an unused field) used to escape as a
    bare ValueError (a 500); an empty body was reported as "Expecting value"."""
    huge = b'{"type": "offer", "pad": ' + b"7" * 5000 + b"}"
    for body, words in ((huge, "more than 4300 digits"), (b"", "body is empty"), (b" \n", "empty")):
        with pytest.raises(ApiError) as err:
            parse_offer(body, max_sdp_bytes=65536)
        assert (err.value.status, err.value.code) == (400, "bad-json")
        assert words in err.value.message
    with pytest.raises(MessageError) as msg_err:
        parse_client_message(
            '{"type": "text", "n": ' + "7" * 5000 + "}", max_bytes=16384, max_text_chars=500
        )
    assert msg_err.value.code == "bad-json" and "4300 digits" in msg_err.value.message


def test_oversized_sdp_is_413() -> None:
    big = SDP + "a=x:" + "y" * 70_000 + "\r\n"
    with pytest.raises(ApiError) as err:
        parse_offer(json.dumps({"sdp": big, "type": "offer"}).encode(), max_sdp_bytes=65536)
    assert err.value.status == 413


def test_client_messages() -> None:
    def parse(doc) -> object:
        return parse_client_message(json.dumps(doc), max_bytes=16384, max_text_chars=500)

    assert parse({"type": "text", "text": " hi "}) == TextMessage("hi")
    assert parse({"type": "text", "text": "\u200bhi"}) == TextMessage("\u200bhi")
    assert parse({"type": "keypad", "digits": "4417"}) == KeypadMessage("4417")
    assert parse({"type": "language", "language": "zh"}) == LanguageMessage("zh")
    for doc, code in [
        ({"type": "text", "text": "x" * 501}, "text-too-long"),
        ({"type": "text", "text": "   "}, "bad-message"),
        # zero-width spaces, a BOM, a word joiner show nothing either (newcomer10: a turn)
        ({"type": "text", "text": "\u200b\u200b\u200b"}, "bad-message"),
        ({"type": "text", "text": " \ufeff\u2060 "}, "bad-message"),
        ({"type": "keypad", "digits": "12ab"}, "bad-message"),
        ({"type": "language", "language": "fr"}, "bad-message"),
        ({"type": "dance"}, "bad-message"),
        ({"text": "no type"}, "bad-message"),
    ]:
        with pytest.raises(MessageError) as err:
            parse(doc)
        assert err.value.code == code, doc
    with pytest.raises(MessageError) as err:
        parse_client_message("{" + " " * 20000 + "}", max_bytes=16384, max_text_chars=500)
    assert err.value.code == "message-too-large"
    with pytest.raises(MessageError) as err:
        parse_client_message("nope", max_bytes=16384, max_text_chars=500)
    assert err.value.code == "bad-json"


def test_playout_buffer_pads_with_silence_and_flushes() -> None:
    buf = PlayoutBuffer()
    n = 960  # 20 ms at 48 kHz: any take size works; the track's own packet size may differ
    started: list[str] = []
    buf.put("r1", np.arange(1, 1501, dtype=np.int16), on_start=lambda: started.append("r1"))
    buf.put("r2", np.full(600, 7, np.int16), on_start=lambda: started.append("r2"))
    first, ids = buf.take(n)
    assert ids == ["r1"] and started == ["r1"] and first[0] == 1 and first[-1] == 960
    second, ids = buf.take(n)
    assert ids == ["r1", "r2"] and started == ["r1", "r2"]
    assert second[539] == 1500 and second[540] == 7 and buf.queued == 1500 + 600 - 1920
    assert buf.flush() == 180 and buf.queued == 0
    silence, ids = buf.take(n)
    assert ids == [] and not silence.any()


def test_media_clock_and_video_pacing() -> None:
    clock = MediaClock()
    assert clock.sample_at(5.0) == 0
    clock.ensure_started(10.0)
    clock.ensure_started(99.0)  # already running
    assert clock.deadline(48_000) == pytest.approx(11.0)
    assert clock.sample_at(10.5) == 24_000
    on_time = plan_video_frame(now_s=10.0, start_s=10.0, fps=25, next_index=3)
    assert on_time.index == 3 and on_time.wait_s == pytest.approx(0.12) and on_time.dropped == 0
    late = plan_video_frame(now_s=11.0, start_s=10.0, fps=25, next_index=3)
    assert late.index == 25 and late.dropped == 22 and late.wait_s == 0.0


def test_events_are_serialised_to_the_documented_messages() -> None:
    sid = "s1"
    assert serialise(StateChanged(session_id=sid, state="idle")) == {
        "type": "state",
        "state": "idle",
    }
    assert serialise(StateChanged(session_id=sid, state="ended", reason="deleted")) == {
        "type": "state",
        "state": "ended",
        "reason": "deleted",
    }
    assert serialise(StateChanged(session_id=sid, state="interrupted", bargein_ms=251.5)) == {
        "type": "state",
        "state": "interrupted",
        "bargein_ms": 251.5,
    }
    assert serialise(PartialTranscript(session_id=sid, text="when are", language="en")) == {
        "type": "transcript",
        "role": "visitor",
        "text": "when are",
        "final": False,
        "language": "en",
    }
    final = serialise(FinalTranscript(session_id=sid, text="When are you open?", language="en"))
    assert final is not None and final["final"] is True and final["text"] == "When are you open?"
    # the caption on the lobby screen shows a spoken card number as the logs do: last 4 digits
    said = "my card number is 4417 1234 5678 9012"
    for event in (FinalTranscript, PartialTranscript):
        shown = serialise(event(session_id=sid, text=said, language="en"))
        assert shown is not None and shown["text"] == "my card number is •••• 9012", shown
    card = MappingProxyType({"kind": "balance", "amount": "62,345.67", "rows": [1, 2]})
    reply = Reply(
        session_id=sid,
        reply_id="s1-t1-r0",
        turn_id="s1-t1",
        text="Your balance is …",
        language="en",
        emotion="happy",
        card=card,
    )
    message = serialise(reply)
    assert message == {
        "type": "reply",
        "reply_id": "s1-t1-r0",
        "text": "Your balance is …",
        "language": "en",
        "emotion": "happy",
        "gesture": None,
        "card": {"kind": "balance", "amount": "62,345.67", "rows": [1, 2]},
        "turn_id": "s1-t1",
    }
    json.dumps(message)  # JSON values only
    timings = (("vad", 12.5), ("asr", None), ("reply_first_audio_ms", 845.0))
    assert serialise(
        TurnMetrics(session_id=sid, turn_id="s1-t1", timings_ms=timings, intent="faq")
    ) == {
        "type": "metrics",
        "turn_id": "s1-t1",
        "timings_ms": {"vad": 12.5, "asr": None, "reply_first_audio_ms": 845.0},
        "intent": "faq",
        "interrupted": False,
    }
    cut = TurnMetrics(session_id=sid, turn_id="s1-t2", timings_ms=(), interrupted=True)
    assert serialise(cut)["interrupted"] is True
    stage_error = StageError(
        session_id=sid, turn_id="s1-t2", stage="tts", code="synthesis-failed", message="boom"
    )
    assert serialise(stage_error) == {
        "type": "error",
        "code": "synthesis-failed",
        "message": "boom",
        "stage": "tts",
        "turn_id": "s1-t2",
    }
    assert serialise(SessionError(session_id=sid, code="idle-timeout", message="no activity")) == {
        "type": "error",
        "code": "idle-timeout",
        "message": "no activity",
    }
    # events the page does not receive stay inside the engine
    assert serialise(SpeechStarted(session_id=sid, sample=512)) is None
    audio = TTSAudio(session_id=sid, reply_id="r", pcm=b"", sample_rate=48000, start_sample=0)
    assert serialise(audio) is None


def test_camera_consent_and_perception_messages() -> None:
    def parse(doc) -> object:
        return parse_client_message(json.dumps(doc), max_bytes=16384, max_text_chars=500)

    assert parse({"type": "camera", "consent": True}) == CameraMessage(True)
    assert parse({"type": "camera", "consent": False}) == CameraMessage(False)
    for doc in (
        {"type": "camera"},
        {"type": "camera", "consent": "yes"},
        {"type": "camera", "consent": 1},
        {"type": "camera", "consent": None},
    ):
        with pytest.raises(MessageError) as err:
            parse(doc)
        assert err.value.code == "bad-message" and "consent" in err.value.message, doc

    sid = "s1"
    box = (0.25, 0.1, 0.3, 0.4)
    assert serialise(PresenceChanged(session_id=sid, present=True, face_box=box)) == {
        "type": "presence",
        "present": True,
        "face_box": [0.25, 0.1, 0.3, 0.4],
    }
    assert serialise(PresenceChanged(session_id=sid, present=False)) == {
        "type": "presence",
        "present": False,
        "face_box": None,
    }
    assert serialise(EmotionChanged(session_id=sid, emotion="sad", score=0.31)) == {
        "type": "emotion",
        "emotion": "sad",
        "score": 0.31,
    }
    gesture = GestureDetected(session_id=sid, name="Thumb_Up", score=0.8, hand="Right")
    assert serialise(gesture) == {
        "type": "gesture",
        "name": "Thumb_Up",
        "score": 0.8,
        "hand": "Right",
    }
    # Who is speaking is the engine's own business: no message for the page.
    assert serialise(SpeakerCheck(session_id=sid, visitor_speaking=True, score=1.0)) is None


def test_a_refusal_that_passes_says_when_to_retry_in_header_and_body() -> None:
    late = ApiError(429, "too-many-offers", "slow down", retry_after_s=9.2)
    assert late.headers() == {"Retry-After": "10"}
    assert late.body() == {
        "error": {"code": "too-many-offers", "message": "slow down", "retry_after_s": 10}
    }
    bad = ApiError(400, "bad-json", "no")  # nothing to wait for: the shape as before
    assert bad.headers() == {} and bad.body() == {"error": {"code": "bad-json", "message": "no"}}
