"""Model versions: refusing tampered or broken ones, activating, rolling back, swapping under load."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from artifact.manifest import MANIFEST_FILE, ONNX_FILE, sha256_file
from bot.engine import Engine
from bot.engine.api import GenerationRequest, InvalidRequestError, ModelUnavailableError, SamplingParams
from tests.support.tiny_models import make_tiny_version

VERSE = "shakespeare"


def poem(seed: int, max_tokens: int = 40, version: str | None = None) -> GenerationRequest:
    return GenerationRequest(
        VERSE, "O", SamplingParams(max_tokens=max_tokens), rng_seed=seed, version=version
    )


def tamper(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


async def test_a_tampered_model_is_refused_while_the_others_keep_serving(bundled: Path) -> None:
    tamper(bundled / "dinos" / ONNX_FILE)
    async with Engine(bundled, None, device="cpu", threads=1) as engine:
        for _ in range(2):  # refused every time, not only on first load
            with pytest.raises(ModelUnavailableError, match="checksum"):
                await engine.generate(GenerationRequest("dinos", "", rng_seed=1))
        assert (await engine.generate(poem(1))).text
        assert [m.name for m in engine.models()] == [VERSE]


async def test_a_broken_manifest_is_refused_while_the_others_keep_serving(bundled: Path) -> None:
    (bundled / "dinos" / MANIFEST_FILE).write_text("{not json", encoding="utf-8")
    async with Engine(bundled, None, device="cpu", threads=1) as engine:
        with pytest.raises(ModelUnavailableError, match="manifest"):
            await engine.generate(GenerationRequest("dinos", "", rng_seed=1))
        assert (await engine.generate(poem(1))).text


async def test_a_graph_onnx_runtime_cannot_load_is_refused(bundled: Path) -> None:
    (bundled / "dinos" / ONNX_FILE).write_bytes(b"not an onnx graph")
    path = bundled / "dinos" / MANIFEST_FILE
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.pop("content_sha256")  # edited by hand: unsealed, as manifests older than the seal are
    manifest["onnx"]["sha256"] = sha256_file(bundled / "dinos" / ONNX_FILE)
    path.write_text(json.dumps(manifest), encoding="utf-8")
    async with Engine(bundled, None, device="cpu", threads=1) as engine:
        with pytest.raises(ModelUnavailableError, match="could not be loaded"):
            await engine.generate(GenerationRequest("dinos", "", rng_seed=1))
        assert (await engine.generate(poem(1))).text


async def test_a_manifest_that_does_not_match_its_graph_is_refused(bundled: Path) -> None:
    path = bundled / "dinos" / MANIFEST_FILE
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.pop("content_sha256")  # edited by hand: unsealed, as manifests older than the seal are
    manifest["onnx"]["state"][0]["input"] = "hidden_in"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    async with Engine(bundled, None, device="cpu", threads=1) as engine:
        with pytest.raises(ModelUnavailableError, match="contract"):
            await engine.generate(GenerationRequest("dinos", "", rng_seed=1))


async def test_activate_and_rollback_switch_versions_and_survive_a_restart(
    bundled: Path, models_dir: Path
) -> None:
    make_tiny_version(models_dir, VERSE, "2", seed=9)
    async with Engine(bundled, models_dir, device="cpu", threads=1) as engine:
        assert [v for v, _ in engine.versions(VERSE)] == ["2", "1"] or {
            v for v, _ in engine.versions(VERSE)
        } == {"1", "2"}
        assert (await engine.generate(poem(1))).model_version == "1"
        await engine.activate(VERSE, "2")
        assert (await engine.generate(poem(1))).model_version == "2"
        assert (models_dir / VERSE / "active").read_text(encoding="utf-8").strip() == "2"
        info = next(m for m in engine.models() if m.name == VERSE)
        assert (info.version, info.previous_versions, info.provider) == ("2", ["1"], "cpu")
    async with Engine(bundled, models_dir, device="cpu", threads=1) as engine:
        assert (await engine.generate(poem(1))).model_version == "2"
        assert await engine.rollback(VERSE) == "1"
        assert (await engine.generate(poem(1))).model_version == "1"
        with pytest.raises(InvalidRequestError, match="no earlier version"):
            await engine.rollback(VERSE)


async def test_a_tampered_version_cannot_be_activated_and_the_served_one_stays(
    bundled: Path, models_dir: Path
) -> None:
    tamper(make_tiny_version(models_dir, VERSE, "2") / ONNX_FILE)
    async with Engine(bundled, models_dir, device="cpu", threads=1) as engine:
        with pytest.raises(ModelUnavailableError, match="checksum"):
            await engine.activate(VERSE, "2")
        assert engine.active_version(VERSE) == "1"
        assert (await engine.generate(poem(1))).model_version == "1"
        assert not (models_dir / VERSE / "active").exists()


async def test_reload_finds_versions_written_after_start(engine: Engine, models_dir: Path) -> None:
    assert [v for v, _ in engine.versions(VERSE)] == ["1"]
    make_tiny_version(models_dir, VERSE, "3", activate=True)
    engine.reload()
    assert (await engine.generate(poem(1))).model_version == "3"


async def test_a_version_can_be_asked_for_explicitly(engine: Engine, models_dir: Path) -> None:
    make_tiny_version(models_dir, VERSE, "2", seed=4)
    engine.reload()
    assert (await engine.generate(poem(1, version="2"))).model_version == "2"
    assert (await engine.generate(poem(1))).model_version == "1"


async def test_hot_swap_under_load_fails_no_request_and_in_flight_ones_finish_on_their_version(
    engine: Engine, models_dir: Path
) -> None:
    make_tiny_version(models_dir, VERSE, "2", seed=11)
    engine.reload()
    expected_v1 = await engine.generate(poem(0, max_tokens=300))
    stop = asyncio.Event()
    results = []

    async def steady_load(worker: int) -> None:
        seed = worker * 1000
        while not stop.is_set():
            results.append(await engine.generate(poem(seed, max_tokens=30)))
            seed += 1

    load = [asyncio.create_task(steady_load(w)) for w in range(8)]
    in_flight = [asyncio.create_task(engine.generate(poem(0, max_tokens=300))) for _ in range(5)]
    stream = engine.stream(poem(0, max_tokens=300))
    first_piece = await stream.__anext__()  # the long requests are running now
    await engine.activate(VERSE, "2")
    rest = [piece async for piece in stream]
    after = await engine.generate(poem(0, max_tokens=300))
    stop.set()
    await asyncio.gather(*load)
    finished = await asyncio.gather(*in_flight)

    assert all(r.text == expected_v1.text and r.model_version == "1" for r in finished)
    assert first_piece + "".join(rest) == expected_v1.continuation
    assert after.model_version == "2" and after.text != expected_v1.text
    assert {r.model_version for r in results} == {"1", "2"}
