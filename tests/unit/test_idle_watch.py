"""The idle timeout and "are you still there?" before it (:mod:`engine.server.idle_watch`), on
real asyncio timers with short times: asked once, the end follows the question by the lead
whatever the question's own reply does, and speech, a typed line or a tap starts the wait anew.
Before flows16 a silent visitor was timed out without a word."""

from __future__ import annotations

import asyncio
import logging

import pytest

from engine.config_serving import ServerConfig
from engine.server.idle_watch import IdleWatch, warning_lead


class Record:
    """What an :class:`IdleWatch` made by :meth:`watch` did: its questions and its end
    (``events``: name, seconds since the record was made) and its lapses (``lapses``: seconds)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, float]] = []
        self.lapses: list[float] = []
        self.t0 = asyncio.get_running_loop().time()

    def _now(self) -> float:
        return asyncio.get_running_loop().time() - self.t0

    def warn(self, left: float) -> None:
        self.events.append((f"warn {left:.1f}", self._now()))

    def expire(self) -> None:
        self.events.append(("expire", self._now()))

    def lapse(self) -> None:
        self.lapses.append(self._now())

    def watch(self, timeout_s: float, warning_s: float, lapse_s: float = 0.0) -> IdleWatch:
        """An :class:`IdleWatch` recording here; ``lapse_s`` 0: no verified-access lapse."""
        return IdleWatch(
            timeout_s, warning_s, self.warn, self.expire, lapse_s=lapse_s, on_lapse=self.lapse
        )


def test_the_lead_is_the_setting_at_most_half_the_timeout() -> None:
    assert warning_lead(300, 30) == 30
    assert warning_lead(10, 30) == 5  # the server tests' 10 s timeout: asked after 5 s
    assert warning_lead(300, 0) == 0
    config = ServerConfig()
    assert (config.idle_timeout_s, config.idle_warning_s) == (300.0, 30.0)  # on by default


async def test_asked_once_then_ended_the_lead_later() -> None:
    record = Record()
    watch = record.watch(0.6, 0.3)
    watch.idle()
    await asyncio.sleep(0.35)
    assert [e for e, _ in record.events] == ["warn 0.3"]
    watch.busy()  # the question is said: its reply does not put the end off
    await asyncio.sleep(0.1)
    watch.idle()  # said: idle again
    await asyncio.sleep(0.3)
    names = [e for e, _ in record.events]
    assert names == ["warn 0.3", "expire"], record.events
    assert record.events[0][1] == pytest.approx(0.3, abs=0.08)
    assert record.events[1][1] == pytest.approx(0.6, abs=0.08)  # not 0.4 + 0.6


async def test_activity_after_the_question_starts_the_wait_anew() -> None:
    record = Record()
    watch = record.watch(0.8, 0.2)
    watch.idle()
    await asyncio.sleep(0.7)  # asked at 0.6
    watch.activity()  # a tap at 0.7: still there
    await asyncio.sleep(0.25)  # the old end (0.8) passes unnoticed
    assert [e for e, _ in record.events] == ["warn 0.2"], record.events
    await asyncio.sleep(0.45)  # asked again 0.6 s after the tap (1.3)
    assert [e for e, _ in record.events] == ["warn 0.2", "warn 0.2"], record.events
    watch.stop()
    await asyncio.sleep(0.3)
    assert "expire" not in [e for e, _ in record.events]


async def test_a_turn_under_way_counts_no_silence_and_zero_never_asks() -> None:
    record = Record()
    watch = record.watch(0.3, 0.0)
    watch.idle()
    await asyncio.sleep(0.1)
    watch.busy()  # the visitor speaks, the avatar answers
    await asyncio.sleep(0.3)
    assert record.events == []
    watch.idle()
    await asyncio.sleep(0.35)
    assert [e for e, _ in record.events] == ["expire"]  # no question at idle_warning_s 0


async def test_access_lapses_on_the_shorter_silence_once() -> None:
    """newcomer #15: a verified visitor's account stayed open for the whole timeout; the lapse
    (``server.verified_idle_s``) comes first, once per silence, and the session runs on."""
    record = Record()
    lapses = record.lapses
    watch = record.watch(1.2, 0.2, lapse_s=0.3)
    watch.idle()
    await asyncio.sleep(0.4)
    assert lapses == [pytest.approx(0.3, abs=0.08)] and record.events == []
    watch.busy()  # the lapse's own reply is said
    await asyncio.sleep(0.05)
    watch.idle()
    await asyncio.sleep(0.4)
    assert len(lapses) == 1  # not again until the visitor does something
    watch.activity()  # a tap: the count starts anew
    await asyncio.sleep(0.35)
    assert len(lapses) == 2
    watch.stop()


async def test_a_lapse_not_shorter_than_the_timeout_is_off() -> None:
    record = Record()
    watch = record.watch(0.3, 0.0, lapse_s=0.3)
    watch.idle()
    await asyncio.sleep(0.4)
    assert record.lapses == [] and [e for e, _ in record.events] == ["expire"]


async def test_being_seen_answers_the_question_but_puts_off_nothing_before_it() -> None:
    """Review note: after "are you still there?" the visitor seen by the camera (or a gesture,
    which the session passes as activity) counts as speech does; before the question, being in
    view changes nothing (the next person is seen too)."""
    record = Record()
    watch = record.watch(0.6, 0.3)
    watch.idle()
    await asyncio.sleep(0.1)
    watch.seen()  # in view, not asked yet: the question still comes at 0.3
    await asyncio.sleep(0.25)
    assert [e for e, _ in record.events] == ["warn 0.3"], record.events
    watch.seen()  # asked, and seen: still there
    assert not watch.warned
    await asyncio.sleep(0.35)  # the old end (0.6) passes; asked again 0.3 s after being seen
    assert "expire" not in [e for e, _ in record.events], record.events
    watch.stop()


async def test_being_seen_after_the_question_does_not_put_the_lapse_off() -> None:
    """review17: seen() answered the question through activity(), which also started the
    lapse's count anew, so with ``lapse_s`` past the question's time a visitor (or the next
    person) in view at each question kept the account open until the session ended."""
    record = Record()
    lapses = record.lapses
    watch = record.watch(1.0, 0.4, lapse_s=0.8)
    watch.idle()
    await asyncio.sleep(0.65)  # asked at 0.6
    assert [e for e, _ in record.events] == ["warn 0.4"], record.events
    watch.seen()  # in view at the question: answered, the lapse still due at 0.8
    assert not watch.warned
    await asyncio.sleep(0.3)
    assert lapses == [pytest.approx(0.8, abs=0.08)], lapses
    watch.stop()


def test_verified_idle_defaults_to_a_minute() -> None:
    assert ServerConfig().verified_idle_s == 60.0


@pytest.mark.parametrize(("warning_s", "warn_at"), [(0.0, None), (0.3, 0.9)])
async def test_the_lapse_reply_does_not_put_the_end_off(
    warning_s: float, warn_at: float | None
) -> None:
    """fixes18: the lapse's own reply (busy, then idle again) counted the silence anew, so a
    silent session lived the lapse and its reply longer than ``timeout_s``. The end comes
    ``timeout_s`` after the silence began (the question ``warning_s`` before it), as with the
    question's own reply; the visitor's input after it still starts the count anew."""
    record = Record()
    lapses = record.lapses
    watch = record.watch(1.2, warning_s, lapse_s=0.3)
    watch.idle()  # the last reply ended: the silence begins (t = 0)
    await asyncio.sleep(0.35)
    assert lapses == [pytest.approx(0.3, abs=0.08)]
    watch.busy()  # the lapse's reply is said, 0.3 s long
    await asyncio.sleep(0.3)
    watch.idle()
    await asyncio.sleep(0.8)  # to 1.45: the old count ended at 0.65 + 1.2 = 1.85
    names = [e for e, _ in record.events]
    if warn_at is None:
        assert names == ["expire"], record.events
    else:
        assert names == [f"warn {warning_s:.1f}", "expire"], record.events
        assert record.events[0][1] == pytest.approx(warn_at, abs=0.08)
    assert record.events[-1][1] == pytest.approx(1.2, abs=0.08)
    watch.stop()


async def test_input_after_the_lapse_counts_the_silence_anew() -> None:
    record = Record()
    watch = record.watch(0.8, 0.0, lapse_s=0.2)
    watch.idle()
    await asyncio.sleep(0.3)  # lapsed at 0.2
    watch.busy()
    watch.idle()
    await asyncio.sleep(0.2)
    watch.activity()  # a tap at 0.5: the end moves to 1.3
    await asyncio.sleep(0.5)  # the old end (0.8) passes
    assert record.events == []
    await asyncio.sleep(0.4)
    assert [e for e, _ in record.events] == ["expire"]
    assert record.events[0][1] == pytest.approx(1.3, abs=0.08)


def test_a_warning_past_half_the_timeout_is_capped_with_a_logged_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """fixes18: ``idle_warning_s`` above half of ``idle_timeout_s`` was capped without a word;
    capping is intended (a short timeout alone must not fail the start), so it is logged."""
    with caplog.at_level(logging.WARNING, logger="engine.config_serving"):
        ServerConfig(idle_timeout_s=300, idle_warning_s=150)  # exactly half: used as set
        ServerConfig(idle_timeout_s=300, idle_warning_s=0)
        assert caplog.records == []
        config = ServerConfig(idle_timeout_s=10)  # the default 30 s question
    assert [r.getMessage() for r in caplog.records] == [
        "server.idle_warning_s (30 s) is more than half of server.idle_timeout_s (10 s): "
        '"are you still there?" is asked 5 s before the end instead'
    ]
    assert warning_lead(config.idle_timeout_s, config.idle_warning_s) == 5


async def test_being_seen_during_the_question_after_the_lapse_asks_it_no_sooner() -> None:
    """review18: after the lapse, :meth:`IdleWatch.idle` counts on from where the silence
    began; being seen while the question is said (frames are analysed all along it) answers the
    question, but the silence's start stayed where it was, so the reply's end re-armed a
    negative wait and "are you still there?" was asked again at once, and again after each
    answer by being seen. Answered, the silence counts from the answer, as before the lapse."""
    record = Record()
    watch = record.watch(1.2, 0.3, lapse_s=0.3)
    watch.idle()  # the silence begins (t = 0)
    await asyncio.sleep(0.35)  # lapsed at 0.3
    watch.busy()  # the lapse's reply
    watch.idle()
    await asyncio.sleep(0.6)  # asked at 0.9
    assert [e for e, _ in record.events] == ["warn 0.3"], record.events
    watch.busy()  # the question is said
    await asyncio.sleep(0.1)
    watch.seen()  # in view while it is said (t = 1.05): answered
    await asyncio.sleep(0.1)
    watch.idle()  # the question's reply ended (t = 1.15)
    await asyncio.sleep(0.5)  # to 1.65: the next question is due 0.9 s after the answer
    assert [e for e, _ in record.events] == ["warn 0.3"], record.events
    await asyncio.sleep(0.4)  # to 2.05
    assert [e for e, _ in record.events] == ["warn 0.3", "warn 0.3"], record.events
    assert record.events[1][1] == pytest.approx(1.95, abs=0.1)
    watch.stop()
