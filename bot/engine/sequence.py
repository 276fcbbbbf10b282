"""One request's decoding state, advanced one step at a time by the batcher's worker thread.

A sequence first feeds its prompt (the seed ids; ``<s>`` first for line models) one token per
step, then samples. Everything that decides its text lives here and in its own
``numpy.random.Generator``, never in the batch around it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from artifact.tokenizer import Tokenizer
from bot.engine.api import EngineError, SamplingParams
from bot.engine.constraints import Constraint
from bot.engine.sampling import ban_mask


@dataclass(frozen=True)
class Vocabulary:
    """What the sampler and the detokeniser need to know about a model's tokenizer, computed once."""

    tokenizer: Tokenizer
    mask: np.ndarray  # -inf on ids never sampled (<s>, <unk>), as ``sampling.sample`` takes it
    stop_id: int | None  # </s> for line models
    newline_id: int | None
    pieces: list[str] | None  # text of each id when decoding is concatenative (char, line)

    @classmethod
    def of(cls, tokenizer: Tokenizer) -> Vocabulary:
        banned = tokenizer.never_sampled
        stop_id = tokenizer.eos_id if tokenizer.mode == "line" else None
        newline = "\n" if tokenizer.mode != "word" else tokenizer.eos
        newline_id = tokenizer.id_of(newline) if newline in tokenizer.vocab else None
        pieces = None if tokenizer.mode == "word" else [tokenizer.decode([i]) for i in range(len(tokenizer))]
        return cls(tokenizer, ban_mask(len(tokenizer), banned), stop_id, newline_id, pieces)

    def piece(self, previous: int | None, token: int) -> str:
        """Text that ``token`` adds after ``previous`` (word mode spaces depend on the neighbour)."""
        if self.pieces is not None:
            return self.pieces[token]
        if previous is None:
            return self.tokenizer.decode([token])
        before = self.tokenizer.decode([previous])
        return self.tokenizer.decode([previous, token])[len(before) :]


class Sequence:
    """Created on the event loop, advanced on the worker thread, finished back on the loop."""

    def __init__(
        self,
        prompt: list[int],
        params: SamplingParams,
        rng_seed: int,
        vocabulary: Vocabulary,
        loop: asyncio.AbstractEventLoop,
        *,
        streaming: bool,
        constraint: Constraint | None = None,
        rng: np.random.Generator | None = None,
        initial_state: list[np.ndarray] | None = None,
        keep_state: bool = False,
    ) -> None:
        """``rng`` replaces the generator seeded from ``rng_seed``; ``initial_state`` (one
        ``[layers, hidden]`` array per state tensor) replaces the zero state; ``keep_state`` asks
        the batcher for ``final_state`` (the state before the last sampled token is fed) and the
        model's log-probability of every sampled token (``logprob``), as line candidates need."""
        self.params = params
        self.rng_seed = rng_seed
        self.vocabulary = vocabulary
        self.loop = loop
        self.temperature = params.temperature
        self.top_k = params.top_k or 0  # 0: off
        self.top_p = params.top_p if params.top_p is not None else 1.0  # 1.0: off
        self.constraint = constraint  # already fed the prompt
        self._rng = rng if rng is not None else np.random.Generator(np.random.PCG64(rng_seed))
        self.initial_state = initial_state
        self.keep_state = keep_state
        self.final_state: list[np.ndarray] | None = None
        self.logprob = 0.0  # summed over the sampled tokens, when ``keep_state``
        self._forced = deque(prompt[1:])
        self.next_input = prompt[0]
        self._last: int | None = prompt[-1]
        self.generated: list[int] = []
        self.pieces: list[str] = []
        self._lines = 0
        self.finished = False
        self.cancelled = False  # set by the loop; the worker drops the row at its next step
        self.started = time.perf_counter()
        self.latency_s = 0.0
        self.error: EngineError | None = None  # why a streamed sequence ended early
        # Non-streamed requests wait on ``future``; streamed ones read ``chunks`` until None.
        self.future: asyncio.Future[None] | None = None if streaming else loop.create_future()
        self.chunks: asyncio.Queue[str | None] | None = asyncio.Queue() if streaming else None

    @property
    def primed(self) -> bool:
        """True once the prompt is fed: the next step's logits are sampled from."""
        return not self._forced

    def mask(self) -> np.ndarray:
        """What may be sampled next: the vocabulary's bans plus the decoding rules'."""
        base = self.vocabulary.mask
        if self.constraint is None:
            return base
        rules = self.constraint.mask(len(self.generated), self.params.max_tokens)
        if rules is None:
            return base
        return rules if getattr(self.constraint, "allows_only_text", False) else base + rules

    def uniform(self) -> float:
        return float(self._rng.random())

    def advance_prompt(self) -> None:
        self.next_input = self._forced.popleft()

    def accept(self, token: int) -> str | None:
        """Take a sampled token; returns the text it adds, or None when it ends the sequence."""
        v = self.vocabulary
        if token == v.stop_id:
            self.finished = True
            return None
        if token == v.newline_id and self.params.max_lines is not None:
            self._lines += 1
            if self._lines >= self.params.max_lines:
                self.finished = True
                return None
        piece = v.piece(self._last, token)
        self.generated.append(token)
        self.pieces.append(piece)
        self._last = token
        self.next_input = token
        produced, limit = len(self.generated), self.params.max_tokens
        if self.constraint is None:
            self.finished = produced >= limit
        else:
            self.constraint.accept(token)
            self.finished = self.constraint.finished(produced, limit)
        return piece
