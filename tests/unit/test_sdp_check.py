"""engine.server.sdp_check and the offer body checks: an offer the WebRTC stack cannot use is a
400 naming the problem before any session exists. The offers start from a real one (aiortc's
``createOffer`` with audio sendrecv and video recvonly, as the scripted visitor sends) and are
cut or edited the way the issue's tester did."""

from __future__ import annotations

import json
import re

import pytest

from engine.server.protocol import ApiError, parse_offer
from engine.server.sdp_check import MAX_CANDIDATES, OfferMedia, check_offer_sdp
from tests.support.visitor import browser_offer


@pytest.fixture(scope="module")
def offer() -> str:
    import asyncio

    return asyncio.run(browser_offer())


def refused(sdp: str) -> str:
    with pytest.raises(ApiError) as err:
        check_offer_sdp(sdp)
    assert err.value.status == 400 and err.value.code == "bad-sdp"
    return err.value.message


def test_a_browser_like_offer_passes(offer: str) -> None:
    assert check_offer_sdp(offer) == OfferMedia(audio="sendrecv", video="recvonly")
    camera = offer.replace("a=recvonly", "a=sendrecv")
    assert check_offer_sdp(camera).video == "sendrecv"


def test_truncated_offers_are_refused(offer: str) -> None:
    for cut in (40, len(offer) // 3, len(offer) // 2, len(offer) - 300):
        message = refused(offer[:cut])
        assert message and "Traceback" not in message


def test_an_offer_without_a_fingerprint_is_refused(offer: str) -> None:
    bare = re.sub(r"a=fingerprint:[^\r\n]*\r\n", "", offer)
    assert "fingerprint" in refused(bare)
    unknown = re.sub(r"a=fingerprint:sha-(256|384|512)", "a=fingerprint:md5", offer)
    assert "fingerprint" in refused(unknown)


def test_a_garbled_fingerprint_is_refused_up_front(offer: str) -> None:
    """Among several fingerprints one garbled value used to pass (and time out at connect)."""
    value = re.search(r"a=fingerprint:sha-256 (\S+)", offer).group(1)
    for bad, says in (
        ("ZZ" + value[2:], "is not 32 colon-separated hex pairs"),
        (value[:-3], "is not 32 colon-separated hex pairs"),
        ("AB:CD", "'AB:CD' is not 32 colon-separated hex pairs"),
    ):
        message = refused(offer.replace(value, bad))
        assert (
            message.startswith("the audio section's a=fingerprint:sha-256 value ")
            and says in message
        )
    unknown = offer.replace("a=fingerprint:sha-384", "a=fingerprint:sha-999")
    assert "unknown hash 'sha-999'" in refused(unknown)


@pytest.mark.parametrize(
    ("find", "garbage", "says"),
    [
        (r"m=audio [^\r\n]*", "m=garbage", 'is not "m=<media> <port> <proto> <format> …"'),
        (r"m=audio [^\r\n]*", "m=audio 9 UDP/TLS/RTP/SAVPF 96 x", "payload types must be"),
        (r"a=setup:\w+", "a=setup:sideways", 'is not "a=setup:active|passive|actpass"'),
        (r"a=rtpmap:96 [^\r\n]*", "a=rtpmap:96 opus", 'is not "a=rtpmap:<type> <codec>/<rate>"'),
    ],
)
def test_an_unparsable_line_is_named_with_what_was_expected(
    offer: str, find: str, garbage: str, says: str
) -> None:
    broken = re.sub(find, garbage, offer, count=1)
    number = broken.split("\n").index(garbage + "\r") + 1
    message = refused(broken)
    assert message.startswith(f"SDP line {number} ({garbage!r})") and says in message, message


def test_audio_only_and_many_sections_are_refused(offer: str) -> None:
    audio_only = offer[: offer.index("m=video")].replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0")
    assert "1 media section(s) (audio)" in refused(audio_only)
    video = offer[offer.index("m=video") :]
    many = offer + "".join(video.replace("a=mid:1", f"a=mid:{i}") for i in range(2, 100))
    message = refused(many)
    assert "100 media section(s)" in message and "exactly one audio and one video" in message


def test_each_missing_part_is_named(offer: str) -> None:
    assert "BUNDLE" in refused(offer.replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0"))
    assert "rtcp-mux" in refused(offer.replace("a=rtcp-mux\r\n", ""))
    assert "ICE credentials" in refused(re.sub(r"a=ice-pwd:[^\r\n]*\r\n", "", offer))
    assert '"sendonly"' in refused(offer.replace("a=recvonly", "a=sendonly"))
    no_opus = re.sub(r"a=rtpmap:96 opus/48000/2", "a=rtpmap:96 speex/8000", offer)
    assert "opus" in refused(no_opus.replace(" 96 9 0 8", " 96"))
    assert "a=setup" in refused(offer.replace("a=setup:actpass\r\n", ""))
    candidate = next(line for line in offer.split("\r\n") if line.startswith("a=candidate:"))
    crowded = offer.replace(candidate, "\r\n".join([candidate] * (MAX_CANDIDATES + 1)), 1)
    assert "ICE candidates" in refused(crowded)


def body(sdp: str) -> bytes:
    return json.dumps({"sdp": sdp, "type": "offer"}).encode()


def test_lone_surrogates_and_control_characters_are_a_400() -> None:
    for sdp, what in (("\ud800", "lone surrogate"), ("v=0\r\n\x00", "control character")):
        with pytest.raises(ApiError) as err:
            parse_offer(body(sdp), max_sdp_bytes=65536)
        assert err.value.status == 400 and err.value.code == "bad-sdp"
        assert what in err.value.message
    with pytest.raises(ApiError) as err:
        parse_offer(b"[" * 60_000, max_sdp_bytes=65536)
    assert err.value.code == "bad-json" and "nested" in err.value.message
