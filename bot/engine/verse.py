"""English verse forms as decoding rules: a line of so many syllables, in metre, ending on a rhyme.

A ``FormRules`` is built once per loaded model version from its whole-word lexicon
(``Decoding.words``) and the pronunciations of ``artifact.prosody``. Each line of a poem gets a
``LineConstraint`` for its ``LineSpec`` (syllable range, iambic or not, the rhyme it must make or
be able to make, whether it closes the poem). The constraint lets a letter through only when some
lexicon word that starts with the letters so far can still take its place in the line:

- as a word inside the line: the syllables after it still leave room for a line ending, and in
  an iambic line its primary stresses fall on strong syllables;
- as the line's last word: the line's syllable count lands in the range (an eleventh, feminine
  syllable only unstressed), it rhymes as the scheme asks (the CMU rhyming part; a word never
  rhymes with itself), and it is not a function word a line would dangle on ("and", "the", …).

So every line a constraint lets finish keeps the form; the composer (``bot.engine.composer``)
samples several such lines and keeps the one the model finds likeliest. Capitals inside words,
brackets and stage-direction words are never written, so no speaker header or direction appears;
inside a sentence a word opens in lower case, but for "I" (I'll, I'd…) and "O", which are always
capitals (the lexicon holds no proper names: ``training.decoding``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from artifact.forms import Form
from artifact.lexicon import SENTENCE_ENDS, Lexicon, fold, is_letter
from artifact.prosody import feminine_fit, iambic_fit, is_function_word, pronounce, rhymes
from artifact.tokenizer import Tokenizer
from bot.engine.constraints import mask_of, pieces_of

APOSTROPHE = "'"
MID_MARKS = frozenset(",;:")  # may follow a word inside a line or at its end
STAGE_WORDS = frozenset({"exeunt", "exit", "enter", "manet"})  # stage directions, never verse
MASK_CACHE = 200_000  # cached letter sets per model version before the cache starts afresh
MAX_LINE_CHARS = 160  # a line that runs past this (it cannot, with the lexicon's words) fails the form

# (syllables, fits an iambic line starting on an even syllable, … on an odd one, feminine ending ok)
Shape = tuple[int, bool, bool, bool]


@dataclass(frozen=True)
class LineSpec:
    fewest: int
    most: int
    iambic: bool = False
    rhyme: str | None = None  # the rhyming part the last word must have
    partners: tuple[str, ...] = ()  # the earlier words of its rhyme: none is repeated (nor a homophone)
    rhymable: int = 0  # a line others answer: its last word's rhyme must have this many words of its own
    last: bool = False  # closes the poem: ends on a sentence end
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fields = (self.fewest, self.most, self.iambic, self.rhyme, self.partners, self.rhymable, self.last)
        object.__setattr__(self, "_hash", hash(fields))

    def __hash__(self) -> int:  # a spec keys the masks' caches at every step: hash it once
        return self._hash

    def fits(self, shape: Shape, start: int) -> bool:
        """A word of ``shape`` starting at syllable ``start`` can end this line."""
        n, fit_even, fit_odd, feminine = shape
        end = start + n
        if not self.fewest <= end <= self.most:
            return False
        if self.iambic:
            if not (fit_odd if start % 2 else fit_even):
                return False
            if end > self.fewest and not feminine:
                return False
        return True


def always_capitalised(word: str) -> bool:
    """ "I" (and I'll, I'd, …) and the vocative "O" take a capital wherever they stand."""
    return word in ("i", "o") or word.partition(APOSTROPHE)[0] == "i"


def shape_of(word: str) -> Shape:
    said = pronounce(word)
    return (
        said.syllables,
        iambic_fit(said.stresses, 0),
        iambic_fit(said.stresses, 1),
        feminine_fit(said.stresses),
    )


def line_specs(form: Form, lines: int | None = None) -> list[LineSpec]:
    """The spec of each line of ``form`` without its rhymes (which depend on the lines before)."""
    if form.free:
        count = lines or 1
        return [LineSpec(*form.line_syllables(i), last=i == count - 1) for i in range(count)]
    count = len(form.syllables)
    specs = []
    for i, (fewest, most) in enumerate(form.syllables):
        letter = form.rhyme_letter(i)
        opens = letter is not None and letter not in form.scheme[:i]
        sharing = form.scheme.count(letter) if opens and letter is not None else 0
        rhymable = sharing if sharing > 1 else 0
        specs.append(LineSpec(fewest, most, form.iambic, rhymable=rhymable, last=i == count - 1))
    return specs


Kind = tuple[int, int, bool, int]  # (fewest, most, iambic, rhymable): what a rhyme-free line's end needs


@dataclass
class _Node:
    """What the words that start with one prefix can still do."""

    mid: list[int] = field(default_factory=lambda: [99, 99, 99])  # fewest syllables: even, odd, any start
    ends: set[Shape] = field(default_factory=set)  # shapes of the words that may end a line
    rhymed: set[tuple[Shape, str]] = field(default_factory=set)  # … of those with a known rhyme
    children: dict[str, _Node] = field(default_factory=dict)  # by the next (folded) letter
    end_starts: dict[Kind, int] = field(default_factory=dict)  # kind of line → bits
    # kind of line → (letter, its child's end_starts) of the children that can still end such a line
    end_children: dict[Kind, list[tuple[str, int]]] = field(default_factory=dict)


class FormRules:
    """Per model version: the lexicon's words in a trie, and the vocabulary's pieces.

    Every question the masks ask is answered once and cached: which starts a word's shape can end
    a kind of line from (bits), which letters go on from a prefix (per trie node), and per line
    state the mask itself (``decided``).
    """

    def __init__(self, tokenizer: Tokenizer, words: Lexicon, *, capitals: bool) -> None:
        pieces = pieces_of(tokenizer)
        self.vocab = len(pieces)
        self.pieces = pieces
        self.words = frozenset(w for w in words.words if w not in STAGE_WORDS)
        letters = [i for i, p in enumerate(pieces) if is_letter(p)]
        self.upper_ids = frozenset(i for i in letters if pieces[i].isupper())
        self.capitals = capitals and bool(self.upper_ids)
        self.apostrophe = [i for i, p in enumerate(pieces) if p == APOSTROPHE]
        self.space = [i for i, p in enumerate(pieces) if p == " "]
        self.newline = [i for i, p in enumerate(pieces) if p == "\n"]
        self.mid_marks = [i for i, p in enumerate(pieces) if p in MID_MARKS]
        self.commas = [i for i, p in enumerate(pieces) if p == ","]
        self.stops = [i for i, p in enumerate(pieces) if p in SENTENCE_ENDS]
        self.any_text = [i for i, p in enumerate(pieces) if p]  # the last resort of a line that is lost
        # words written with a capital inside a sentence too ("I", "I'll", "O"), and their first letters
        self.capital_words = sorted(w for w in self.words if always_capitalised(w))
        capital_initials = {w[0] for w in self.capital_words}
        # folded letter → its ids inside a word (lower case, the apostrophe) / opening one inside a
        # sentence (lower case; upper case too for "I" and "O") / opening one after a sentence end
        self.inner: dict[str, list[int]] = {}
        self.opening: dict[str, list[int]] = {}
        self.opening_capital: dict[str, list[int]] = {}
        for i in letters:
            folded = fold(pieces[i])
            if not pieces[i].isupper():
                self.inner.setdefault(folded, []).append(i)
            if not pieces[i].isupper() or not self.capitals or folded in capital_initials:
                self.opening.setdefault(folded, []).append(i)
            if pieces[i].isupper() or not self.capitals:
                self.opening_capital.setdefault(folded, []).append(i)
        for i in self.apostrophe:
            self.inner.setdefault(APOSTROPHE, []).append(i)
        self.letter_of: list[str | None] = [None] * self.vocab  # folded letter of each id
        for i in letters + self.apostrophe:
            self.letter_of[i] = fold(pieces[i])
        self.by_rhyme: dict[str, list[str]] = {}
        self._nodes: dict[str, _Node] = {}
        self._groups: dict[tuple[str, tuple[str, ...]], dict[str, set[Shape]]] = {}
        self._starts: dict[tuple[object, ...], int] = {}
        self._rhyme_starts: dict[LineSpec, dict[str, int]] = {}
        self._rhyme_children: dict[LineSpec, dict[str, list[tuple[str, int]]]] = {}
        self._letters: dict[tuple[object, ...], list[int]] = {}
        self._masks: dict[tuple[int, ...], np.ndarray] = {}
        self._latest: dict[LineSpec, int] = {}
        self._spec_ids: dict[LineSpec, int] = {}
        # (spec id, a line's state) → (mask, allowed ids, whether the form is lost): see LineConstraint
        self.decided: dict[tuple[object, ...], tuple[np.ndarray, list[int], bool]] = {}
        self.shouted: dict[tuple[int, int, str], bool] = {}  # (spec id, syllables, prefix): see _shouted_fits
        self._answerable: dict[Kind, frozenset[str]] = {}
        for word in self.words:
            said = pronounce(word)
            if said.rhyme and not is_function_word(word):
                self.by_rhyme.setdefault(said.rhyme, []).append(word)
        for word in self.words:
            self._index(word)

    def _index(self, word: str) -> None:
        shape = shape_of(word)
        n, fit_even, fit_odd, _ = shape
        can_end = not is_function_word(word)
        rhyme = pronounce(word).rhyme
        parent: _Node | None = None
        for i in range(len(word) + 1):
            node = self._nodes.get(word[:i])
            if node is None:
                node = self._nodes[word[:i]] = _Node()
                if parent is not None:
                    parent.children[word[i - 1]] = node
            parent = node
            if fit_even:
                node.mid[0] = min(node.mid[0], n)
            if fit_odd:
                node.mid[1] = min(node.mid[1], n)
            node.mid[2] = min(node.mid[2], n)
            if can_end:
                node.ends.add(shape)
                if rhyme:
                    node.rhymed.add((shape, rhyme))

    def answerable(self, spec: LineSpec) -> frozenset[str]:
        """Rhymes with ``spec.rhymable`` (at least two) words of different sound that can end a line
        like ``spec``'s: a line ending on one of them can be answered by the lines that share it."""
        need = max(2, spec.rhymable)
        key = (spec.fewest, spec.most, spec.iambic, need)
        found = self._answerable.get(key)
        if found is None:
            found = frozenset(
                rhyme
                for rhyme, words in self.by_rhyme.items()
                if len({pronounce(w).sound for w in words[:64] if self._can_end(spec, w)}) >= need
            )
            self._answerable[key] = found
        return found

    def group(self, rhyme: str, partners: tuple[str, ...]) -> dict[str, set[Shape]]:
        """Prefix → shapes of the words that rhyme on ``rhyme`` with each of ``partners``."""
        key = (rhyme, partners)
        index = self._groups.get(key)
        if index is None:
            index = {}
            for word in self.by_rhyme.get(rhyme, ()):
                if all(rhymes(word, partner) for partner in partners):
                    shape = shape_of(word)
                    for i in range(len(word) + 1):
                        index.setdefault(word[:i], set()).add(shape)
            self._groups[key] = index
        return index

    @staticmethod
    def _can_end(spec: LineSpec, word: str) -> bool:
        shape = shape_of(word)
        return any(spec.fits(shape, start) for start in range(spec.most))

    def ending_shapes(self, spec: LineSpec, prefix: str) -> Iterable[Shape]:
        """Shapes of the words beginning with ``prefix`` that may end a line like ``spec``'s."""
        if spec.rhyme is not None:
            return self.group(spec.rhyme, spec.partners).get(prefix, ())
        node = self._nodes.get(prefix)
        if node is None:
            return ()
        if spec.rhymable:
            answerable = self.answerable(spec)
            return {shape for shape, rhyme in node.rhymed if rhyme in answerable}
        return node.ends

    def _shape_starts(self, spec: LineSpec, shape: Shape) -> int:
        """Bit ``s`` set: a word of ``shape`` starting at syllable ``s`` can end the line."""
        key = (spec.fewest, spec.most, spec.iambic, shape)
        bits = self._starts.get(key)
        if bits is None:
            bits = self._starts[key] = sum(1 << s for s in range(spec.most) if spec.fits(shape, s))
        return bits

    def end_starts(self, spec: LineSpec, prefix: str, node: _Node | None) -> int:
        """Bit ``s`` set: some word beginning with ``prefix`` can end the line from syllable ``s``."""
        if spec.rhyme is not None:
            return self.rhyme_starts(spec).get(prefix, 0)
        if node is None:
            return 0
        kind = (spec.fewest, spec.most, spec.iambic, spec.rhymable)
        bits = node.end_starts.get(kind)
        if bits is None:
            shapes = self.ending_shapes(spec, prefix)
            bits = node.end_starts[kind] = _union(self._shape_starts(spec, shape) for shape in shapes)
        return bits

    def rhyme_starts(self, spec: LineSpec) -> dict[str, int]:
        """Prefix → ``end_starts`` bits for a line that must rhyme: computed once per line's rhyme
        (a rhyme has few words), then every step of every candidate looks it up."""
        table = self._rhyme_starts.get(spec)
        if table is None:
            assert spec.rhyme is not None
            group = self.group(spec.rhyme, spec.partners)
            table = {
                p: _union(self._shape_starts(spec, shape) for shape in shapes) for p, shapes in group.items()
            }
            if len(self._rhyme_starts) >= MASK_CACHE // 100:
                self._rhyme_starts.clear()
            self._rhyme_starts[spec] = table
        return table

    def rhyme_children(self, spec: LineSpec) -> dict[str, list[tuple[str, int]]]:
        """Prefix → (next letter, ``end_starts`` bits after it) of the rhyme's words: the few letters
        a rhyming last word can go on with, so a mask looks at those alone."""
        children = self._rhyme_children.get(spec)
        if children is None:
            children = {}
            for prefix, bits in self.rhyme_starts(spec).items():
                if prefix:
                    children.setdefault(prefix[:-1], []).append((prefix[-1], bits))
            if len(self._rhyme_children) >= MASK_CACHE // 100:
                self._rhyme_children.clear()
            self._rhyme_children[spec] = children
        return children

    def last_start(self, spec: LineSpec) -> int:
        """The latest syllable a line's last word may start on (-1: the line cannot end)."""
        latest = self._latest.get(spec)
        if latest is None:
            latest = self._latest[spec] = self.end_starts(spec, "", self._nodes[""]).bit_length() - 1
        return latest

    def spec_id(self, spec: LineSpec) -> int:
        return self._spec_ids.setdefault(spec, len(self._spec_ids))

    def line(self, spec: LineSpec) -> LineConstraint:
        return LineConstraint(self, spec, self.last_start(spec))

    # ------------------------------------------------------------------ masks
    def letters_mask(self, spec: LineSpec, latest: int, prefix: str, start: int, capital: bool) -> list[int]:
        """Letters after ``prefix`` that some word fitting at syllable ``start`` goes on with: as
        a word inside the line (it leaves room for a last word) or as the line's last word."""
        kind = 0 if prefix else 1 if capital else 2
        inside = self._inside(spec.iambic, latest, prefix, start, kind)
        node = self._nodes.get(prefix)
        if node is None:
            return inside
        ids = (self.inner, self.opening_capital, self.opening)[kind]
        if spec.rhyme is not None:
            ending = [
                i
                for letter, bits in self.rhyme_children(spec).get(prefix, ())
                if bits >> start & 1
                for i in ids.get(letter, ())
            ]
        else:
            ending = self._ending(spec, prefix, start, kind, node)
        return sorted(set(inside).union(ending)) if ending else inside

    def _inside(self, iambic: bool, latest: int, prefix: str, start: int, kind: int) -> list[int]:
        """Letters that go on to a word that fits inside the line: shared by every line of one
        metre and one latest last-word start, whatever its rhyme."""
        key = (iambic, latest, prefix, start, kind)
        cached = self._letters.get(key)
        if cached is None:
            if len(self._letters) >= MASK_CACHE:
                self._letters.clear()
            node = self._nodes.get(prefix)
            ids = (self.inner, self.opening_capital, self.opening)[kind]
            which = start % 2 if iambic else 2
            cached = []
            if node is not None:
                for letter, child in node.children.items():
                    if start + child.mid[which] <= latest:
                        cached += ids.get(letter, ())
            self._letters[key] = cached
        return cached

    def _ending(self, spec: LineSpec, prefix: str, start: int, kind: int, node: _Node) -> list[int]:
        """Letters after ``prefix`` that go on to a possible last word of a rhyme-free line."""
        line_kind = (spec.fewest, spec.most, spec.iambic, spec.rhymable)
        children = node.end_children.get(line_kind)
        if children is None:  # once per trie node and kind of line
            children = node.end_children[line_kind] = [
                (letter, bits)
                for letter, child in node.children.items()
                if (bits := self.end_starts(spec, prefix + letter, child))
            ]
        ids = (self.inner, self.opening_capital, self.opening)[kind]
        return [i for letter, bits in children if bits >> start & 1 for i in ids.get(letter, ())]

    def mask(self, allowed: list[int]) -> np.ndarray:
        key = tuple(allowed)
        cached = self._masks.get(key)
        if cached is None:
            cached = self._masks[key] = mask_of(self.vocab, allowed)
        return cached


