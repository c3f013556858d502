"""Facial expression tables and behaviours (sans-IO: time in seconds is passed in).

* :data:`VISEME_TO_ARKIT`: each Oculus viseme as ARKit blendshape weights, for avatars without
  ``viseme_*`` targets. Approach: the mouth shapes of the Oculus Lipsync "Viseme Reference"
  (developers.meta.com/horizon/documentation/native/audio-ovrlipsync-viseme-reference) are
  composed from the ARKit shapes Apple documents (ARFaceAnchor.BlendShapeLocation): jaw opening
  per the vowel height (open ``aa`` > ``O``/``E`` > ``I``/``U``), lip rounding through
  ``mouthFunnel``/``mouthPucker`` (``O``, ``U``, ``CH``, ``RR``), spreading through
  ``mouthStretch``/``mouthSmile`` (``E``, ``I``, ``SS``), lip closure through
  ``mouthClose``/``mouthPress`` (``PP``) and the lower lip under the upper teeth through
  ``mouthRollLower`` (``FF``). The numbers are ours, tuned by eye on the ICT-FaceKit head and
  the default avatar; they are in the spirit of the viseme → ARKit tables of open-source lip
  sync projects (e.g. met4citizen/TalkingHead), not copied from one.
* :data:`EMOTIONS`: the reply emotions (neutral, happy, concerned, apologetic) as blendshape
  offsets plus a head-pose offset; :data:`LISTENING` the attentive face. While the avatar
  speaks, their lip-closing shapes give way to the visemes (:func:`yield_to_speech`).

Behaviours over time (blinks, gaze jitter, breathing, idle sway, listening nods) live in
:mod:`avatar.motion`, reply gestures in :mod:`avatar.gestures`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType


def _sym(**weights: float) -> dict[str, float]:
    """Expand ``mouthSmile=0.3`` into ``mouthSmileLeft``/``mouthSmileRight`` for sided shapes."""
    sided = (
        "mouthSmile",
        "mouthStretch",
        "mouthFrown",
        "mouthPress",
        "mouthUpperUp",
        "mouthLowerDown",
        "mouthDimple",
        "browDown",
        "browOuterUp",
        "cheekSquint",
        "eyeSquint",
        "eyeWide",
        "eyeBlink",
        "noseSneer",
    )
    out: dict[str, float] = {}
    for name, w in weights.items():
        if name in sided:
            out[name + "Left"] = w
            out[name + "Right"] = w
        else:
            out[name] = w
    return out


#: Oculus viseme → ARKit weights (see the module docstring for the approach).
VISEME_TO_ARKIT: MappingProxyType = MappingProxyType(
    {
        "sil": MappingProxyType({}),
        "PP": MappingProxyType(
            _sym(
                jawOpen=0.04,
                mouthClose=0.08,
                mouthPress=0.5,
                mouthRollLower=0.2,
                mouthRollUpper=0.15,
            )
        ),
        "FF": MappingProxyType(
            _sym(jawOpen=0.08, mouthRollLower=0.6, mouthUpperUp=0.3, mouthFunnel=0.08)
        ),
        "TH": MappingProxyType(
            _sym(jawOpen=0.16, mouthUpperUp=0.15, mouthStretch=0.1, tongueOut=0.35)
        ),
        "DD": MappingProxyType(_sym(jawOpen=0.22, mouthStretch=0.2, mouthUpperUp=0.12)),
        "kk": MappingProxyType(_sym(jawOpen=0.26, mouthStretch=0.25, mouthLowerDown=0.1)),
        "CH": MappingProxyType(
            _sym(
                jawOpen=0.16,
                mouthFunnel=0.45,
                mouthPucker=0.2,
                mouthUpperUp=0.2,
                mouthLowerDown=0.2,
            )
        ),
        "SS": MappingProxyType(
            _sym(
                jawOpen=0.08,
                mouthStretch=0.4,
                mouthSmile=0.15,
                mouthUpperUp=0.15,
                mouthLowerDown=0.15,
            )
        ),
        "nn": MappingProxyType(_sym(jawOpen=0.16, mouthStretch=0.15, mouthUpperUp=0.1)),
        "RR": MappingProxyType(_sym(jawOpen=0.16, mouthFunnel=0.3, mouthPucker=0.35)),
        "aa": MappingProxyType(
            _sym(jawOpen=0.62, mouthLowerDown=0.3, mouthUpperUp=0.1, mouthStretch=0.1)
        ),
        "E": MappingProxyType(
            _sym(
                jawOpen=0.36,
                mouthStretch=0.35,
                mouthSmile=0.2,
                mouthUpperUp=0.15,
                mouthLowerDown=0.2,
            )
        ),
        "I": MappingProxyType(
            _sym(jawOpen=0.24, mouthStretch=0.45, mouthSmile=0.3, mouthUpperUp=0.1)
        ),
        "O": MappingProxyType(_sym(jawOpen=0.45, mouthFunnel=0.55, mouthPucker=0.2)),
        "U": MappingProxyType(_sym(jawOpen=0.2, mouthPucker=0.75, mouthFunnel=0.35)),
    }
)


@dataclass(frozen=True, slots=True)
class Expression:
    """Blendshape offsets and a head-pose offset (radians) for a mood or state."""

    weights: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0


#: Reply emotions the avatar shows (``Reply.emotion``).
EMOTIONS: MappingProxyType = MappingProxyType(
    {
        "neutral": Expression(MappingProxyType(_sym(mouthSmile=0.06))),
        # a smile the visitor sees: at 0.55 / 0.35 / 0.15 a newcomer found happy no different
        # from neutral (MediaPipe's smile reading 0.68; now 0.88, corners visibly up)
        "happy": Expression(
            MappingProxyType(
                _sym(
                    mouthSmile=0.95,
                    cheekSquint=0.6,
                    eyeSquint=0.25,
                    browInnerUp=0.05,
                    mouthUpperUp=0.15,
                    mouthDimple=0.2,
                )
            ),
            pitch=-0.03,
        ),
        # stronger in session 19: on the contact sheet's tiles (a 512² frame at a third) the
        # four moods looked nearly the same (newcomer19); MediaPipe read no frown in concerned
        "concerned": Expression(
            MappingProxyType(
                _sym(
                    browInnerUp=1.0,
                    browDown=0.15,
                    mouthFrown=0.55,
                    mouthPress=0.25,
                    mouthShrugLower=0.3,
                )
            ),
            roll=0.05,
        ),
        "apologetic": Expression(
            MappingProxyType(
                _sym(
                    browInnerUp=0.85,
                    mouthFrown=0.25,
                    mouthSmile=0.15,
                    mouthPress=0.3,
                    eyeSquint=0.15,
                )
            ),
            pitch=0.08,
            roll=-0.04,
        ),
    }
)

#: The attentive face while the visitor speaks: lifted brows, a hint of a smile, a head tilt
#: (the body leans in: :data:`LISTENING_LEAN`).
LISTENING = Expression(
    MappingProxyType(_sym(browInnerUp=0.15, browOuterUp=0.08, mouthSmile=0.12, eyeWide=0.05)),
    pitch=-0.02,
    roll=0.06,
)
#: Bone → (pitch, yaw, roll) radians of the listening lean (toward the visitor).
LISTENING_LEAN: MappingProxyType = MappingProxyType(
    {"spine": (0.025, 0.0, 0.0), "upperChest": (0.01, 0.0, 0.0)}
)

#: Expression shapes that hold the lips together (name prefixes): while the avatar speaks they
#: give way to the visemes (speech wins over expression at the mouth, as on a real face).
#: concerned's mouthPress 0.25 + mouthShrugLower 0.3 added at full strength to the visemes
#: narrowed the default avatar's mouth on every vowel (review19 F10; dark pixels in the
#: lip-sync mouth box, held vowels aa O E I U, head still: 540 368 353 196 146 against
#: neutral's 567 376 409 242 167). The frown, the smile and the dimple stay: each alone narrows
#: no open vowel (frown 0.55: aa 579, O 402, E 407), and they carry the mood while it speaks.
LIP_CLOSING_SHAPES = ("mouthPress", "mouthShrug", "mouthClose", "mouthRoll")


def yield_to_speech(weights: dict[str, float], speaking: float) -> None:
    """Scale an expression's lip-closing shapes down while the avatar speaks (in place).

    Each shape whose name starts with one of :data:`LIP_CLOSING_SHAPES` is multiplied by
    ``1 - speaking``; other shapes are untouched.

    Args:
        weights: blendshape name → summed expression weight (a mood, the listening face, a
            gesture's smile), before the visemes' own mouth shapes are added.
        speaking: how much a viseme shows, in [0, 1] (the sum of the crossfaded viseme
            weights: 0 in silence, 1 on a held viseme, ramping with the crossfade); clamped.
    """
    keep = 1.0 - min(max(speaking, 0.0), 1.0)
    if keep == 1.0:
        return
    for name in weights:
        if name.startswith(LIP_CLOSING_SHAPES):
            weights[name] *= keep
