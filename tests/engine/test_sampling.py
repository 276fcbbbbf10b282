from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artifact.manifest import GenerationDefaults
from artifact.sampling import ban_mask, sample, sample_one
from bot.engine.api import InvalidRequestError, SamplingParams
from bot.engine.sampling import resolve_params

VOCAB = 12
NO_BAN = np.zeros(VOCAB, np.float32)


def _draw(
    logits: np.ndarray,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    u: float = 0.5,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    rows = len(logits)
    return sample(
        logits.astype(np.float32),
        np.full(rows, temperature, np.float32),
        None if top_k is None else np.full(rows, top_k),
        None if top_p is None else np.full(rows, top_p),
        np.full(rows, u),
        np.zeros(logits.shape[1], np.float32) if mask is None else mask,
    )


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 40), scale=st.floats(0.1, 30.0))
def test_a_rows_draw_is_the_same_alone_batched_and_on_the_single_row_path(
    seed: int, rows: int, scale: float
) -> None:
    rng = np.random.default_rng(seed)
    logits = (rng.standard_normal((rows, VOCAB)) * scale).astype(np.float32)
    temperature = rng.uniform(0.05, 2.0, rows)
    top_k = rng.integers(0, VOCAB + 3, rows)
    top_p = np.where(rng.random(rows) < 0.3, 1.0, rng.uniform(0.01, 1.0, rows))
    uniforms = rng.random(rows)
    mask = ban_mask(VOCAB, [0])
    together = sample(logits, temperature, top_k, top_p, uniforms, mask)
    for i in range(rows):
        one = slice(i, i + 1)
        alone = sample(logits[one], temperature[one], top_k[one], top_p[one], uniforms[one], mask)
        single = sample_one(logits[i], temperature[i], top_k[i], top_p[i], uniforms[i], mask)
        assert alone[0] == single == together[i]
    assert not np.any(together == 0)


def test_top_k_one_and_a_tiny_top_p_are_greedy() -> None:
    logits = np.array([[0.1, 3.0, 2.9, -1.0]] * 3)
    for u in (0.0, 0.5, 0.999999):
        assert _draw(logits, top_k=1, u=u).tolist() == [1, 1, 1]
        assert _draw(logits, top_p=1e-6, u=u).tolist() == [1, 1, 1]
        assert _draw(logits, top_k=3, top_p=1e-6, u=u).tolist() == [1, 1, 1]


def test_the_uniform_number_walks_the_distribution_in_order() -> None:
    logits = np.log(np.array([[0.25, 0.25, 0.25, 0.25]]))
    assert [_draw(logits, u=u)[0] for u in (0.0, 0.3, 0.6, 0.9, 1 - 1e-16)] == [0, 1, 2, 3, 3]


def test_top_k_and_top_p_cut_the_tail() -> None:
    logits = np.log(np.array([[0.5, 0.3, 0.15, 0.05]]))
    draws = {int(_draw(logits, top_k=2, u=u)[0]) for u in np.linspace(0, 0.999, 50)}
    assert draws == {0, 1}
    draws = {int(_draw(logits, top_p=0.9, u=u)[0]) for u in np.linspace(0, 0.999, 50)}
    assert draws == {0, 1, 2}


def test_banned_ids_are_never_drawn() -> None:
    logits = np.array([[50.0, 0.0, 0.0]])
    ids = {int(_draw(logits, u=u, mask=ban_mask(3, [0]))[0]) for u in np.linspace(0, 0.999, 20)}
    assert ids == {1, 2}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (SamplingParams(temperature=0.0), "temperature"),
        (SamplingParams(temperature=2.5), "temperature"),
        (SamplingParams(top_k=0), "top_k"),
        (SamplingParams(top_p=0.0), "top_p"),
        (SamplingParams(top_p=1.5), "top_p"),
        (SamplingParams(max_tokens=0), "length"),
        (SamplingParams(max_tokens=2001), "length"),
        (SamplingParams(max_lines=0), "max_lines"),
    ],
)
def test_bad_parameters_are_refused_with_a_short_reason(params: SamplingParams, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        resolve_params(params, GenerationDefaults())
