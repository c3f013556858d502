"""The camera's view of the visitor reaches the idle watch (review note on newcomer #15): each
analysed frame while the visitor is in view calls ``on_seen`` (which answers "are you still
there?", :meth:`engine.server.idle_watch.IdleWatch.seen`); none once they left or the camera's
consent was withdrawn. The stage's own publishing step, given the steps the perceiver makes."""

from __future__ import annotations

from engine.config import PerceptionConfig
from engine.events import PresenceChanged
from engine.observers import EventBus
from engine.perception.core import PerceptionStep
from engine.server.perception_stage import PerceptionStage


def _step(*events: PresenceChanged) -> PerceptionStep:
    return PerceptionStep(list(events), None, None)


async def test_frames_in_view_call_on_seen_until_the_visitor_leaves() -> None:
    seen: list[int] = []
    stage = PerceptionStage(
        "s1", EventBus(), PerceptionConfig(), lambda coro, name: coro.close(),
        on_seen=lambda: seen.append(1), worker_factory=lambda: None,
    )  # fmt: skip
    stage.set_consent(True)  # (its models are not loaded: the frames' steps are given here)
    stage._publish(_step(), 0.0)  # nobody yet
    assert seen == []
    stage._publish(
        _step(PresenceChanged(session_id="s1", present=True, face_box=(0.4, 0.3, 0.2, 0.3))), 0.1
    )
    stage._publish(_step(), 0.2)  # still there: no new event, still seen
    assert len(seen) == 2
    stage._publish(_step(PresenceChanged(session_id="s1", present=False)), 0.3)
    stage._publish(_step(), 0.4)
    assert len(seen) == 2
    stage._publish(
        _step(PresenceChanged(session_id="s1", present=True, face_box=(0.4, 0.3, 0.2, 0.3))), 0.5
    )
    stage.set_consent(False)  # consent withdrawn: nobody is seen any more
    stage._publish(_step(), 0.6)
    assert len(seen) == 3
