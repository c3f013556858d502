"""Prepared replies: the packs' fixed responses synthesized once, ahead of time, and spoken
from that cache when a reply's whole text equals one of them.

Why: on a 2-core CPU every Kokoro run costs ~0.3 s before any audio, so a Mandarin reply's
first audio comes ~680 ms (median) after its text and its second piece can come late (a
0.65-0.7 s stall). The replies a service hall says most are the packs' fixed responses (the
out-of-scope reply, greetings, "请输入…后四位", the sensitive-number warning); kiosks and IVRs
speak such prompts from prepared audio. A hit yields the same chunks live synthesis would have
yielded (one per piece, same PCM, same visemes), at once, so the turn loop, barge-in and the
mouth work unchanged.

What is cached: only the packs' own fixed text: response texts with no slot field (``{...}``)
and no item list, rendered exactly as :func:`dialog.templates.render` renders them with no slot
values, and the knowledge base's answers (each ``##`` section's text, spoken as it stands:
:func:`dialog.kb.parse_markdown`; the tax hall's hours, what to bring …, the answers a hall
gives most after the fixed replies). Slot-filled replies and LLM answers are always synthesized
live and never written anywhere (personal data stays out of the disk); a slot-filled reply whose
first piece is its template's fixed opening (您的账户余额：, 谢谢。, :func:`fixed_openings`) speaks
that piece from the cache, held as live synthesis holds it, while the rest is made live.

The cache file is keyed by :func:`~engine.tts.prepared_key.voice_fingerprint`: what shapes
the audio and nothing else. A different fingerprint is a miss: the server then speaks live
and logs it once. ``make setup`` builds it
(``python -m engine.prepared_cache``); ``tts.prepared_replies: false`` turns it off.
"""

from __future__ import annotations

import json
import logging
import os
import string
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from avatar.visemes import VisemeCue, VisemeTrack
from engine.tts.base import SentenceTTS, TTSChunk, TTSProvider
from engine.tts.prepared_key import FORMAT_VERSION, model_files, voice_fingerprint

__all__ = [
    "FORMAT_VERSION",
    "PREPARED_PROVIDERS",
    "PreparedStore",
    "PreparedTTS",
    "attach",
    "build_store",
    "cache_dir",
    "cache_file",
    "fixed_openings",
    "fixed_texts",
    "has_slots",
    "model_files",
    "voice_fingerprint",
]

log = logging.getLogger(__name__)

#: Providers whose audio is prepared: the offline neural voices, deterministic on one
#: machine. Online voices (edge, openai) and espeak-ng are always live.
PREPARED_PROVIDERS = ("kokoro", "piper")


def cache_dir() -> Path:
    """Where prepared replies live: ``<models dir>/cache`` (beside the embedding cache)."""
    from engine.embeddings import embedding_cache_dir

    return embedding_cache_dir()


def cache_file(directory: Path, language: str, fingerprint: str) -> Path:
    """The cache file of one voice: ``prepared-<language>-<fingerprint[:16]>.npz``."""
    return directory / f"prepared-{language}-{fingerprint[:16]}.npz"


def has_slots(template: str) -> bool:
    """True when ``template`` has a ``{field}`` (a slot, filled per visitor); ``{{`` escapes
    are plain text. Unparseable braces count as slots (never cached)."""
    try:
        return any(name is not None for _, name, _, _ in string.Formatter().parse(template))
    except ValueError:
        return True


def fixed_texts(
    language: str, domains: Iterable[str] | None = None, *, kb: bool = True
) -> list[str]:
    """The packs' fixed texts in ``language`` as spoken, stripped, unique, in pack order: the
    slot-free responses (rendered with no slot values), then the knowledge-base answers.

    Args:
        language: reply language code (``"zh"``, ``"en"``).
        domains: pack names (None: every installed pack, :func:`dialog.pack.known_packs`).
        kb: include the knowledge-base answers (the text of every section in ``language``;
            an FAQ reply speaks its section's text unchanged unless an LLM rephrases it, and
            then it misses the cache).

    Raises:
        dialog.pack.PackError: a pack is invalid.
    """
    from dialog.kb import parse_markdown
    from dialog.pack import known_packs, load_pack, pack_dir
    from dialog.templates import render

    responses: dict[str, None] = {}
    answers: dict[str, None] = {}
    for domain in known_packs() if domains is None else domains:
        pack = load_pack(pack_dir(domain))
        for response in pack.responses.values():
            template = response.texts.get(language)
            if template is None or response.items is not None or has_slots(template):
                continue
            text = render(response, language, {}).text.strip()
            if text:
                responses[text] = None
        for path in pack.kb_files if kb else ():
            for section in parse_markdown(path):
                if section.language == language and section.text.strip():
                    answers[section.text.strip()] = None
    return list(responses) + [t for t in answers if t not in responses]


