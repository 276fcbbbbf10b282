"""Decoding rules: which tokens a request may sample next, and when its text is complete.

A small model left alone invents words ("cribunes"), stops mid-word at the length cap and breaks
a Chinese quatrain's metre. The manifest's ``decoding`` section names the rules a model is served
with; each request gets its own ``Constraint`` (a little state machine fed every prompt and
sampled token) that hands the sampler an additive mask. Masks depend only on the request's own
text, so batching, replay and streaming are unaffected. ``Rules`` objects are built once per
loaded model version and cache masks; they are used from that version's worker thread only.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from artifact.lexicon import SENTENCE_ENDS, Lexicon, fold, is_letter
from artifact.manifest import Decoding
from artifact.tokenizer import Tokenizer
from artifact.verse_form import CLAUSE_COUNTS, CLAUSE_WIDTHS, COMMA, FULL_STOPS, is_ideograph
from bot.engine.api import InvalidRequestError

CLOSING_WINDOW = 100  # tokens before the length asked for where a sentence end may close the text
OVERRUN = 80  # hard stop past the length asked for, whatever the rules say
END_BOOST = 3.0  # added to a sentence end's logit after a whole word, past the length asked for


class Constraint(Protocol):
    def mask(self, produced: int, limit: int) -> np.ndarray | None:
        """Additive float32 mask over the vocabulary (``-inf``: not allowed now), or None for none."""

    def accept(self, token: int) -> None: ...

    def finished(self, produced: int, limit: int) -> bool:
        """True when the text is complete after ``produced`` sampled tokens (``limit`` asked for)."""


class Rules(Protocol):
    def start(self, prompt: list[int], acrostic: str | None) -> Constraint:
        """A fresh constraint fed ``prompt``; ``InvalidRequestError`` if the request cannot follow it."""


def rules_for(decoding: Decoding, tokenizer: Tokenizer, lexicon: Lexicon | None) -> Rules | None:
    """The rules a manifest asks for, or None when sampling is free."""
    if decoding.form == "regulated":
        return RegulatedVerseRules(tokenizer)
    if lexicon is not None or decoding.sentence_end or decoding.line_capitals:
        return VerseRules(
            tokenizer, lexicon, sentence_end=decoding.sentence_end, capitals=decoding.line_capitals
        )
    return None


def _pieces(tokenizer: Tokenizer) -> list[str]:
    """The text of each id; "" for the special symbols, which the rules never allow."""
    return [tokenizer.decode([i]) if i not in tokenizer.special_ids else "" for i in range(len(tokenizer))]


def _mask(vocab: int, allowed: list[int]) -> np.ndarray:
    mask = np.full(vocab, -np.inf, np.float32)
    mask[allowed] = 0.0
    return mask


def refuse_acrostic(acrostic: str | None) -> None:
    """Only regulated verse has lines to start with given characters."""
    if acrostic:
        raise InvalidRequestError("acrostic poems need a Chinese verse model, such as 'tang'")


# --------------------------------------------------------------------------- English verse
class VerseRules:
    """Words from the lexicon, capitals at line starts, an ending at a sentence end."""

    def __init__(self, tokenizer: Tokenizer, lexicon: Lexicon | None, *, sentence_end: bool, capitals: bool):
        pieces = _pieces(tokenizer)
        self.vocab = len(pieces)
        self.pieces = pieces
        self.lexicon = lexicon
        self.sentence_end = sentence_end
        self.letters = [i for i, p in enumerate(pieces) if is_letter(p)]
        self.others = [i for i, p in enumerate(pieces) if p and not is_letter(p)]
        self.ends = [i for i, p in enumerate(pieces) if p in SENTENCE_ENDS]
        self.same_line = [i for i in self.others if pieces[i] != "\n"]
        # Capitals only where the model knows both cases (a lower-cased model has none to force).
        has_upper = any(pieces[i].isupper() for i in self.letters)
        self.capitals = capitals and has_upper
        self._cache: dict[tuple[str | None, bool, bool], np.ndarray] = {}

    def start(self, prompt: list[int], acrostic: str | None) -> VerseConstraint:
        refuse_acrostic(acrostic)
        constraint = VerseConstraint(self)
        for token in prompt:
            constraint.accept(token)
        return constraint

    def mask_for(self, prefix: str | None, line_start: bool, closing: bool) -> np.ndarray:
        """``prefix``: the folded letters of the word being written ("" between words, None for a
        word of the user's that is not in the lexicon); ``closing``: past the length asked for."""
        key = (prefix, line_start, closing)
        mask = self._cache.get(key)
        if mask is None:
            mask = _mask(self.vocab, self._allowed(prefix, line_start, closing))
            if closing and prefix:  # after a word, past the length: nudge the sentence to its end
                mask[self.ends] += np.float32(END_BOOST)
            self._cache[key] = mask
        return mask

    def _allowed(self, prefix: str | None, line_start: bool, closing: bool) -> list[int]:
        lexicon = self.lexicon
        if prefix is None:
            letters: list[int] = []
        elif lexicon is None:
            letters = self.letters
        else:
            letters = [i for i in self.letters if lexicon.can_extend(prefix + fold(self.pieces[i]))]
        if line_start and self.capitals:
            letters = [i for i in letters if self.pieces[i].isupper()]
        complete = prefix is None or lexicon is None or prefix == "" or prefix in lexicon.words
        if not complete:  # a word whose next letter the vocabulary lacks may still end
            return letters or self.others
        if not closing:
            return letters + self.others
        return letters + self.same_line  # past the length: finish this line's sentence, no new line


class VerseConstraint:
    def __init__(self, rules: VerseRules) -> None:
        self.rules = rules
        self.prefix: str | None = ""
        self.line_start = True
        self.ended_sentence = False

    def mask(self, produced: int, limit: int) -> np.ndarray | None:
        return self.rules.mask_for(
            self.prefix, self.line_start, self.rules.sentence_end and produced >= limit
        )

    def accept(self, token: int) -> None:
        piece = self.rules.pieces[token]
        if not piece:
            return
        if is_letter(piece):
            if self.prefix is not None:
                extended = self.prefix + fold(piece)
                lexicon = self.rules.lexicon
                self.prefix = extended if lexicon is None or lexicon.can_extend(extended) else None
            self.line_start = False
        else:
            self.prefix = ""
            self.line_start = piece == "\n" or (self.line_start and piece.isspace())
        self.ended_sentence = piece in SENTENCE_ENDS

    def finished(self, produced: int, limit: int) -> bool:
        if not self.rules.sentence_end:
            return produced >= limit
        if produced >= limit + OVERRUN:
            return True
        return self.ended_sentence and produced >= limit - min(CLOSING_WINDOW, limit // 4)


# --------------------------------------------------------------------------- Chinese regulated verse
class RegulatedVerseRules:
    """Four or eight clauses of five or seven characters, ``，`` and ``。`` in turn; optional acrostic."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        self.vocab = len(tokenizer)
        pieces = self.pieces = _pieces(tokenizer)
        self.ideographs = _mask(
            self.vocab, [i for i, p in enumerate(pieces) if len(p) == 1 and is_ideograph(p)]
        )
        self.comma = _mask(self.vocab, [i for i, p in enumerate(pieces) if p == COMMA])
        self.stop = _mask(self.vocab, [i for i, p in enumerate(pieces) if p in FULL_STOPS])
        self.eos_id = tokenizer.eos_id
        self.end = _mask(self.vocab, [] if self.eos_id is None else [self.eos_id])
        self.end_or_more = np.maximum(self.end, self.ideographs)
        self.clause_end_or_more = {
            k: np.maximum(self.ideographs, m) for k, m in ((0, self.comma), (1, self.stop))
        }

    def start(self, prompt: list[int], acrostic: str | None) -> RegulatedVerseConstraint:
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
            heads = [_mask(self.vocab, [self.tokenizer.id_of(c)]) for c in acrostic]
        constraint = RegulatedVerseConstraint(self, heads)
        for token in prompt:
            constraint.accept(token)
        if constraint.broken:
            raise InvalidRequestError("the seed does not scan as Tang verse (clauses of 5 or 7 characters)")
        if heads is not None and (constraint.clauses or constraint.chars):
            raise InvalidRequestError("an acrostic poem starts from the acrostic alone; leave the seed out")
        return constraint


class RegulatedVerseConstraint:
    def __init__(self, rules: RegulatedVerseRules, heads: list[np.ndarray] | None) -> None:
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
