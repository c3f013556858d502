"""A domain pack as data: intents, slots, responses and flows read from YAML.

Layout of ``assets/domains/<name>/`` (Chinese and English side by side):

* ``domain.yaml`` — ``name``, ``languages``, ``settings`` and ``slots``;
* ``intents.yaml`` — each intent with exactly one of ``flow``, ``response``, ``kb``, ``command``,
  ``out_of_scope``, and its training ``examples`` per language; an out-of-scope intent may name
  the knowledge-base section that answers it (``answer: Making a transfer``): a request the
  avatar cannot carry out that the section explains how to do;
* ``responses.yaml`` — reply templates: text per language, ``emotion``, ``gesture``, ``card``;
* ``flows.yaml`` — Rasa-shaped flows (see :mod:`dialog.pack_check` for the step grammar);
* ``kb/*.md`` — the knowledge base (``faq.en.md``, ``faq.zh.md`` …);
* ``eval/`` — labelled test sets kept apart from the training examples.

:func:`load_pack` returns a frozen :class:`Pack` or raises :class:`PackError` listing every
problem as ``FILE:LINE: message``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The default folder of domain packs: ``<repo>/assets/domains``.
DEFAULT_PACKS_DIR = Path(__file__).resolve().parent.parent / "assets" / "domains"

#: The ways an intent can be handled (exactly one per intent).
INTENT_KINDS: tuple[str, ...] = ("flow", "response", "kb", "command", "out_of_scope")
#: Conversation commands that work everywhere.
COMMANDS: frozenset[str] = frozenset({"cancel", "restart", "repeat", "slower", "human"})
#: Slot types and the extractor that fills each (:mod:`dialog.entities`, :mod:`dialog.when`).
SLOT_TYPES: frozenset[str] = frozenset(
    {"digits", "yes_no", "text", "amount", "datetime", "date", "year", "choice", "any"}
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a pack.

    Attributes:
        file: the file, relative to the pack's parent folder when possible.
        line: 1-based line; 0 when the problem is the whole file or folder (a missing one).
        message: what is wrong, naming the YAML path (``flows.check_balance.steps[2].next``).
    """

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        """``FILE:LINE: message``, or ``FILE: message`` without a line."""
        if self.line <= 0:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}: {self.message}"


class PackError(ValueError):
    """A pack could not be loaded; ``problems`` lists each reason."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class SlotDef:
    """A slot: its type, digit ``length`` for ``digits``, and whether it holds personal data.

    Attributes:
        name: slot name.
        type: one of :data:`SLOT_TYPES`.
        length: exact digit count for ``digits`` slots, else ``None``.
        sensitive: never written to the audit trail (codes, tokens, card digits).
        choices_from: for ``choice`` slots, the slot holding the list of options.
        initial: the value at session start.
        persist: kept when a flow ends or is cancelled (verification token, lock); every slot
            is still wiped when the session ends.
    """

    name: str
    type: str = "any"
    length: int | None = None
    sensitive: bool = False
    choices_from: str | None = None
    initial: Any = None
    persist: bool = False


@dataclass(frozen=True, slots=True)
class Response:
    """A reply template.

    Attributes:
        name: ``utter_*``.
        texts: text per language; ``{slot}`` placeholders are filled from slots.
        emotion: one of ``neutral, happy, concerned, apologetic``.
        gesture: ``nod``, ``wave``, ``point_to_screen`` or ``None``.
        card: screen card template (strings may hold placeholders) or ``None``.
        items: how to render a list slot into ``{items}``: ``slot``, per-language item
            template, ``separator`` (per language or one string), ``max``.
    """

    name: str
    texts: Mapping[str, str]
    emotion: str = "neutral"
    gesture: str | None = None
    card: Mapping[str, Any] | None = None
    items: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Intent:
    """An intent: how it is handled and what it sounds like.

    Attributes:
        name: intent name.
        kind: one of :data:`INTENT_KINDS`.
        target: flow id, response name, command name, ``""`` (kb), or for out_of_scope the
            knowledge-base heading that answers it (its ``answer:``; ``""``: none).
        examples: training utterances per language.
    """

    name: str
    kind: str
    target: str
    examples: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Step:
    """One flow step.

    Attributes:
        id: the step's id (given, or ``<index>``).
        type: ``collect``, ``action``, ``say``, ``set_slots``, ``link``, ``call``, ``handoff``
            or ``noop``.
        spec: the step's YAML mapping.
        index: position in the flow.
        line: 1-based line in ``flows.yaml``.
    """

    id: str
    type: str
    spec: Mapping[str, Any]
    index: int
    line: int = 0

    @property
    def value(self) -> Any:
        """The value of the step's type key (``collect: card_last4`` → ``"card_last4"``)."""
        return self.spec.get(self.type)


