"""Users' settings and chats' rules on SQLite and PostgreSQL, and their migration over existing data."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.storage import Storage, account, chat_rules, migrate, preferences, users
from bot.storage.chat_rules import Rules
from bot.storage.database import create_engine

BEFORE, ADDED = "0002", "0003"  # the revision before the one that adds these tables, and that one


async def test_preferences_set_unset_clear_and_go_with_the_user(storage: Storage) -> None:
    me = await users.ensure(storage, "discord", "1", "me")
    other = await users.ensure(storage, "discord", "2", "other")
    assert await preferences.get(storage, me) == {}
    await preferences.change(storage, me, {"temperature": 0.5, "form": "haiku"})
    await preferences.change(storage, me, {"length": 120, "form": None})
    await preferences.change(storage, other, {"model": "tang"})
    assert await preferences.get(storage, me) == {"temperature": 0.5, "length": 120}
    with pytest.raises(ValueError, match="unknown preferences"):
        await preferences.change(storage, me, {"colour": "blue"})
    assert await preferences.clear(storage, me) is True
    assert await preferences.clear(storage, me) is False
    await account.forget(storage, other)
    async with storage.read() as session:
        assert await session.scalar(text("SELECT count(*) FROM user_preferences")) == 0


async def test_chat_rules_change_in_place_and_defaults_leave_no_row(storage: Storage) -> None:
    assert await chat_rules.get(storage, "telegram:-5") == chat_rules.NONE
    first = await chat_rules.change(
        storage, "telegram:-5", lambda r: Rules(frozenset({"poem"}), admins_only=True, cooldown_s=30)
    )
    second = await chat_rules.change(
        storage, "telegram:-5", lambda r: Rules((r.disabled or frozenset()) | {"fav"}, False, 30)
    )
    assert first == Rules(frozenset({"poem"}), True, 30)
    assert (
        await chat_rules.get(storage, "telegram:-5") == second == Rules(frozenset({"fav", "poem"}), False, 30)
    )
    assert await chat_rules.get(storage, "discord:-5") == chat_rules.NONE
    await chat_rules.change(storage, "telegram:-5", lambda _: chat_rules.NONE)
    async with storage.read() as session:
        assert await session.scalar(text("SELECT count(*) FROM chat_rules")) == 0


async def test_upgrading_a_database_in_use_keeps_its_users_and_their_settings(database_url: str) -> None:
    """From the revision before to this one with a user in it, a setting saved, then on to the head
    (later revisions that rebuild ``users`` must not cascade its deletion into the settings)."""
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, BEFORE)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (platform, platform_user_id, name, created_at) "
                    "VALUES ('telegram', '42', 'Ann', CURRENT_TIMESTAMP)"
                )
            )
        await migrate.upgrade(engine, ADDED)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO user_preferences (user_id, temperature, updated_at) "
                    "SELECT id, 0.9, CURRENT_TIMESTAMP FROM users"
                )
            )
    finally:
        await engine.dispose()
    storage = await Storage.open(database_url)  # migrates to the head
    try:
        ann = await users.find(storage, "telegram", "42")
        assert ann is not None
        assert await preferences.get(storage, ann.id) == {"temperature": 0.9}
        await preferences.change(storage, ann.id, {"length": 50})
        assert await preferences.get(storage, ann.id) == {"temperature": 0.9, "length": 50}
        await chat_rules.change(storage, "telegram:-1", lambda r: Rules(cooldown_s=10))
        assert (await chat_rules.get(storage, "telegram:-1")).cooldown_s == 10
    finally:
        await storage.close()


async def test_a_servers_rules_hold_in_its_channels_where_theirs_are_unset(storage: Storage) -> None:
    await chat_rules.change(storage, "discord-guild:9", lambda _: Rules(frozenset({"poem"}), True, 30))
    await chat_rules.change(storage, "discord:1", lambda _: Rules(admins_only=False))
    here, server = await chat_rules.layers(storage, "discord:1", "discord-guild:9")
    assert here == Rules(admins_only=False)
    assert here.over(server).over(chat_rules.DEFAULTS) == Rules(frozenset({"poem"}), False, 30)
    other, _ = await chat_rules.layers(storage, "discord:2", "discord-guild:9")
    assert other.over(server) == server


async def test_upgrading_keeps_chat_rules_and_leaves_their_defaults_unset(database_url: str) -> None:
    """Rows from before server-wide rules held the defaults where nothing was set: they become unset,
    so a server's rules reach those channels."""
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, "0004")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO chat_rules (chat_key, disabled, admins_only, cooldown_s, updated_at) VALUES "
                    "('discord:1', '[]', true, 0, CURRENT_TIMESTAMP), "
                    "('discord:2', '[\"poem\"]', false, 30, CURRENT_TIMESTAMP)"
                )
            )
    finally:
        await engine.dispose()
    storage = await Storage.open(database_url)  # migrates to the head
    try:
        assert await chat_rules.get(storage, "discord:1") == Rules(admins_only=True)
        assert await chat_rules.get(storage, "discord:2") == Rules(frozenset({"poem"}), cooldown_s=30)
    finally:
        await storage.close()
