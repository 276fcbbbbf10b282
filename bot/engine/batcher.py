"""Continuous (iteration-level) batching of concurrent requests for one loaded model version.

Requests from any number of asyncio tasks are queued here; a worker thread runs the model one
step at a time for every active request together, and requests join and leave between any two
steps, as Triton's sequence batcher does. ONNX Runtime releases the GIL while it computes, so
the event loop keeps serving. The queue and the batch are bounded: a full queue answers
``BusyError`` at once rather than letting memory grow. Results travel back to each request's
event loop in one callback per step.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque

import numpy as np

from bot.engine.api import BusyError, EngineError
from bot.engine.runner import StepRunner
from bot.engine.sampling import sample, sample_one
from bot.engine.sequence import Sequence, Vocabulary
from bot.errors import first_line

BUSY_MESSAGE = "busy, try again in a moment"
# Up to this many sampling rows, one ``sample_one`` call per row beats the vectorised ``sample``
# (both draw the same ids): a poem's few candidate lines at batch 1 are the common case.
ROW_BY_ROW = 4

# (sequence, text piece or None, finished, error)
_Event = tuple[Sequence, str | None, bool, EngineError | None]


class RetiredError(Exception):
    """This batcher no longer takes requests (its model version was swapped out); resubmit."""


class Batcher:
    def __init__(
        self, runner: StepRunner, vocabulary: Vocabulary, *, max_batch: int, max_queue: int, name: str
    ) -> None:
        if max_batch < 1 or max_queue < 1:
            raise ValueError("max_batch and max_queue must be at least 1")
        self._runner = runner
        self._vocabulary = vocabulary
        self._max_batch = max_batch
        self._max_queue = max_queue
        self._cond = threading.Condition()
        self._pending: deque[Sequence] = deque()
        self._closing = False
        self._abort: EngineError | None = None
        self.steps = 0  # model steps run so far (for benchmarks and metrics)
        self.batch = 0  # sequences in the step running now (or the last one)
        self._one_token = np.zeros(1, np.int64)
        self._thread = threading.Thread(target=self._work, name=f"bardling-batcher-{name}", daemon=True)
        self._thread.start()

    # ----------------------------------------------------------------- event-loop side
    def submit(self, seq: Sequence) -> None:
        with self._cond:
            if self._closing:
                raise RetiredError
            if len(self._pending) >= self._max_queue:
                raise BusyError(BUSY_MESSAGE)
            self._pending.append(seq)
            self._cond.notify()

    def close(self, *, drain: bool) -> None:
        """Stop taking requests; ``drain`` lets queued and running ones finish, else they fail."""
        with self._cond:
            self._closing = True
            if not drain:
                self._abort = EngineError("the engine is shutting down")
            self._cond.notify()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def queued(self) -> int:
        """Requests waiting to join the batch."""
        return len(self._pending)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # ----------------------------------------------------------------- worker thread
    def _work(self) -> None:
        active: list[Sequence] = []
        while True:
            keep = [i for i, s in enumerate(active) if not (s.finished or s.cancelled)]
            with self._cond:
                while not self._pending and not keep and not self._closing:
                    self._cond.wait()
                if self._abort is not None:
                    doomed = [active[i] for i in keep] + list(self._pending)
                    self._pending.clear()
                    _deliver([(s, None, True, self._abort) for s in doomed])
                    return
                if self._closing and not self._pending and not keep:
                    return
                joining: list[Sequence] = []
                while self._pending and len(keep) + len(joining) < self._max_batch:
                    seq = self._pending.popleft()
                    if not seq.cancelled:
                        joining.append(seq)
            if joining or len(keep) < len(active):  # else the batch stays as it is
                self._runner.reorder(keep, len(joining), [s.initial_state for s in joining])
                active = [active[i] for i in keep] + joining
            if active:
                self._step(active)

    def _step(self, active: list[Sequence]) -> None:
        if len(active) == 1:
            self._one_token[0] = active[0].next_input
            tokens = self._one_token
        else:
            tokens = np.fromiter((s.next_input for s in active), dtype=np.int64, count=len(active))
        try:
            logits = self._runner.step(tokens)
        except Exception as err:  # a failing model fails its requests, never the worker
            self._runner.clear()
            error = EngineError(f"generation failed: {first_line(err, 200)}")
            for seq in active:
                seq.finished = True
            _deliver([(s, None, True, error) for s in active])
            return
        self.steps += 1
        self.batch = len(active)
        sampling = [s for s in active if s.primed]
        rows = None if len(sampling) == len(active) else [i for i, s in enumerate(active) if s.primed]
        for seq in active:
            if not seq.primed:
                seq.advance_prompt()
        if not sampling:
            return
        ids: list[int]
        if len(sampling) <= ROW_BY_ROW:
            ids = [
                sample_one(
                    logits[j if rows is None else rows[j]],
                    s.temperature,
                    s.top_k,
                    s.top_p,
                    s.uniform(),
                    s.mask(),
                )
                for j, s in enumerate(sampling)
            ]
        else:
            if any(s.constraint is not None for s in sampling):
                mask = np.stack([s.mask() for s in sampling])
            else:
                mask = self._vocabulary.mask
            ids = sample(
                logits if rows is None else logits[rows],
                np.array([s.temperature for s in sampling]),
                np.array([s.top_k for s in sampling]) if any(s.top_k for s in sampling) else None,
                np.array([s.top_p for s in sampling]) if any(s.top_p < 1.0 for s in sampling) else None,
                np.array([s.uniform() for s in sampling]),
                mask,
            ).tolist()
        scored = [j for j, s in enumerate(sampling) if s.keep_state]
        if scored:
            at = np.asarray(scored if rows is None else [rows[j] for j in scored])
            chosen = np.asarray([ids[j] for j in scored])
            for j, value in zip(scored, _log_probabilities(logits[at], chosen), strict=True):
                sampling[j].logprob += float(value)
        events: list[_Event] = []
        for j, (seq, token) in enumerate(zip(sampling, ids, strict=True)):
            piece = seq.accept(token)
            if seq.finished and seq.keep_state:
                seq.final_state = self._runner.snapshot(j if rows is None else rows[j])
            if seq.finished:
                seq.latency_s = time.perf_counter() - seq.started
            if (piece and seq.chunks is not None) or seq.finished:
                events.append((seq, piece if seq.chunks is not None else None, seq.finished, None))
        if events:
            _deliver(events)


def _log_probabilities(logits: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """The model's own log-probability of each row's token (temperature 1, no mask), in float64;
    row by row, so a row's value does not depend on the others."""
    rows = logits.astype(np.float64)
    top = rows.max(axis=1, keepdims=True)
    total = np.log(np.exp(rows - top).sum(axis=1))
    return rows[np.arange(len(tokens)), tokens] - top[:, 0] - total


def _deliver(events: list[_Event]) -> None:
    """Hand events to their event loops, one callback per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Event]] = {}
    for event in events:
        by_loop.setdefault(event[0].loop, []).append(event)
    for loop, batch in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            loop.call_soon_threadsafe(_apply, batch)


def _apply(events: list[_Event]) -> None:
    for seq, piece, finished, error in events:
        if seq.chunks is not None:
            if piece:
                seq.chunks.put_nowait(piece)
            if finished:
                seq.error = error
                seq.chunks.put_nowait(None)
        elif finished and seq.future is not None and not seq.future.done() and not seq.cancelled:
            if error is None:
                seq.future.set_result(None)
            else:
                seq.future.set_exception(error)