@dataclass(frozen=True, slots=True)
class Flow:
    """A flow: id, description, steps.

    Attributes:
        id: flow id.
        description: what the flow does (required, as in Rasa CALM).
        steps: the steps in order.
        line: 1-based line in ``flows.yaml``.
    """

    id: str
    description: str
    steps: tuple[Step, ...]
    line: int = 0

    def index_of(self, step_id: str) -> int:
        """Index of the step with ``step_id``.

        Raises:
            KeyError: no such step.
        """
        for step in self.steps:
            if step.id == step_id:
                return step.index
        raise KeyError(step_id)


@dataclass(frozen=True, slots=True)
class Pack:
    """A loaded, validated domain pack.

    Attributes:
        name: the domain (``bank``).
        root: the pack folder.
        languages: the languages it speaks.
        settings: thresholds and limits (``nlu_threshold``, ``nlu_oos_margin``, ``kb_min_score``, ``max_attempts``,
            ``max_otp_failures`` …).
        slots: slot definitions by name.
        intents: intents by name.
        responses: responses by name.
        flows: flows by id.
        kb_files: the knowledge-base Markdown files.
    """

    name: str
    root: Path
    languages: tuple[str, ...]
    settings: Mapping[str, Any]
    slots: Mapping[str, SlotDef]
    intents: Mapping[str, Intent]
    responses: Mapping[str, Response]
    flows: Mapping[str, Flow]
    kb_files: tuple[Path, ...] = field(default_factory=tuple)

    def setting(self, key: str, default: Any) -> Any:
        """A setting, or ``default`` when the pack does not set it."""
        return self.settings.get(key, default)


def load_pack(root: Path) -> Pack:
    """Load and validate the pack in ``root``.

    Args:
        root: the pack folder (``assets/domains/bank``).

    Returns:
        The pack.

    Raises:
        FileNotFoundError: ``root`` is not a folder (no such domain).
        PackError: one or more problems (each ``FILE:LINE: message``).
    """
    from dialog.pack_check import check_pack

    if not root.is_dir():
        raise FileNotFoundError(f"no domain pack at {root}")
    pack, problems = check_pack(root)
    if problems or pack is None:
        raise PackError(problems or [Problem(str(root), 0, "not a pack")])
    return pack


def known_packs(packs_dir: Path | None = None) -> list[str]:
    """The names of the packs under ``packs_dir`` (default :data:`DEFAULT_PACKS_DIR`): its
    folders that hold a ``domain.yaml``, sorted; empty when ``packs_dir`` is not a folder."""
    root = packs_dir or DEFAULT_PACKS_DIR
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "domain.yaml").is_file())


def unknown_pack_message(domain: str, packs_dir: Path | None = None) -> str | None:
    """Why ``domain`` names no pack under ``packs_dir`` (the known packs, never a path), or None
    when it names one. A name must be one of :func:`known_packs`: ``.``,
    ``../x`` or ``a/b`` never are."""
    known = known_packs(packs_dir)
    if domain in known:
        return None
    return f"no such domain pack (known: {', '.join(known) or 'none'})"


def pack_dir(domain: str, packs_dir: Path | None = None) -> Path:
    """The folder of pack ``domain`` under ``packs_dir`` (default :data:`DEFAULT_PACKS_DIR`)."""
    return (packs_dir or DEFAULT_PACKS_DIR) / domain
