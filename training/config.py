"""A training run's ``config.json``: its settings (declared once, in ``artifact.run_config``) and more."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from artifact.run_config import DEFAULT_STEPS, Cell, TrainConfig

CONFIG_FILE = "config.json"
__all__ = ["CONFIG_FILE", "DEFAULT_STEPS", "Cell", "TrainConfig", "read_run_config", "write_run_config"]


def write_run_config(run_dir: Path, config: TrainConfig, extra: dict[str, Any]) -> None:
    payload = {"config": config.to_dict(), **extra}
    (run_dir / CONFIG_FILE).write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", "utf-8")


def read_run_config(run_dir: Path) -> dict[str, Any]:
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir} is not a training run (no {CONFIG_FILE})")
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data
