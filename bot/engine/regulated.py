"""Chinese regulated verse (绝句, 律诗) as a decoding rule: shape, rhyme, tonal pattern, acrostic heads.

A request gets one shape (4 or 8 lines of 5 or 7 characters): the one its form, ``chars``, seed
or acrostic asks, else drawn in the corpus's proportions (the manifest's ``decoding.shapes``) by
a generator seeded from the request's RNG seed and a fixed salt, never from the sampling stream.
With the model's prosody table (``artifact.tang_prosody``) the rules also keep:

- rhyme: each even line (and the first, if it ends level) ends on a level-tone character of one
  Pingshui group, fixed by the first such ending (only groups with at least ``MIN_RHYMES``
  characters in the vocabulary are offered), never repeating a rhyme character while others remain;
- pattern: once a character of known tone stands at a 2nd/4th/6th position, the poem's key tone
  is fixed and every later 2nd/4th/6th position and each later odd line's end takes a character
  whose tone fits (or is unknown); the 1st/3rd/5th positions are free, so acrostic heads never
  conflict with it.

The user's seed is read from its text, so a character the vocabulary lacks (the model sees
``<unk>``) still counts toward its clause and, when the table knows it, fixes the key or rhyme.
Masks depend only on the request's own text and options, so batching and replay are unaffected.
"""

from __future__ import annotations

import numpy as np

from artifact.forms import FORMS
from artifact.tang_prosody import LEVEL, OBLIQUE, Prosody, fits, key_from, shape_key, wanted_tone
from artifact.tokenizer import Tokenizer
from artifact.verse_form import (
    CLAUSE_COUNTS,
    CLAUSE_MARKS,
    CLAUSE_WIDTHS,
    COMMA,
    FULL_STOPS,
    clauses,
    is_ideograph,
)
from bot.engine.api import GenerationRequest, InvalidRequestError
from bot.engine.constraints import OVERRUN, mask_of, pieces_of
from bot.engine.regulated_legacy import LegacyRegulatedConstraint, LegacyRegulatedRules

MIN_RHYMES = 12  # characters a rhyme group needs in the vocabulary to be offered
SHAPE_SALT = 0x7A6E  # seeds the shape draw apart from the sampling stream
SHAPES = tuple((lines, width) for lines in CLAUSE_COUNTS for width in CLAUSE_WIDTHS)
SCAN_HELP = "clauses of 5 or 7 characters, closed by ， and 。 in turn"


