"""Prove which execution provider really runs a model: a session is built and read back, not assumed.

``onnxruntime-gpu`` without usable CUDA libraries silently builds a CPU session, so the proof is
``session.get_providers()`` of a real session on the shipped model plus one step run on it.
Writes one JSON object to ``--out``; exits 1 when ``--device cuda`` was asked for and the session
is not on CUDA.

    python bench/gpu/provider.py --device cuda --out OUT/provider.json
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from artifact.manifest import LOGITS_OUTPUT, TOKENS_INPUT, Manifest  # noqa: E402

CUDA_EP = "CUDAExecutionProvider"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model-dir", type=Path, default=ROOT / "exported_models" / "shakespeare")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cuda")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    report = prove(args.model_dir, args.device)
    args.out.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(json.dumps(report))
    if args.device == "cuda" and report["session_provider"] != CUDA_EP:
        sys.exit(1)


def prove(model_dir: Path, device: str) -> dict[str, Any]:
    manifest = Manifest.read(model_dir)
    preload = getattr(ort, "preload_dlls", None)
    if device == "cuda" and preload is not None:
        preload()  # CUDA and cuDNN from pip-installed NVIDIA packages (the PyTorch install's)
    providers = [CUDA_EP, "CPUExecutionProvider"] if device == "cuda" else ["CPUExecutionProvider"]
    session = ort.InferenceSession(str(model_dir / manifest.onnx.file), providers=providers)
    feeds: dict[str, np.ndarray] = {TOKENS_INPUT: np.zeros((1, 1), np.int64)}
    for state in manifest.onnx.state:
        feeds[state.input] = np.zeros((state.layers, 1, state.hidden), np.float32)
    session.run([LOGITS_OUTPUT], feeds)  # the first run builds the kernels
    started = time.perf_counter()
    for _ in range(100):
        session.run([LOGITS_OUTPUT], feeds)
    step_us = (time.perf_counter() - started) * 1e4
    return {
        "onnxruntime": ort.__version__,
        "onnxruntime_file": ort.__file__,
        "available_providers": ort.get_available_providers(),
        "session_providers": session.get_providers(),
        "session_provider": session.get_providers()[0],
        "model": f"{manifest.name} v{manifest.version}",
        "step_us_batch1": round(step_us, 1),
        "gpu": _gpu_name(),
        "torch_cuda": _torch_cuda(),
        "python": platform.python_version(),
    }


def _gpu_name() -> str | None:
    if shutil.which("nvidia-smi") is None:
        return None
    query = ["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"]
    try:
        return subprocess.run(query, capture_output=True, text=True, timeout=20, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def _torch_cuda() -> dict[str, Any] | None:
    try:
        import torch
    except ImportError:
        return None
    available = torch.cuda.is_available()
    return {
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "available": available,
        "device": torch.cuda.get_device_name(0) if available else None,
    }


if __name__ == "__main__":
    main()
