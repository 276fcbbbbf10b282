"""The CUDA path: IO-bound state, padded batches, CUDA graphs, and what ``doctor`` says about them.

Each test runs on the CPU as a control and, marked ``gpu``, on CUDA; the CUDA case skips with the
reason where ONNX Runtime cannot run a session on a GPU (``bench/gpu/run.sh`` runs them there).
"""

from __future__ import annotations

import asyncio
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from artifact.manifest import Manifest
from bot.cli import app
from bot.engine import Engine
from bot.engine.api import EngineError, GenerationRequest, SamplingParams
from bot.engine.session import open_step_session
from tests.support.tiny_models import make_tiny_model
from training.evaluate_onnx import OnnxBackend

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]
MODEL = "wide"


@cache
def cuda_problem(model_dir: Path) -> str | None:
    """Why a CUDA session cannot run here (None: it can), from a real session, not the provider list."""
    try:
        step = open_step_session(model_dir / "model.onnx", Manifest.read(model_dir), "cuda", 1)
    except EngineError as err:
        return str(err)
    return None if step.provider == "cuda" else "the session fell back to the CPU"


@pytest.fixture
def bundled(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A bundle with one LSTM big enough for real GEMM blocking; skips the CUDA case without CUDA."""
    make_tiny_model(tmp_path / "bundle" / MODEL, name=MODEL, hidden=96, embedding=32, cell="lstm")
    device = request.node.callspec.params["device"]
    if device == "cuda" and (problem := cuda_problem(tmp_path / "bundle" / MODEL)):
        pytest.skip(f"no usable CUDA: {problem}")
    return tmp_path / "bundle"


def requests(count: int, base_seed: int) -> list[GenerationRequest]:
    """Different seed texts and lengths, so rows join and leave the batch at different steps."""
    return [
        GenerationRequest(
            MODEL,
            ("Forsooth " * (i % 4))[: i % 13],
            SamplingParams(temperature=0.6 + (i % 3) / 4, top_p=0.9, max_tokens=15 + 9 * (i % 6)),
            rng_seed=base_seed + i,
        )
        for i in range(count)
    ]


async def texts(engine: Engine, batch: list[GenerationRequest]) -> list[str]:
    return [r.text for r in await asyncio.gather(*(engine.generate(q) for q in batch))]


@pytest.mark.parametrize("device", DEVICES)
async def test_the_same_seed_gives_the_same_text_alone_and_batched(bundled: Path, device: str) -> None:
    batch = requests(24, 500)
    async with Engine(bundled, None, device=device, threads=1, max_batch=32) as engine:  # type: ignore[arg-type]
        alone = [(await engine.generate(q)).text for q in batch[:4]]
        together = await texts(engine, batch)
        again = await texts(engine, batch)
        provider = next(m for m in engine.models() if m.name == MODEL).provider
    assert provider == device
    assert together[:4] == alone
    assert again == together
    assert len(set(together)) == len(together)


@pytest.mark.parametrize("device", DEVICES)
async def test_cuda_graphs_on_and_off_give_the_same_texts(bundled: Path, device: str) -> None:
    """On the CPU the flag is ignored; on CUDA the captured graph must replay the bound step exactly."""
    batch = requests(12, 900)
    results = []
    for graph in (False, True):
        async with Engine(bundled, None, device=device, threads=1, max_batch=16, cuda_graph=graph) as engine:  # type: ignore[arg-type]
            results.append(await texts(engine, batch))
            results.append(await texts(engine, batch))  # the second pass replays the captured graphs
    assert results[0] == results[1] == results[2] == results[3]


@pytest.mark.parametrize("device", DEVICES)
def test_doctor_reports_the_provider_that_runs_each_model(bundled: Path, tmp_path: Path, device: str) -> None:
    env = {
        "BARDLING_DATA_DIR": str(tmp_path / "data"),
        "BARDLING_BUNDLED_MODELS_DIR": str(bundled),
        "BARDLING_CONFIG_FILE": str(tmp_path / "none.toml"),
        "BARDLING_ENGINE_THREADS": "1",
        "BARDLING_DEVICE": device,
        "BARDLING_DATABASE_URL": None,
    }
    result = CliRunner().invoke(app, ["doctor"], env=env)
    lines = {
        row[6:].split("  ")[0].strip(): row
        for row in result.output.splitlines()
        if row[:4] in ("ok  ", "warn", "FAIL")
    }
    assert f"on {device}" in lines[f"model {MODEL}"], result.output
    if device == "cuda":
        assert lines["gpu"].startswith("ok") and f"serves {MODEL}" in lines["gpu"], result.output


def test_scoring_on_cuda_fails_rather_than_falling_back_to_the_cpu(tmp_path: Path) -> None:
    """``bardling evaluate --device cuda`` must not report a CPU run as a GPU one."""
    model = make_tiny_model(tmp_path / MODEL, name=MODEL)
    if cuda_problem(model) is None:
        pytest.skip("CUDA works here")
    with pytest.raises(ValueError, match="cannot use CUDA"):
        OnnxBackend(model / "model.onnx", Manifest.read(model).onnx.state, device="cuda")