#: Marks after which a template's fixed opening may end a piece: a clause boundary or a
#: sentence end, as :mod:`engine.tts.sentences` cuts a reply.
_OPENING_ENDS = ",;:，；：、。！？.!?"


def fixed_openings(language: str, domains: Iterable[str] | None = None) -> list[str]:
    """The fixed words a slot-filled response opens with, as pieces a voice may speak first:
    for each template with a slot, each run of its text before the first slot field that ends
    at a clause mark or sentence end (您的账户余额：{...} gives 您的账户余额：; 谢谢。已向您的手机发送
    六位验证码，手机号后四位是{...} gives 谢谢。 and the text up to the ，). Known at setup,
    so they are prepared like the fixed replies; a live reply whose first piece is one of them
    speaks it from the store while the rest is made (:meth:`PreparedTTS.opening`).

    Args:
        language: reply language code.
        domains: pack names (None: every installed pack).

    Raises:
        dialog.pack.PackError: a pack is invalid.
    """
    from dialog.pack import known_packs, load_pack, pack_dir

    out: dict[str, None] = {}
    for domain in known_packs() if domains is None else domains:
        for response in load_pack(pack_dir(domain)).responses.values():
            template = response.texts.get(language)
            if template is None or not has_slots(template):
                continue
            try:
                literal = next(iter(string.Formatter().parse(template)))[0]
            except (ValueError, StopIteration):
                continue
            literal = literal.lstrip()
            for i, ch in enumerate(literal):
                if ch in _OPENING_ENDS and literal[: i + 1].strip(_OPENING_ENDS + " "):
                    out[literal[: i + 1].strip()] = None
    return list(out)


@dataclass(frozen=True, slots=True)
class PreparedStore:
    """Prepared replies of one voice: reply text → its chunks, as live synthesis yields them.

    Attributes:
        fingerprint: :func:`voice_fingerprint` of the voice that made them.
        language: reply language.
        sample_rate: Hz of every chunk.
        replies: text → chunks (int16 PCM, visemes counted from each chunk's first sample).
    """

    fingerprint: str
    language: str
    sample_rate: int
    replies: dict[str, tuple[TTSChunk, ...]]

    def save(self, path: Path) -> None:
        """Write the store to ``path`` (``.npz``) atomically: a temporary file renamed over it.

        Raises:
            OSError: the folder is not writable.
        """
        index: list[dict[str, Any]] = []
        pcm: list[np.ndarray] = []
        for text, chunks in self.replies.items():
            entry = []
            for c in chunks:
                cues = [[q.viseme, q.start_sample, q.end_sample] for q in c.visemes.cues]
                entry.append({"text": c.text, "samples": c.num_samples, "cues": cues})
                pcm.append(np.frombuffer(c.pcm, "<i2"))
            index.append({"text": text, "chunks": entry})
        meta = {
            "fingerprint": self.fingerprint,
            "language": self.language,
            "sample_rate": self.sample_rate,
            "replies": index,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        raw = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), np.uint8)
        np.savez(tmp, meta=raw, pcm=np.concatenate(pcm) if pcm else np.zeros(0, "<i2"))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> PreparedStore:
        """Read a store written by :meth:`save`.

        Raises:
            OSError: unreadable file.
            ValueError: not a prepared-replies file, or its audio and index disagree.
        """
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(data["meta"].tobytes().decode())
            pcm = data["pcm"].astype("<i2", copy=False)
        rate, at = int(meta["sample_rate"]), 0
        replies: dict[str, tuple[TTSChunk, ...]] = {}
        for entry in meta["replies"]:
            chunks = []
            for c in entry["chunks"]:
                n = int(c["samples"])
                cues = tuple(VisemeCue(str(v), int(s), int(e)) for v, s, e in c["cues"])
                chunks.append(
                    TTSChunk(pcm[at : at + n].tobytes(), rate, VisemeTrack(rate, cues), c["text"])
                )
                at += n
            replies[entry["text"]] = tuple(chunks)
        if at != pcm.size:
            raise ValueError(f"{path.name}: index covers {at} samples, file has {pcm.size}")
        return cls(meta["fingerprint"], meta["language"], rate, replies)


