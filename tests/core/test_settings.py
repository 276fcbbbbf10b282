"""/settings (a user's own /poem defaults, shown and changed with buttons or as text) and /privacy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Bardling
from bot.config import Settings
from bot.core.types import Invocation, Reply
from bot.storage import generations, preferences, users
from tests.core.conftest import Say
from tests.support.tiny_models import make_tiny_models_dir, make_tiny_tang_model


async def params_of(app: Bardling, reply: Reply) -> dict[str, object]:
    assert reply.generation_id is not None, reply.text
    row = await generations.get(app.core.services.storage, reply.generation_id)
    assert row is not None
    return {"model": row.model, **row.params}


async def test_my_settings_are_my_poem_defaults_and_an_option_named_wins(say: Say, bot_app: Bardling) -> None:
    saved = await say("/settings temperature:0.5 length:30")
    assert saved.text.startswith("Saved.") and "temperature: 0.5\nlength: 30" in saved.text
    mine = await params_of(bot_app, await say("/poem Hello"))
    assert (mine["temperature"], mine["max_tokens"]) == (0.5, 30)
    named = await params_of(bot_app, await say("/poem Hello temperature:1.1"))
    assert (named["temperature"], named["max_tokens"]) == (1.1, 30)
    others = await params_of(bot_app, await say("/poem Hello", user="2"))
    assert (others["temperature"], others["max_tokens"]) == (0.8, 200)  # the tiny model's own


async def test_settings_shown_with_buttons_that_are_command_lines(say: Say) -> None:
    shown = await say("/settings")
    assert "model: default (shakespeare)\nform: default (free verse)" in shown.text
    assert "temperature: default (0.8)\nlength: default (200)" in shown.text
    assert [(b.command, b.arg) for b in shown.buttons] == [
        ("settings", "model"),
        ("settings", "form"),
        ("settings", "temperature"),
        ("settings", "length"),
        ("settings", "reset"),
    ]
    menu = await say("/settings temperature")  # what the 🌡 button sends
    assert [b.arg for b in menu.buttons] == [
        "temperature=0.6",
        "temperature=0.8",
        "temperature=1.0",
        "temperature=1.2",
        "reset=temperature",
    ]
    assert "temperature: 1.2" in (await say("/settings temperature=1.2")).text  # a choice pressed
    assert "✓ 1.2" in [b.label for b in (await say("/settings temperature")).buttons]
    assert "temperature: 0.7" in (await say("/settings temperature 0.7")).text  # typed as words
    assert "temperature: default (0.8)" in (await say("/settings reset=temperature")).text
    models = await say("/settings model")
    assert [b.arg for b in models.buttons] == ["model=shakespeare", "reset=model"]  # no names model
    await say("/settings length:50 model:shakespeare")
    cleared = await say("/settings reset")
    assert cleared.text.startswith("Back to the defaults.") and "length: default (200)" in cleared.text


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("/settings temperature 9", "temperature must be a number from 0.1 to 2."),
        ("/settings length:0", "length must be a whole number from 1 to "),
        ("/settings model:dinos", "dinos makes names — use it with /dinoname."),
        ("/settings model:nope", "Unknown model “nope”. Available: dinos, shakespeare."),
        ("/settings form:haiku", "shakespeare cannot write a haiku — it writes: free verse only."),
        ("/settings form:ode", "sonnet, quatrain, couplets, limerick, haiku, free, regulated, jueju, lushi"),
        (
            "/settings colour blue",
            "Unknown setting “colour”. Settings: model, form, temperature, length, reset.",
        ),
        (
            "/settings reset:colour",
            "Usage: /settings reset, or /settings reset:<model|form|temperature|length>",
        ),
        ("/settings form temperature:0.5", "Give form a value: /settings form <value>"),
    ],
)
async def test_bad_settings_are_refused_and_change_nothing(say: Say, line: str, error: str) -> None:
    await say("/settings temperature:0.5")
    reply = await say(line)
    assert reply.error and error in reply.text, reply.text
    assert "temperature: 0.5" in (await say("/settings")).text


async def test_forget_removes_my_settings(say: Say, bot_app: Bardling) -> None:
    await say("/settings temperature:0.5")
    await say("/forget")
    assert not (await say("/forget confirm")).error
    assert await users.find(bot_app.core.services.storage, "telegram", "1") is None
    assert "temperature: default (0.8)" in (await say("/settings")).text


async def test_looking_creates_nothing(say: Say, bot_app: Bardling) -> None:
    for line in ("/settings", "/settings model", "/settings reset", "/privacy"):
        assert not (await say(line)).error
    assert await users.find(bot_app.core.services.storage, "telegram", "1") is None


async def test_privacy_says_what_is_kept_how_long_and_how_to_delete_it(say: Say, bot_app: Bardling) -> None:
    text = (await say("/privacy")).text
    for words in (
        "random seed",
        "favourites",
        "/settings",
        "retraining jobs",
        "until you delete it",
        "/forget",
    ):
        assert words in text, words
    assert {"settings", "privacy"} <= {spec.name for spec in bot_app.core.commands()}


@pytest.fixture
async def tang_app(bot_settings: Settings, tmp_path: Path) -> AsyncIterator[Bardling]:
    models = make_tiny_models_dir(tmp_path / "with-tang")
    make_tiny_tang_model(models / "tang")
    async with Bardling(bot_settings.model_copy(update={"bundled_models_dir": models})) as app:
        yield app


async def test_my_model_and_form_and_a_poem_routed_elsewhere_drops_the_form(tang_app: Bardling) -> None:
    async def say(args: str, command: str = "poem") -> Reply:
        return await tang_app.core.handle(Invocation("discord", "7", "me", "7", command, args))

    menu = await say("model:tang", "settings")
    assert "model: tang\nform: default (regulated)" in menu.text
    assert [b.arg for b in (await say("form", "settings")).buttons] == [
        "form=regulated",
        "form=jueju",
        "form=lushi",
        "reset=form",
    ]
    assert "form: lushi" in (await say("form lushi", "settings")).text
    assert await preferences.get(tang_app.core.services.storage, 1) == {"model": "tang", "form": "lushi"}
    mine = await params_of(tang_app, await say(""))
    assert (mine["model"], mine["form"]) == ("tang", "lushi")
    assert (await params_of(tang_app, await say("form:jueju")))["form"] == "jueju"  # named: it wins
    english = await params_of(tang_app, await say("Shall I compare thee"))  # routed to a verse model
    assert english["model"] == "shakespeare" and "form" not in english
    moved = await say("model:shakespeare", "settings")
    assert moved.text.startswith("Saved. Form back to the default: shakespeare does not write a lushi.")
