"""Blendshape channel names: the ARKit 52, Oculus ``viseme_*`` targets, and name normalisation.

Canonical channel names are Apple ARKit's ``ARFaceAnchor.BlendShapeLocation`` raw values
(``eyeBlinkLeft``, ``jawOpen`` …, developer.apple.com/documentation/arkit/arfaceanchor/
blendshapelocation) and Oculus/Meta viseme targets ``viseme_<name>`` with ``<name>`` from
:data:`avatar.visemes.OCULUS_VISEMES` (the naming Ready Player Me avatars use).

Models spell these many ways: ``eyeBlink_L`` (ICT-FaceKit, many Blender rigs), ``eyeBlink.L``,
``EyeBlinkLeft``, ``blendShape1.eyeBlinkLeft`` (Maya/FBX exports), ``Viseme_AA``.
:func:`canonical_channels` maps one model target name to the canonical channel(s) it drives.
"""

from __future__ import annotations

import re

from avatar.visemes import OCULUS_VISEMES

#: The 52 ARKit blendshapes, in Apple's documentation order.
ARKIT_BLENDSHAPES: tuple[str, ...] = (
    "browDownLeft",
    "browDownRight",
    "browInnerUp",
    "browOuterUpLeft",
    "browOuterUpRight",
    "cheekPuff",
    "cheekSquintLeft",
    "cheekSquintRight",
    "eyeBlinkLeft",
    "eyeBlinkRight",
    "eyeLookDownLeft",
    "eyeLookDownRight",
    "eyeLookInLeft",
    "eyeLookInRight",
    "eyeLookOutLeft",
    "eyeLookOutRight",
    "eyeLookUpLeft",
    "eyeLookUpRight",
    "eyeSquintLeft",
    "eyeSquintRight",
    "eyeWideLeft",
    "eyeWideRight",
    "jawForward",
    "jawLeft",
    "jawOpen",
    "jawRight",
    "mouthClose",
    "mouthDimpleLeft",
    "mouthDimpleRight",
    "mouthFrownLeft",
    "mouthFrownRight",
    "mouthFunnel",
    "mouthLeft",
    "mouthLowerDownLeft",
    "mouthLowerDownRight",
    "mouthPressLeft",
    "mouthPressRight",
    "mouthPucker",
    "mouthRight",
    "mouthRollLower",
    "mouthRollUpper",
    "mouthShrugLower",
    "mouthShrugUpper",
    "mouthSmileLeft",
    "mouthSmileRight",
    "mouthStretchLeft",
    "mouthStretchRight",
    "mouthUpperUpLeft",
    "mouthUpperUpRight",
    "noseSneerLeft",
    "noseSneerRight",
    "tongueOut",
)

#: Oculus viseme target names as channels (``viseme_sil`` … ``viseme_U``).
VISEME_CHANNELS: tuple[str, ...] = tuple(f"viseme_{v}" for v in OCULUS_VISEMES)

_ARKIT_BY_KEY = {name.lower(): name for name in ARKIT_BLENDSHAPES}
_VISEME_BY_KEY = {v.lower(): f"viseme_{v}" for v in OCULUS_VISEMES}
_SIDE_SUFFIX = re.compile(r"(?:[_.\- ]?(left|right|l|r))$", re.IGNORECASE)


def _side_word(raw: str) -> str:
    return "Left" if raw.lower() in ("l", "left") else "Right"


def canonical_channels(target_name: str) -> tuple[str, ...]:
    """Canonical channels a model's morph target drives at full weight.

    Args:
        target_name: the name in the model (``mesh.extras.targetNames`` or similar).

    Returns:
        ``()`` when the name is not recognised; usually one channel; for a one-sided half of a
        symmetric ARKit shape (ICT-FaceKit's ``browInnerUp_L``, ``cheekPuff_R``) the symmetric
        channel (``browInnerUp``), since ARKit's shape is the sum of both halves.
    """
    name = target_name.strip()
    _, dot, tail = name.rpartition(".")
    if dot and len(tail) > 1:
        name = tail  # "blendShape1.jawOpen" → "jawOpen"; "eyeBlink.L" keeps its side
    key = re.sub(r"[\s\-]", "", name).lower()
    for prefix in ("viseme_", "viseme", "v_"):
        if key.startswith(prefix) and key[len(prefix) :] in _VISEME_BY_KEY:
            return (_VISEME_BY_KEY[key[len(prefix) :]],)
    if key.replace("_", "") in _ARKIT_BY_KEY:
        return (_ARKIT_BY_KEY[key.replace("_", "")],)
    match = _SIDE_SUFFIX.search(name)
    if match is None:
        return ()
    stem = name[: match.start()].replace("_", "").lower()
    sided = f"{stem}{_side_word(match.group(1)).lower()}"
    if sided in _ARKIT_BY_KEY:
        return (_ARKIT_BY_KEY[sided],)
    if stem in _ARKIT_BY_KEY:
        return (_ARKIT_BY_KEY[stem],)
    return ()
