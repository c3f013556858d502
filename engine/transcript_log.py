"""What the visitor said, in the log: every transcript line passes :func:`dialog.sensitive.mask_line`
first, the one masking of a visitor's line (captions and ``dhe converse --json`` use it too).

Logs show at most the last 4 digits of card, account, ID and phone numbers
(``docs/architecture.md``, "Data, privacy, configuration"). The log handler's own filter
(:class:`engine.logs.MaskingFilter`) only sees digit runs; a transcript can hold a number as
Chinese numerals or English digit words too (``幺三八…``, ``four four one seven …``), which only
:func:`dialog.redact` reads, and a deployment may log through handlers of its own. So the
transcript is masked here, before any handler sees it: full numbers keep their last 4 digits, a
PIN (under its cue word, a misheard one — "my pill is 4831", 密马 — or right after a full number)
is hidden whole, and at the one-time code's question (:func:`dialog.lapse.code_awaited`) every number is.

Final transcripts are INFO (``-v``), interim ones DEBUG (``-vv``), on the ``engine.transcript``
logger.
"""

from __future__ import annotations

import logging

from dialog.sensitive import mask_line

log = logging.getLogger("engine.transcript")


def log_transcript(
    session_id: str,
    turn_id: str | None,
    text: str,
    language: str,
    *,
    final: bool,
    code: bool = False,
) -> None:
    """Log one transcript of a visitor's turn with full numbers masked.

    Args:
        session_id: the session.
        turn_id: the turn (None for an interim transcript before the turn has an id).
        text: the transcript as ASR wrote it (unmasked); nothing is logged when it is empty.
        language: the language ASR heard (``en``, ``zh``).
        final: the turn's final transcript (INFO) or an interim one (DEBUG).
        code: the dialog waits for the one-time code (:func:`dialog.lapse.code_awaited`): every number in
            ``text`` is hidden whole.
    """
    level = logging.INFO if final else logging.DEBUG
    if not text or not log.isEnabledFor(level):
        return
    masked = mask_line(text, code=code)
    kind = "heard" if final else "hearing"
    log.log(level, "session %s turn %s %s (%s): %s", session_id, turn_id, kind, language, masked)
