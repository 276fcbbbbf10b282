"""The device-resident runner (fixed padded batch, IO binding) computes what the host runner does.

It serves CUDA; ONNX Runtime binds CPU buffers the same way, so its bookkeeping is tested here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from artifact.manifest import ONNX_FILE, Manifest
from bot.engine.runner import BoundStateRunner, HostStateRunner
from bot.engine.session import open_step_session
from tests.support.tiny_models import make_tiny_model


def test_bound_runner_matches_host_runner_through_joins_and_leaves(tmp_path: Path) -> None:
    directory = make_tiny_model(tmp_path / "m", cell="lstm", hidden=24)
    manifest = Manifest.read(directory)
    step = open_step_session(directory / ONNX_FILE, manifest, "cpu", 1)
    host, bound = HostStateRunner(step), BoundStateRunner(step, capacity=8, device="cpu")
    rng = np.random.default_rng(0)
    rows = 0
    for step_no in range(40):
        keep = [i for i in range(rows) if rng.random() > 0.15]
        rng.shuffle(keep)
        add = int(rng.integers(0, 8 - len(keep) + 1)) if step_no % 5 == 0 else 0
        for runner in (host, bound):
            runner.reorder(keep, add)
        rows = len(keep) + add
        if not rows:
            continue
        tokens = rng.integers(0, manifest.architecture.vocab_size, rows)
        np.testing.assert_array_equal(host.step(tokens), bound.step(tokens))
    host.clear()
    bound.clear()
