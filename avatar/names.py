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


#: VRM expression presets as channels (VRM 1.0 names; VRM 0.x presets map onto them).
VRM_VOWEL_CHANNELS: tuple[str, ...] = ("vrm_aa", "vrm_ih", "vrm_ou", "vrm_ee", "vrm_oh")
VRM_EMOTION_CHANNELS: tuple[str, ...] = (
    "vrm_happy",
    "vrm_angry",
    "vrm_sad",
    "vrm_relaxed",
    "vrm_surprised",
)
VRM_LOOK_CHANNELS: tuple[str, ...] = (
    "vrm_lookLeft",
    "vrm_lookRight",
    "vrm_lookUp",
    "vrm_lookDown",
)

#: VRM preset name (0.x ``presetName`` or 1.0 ``expressions.preset`` key, lower case) → the
#: channels it drives. Blinks join the ARKit blink channels so one blink drives every model.
VRM_PRESET_CHANNELS: dict[str, tuple[str, ...]] = {
    "a": ("vrm_aa",),
    "aa": ("vrm_aa",),
    "i": ("vrm_ih",),
    "ih": ("vrm_ih",),
    "u": ("vrm_ou",),
    "ou": ("vrm_ou",),
    "e": ("vrm_ee",),
    "ee": ("vrm_ee",),
    "o": ("vrm_oh",),
    "oh": ("vrm_oh",),
    "blink": ("eyeBlinkLeft", "eyeBlinkRight"),
    "blink_l": ("eyeBlinkLeft",),
    "blinkleft": ("eyeBlinkLeft",),
    "blink_r": ("eyeBlinkRight",),
    "blinkright": ("eyeBlinkRight",),
    "joy": ("vrm_happy",),
    "happy": ("vrm_happy",),
    "angry": ("vrm_angry",),
    "sorrow": ("vrm_sad",),
    "sad": ("vrm_sad",),
    "fun": ("vrm_relaxed",),
    "relaxed": ("vrm_relaxed",),
    "surprised": ("vrm_surprised",),
    "lookleft": ("vrm_lookLeft",),
    "lookright": ("vrm_lookRight",),
    "lookup": ("vrm_lookUp",),
    "lookdown": ("vrm_lookDown",),
}

#: Oculus viseme → VRM vowel weights, for avatars whose mouth has only the five VRM vowels
#: (three-vrm / VRM lip-sync practice: each viseme drawn as the vowel its mouth shape is
#: closest to; the closed ``PP`` and silence draw nothing). Source of the Oculus shapes: the
#: Oculus Lipsync viseme reference (see :mod:`avatar.expressions`).
VISEME_TO_VRM: dict[str, dict[str, float]] = {
    "sil": {},
    "PP": {},
    "FF": {"vrm_ih": 0.3},
    "TH": {"vrm_ee": 0.4},
    "DD": {"vrm_ih": 0.5},
    "kk": {"vrm_aa": 0.4, "vrm_ih": 0.2},
    "CH": {"vrm_ih": 0.4, "vrm_ou": 0.3},
    "SS": {"vrm_ih": 0.6},
    "nn": {"vrm_aa": 0.2, "vrm_ih": 0.2},
    "RR": {"vrm_ou": 0.6},
    "aa": {"vrm_aa": 1.0},
    "E": {"vrm_ee": 1.0},
    "I": {"vrm_ih": 1.0},
    "O": {"vrm_oh": 1.0},
    "U": {"vrm_ou": 1.0},
}

#: Normalised joint names of common rigs → VRM humanoid bones: Mixamo (``mixamorig:LeftArm``;
#: also Ready Player Me), RobotExpressive (``ShoulderL``, ``UpperArmL``), Blender's
#: ``upper_arm.L`` style. Names are lower-cased with the ``prefix:`` and non-alphanumerics
#: removed before the lookup.
RIG_BONE_NAMES: dict[str, str] = {
    "hips": "hips",
    "pelvis": "hips",
    "spine": "spine",
    "abdomen": "spine",
    "spine1": "chest",
    "chest": "chest",
    "spine2": "upperChest",
    "upperchest": "upperChest",
    "neck": "neck",
    "head": "head",
    "jaw": "jaw",
    **{
        f"{a}{b}": f"{side}{bone}"
        for side, short in (("left", "l"), ("right", "r"))
        for bone, names in (
            ("Eye", ("eye",)),
            ("Shoulder", ("shoulder", "clavicle")),
            ("UpperArm", ("arm", "upperarm")),
            ("LowerArm", ("forearm", "lowerarm")),
            ("Hand", ("hand",)),
            ("UpperLeg", ("upleg", "upperleg", "thigh")),
            ("LowerLeg", ("leg", "lowerleg", "shin")),
            ("Foot", ("foot",)),
            ("Toes", ("toebase", "toes")),
        )
        for name in names
        for a, b in ((side, name), (name, side), (name, short), (short, name))
    },
}


def humanoid_bone(joint_name: str) -> str | None:
    """The VRM humanoid bone a rig's joint name stands for, or ``None``.

    ``mixamorig:LeftForeArm`` → ``leftLowerArm``; ``UpperArmL`` → ``leftUpperArm``;
    ``upper_arm.L`` → ``leftUpperArm``; ``Head`` → ``head``.
    """
    name = joint_name.rpartition(":")[2]
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    return RIG_BONE_NAMES.get(key)
