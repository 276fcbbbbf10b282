"""Training batches with a resumable position: TBPTT windows for streams, padded line batches.

Both batchers are pure functions of (data, seed, position), so a checkpoint only has to store
the position to make a resumed run see exactly the batches an uninterrupted one would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from training.scoring import pad_lines


@dataclass
class Batch:
    inputs: torch.Tensor  # [batch, time] int64
    targets: torch.Tensor  # [batch, time] int64, IGNORE on padding
    reset_state: bool  # stream: a new epoch starts, the carried state no longer follows on
    epoch: int


class _Cursor:
    """An (epoch, index) position that rolls over each epoch and is all a checkpoint stores."""

    epoch: int
    index: int

    @property
    def steps_per_epoch(self) -> int:
        raise NotImplementedError

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "index": self.index}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.epoch, self.index = int(state["epoch"]), int(state["index"])

    def _advance(self) -> int:
        """The index of the batch to build now; starts a new epoch when the last one is used up."""
        if self.index >= self.steps_per_epoch:
            self.epoch, self.index = self.epoch + 1, 0
        self.index += 1
        return self.index - 1


class StreamBatches(_Cursor):
    """``batch`` parallel contiguous streams read ``seq_len`` tokens at a time.

    Each epoch starts at a seeded offset in ``[0, seq_len)`` so truncation points move between
    epochs; the hidden state is carried from one window to the next within an epoch.
    """

    def __init__(self, ids: np.ndarray, batch: int, seq_len: int, seed: int) -> None:
        self.ids, self.batch, self.seq_len, self.seed = ids, batch, seq_len, seed
        if self.steps_per_epoch < 1:
            raise ValueError(
                f"{len(ids)} training tokens are too few for batch {batch} × seq-len {seq_len}; "
                "lower --batch or --seq-len"
            )
        self.epoch, self.index = 0, 0

    @property
    def steps_per_epoch(self) -> int:
        return (len(self.ids) - self.seq_len) // (self.batch * self.seq_len)

    def next(self) -> Batch:
        index = self._advance()
        offset = int(np.random.default_rng([self.seed, self.epoch]).integers(self.seq_len))
        usable = len(self.ids) - offset - 1
        span = usable // self.batch
        starts = offset + np.arange(self.batch) * span + index * self.seq_len
        window = starts[:, None] + np.arange(self.seq_len + 1)[None, :]
        chunk = torch.from_numpy(self.ids[window])
        return Batch(chunk[:, :-1], chunk[:, 1:], index == 0, self.epoch)


class LineBatches(_Cursor):
    """Shuffled lines, ``batch`` at a time, each ``<s>`` … ``</s>`` padded to the longest."""

    def __init__(self, lines: list[list[int]], batch: int, pad_id: int, seed: int) -> None:
        if not lines:
            raise ValueError("no training lines")
        self.lines, self.batch, self.pad_id, self.seed = lines, batch, pad_id, seed
        self.epoch, self.index = 0, 0

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.lines) / self.batch)

    def next(self) -> Batch:
        index = self._advance()
        order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.lines))
        chosen = order[index * self.batch : (index + 1) * self.batch]
        inputs, targets = pad_lines([self.lines[i] for i in chosen], self.pad_id)
        return Batch(torch.from_numpy(inputs), torch.from_numpy(targets), True, self.epoch)
