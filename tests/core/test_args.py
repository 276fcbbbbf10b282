"""The argument rule every transport relies on: positional words, ``name:value``, a greedy rest."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.args import Args, parse_args, split_command, typed_args
from bot.core.commands import build_registry
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.registry import Command
from bot.core.text import strip_controls
from bot.core.types import CommandSpec, ParamSpec, Reply

REGISTRY = build_registry()


def parse(command: str, text: str) -> dict[str, object]:
    found = REGISTRY.get(command)
    assert found is not None
    return parse_args(found, text).values


def test_split_command() -> None:
    assert split_command("/poem Forsooth this") == ("poem", "Forsooth this")
    assert split_command("/Poem@BardlingBot O\nnight") == ("poem", "O\nnight")
    assert split_command("  /favs") == ("favs", "")
    assert split_command("hello") is None


def test_the_greedy_parameter_keeps_the_text_as_typed() -> None:
    assert parse("poem", "O gentle\nnight  temperature:1.1 model:shakespeare") == {
        "temperature": 1.1,
        "model": "shakespeare",
        "seed": "O gentle\nnight",
    }
    assert parse("poem", "temperature=0.5 Shall I") == {"temperature": 0.5, "seed": "Shall I"}


def test_an_optional_number_a_word_does_not_fit_is_skipped() -> None:
    assert parse("dinoname", "3 Tyr") == {"count": 3, "prefix": "Tyr"}
    assert parse("dinoname", "Tyr") == {"prefix": "Tyr"}
    with pytest.raises(UserError, match="from 1 to 20"):
        parse("dinoname", "21")


def test_a_name_value_word_naming_no_parameter_is_refused_by_name() -> None:
    with pytest.raises(UserError, match="Unknown option time:… — /poem takes: seed, model"):
        parse("poem", "time:now is")
    assert parse("poem", "time: now is") == {"seed": "time: now is"}  # a colon in the text: a space after it


words = st.text(min_size=1, max_size=12).filter(str.strip)


@given(seed=st.lists(words, max_size=6).map(" ".join), temperature=st.none() | st.floats(0.1, 2.0))
def test_typed_options_are_taken_as_they_are(seed: str, temperature: float | None) -> None:
    poem = REGISTRY.get("poem")
    assert poem is not None
    options = {"seed": f"{seed} model:tang length:3", "temperature": temperature, "model": None}
    values = typed_args(poem, options).values
    chosen = {"temperature": temperature} if temperature is not None else {}
    assert values == {"seed": strip_controls(f"{seed} model:tang length:3")} | chosen


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"seed": "O", "temperature": 9.0}, "temperature must be a number from 0.1 to 2."),
        ({"length": 2.5}, "length must be a whole number"),
        ({"colour": "red"}, "Unknown option colour"),
    ],
)
def test_typed_options_are_checked_against_the_same_limits(options: dict[str, object], error: str) -> None:
    poem = REGISTRY.get("poem")
    assert poem is not None
    with pytest.raises(UserError, match=error):
        typed_args(poem, options)


async def _nothing(ctx: Context, args: Args) -> Reply:
    return Reply("")


def test_a_command_that_takes_a_file_says_so_in_its_usage() -> None:
    upload = Command(CommandSpec("upload", "x", [ParamSpec("name", "n")], file="a file"), _nothing)
    assert parse_args(upload, "dinos").values == {"name": "dinos"}
    assert upload.usage() == "/upload [name] [+ file]"
