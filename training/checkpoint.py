"""Checkpoint files: written atomically, read with ``weights_only`` (no pickled code runs).

``last.pt`` holds everything a resumed run needs to continue as if never stopped; ``best.pt``
holds the weights with the best validation loss, the ones that get exported.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from artifact.files import replacing
from artifact.tokenizer import Tokenizer
from training.models import ModelConfig, RecurrentLM

CHECKPOINT_DIR = "checkpoints"
LAST = "last.pt"
BEST = "best.pt"


def checkpoint_path(run_dir: Path, which: str) -> Path:
    return run_dir / CHECKPOINT_DIR / which


def save(path: Path, payload: dict[str, Any]) -> None:
    with replacing(path) as tmp:
        torch.save(payload, tmp)


def load(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    payload: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
    return payload


def rng_states() -> dict[str, Any]:
    np_state: Any = np.random.get_state()
    states: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "python": _plain(random.getstate()),
        "numpy": [np_state[0], np_state[1].tolist(), *np_state[2:]],
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states: dict[str, Any]) -> None:
    torch.set_rng_state(states["torch"])
    random.setstate(_tuples(states["python"]))
    kind, keys, *rest = states["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), *rest))
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def _plain(value: Any) -> Any:
    return [_plain(v) for v in value] if isinstance(value, tuple | list) else value


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def load_model(path: Path) -> tuple[RecurrentLM, Tokenizer, dict[str, Any]]:
    """The model (CPU, eval mode) and tokenizer stored in a checkpoint, plus the whole payload."""
    payload = load(path)
    model = RecurrentLM(ModelConfig(**payload["model_config"]))
    model.load_state_dict(payload["model"])
    model.eval()
    return model, Tokenizer.from_dict(payload["tokenizer"]), payload
