"""A poem in a form, line by line: K candidate lines sampled in one batch, the likeliest kept.

Each line of the form gets a ``LineConstraint`` (``bot.engine.verse``), so every candidate that
finishes keeps the form; of those the composer keeps the one with the highest mean log-probability
under the model (temperature 1, no mask), and the next line starts from that candidate's
recurrent state. The candidates go where the form binds: a line that answers a rhyme must land on
one of a few words, and a single sample often lands there awkwardly, while a line that opens a
rhyme may end on any word that has rhymes, so it takes its first sample (half a sonnet's cost; see
``bench/forms.py`` for what K costs and buys). Unrhymed forms sample K for every line.

Candidate ``k`` of line ``i`` draws from its own generator seeded with
(RNG seed, the seed text's CRC-32, ``i``, ``k``): the text depends on nothing else, so it is the
same alone or among other requests, streamed or not, and ``/replay`` makes it again. The seed text
is part of the key so that two seeds never share a random stream (and so never a poem).
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from artifact.forms import Form
from artifact.prosody import pronounce
from bot.engine.api import EngineError, InvalidRequestError, SamplingParams
from bot.engine.batcher import Batcher, RetiredError
from bot.engine.runner import State
from bot.engine.sequence import Sequence, Vocabulary
from bot.engine.verse import FormRules, LineConstraint, LineSpec, line_specs, shape_of

FREE_LINE_CHARS = 45  # about one line of free verse, to turn a length into a number of lines
FREE_SEED_SLACK = 3  # syllables a free-verse seed line longer than the form's may still grow by


@dataclass(frozen=True)
class Line:
    text: str
    tokens: int
    kept_form: bool
    logprob: float  # the model's, summed over the line's tokens


@dataclass(frozen=True)
class Composition:
    form: Form
    rules: FormRules
    batcher: Batcher
    vocabulary: Vocabulary
    candidates: int

    async def write(
        self,
        prompt: list[int],
        seed_ids: list[int],
        params: SamplingParams,
        rng_seed: int,
        seed_text: str,
        on_line: Callable[[str], None] | None = None,
    ) -> list[Line]:
        """The lines after the seed, in order; ``on_line`` hears each as soon as it is chosen.

        ``prompt`` primes the model (the seed's ids, or a start symbol); ``seed_ids`` are what it
        could read of the user's words (none when it could read nothing)."""
        newline = self.vocabulary.newline_id
        seed_lines = _split(seed_ids, newline)
        count = max(1, round(params.max_tokens / FREE_LINE_CHARS))
        specs = line_specs(self.form, max(count, len(seed_lines)) if self.form.free else count)
        if len(seed_lines) > len(specs):
            raise InvalidRequestError(
                f"the seed has {len(seed_lines)} lines; a {self.form.name} has {len(specs)}"
            )
        endings: list[str] = []
        for number, ids in enumerate(seed_lines[:-1]):  # lines the user finished: taken as they are
            constraint = self.rules.line(self._spec(specs, number, endings))
            constraint.feed_seed(ids)
            endings.append(constraint.last_word)
        first = len(seed_lines) - 1
        specs[first] = self._opening(specs, first, endings, seed_lines[-1])  # or refuses the seed
        key = [rng_seed, zlib.crc32(seed_text.encode("utf-8", "surrogatepass"))]
        state: State | None = None
        lines: list[Line] = []
        for number in range(first, len(specs)):
            spec = self._spec(specs, number, endings)
            seqs = []
            for k in range(1 if spec.rhymable else self.candidates):
                constraint = self.rules.line(spec)
                if number == first:
                    constraint.feed_seed(seed_lines[-1])
                seqs.append(
                    Sequence(
                        prompt,
                        params,
                        rng_seed,
                        self.vocabulary,
                        asyncio.get_running_loop(),
                        streaming=False,
                        constraint=constraint,
                        rng=np.random.default_rng([*key, number, k]),
                        initial_state=state,
                        keep_state=True,
                    )
                )
            best = await self._best(seqs)
            chosen = best.constraint
            assert isinstance(chosen, LineConstraint) and best.final_state is not None
            endings.append(chosen.last_word)
            line = Line("".join(best.pieces), len(best.generated), chosen.kept_form, best.logprob)
            lines.append(line)
            if on_line is not None:
                on_line(line.text)
            state, prompt = best.final_state, [best.generated[-1]]
        return lines

    def _spec(self, specs: list[LineSpec], number: int, endings: list[str]) -> LineSpec:
        """Line ``number``'s spec with the rhyme its scheme asks of the lines before it."""
        spec = specs[number]
        letter = self.form.rhyme_letter(number)
        if letter is None:
            return spec
        partners = [endings[i] for i in range(number) if self.form.rhyme_letter(i) == letter]
        if not partners:
            return spec
        rhyme = pronounce(partners[-1]).rhyme or None
        # a word new to the rhyme; failing that, one new to the line it answers; failing that (a
        # user's word nothing in the lexicon rhymes with), a fresh rhyme
        for avoided in (tuple(partners), (partners[-1],)):
            rhymed = replace(spec, rhyme=rhyme, partners=avoided)
            if rhyme is not None and self.rules.last_start(rhymed) >= 0:
                return rhymed
        return replace(spec, rhymable=2)

    def _opening(self, specs: list[LineSpec], number: int, endings: list[str], ids: list[int]) -> LineSpec:
        """The spec of the line the seed opens. A seed whose line already has more syllables than
        the form's line allows is refused — but in free verse, whose line length is only a habit,
        that line is the user's: it may end with the seed or grow a little."""
        spec = specs[number]
        constraint = self.rules.line(self._spec(specs, number, endings))
        constraint.feed_seed(ids)
        most = spec.most
        seeded = constraint.syllables + (shape_of(constraint.prefix)[0] if constraint.typed else 0)
        if seeded > most and self.form.free:
            return replace(spec, most=seeded + FREE_SEED_SLACK)
        if seeded > most:
            raise InvalidRequestError(
                f"line {number + 1} of a {self.form.name} has at most {most} syllables; "
                "the seed's is longer — shorten it or choose another form"
            )
        return spec

    async def _best(self, seqs: list[Sequence]) -> Sequence:
        try:
            for seq in seqs:
                self.batcher.submit(seq)
        except RetiredError:
            for seq in seqs:
                seq.cancelled = True
            raise EngineError("the model was updated while writing; please try again") from None
        try:
            await asyncio.gather(*(s.future for s in seqs if s.future is not None))
        except asyncio.CancelledError:
            for seq in seqs:
                seq.cancelled = True
            raise

        def score(index: int) -> tuple[bool, float, int]:
            seq = seqs[index]
            constraint = seq.constraint
            kept = isinstance(constraint, LineConstraint) and constraint.kept_form
            return kept, seq.logprob / max(1, len(seq.generated)), -index

        return seqs[max(range(len(seqs)), key=score)]


def _split(ids: list[int], newline: int | None) -> list[list[int]]:
    """The seed's ids line by line (the newlines themselves dropped)."""
    lines: list[list[int]] = [[]]
    for token in ids:
        if token == newline:
            lines.append([])
        else:
            lines[-1].append(token)
    return lines
