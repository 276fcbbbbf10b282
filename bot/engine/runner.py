"""Run one decoding step for a batch of rows and keep each row's recurrent state between steps.

Two implementations behind one small interface (``step`` / ``reorder`` / ``clear``):

- ``HostStateRunner`` (CPU): state rows live in NumPy arrays and the batch is exactly as large as
  the number of active requests. ONNX Runtime's CPU kernels compute each row of a GEMM the same
  way whatever the batch size (the engine's tests check that a text is identical alone and among
  50 others), so no padding is needed and batch 1 costs batch 1.
- ``BoundStateRunner`` (CUDA): the state stays on the device between steps through IO binding,
  ping-ponging between two bound buffers per state tensor, and the batch is padded to one fixed
  size. The fixed size serves two purposes: cuBLAS picks kernels by problem size, so a fixed
  size keeps a row's arithmetic independent of how many requests share the step; and CUDA graph
  capture needs fixed shapes and fixed buffer addresses (one captured graph per ping-pong
  direction, chosen with the ``gpu_graph_id`` run option). Membership changes copy the state to
  the host and back once; steady-state steps move only the token ids in and the logits out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import onnxruntime as ort

from artifact.manifest import LOGITS_OUTPUT, TOKENS_INPUT
from bot.engine.session import StepSession

State = list[np.ndarray]  # one [layers, hidden] array per state tensor of one row


def _joining(shapes: list[tuple[int, int]], add: int, initial: Sequence[State | None]) -> list[np.ndarray]:
    """``[layers, add, hidden]`` per state tensor: zeros, or the given states of the joining rows."""
    fresh = [np.zeros((layers, add, hidden), np.float32) for layers, hidden in shapes]
    for row, state in enumerate(initial):
        if state is not None:
            for tensor, value in zip(fresh, state, strict=True):
                tensor[:, row] = value
    return fresh


class StepRunner(Protocol):
    @property
    def provider(self) -> str: ...

    def step(self, tokens: np.ndarray) -> np.ndarray:
        """Feed one token id per active row; return float32 logits ``[rows, vocab]``."""
        ...

    def reorder(self, keep: Sequence[int], add: int, initial: Sequence[State | None] = ()) -> None:
        """Keep these rows (in this order), then append ``add`` rows with zero state, or the state
        ``initial[i]`` gives row ``i`` of them."""
        ...

    def snapshot(self, row: int) -> State:
        """A copy of one row's state: one ``[layers, hidden]`` array per state tensor."""
        ...

    def clear(self) -> None:
        """Forget every row (after a failed step)."""
        ...


class HostStateRunner:
    def __init__(self, step_session: StepSession) -> None:
        self._s = step_session
        self.provider = step_session.provider
        self._outputs = [LOGITS_OUTPUT, *step_session.state_outputs]
        self._feeds: dict[str, np.ndarray] = {}
        self._states = [
            np.zeros((layers, 0, hidden), np.float32) for layers, hidden in step_session.state_shapes
        ]

    @property
    def rows(self) -> int:
        return self._states[0].shape[1]

    def step(self, tokens: np.ndarray) -> np.ndarray:
        feeds = self._feeds  # reused: only its values change from step to step
        feeds[TOKENS_INPUT] = tokens.reshape(-1, 1)
        feeds.update(zip(self._s.state_inputs, self._states, strict=True))
        logits, *states = self._s.session.run(self._outputs, feeds)
        self._states = states
        return np.asarray(logits)

    def reorder(self, keep: Sequence[int], add: int, initial: Sequence[State | None] = ()) -> None:
        if add == 0 and len(keep) == self.rows and all(i == k for i, k in enumerate(keep)):
            return
        index = np.asarray(keep, dtype=np.int64)
        joining = _joining(self._s.state_shapes, add, initial)
        self._states = [
            np.concatenate([s[:, index], j], axis=1) for s, j in zip(self._states, joining, strict=True)
        ]

    def snapshot(self, row: int) -> State:
        return [s[:, row].copy() for s in self._states]

    def clear(self) -> None:
        self.reorder([], 0)


class BoundStateRunner:
    def __init__(
        self, step_session: StepSession, capacity: int, *, device: str = "cuda", cuda_graph: bool = False
    ) -> None:
        self._s = step_session
        self.provider = step_session.provider
        self.capacity = capacity
        self._rows = 0
        self._parity = 0

        def buffer(shape: tuple[int, ...], dtype: type) -> ort.OrtValue:
            return ort.OrtValue.ortvalue_from_numpy(np.zeros(shape, dtype), device, 0)

        shapes = [(layers, capacity, hidden) for layers, hidden in step_session.state_shapes]
        self._tokens = buffer((capacity, 1), np.int64)
        self._logits = buffer((capacity, step_session.vocab_size), np.float32)
        self._states = [[buffer(shape, np.float32) for shape in shapes] for _ in range(2)]
        self._bindings = [self._bind(parity) for parity in range(2)]
        self._run_options = []
        for parity in range(2):
            options = ort.RunOptions()
            if cuda_graph:
                options.add_run_config_entry("gpu_graph_id", str(parity + 1))
            self._run_options.append(options)

    def _bind(self, parity: int) -> ort.IOBinding:
        binding = self._s.session.io_binding()
        binding.bind_ortvalue_input(TOKENS_INPUT, self._tokens)
        binding.bind_ortvalue_output(LOGITS_OUTPUT, self._logits)
        source, target = self._states[parity], self._states[1 - parity]
        for name, value in zip(self._s.state_inputs, source, strict=True):
            binding.bind_ortvalue_input(name, value)
        for name, value in zip(self._s.state_outputs, target, strict=True):
            binding.bind_ortvalue_output(name, value)
        return binding

    def step(self, tokens: np.ndarray) -> np.ndarray:
        padded = np.zeros((self.capacity, 1), np.int64)
        padded[: len(tokens), 0] = tokens
        self._tokens.update_inplace(padded)
        self._s.session.run_with_iobinding(self._bindings[self._parity], self._run_options[self._parity])
        self._parity = 1 - self._parity
        return self._logits.numpy()[: len(tokens)]

    def reorder(self, keep: Sequence[int], add: int, initial: Sequence[State | None] = ()) -> None:
        if add == 0 and len(keep) == self._rows and all(i == k for i, k in enumerate(keep)):
            return
        if len(keep) + add > self.capacity:
            raise ValueError("more rows than the bound batch holds")
        index = np.asarray(keep, dtype=np.int64)
        joining = _joining(self._s.state_shapes, add, initial)
        for value, join in zip(self._states[self._parity], joining, strict=True):
            host = value.numpy()
            fresh = np.zeros_like(host)
            fresh[:, : len(index)] = host[:, index]
            fresh[:, len(index) : len(index) + add] = join
            value.update_inplace(fresh)
        self._rows = len(keep) + add

    def snapshot(self, row: int) -> State:
        return [value.numpy()[:, row].copy() for value in self._states[self._parity]]

    def clear(self) -> None:
        self._rows = -1  # force the zeroing below even when nothing was active
        self.reorder([], 0)
