"""/card and the 🖼 button: a stored generation drawn as a PNG, through the core."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from bot.app import Bardling
from bot.cards.render import is_chinese, render_card, title_of
from bot.config import Settings
from bot.transports.console import ConsoleTransport
from tests.core.conftest import Say


async def test_card_renders_the_generation_as_a_png_naming_model_and_id(say: Say) -> None:
    poem = await say("/poem Forsooth this maketh")
    reply = await say(f"/card {poem.generation_id}")
    assert not reply.error, reply.text
    assert reply.text == f"#{poem.generation_id} · shakespeare v1"
    assert reply.image is not None and reply.image.name == f"{poem.generation_id}.png"
    with Image.open(reply.image) as image:
        assert image.format == "PNG" and image.width == 960 and image.height > 200
    assert (await say("/card")).image == reply.image  # no id: the caller's last one


async def test_a_card_of_someone_elses_generation_elsewhere_is_refused(say: Say) -> None:
    poem = await say("/poem O gentle night", user="1")
    reply = await say(f"/card {poem.generation_id}", user="2")
    assert reply.error and reply.image is None
    assert "No generation" in reply.text


def test_titles_are_the_first_words() -> None:
    assert title_of("Forsooth this maketh\nTo thy breast") == "Forsooth this maketh"
    assert title_of("Shall I compare thee to a summer's day?\n") == "Shall I compare thee to a…"
    assert title_of("O rose,\nthou art sick") == "O rose…"
    assert title_of("白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。") == "白日依山尽"
    assert is_chinese("白日依山尽，黄河入海流。") and not is_chinese("Forsooth")


def test_chinese_verse_is_set_one_couplet_a_line(tmp_path: Path) -> None:
    text = "白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。"
    two = render_card(text, "#2 · tang v1", tmp_path / "a.png")
    one = render_card(text.replace("\n", ""), "#2 · tang v1", tmp_path / "b.png")
    with Image.open(two) as a, Image.open(one) as b:
        assert a.height > b.height  # lines are kept as the text gives them, not re-wrapped


async def test_the_console_shows_where_the_card_was_saved(bot_app: Bardling, bot_settings: Settings) -> None:
    out = io.StringIO()
    script = io.StringIO("/poem Forsooth\n/card\n")
    await ConsoleTransport(bot_app.core, bot_settings, stdin=script, stdout=out).run()
    path = bot_settings.data_dir / "cards" / "1.png"
    assert f"> /card\n#1 · shakespeare v1\n(image: {path})" in out.getvalue()
    assert path.read_bytes().startswith(b"\x89PNG")
