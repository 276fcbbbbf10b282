"""Train/validation(/test) splits and their token ids; torch-free so ONNX evaluation can reuse it.

The split is part of a model's identity: an exported model records the split parameters in
its manifest, and the evaluator rebuilds exactly the same held-out text from them.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from artifact.corpora import Corpus
from artifact.run_config import SPLIT_SEED, VAL_FRACTION, DataMode
from artifact.tokenizer import Mode, Tokenizer


class DataError(ValueError):
    """The corpus cannot be used the way it was asked for (empty, too small, wrong mode)."""


@dataclass
class StreamData:
    """One long id sequence per split; the model reads it as a stream (TBPTT)."""

    tokenizer: Tokenizer
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray | None = None
    val_chars: int = 0  # characters behind ``val``, for bits per character

    @property
    def mode(self) -> Mode:
        return self.tokenizer.mode


@dataclass
class LineData:
    """Independent lines (names, poems); each trains as ``<s>`` line ``</s>``."""

    tokenizer: Tokenizer
    train_lines: list[str]
    val_lines: list[str]
    train: list[list[int]] = field(default_factory=list)
    val: list[list[int]] = field(default_factory=list)

    @property
    def mode(self) -> Mode:
        return "line"

    @property
    def longest_line(self) -> int:
        return max((len(ids) - 2 for ids in self.train), default=0)


Dataset = StreamData | LineData


def default_mode(corpus: Corpus) -> DataMode:
    return {"stream": "char", "lines": "line", "words": "word"}[corpus.kind]  # type: ignore[return-value]


def build_dataset(
    corpus: Corpus,
    mode: DataMode,
    *,
    tokenizer: Tokenizer | None = None,
    min_freq: int = 1,
    lowercase: bool = False,
    val_fraction: float = VAL_FRACTION,
    split_seed: int = SPLIT_SEED,
) -> Dataset:
    """Split ``corpus``; build a tokenizer on it unless an exported model brings its own."""
    if mode == "line":
        return _line_data(corpus, tokenizer, min_freq, lowercase, val_fraction, split_seed)
    if "train" in corpus.texts:
        train_text, val_text = corpus.texts["train"], corpus.texts["valid"]
        test_text: str | None = corpus.texts.get("test")
    else:
        text = corpus.texts["all"]
        cut = int(len(text) * (1 - val_fraction))  # nanoGPT's split for Tiny Shakespeare
        train_text, val_text, test_text = text[:cut], text[cut:], None
    if tokenizer is None:
        # Character vocabularies come from the whole text, as nanoGPT does, so no held-out
        # character is unknown; word vocabularies from the training text only (PTB practice).
        if mode == "char":
            source = "".join(corpus.texts.values())
            tokenizer = Tokenizer.build_char(source, min_freq=min_freq, lowercase=lowercase)
        else:
            tokenizer = Tokenizer.build_word(train_text, min_freq=min_freq, lowercase=lowercase)
    if tokenizer.mode != mode:
        raise DataError(f"the tokenizer is in {tokenizer.mode} mode, not {mode}")
    data = StreamData(
        tokenizer,
        _ids(tokenizer, train_text),
        _ids(tokenizer, val_text),
        None if test_text is None else _ids(tokenizer, test_text),
        val_chars=len(val_text),
    )
    if len(data.train) < 2 or len(data.val) < 2:
        raise DataError(f"corpus {corpus.name!r} is too small to split into train and validation")
    return data


def split_lines(lines: list[str], val_fraction: float, split_seed: int) -> tuple[list[str], list[str]]:
    """Hold out a seeded random ``val_fraction`` of the lines; both parts keep corpus order."""
    order = list(range(len(lines)))
    random.Random(split_seed).shuffle(order)
    held = set(order[: max(1, round(len(lines) * val_fraction))])
    train = [ln for i, ln in enumerate(lines) if i not in held]
    val = [ln for i, ln in enumerate(lines) if i in held]
    return train, val


def _line_data(
    corpus: Corpus,
    tokenizer: Tokenizer | None,
    min_freq: int,
    lowercase: bool,
    val_fraction: float,
    split_seed: int,
) -> LineData:
    text = "\n".join(corpus.texts.values())
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    if len(lines) < 2:
        raise DataError(f"corpus {corpus.name!r} needs at least two non-empty lines for line mode")
    train_lines, val_lines = split_lines(lines, val_fraction, split_seed)
    if tokenizer is None:
        tokenizer = Tokenizer.build_line(lines, min_freq=min_freq, lowercase=lowercase)
    if tokenizer.mode != "line":
        raise DataError(f"the tokenizer is in {tokenizer.mode} mode, not line")
    return LineData(
        tokenizer,
        train_lines,
        val_lines,
        [tokenizer.encode_line(ln).ids for ln in train_lines],
        [tokenizer.encode_line(ln).ids for ln in val_lines],
    )


def _ids(tokenizer: Tokenizer, text: str) -> np.ndarray:
    return np.asarray(tokenizer.encode(text).ids, dtype=np.int64)


def normalise_line(tokenizer: Tokenizer, line: str) -> str:
    """The form in which lines are compared for novelty (case folded like the tokenizer)."""
    return tokenizer.decode(tokenizer.encode(line).ids)


def dataset_for(corpus: Corpus, settings: Mapping[str, Any], tokenizer: Tokenizer | None = None) -> Dataset:
    """The split a run's settings (``config.json``'s or a manifest's ``training.config``) describe."""
    lowercase = settings.get("lowercase")
    return build_dataset(
        corpus,
        settings.get("mode") or default_mode(corpus),
        tokenizer=tokenizer,
        min_freq=int(settings.get("min_freq", 1)),
        lowercase=corpus.lowercase if lowercase is None else bool(lowercase),
        val_fraction=float(settings.get("val_fraction", VAL_FRACTION)),
        split_seed=int(settings.get("split_seed", SPLIT_SEED)),
    )
