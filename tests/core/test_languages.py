"""Replies follow the user's language: Simplified Chinese from the catalogue, English otherwise."""

from __future__ import annotations

import asyncio
import string
from pathlib import Path

from babel.messages.pofile import read_po

from bot.core.commands import build_registry
from bot.core.i18n import LOCALE_DIR, Text, language, translator
from bot.core.i18n_extract import messages
from tests.core.conftest import Say

ZH = "zh-hans"  # as Telegram spells a Simplified Chinese app's language


async def test_a_chinese_user_gets_help_and_the_greeting_in_chinese(say: Say) -> None:
    help_ = await say("/help", locale=ZH)
    start = await say("/start", locale="zh-CN")
    assert help_.text.startswith("命令：")
    assert "/dinoname — 编恐龙的名字" in help_.text and "/poem" in help_.text
    assert "你好" in start.text and "/help" in start.text
    poem = await say("/help poem", locale=ZH)
    assert "  temperature: 大胆程度，" in poem.text  # option descriptions too, values filled in


async def test_refusals_come_in_chinese(say: Say) -> None:
    unknown = await say("/poem O rose model:nosuch", locale=ZH)
    usage = await say("/replay", locale=ZH)
    too_long = await say("/poem " + "x" * 501, locale=ZH)
    missing = await say("/show 999", locale=ZH)
    await say("/settings temperature 0.9", locale=ZH)  # now Bardling knows the user
    unconfirmed = await say("/forget confirm", locale=ZH)
    not_admin = await say("/chat cooldown 30", chat="-5", locale=ZH)
    assert unknown.error and unknown.text.startswith("未知模型“nosuch”。可用模型：")
    assert usage.error and usage.text == "用法：/replay <id>"
    assert too_long.error and too_long.text == "开头太长（最多 500 个字符）。"
    assert missing.error and missing.text == "这里没有作品 #999——见 /history。"
    assert unconfirmed.error and unconfirmed.text.startswith("没有需要确认的操作")
    assert not_admin.error and not_admin.text == "只有本聊天的管理员可以更改此项。"


async def test_an_unknown_or_missing_locale_falls_back_to_english(say: Say) -> None:
    for locale in ("fr-FR", "", "C.UTF-8"):
        assert (await say("/help", locale=locale)).text.startswith("Commands:\n/start — Say hello")
    assert (await say("/poem O rose model:nosuch", locale="de")).text.startswith("Unknown model “nosuch”")


async def test_concurrent_requests_keep_their_own_language(say: Say) -> None:
    replies = await asyncio.gather(*(say("/help", locale=ZH if i % 2 else "en") for i in range(8)))
    assert [r.text.startswith("命令：") for r in replies] == [bool(i % 2) for i in range(8)]


async def test_buttons_and_lists_are_in_the_users_language(say: Say) -> None:
    shown = await say("/settings", locale=ZH)
    assert [b.label for b in shown.buttons] == ["🤖 模型", "📜 诗体", "🌡 温度", "📏 长度", "↩ 重置"]
    assert shown.text.splitlines()[0].startswith("你的设置")
    poem = await say("/poem O rose", locale=ZH)
    assert [b.label for b in poem.buttons] == ["⭐ 收藏", "🔁 再来", "🖼 卡片"]
    assert (await say("/history", locale=ZH)).text.startswith("你最近的 1 篇作品：")
    assert (await say("/history")).text.startswith("Your last 1 generation:")


def test_locale_tags_map_to_a_catalogue() -> None:
    assert [language(t) for t in ("zh", "zh-CN", "zh_CN.UTF-8", "zh-hans", "zh-TW")] == ["zh"] * 5
    assert [language(t) for t in ("en-US", "fr", "", None, "C.UTF-8", "POSIX")] == ["en"] * 6


def test_every_command_and_option_description_is_extracted_for_translation() -> None:
    """What ``make messages`` collects covers every description menus and /help show."""
    root = Path(__file__).resolve().parents[2] / "bot"
    extracted = {text for path in root.rglob("*.py") for _, _, text in messages(path.read_text())}
    shown = [
        text.template if isinstance(text, Text) else text
        for command in build_registry()
        for text in (command.spec.description, *(p.description for p in command.spec.params))
    ]
    assert [text for text in shown if text not in extracted] == []


def test_translations_keep_the_values_their_english_names() -> None:
    """A translation that dropped or renamed ``{model}`` would fail at the moment it is shown."""
    with (LOCALE_DIR / "zh" / "LC_MESSAGES" / "bardling.po").open("rb") as po:
        catalog = read_po(po)

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    def forms(text: str | tuple[str, ...]) -> list[str]:
        return [text] if isinstance(text, str) else [t for t in text if t]

    wrong = [
        m.id
        for m in catalog
        if m.id
        for translated in forms(m.string)
        if fields(translated) != set().union(*(fields(english) for english in forms(m.id)))
    ]
    assert wrong == []
    assert translator("zh")("Usage: {usage}", usage="/x") == "用法：/x"
