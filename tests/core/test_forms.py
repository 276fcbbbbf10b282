"""/poem in a form through the core, on the shipped models: the default, the option, the refusals,
and a stored generation that records its form and replays to the same text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from artifact.forms import FORMS
from bot.app import Bardling
from bot.config import Settings
from bot.core.types import Invocation, Reply
from bot.quality.forms import lines_of, rhyme_pairs, syllables

SHIPPED = Path(__file__).resolve().parents[2] / "exported_models"


@pytest.fixture
async def app(bot_settings: Settings) -> AsyncIterator[Bardling]:
    async with Bardling(bot_settings.model_copy(update={"bundled_models_dir": SHIPPED})) as served:
        yield served


async def say(app: Bardling, command: str, args: str = "") -> Reply:
    return await app.core.handle(Invocation("telegram", "1", "user 1", "1", command, args))


def poem_of(reply: Reply) -> str:
    return reply.text.split("\n\n")[0]


async def test_the_default_poem_is_a_sonnet_that_replays_exactly(app: Bardling) -> None:
    reply = await say(app, "poem", "Forsooth this maketh")
    text = poem_of(reply)
    assert text.startswith("Forsooth this maketh")
    assert len(lines_of(text)) == 14 and all(10 <= syllables(line) <= 11 for line in lines_of(text)[1:])
    assert "· sonnet" in reply.text
    replayed = await say(app, "replay", str(reply.generation_id))
    assert poem_of(replayed) == text and "identical to the original" in replayed.text


async def test_a_form_is_chosen_by_name_and_kept_by_again(app: Bardling) -> None:
    reply = await say(app, "poem", "O gentle night form:limerick")
    lines = lines_of(poem_of(reply))
    assert len(lines) == 5 and "· limerick" in reply.text
    assert all(a != b for a, b in rhyme_pairs(FORMS["limerick"], lines))
    again = await say(app, "again", str(reply.generation_id))
    assert "· limerick" in again.text and len(lines_of(poem_of(again))) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("O rose form:ode", "form must be one of sonnet, quatrain"),
        ("春风 form:sonnet", "tang cannot write a sonnet"),
        ("An old silent pond, a frog jumps in form:haiku", "at most 5 syllables"),
    ],
)
async def test_forms_a_model_cannot_keep_are_refused_in_one_line(
    app: Bardling, args: str, message: str
) -> None:
    reply = await say(app, "poem", args)
    assert message in reply.text and reply.generation_id is None
