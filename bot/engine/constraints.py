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
from artifact.tokenizer import Tokenizer
from bot.engine.api import GenerationRequest, InvalidRequestError

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
    def start(self, prompt: list[int], request: GenerationRequest) -> Constraint:
        """A fresh constraint fed ``prompt``; ``InvalidRequestError`` if the request (its form,
        acrostic, shape) cannot be kept by this model."""


def pieces_of(tokenizer: Tokenizer) -> list[str]:
    """The text of each id; "" for the special symbols, which the rules never allow."""
    return [tokenizer.decode([i]) if i not in tokenizer.special_ids else "" for i in range(len(tokenizer))]


def mask_of(vocab: int, allowed: list[int]) -> np.ndarray:
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
        pieces = pieces_of(tokenizer)
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

    def start(self, prompt: list[int], request: GenerationRequest) -> VerseConstraint:
        refuse_acrostic(request.acrostic)
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
            mask = mask_of(self.vocab, self._allowed(prefix, line_start, closing))
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
