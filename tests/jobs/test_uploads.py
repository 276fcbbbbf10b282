"""New models from an attached text file: what is accepted, what is refused, and what training gets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.errors import UserError
from bot.jobs.corpus import store_upload
from bot.storage import jobs
from tests.jobs.conftest import OpenBot


def upload(tmp_path: Path, data: bytes, name: str = "upload.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


async def test_an_attached_text_trains_a_new_model(open_bot: OpenBot, tmp_path: Path) -> None:
    text = "\ufeffShall I compare thee\r\nto a summer's day?\r\n" * 20
    async with open_bot() as bot:
        reply = await bot.say("/retrain verses steps:6 mode:char", attachment=upload(tmp_path, text.encode()))
        assert "train verses on an uploaded text" in reply.text, reply.text
        job = await bot.wait(1)
        assert job.state == "succeeded", job.message
        assert "nothing was served before" in job.message
        assert bot.app.core.model_names() == ["dinos", "shakespeare", "verses"]
        argv = json.loads(stored_text(Path(job.metrics["run_dir"]) / "argv.json"))
        assert Path(argv[0]).name == "verses.txt" and argv[argv.index("--mode") + 1] == "char"
        assert stored_text(Path(argv[0])) == normalised(text)
        assert not (await bot.say("/poem model:verses")).error


async def test_uploads_are_checked_before_anything_is_queued(open_bot: OpenBot, tmp_path: Path) -> None:
    async with open_bot(run_jobs=False, retrain_max_upload_bytes=100) as bot:
        cases = [
            (b"x" * 101, "The attached file is 101 bytes; the limit is 100."),
            (b"caf\xe9 au lait", "not UTF-8 text (byte 3 cannot be decoded)"),
            (b"PK\x03\x04\x00\x00", "looks binary"),
            (b" \n\n ", "The attached file is empty."),
        ]
        for data, error in cases:
            reply = await bot.say("/retrain fresh", attachment=upload(tmp_path, data))
            assert reply.error and error in reply.text, reply.text
        reply = await bot.say("/retrain shakespeare", attachment=upload(tmp_path, b"some text"))
        assert reply.error and "shakespeare already exists" in reply.text
        reply = await bot.say("/retrain fresh", attachment=tmp_path / "gone.txt")
        assert reply.error and "could not be read" in reply.text
        assert await jobs.recent(bot.app.storage) == []


async def test_a_registered_corpus_name_needs_no_upload(open_bot: OpenBot) -> None:
    async with open_bot(run_jobs=False) as bot:
        reply = await bot.say("/retrain sonnets steps:100")
        assert "train sonnets on sonnets — GRU of the default size, 100 steps." in reply.text
        job = await bot.job(1)
        assert job.params == {"corpus": "sonnets", "settings": {"steps": 100}, "new_model": True}


def stored_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # as stored: no newline translation


def normalised(text: str) -> str:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


@given(st.text(min_size=1, max_size=200).filter(lambda t: normalised(t).strip() and "\x00" not in t))
def test_an_upload_is_stored_once_per_content(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    base = tmp_path_factory.mktemp("uploads")
    source = upload(base, text.encode("utf-8"), "in.txt")
    first = store_upload(source, uploads_dir=base / "store", model="m", max_bytes=10_000)
    again = store_upload(source, uploads_dir=base / "store", model="m", max_bytes=10_000)
    assert first == again and first.name == "m.txt"
    assert stored_text(first) == normalised(text)


def test_an_unreadable_upload_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="could not be read"):
        store_upload(tmp_path / "missing", uploads_dir=tmp_path, model="m", max_bytes=10)
