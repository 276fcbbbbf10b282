"""A broken model is reported and refused by name, never replaced; bad or edited manifests are caught."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from artifact.manifest import MANIFEST_FILE, ONNX_FILE, GenerationDefaults, Manifest
from bot.app import Bardling
from bot.config import BUNDLED_MODELS_DIR, Settings
from bot.core.args import split_command
from bot.core.types import Invocation, Reply
from bot.engine import Engine
from bot.jobs.gate import ExportProblem, check_export
from tests.deploy.test_doctor import doctor, line
from tests.support.tiny_models import make_tiny_model


def edit_manifest(model_dir: Path, change: dict[str, dict[str, object]], *, keep_seal: bool) -> None:
    """Change sections of a manifest by hand; ``keep_seal`` leaves its (now stale) checksum in place."""
    path = model_dir / MANIFEST_FILE
    document = json.loads(path.read_text("utf-8"))
    if not keep_seal:
        document.pop("content_sha256")
    for section, values in change.items():
        document[section] |= values
    path.write_text(json.dumps(document, indent=2), "utf-8")


@pytest.fixture
def three_models(tiny_models: Path) -> Path:
    make_tiny_model(tiny_models / "sonnets", name="sonnets", seed=7)  # another verse model to fall back on
    return tiny_models


def engine_view(models: Path) -> tuple[set[str], dict[str, str]]:
    """What an engine over ``models`` serves, and what it reports unavailable (and why)."""

    async def look() -> tuple[set[str], dict[str, str]]:
        async with Engine(models, None, device="cpu", threads=1) as engine:
            return {m.name for m in engine.models()}, engine.unavailable()

    return asyncio.run(look())


async def ask(app: Bardling, text: str) -> Reply:
    command, args = split_command(text) or ("", "")
    return await app.core.handle(Invocation("telegram", "1", "u", "1", command, args))


async def test_a_broken_default_model_is_reported_and_never_replaced(
    bot_settings: Settings, three_models: Path, caplog: pytest.LogCaptureFixture
) -> None:
    onnx = three_models / "shakespeare" / ONNX_FILE
    onnx.write_bytes(onnx.read_bytes()[:-100])  # truncated
    with caplog.at_level(logging.ERROR):
        async with Bardling(bot_settings) as app:
            replies = [
                await ask(app, line) for line in ("/poem O rose", "/poem O rose", "/poem model:shakespeare")
            ]
            assert not (await ask(app, "/poem model:sonnets O")).error
    for reply in replies:
        assert reply.error and reply.text.startswith("Model shakespeare is unavailable right now"), reply.text
        assert "checksum" in reply.text and reply.generation_id is None
    assert any("model shakespeare is unavailable" in r.getMessage() for r in caplog.records)


def test_doctor_fails_a_broken_model_and_warns_of_a_missing_default(
    tmp_path: Path, three_models: Path
) -> None:
    (three_models / "shakespeare" / ONNX_FILE).write_bytes(b"\x08\x07garbage")
    result = doctor(tmp_path, three_models, BARDLING_DEFAULT_NAMES_MODEL="nonesuch")
    assert result.exit_code == 1
    assert line(result, "model shakespeare").startswith("FAIL")
    assert line(result, "default models").startswith("warn") and "NONESUCH" not in result.output
    assert "BARDLING_DEFAULT_NAMES_MODEL=nonesuch is not installed" in result.output


@pytest.mark.parametrize(
    ("generation", "reason"),
    [
        ({"temperature": 0}, "temperature must be from 0.1"),
        ({"max_tokens": 2001}, "length must be from 1 to 2000"),
    ],
)
def test_a_manifest_with_bad_defaults_is_skipped_with_a_clear_report(
    tmp_path: Path, three_models: Path, generation: dict[str, object], reason: str
) -> None:
    edit_manifest(three_models / "dinos", {"generation": generation}, keep_seal=False)
    serving, unavailable = engine_view(three_models)
    assert "dinos" not in serving and reason in unavailable["dinos"]
    result = doctor(tmp_path, three_models)
    assert (
        result.exit_code == 1 and reason in line(result, "model dinos") and "Traceback" not in result.output
    )
    assert line(result, "model shakespeare").startswith("ok")
    chat = CliRunner().invoke(
        __import__("bot.cli", fromlist=["app"]).app, ["chat"], input="/models\n",
        env={"BARDLING_DATA_DIR": str(tmp_path / "chat"), "BARDLING_BUNDLED_MODELS_DIR": str(three_models),
             "BARDLING_CONFIG_FILE": str(tmp_path / "none.toml"), "BARDLING_DEVICE": "cpu"},
    )  # fmt: skip
    assert chat.exit_code == 0 and "sonnets" in chat.output and "Traceback" not in chat.output
    with pytest.raises(ExportProblem, match=reason):
        check_export(three_models / "dinos", name="dinos", version="1", served=None)


def test_an_export_never_writes_bad_defaults(tmp_path: Path, three_models: Path) -> None:
    manifest = Manifest.read(three_models / "dinos")
    manifest.generation = GenerationDefaults.model_construct(temperature=0.0, max_tokens=24)
    with pytest.raises(ValueError, match=r"temperature must be from 0\.1"):
        manifest.write(tmp_path)
    assert not (tmp_path / MANIFEST_FILE).exists()


def test_an_edited_manifest_is_refused_but_an_old_unsealed_one_still_loads(
    tmp_path: Path, three_models: Path
) -> None:
    vocab = Manifest.read(three_models / "dinos").tokenizer["vocab"]
    swapped = [*vocab[:2], vocab[3], vocab[2], *vocab[4:]]
    edit_manifest(three_models / "dinos", {"tokenizer": {"vocab": swapped}}, keep_seal=True)
    edit_manifest(
        three_models / "sonnets", {"metrics": {"val_loss": 0.5}}, keep_seal=False
    )  # as before seals
    serving, unavailable = engine_view(three_models)
    assert "does not match its content checksum" in unavailable["dinos"] and "sonnets" in serving
    result = doctor(tmp_path, three_models)
    assert line(result, "model dinos").startswith("FAIL") and "content checksum" in line(
        result, "model dinos"
    )
    assert line(result, "model sonnets").startswith("warn") and "no content checksum" in line(
        result, "model sonnets"
    )


def test_every_shipped_manifest_is_sealed() -> None:
    """An edited bundled manifest must be resealed (``artifact.manifest.seal``), or its model is refused."""
    shipped = [d for d in sorted(BUNDLED_MODELS_DIR.iterdir()) if (d / MANIFEST_FILE).is_file()]
    assert shipped
    for directory in shipped:
        assert Manifest.read(directory).content_sha256 is not None, directory.name
