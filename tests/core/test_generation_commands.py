"""/poem, /dinoname, /again, /replay through ``CommandCore.handle`` on a real bot with tiny models."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from bot.app import Bardling
from bot.config import Settings
from bot.core.types import Button, Invocation
from bot.engine.api import GenerationRequest
from bot.engine.seeds import derive_seed
from bot.storage import generations, users
from tests.core.conftest import Say
from tests.support.tiny_models import make_tiny_model


def gen_id(text: str) -> int:
    match = re.search(r"^#(\d+) ·", text, re.M)
    assert match, text
    return int(match.group(1))


async def test_poem_replies_with_text_and_buttons_and_stores_what_reproduces_it(
    say: Say, bot_app: Bardling
) -> None:
    reply = await say("/poem Forsooth this maketh")
    assert not reply.error
    assert reply.text.startswith("Forsooth this maketh")
    assert reply.generation_id == gen_id(reply.text)
    arg = str(reply.generation_id)
    assert reply.buttons == [
        Button("⭐ Save", "fav", arg),
        Button("🔁 Again", "again", arg),
        Button("🖼 Card", "card", arg),
    ]
    row = await generations.get(bot_app.storage, reply.generation_id)
    assert row is not None
    assert (row.command, row.model, row.model_version, row.seed_text) == (
        "poem",
        "shakespeare",
        "1",
        "Forsooth this maketh",
    )
    assert row.params["temperature"] == 0.8 and row.params["count"] == 1
    assert row.text and reply.text.startswith(row.text)


async def test_replay_gives_the_identical_text(say: Say) -> None:
    first = await say("/poem O gentle night temperature:1.3 length:60")
    again = await say(f"/replay {first.generation_id}")
    assert not again.error
    assert "identical to the original" in again.text
    assert again.text.split("\n\n")[0] == first.text.split("\n\n")[0]


async def test_replay_says_so_when_the_stored_version_is_gone(say: Say, bot_app: Bardling) -> None:
    uid = await users.ensure(bot_app.storage, "telegram", "1", "user 1")
    row = await generations.add(
        bot_app.storage, user_id=uid, chat_id="telegram:1", command="poem", model="shakespeare",
        model_version="0.9", seed_text="O", rng_seed=5, params={"temperature": 0.8}, text="O", latency_s=0.1,
    )  # fmt: skip
    reply = await say(f"/replay {row.id}")
    assert reply.error
    assert f"Cannot replay #{row.id}: shakespeare v0.9 is no longer available" in reply.text


async def test_again_keeps_the_seed_and_changes_the_luck(say: Say, bot_app: Bardling) -> None:
    first = await say("/poem Shall I")
    second = await say("/again")
    assert not second.error and second.generation_id != first.generation_id
    assert f"Again, from #{first.generation_id}." in second.text
    a = await generations.get(bot_app.storage, first.generation_id or 0)
    b = await generations.get(bot_app.storage, second.generation_id or 0)
    assert a and b and a.seed_text == b.seed_text == "Shall I" and a.rng_seed != b.rng_seed


async def test_again_and_fav_with_nothing_made_yet(say: Say) -> None:
    for line in ("/again", "/fav"):
        reply = await say(line)
        assert reply.error and reply.text == "Nothing made yet — try /poem or /dinoname first."


async def test_an_empty_seed_lets_the_model_begin(say: Say) -> None:
    reply = await say("/poem")
    assert not reply.error and reply.generation_id is not None


async def test_dinoname_gives_count_names_and_honours_the_prefix(say: Say) -> None:
    reply = await say("/dinoname 3 ab")
    assert not reply.error
    names = reply.text.split("\n\n")[0].splitlines()
    assert 1 <= len(names) <= 3 and all(n.startswith("Ab") for n in names)
    assert "#" in (await say("/dinoname count:2 prefix:xy")).text


async def test_dinoname_replays_exactly(say: Say) -> None:
    first = await say("/dinoname 4")
    replay = await say(f"/replay {first.generation_id}")
    assert "identical to the original" in replay.text


async def test_dinoname_never_repeats_a_name_within_a_reply(bot_settings: Settings, tmp_path: Path) -> None:
    models = tmp_path / "repetitive"
    make_tiny_model(models / "dinos", name="dinos", mode="line", vocab="ab", eos_bias=2.0)
    async with Bardling(bot_settings.model_copy(update={"bundled_models_dir": models})) as app:
        inv = Invocation("telegram", "1", "user 1", "1", "dinoname", "6")
        reply = await app.core.handle(inv)
        row = await generations.get(app.storage, reply.generation_id or 0)
        assert row is not None
        seeds = [derive_seed(row.rng_seed, i) for i in range(6)]
        one_per_seed = [
            (await app.engine.generate(GenerationRequest("dinos", rng_seed=s))).text for s in seeds
        ]
        replay = await app.core.handle(replace(inv, command="replay", args=str(row.id)))
    assert len(set(one_per_seed)) < 6  # the model does repeat itself
    names = reply.text.split("\n\n")[0].splitlines()
    assert names and len({n.casefold() for n in names}) == len(names)
    assert "identical to the original" in replay.text


async def test_bad_input_gets_short_clear_answers(say: Say) -> None:
    cases = {
        "/poem " + "x" * 10_000: "Seed too long (max 500 characters).",
        "/poem O temperature:5": "temperature must be a number from 0.1 to 2.",
        "/poem O length:0": "length must be a whole number from 1 to 2000.",
        "/poem O length:abc": "length must be a whole number from 1 to 2000.",
        "/dinoname 50": "count must be a whole number from 1 to 20.",
        "/dinoname 0": "count must be a whole number from 1 to 20.",
        "/poem O model:nope": "Unknown model “nope”. Available: dinos, shakespeare.",
        "/poem O model:dinos": "dinos makes names — use it with /dinoname.",
        "/dinoname model:shakespeare": "shakespeare makes verse — use it with /poem.",
        "/replay": "Usage: /replay <id>",
        "/replay abc": "id must be a whole number of at least 1.",
        "/replay 99999": "No generation #99999 here — see /history.",
        "/fav 1 2": "Too many arguments. Usage: /fav [id]",
        "/frobnicate": "Unknown command /frobnicate — try /help",
        "/dinoname " + "a" * 41: "Prefix too long (max 40 characters).",
    }
    for line, expected in cases.items():
        reply = await say(line)
        assert reply.error and reply.text == expected, line


async def test_unknown_characters_are_dropped_and_named(say: Say) -> None:
    reply = await say("/poem 你好 😀 Shall I")
    assert not reply.error
    assert "Ignored characters this model does not know: 你 好 😀" in reply.text
    assert "Shall I" in reply.text


async def test_control_characters_are_stripped_from_the_seed(say: Say, bot_app: Bardling) -> None:
    reply = await say("/poem O\x00 ni\x1b[31mght\u202e")
    row = await generations.get(bot_app.storage, reply.generation_id or 0)
    assert row is not None and row.seed_text == "O ni[31mght"


async def test_markup_and_mentions_come_back_as_plain_text(say: Say, bot_app: Bardling) -> None:
    reply = await say("/poem @everyone *bold* <b>x</b>")
    row = await generations.get(bot_app.storage, reply.generation_id or 0)
    assert not reply.error and row is not None and row.seed_text == "@everyone *bold* <b>x</b>"
