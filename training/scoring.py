"""Held-out loss, sampling and novelty, written once for any backend (PyTorch or ONNX Runtime).

Torch-free on purpose: the same routines score a training checkpoint and an exported (maybe
quantized) ONNX model, so their figures are comparable by construction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from artifact.manifest import GenerationDefaults
from artifact.sampling import SamplingParams, ban_mask, defaults_of, sample_rows
from artifact.tokenizer import Mode, Tokenizer
from training.data import Dataset, LineData, normalise_line
from training.generation import generation_defaults

State = tuple[np.ndarray, ...]
IGNORE = -100  # target id on padding; matches torch's cross-entropy default
WINDOW = 256  # nanoGPT's block size, for the windowed figure


class Backend(Protocol):
    """A model that can run one step at a time and score whole chunks."""

    def initial_state(self, batch: int) -> State: ...

    def step(self, tokens: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        """``tokens`` ``[batch]`` → logits ``[batch, vocab]`` and the next state."""
        ...

    def nll(self, inputs: np.ndarray, targets: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        """Negative log-likelihood ``[batch, time]`` (0 where the target is IGNORE)."""
        ...


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def nll_by_steps(
    backend: Backend, inputs: np.ndarray, targets: np.ndarray, state: State
) -> tuple[np.ndarray, State]:
    """``Backend.nll`` for a backend that only has single steps (an ONNX step graph)."""
    steps = []
    for t in range(inputs.shape[1]):
        logits, state = backend.step(inputs[:, t], state)
        steps.append(logits)
    logp = log_softmax(np.stack(steps, axis=1).astype(np.float64))
    picked = np.take_along_axis(logp, np.maximum(targets, 0)[..., None], axis=2)[..., 0]
    return np.where(targets == IGNORE, 0.0, -picked), state


def stream_loss(backend: Backend, ids: np.ndarray, *, streams: int = 1, chunk: int = 2048) -> float:
    """Mean nats/token with the state carried through the text (split into ``streams`` parts).

    ``streams=1`` is the exact stateful figure, the way the bot reads a prompt; more streams
    run in parallel and differ only by the few resets at stream starts (used during training).
    """
    n = len(ids) - 1
    streams = max(1, min(streams, n))
    length = n // streams
    starts = np.arange(streams) * length
    state = backend.initial_state(streams)
    total, count = 0.0, 0
    for pos in range(0, length, chunk):
        width = min(chunk, length - pos)
        cols = starts[:, None] + pos + np.arange(width)[None, :]
        nll, state = backend.nll(ids[cols], ids[cols + 1], state)
        total += float(nll.sum())
        count += nll.size
    return total / count


def windowed_loss(backend: Backend, ids: np.ndarray, *, window: int = WINDOW, batch: int = 256) -> float:
    """Mean nats/token with the state reset every ``window`` tokens (nanoGPT's block evaluation)."""
    inputs, targets = ids[:-1], ids[1:]
    rows = math.ceil(len(inputs) / window)
    pad = rows * window - len(inputs)
    x = np.concatenate([inputs, np.zeros(pad, dtype=inputs.dtype)]).reshape(rows, window)
    y = np.concatenate([targets, np.full(pad, IGNORE, dtype=targets.dtype)]).reshape(rows, window)
    return _masked_mean(backend, x, y, batch)


def lines_loss(backend: Backend, lines: Sequence[Sequence[int]], pad_id: int, *, batch: int = 256) -> float:
    """Mean nats/token over framed lines, each from the zero state (how names are generated)."""
    x, y = pad_lines(lines, pad_id)
    return _masked_mean(backend, x, y, batch)


def _masked_mean(backend: Backend, x: np.ndarray, y: np.ndarray, batch: int) -> float:
    total, count = 0.0, 0
    for lo in range(0, len(x), batch):
        nll, _ = backend.nll(
            x[lo : lo + batch], y[lo : lo + batch], backend.initial_state(len(x[lo : lo + batch]))
        )
        total += float(nll.sum())
        count += int((y[lo : lo + batch] != IGNORE).sum())
    return total / max(count, 1)


def pad_lines(lines: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (each line without its last id) and targets (without its first), padded."""
    width = max(len(ids) for ids in lines) - 1
    inputs = np.full((len(lines), width), pad_id, dtype=np.int64)
    targets = np.full((len(lines), width), IGNORE, dtype=np.int64)
    for row, ids in enumerate(lines):
        inputs[row, : len(ids) - 1] = ids[:-1]
        targets[row, : len(ids) - 1] = ids[1:]
    return inputs, targets


def loss_figures(loss: float, mode: Mode) -> dict[str, float | None]:
    """nats/token → bits per character (character-level modes only) and perplexity."""
    return {
        "loss": loss,
        "bpc": loss / math.log(2) if mode in ("char", "line") else None,
        "ppl": math.exp(min(loss, 700.0)),
    }


# ----------------------------------------------------------------------------- sampling
def sample(
    backend: Backend,
    prime: Sequence[int],
    *,
    count: int,
    params: SamplingParams,
    rng: np.random.Generator,
    stop_id: int | None = None,
    banned: Sequence[int] = (),
) -> list[list[int]]:
    """``count`` continuations of ``prime``, drawn by the bot's own sampler (``artifact.sampling``)
    with ``params``, never drawing ``banned``; each stops at ``stop_id`` (dropped)."""
    if not prime:
        raise ValueError("sampling needs at least one prime token")
    state = backend.initial_state(count)
    logits = np.zeros(0)
    for tok in prime:
        logits, state = backend.step(np.full(count, tok, dtype=np.int64), state)
    mask = ban_mask(logits.shape[-1], list(banned))
    out: list[list[int]] = [[] for _ in range(count)]
    done = np.zeros(count, dtype=bool)
    for _ in range(params.max_tokens):
        chosen = sample_rows(logits, params, rng.random(count), mask)
        for row in np.flatnonzero(~done):
            if stop_id is not None and chosen[row] == stop_id:
                done[row] = True
            else:
                out[row].append(int(chosen[row]))
        if done.all():
            break
        logits, state = backend.step(chosen.astype(np.int64), state)
    return out


def novelty(
    backend: Backend,
    tokenizer: Tokenizer,
    train_lines: Sequence[str],
    val_lines: Sequence[str],
    *,
    count: int = 1000,
    params: SamplingParams,
    seed: int = 0,
) -> dict[str, float]:
    """Shares of ``count`` sampled lines that copy a training line, a held-out line, or are new."""
    assert tokenizer.bos_id is not None
    samples = sample(
        backend,
        [tokenizer.bos_id],
        count=count,
        params=params,
        rng=np.random.default_rng(seed),
        stop_id=tokenizer.eos_id,
        banned=tokenizer.never_sampled,
    )
    train = {normalise_line(tokenizer, ln) for ln in train_lines}
    val = {normalise_line(tokenizer, ln) for ln in val_lines} - train
    names = [tokenizer.decode(ids).strip() for ids in samples]
    in_train = sum(n in train for n in names)
    in_val = sum(n in val for n in names)
    empty = sum(not n for n in names)
    return {
        "in_train": in_train / count,
        "in_val": in_val / count,
        "new": (count - in_train - in_val - empty) / count,
        "empty": empty / count,
        "samples": float(count),
    }


def dataset_metrics(
    backend: Backend,
    data: Dataset,
    *,
    generation: GenerationDefaults | None = None,
    novelty_samples: int = 1000,
) -> dict[str, Any]:
    """The held-out figures a manifest reports, for stream or line data."""
    if isinstance(data, LineData):
        assert data.tokenizer.eos_id is not None
        loss = lines_loss(backend, data.val, data.tokenizer.eos_id)
        gen = generation or generation_defaults("line", data.longest_line)
        shares = novelty(
            backend,
            data.tokenizer,
            data.train_lines,
            data.val_lines,
            count=novelty_samples,
            params=defaults_of(gen),
        )
        figures = loss_figures(loss, "line")
        return {"val_loss": loss, "val_bpc": figures["bpc"], "val_ppl": figures["ppl"], "novelty": shares}
    loss = stream_loss(backend, data.val)
    figures = loss_figures(loss, data.mode)
    out: dict[str, Any] = {"val_loss": loss, "val_bpc": figures["bpc"], "val_ppl": figures["ppl"]}
    if data.mode == "char":
        out["windowed_256_loss"] = windowed_loss(backend, data.val)
    if data.test is not None:
        out["test_loss"] = stream_loss(backend, data.test)
        out["test_ppl"] = loss_figures(out["test_loss"], data.mode)["ppl"]
    return out
