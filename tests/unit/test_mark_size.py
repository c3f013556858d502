"""The AI mark's size follows the height the page shows the video at (fixes19 #3): the offer's
optional ``video.shown_height`` (CSS px) and :func:`avatar.label.legible_scale`. On a 390 px
wide phone the page shows the 512² picture 146 px high, where the default mark's capitals were
4.3 px high."""

from __future__ import annotations

import pytest

from avatar.label import DEFAULT_LABELS, MAX_SCALE, SCALE, CornerLabel, legible_scale
from engine.server.protocol import ApiError, parse_offer
from tests.unit.test_server_protocol import offer


def test_a_small_picture_gets_a_larger_mark() -> None:
    assert legible_scale(None) == legible_scale(800) == SCALE
    assert legible_scale(146) > SCALE and legible_scale(20) == MAX_SCALE
    shown = 146
    default = CornerLabel(DEFAULT_LABELS, 512, 512)
    legible = CornerLabel(DEFAULT_LABELS, 512, 512, scale=legible_scale(shown))
    assert default.cap_height * shown / 512 < 5  # what the phone showed
    assert legible.cap_height * shown / 512 >= 8.5
    assert legible.box is not None and legible.box[0] >= 0  # still inside the frame


def test_the_offer_carries_the_shown_height() -> None:
    video = {"width": 512, "height": 512, "shown_height": 145.7}
    assert parse_offer(offer(video=video), max_sdp_bytes=65536).shown_height == 146
    plain = parse_offer(offer(video={"width": 512, "height": 512}), max_sdp_bytes=65536)
    assert plain.video == (512, 512) and plain.shown_height is None


@pytest.mark.parametrize("shown", [0, -5, "146", 10_000, None])
def test_a_bad_shown_height_is_refused(shown) -> None:
    video = {"width": 512, "height": 512, "shown_height": shown}
    if shown is None:
        assert parse_offer(offer(video=video), max_sdp_bytes=65536).shown_height is None
        return
    with pytest.raises(ApiError) as refused:
        parse_offer(offer(video=video), max_sdp_bytes=65536)
    assert refused.value.status == 400 and refused.value.code == "bad-video"


def test_another_video_field_is_still_refused() -> None:
    with pytest.raises(ApiError):
        parse_offer(offer(video={"width": 512, "height": 512, "fps": 30}), max_sdp_bytes=65536)


def test_the_page_may_tell_a_new_shown_height() -> None:
    """The video box shrinks once the session's notices show: the page says so over the events
    socket, and the mark is redrawn for it."""
    from engine.server.protocol import MessageError, VideoMessage, parse_client_message

    message = parse_client_message(
        '{"type": "video", "shown_height": 146}', max_bytes=16384, max_text_chars=500
    )
    assert message == VideoMessage(146)
    with pytest.raises(MessageError):
        parse_client_message('{"type": "video"}', max_bytes=16384, max_text_chars=500)
    label = CornerLabel(DEFAULT_LABELS, 512, 512, scale=legible_scale(276))
    small = label.box
    label.set_scale(legible_scale(146))
    assert label.box is not None and small is not None and label.box[3] > small[3]


@pytest.mark.parametrize(
    ("labels", "frame", "shown"),
    [
        (DEFAULT_LABELS, (432, 768), 146),  # the portrait picture shown small
        (DEFAULT_LABELS, (432, 768), 16),
        ({"en": "AI-generated digital assistant"}, (512, 512), 146),  # an operator's longer mark
    ],
)
def test_a_mark_too_wide_at_the_legible_scale_is_drawn_smaller_not_dropped(
    labels: dict[str, str], frame: tuple[int, int], shown: int
) -> None:
    """review19: 'AI-generated' at the legible scale of a 432x768 picture shown 146 px high was
    wider than the frame, and the badge was not drawn at all: the video had no AI mark."""
    for language in labels:
        label = CornerLabel(labels, *frame, scale=legible_scale(shown), language=language)
        assert label.box is not None, (language, frame, shown)
        x, y, w, h = label.box
        assert x >= 0 and y >= 0 and x + w <= frame[0] and y + h <= frame[1]
        plain = CornerLabel(labels, *frame, language=language)
        assert plain.box is not None and w >= plain.box[2]  # never smaller than the default
