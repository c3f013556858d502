"""``python -m engine.prepared_cache``: synthesize every installed pack's fixed replies (no
slot field), knowledge-base answers and the fixed openings of slot-filled replies
(:func:`~engine.tts.prepared.fixed_openings`) with each configured offline voice into the
prepared-replies cache (:mod:`engine.tts.prepared`, ``<models dir>/cache/prepared-<language>-<key>.npz``).

``make setup`` runs it after the embedding cache. Safe to run at any time and to interrupt:
the cache holds the packs' own fixed text only, is written atomically, and replies already prepared
under the same voice fingerprint are kept, so a warm cache makes this a few seconds. Ctrl-C
(SIGINT) or SIGTERM stops it within a fraction of a second (:func:`prepare`): the replies done so
far are saved, the rest are spoken live, and the next run goes on from there (exit status 130). Uses the
default config's ``tts.voices`` (with ``DHE_*`` variables applied); does nothing when
``tts.prepared_replies`` is false.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from engine.tts.prepared import (
    PREPARED_PROVIDERS,
    PreparedStore,
    build_store,
    cache_dir,
    cache_file,
    fixed_openings,
    fixed_texts,
    voice_fingerprint,
)
from engine.tts.prepared_key import legacy_fingerprint

if TYPE_CHECKING:
    from engine.config import VoiceConfig


def time_left(elapsed_s: float, done_chars: int, total_chars: int) -> str:
    """``", about N min left"`` at the pace so far per character of text (``elapsed_s`` for
    ``done_chars`` of ``total_chars``), or ``""`` when all are done.

    The pace is per character, not per text: the packs' short fixed replies come first and
    their long knowledge-base answers last, so a pace per text promised far too little time
    early on. Measured with the English Piper voice (a loaded machine): the first ten texts
    1.19 s a text and 11.8 ms a character, the last ten 4.25 s a text and 13.0 ms a
    character. The pace so far is a busy machine's pace too: its Mandarin took 26 min where a
    quiet one took 2.
    """
    if done_chars <= 0 or done_chars >= total_chars:
        return ""
    return f", about {max(1, round(elapsed_s / done_chars * (total_chars - done_chars) / 60))} min left"


#: How often the main thread looks up from waiting on the synthesis thread, in seconds: the
#: longest a Ctrl-C waits to be acted on (a signal handler runs only between bytecodes of the
#: main thread, and one onnxruntime call of a long reply takes tens of seconds on busy cores).
POLL_S = 0.2
#: The exit status after Ctrl-C or SIGTERM (128 + SIGINT, as a shell reports it).
STOPPED = 130


class Stopped(Exception):
    """Ctrl-C or SIGTERM arrived while replies were synthesized (:func:`prepare` saved those
    done)."""


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signal.Signals(signum).name)


def _carry_over_legacy(
    language: str, voice_config: VoiceConfig, directory: Path, fingerprint: str
) -> None:
    """A store prepared under :func:`~engine.tts.prepared_key.legacy_fingerprint` (model files
    keyed by mtime) from the files still there unchanged is saved again under ``fingerprint``
    (a few seconds instead of minutes of synthesis); anything unreadable is left to
    :func:`prepare`, which rebuilds it."""
    path = cache_file(directory, language, fingerprint)
    legacy = cache_file(directory, language, legacy_fingerprint(voice_config, language))
    if path.is_file() or not legacy.is_file() or legacy == path:
        return
    try:
        store = PreparedStore.load(legacy)
    except (OSError, ValueError, KeyError):
        return
    replace(store, fingerprint=fingerprint).save(path)
    legacy.unlink(missing_ok=True)
    print(f"  {language}: {len(store.replies)} replies carried over to {path.name}", flush=True)


def prepare(language: str, voice_config: VoiceConfig, directory: Path, texts: list[str]) -> int:
    """Bring ``directory``'s store of one voice up to date with ``texts``; remove the
    language's stores of other fingerprints. Returns how many texts were synthesized.

    Args:
        language: ``zh`` or ``en``.
        voice_config: the voice of ``language`` (``tts.voices.<language>``), keyed by
            :func:`~engine.tts.prepared.voice_fingerprint`.
        directory: the cache folder (``var/cache``); the store is
            ``prepared-<language>-<fingerprint[:16]>.npz`` there (:func:`cache_file`).
        texts: the texts to have ready (:func:`main`: :func:`fixed_texts` and
            :func:`fixed_openings`).

    Raises:
        engine.tts.base.TTSError: the voice cannot be loaded or synthesis failed.
        OSError: the cache cannot be written.
        Stopped: Ctrl-C or SIGTERM (with :func:`main`'s handlers) or KeyboardInterrupt
            arrived; the replies synthesized so far were saved first.
    """
    from engine.voices import build_voice

    fingerprint = voice_fingerprint(voice_config, language)
    path = cache_file(directory, language, fingerprint)
    _carry_over_legacy(language, voice_config, directory, fingerprint)
    old = None
    if path.is_file():
        try:
            old = PreparedStore.load(path)
        except (OSError, ValueError, KeyError) as exc:
            print(f"  {language}: unreadable cache rebuilt ({exc})", flush=True)
    if old is not None and set(texts) <= set(old.replies):
        print(f"  {language}: {len(texts)} fixed replies already prepared", flush=True)
        return 0
    t0 = time.perf_counter()
    voice = build_voice(voice_config, language)
    todo = {t.strip() for t in texts if t.strip()} - set(old.replies if old else ())
    missing, chars = len(todo), [0, sum(map(len, todo))]  # chars: synthesized, to synthesize
    print(
        f"  {language}: preparing {missing} of {len(texts)} fixed replies … (Ctrl-C skips "
        "the rest: the server speaks them live, and the next `make` goes on from here)",
        flush=True,
    )

    def progress(done: int, total: int, text: str) -> None:
        chars[0] += len(text)
        if done % 10 == 0 or done == total:
            left = time_left(time.perf_counter() - started, chars[0], chars[1])
            skip = " (Ctrl-C skips the rest)" if left else ""
            print(f"  {language}: {done} of {total} synthesized{left}{skip}", flush=True)

    started = time.perf_counter()
    done: dict = {}
    result: list = []

    def work() -> None:
        try:
            result.append(build_store(voice, texts, language, fingerprint, old, progress, done))  # type: ignore[arg-type]
        except BaseException as exc:  # handed to the main thread
            result.append(exc)

    # The synthesis runs on a daemon thread and this thread waits in short slices, so a
    # Ctrl-C is acted on at once: on the main thread it waited for the onnxruntime call of
    # the reply under way (tens of seconds on busy cores; newcomer16 #4).
    worker = threading.Thread(target=work, name=f"prepare-{language}", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(POLL_S)
    except (Stopped, KeyboardInterrupt):
        kept = dict(done)  # one copy under the GIL: the thread may add one meanwhile
        reused = old.replies if old is not None and old.fingerprint == fingerprint else {}
        # ``done`` also holds the replies reused from the old store: count only those made now
        made = sum(1 for text in kept if text not in reused)
        if made:
            partial = {**reused, **kept}
            PreparedStore(fingerprint, language, voice.sample_rate, partial).save(path)
        print(
            f"  {language}: stopped: {made} of {missing} fixed replies prepared now and "
            f"saved, {missing - made} skipped. The server speaks the skipped ones live "
            "(a slower first reply each); the next `make` (or `make run`) goes on from here, "
            "and `DHE_TTS__PREPARED_REPLIES=false make run` starts the server without them.",
            flush=True,
        )
        raise Stopped(language) from None
    if isinstance(result[0], BaseException):
        raise result[0]
    store = result[0]
    store.save(path)
    for other in directory.glob(f"prepared-{language}-*.npz"):
        if other != path:
            other.unlink(missing_ok=True)
    mib = path.stat().st_size / 2**20
    took = time.perf_counter() - t0
    print(f"  {language}: prepared in {took:.0f} s, {mib:.1f} MiB: {path.name}", flush=True)
    return missing


def main() -> int:
    """Prepare each configured offline voice's fixed replies; one line per language.

    Returns:
        0, or 1 when the config, a pack, a voice or the cache folder fails (the reason on
        stderr; the server then speaks those replies live). Ctrl-C or SIGTERM ends the
        process with :data:`STOPPED` (130) once the replies done are saved.
    """
    from engine.config import ConfigError, load_config

    try:
        tts = load_config(None).tts
    except ConfigError as exc:
        print(f"prepared replies not built: {exc}", file=sys.stderr)
        return 1
    if not tts.prepared_replies:
        # the setup's next run said "prepared already" of a cache that held 45 of 171 English
        # replies and no Mandarin one (fixes19 #4): it repeats this line instead
        _write_state(tts, off=True)
        return 0
    # A background job (`make run &`, a script) inherits SIGINT ignored, and Python keeps it
    # so: `kill -INT` did nothing for > 40 s (newcomer16 #4). Stopping here is always safe.
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        status = _prepare_all(tts)
        _write_state(tts, off=False)
        return status
    except Stopped as exc:
        if str(exc).startswith("SIG"):  # before any synthesis began
            print(
                "  stopped before any reply was synthesized: the server speaks them live; "
                "the next `make` prepares them",
                flush=True,
            )
        sys.stdout.flush()
        os._exit(STOPPED)  # the synthesis thread may be inside onnxruntime: do not wait for it


#: Where :func:`main` leaves its one-line account of the cache, in the cache folder: the setup
#: prints it when its stamp skips this step (``scripts/setup.sh``).
STATE_FILE = ".prepared-state"
_LANGUAGE_NAMES = {"en": "English", "zh": "Mandarin"}


def prepared_counts(tts) -> list[tuple[str, int, int]]:
    """How many of each offline voice's fixed replies the cache holds for its voice as now set.

    Args:
        tts: the ``tts`` config section (:class:`engine.config_sections.TTSConfig`).

    Returns:
        ``(language, prepared, total)`` per language whose voice is prepared ahead
        (:data:`~engine.tts.prepared.PREPARED_PROVIDERS`); ``prepared`` counts the texts found
        in the store of the voice's current fingerprint (0 without one, or an unreadable one).
    """
    counts = []
    for language, voice in tts.voices.items():
        if voice.provider not in PREPARED_PROVIDERS:
            continue
        texts = {t.strip() for t in _texts_to_prepare(language) if t.strip()}
        path = cache_file(cache_dir(), language, voice_fingerprint(voice, language))
        have: set[str] = set()
        if path.is_file():
            try:
                have = set(PreparedStore.load(path).replies)
            except (OSError, ValueError, KeyError):
                have = set()
        counts.append((language, len(texts & have), len(texts)))
    return counts


def state_line(counts: list[tuple[str, int, int]], *, off: bool) -> str:
    """One line on the prepared replies: ``"off (tts.prepared_replies: false): every reply is
    spoken live; 45 of 173 English and 0 of 174 Mandarin prepared"`` or ``"173 of 173 English
    and 174 of 174 Mandarin prepared"``.

    Args:
        counts: :func:`prepared_counts`'s answer.
        off: ``tts.prepared_replies`` is false.
    """
    parts = [f"{n} of {total} {_LANGUAGE_NAMES.get(lang, lang)}" for lang, n, total in counts]
    held = (" and ".join(parts) + " prepared") if parts else "no offline voice to prepare"
    if off:
        return f"off (tts.prepared_replies: false): every reply is spoken live; {held}"
    short = sum(total - n for _, n, total in counts)
    return held + (f"; the other {short} are spoken live" if short else "")


def _write_state(tts, *, off: bool) -> None:
    """Print :func:`state_line` and keep it in :data:`STATE_FILE` (best effort)."""
    from dialog.pack import PackError

    try:
        line = state_line(prepared_counts(tts), off=off)
    except (PackError, OSError) as exc:
        line = f"{'off; ' if off else ''}not counted ({exc})"
    print(f"  prepared replies: {line}", flush=True)
    try:
        cache_dir().mkdir(parents=True, exist_ok=True)
        (cache_dir() / STATE_FILE).write_text(line + "\n", encoding="utf-8")
    except OSError:
        pass


def _texts_to_prepare(language: str) -> list[str]:
    """The texts prepared for ``language``: the packs' slot-free replies and the fixed openings
    of their slot-filled ones (:func:`fixed_texts`, :func:`fixed_openings`)."""
    return fixed_texts(language) + fixed_openings(language)


def _prepare_all(tts) -> int:
    """:func:`main`'s loop over the configured voices (its return value)."""
    from dialog.pack import PackError
    from engine.tts.base import TTSError

    for language, voice in tts.voices.items():
        if voice.provider not in PREPARED_PROVIDERS:
            print(f"  {language}: {voice.provider} voice, spoken live", flush=True)
            continue
        try:
            prepare(language, voice, cache_dir(), _texts_to_prepare(language))
        except (PackError, TTSError, OSError) as exc:
            print(f"prepared {language} replies not built: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
