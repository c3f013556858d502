"""Read a pack's YAML into :mod:`dialog.pack` objects, naming the file, line and YAML path of
every problem (``dhe pack check``). What each flow step names (slots, responses, flows,
connector operations, error codes, steps) is checked against the whole pack by
:mod:`dialog.flow_check`.

Step grammar (one type key per step, plus optional ``id`` and ``next``):

* ``collect: SLOT`` with ``utter`` (the question), optional ``rejections`` (list of
  ``{if: EXPR, utter: RESPONSE}``; ``value`` is the candidate), ``max_attempts``, ``on_max``
  (step id; default hand-off), ``ask_before_filling`` and ``help`` (``{utter: RESPONSE,
  words: {LANG: [word, …]}, lacking: {LANG: [word, …]}}``: a line with one of the words that
  gives no value, such as "I didn't get the code" at the code question, hears RESPONSE and the
  question again, with no failed attempt; a ``lacking`` word, one that only says the visitor
  lacks something, does not do so in a clear question the knowledge base answers:
  :func:`dialog.waiting.asks_about_the_question`, checked by :mod:`dialog.flow_check`);
* ``action: SYSTEM.OPERATION`` with ``params`` (``"{slot}"`` placeholders), ``result``
  (``{slot: field}``), ``on_error`` (``{code|default: step id}``) and ``side_effect``;
* ``say: RESPONSE``; ``set_slots: {slot: value}`` (a value ``"=EXPR"`` is evaluated);
* ``link: FLOW`` (go on in another flow), ``call: FLOW`` (run a child flow, then come back);
* ``handoff: REASON``; ``noop: true`` (only branches).

``next`` is a step id, ``END``, or a list of ``{if: EXPR, then: ID}`` ending in ``{else: ID}``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dialog.flow_check import check_step
from dialog.kb import lint_markdown, parse_markdown
from dialog.pack import (
    COMMANDS,
    INTENT_KINDS,
    SLOT_TYPES,
    Flow,
    Intent,
    Pack,
    Problem,
    Response,
    SlotDef,
    Step,
)
from dialog.types import EMOTIONS, GESTURES
from dialog.yaml_lines import LineDict, LineList, YamlSyntaxError, line_at, load_yaml

STEP_TYPES = ("collect", "action", "say", "set_slots", "link", "call", "handoff", "noop")
STEP_KEYS = {
    "collect": {"utter", "rejections", "max_attempts", "on_max", "ask_before_filling", "help"},
    "action": {"params", "result", "on_error", "side_effect"},
}
#: Responses the engine itself uses; every pack defines them.
REQUIRED_RESPONSES = (
    "utter_out_of_scope",
    "utter_no_input",
    "utter_cancelled",
    "utter_restarted",
    "utter_handoff",
    "utter_kb_unknown",
    "utter_reprompt",
    "utter_slower",
    "utter_nothing_to_repeat",
    "utter_error_default",
    "utter_resume",
)


class _Checker:
    """Collects problems while building the pack model."""

    def __init__(self, root: Path, shown: str | None = None) -> None:
        self.root = root
        self.shown = shown if shown is not None else root.name
        self.problems: list[Problem] = []

    def add(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(os.path.join(self.shown, file), line, message))

    def load(self, name: str) -> LineDict | None:
        path = self.root / name
        if not path.is_file():
            self.add(name, 0, "file missing")
            return None
        try:
            doc = load_yaml(path)
        except YamlSyntaxError as exc:
            self.add(name, exc.line, f"YAML syntax: {exc.message}")
            return None
        if not isinstance(doc, LineDict):
            self.add(name, 1, "top level must be a mapping")
            return None
        return doc

    def mapping(self, parent: Any, key: str, file: str, path: str) -> LineDict:
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None:
            return LineDict()
        if not isinstance(value, LineDict):
            self.add(file, line_at(parent, key), f"{path}: must be a mapping")
            return LineDict()
        return value


def _slots(c: _Checker, domain: LineDict) -> dict[str, SlotDef]:
    slots: dict[str, SlotDef] = {}
    for name, spec in c.mapping(domain, "slots", "domain.yaml", "slots").items():
        path = f"slots.{name}"
        spec = spec if isinstance(spec, LineDict) else LineDict()
        kind = spec.get("type", "any")
        if kind not in SLOT_TYPES:
            c.add("domain.yaml", line_at(spec, "type"), f"{path}.type: unknown type {kind!r}")
        length = spec.get("length")
        if kind == "digits" and not isinstance(length, int):
            c.add("domain.yaml", line_at(spec), f"{path}.length: digits slots need an integer")
        slots[name] = SlotDef(
            name=name,
            type=kind,
            length=length if isinstance(length, int) else None,
            sensitive=bool(spec.get("sensitive", False)),
            choices_from=spec.get("choices_from"),
            initial=spec.get("initial"),
            persist=bool(spec.get("persist", False)),
        )
    return slots


def _responses(c: _Checker, doc: LineDict, languages: tuple[str, ...]) -> dict[str, Response]:
    out: dict[str, Response] = {}
    for name, spec in c.mapping(doc, "responses", "responses.yaml", "responses").items():
        path = f"responses.{name}"
        if not isinstance(spec, LineDict):
            c.add("responses.yaml", line_at(doc["responses"], name), f"{path}: must be a mapping")
            continue
        for lang in languages:
            if not isinstance(spec.get(lang), str) or not spec.get(lang).strip():
                c.add("responses.yaml", line_at(spec), f"{path}.{lang}: text missing")
        emotion = spec.get("emotion", "neutral")
        if emotion not in EMOTIONS:
            c.add("responses.yaml", line_at(spec, "emotion"), f"{path}.emotion: {emotion!r}")
        gesture = spec.get("gesture")
        if gesture is not None and gesture not in GESTURES:
            c.add("responses.yaml", line_at(spec, "gesture"), f"{path}.gesture: {gesture!r}")
        card = spec.get("card")
        if card is not None and not isinstance(card, dict):
            c.add("responses.yaml", line_at(spec, "card"), f"{path}.card: must be a mapping")
        items = spec.get("items")
        if items is not None and not (isinstance(items, dict) and "slot" in items):
            c.add("responses.yaml", line_at(spec, "items"), f"{path}.items: needs a slot")
            items = None
        texts = {lang: str(spec.get(lang, "")) for lang in languages}
        card = dict(card) if isinstance(card, dict) else None
        out[name] = Response(name, texts, emotion, gesture, card, dict(items) if items else None)
    for name in REQUIRED_RESPONSES:
        if name not in out:
            c.add("responses.yaml", 1, f"responses.{name}: required response missing")
    return out


def _intents(c: _Checker, doc: LineDict, languages: tuple[str, ...]) -> dict[str, Intent]:
    out: dict[str, Intent] = {}
    for name, spec in c.mapping(doc, "intents", "intents.yaml", "intents").items():
        path = f"intents.{name}"
        if not isinstance(spec, LineDict):
            c.add("intents.yaml", line_at(doc["intents"], name), f"{path}: must be a mapping")
            continue
        kinds = [k for k in INTENT_KINDS if k in spec]
        if len(kinds) != 1:
            c.add("intents.yaml", line_at(spec), f"{path}: needs exactly one of {INTENT_KINDS}")
            continue
        kind = kinds[0]
        target = spec[kind] if kind in ("flow", "response", "command") else ""
        if kind == "out_of_scope":  # a knowledge-base heading that answers it, or none
            target = spec.get("answer") or ""
        if kind == "command" and target not in COMMANDS:
            c.add("intents.yaml", line_at(spec, kind), f"{path}.command: unknown {target!r}")
        examples = spec.get("examples") or LineDict()
        per_lang: dict[str, tuple[str, ...]] = {}
        for lang in languages:
            items = examples.get(lang) if isinstance(examples, dict) else None
            if not isinstance(items, list) or not items:
                c.add("intents.yaml", line_at(spec), f"{path}.examples.{lang}: no examples")
                items = []
            for i, item in enumerate(items):
                if not isinstance(item, str):
                    line = items.line_of(i) if isinstance(items, LineList) else line_at(spec)
                    c.add(
                        "intents.yaml",
                        line,
                        f"{path}.examples.{lang}[{i}]: {item!r} is not text (quote it)",
                    )
            per_lang[lang] = tuple(str(x) for x in items)
        out[name] = Intent(name, kind, str(target), per_lang)
    return out


def _flows(c: _Checker, doc: LineDict) -> dict[str, Flow]:
    flows: dict[str, Flow] = {}
    for fid, spec in c.mapping(doc, "flows", "flows.yaml", "flows").items():
        path = f"flows.{fid}"
        if not isinstance(spec, LineDict):
            c.add("flows.yaml", line_at(doc["flows"], fid), f"{path}: must be a mapping")
            continue
        if not str(spec.get("description", "")).strip():
            c.add("flows.yaml", line_at(spec), f"{path}.description: required")
        raw_steps = spec.get("steps")
        if not isinstance(raw_steps, LineList) or not raw_steps:
            c.add("flows.yaml", line_at(spec), f"{path}.steps: must be a non-empty list")
            continue
        steps: list[Step] = []
        for i, raw in enumerate(raw_steps):
            spath, sline = f"{path}.steps[{i}]", raw_steps.line_of(i)
            if not isinstance(raw, LineDict):
                c.add("flows.yaml", sline, f"{spath}: must be a mapping")
                continue
            types = [t for t in STEP_TYPES if t in raw]
            if len(types) != 1:
                c.add("flows.yaml", sline, f"{spath}: needs exactly one step type of {STEP_TYPES}")
                continue
            known = {"id", "next", types[0], *STEP_KEYS.get(types[0], ())}
            for key in raw:
                if key not in known:
                    c.add("flows.yaml", raw.line_of(key), f"{spath}.{key}: unknown key")
            steps.append(Step(str(raw.get("id", i)), types[0], raw, i, sline))
        ids = [s.id for s in steps]
        for s in steps:
            if ids.count(s.id) > 1:
                c.add("flows.yaml", s.line, f"{path}.steps[{s.index}].id: duplicate {s.id!r}")
        flows[fid] = Flow(fid, str(spec.get("description", "")), tuple(steps), line_at(spec))
    return flows


def check_pack(root: Path, shown: str | None = None) -> tuple[Pack | None, list[Problem]]:
    """Read and validate the pack in ``root``.

    Args:
        root: the pack folder.
        shown: how problems name the folder (the path a user typed); default its name alone
            (``bank/flows.yaml``), which names no folder of the machine.

    Returns:
        ``(pack, problems)``; ``pack`` is ``None`` when a file could not be read at all.
    """
    c = _Checker(root, shown)
    if not root.is_dir():
        return None, [Problem(c.shown, 0, "pack folder not found")]
    domain, intents_doc = c.load("domain.yaml"), c.load("intents.yaml")
    responses_doc, flows_doc = c.load("responses.yaml"), c.load("flows.yaml")
    if None in (domain, intents_doc, responses_doc, flows_doc):
        return None, c.problems
    languages = tuple(domain.get("languages") or ("en", "zh"))
    pack = Pack(
        name=str(domain.get("name", root.name)),
        root=root,
        languages=languages,
        settings=dict(c.mapping(domain, "settings", "domain.yaml", "settings")),
        slots=_slots(c, domain),
        intents=_intents(c, intents_doc, languages),
        responses=_responses(c, responses_doc, languages),
        flows=_flows(c, flows_doc),
        kb_files=tuple(sorted((root / "kb").glob("*.md"))),
    )
    for intent in pack.intents.values():
        line = line_at(intents_doc["intents"], intent.name)
        if intent.kind == "flow" and intent.target not in pack.flows:
            c.add(
                "intents.yaml", line, f"intents.{intent.name}.flow: unknown flow {intent.target!r}"
            )
        if intent.kind == "response" and intent.target not in pack.responses:
            c.add(
                "intents.yaml", line, f"intents.{intent.name}.response: unknown {intent.target!r}"
            )
    headings = {s.heading for path in pack.kb_files for s in parse_markdown(path)}
    for intent in pack.intents.values():
        if intent.kind == "out_of_scope" and intent.target and intent.target not in headings:
            line = line_at(intents_doc["intents"], intent.name)
            message = f"intents.{intent.name}.answer: no knowledge-base heading {intent.target!r}"
            c.add("intents.yaml", line, message)
    for flow in pack.flows.values():
        for step in flow.steps:
            check_step(c, pack, flow, step)
    for path in pack.kb_files:
        for line, message in lint_markdown(path):
            c.add(f"kb/{path.name}", line, message)
    _kb_languages(c, pack)
    return pack, c.problems


def _kb_languages(c: _Checker, pack: Pack) -> None:
    """A knowledge base speaks every language the pack declares, in parallel files: the same
    number of sections in each (``dialog.kb.KnowledgeBase`` pairs a section with its
    translation by position, and pairs nothing when the counts differ). newcomer18: a
    ``faq.zh.md`` one section short, or missing, passed the check."""
    counts: dict[str, dict[str, int]] = {}
    for path in pack.kb_files:
        for section in parse_markdown(path):
            files = counts.setdefault(section.language, {})
            files[path.name] = files.get(path.name, 0) + 1
    if not counts:
        return
    for language in pack.languages:
        if language not in counts:
            c.add("kb", 0, f"no knowledge-base file in {language!r}, a language of domain.yaml")
    totals = {language: sum(files.values()) for language, files in counts.items()}
    if len(set(totals.values())) > 1:
        said = ", ".join(
            f"{language}: {total} ({', '.join(sorted(counts[language]))})"
            for language, total in sorted(totals.items())
        )
        c.add(
            "kb",
            0,
            f"sections per language differ ({said}): keep them parallel, one "
            "section per topic in the same order in each language",
        )
