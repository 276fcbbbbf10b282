"""The pinned dependency lists the images install are current with pyproject.toml.

``deploy/lock_requirements.py`` writes them; this checks, offline, that every requirement that
applies on Linux x86-64 is pinned there to a version it allows, that the CPU list carries ONNX
Runtime's CPU build and no CUDA library, and that the Dockerfiles install from them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
sys.path.insert(0, str(DEPLOY))
from lock_requirements import cpu_variant, project_requirements  # noqa: E402

REGENERATE = "run `python deploy/lock_requirements.py` after changing pyproject.toml"


def pins(name: str) -> dict[str, str]:
    lines = (DEPLOY / name).read_text().splitlines()
    found = (re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", line) for line in lines if not line.startswith("#"))
    return {canonicalize_name(m.group(1)): m.group(2) for m in found if m}


def assert_pinned(requirements: list[Requirement], locked: dict[str, str], lock: str) -> None:
    for req in requirements:
        version = locked.get(canonicalize_name(req.name))
        assert version is not None, f"{req.name} is not in deploy/{lock}; {REGENERATE}"
        assert req.specifier.contains(version, prereleases=True), (
            f"deploy/{lock} pins {req.name}=={version}, outside {req.specifier}; {REGENERATE}"
        )


@pytest.mark.parametrize("lock", ["requirements-cpu.txt", "requirements-cuda.txt"])
def test_runtime_locks_pin_every_runtime_requirement(lock: str) -> None:
    runtime, _ = project_requirements()
    wanted = cpu_variant(runtime) if lock == "requirements-cpu.txt" else runtime
    assert_pinned(wanted, pins(lock), lock)


def test_train_lock_pins_the_train_extra_on_top_of_the_runtime() -> None:
    _, train = project_requirements()
    assert_pinned(
        train, pins("requirements-cuda.txt") | pins("requirements-train.txt"), "requirements-train.txt"
    )


def test_the_cpu_image_gets_the_cpu_build_and_no_cuda_library() -> None:
    cpu, cuda = pins("requirements-cpu.txt"), pins("requirements-cuda.txt")
    assert "onnxruntime" in cpu and "onnxruntime-gpu" not in cpu
    assert "onnxruntime-gpu" in cuda and "onnxruntime" not in cuda
    # The runtime pulls no CUDA library even with the GPU build: those come only with its
    # [cuda,cudnn] extras, which a GPU user installs on purpose (README).
    assert not [name for name in (*cpu, *cuda) if name.startswith("nvidia-")]


@pytest.mark.parametrize(
    ("dockerfile", "lock"),
    [("Dockerfile.cpu", "requirements-cpu.txt"), ("Dockerfile.cuda", "requirements-cuda.txt")],
)
def test_the_images_install_from_their_lock(dockerfile: str, lock: str) -> None:
    build = (DEPLOY / dockerfile).read_text().replace("\\\n", " ")
    assert f"COPY deploy/{lock} deploy/requirements-train.txt ./" in build
    assert re.search(rf"pip install .*-r {re.escape(lock)} .*&& \S+ install .*--no-deps \"/src", build)
