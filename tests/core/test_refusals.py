"""Refusals say what was wrong and cost nothing: unknown option names are named, prose models are
served only when asked for by name, and a refused command spends no rate-limit token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Bardling
from bot.config import Settings
from bot.core.types import Invocation, Reply
from tests.support.tiny_models import make_tiny_model, make_tiny_models_dir


@pytest.fixture
async def app(bot_settings: Settings, tmp_path: Path) -> AsyncIterator[Bardling]:
    models = make_tiny_models_dir(tmp_path / "with-prose")
    make_tiny_model(models / "ptb", name="ptb", mode="char", vocab="#abc \n", kind="prose", seed=5)
    settings = bot_settings.model_copy(update={"bundled_models_dir": models, "rate_limit_burst": 1})
    async with Bardling(settings) as served:
        yield served


async def send(app: Bardling, command: str, args: str = "", *, user: str = "1") -> Reply:
    return await app.core.handle(Invocation("telegram", user, f"user {user}", user, command, args))


@pytest.mark.parametrize(
    ("command", "args", "named"),
    [
        ("poem", "top_k:0", "top_k"),
        ("poem", "O rose top_k:0 temperature:0.5", "top_k"),
        ("dinoname", "3 colour:red", "colour"),
        ("retrain", "dinos foo:bar", "foo"),
    ],
)
async def test_an_unknown_option_is_named_in_the_refusal(
    app: Bardling, command: str, args: str, named: str
) -> None:
    app.core.set_admin("telegram:1", True)
    reply = await send(app, command, args)
    assert reply.error
    assert f"Unknown option {named}" in reply.text
    assert "must be one of" not in reply.text


async def test_a_seed_no_verse_model_reads_still_goes_to_a_verse_model(app: Bardling) -> None:
    reply = await send(app, "poem", "####")
    assert not reply.error and "shakespeare v1" in reply.text
    named = await send(app, "poem", "#### model:ptb", user="2")
    assert not named.error and "ptb v1" in named.text


async def test_a_refused_command_costs_no_rate_limit_token(app: Bardling) -> None:
    for refused in ("model:nowhere O", "O form:villanelle", "O acrostic:春夏秋冬"):
        assert (await send(app, "poem", refused)).error
    assert (await send(app, "replay", "999")).error
    served = await send(app, "poem", "O")
    assert not served.error, served.text
    limited = await send(app, "poem", "O")
    assert limited.error and limited.text.startswith("Easy there")
