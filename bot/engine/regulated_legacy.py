"""The Tang rules generations had before verse forms: clause widths, marks, acrostic heads.

A generation stored without a form replays on these, so ``/replay`` still gives its text; every
new request names a form (``regulated``, ``jueju``, ``lushi``) and gets ``bot.engine.regulated``.
"""

from __future__ import annotations

import numpy as np

from artifact.tokenizer import Tokenizer
from artifact.verse_form import CLAUSE_COUNTS, CLAUSE_WIDTHS, COMMA, FULL_STOPS, is_ideograph
from bot.engine.api import GenerationRequest, InvalidRequestError
from bot.engine.constraints import OVERRUN, mask_of, pieces_of


class LegacyRegulatedRules:
    """Four or eight clauses of five or seven characters, ``，`` and ``。`` in turn; optional acrostic."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        self.vocab = len(tokenizer)
        pieces = self.pieces = pieces_of(tokenizer)
        self.ideographs = mask_of(
            self.vocab, [i for i, p in enumerate(pieces) if len(p) == 1 and is_ideograph(p)]
        )
        self.comma = mask_of(self.vocab, [i for i, p in enumerate(pieces) if p == COMMA])
        self.stop = mask_of(self.vocab, [i for i, p in enumerate(pieces) if p in FULL_STOPS])
        self.eos_id = tokenizer.eos_id
        self.end = mask_of(self.vocab, [] if self.eos_id is None else [self.eos_id])
        self.end_or_more = np.maximum(self.end, self.ideographs)
        self.clause_end_or_more = {
            k: np.maximum(self.ideographs, m) for k, m in ((0, self.comma), (1, self.stop))
        }

    def start(self, prompt: list[int], request: GenerationRequest) -> LegacyRegulatedConstraint:
        acrostic = request.acrostic
        heads: list[np.ndarray] | None = None
        if acrostic:
            acrostic = "".join(acrostic.split())
            if len(acrostic) not in CLAUSE_COUNTS:
                raise InvalidRequestError("an acrostic needs 4 or 8 characters, one for each line")
            unknown = [c for c in acrostic if c not in self.tokenizer.vocab or not is_ideograph(c)]
            if unknown:
                raise InvalidRequestError(
                    f"the model cannot write {''.join(unknown)} (not in its vocabulary)"
                )
            heads = [mask_of(self.vocab, [self.tokenizer.id_of(c)]) for c in acrostic]
        constraint = LegacyRegulatedConstraint(self, heads)
        for token in prompt:
            constraint.accept(token)
        if constraint.broken:
            raise InvalidRequestError("the seed does not scan as Tang verse (clauses of 5 or 7 characters)")
        if heads is not None and (constraint.clauses or constraint.chars):
            raise InvalidRequestError("an acrostic poem starts from the acrostic alone; leave the seed out")
        return constraint


class LegacyRegulatedConstraint:
    def __init__(self, rules: LegacyRegulatedRules, heads: list[np.ndarray] | None) -> None:
        self.rules = rules
        self.heads = heads
        self.clauses = 0  # clauses closed so far
        self.chars = 0  # characters in the open clause
        self.width: int | None = None  # 5 or 7, fixed by the first clause
        self.broken = False
        self.done = False

    def mask(self, produced: int, limit: int) -> np.ndarray | None:
        r = self.rules
        if self.chars == 0:
            target = len(self.heads) if self.heads is not None else None
            if self.clauses == (target or max(CLAUSE_COUNTS)):
                return r.end
            if self.heads is not None:
                return self.heads[self.clauses]
            if self.clauses in CLAUSE_COUNTS:
                more = (max(CLAUSE_COUNTS) - self.clauses) * ((self.width or min(CLAUSE_WIDTHS)) + 1)
                room = limit - produced >= more
                return r.end_or_more if room else r.end
            return r.ideographs
        closer = r.comma if self.clauses % 2 == 0 else r.stop
        if self.width is None:
            if self.chars == min(CLAUSE_WIDTHS):
                return r.clause_end_or_more[self.clauses % 2]
            return closer if self.chars == max(CLAUSE_WIDTHS) else r.ideographs
        return closer if self.chars == self.width else r.ideographs

    def accept(self, token: int) -> None:
        piece = self.rules.pieces[token]
        if not piece:
            self.done = token == self.rules.eos_id
            return
        if len(piece) == 1 and is_ideograph(piece):
            self.chars += 1
            self.broken |= self.chars > (self.width or max(CLAUSE_WIDTHS))
            return
        expected = COMMA if self.clauses % 2 == 0 else FULL_STOPS
        fits = self.chars == self.width if self.width is not None else self.chars in CLAUSE_WIDTHS
        if piece not in expected or not fits:
            self.broken = True
        self.width = self.width or self.chars
        self.clauses += 1
        self.chars = 0

    def finished(self, produced: int, limit: int) -> bool:
        return self.done or produced >= limit + OVERRUN