class RegulatedVerseRules:
    """Four or eight clauses of five or seven characters, ``，`` and ``。`` in turn; rhymed and in
    pattern where the model's prosody table allows; optional acrostic."""

    def __init__(
        self, tokenizer: Tokenizer, prosody: Prosody | None = None, shapes: dict[str, float] | None = None
    ) -> None:
        self.tokenizer = tokenizer
        self.legacy = LegacyRegulatedRules(tokenizer)
        self.vocab = len(tokenizer)
        pieces = self.pieces = pieces_of(tokenizer)
        ideographs = [i for i, p in enumerate(pieces) if len(p) == 1 and is_ideograph(p)]
        self.ideographs = mask_of(self.vocab, ideographs)
        self.comma = mask_of(self.vocab, [i for i, p in enumerate(pieces) if p == COMMA])
        self.stop = mask_of(self.vocab, [i for i, p in enumerate(pieces) if p in FULL_STOPS])
        self.eos_id = tokenizer.eos_id
        self.end = mask_of(self.vocab, [] if self.eos_id is None else [self.eos_id])
        self.prosody = prosody or Prosody({})
        self.shapes = {shape: float((shapes or {}).get(shape_key(*shape), 0.0)) for shape in SHAPES}
        tone = self.prosody.tone
        self.tone_ok = {  # a table that left no character of a tone would leave none to sample
            t: mask_of(self.vocab, [i for i in ideographs if fits(tone(pieces[i]), t)] or ideographs)
            for t in (LEVEL, OBLIQUE)
        }
        members: dict[str, list[int]] = {}
        for i in ideographs:
            for group in self.prosody.groups(pieces[i]):
                members.setdefault(group, []).append(i)
        self.rhymes = {g: np.array(ids) for g, ids in members.items() if len(ids) >= MIN_RHYMES}
        self.rhymeable = mask_of(self.vocab, sorted({int(i) for ids in self.rhymes.values() for i in ids}))
        if not self.rhymes:  # no table: any character may end a line
            self.rhymeable = self.ideographs

    def start(
        self, prompt: list[int], request: GenerationRequest
    ) -> RegulatedVerseConstraint | LegacyRegulatedConstraint:
        """``prompt`` is the seed as the model sees it; the rules read ``request.seed_text`` itself.
        A request without a form is a generation stored before forms: it replays on the old rules."""
        if request.form is None:
            return self.legacy.start(prompt, request)
        heads = self._heads(request.acrostic)
        seed = _seed_clauses(request.seed_text)
        if heads is not None and seed:
            raise InvalidRequestError("an acrostic poem starts from the acrostic alone; leave the seed out")
        lines, width = self._shape(request, seed, None if heads is None else len(heads))
        constraint = RegulatedVerseConstraint(self, lines, width, heads)
        for body, mark in seed:
            for char in body:
                constraint.feed(char)
            if mark:
                constraint.close()
        return constraint

    def _heads(self, acrostic: str | None) -> list[np.ndarray] | None:
        if not acrostic:
            return None
        acrostic = "".join(acrostic.split())
        if len(acrostic) not in CLAUSE_COUNTS:
            raise InvalidRequestError("an acrostic needs 4 or 8 characters, one for each line")
        unknown = [c for c in acrostic if c not in self.tokenizer.vocab or not is_ideograph(c)]
        if unknown:
            raise InvalidRequestError(f"the model cannot write {''.join(unknown)} (not in its vocabulary)")
        return [mask_of(self.vocab, [self.tokenizer.id_of(c)]) for c in acrostic]

    def _shape(
        self, request: GenerationRequest, seed: list[tuple[str, str]], acrostic: int | None
    ) -> tuple[int, int]:
        """The poem's (lines, characters a line): what the request fixes, else drawn by corpus share."""
        allowed_lines: set[int] = set(CLAUSE_COUNTS)
        if request.form is not None:
            form = FORMS.get(request.form)
            if form is None or form.script != "han":
                raise InvalidRequestError(f"this model writes regulated, jueju or lushi, not {request.form}")
            allowed_lines &= set(form.lines)
        if acrostic is not None:
            if acrostic not in allowed_lines:
                raise InvalidRequestError(
                    f"an acrostic of {acrostic} characters makes a poem of {acrostic} lines"
                )
            allowed_lines = {acrostic}
        if len(seed) > max(allowed_lines):
            raise InvalidRequestError(
                f"the seed has {len(seed)} lines; this poem has at most {max(allowed_lines)} "
                "(绝句 4, 律诗 8) — send fewer"
            )
        allowed_lines = {n for n in allowed_lines if n >= len(seed)}
        widths = set(CLAUSE_WIDTHS)
        if request.chars is not None:
            if request.chars not in CLAUSE_WIDTHS:
                raise InvalidRequestError("a Tang line has 5 or 7 characters")
            widths = {request.chars}
        seed_width = _seed_width(seed, request.chars)
        if seed_width is not None:
            if seed_width not in widths:
                raise InvalidRequestError(
                    f"the seed's lines have {seed_width} characters, not {request.chars}"
                )
            widths = {seed_width}
        shapes = [s for s in SHAPES if s[0] in allowed_lines and s[1] in widths]
        weights = np.array([self.shapes[s] for s in shapes], np.float64)
        if weights.sum() <= 0:
            weights = np.ones(len(shapes))
        rng = np.random.Generator(np.random.PCG64([request.rng_seed or 0, SHAPE_SALT]))
        cumulative = np.cumsum(weights / weights.sum())
        index = min(int(np.searchsorted(cumulative, rng.random(), "right")), len(shapes) - 1)
        return shapes[index]


def _seed_clauses(seed: str) -> list[tuple[str, str]]:
    """The seed's clauses (characters, closing mark or "" for the open last one), checked to scan."""
    if not seed:
        return []
    if any(c.isspace() for c in seed):
        raise InvalidRequestError("write a Tang seed without spaces, e.g. 白日依山尽，")
    foreign = sorted({c for c in seed if not is_ideograph(c) and c not in CLAUSE_MARKS})
    if foreign:
        raise InvalidRequestError(
            f"a Tang seed is Chinese characters with ， and 。 — not {''.join(foreign)}"
        )
    parts = [(c.body, c.mark) for c in clauses(seed)]
    widths = {len(body) for body, mark in parts if mark}
    for number, (body, mark) in enumerate(parts, start=1):
        expected = (COMMA,) if number % 2 else tuple(FULL_STOPS)
        closed_ok = len(body) in CLAUSE_WIDTHS and mark in expected
        open_ok = not mark and len(body) <= max(widths or CLAUSE_WIDTHS)
        if not (closed_ok if mark else open_ok) or len(widths) > 1:
            hint = _punctuated(seed)
            suggestion = f" — perhaps {hint}" if hint else ""
            raise InvalidRequestError(f"the seed does not scan as Tang verse ({SCAN_HELP}){suggestion}")
    return parts


