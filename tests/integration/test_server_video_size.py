"""The offer's ``"video": {"width", "height"}`` through a real aiortc offer: a portrait kiosk gets
a 432×768 picture with the face and shoulders framed (not a square crop showing the neck), and a
size no codec or renderer should take is a 400 naming the field. On the English-only server it
shares with the perception tests (``tests/integration/conftest.py``)."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import numpy as np
import pytest
from PIL import Image

from avatar import DEFAULT_AVATAR_PATH
from avatar.camera import frame
from avatar.gltf import load_avatar
from tests.support.visitor import VisitorClient

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def server(english_server) -> str:
    return english_server.idle()


async def test_portrait_offer_gets_a_portrait_frame_with_the_face_framed(
    server, artifacts_dir
) -> None:
    client = VisitorClient(server)
    await client.connect(video=(432, 768))
    try:
        for _ in range(300):  # 30 s at most: a fresh renderer at this size, then 25 fps
            if len(client.received.video) >= 15:
                break
            await asyncio.sleep(0.1)
    finally:
        await client.close()
    assert client.received.video_size == (432, 768)
    picture = client.received.last_frame.to_ndarray(format="rgb24")
    Image.fromarray(picture).save(artifacts_dir / "server_portrait_432x768.png")
    # Where the face must be: the avatar's own landmarks under the portrait framing.
    avatar = load_avatar(DEFAULT_AVATAR_PATH)
    drawn = avatar.positions[np.unique(avatar.indices)]
    camera = frame(drawn, 432, 768, "head_shoulders", avatar.bone_position("neck"))
    eyes, mouth = camera.project(
        np.stack([avatar.channel_centroid("eyeBlinkLeft"), avatar.channel_centroid("jawOpen")])
    )
    assert 0 < eyes[1] < mouth[1] < 0.5 * 768 and 100 < mouth[0] < 332, (eyes, mouth)
    grey = picture.astype(np.float64).mean(axis=2)
    background = grey[5:40, 5:40].mean()  # the studio backdrop's top-left corner
    for x, y in (eyes, mouth):  # skin and lips there, not backdrop
        patch = grey[int(y) - 4 : int(y) + 4, int(x) - 4 : int(x) + 4]
        assert abs(patch.mean() - background) > 15 or patch.std() > 10, (x, y)
    # The face sits in the top half, the suit fills the bottom: rows differ from the backdrop.
    centre = grey[:, 216 - 20 : 216 + 20]
    assert abs(centre[int(mouth[1])].mean() - background) > 15
    assert abs(centre[740:760].mean() - background) > 15


@pytest.mark.parametrize(
    ("video", "why"),
    [((431, 768), "even"), ((64, 768), "even"), ((1920, 1920), "pixels")],
)
async def test_nonsense_video_size_is_a_400_naming_the_field(server, video, why) -> None:
    client = VisitorClient(server)
    try:
        with pytest.raises(aiohttp.ClientResponseError) as refused:
            await client.connect(video=video)
    finally:
        await client.close()
    error = json.loads(refused.value.message)["error"]
    assert refused.value.status == 400 and error["code"] == "bad-video"
    assert "video" in error["message"] and why in error["message"]