class PreparedTTS:
    """A voice that speaks its prepared replies from a :class:`PreparedStore` and every other
    text live (:class:`~engine.tts.base.TTSProvider`). Other attributes (``warm_up``,
    ``with_length_scale`` → a live voice at another rate, ``voice`` …) are the wrapped
    voice's.

    Args:
        voice: the live voice (the one whose fingerprint the store carries).
        store: its prepared replies, same sample rate.

    Raises:
        ValueError: the sample rates differ.
    """

    def __init__(self, voice: TTSProvider, store: PreparedStore) -> None:
        if store.sample_rate != voice.sample_rate:
            raise ValueError(f"store at {store.sample_rate} Hz, voice at {voice.sample_rate} Hz")
        self.live = voice
        self.store = store
        self.sample_rate: int = voice.sample_rate
        self.languages: frozenset[str] = voice.languages

    def __getattr__(self, name: str) -> Any:
        return getattr(self.live, name)

    def prepared(self, text: str, language: str) -> tuple[TTSChunk, ...] | None:
        """The prepared chunks of ``text`` (whole text, exact match), or None."""
        if language != self.store.language:
            return None
        return self.store.replies.get(text.strip())

    def opening(self, text: str, language: str) -> TTSChunk | None:
        """The prepared chunk of ``text``'s first piece when ``text`` has more pieces and the
        store holds that piece as a text of its own, one piece long (a template's fixed
        opening, :func:`fixed_openings`), else None. The same audio live synthesis makes of
        that piece: a piece is synthesized from its own text alone."""
        if language != self.store.language or not isinstance(self.live, SentenceTTS):
            return None
        pieces = self.live.split(text)
        if len(pieces) < 2:
            return None
        chunks = self.store.replies.get(pieces[0])
        if chunks is None or len(chunks) != 1 or chunks[0].text != pieces[0]:
            return None
        return chunks[0]

    async def synthesize(self, text: str, language: str) -> AsyncIterator[TTSChunk]:
        """The prepared chunks of ``text`` when it is one; else the live voice's, opening on
        a prepared first piece when there is one (:meth:`opening`)."""
        chunks = self.prepared(text, language)
        if chunks is not None:
            for chunk in chunks:
                yield chunk
            return
        first = self.opening(text, language)
        live = (
            self.live.synthesize(text, language, first=first)
            if first is not None and isinstance(self.live, SentenceTTS)
            else self.live.synthesize(text, language)
        )
        async for chunk in live:
            yield chunk


def build_store(
    voice: SentenceTTS,
    texts: Iterable[str],
    language: str,
    fingerprint: str,
    old: PreparedStore | None = None,
    progress: Any = None,
    into: dict[str, tuple[TTSChunk, ...]] | None = None,
) -> PreparedStore:
    """Synthesize each of ``texts`` with ``voice`` exactly as live synthesis splits and
    renders it (:meth:`~engine.tts.base.SentenceTTS.synthesize_all`), reusing ``old``'s
    replies of the same fingerprint.

    Args:
        voice: the live voice (blocking synthesis on this thread).
        texts: slot-free pack texts only (:func:`fixed_texts`); nothing personal.
        language: their language.
        fingerprint: :func:`voice_fingerprint` of ``voice``'s config.
        old: a store to reuse replies from (ignored unless its fingerprint matches).
        progress: ``progress(done, total, text)`` after each synthesized text, or None.
        into: a dict the replies are written into as they are made (text → chunks), so a
            caller stopped part way (Ctrl-C during setup) can save those done; None: a new one.

    Raises:
        engine.tts.base.TTSError: synthesis failed.
    """
    reuse = old.replies if old is not None and old.fingerprint == fingerprint else {}
    wanted = list(dict.fromkeys(t.strip() for t in texts if t.strip()))
    replies: dict[str, tuple[TTSChunk, ...]] = {} if into is None else into
    todo = [t for t in wanted if t not in reuse]
    for text in wanted:
        if text in reuse:
            replies[text] = reuse[text]
    for i, text in enumerate(todo, 1):
        replies[text] = tuple(voice.synthesize_all(text, language))
        if progress is not None:
            progress(i, len(todo), text)
    return PreparedStore(fingerprint, language, voice.sample_rate, replies)


_reported: set[str] = set()


def attach(voice: TTSProvider, voice_config: Any, language: str) -> TTSProvider:
    """``voice`` speaking its prepared replies when the cache holds a store of its
    fingerprint (:class:`PreparedTTS`), else ``voice`` itself (logged once per language:
    missing or stale cache, live synthesis).

    Never raises: a cache that cannot be read means live synthesis.
    """
    if voice_config.provider not in PREPARED_PROVIDERS or not isinstance(voice, SentenceTTS):
        return voice
    try:
        fingerprint = voice_fingerprint(voice_config, language)
        path = cache_file(cache_dir(), language, fingerprint)
        if path.is_file():
            store = PreparedStore.load(path)
            log.info("%d prepared %s replies loaded from %s", len(store.replies), language, path)
            return PreparedTTS(voice, store)
        stale = sorted(path.parent.glob(f"prepared-{language}-*.npz"))
        why = "stale (another voice setting or model)" if stale else "not built"
    except Exception as exc:  # the cache is an optimisation, never a failure
        why = f"unreadable ({exc})"
    if language not in _reported:
        _reported.add(language)
        log.warning(
            "prepared %s replies %s: the pack's fixed replies are synthesized live "
            "(make setup, or python -m engine.prepared_cache, prepares them)",
            language,
            why,
        )
    return voice