def _punctuated(seed: str) -> str | None:
    """An unpunctuated seed cut into whole clauses of 5 (else 7) characters, marks in turn, as a
    suggestion: 床前明月光疑是地上霜 → 床前明月光，疑是地上霜。"""
    if any(c in CLAUSE_MARKS for c in seed) or len(seed) > max(CLAUSE_COUNTS) * max(CLAUSE_WIDTHS):
        return None
    for width in CLAUSE_WIDTHS:
        if len(seed) % width == 0 and len(seed) // width <= max(CLAUSE_COUNTS):
            cut = [seed[i : i + width] for i in range(0, len(seed), width)]
            return "".join(body + (COMMA if n % 2 == 0 else "。") for n, body in enumerate(cut))
    return None


def _seed_width(seed: list[tuple[str, str]], chars: int | None) -> int | None:
    """Characters a line, as the seed fixes it: its closed clauses, or an open clause of 6–7; an
    open clause of exactly 5 is complete (not extended) unless 7 are asked for."""
    for body, mark in seed:
        if mark:
            return len(body)
    if not seed:
        return None
    size = len(seed[-1][0])
    if size > min(CLAUSE_WIDTHS):
        return max(CLAUSE_WIDTHS)
    if size == min(CLAUSE_WIDTHS) and chars != max(CLAUSE_WIDTHS):
        return size
    return None


class RegulatedVerseConstraint:
    def __init__(
        self, rules: RegulatedVerseRules, lines: int, width: int, heads: list[np.ndarray] | None
    ) -> None:
        self.rules = rules
        self.lines = lines
        self.width = width
        self.heads = heads
        self.clauses = 0  # clauses closed so far
        self.chars = 0  # characters in the open clause
        self.key: str | None = None  # tone of the first line's 2nd character, once known
        self.groups: frozenset[str] | None = None  # the rhyme's Pingshui groups, once fixed
        self.used: set[int] = set()  # ids already at a rhyme
        self.done = False

    def mask(self, produced: int, limit: int) -> np.ndarray | None:
        r = self.rules
        if self.chars == self.width:
            return r.comma if self.clauses % 2 == 0 else r.stop
        if self.chars == 0:
            if self.clauses == self.lines:
                return r.end
            if self.heads is not None:
                return self.heads[self.clauses]
        position = self.chars + 1
        if position == self.width:
            if self.clauses % 2:
                return self._rhyme()
            return r.tone_ok[OBLIQUE] if self.clauses else r.ideographs
        wanted = None if self.key is None else wanted_tone(self.clauses, position, self.width, self.key)
        return r.ideographs if wanted is None else r.tone_ok[wanted]

    def _rhyme(self) -> np.ndarray:
        r = self.rules
        if self.groups is None:
            return r.rhymeable
        ids = np.unique(np.concatenate([r.rhymes[g] for g in self.groups]))
        fresh = [int(i) for i in ids if int(i) not in self.used]
        return mask_of(r.vocab, fresh or [int(i) for i in ids])

    def accept(self, token: int) -> None:
        piece = self.rules.pieces[token]
        if not piece:
            self.done = token == self.rules.eos_id
        elif piece in CLAUSE_MARKS:
            self.close()
        else:
            self.feed(piece)

    def feed(self, char: str) -> None:
        """One character of the poem (the seed's may be outside the vocabulary)."""
        r = self.rules
        self.chars += 1
        position, line = self.chars, self.clauses
        tone = r.prosody.tone(char)
        if self.key is None:
            self.key = key_from(line, position, self.width, tone)
        if position != self.width or not (line % 2 or (line == 0 and tone == LEVEL)):
            return
        groups = frozenset(g for g in r.prosody.groups(char) if g in r.rhymes)
        narrowed = groups if self.groups is None else groups & self.groups
        if narrowed:
            self.groups = narrowed
        if char in r.tokenizer.vocab:
            self.used.add(r.tokenizer.id_of(char))

    def close(self) -> None:
        self.clauses += 1
        self.chars = 0

    def finished(self, produced: int, limit: int) -> bool:
        return self.done or produced >= limit + OVERRUN
