"""``bench/gpu/run.sh --smoke``: every stage of the GPU run, on the CPU at toy sizes, so the script
that a scarce GPU window runs in one call cannot rot between such windows."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

from artifact.manifest import ONNX_FILE, Manifest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_smoke_run_trains_exports_evaluates_and_reports(tmp_path: Path) -> None:
    out, kept = tmp_path / "out", tmp_path / "kept"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BARDLING_")} | {"PYTHON": sys.executable}
    proc = subprocess.run(
        [str(ROOT / "bench" / "gpu" / "run.sh"), "--smoke", str(out), "--bundle", str(kept)],
        env=env, capture_output=True, text=True, timeout=400,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])  # the last line is the JSON object
    assert report == json.loads((out / "results.json").read_text("utf-8"))
    assert {s["name"]: s["status"] for s in report["stages"]} == {
        "provider": "ok", "gpu-tests": "ok", "bench-shakespeare-eager": "ok",
        "bench-shakespeare-engine": "ok", "bench-gru32-eager": "ok", "bench-gru32-engine": "ok",
        "train-shakespeare": "ok",
        "export-shakespeare": "ok", "evaluate-shakespeare": "ok", "train-ptb": "skipped",
    }  # fmt: skip
    assert report["provider"]["session_provider"] == "CPUExecutionProvider"
    assert report["tests"]["skipped"] >= 3 and report["tests"]["failed"] == 0  # no CUDA here
    assert (
        "| shakespeare | PyTorch eager | 4 |" in proc.stdout and "| gru32 | engine (cpu) | 4 |" in proc.stdout
    )
    assert report["bench"]["shakespeare"]["eager"]["parity_max_abs_diff"] < 1e-3

    result = report["training"]["shakespeare"]
    manifest = Manifest.read(out / result["export"]["dir"])
    assert (out / result["export"]["dir"] / ONNX_FILE).is_file()
    assert manifest.training["config"]["weight_drop"] > 0 and manifest.training["config"]["average_last"] > 1
    trained, onnx_scored = result["train"]["summary"]["metrics"], result["evaluate"]["held_out"]
    assert onnx_scored["val_loss"] == pytest.approx(trained["val_loss"], abs=1e-4)
    assert result["evaluate"]["served"]["poems"] == 3
    assert (out / "figures" / "shakespeare-loss.png").is_file()

    assert sorted(p.name for p in kept.iterdir()) == ["details.tar.gz", "report.md", "results.json"]
    with tarfile.open(kept / "details.tar.gz") as tar:
        names = tar.getnames()
    assert "logs/train-shakespeare.log" in names and not any(n.endswith((".onnx", ".pt")) for n in names)


def _run_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gpu_run", ROOT / "bench" / "gpu" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_a_wheel_carried_in_parts_is_joined_and_checked(tmp_path: Path) -> None:
    """The big ``onnxruntime-gpu`` wheel travels in parts (``prepare.sh DIR PART_MB``)."""
    assemble = _run_module().assemble_wheel
    wheel = bytes(range(256)) * 1000
    parts = tmp_path / "ort"
    parts.mkdir()
    for index in range(3):
        (parts / f"part.{index:02d}").write_bytes(wheel[index * 100_000 : (index + 1) * 100_000])
    name = "onnxruntime_gpu-1.0-cp312-cp312-manylinux_2_28_x86_64.whl"
    (parts / "SHA256").write_text(f"{hashlib.sha256(wheel).hexdigest()}  {name}\n")
    joined = assemble(parts, tmp_path / "scratch")
    assert joined.name == name and joined.read_bytes() == wheel
    (parts / "part.01").write_bytes(b"damaged")
    with pytest.raises(ValueError, match="checksum"):
        assemble(parts, tmp_path / "scratch")
    with pytest.raises(ValueError, match=r"part\.\*"):
        assemble(tmp_path / "scratch" / "empty", tmp_path / "scratch")
