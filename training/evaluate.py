"""Scoring PyTorch models: the quick check during training and the final figures of a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from artifact.corpora import load_corpus
from training import checkpoint
from training.config import read_run_config
from training.data import Dataset, LineData, dataset_for
from training.models import RecurrentLM
from training.scoring import dataset_metrics, lines_loss, stream_loss
from training.torch_backend import TorchBackend

SUMMARY_FILE = "summary.json"
QUICK_STREAMS = 16  # parallel streams for the in-training validation (near the exact figure)


def quick_val_loss(model: RecurrentLM, data: Dataset, device: torch.device) -> float:
    backend = TorchBackend(model, device)
    if isinstance(data, LineData):
        assert data.tokenizer.eos_id is not None
        return lines_loss(backend, data.val, data.tokenizer.eos_id)
    return stream_loss(backend, data.val, streams=QUICK_STREAMS)


def final_metrics(model: RecurrentLM, data: Dataset, device: torch.device) -> dict[str, Any]:
    return dataset_metrics(TorchBackend(model, device), data)


def write_summary(run_dir: Path, summary: dict[str, Any]) -> None:
    (run_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", "utf-8")


def read_summary(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / SUMMARY_FILE
    return json.loads(path.read_text("utf-8")) if path.is_file() else None


def evaluate_run(run_dir: Path, *, corpora_dir: Path | None, cache_dir: Path) -> dict[str, Any]:
    """Figures for a run's best checkpoint on its own validation split (CPU)."""
    settings = read_run_config(run_dir)["config"]
    model, tokenizer, _ = checkpoint.load_model(checkpoint.checkpoint_path(run_dir, checkpoint.BEST))
    corpus = load_corpus(settings["corpus"], corpora_dir=corpora_dir, cache_dir=cache_dir)
    data = dataset_for(corpus, settings, tokenizer)
    return final_metrics(model, data, torch.device("cpu"))
