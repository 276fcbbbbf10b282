"""Turn a user's seed text into the token ids that prime a model's state.

Out-of-vocabulary symbols follow the tokenizer's one policy (``<unk>`` where the vocabulary has
it, else dropped and reported). A line model (names) always starts from ``<s>`` and the seed is
the name's prefix; a stream model with no usable seed starts from a newline, as a fresh verse
would, and that start symbol is not part of the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import dropwhile

from artifact.tokenizer import Tokenizer
from bot.engine.api import InvalidRequestError


@dataclass(frozen=True)
class Prompt:
    ids: list[int]  # fed one per step before sampling starts
    seen: str  # the seed as the model saw it: what the returned text starts with
    dropped: list[str]


def encode_prompt(tokenizer: Tokenizer, seed_text: str, max_chars: int) -> Prompt:
    if len(seed_text) > max_chars:
        raise InvalidRequestError(f"seed text is too long ({len(seed_text)} characters, at most {max_chars})")
    encoded = tokenizer.encode(seed_text)
    kept = encoded.ids
    if encoded.dropped:  # "🌹 O rose" without the rose must not start with the space after it
        kept = list(dropwhile(lambda i: not tokenizer.decode([i]).strip(), kept))
    if tokenizer.bos_id is not None and tokenizer.mode == "line":
        ids = [tokenizer.bos_id, *kept]
    else:
        ids = kept or [_start_id(tokenizer)]
    return Prompt(ids, tokenizer.decode(kept), encoded.dropped)


def _start_id(tokenizer: Tokenizer) -> int:
    newline = tokenizer.eos if tokenizer.mode == "word" else "\n"
    if newline is not None and newline in tokenizer.vocab:
        return tokenizer.id_of(newline)
    return next(i for i in range(len(tokenizer)) if i not in tokenizer.special_ids)
