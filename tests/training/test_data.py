"""Splits and batches: nanoGPT's Tiny Shakespeare split, held-out lines, TBPTT windows that follow on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from artifact.corpora import Corpus, load_corpus
from training.batches import LineBatches, StreamBatches
from training.data import LineData, StreamData, build_dataset, split_lines
from training.scoring import IGNORE

from .texts import NAMES, corpora_dir, needs_corpora


@needs_corpora
def test_tiny_shakespeare_split_is_nanogpts(tmp_path: Path) -> None:
    corpus = load_corpus("shakespeare", corpora_dir=corpora_dir(), cache_dir=tmp_path)
    data = build_dataset(corpus, "char")
    assert isinstance(data, StreamData)
    assert (len(data.train), len(data.val), len(data.tokenizer)) == (1_003_854, 111_540, 65)
    assert data.tokenizer.decode(data.val[:14].tolist()) == corpus.texts["all"][1_003_854:][:14]


@needs_corpora
def test_ptb_uses_its_own_files(tmp_path: Path) -> None:
    corpus = load_corpus("ptb", corpora_dir=corpora_dir(), cache_dir=tmp_path)
    data = build_dataset(corpus, "word")
    assert isinstance(data, StreamData) and data.test is not None
    assert len(data.tokenizer) == 10_000
    assert (len(data.train), len(data.val), len(data.test)) == (929_589, 73_760, 82_430)


def test_line_split_holds_out_a_tenth_reproducibly() -> None:
    corpus = Corpus("names", "lines", "0" * 64, {"all": "\n".join(NAMES * 5)})
    first = build_dataset(corpus, "line")
    again = build_dataset(corpus, "line")
    assert isinstance(first, LineData) and isinstance(again, LineData)
    assert first.val_lines == again.val_lines
    assert len(first.val_lines) == round(len(NAMES) * 5 * 0.1)
    assert len(first.train_lines) + len(first.val_lines) == len(NAMES) * 5


@given(st.integers(2, 500), st.integers(0, 2**31))
def test_split_lines_partitions(n: int, seed: int) -> None:
    lines = [f"l{i}" for i in range(n)]
    train, val = split_lines(lines, 0.1, seed)
    assert sorted(train + val) == sorted(lines) and val and not set(train) & set(val)


def test_stream_windows_follow_on_within_an_epoch() -> None:
    ids = np.arange(1000, dtype=np.int64)
    batches = StreamBatches(ids, batch=4, seq_len=10, seed=0)
    first, second = batches.next(), batches.next()
    assert first.reset_state and not second.reset_state
    assert (second.inputs[:, 0] == first.inputs[:, -1] + 1).all()  # state carried over is valid
    assert (first.targets == first.inputs + 1).all()


def test_stream_position_restores_exactly() -> None:
    ids = np.random.default_rng(0).integers(0, 50, 5000)
    a = StreamBatches(ids, batch=3, seq_len=20, seed=5)
    for _ in range(a.steps_per_epoch + 7):  # into the second epoch
        a.next()
    b = StreamBatches(ids, batch=3, seq_len=20, seed=5)
    b.load_state_dict(a.state_dict())
    assert (a.next().inputs == b.next().inputs).all()


def test_line_batches_pad_and_ignore_padding() -> None:
    lines = [[0, 5, 6, 1], [0, 7, 1], [0, 1]]
    batch = LineBatches(lines, batch=3, pad_id=1, seed=0).next()
    assert batch.inputs.shape == (3, 3)
    for row_in, row_out in zip(batch.inputs.tolist(), batch.targets.tolist(), strict=True):
        n = sum(t != IGNORE for t in row_out)
        assert row_out[:n][-1] == 1  # every line ends with </s>
        assert row_in[0] == 0  # and starts from <s>


def test_too_small_corpus_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="too few"):
        StreamBatches(np.arange(50), batch=8, seq_len=16, seed=0)


@needs_corpora
def test_tang_vocabulary_is_bounded_by_min_freq(tmp_path: Path) -> None:
    corpus = load_corpus("tang", corpora_dir=corpora_dir(), cache_dir=tmp_path)
    data = build_dataset(corpus, "line", min_freq=5)
    assert isinstance(data, LineData) and data.tokenizer.unk is not None
    assert 3000 < len(data.tokenizer) < 7000  # 7,127 distinct characters in the poems
    assert len(data.train) + len(data.val) == 37_012  # the poems of at most 64 characters
