"""Refuse an SDP offer the WebRTC stack cannot use, before any session or peer exists.

aiortc applies an offer in two steps: ``setRemoteDescription`` parses and checks a little, and
a background task later starts ICE and DTLS with what was parsed. An offer that passes the
first step but not the second (no DTLS fingerprint, say) used to give the visitor a 201 and the
log a "Task exception was never retrieved". :func:`check_offer_sdp` parses the offer with
aiortc's own parser (``aiortc.sdp``, pure code without I/O) and checks everything the later
steps rely on, so every such offer is a 400 ``bad-sdp`` naming the problem.

What an offer must hold (what browsers send; RFC 8829 JSEP, RFC 8843 BUNDLE, RFC 8839 ICE,
RFC 8842 DTLS):

* exactly one ``audio`` and one ``video`` section (the avatar speaks and is seen), bundled on
  one transport (``a=group:BUNDLE`` naming both ``a=mid``), with ``a=rtcp-mux``;
* audio ``sendrecv`` (or ``recvonly``, a visitor without a microphone) offering Opus; video
  ``recvonly`` or ``sendrecv`` (the camera) offering VP8 or H.264;
* ICE credentials (``ice-ufrag`` 4–256 characters, ``ice-pwd`` 22–256, RFC 8839 §5.4), a DTLS
  role (``a=setup``) and fingerprint with a hash aiortc checks (sha-256/384/512, RFC 8122);
  every fingerprint well formed (an RFC 8122 hash name and that hash's size in hex pairs);
* at most :data:`MAX_CANDIDATES` candidates per section (each is a connectivity check the
  server would send).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aiortc import sdp as aiortc_sdp
from aiortc.codecs import CODECS
from aiortc.rtcdtlstransport import X509_DIGEST_ALGORITHMS
from aiortc.rtcpeerconnection import find_common_codecs

from engine.server.protocol import ApiError

#: Most ICE candidates accepted per media section.
MAX_CANDIDATES = 32
#: Directions accepted per media kind (the server's side: it sends both, hears the mic).
DIRECTIONS = {"audio": ("sendrecv", "recvonly"), "video": ("recvonly", "sendrecv")}
#: The codecs the server negotiates (``engine.server.rtc.prefer_codecs``).
WANTED_CODECS = {"audio": ("audio/opus",), "video": ("video/VP8", "video/H264")}
#: Hash names of DTLS fingerprints and their digest sizes in bytes (RFC 8122 §5, IANA "Hash
#: Function Textual Names"); aiortc can check sha-256/384/512 of them.
FINGERPRINT_BYTES = {
    "md2": 16,
    "md5": 16,
    "sha-1": 20,
    "sha-224": 28,
    "sha-256": 32,
    "sha-384": 48,
    "sha-512": 64,
}
_FINGERPRINT_RE = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})+$")
#: What aiortc's SDP parser raises for text it cannot read (found by fuzzing it).
PARSER_ERRORS = (
    ValueError,
    AssertionError,
    IndexError,
    KeyError,
    AttributeError,
    TypeError,
    StopIteration,
)


@dataclass(frozen=True, slots=True)
class OfferMedia:
    """What a checked offer asks for.

    Attributes:
        audio: the audio section's direction (the visitor's side).
        video: the video section's direction; ``sendrecv`` carries the visitor's camera.
    """

    audio: str
    video: str


def _refuse(message: str) -> ApiError:
    return ApiError(400, "bad-sdp", message)


def parse(text: str) -> aiortc_sdp.SessionDescription:
    """Parse an SDP with aiortc's parser.

    Raises:
        ApiError: 400 ``bad-sdp`` when the parser cannot read it.
    """
    try:
        return aiortc_sdp.SessionDescription.parse(text)
    except PARSER_ERRORS as exc:
        explained = explain_unparsable(text)
        if explained is not None:
            raise _refuse(explained) from exc
        detail = str(exc)[:120].encode("ascii", "backslashreplace").decode() or type(exc).__name__
        raise _refuse(f"SDP cannot be parsed ({detail})") from exc


#: The line shapes aiortc's parser relies on (RFC 8866 §5.14 m-line, RFC 8839 §5.1 candidate,
#: RFC 8122 §5 fingerprint, RFC 4145 §4 setup, RFC 8866 §6.6 rtpmap): prefix, pattern, expected.
_LINE_SHAPES = (
    ("m=", r"m=[^ ]+ [0-9]+ [A-Z/]+ .+", "m=<media> <port> <proto> <format> …"),
    (
        "a=candidate:",
        r"a=candidate:\S+ [0-9]+ \S+ [0-9]+ \S+ [0-9]+ typ \S+( .*)?",
        "a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>",
    ),
    ("a=fingerprint:", r"a=fingerprint:\S+ \S+", "a=fingerprint:<hash> <value>"),
    ("a=setup:", r"a=setup:(active|passive|actpass|holdconn)", "a=setup:active|passive|actpass"),
    ("a=rtpmap:", r"a=rtpmap:[0-9]+ [^/ ]+/[0-9]+(/[0-9]+)?", "a=rtpmap:<type> <codec>/<rate>"),
)


def explain_unparsable(text: str) -> str | None:
    """The first line of ``text`` whose shape aiortc's parser cannot read, with its number and
    the shape expected (:data:`_LINE_SHAPES`; audio and video payload types are numbers 0–127,
    RFC 3551 §3), or None when every line looks right."""
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        for prefix, pattern, expected in _LINE_SHAPES:
            if line.startswith(prefix) and not re.fullmatch(pattern, line):
                return f'SDP line {number} ({_quote(line)}) is not "{expected}"'
        fields = line.split()
        if line.startswith(("m=audio ", "m=video ")) and not all(
            f.isdigit() and int(f) < 128 for f in fields[3:]
        ):
            return f"SDP line {number} ({_quote(line)}): payload types must be numbers 0–127"
    return None


def _quote(line: str) -> str:
    short = line if len(line) <= 60 else line[:57] + "…"
    return repr(short).encode("ascii", "backslashreplace").decode()


def check_offer_sdp(text: str) -> OfferMedia:
    """Check that an offer can be answered and connected (module docstring).

    Args:
        text: the offer SDP (already size-checked and free of lone surrogates).

    Returns:
        The directions it asks for.

    Raises:
        ApiError: 400 ``bad-sdp`` naming the first problem found.
    """
    description = parse(text)
    kinds = [m.kind for m in description.media]
    if len(kinds) != 2 or sorted(kinds) != ["audio", "video"]:
        raise _refuse(
            f"the offer has {len(kinds)} media section(s) ({', '.join(kinds[:6]) or 'none'}"
            f"{', …' if len(kinds) > 6 else ''}); it needs exactly one audio and one video "
            "section (the avatar is heard and seen)"
        )
    for media in description.media:
        _check_media(media)
    _check_bundle(description)
    by_kind = {m.kind: m.direction for m in description.media}
    return OfferMedia(audio=by_kind["audio"], video=by_kind["video"])


def _check_media(media: aiortc_sdp.MediaDescription) -> None:
    kind = media.kind
    if media.direction not in DIRECTIONS[kind]:
        wanted = " or ".join(f'"{d}"' for d in DIRECTIONS[kind])
        given = f'is "{media.direction}"' if media.direction else "names no direction"
        raise _refuse(f"the {kind} section {given}; it must be {wanted}")
    if not media.rtp.muxId:
        raise _refuse(f"the {kind} section has no a=mid")
    if not media.rtcp_mux:
        raise _refuse(f"the {kind} section lacks a=rtcp-mux")
    ufrag, pwd = media.ice.usernameFragment or "", media.ice.password or ""
    if not 4 <= len(ufrag) <= 256 or not 22 <= len(pwd) <= 256:
        raise _refuse(
            f"the {kind} section lacks usable ICE credentials "
            "(a=ice-ufrag of 4–256 characters, a=ice-pwd of 22–256)"
        )
    if media.dtls is None:  # aiortc's parser leaves the DTLS parameters out without a=setup
        raise _refuse(f"the {kind} section has no DTLS role (a=setup)")
    for f in media.dtls.fingerprints:
        _check_fingerprint(kind, f.algorithm.lower(), f.value)
    usable = [f for f in media.dtls.fingerprints if f.algorithm.lower() in X509_DIGEST_ALGORITHMS]
    if not usable:
        raise _refuse(
            f"the {kind} section has no usable DTLS fingerprint "
            "(a=fingerprint:sha-256 followed by the certificate's hash)"
        )
    if len(media.ice_candidates) > MAX_CANDIDATES:
        raise _refuse(
            f"the {kind} section has {len(media.ice_candidates)} ICE candidates "
            f"(at most {MAX_CANDIDATES})"
        )
    common = find_common_codecs(CODECS[kind], media.rtp.codecs)
    if not any(c.mimeType in WANTED_CODECS[kind] for c in common):
        names = " or ".join(n.split("/")[1] for n in WANTED_CODECS[kind])
        raise _refuse(f"the {kind} section offers no codec the server speaks ({names})")


def _check_fingerprint(kind: str, algorithm: str, value: str) -> None:
    """A fingerprint is an RFC 8122 hash name and that hash's bytes as colon-separated hex
    pairs (RFC 8122 §5); a garbled one would fail only at the DTLS handshake, after the 201."""
    size = FINGERPRINT_BYTES.get(algorithm)
    if size is None:
        raise _refuse(
            f"the {kind} section's a=fingerprint names an unknown hash {_quote(algorithm)} "
            f"(RFC 8122: {', '.join(FINGERPRINT_BYTES)})"
        )
    if not _FINGERPRINT_RE.match(value) or len(value.split(":")) != size:
        raise _refuse(
            f"the {kind} section's a=fingerprint:{algorithm} value {_quote(value)} is not "
            f"{size} colon-separated hex pairs (the certificate's {algorithm} hash)"
        )


def _check_bundle(description: aiortc_sdp.SessionDescription) -> None:
    mids = {m.rtp.muxId for m in description.media}
    bundles = [g for g in description.group if g.semantic == "BUNDLE"]
    if not any(mids <= set(g.items) for g in bundles):
        raise _refuse(
            "the offer does not bundle its audio and video on one transport "
            "(a=group:BUNDLE naming both a=mid values)"
        )
