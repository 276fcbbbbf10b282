"""/poem with a Chinese seed or an acrostic: routed to the Tang model, kept in form, replayable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from artifact.verse_form import clauses, is_regulated
from bot.app import Bardling
from bot.config import Settings
from bot.core.types import Invocation, Reply
from tests.support.tiny_models import make_tiny_models_dir, make_tiny_tang_model


@pytest.fixture
async def app(bot_settings: Settings, tmp_path: Path) -> AsyncIterator[Bardling]:
    models = make_tiny_models_dir(tmp_path / "with-tang")
    make_tiny_tang_model(models / "tang", temperature=0.9, top_p=0.95)
    async with Bardling(bot_settings.model_copy(update={"bundled_models_dir": models})) as served:
        yield served


async def poem(app: Bardling, args: str) -> Reply:
    return await app.core.handle(Invocation("telegram", "1", "user 1", "1", "poem", args))


def poem_text(reply: Reply) -> str:
    return reply.text.split("\n\n")[0]


async def test_a_chinese_seed_goes_to_the_tang_model_and_prints_a_couplet_a_line(app: Bardling) -> None:
    reply = await poem(app, "白日依山尽，")
    text = poem_text(reply)
    assert "tang v1" in reply.text
    assert text.startswith("白日依山尽，") and is_regulated(text.replace("\n", ""))
    assert all(line.endswith(("。", "？", "！")) for line in text.splitlines())
    english = await poem(app, "Shall I compare thee")
    assert "shakespeare v1" in english.text


async def test_an_acrostic_picks_the_tang_model_starts_the_lines_and_replays(app: Bardling) -> None:
    reply = await poem(app, "acrostic:春夏秋冬")
    text = poem_text(reply).replace("\n", "")
    assert "tang v1" in reply.text and is_regulated(text)
    assert "".join(c.body[0] for c in clauses(text)) == "春夏秋冬"
    inv = Invocation("telegram", "1", "user 1", "1", "replay", str(reply.generation_id))
    assert "identical to the original" in (await app.core.handle(inv)).text
    again = await app.core.handle(replace(inv, command="again", args=str(reply.generation_id)))
    assert "".join(c.body[0] for c in clauses(poem_text(again).replace("\n", ""))) == "春夏秋冬"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("acrostic:春夏秋", "4 or 8 characters"),
        ("model:shakespeare acrostic:春夏秋冬", "Chinese verse model"),
        ("acrostic:龍龍龍龍", "cannot write"),
    ],
)
async def test_acrostics_that_cannot_be_written_get_a_short_reason(
    app: Bardling, args: str, message: str
) -> None:
    reply = await poem(app, args)
    assert message in reply.text and reply.generation_id is None


@pytest.mark.parametrize(
    ("args", "shape"), [("春风 form:jueju chars:7", (4, 7)), ("明月 form:lushi", (8, None)), ("明月", None)]
)
async def test_a_shape_asked_or_drawn_is_kept_and_replays(
    app: Bardling, args: str, shape: tuple[int, int | None] | None
) -> None:
    reply = await poem(app, args)
    parts = clauses(poem_text(reply).replace("\n", ""))
    if shape is not None:
        assert len(parts) == shape[0] and shape[1] in (None, len(parts[0].body))
    inv = Invocation("telegram", "1", "user 1", "1", "replay", str(reply.generation_id))
    assert "identical to the original" in (await app.core.handle(inv)).text
