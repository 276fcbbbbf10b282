"""Scoring an exported model with ONNX Runtime alone (NumPy, no torch).

The engine serves the ``.onnx`` file, not the checkpoint, so this is the figure that counts for
a shipped or quantized model; it reuses ``training.scoring`` so it is comparable with training's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from artifact.corpora import CorpusError, load_corpus
from artifact.manifest import LOGITS_OUTPUT, TOKENS_INPUT, Manifest, StateTensor
from training.data import dataset_for
from training.scoring import State, dataset_metrics, nll_by_steps


class OnnxBackend:
    """A step graph under ONNX Runtime's CPU (or CUDA) provider, as a ``scoring.Backend``."""

    def __init__(
        self, onnx_path: Path, state: Sequence[StateTensor], threads: int = 1, device: str = "cpu"
    ) -> None:
        """One thread by default: batch-1 steps are too small to share, and CPUs are often busy.

        ``device="cuda"`` is for big models, whose stateful score (one step per held-out token)
        would take many minutes on a CPU; it fails rather than silently scoring on the CPU.
        """
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        providers = ["CPUExecutionProvider"]
        if device == "cuda":
            getattr(ort, "preload_dlls", lambda: None)()  # CUDA/cuDNN from pip packages, when there
            providers.insert(0, "CUDAExecutionProvider")
        elif device != "cpu":
            raise ValueError(f"unknown device {device!r}; use cpu or cuda")
        self.session = ort.InferenceSession(str(onnx_path), options, providers=providers)
        if self.session.get_providers()[0] != providers[0]:
            raise ValueError("device 'cuda' was asked for, but ONNX Runtime cannot use CUDA here")
        self.state = list(state)
        self.outputs = [LOGITS_OUTPUT, *(s.output for s in self.state)]

    def initial_state(self, batch: int) -> State:
        return tuple(np.zeros((s.layers, batch, s.hidden), dtype=np.float32) for s in self.state)

    def step(self, tokens: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        feed: dict[str, np.ndarray] = {TOKENS_INPUT: tokens.astype(np.int64).reshape(-1, 1)}
        feed |= {s.input: value for s, value in zip(self.state, state, strict=True)}
        logits, *new_state = self.session.run(self.outputs, feed)
        return logits, tuple(new_state)

    def nll(self, inputs: np.ndarray, targets: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        return nll_by_steps(self, inputs, targets, state)


def evaluate_model_dir(
    model_dir: Path,
    *,
    corpora_dir: Path | None,
    cache_dir: Path,
    corpus: str | None = None,
    onnx_path: Path | None = None,
    device: str = "cpu",
) -> dict[str, Any]:
    """Held-out figures of an exported model on the split recorded in its manifest.

    ``onnx_path`` scores another graph with the same interface (say, an int8 quantization)
    against the same data; ``corpus`` replaces the corpus the manifest names.
    """
    manifest = Manifest.read(model_dir)
    settings: dict[str, Any] = dict(manifest.training.get("config") or {})
    source = load_corpus(
        corpus or manifest.corpus_source,
        corpora_dir=corpora_dir,
        cache_dir=cache_dir,
    )
    if corpus is None and source.sha256 != manifest.corpus.sha256:
        raise CorpusError(
            f"corpus {source.name!r} is not the text {manifest.name} was trained on (sha256 differs); "
            "pass --corpus to score it anyway"
        )
    data = dataset_for(source, settings, manifest.build_tokenizer())
    backend = OnnxBackend(onnx_path or model_dir / manifest.onnx.file, manifest.onnx.state, device=device)
    return dataset_metrics(backend, data, generation=manifest.generation)
