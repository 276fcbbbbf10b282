"""The images' ``pip install`` line, run in a fresh virtual environment.

By default it runs offline: the sources the image copies are built into a wheel with this test
run's own setuptools, the line installs that wheel with ``--no-index --no-deps``, and the
dependencies come from this test run's environment (a ``.pth`` file). What is tested is the
package itself — its modules, package data (migrations), entry point — as the image installs it.
``BARDLING_TEST_IMAGE_INSTALL=1`` runs the line exactly as written, fetching every dependency
from the package index (minutes, and network); that variant is skipped otherwise.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile.cpu"
OFFLINE = "--no-index --no-deps"


def build_stage() -> str:
    text = DOCKERFILE.read_text()
    return text[: text.rindex("\nFROM ")].replace("\\\n", " ")


def install_command() -> str:
    (line,) = [ln for ln in build_stage().splitlines() if ln.startswith("RUN ") and "pip install" in ln]
    return line.removeprefix("RUN ").strip()


def copy_sources(src: Path) -> None:
    """What the build stage COPYs into /src, copied into ``src``."""
    for origin, _ in re.findall(r"^COPY (?!--)(.+) (\S+)$", build_stage(), re.M):
        for name in origin.split():
            path = ROOT / name.rstrip("/")
            if path.is_dir():
                shutil.copytree(path, src / path.name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(path, src / path.name)


def build_wheel(src: Path, out: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--quiet", "--wheel-dir", str(out), str(src)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    (wheel,) = out.glob("bardling-*.whl")
    return wheel


def install(tmp_path: Path, *, offline: bool) -> Path:
    src, venv = tmp_path / "src", tmp_path / "venv"
    src.mkdir()
    copy_sources(src)
    command = install_command().replace("/opt/venv", str(venv))
    if offline:
        wheel = build_wheel(src, tmp_path / "wheels")
        command = re.sub(r"&& \S+ install [^&]*-r [^&]*", "", command)  # the pinned list: see .pth below
        command = re.sub(
            r'"/src[^"]*"', f'"{wheel}"', command.replace("pip install", f"pip install {OFFLINE}")
        )
    else:
        command = command.replace('"/src', f'"{src}')
    python_dir = tmp_path / "python-bin"  # `python` as in the image: a plain interpreter
    python_dir.mkdir()
    (python_dir / "python").symlink_to(sys.executable)
    env = {**os.environ, "PATH": f"{python_dir}:{os.environ['PATH']}", "EXTRAS": ""}
    subprocess.run(["sh", "-c", command], cwd=src, env=env, check=True, capture_output=True, timeout=1800)
    if offline:
        site = next(venv.glob("lib/python*/site-packages"))
        (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def check_installed(venv: Path, tmp_path: Path, tiny_models: Path) -> None:
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "BARDLING_DATA_DIR": str(tmp_path / "data"),
        "BARDLING_BUNDLED_MODELS_DIR": str(tiny_models),
        "BARDLING_DEVICE": "cpu",
        "BARDLING_ENGINE_THREADS": "1",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)

    where = run(
        "python", "-c",
        "import sys, bot, bot.storage.migrate as m; from bot.cli import app; "
        "print(bot.__file__); print(sorted(p.name for p in (m.MIGRATIONS_DIR / 'versions').glob('*.py'))); "
        "print('torch' in sys.modules)",
    ).stdout.splitlines()  # fmt: skip
    assert where[0].startswith(str(venv)), where
    assert "0001_initial_schema.py" in where[1]
    assert where[2] == "False"  # the bot's CLI loads without PyTorch
    doctor = run("bardling", "doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "model shakespeare" in doctor.stdout
    health = run("python", "-m", "bot.observability.health")
    assert health.returncode == 2 and "BARDLING_METRICS_PORT is not set" in health.stderr


def test_the_image_install_line_installs_a_working_bardling(tmp_path: Path, tiny_models: Path) -> None:
    venv = install(tmp_path, offline=True)
    check_installed(venv, tmp_path, tiny_models)


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("BARDLING_TEST_IMAGE_INSTALL") != "1",
    reason="fetches every dependency from the package index; set BARDLING_TEST_IMAGE_INSTALL=1",
)
def test_the_image_install_line_as_written(tmp_path: Path, tiny_models: Path) -> None:
    venv = install(tmp_path, offline=False)
    check_installed(venv, tmp_path, tiny_models)