def _union(bits: Iterable[int]) -> int:
    out = 0
    for b in bits:
        out |= b
    return out


class LineConstraint:
    """One line being written: the word so far, the syllables of the words before it."""

    allows_only_text = True  # its masks never allow a special symbol: no need to add the bans

    def __init__(self, rules: FormRules, spec: LineSpec, latest: int) -> None:
        self.rules = rules
        self.spec = spec
        self.spec_id = rules.spec_id(spec)
        self.latest = latest  # last syllable a last word may start on
        self.syllables = 0  # of the finished words
        self.prefix = ""  # folded letters of the word being written
        self.typed = ""  # … as written (for a user's word the lexicon lacks)
        self.known = True  # the word so far is a prefix of a lexicon word
        self.roles: tuple[bool, bool] = (False, False)  # the last finished word: may go on, may end
        self.after_mark = False
        self.capital = True  # the next word opens the line or a sentence
        self.seed_word = False  # the word so far was typed by the user: a whole word is not extended
        self.words: list[str] = []
        self.titled = True  # every word of the line so far is capitalised (a speaker's name, maybe)
        self.shouted = False  # the word so far opened with a capital inside a sentence: "I", "O"
        self.chars = 0
        self.done = False
        self.failed = False  # the line could not keep the form (a user's word left no way on)

    # -------------------------------------------------------------- protocol
    def mask(self, produced: int, limit: int) -> np.ndarray | None:
        return self._decided()[0]

    def allowed(self) -> list[int]:
        return self._decided()[1]

    def _decided(self) -> tuple[np.ndarray, list[int]]:
        """The mask and ids of this state, from the rules' cache: every step of every line asks."""
        key = (
            self.spec_id,
            self.chars >= MAX_LINE_CHARS,
            self.after_mark,
            self.roles if self.after_mark else None,
            self.prefix,
            self.known,
            self.seed_word,
            self.syllables,
            self.capital,
            self.titled,
            self.repeats,
            self.shouted and not self.seed_word,
        )
        decided = self.rules.decided.get(key)
        if decided is None:
            if len(self.rules.decided) >= MASK_CACHE:
                self.rules.decided.clear()
                self.rules.shouted.clear()
            allowed, failed = self._allowed()
            decided = self.rules.decided[key] = (self.rules.mask(allowed), allowed, failed)
        self.failed = self.failed or decided[2]
        return decided[0], decided[1]

    def _allowed(self) -> tuple[list[int], bool]:
        """(ids allowed next, whether the line can no longer keep the form)."""
        r, spec = self.rules, self.spec
        if self.chars >= MAX_LINE_CHARS:
            return (r.stops if spec.last else r.newline) or r.any_text, True
        if self.after_mark:
            go_on, end = self.roles
            out = (r.space if go_on else []) + (r.newline if end and not spec.last else [])
        elif not self.typed:
            out = r.letters_mask(spec, self.latest, "", self.syllables, self.capital)
            if not self.capital and r.capitals:  # a capital inside a sentence: "I" or "O", where one fits
                out = [i for i in out if i not in r.upper_ids or self._shouted_fits(r.letter_of[i] or "")]
        else:
            whole = self.seed_word and (self.prefix in r.words or pronounce(self.prefix).known)
            letters = []
            if self.known and not whole:
                letters = r.letters_mask(spec, self.latest, self.prefix, self.syllables, False)
                if self.shouted and not self.seed_word:  # "I" goes on only to I'll, I'd, …, where one fits
                    letters = [i for i in letters if self._shouted_fits(self.prefix + (r.letter_of[i] or ""))]
            go_on, end = self._roles()
            if letters and self.repeats and not self.seed_word:  # "and and": a word never follows
                go_on = end = False  # itself while a longer word can still be made of it
            marks: list[int] = []
            if go_on:
                marks += r.space
                if not is_function_word(self.prefix):
                    marks += (r.mid_marks if not self.titled else r.commas) + self._stops_inside()
            if end:
                marks += r.stops if spec.last else r.newline + r.mid_marks + r.stops
            out = letters + sorted(set(marks))
        if not out:  # only a user's word can lead here: end the line as it stands
            return (r.stops if spec.last else r.newline) or r.any_text, True
        return out, False

    def _stops_inside(self) -> list[int]:
        """Sentence ends after the word so far, inside the line: only where a word the vocabulary
        can capitalise still fits after it (a model that never saw a capital Z cannot write
        "Zealous", the one rhyme left)."""
        after = self.syllables + shape_of(self.prefix)[0]
        opens = self.rules.letters_mask(self.spec, self.latest, "", after, True)
        return self.rules.stops if opens else []

    @property
    def repeats(self) -> bool:
        """The word so far is the line's previous word."""
        return bool(self.words) and self.words[-1] == self.prefix

    def _shouted_fits(self, prefix: str) -> bool:
        """Some word always written with a capital ("I", "I'll", "O") begins with ``prefix`` and
        can stand here, inside the line or ending it."""
        key = (self.spec_id, self.syllables, prefix)
        fits = self.rules.shouted.get(key)
        if fits is None:
            words = (w for w in self.rules.capital_words if w.startswith(prefix))
            fits = self.rules.shouted[key] = any(any(self._roles_of(w, seed_word=False)) for w in words)
        return fits

    def _roles(self) -> tuple[bool, bool]:
        """Whether the word so far, taken as whole, may go on inside the line / end it."""
        if self.shouted and not self.seed_word and self.prefix not in self.rules.capital_words:
            return False, False
        return self._roles_of(self.prefix, seed_word=self.seed_word)

    def _roles_of(self, word: str, *, seed_word: bool) -> tuple[bool, bool]:
        r, spec = self.rules, self.spec
        if not word or (self.known and word not in r.words and not seed_word):
            return False, False
        shape = shape_of(word)
        start = self.syllables
        fits = seed_word or not spec.iambic or (shape[2] if start % 2 else shape[1])  # the user's
        # own words keep their place whatever their stress
        go_on = fits and start + shape[0] <= self.latest
        rhyme = pronounce(word).rhyme
        if spec.rhyme is not None:
            ending = rhyme == spec.rhyme and all(rhymes(word, partner) for partner in spec.partners)
        elif spec.rhymable:
            ending = rhyme in r.answerable(spec)
        else:
            ending = True
        if seed_word:
            shape = (shape[0], True, True, True)
        end = ending and not is_function_word(word) and spec.fits(shape, start)
        return go_on, end

    def accept(self, token: int) -> None:
        piece = self.rules.pieces[token]
        if not piece:
            return
        self.chars += len(piece)
        letter = self.rules.letter_of[token]
        if letter is not None and (letter != APOSTROPHE or self.typed):
            if not self.typed:  # a word begins
                self.titled = self.titled and piece.isupper()
                self.shouted = piece.isupper() and not self.capital
            self.capital = False
            self.prefix += letter
            self.typed += piece
            self.known = self.known and self.prefix in self.rules._nodes
            return
        if self.typed:  # the word ends here
            self.roles = self._roles()
            self.words.append(self.prefix)
            self.syllables += shape_of(self.prefix)[0]
            self.prefix = self.typed = ""
            self.known = True
            self.seed_word = False
        if piece == "\n" or (piece in SENTENCE_ENDS and self.spec.last and self.roles[1]):
            self.done = True
        elif piece == " ":
            self.after_mark = False
        elif piece.isspace():
            pass
        else:
            self.after_mark = True
        self.capital = self.capital or piece in SENTENCE_ENDS

    def finished(self, produced: int, limit: int) -> bool:
        if self.chars > MAX_LINE_CHARS + 8:  # a line that could not close (a model that barely spells)
            self.failed = True
            return True
        return self.done

    # -------------------------------------------------------------- the composer's view
    def feed_seed(self, ids: list[int]) -> None:
        """Take the user's words of this line (already tokenized); a whole last word stays whole."""
        for token in ids:
            self.accept(token)
        self.seed_word = bool(self.typed)

    @property
    def kept_form(self) -> bool:
        return self.done and not self.failed

    @property
    def last_word(self) -> str:
        return self.words[-1] if self.words else ""
