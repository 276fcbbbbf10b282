"""Tokenizers shared by training and serving.

Training and the engine must agree on every id, so both import this module: a model exported
by ``training`` carries ``Tokenizer.to_dict()`` in its manifest and the engine rebuilds the
exact same object with ``Tokenizer.from_dict``. Pure Python, no torch, no onnxruntime.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

Mode = Literal["char", "word", "line"]

UNK = "<unk>"
BOS = "<s>"
EOS_LINE = "</s>"
EOS_WORD = "<eos>"
UNK_DISPLAY = "\ufffd"


@dataclass(frozen=True)
class Encoded:
    """Ids plus the characters (or words) that had no id and were dropped."""

    ids: list[int]
    dropped: list[str] = field(default_factory=list)


@dataclass
class Tokenizer:
    """A closed vocabulary over code points, words, or code points of one line at a time.

    - ``char``: one id per Unicode code point; a stream model.
    - ``word``: whitespace-separated words, newline becomes ``<eos>`` (Penn Treebank style).
    - ``line``: one id per code point, each line framed by ``<s>`` … ``</s>``; lines are
      independent samples (dinosaur names), never a stream.

    Out-of-vocabulary policy (the one documented rule): a symbol not in the vocabulary maps to
    ``<unk>`` when the vocabulary has it, otherwise it is dropped and reported in
    ``Encoded.dropped``. ``lowercase`` folds case first, so ``Tyrannosaurus`` still encodes
    for a lower-case dinosaur model.
    """

    mode: Mode
    vocab: list[str]
    unk: str | None = None
    bos: str | None = None
    eos: str | None = None
    lowercase: bool = False
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(set(self.vocab)) != len(self.vocab):
            raise ValueError("vocabulary has duplicate symbols")
        self._index = {s: i for i, s in enumerate(self.vocab)}
        for special in (self.unk, self.bos, self.eos):
            if special is not None and special not in self._index:
                raise ValueError(f"special symbol {special!r} is not in the vocabulary")
        if self.mode == "line" and (self.bos is None or self.eos is None):
            raise ValueError("line mode needs start and end symbols")

    # ----------------------------------------------------------------- construction
    @classmethod
    def build_char(cls, text: str, *, min_freq: int = 1, lowercase: bool = False) -> Tokenizer:
        """Vocabulary of the code points in ``text``; rarer than ``min_freq`` become ``<unk>``."""
        if lowercase:
            text = text.lower()
        counts = Counter(text)
        kept = sorted(c for c, n in counts.items() if n >= min_freq)
        unk = UNK if len(kept) < len(counts) else None
        vocab = ([unk] if unk else []) + kept
        return cls(mode="char", vocab=vocab, unk=unk, lowercase=lowercase)

    @classmethod
    def build_word(cls, text: str, *, min_freq: int = 1, lowercase: bool = False) -> Tokenizer:
        if lowercase:
            text = text.lower()
        counts = Counter(w for w in text.split() if w not in (UNK, EOS_WORD))
        kept = sorted(w for w, n in counts.items() if n >= min_freq)
        vocab = [UNK, EOS_WORD, *kept]
        return cls(mode="word", vocab=vocab, unk=UNK, eos=EOS_WORD, lowercase=lowercase)

    @classmethod
    def build_line(cls, lines: Iterable[str], *, min_freq: int = 1, lowercase: bool = False) -> Tokenizer:
        lines = [ln.lower() if lowercase else ln for ln in lines]
        counts = Counter(c for ln in lines for c in ln)
        kept = sorted(c for c, n in counts.items() if n >= min_freq)
        specials = [BOS, EOS_LINE] + ([UNK] if len(kept) < len(counts) else [])
        return cls(
            mode="line",
            vocab=specials + kept,
            unk=UNK if UNK in specials else None,
            bos=BOS,
            eos=EOS_LINE,
            lowercase=lowercase,
        )

    # ----------------------------------------------------------------- properties
    def __len__(self) -> int:
        return len(self.vocab)

    def id_of(self, symbol: str) -> int:
        return self._index[symbol]

    @property
    def unk_id(self) -> int | None:
        return None if self.unk is None else self._index[self.unk]

    @property
    def bos_id(self) -> int | None:
        return None if self.bos is None else self._index[self.bos]

    @property
    def eos_id(self) -> int | None:
        return None if self.eos is None else self._index[self.eos]

    @property
    def special_ids(self) -> frozenset[int]:
        return frozenset(self._index[s] for s in (self.unk, self.bos, self.eos) if s is not None)

    @property
    def never_sampled(self) -> list[int]:
        """Ids a sampler must never draw: ``<s>`` (only ever a start) and ``<unk>`` (not text)."""
        return [self._index[s] for s in (self.bos, self.unk) if s is not None]

    # ----------------------------------------------------------------- encode / decode
    @cached_property
    def folds_case(self) -> bool:
        """``lowercase``, or a word vocabulary with no capital in any word longer than a letter (a
        lower-cased corpus such as PTB, whose one capital is its number token ``N``): "The" must
        read as "the", not as ``<unk>``."""
        if self.lowercase:
            return True
        specials = {self.unk, self.bos, self.eos}
        words = (s for s in self.vocab if len(s) > 1 and s not in specials)
        return self.mode == "word" and not any(s != s.lower() for s in words)

    def symbols(self, text: str) -> list[str]:
        """Split text into the symbols this mode works on (before vocabulary lookup)."""
        if self.folds_case:
            text = text.lower()
        if self.mode == "word":
            out: list[str] = []
            for line_no, line in enumerate(text.split("\n")):
                if line_no:
                    out.append(EOS_WORD)
                out.extend(line.split())
            return out
        return list(text)

    def encode(self, text: str) -> Encoded:
        """Ids for ``text`` under the out-of-vocabulary policy; no framing symbols added."""
        ids: list[int] = []
        dropped: list[str] = []
        unk_id = self.unk_id
        for sym in self.symbols(text):
            idx = self._index.get(sym)
            if idx is None:
                if unk_id is None:
                    dropped.append(sym)
                    continue
                idx = unk_id
            ids.append(idx)
        return Encoded(ids, dropped)

    def encode_line(self, line: str) -> Encoded:
        """``<s>`` + line + ``</s>``: how line models see one training sample."""
        enc = self.encode(line)
        assert self.bos_id is not None and self.eos_id is not None
        return Encoded([self.bos_id, *enc.ids, self.eos_id], enc.dropped)

    def decode(self, ids: Sequence[int]) -> str:
        """Text for ids; framing symbols vanish, ``<unk>`` shows as U+FFFD (word mode: ``<unk>``)."""
        parts: list[str] = []
        for i in ids:
            sym = self.vocab[i]
            if sym in (self.bos, EOS_LINE) and self.mode == "line":
                continue
            if self.mode == "word":
                parts.append("\n" if sym == EOS_WORD else sym)
            elif sym == self.unk:
                parts.append(UNK_DISPLAY)
            else:
                parts.append(sym)
        if self.mode != "word":
            return "".join(parts)
        text = ""
        for p in parts:
            if p == "\n":
                text += "\n"
            else:
                text += (" " if text and not text.endswith("\n") else "") + p
        return text

    # ----------------------------------------------------------------- (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "vocab": list(self.vocab),
            "unk": self.unk,
            "bos": self.bos,
            "eos": self.eos,
            "lowercase": self.lowercase,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tokenizer:
        return cls(
            mode=data["mode"],
            vocab=list(data["vocab"]),
            unk=data.get("unk"),
            bos=data.get("bos"),
            eos=data.get("eos"),
            lowercase=bool(data.get("lowercase", False)),
        )
